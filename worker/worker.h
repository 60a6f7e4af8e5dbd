/*
 * worker.h — the worker runtime: the worker configuration (worker_config.c),
 * the herder that owns the connectors and their lifecycle (herder.c), the
 * sink task threads (task.c) and the config store (store.c).
 *
 * Flow: main.c loads the worker config, creates the herder (which loads the
 * persisted connectors and starts their tasks), starts the REST server
 * (rest/rest.h) on top of the herder, and waits for SIGTERM/SIGINT.
 *
 * Threads: the herder is called from the REST threads and from main; it is
 * thread-safe. Each task runs on its own thread and owns its consumer,
 * converters and connector task.
 */
#ifndef KS_WORKER_H
#define KS_WORKER_H

#include "../config/config.h"
#include "../connectors/connector.h"
#include "../lib/buf.h"
#include "../lib/ks.h"
#include "herder.h"
#include "worker_config.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---------------- Kafka client settings (worker_config.c) ---------------- */

/* librdkafka consumer settings for one sink task: Connect's defaults, then
 * the worker's consumer.*, then the connector's consumer.override.*. New
 * props (caller destroys); NULL on allocation failure. */
ks_props_t *ks_worker_consumer_props(const ks_worker_config_t *wc, const ks_props_t *conn,
                                     const char *connector, int task_id);
/* librdkafka producer settings for a task's dead letter queue: bootstrap,
 * acks=all and idempotence, then the worker's producer.*, then the
 * connector's producer.override.*. New props (caller destroys); NULL on
 * allocation failure. */
ks_props_t *ks_worker_producer_props(const ks_worker_config_t *wc, const ks_props_t *conn,
                                     const char *connector, int task_id);
/* A librdkafka configuration from props: settings librdkafka does not know
 * are skipped (logged at DEBUG under ctx, as Connect ignores unused
 * settings); an invalid value fails with errstr "<what> setting KEY: why".
 * New conf (caller passes it to rd_kafka_new or destroys it); NULL on error. */
rd_kafka_conf_t *ks_worker_kafka_conf(const ks_props_t *props, const char *ctx, const char *what,
                                      char *errstr, size_t errlen) KS_WUR;
/* The group id of a sink connector (consumer.override.group.id or connect-<name>). */
char *ks_worker_group_id(const ks_props_t *conn, const char *connector);

/* The converter for "key.converter" / "value.converter": the connector's own
 * class and prefixed settings when it sets the class, else the worker's.
 * *class_out is borrowed; *props_out is new (caller destroys). 0 ok. */
int ks_worker_converter_props(const ks_worker_config_t *wc, const ks_props_t *conn,
                              const char *which, const char **class_out, ks_props_t **props_out);

/* ---------------- dead letter queue (dlq.c) ---------------- */

typedef struct ks_dlq ks_dlq_t;

/* What went wrong with a record, for the __connect.errors.* headers. All
 * strings borrowed for the duration of ks_dlq_add(). */
typedef struct ks_dlq_error {
	const char *connector;
	int task_id;
	const char *stage;           /* KEY_CONVERTER, VALUE_CONVERTER, TASK_PUT */
	const char *class_name;      /* the converter or task class */
	const char *exception_class; /* e.g. org.apache.kafka.connect.errors.DataException */
	const char *message;
	const char *stacktrace;
} ks_dlq_error_t;

/* The DLQ of one task, or NULL without error when the connector sets no
 * errors.deadletterqueue.topic.name (check errstr[0] to tell apart from a
 * failure, which also sets errstr). Task thread only. */
ks_dlq_t *ks_dlq_new(const ks_worker_config_t *wc, const ks_props_t *conn, const char *connector,
                     int task_id, char *errstr, size_t errlen);
/* Flushes briefly, drops what is left, frees. Accepts NULL. */
void ks_dlq_destroy(ks_dlq_t *d);
/* Queues rec (original bytes, headers and timestamp are copied) with the
 * error context. 0 ok, -1 out of memory. */
