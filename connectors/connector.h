/*
 * connector.h — the sink connector interface, modelled on Kafka Connect's
 * SinkConnector / SinkTask, and the plugin table the worker and the REST
 * layer look connectors up in.
 *
 * Life of a task (all calls on the task's own thread):
 *   task_new(config)                       SinkTask.start
 *   initialize(reporter)                   SinkTask.initialize: the errant-
 *                                          record reporter
 *   open(partitions) -> resume offsets     SinkTask.open; offsets come from the
 *                                          connector's own store (the DB table),
 *                                          the worker seeks there
 *   put(records) ...                       stage records (no commit yet)
 *   commit(offsets)                        one DB transaction: staged records +
 *                                          the offsets (bad records go to the
 *                                          errant-record reporter); then the
 *                                          worker commits the same offsets to
 *                                          Kafka
 *   or commit_send(offsets) ... commit_wait  the same in two halves: the worker
 *                                          decodes the next batch meanwhile
 *   close(partitions)                      drop staged records of revoked partitions
 *   task_destroy                           SinkTask.stop
 *
 * Records passed to put() stay valid (worker's batch arena) until commit()
 * (or commit_wait()) returns KS_OK or close()/task_destroy() is called.
 */
#ifndef KS_CONNECTOR_H
#define KS_CONNECTOR_H

#include "../config/config.h"
#include "../lib/ks.h"
#include "../schemas/record.h"

#include <stdint.h>

/* A topic-partition and the next offset to read (last written + 1).
 * offset < 0: unknown (no stored offset). */
typedef struct ks_tp_offset {
	const char *topic; /* borrowed (open input) or owned by the array (outputs: see free) */
	int32_t partition;
	int64_t offset;
} ks_tp_offset_t;

/* Frees an offsets array returned by a connector (topics included). */
void ks_tp_offsets_free(ks_tp_offset_t *offs, size_t n);

typedef struct ks_sink_task ks_sink_task_t; /* connector-private */

/* The size of an exception class name (ks_commit_result_t). */
#define KS_EXCEPTION_SIZE 96

/*
 * Connect's ErrantRecordReporter (SinkTaskContext.errantRecordReporter()),
 * handed to the task by initialize(): a connector that finds a record it cannot
 * write (a value that does not encode, a row the database refuses on its
 * own) reports it here and goes on with the rest, in the same commit() call.
 * What a report does is the worker's business: errors.tolerance,
 * errors.log.*, the dead letter queue, failing the task.
 * Owned by the worker, valid until task_destroy(); task thread only.
 */
typedef struct ks_errant_reporter ks_errant_reporter_t;
struct ks_errant_reporter {
	/* Reports rec (one the task was put() and has not committed) as
	 * failed with the exception Connect would see thrown: its class name
	 * ("" = org.apache.kafka.connect.errors.ConnectException) and message.
	 * KS_OK: tolerated; the connector leaves the record out and writes the
	 * rest. Anything else (errors.tolerance=none: the task is failed by
	 * the worker): the connector rolls back and ends commit() with that
	 * error and msg. */
	ks_err_t (*report)(ks_errant_reporter_t *rep, const ks_record_t *rec, const char *exception,
	                   const char *msg);
	/* Waits until every record reported so far is safe (Connect: the
	 * Futures report() returned); call it before committing offsets past
	 * them. KS_OK; KS_ERR_RETRIABLE (errstr: the dead letter queue is
	 * unavailable): the connector ends commit() RETRIABLE, the reported
	 * records stay reported and left out; KS_ERR_FATAL: task stopping or
	 * failed. */
	ks_err_t (*flush)(ks_errant_reporter_t *rep, char *errstr, size_t errlen);
	void *opaque; /* the worker's */
};

/* Result of commit(). */
typedef struct ks_commit_result {
	ks_err_t err; /* KS_OK, RETRIABLE (outage: retry later), FATAL, FENCED (see
			 fenced), or what the errant-record reporter answered */
	/* The error as Connect would see it thrown by SinkTask.put/flush: the
	 * exception's message and class name; "" = the worker's default,
	 * org.apache.kafka.connect.errors.ConnectException. */
	char errstr[KS_ERRSTR_SIZE];
	char exception[KS_EXCEPTION_SIZE];
	/* The error's code in the connector's own vocabulary, shown in status
	 * lines and never interpreted by the worker ("" when none; the JDBC
	 * sink: the SQLSTATE, as java.sql.SQLException.getSQLState()). */
	char code[16];
	/* with KS_ERR_FENCED: the partitions another task claimed since this
	 * one opened them (a zombie: a task abandoned by a restart, a
	 * partition moved). Nothing was written; the worker drops these
	 * partitions' records and never commits them again (until an open()
	 * claims them anew), then commits the rest. Owned by the connector,
	 * valid until its next commit() or task_destroy(). */
	const ks_tp_offset_t *fenced;
	size_t nfenced;
} ks_commit_result_t;

