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

#include "cluster.h"
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
	ks_cluster_t *cluster; /* distributed mode (distributed.c); NULL standalone */
};

/* ---- herder.c, for distributed.c ---- */

/* A config as a JSON object of strings (new; NULL when out of memory). */
json_t *ks_herder_props_json(const ks_props_t *p);

void ks_herder_conn_free(conn_t *c);
/* Starts c's tasks per its target state (in distributed mode only those
 * whose slots this worker owns); stops and frees them; restarts the task in
 * slot i of c->tasks. Caller holds ops (not lock). */
void ks_herder_start_conn(ks_herder_t *h, conn_t *c);
void ks_herder_stop_tasks(ks_herder_t *h, conn_t *c);
/* Stops and frees n tasks, all asked at once (one timeout, not n). */
void ks_herder_stop_list(ks_herder_t *h, ks_task_t **tasks, int n);
void ks_herder_restart_slot(ks_herder_t *h, conn_t *c, int i);
/* Starts task id of c with the resolved config; NULL (logged) on failure. */
ks_task_t *ks_herder_start_task(ks_herder_t *h, conn_t *c, const ks_props_t *resolved, int id);
/* Marks c FAILED with the reason. */
void ks_herder_set_failed(ks_herder_t *h, conn_t *c, const char *fmt, ...) KS_PRINTF(3, 4);
/* Moves c to target (pause/resume tasks, stop them, start them). 1 when it
 * changed. Caller holds ops. */
int ks_herder_apply_target(ks_herder_t *h, conn_t *c, ks_target_t target);

/* ---- distributed.c: the herder's changes and status in distributed mode ---- */

/* Creates the cluster (reads the config topic to its end, the connectors
 * into h) and joins it after ks_herder_start. 0 ok. */
int ks_dist_attach(ks_herder_t *h, char *errstr, size_t errlen);
int ks_dist_join(ks_herder_t *h, char *errstr, size_t errlen);
/* The changes, written to the config topic through the leader; every
 * worker applies them from there. props: validated, borrowed. */
ks_err_t ks_dist_put(ks_herder_t *h, const char *name, const ks_props_t *props, int allow_update,
                     ks_target_t initial, ks_conn_info_t *info, int *created, char *errstr,
                     size_t errlen);
ks_err_t ks_dist_delete(ks_herder_t *h, const char *name, char *errstr, size_t errlen);
ks_err_t ks_dist_set_target(ks_herder_t *h, const char *name, ks_target_t target, char *errstr,
                            size_t errlen);
ks_err_t ks_dist_restart(ks_herder_t *h, const char *name, int include_tasks, int only_failed,
                         ks_conn_status_t *status, char *errstr, size_t errlen);
ks_err_t ks_dist_restart_task(ks_herder_t *h, const char *name, int task, char *errstr,
                              size_t errlen);
/* The cluster-wide status of c: local tasks as they are, the others as
 * their workers last published them. Caller holds lock. */
ks_err_t ks_dist_status_of(ks_herder_t *h, conn_t *c, ks_conn_status_t *out);
/* One task's status, local or remote. KS_ERR_NOTFOUND when unknown. Caller
 * holds lock. */
ks_err_t ks_dist_task_status(ks_herder_t *h, conn_t *c, int task, ks_task_status_t *out);

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
/* "sink" when c's class is known, else "unknown" (static). */
const char *ks_herder_conn_type(const conn_t *c);

/* Validates a connector config the way Connect's herder does before a
 * create or update (validate.c). KS_OK, or KS_ERR_INVALID / KS_ERR_FATAL
 * with a message; *infos (may be NULL) gets the ConfigInfos JSON. */
ks_err_t ks_herder_check_config(ks_herder_t *h, const ks_props_t *config, json_t **infos,
                                char *errstr, size_t errlen);

/* The standard process_* families (process_metrics.c), from /proc/self. */
void ks_process_metrics(ks_buf_t *out);

#endif