int ks_dlq_add(ks_dlq_t *d, const ks_record_t *rec, const ks_dlq_error_t *e) KS_WUR;
/* Produces everything queued and waits up to timeout_ms (or until *stop)
 * for the acknowledgements. KS_OK when all are acknowledged (queue empty);
 * KS_ERR_RETRIABLE with errstr otherwise, the unacknowledged records stay
 * queued for the next call. */
ks_err_t ks_dlq_flush(ks_dlq_t *d, int timeout_ms, const atomic_int *stop, char *errstr,
                      size_t errlen) KS_WUR;
/* Forgets the queued records (their batch was dropped and will be read
 * again); records already in flight are not produced again. */
void ks_dlq_clear(ks_dlq_t *d);
size_t ks_dlq_pending(const ks_dlq_t *d);
uint64_t ks_dlq_produced(const ks_dlq_t *d); /* acknowledged so far */
const char *ks_dlq_topic(const ks_dlq_t *d);

/* ---------------- config store (store.c) ---------------- */

/* Writes {"connectors":{name:{"config":{..},"target_state":"STARTED"}}}
 * atomically (temp file, fsync, rename). */
int ks_store_save(const char *path, json_t *doc, char *errstr, size_t errlen) KS_WUR;
/* Reads the store; *doc = NULL when the file does not exist. */
int ks_store_load(const char *path, json_t **doc, char *errstr, size_t errlen) KS_WUR;

/* ---------------- tasks (task.c) ---------------- */

typedef struct ks_task ks_task_t;

/* Shared per-connector bookkeeping the tasks report into (active topics). */
typedef struct ks_conn_shared ks_conn_shared_t;
ks_conn_shared_t *ks_conn_shared_new(void);
void ks_conn_shared_ref(ks_conn_shared_t *s);
void ks_conn_shared_unref(ks_conn_shared_t *s);
/* Adds topic to the active set (cheap when already there). */
void ks_conn_shared_topic(ks_conn_shared_t *s, const char *topic);
/* The active topics, sorted: *topics (caller frees each and the array)
 * and *n. 0 ok, -1 out of memory. Reset clears them. */
int ks_conn_shared_topics(ks_conn_shared_t *s, char ***topics, size_t *n) KS_WUR;
void ks_conn_shared_reset_topics(ks_conn_shared_t *s);

/*
 * Starts task task_id of connector on its own thread. config: the connector
 * config with providers resolved (copied). paused: start with partitions
 * paused. Returns NULL only on allocation/thread failure; start-up problems
 * (bad converter, connector task_new failing) show as state FAILED.
 */
ks_task_t *ks_task_start(const ks_worker_config_t *wc, const ks_connector_plugin_t *plugin,
                         const char *connector, int task_id, const ks_props_t *config, int paused,
                         ks_conn_shared_t *shared, char *errstr, size_t errlen) KS_WUR;
/* Asks the thread to stop (returns at once). */
void ks_task_request_stop(ks_task_t *t);
/* Waits for the thread (up to timeout_ms; then it is abandoned — detached,
 * freed when it ends) and frees the task. Accepts NULL. */
void ks_task_stop_destroy(ks_task_t *t, int64_t timeout_ms);
/* Pause / resume consumption (thread picks it up within ~100 ms). */
void ks_task_set_paused(ks_task_t *t, int paused);
int ks_task_id(const ks_task_t *t);
/* Current state; *trace (may be NULL) is a new string the caller frees. */
ks_state_t ks_task_state(ks_task_t *t, char **trace);
/* Appends this task's Prometheus lines to out. */
void ks_task_metrics(ks_task_t *t, ks_buf_t *out);
/* Partitions fenced in this process, by every task including those
 * abandoned by a stop timeout (which /metrics no longer lists). */
uint64_t ks_task_fenced_total(void);

#endif
