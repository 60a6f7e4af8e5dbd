/*
 * cluster_int.h — the inside of distributed mode's cluster (worker/cluster.h),
 * shared by its files:
 *
 *   cluster.c         the API, the tail (config and status topics -> view),
 *                     the member (slots, leadership, status publishing)
 *   cluster_topics.c  creating and checking the three topics
 *   cluster_leader.c  the leader's fenced transactional writer
 *
 * Locking (see cluster.c): `lock` guards the view, the slots and the health;
 * `wlock` serializes the leader's writes and changes of leadership.
 */
#ifndef KS_CLUSTER_INT_H
#define KS_CLUSTER_INT_H

#include "cluster.h"

#include "../lib/log.h"
#include "worker.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>

#define LOGCTX "cluster"

#define CL_ADMIN_TIMEOUT_MS 30000
#define CL_WRITE_TIMEOUT_MS 15000
#define CL_HEALTH_EVERY_MS  3000
#define CL_STATUS_EVERY_MS  1000

struct ks_cluster {
	const ks_worker_config_t *wc;
	ks_cluster_hooks_t hooks;
	char *group;
	char *config_topic, *status_topic, *slots_topic;
	int nslots, status_parts;
	char url[600]; /* this worker's advertised REST URL */
	char txn_id[512];

	rd_kafka_t *tail, *member, *status_prod;
	rd_kafka_t *leader_prod; /* transactional; only while leading (wlock) */
	pthread_t tail_thr, member_thr;
	int tail_started, member_started;
	atomic_int stop;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* view (lock) */
	json_t *configs;  /* name -> properties object */
	json_t *targets;  /* name -> "STARTED" | "PAUSED" | "STOPPED" */
	json_t *statuses; /* status topic key -> value object */
	int64_t applied;  /* next config offset to apply */
	int eof_seen;     /* the tail reached the config topic's end */
	int joined;       /* restart requests count from now on */
	char *leader_url, *leader_id;
	/* slots (lock) */
	unsigned char *owned;
	int64_t generation; /* bumped on each assignment */
	int assign_pending, revoked;
	int is_leader;
	int ready; /* joined and a leader known once: start-up is over */
	/* health (lock) */
	int healthy;
	char health_msg[KS_ERRSTR_SIZE];

	pthread_mutex_t wlock;
	int64_t dr_offset; /* highest offset acknowledged by the leader's producer */
	rd_kafka_resp_err_t dr_err;
	json_t *published; /* status key -> last value text (member thread) */
};

/* A librdkafka handle from the worker's consumer (or producer) settings
 * with the cluster's own overrides (key, value pairs, NULL-ended); its
 * opaque is cl, and setup (may be NULL) sets its callbacks. NULL with
 * "<what>: why" in errstr. cluster.c */
rd_kafka_t *ks_cluster_client_new(ks_cluster_t *cl, rd_kafka_type_t type, const char *what,
                                  const char *const *kv, void (*setup)(rd_kafka_conf_t *conf),
                                  char *errstr, size_t errlen) KS_WUR;

/* Waits on cond for at most ms (lock held). cluster.c */
void ks_cluster_cond_wait_ms(ks_cluster_t *cl, long ms);

/* Creates the three topics when missing and checks the config topic.
 * 0 ok. cluster_topics.c */
int ks_cluster_topics_setup(ks_cluster_t *cl, char *errstr, size_t errlen);

/* cluster_leader.c. txn_write: the records in one transaction, waited for
 * until the view applied them (wlock held, leader_prod set). leader_drop:
 * gives the leadership up (wlock held). leader_take: takes the
 * transactional id and announces this worker; 0 ok (takes wlock). */
ks_err_t ks_cluster_txn_write(ks_cluster_t *cl, const char *const *keys, json_t *const *values,
                              size_t n, char *errstr, size_t errlen);
void ks_cluster_leader_drop(ks_cluster_t *cl);
int ks_cluster_leader_take(ks_cluster_t *cl);

#endif
