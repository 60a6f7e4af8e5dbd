/*
 * herder.h — the herder's API: what the REST layer (rest/) and main.c may
 * call. The herder (herder.c, named after Connect's Herder) owns the
 * connectors of a standalone worker and their lifecycle: create / update /
 * delete, pause / resume / stop, restarts, status, the config store;
 * offsets.c adds KIP-875 offsets, validate.c the config validation.
 *
 * Results are typed: every call returns a ks_err_t (KS_OK, or the class of
 * the failure with a message in errstr: KS_ERR_INVALID, KS_ERR_NOTFOUND,
 * KS_ERR_EXISTS, KS_ERR_FORBIDDEN, KS_ERR_FATAL for an internal error) and
 * fills plain structs. Rendering them as Connect's JSON is the REST layer's
 * job (rest/views.c).
 *
 * Threads: thread-safe; called from the REST threads and from main. Reads
 * answer at once while a change (which may wait for tasks to stop) is in
 * progress.
 */
#ifndef KS_HERDER_H
#define KS_HERDER_H

#include "../config/config.h"
#include "../connectors/connector.h"
#include "../lib/buf.h"
#include "../lib/ks.h"
#include "worker_config.h"

#include <jansson.h>

typedef struct ks_herder ks_herder_t;

/* A connector's target state, as kept in the config store. */
typedef enum ks_target {
	KS_TARGET_STARTED = 0,
	KS_TARGET_PAUSED,
	KS_TARGET_STOPPED,
} ks_target_t;

const char *ks_target_name(ks_target_t t);

/* A connector's or task's state, as Connect reports it. */
typedef enum ks_state {
	KS_STATE_UNASSIGNED = 0,
	KS_STATE_RUNNING,
	KS_STATE_PAUSED,
	KS_STATE_STOPPED,
	KS_STATE_FAILED,
	KS_STATE_RESTARTING,
} ks_state_t;

const char *ks_state_name(ks_state_t s);

/* One task's state (TaskState). trace: NULL or owned. */
typedef struct ks_task_status {
	int id;
	ks_state_t state;
	char *trace;
	char *worker_id; /* NULL: the connector's (or this) worker; else owned */
} ks_task_status_t;

/* A connector's state and its tasks' (ConnectorStateInfo). Strings owned
 * unless marked; ks_conn_status_clear() frees them. */
typedef struct ks_conn_status {
	char *name;
	ks_state_t state;
	char *trace;      /* NULL unless FAILED with a reason */
	const char *type; /* "sink" or "unknown" (static) */
	char *worker_id;  /* the worker running the connector */
	ks_task_status_t *tasks;
	size_t ntasks;
} ks_conn_status_t;

void ks_conn_status_clear(ks_conn_status_t *s);

/* A connector's definition (ConnectorInfo): its config as given and its
 * task ids 0..ntasks-1. ks_conn_info_clear() frees it. */
typedef struct ks_conn_info {
	char *name;
	ks_props_t *config;
	int ntasks;
	const char *type; /* "sink" or "unknown" (static) */
	char *task_class; /* the connector class + "Task" */
} ks_conn_info_t;

void ks_conn_info_clear(ks_conn_info_t *i);

/* Creates the herder: loads the config store; does not start tasks yet. */
ks_herder_t *ks_herder_new(ks_worker_config_t *wc, char *errstr, size_t errlen) KS_WUR;
/* Distributed mode (wc->distributed): joins the cluster's view — creates
 * the topics when missing, reads the config topic to its end (the
 * connectors into the herder). Before the REST server starts. 0 ok. */
int ks_herder_attach(ks_herder_t *h, char *errstr, size_t errlen) KS_WUR;
/* Distributed mode: joins the cluster's group (after ks_herder_start), so
 * this worker gets tasks and may lead. 0 ok. */
int ks_herder_join(ks_herder_t *h, char *errstr, size_t errlen) KS_WUR;
/* Where a change must be made: 1 here (standalone, or this worker leads),
 * 0 at the leader whose REST URL is put into url, -1 nowhere now (no
 * leader known: 409). */
int ks_herder_leader(ks_herder_t *h, char *url, size_t len);
/* 1 when the worker is started and (distributed) its config topic
 * answers; else 0 and why into msg. */
int ks_herder_healthy(ks_herder_t *h, char *msg, size_t len);
/* Starts the tasks of every loaded connector (after the REST server is up). */
void ks_herder_start(ks_herder_t *h);
/* Stops every task (graceful, bounded by task.shutdown.graceful.timeout.ms). */
void ks_herder_stop(ks_herder_t *h);
void ks_herder_destroy(ks_herder_t *h);
int ks_herder_started(ks_herder_t *h);
/* The parsed worker config (lives as long as the herder). */
const ks_worker_config_t *ks_herder_worker(ks_herder_t *h);

