/*
 * herder_int.h — the herder's inside, shared by herder.c (lifecycle, changes,
 * reads), offsets.c (KIP-875) and validate.c (connector config validation).
 * Not for the REST layer, which sees herder.h only.
 *
 * Locking: `ops` serializes every change (it is held while tasks are
 * started and stopped, which can take a moment); `lock` guards the connector
 * list and fields for readers (status, config), so GETs answer at once
 * while a change is in progress. Task threads never take either lock.
 */
#ifndef KS_HERDER_INT_H
#define KS_HERDER_INT_H

#include "worker.h"

#include <pthread.h>

typedef struct conn {
	char *name;
	ks_props_t *config; /* raw, as given (providers unresolved) */
	ks_target_t target;
	const ks_connector_plugin_t *plugin;
	int failed; /* could not start: trace says why */
	char *trace;
	ks_task_t **tasks;
	int ntasks;
	ks_conn_shared_t *shared;
	struct conn *next;
} conn_t;

struct ks_herder {
	ks_worker_config_t *wc;
	pthread_mutex_t ops;
	pthread_mutex_t lock;
	conn_t *conns;
	int started;
	pthread_mutex_t meta_lock;
	char *cluster_id;
};

/* The connector called name; NULL when there is none. Caller holds ops or lock. */
conn_t *ks_herder_find(ks_herder_t *h, const char *name);

/* tasks.max per the common connector table, capped at 1024 threads. */
int ks_herder_tasks_max(const ks_props_t *config);
/* A connector's state: from its target state and whether it could start. */
ks_state_t ks_herder_conn_state(const ks_herder_t *h, const conn_t *c);
/* The typed status of c (restarting marks may be NULL: [0] connector,
 * [1+i] task i) and its ConnectorInfo (status.c). Caller holds lock.
 * KS_OK or KS_ERR_FATAL (out of memory). */
ks_err_t ks_herder_status_of(ks_herder_t *h, conn_t *c, const int *restarting,
                             ks_conn_status_t *out);
ks_err_t ks_herder_info_of(conn_t *c, ks_conn_info_t *out);

/* Validates a connector config the way Connect's herder does before a
 * create or update (validate.c). KS_OK, or KS_ERR_INVALID / KS_ERR_FATAL
 * with a message; *infos (may be NULL) gets the ConfigInfos JSON. */
ks_err_t ks_herder_check_config(ks_herder_t *h, const ks_props_t *config, json_t **infos,
                                char *errstr, size_t errlen);

/* The standard process_* families (process_metrics.c), from /proc/self. */
void ks_process_metrics(ks_buf_t *out);

#endif