typedef struct ks_connector_plugin {
	const char *class_name;     /* io.confluent.connect.jdbc.JdbcSinkConnector */
	const char *const *aliases; /* NULL-terminated: JdbcSinkConnector, JdbcSink */
	const char *type;           /* "sink" */
	const char *version;
	const char *task_class;          /* SinkTask class, for __connect.errors.class.name */
	const ks_cfg_def_t *config_defs; /* the connector's keys (KS_CFG_END-terminated) */

	/* Cross-key checks after per-key validation; adds errors to cfg. */
	void (*validate)(ks_config_t *cfg);

	/* SinkTask.start. config: the full connector config (worker defaults,
	 * providers resolved). NULL + errstr on failure (bad config = FATAL; a
	 * database outage must NOT fail here: connect lazily). */
	ks_sink_task_t *(*task_new)(const ks_props_t *config, const char *connector, int task_id,
	                            char *errstr, size_t errlen);
	/* SinkTask.initialize(SinkTaskContext), right after task_new: the
	 * worker's errant-record reporter (borrowed, outlives the task).
	 * Without one (a task never initialized: tools, benchmarks) a bad
	 * record ends commit() with KS_ERR_RECORD. */
	void (*initialize)(ks_sink_task_t *t, ks_errant_reporter_t *reporter);
	/* Offsets to resume from for the assigned partitions: *out has one entry
	 * per input partition (offset -1 when the store knows none). A
	 * connector that fences claims the partitions here (from now on
	 * another task's commit of them fails with KS_ERR_FENCED). */
	ks_err_t (*open)(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
	                 ks_tp_offset_t **out, char *errstr, size_t errlen);
	/* Stage records; may validate them (bad records are reported by
	 * commit() through the reporter, not here; errors here are FATAL). */
	ks_err_t (*put)(ks_sink_task_t *t, ks_record_t *const *recs, size_t n, char *errstr,
	                size_t errlen);
	/* Write all staged records and the offsets in one transaction. A
	 * record that fails on its own is reported (the reporter) and left
	 * out, and the rest is written in the same call; the offsets cover the
	 * reported records too. On any error the transaction is rolled back
	 * and the staged records not reported are kept, so the caller can
	 * retry. */
	void (*commit)(ks_sink_task_t *t, const ks_tp_offset_t *offsets, size_t n,
	               ks_commit_result_t *res);
	/* OPTIONAL, all three or none: commit() in two halves, so the worker
	 * reads and decodes the next batch while the database finishes this
	 * one (ksink's own, no Connect counterpart).
	 * commit_send does what commit() does up to where only server-side
	 * work is left (the JDBC sink: the merge from the stage, the offsets,
	 * COMMIT), sends that without waiting and returns 1: in flight. It
	 * returns 0 when it finished the commit itself (res filled exactly as
	 * commit() fills it: the path that cannot overlap, an error).
	 * commit_wait ends a commit in flight: res is exactly what commit()
	 * would have returned (a failure of the part in flight is rolled
	 * back and retried / isolated inside, as commit() does, reporting
	 * records through the reporter). commit_ready: 1 when commit_wait will
	 * not block (a cheap check, called every few records), else 0.
	 * While a commit is in flight the worker calls nothing but
	 * commit_ready and commit_wait, and keeps offsets and the records put
	 * valid until commit_wait returns. */
	int (*commit_send)(ks_sink_task_t *t, const ks_tp_offset_t *offsets, size_t n,
	                   ks_commit_result_t *res);
	void (*commit_wait)(ks_sink_task_t *t, ks_commit_result_t *res);
	int (*commit_ready)(ks_sink_task_t *t);
	/* Drops staged records of these partitions (revoked). With no partition
	 * left open a connector may release its connection: a task without
	 * partitions (tasks.max above the partition count) should hold none. */
	void (*close)(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n);
	void (*task_destroy)(ks_sink_task_t *t);

	/* KIP-875 offsets in the connector's own store (connector stopped).
	 * read: all stored offsets of this connector. alter: upsert the given
	 * offsets; offset < 0 deletes that partition's entry; n == 0 with
	 * reset_all deletes all. */
	ks_err_t (*offsets_read)(const ks_props_t *config, const char *connector,
	                         ks_tp_offset_t **out, size_t *n, char *errstr, size_t errlen);
	ks_err_t (*offsets_alter)(const ks_props_t *config, const char *connector,
	                          const ks_tp_offset_t *offs, size_t n, int reset_all, char *errstr,
	                          size_t errlen);
} ks_connector_plugin_t;

/* Looks a plugin up by class name or alias (case-sensitive, as Connect). */
const ks_connector_plugin_t *ks_connector_find(const char *class_or_alias);
/* All plugins (NULL-terminated static array). */
const ks_connector_plugin_t *const *ks_connector_plugins(void);
/* Adds a plugin to the registry; call before any other thread runs (e.g.
 * from a constructor, as tests/lib/memory_sink.c). 0 ok, -1 table full. */
int ks_connector_register(const ks_connector_plugin_t *p) KS_WUR;

/* The keys every connector has (name, connector.class, tasks.max, topics,
 * topics.regex, key/value.converter, errors.*, transforms, ...), as Connect's
 * ConnectorConfig + SinkConnectorConfig. Defined in connectors/common.c. */
extern const ks_cfg_def_t ks_connector_common_defs[];
/* Connect's sink cross-key rules (topics xor topics.regex, DLQ topic not
 * consumed); adds errors to cfg. */
void ks_connector_validate_common(ks_config_t *cfg);

#endif