/* Create (allow_update = 0) or create-or-update (PUT config, allow_update = 1).
 * config is the raw connector config (its "name" filled in or checked).
 * initial: target state for a new connector. info (may be NULL) gets the
 * ConnectorInfo; *created (may be NULL) tells whether it was created. */
ks_err_t ks_herder_put(ks_herder_t *h, const char *name, const ks_props_t *config, int allow_update,
                       ks_target_t initial, ks_conn_info_t *info, int *created, char *errstr,
                       size_t errlen) KS_WUR;
/* PATCH config: the keys of set override, the keys in remove are dropped. */
ks_err_t ks_herder_patch(ks_herder_t *h, const char *name, const ks_props_t *set,
                         const char *const *remove, size_t nremove, ks_conn_info_t *info,
                         char *errstr, size_t errlen) KS_WUR;
ks_err_t ks_herder_delete(ks_herder_t *h, const char *name, char *errstr, size_t errlen) KS_WUR;
ks_err_t ks_herder_set_target(ks_herder_t *h, const char *name, ks_target_t target, char *errstr,
                              size_t errlen) KS_WUR;
/* Restart per KIP-745; status (may be NULL) gets the status with the
 * instances being restarted marked RESTARTING. */
ks_err_t ks_herder_restart(ks_herder_t *h, const char *name, int include_tasks, int only_failed,
                           ks_conn_status_t *status, char *errstr, size_t errlen) KS_WUR;
ks_err_t ks_herder_restart_task(ks_herder_t *h, const char *name, int task, char *errstr,
                                size_t errlen) KS_WUR;

/* The connector names, sorted (caller frees each and the array). */
ks_err_t ks_herder_names(ks_herder_t *h, char ***names, size_t *n) KS_WUR;
ks_err_t ks_herder_info(ks_herder_t *h, const char *name, ks_conn_info_t *out, char *errstr,
                        size_t errlen) KS_WUR;
/* The connector's config as given (new props, caller destroys). */
ks_err_t ks_herder_config(ks_herder_t *h, const char *name, ks_props_t **out, char *errstr,
                          size_t errlen) KS_WUR;
ks_err_t ks_herder_status(ks_herder_t *h, const char *name, ks_conn_status_t *out, char *errstr,
                          size_t errlen) KS_WUR;
ks_err_t ks_herder_task_status(ks_herder_t *h, const char *name, int task, ks_task_status_t *out,
                               char *errstr, size_t errlen) KS_WUR;
/* The active topics (KIP-558), sorted: caller frees each and the array.
 * KS_ERR_FORBIDDEN when topic.tracking.enable is off. */
ks_err_t ks_herder_topics(ks_herder_t *h, const char *name, char ***topics, size_t *n, char *errstr,
                          size_t errlen) KS_WUR;
ks_err_t ks_herder_topics_reset(ks_herder_t *h, const char *name, char *errstr,
                                size_t errlen) KS_WUR;

/* KIP-875 offsets (offsets.c). get: the connector's offsets (its own win
 * over the group's); *offs is freed with ks_tp_offsets_free(). alter: offs
 * (offset -1 = back to the start) or, with offs NULL, a reset of every
 * partition; the connector must be STOPPED. *external: the connector keeps
 * offsets of its own and they were changed too. */
ks_err_t ks_herder_offsets_get(ks_herder_t *h, const char *name, ks_tp_offset_t **offs, size_t *n,
                               char *errstr, size_t errlen) KS_WUR;
ks_err_t ks_herder_offsets_alter(ks_herder_t *h, const char *name, const ks_tp_offset_t *offs,
                                 size_t n, int *external, char *errstr, size_t errlen) KS_WUR;
/* KS_OK when the offsets of name may be altered now (it exists, STOPPED):
 * checked before a request body is looked at, as Connect does. */
ks_err_t ks_herder_offsets_check(ks_herder_t *h, const char *name, char *errstr,
                                 size_t errlen) KS_WUR;

/* ConfigInfos (built by config/config.c) for PUT
 * /connector-plugins/{plugin}/config/validate (validate.c). */
ks_err_t ks_herder_validate(ks_herder_t *h, const char *plugin, const ks_props_t *config,
                            json_t **out, char *errstr, size_t errlen) KS_WUR;
/* Prometheus text for GET /metrics. */
void ks_herder_metrics(ks_herder_t *h, ks_buf_t *out);
/* The Kafka cluster id (cached; "" when the cluster cannot be reached). */
const char *ks_herder_cluster_id(ks_herder_t *h);

#endif
