/*
 * cluster.h — distributed mode's shared state, kept in Kafka (cluster.c).
 *
 * A ksink cluster is the set of workers with one `group.id`. Everything
 * they share lives in three topics, as in Kafka Connect:
 *
 *   config.storage.topic  (1 partition, compacted) connector configs and
 *                         target states with Connect's keys and JSON
 *                         values, plus restart requests and the leader's
 *                         announcement; one writer: the leader
 *   status.storage.topic  each task's and connector's state, written by the
 *                         worker running it (status-task-<c>-<n>, ...)
 *   offset.storage.topic  not written (sink offsets are in Postgres and in
 *                         the connector's consumer group); its partitions
 *                         are the placement slots, below
 *
 * Membership and placement: every worker is a consumer in group `group.id`
 * subscribed to the offset topic with the roundrobin assignor; the
 * partitions it is assigned are its slots. Task t of connector c runs on
 * the owner of slot (hash(c) + t) mod S, so a connector's tasks land on
 * consecutive slots, which roundrobin hands to different workers; a dead
 * worker's slots move after one session timeout. The owner of slot 0 is the
 * leader: it takes the transactional id "ksink-cluster-<group.id>" (which
 * fences the previous leader's producer), writes a `ksink-leader` record
 * with its REST URL and serves every config change; followers forward
 * writes to that URL.
 *
 * Every worker tails the config and status topics from the beginning
 * (read_committed) into an in-memory view and tells the herder through the
 * hooks what changed. ks_cluster_catch_up() returns once the config topic
 * has been read to its end; the worker joins the group after that.
 *
 * Threads: two of its own (the tail, the member); the hooks run on them.
 * The other calls are thread-safe.
 */
#ifndef KS_CLUSTER_H
#define KS_CLUSTER_H

#include "../config/props.h"
#include "../lib/ks.h"
#include "herder.h"

#include <jansson.h>

typedef struct ks_cluster ks_cluster_t;

/* One local task's or connector's state, for the status topic. */
typedef struct ks_cluster_status {
	const char *connector;
	int task; /* -1: the connector */
	ks_state_t state;
	const char *trace; /* NULL when none */
} ks_cluster_status_t;

/* What the cluster tells its herder; each runs on a cluster thread. */
typedef struct ks_cluster_hooks {
	void *opaque;
	/* The config or target state of connector name changed (or it was
	 * deleted): read it with ks_cluster_connector(). */
	void (*connector_changed)(void *opaque, const char *name);
	/* A restart request, written after this worker joined. task -1: the
	 * connector (include_tasks / only_failed as KIP-745). */
	void (*restart)(void *opaque, const char *name, int task, int include_tasks,
	                int only_failed);
	/* This worker's slots changed: start and stop tasks to match
	 * ks_cluster_owns(). */
	void (*assignment_changed)(void *opaque);
	/* Fills the states of the tasks and connectors this worker runs:
	 * calls put(arg, &status) once for each. */
	void (*collect_status)(void *opaque, void (*put)(void *arg, const ks_cluster_status_t *st),
	                       void *arg);
} ks_cluster_hooks_t;

/* Creates the topics when missing (refuses a config topic that is not
 * compacted or has more than one partition). NULL + errstr on failure. */
ks_cluster_t *ks_cluster_new(const ks_worker_config_t *wc, const ks_cluster_hooks_t *hooks,
                             char *errstr, size_t errlen) KS_WUR;
/* Starts tailing the topics and returns once the config topic has been read
 * to its end (the hooks have seen every connector). 0 ok. */
int ks_cluster_catch_up(ks_cluster_t *cl, char *errstr, size_t errlen) KS_WUR;
/* Joins the group: from now on this worker gets slots (and may lead).
 * 0 ok. */
int ks_cluster_join(ks_cluster_t *cl, char *errstr, size_t errlen) KS_WUR;
/* Leaves the group at once and stops the threads (no hook runs after it);
 * the other calls keep answering. Accepts NULL. */
void ks_cluster_leave(ks_cluster_t *cl);
/* ks_cluster_leave() and frees everything. Accepts NULL. */
void ks_cluster_destroy(ks_cluster_t *cl);

/* 1 when this worker owns the slot of task `task` of connector name, which
 * has ntasks tasks (tasks.max). */
int ks_cluster_owns(ks_cluster_t *cl, const char *name, int task, int ntasks);

/* Where a config change goes: 1 = this worker is the leader, 0 = the
 * leader's REST URL into url, -1 = no leader known. */
int ks_cluster_leader(ks_cluster_t *cl, char *url, size_t len);

/* The view of connector name: *config (new props, caller destroys; NULL
 * when it has none) and *target. 0 when it exists. */
int ks_cluster_connector(ks_cluster_t *cl, const char *name, ks_props_t **config,
                         ks_target_t *target);

/* Serializes the leader's read-check-write sequences (create: "already
 * exists" is decided and written under it). */
void ks_cluster_write_lock(ks_cluster_t *cl);
void ks_cluster_write_unlock(ks_cluster_t *cl);

/* Leader only: writes records (keys[i], values[i]; a NULL value is a
 * tombstone) to the config topic in one transaction and waits until this
 * worker's view has applied them. KS_ERR_CONFLICT when this worker is not
 * (or no longer) the leader; KS_ERR_RETRIABLE with a message when the
 * topic cannot be written. The values are borrowed. */
ks_err_t ks_cluster_write(ks_cluster_t *cl, const char *const *keys, json_t *const *values,
                          size_t n, char *errstr, size_t errlen) KS_WUR;

/* The last state another worker published for task (task -1: the
 * connector): *worker_id and *trace new strings (trace may be NULL). 0 when
 * known. */
int ks_cluster_remote_status(ks_cluster_t *cl, const char *name, int task, ks_state_t *state,
                             char **worker_id, char **trace);

/* 1 when this worker has joined the cluster (its first slots came), a
 * leader is known and the config topic answered recently; else 0 and why. */
int ks_cluster_healthy(ks_cluster_t *cl, char *msg, size_t len);

#endif
