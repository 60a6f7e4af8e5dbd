/*
 * connector.h — the sink connector interface, modelled on Kafka Connect's
 * SinkConnector / SinkTask, and the plugin table the worker and the REST
 * layer look connectors up in.
 *
 * Life of a task (all calls on the task's own thread):
 *   task_new(config)                       SinkTask.start
 *   open(partitions) -> resume offsets     SinkTask.open; offsets come from the
 *                                          connector's own store (the DB table),
 *                                          the worker seeks there
 *   put(records) ...                       stage records (no commit yet)
 *   commit(offsets)                        one DB transaction: staged records +
 *                                          the offsets; then the worker commits
 *                                          the same offsets to Kafka
 *   close(partitions)                      drop staged records of revoked partitions
 *   task_destroy                           SinkTask.stop
 *
 * Records passed to put() stay valid (worker's batch arena) until commit()
 * returns KS_OK or close()/task_destroy() is called.
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

/* The size of an exception class name (ks_commit_result_t, ks_bad_record_t). */
#define KS_EXCEPTION_SIZE 96

/* One more record commit() found bad in the same pass (see more below). */
typedef struct ks_bad_record {
	size_t index;                      /* in put order since the last successful commit */
	char errstr[KS_ERRSTR_SIZE];       /* as result.errstr */
	char exception[KS_EXCEPTION_SIZE]; /* as result.exception */
	char code[16];                     /* as result.code */
} ks_bad_record_t;

/* Result of commit(). */
typedef struct ks_commit_result {
	ks_err_t err;     /* KS_OK, RETRIABLE (outage: retry later), RECORD, FATAL,
			     FENCED (see fenced) */
	size_t bad_index; /* with KS_ERR_RECORD: index (in put order since the last
			       successful commit) of the first record that fails alone */
	/* The error as Connect would see it thrown by SinkTask.put/flush: the
	 * exception's message and class name (the DLQ's
	 * __connect.errors.exception.* headers); "" = the worker's default,
	 * org.apache.kafka.connect.errors.ConnectException. */
	char errstr[KS_ERRSTR_SIZE];
	char exception[KS_EXCEPTION_SIZE];
	/* The error's code in the connector's own vocabulary, shown in status
	 * lines and never interpreted by the worker ("" when none; the JDBC
	 * sink: the SQLSTATE, as java.sql.SQLException.getSQLState()). */
	char code[16];
	/* with KS_ERR_RECORD: the other records that failed alone in the same
	 * pass, indexes ascending and above bad_index (NULL/0 when none).
	 * Owned by the connector, valid until its next commit() or
	 * task_destroy(); discard() does not invalidate it, so the worker
	 * discards them from the highest index down. */
	const ks_bad_record_t *more;
	size_t nmore;
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
	/* Offsets to resume from for the assigned partitions: *out has one entry
	 * per input partition (offset -1 when the store knows none). A
	 * connector that fences claims the partitions here (from now on
	 * another task's commit of them fails with KS_ERR_FENCED). */
	ks_err_t (*open)(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
	                 ks_tp_offset_t **out, char *errstr, size_t errlen);
	/* Stage records; may validate them (record-level errors are reported by
	 * commit via bad_index, not here, except KS_ERR_FATAL). */
	ks_err_t (*put)(ks_sink_task_t *t, ks_record_t *const *recs, size_t n, char *errstr,
	                size_t errlen);
	/* Write all staged records and the offsets in one transaction. On any
	 * error the transaction is rolled back and the staged records are kept,
	 * so the caller can retry, or discard(bad_index) and retry. */
	void (*commit)(ks_sink_task_t *t, const ks_tp_offset_t *offsets, size_t n,
	               ks_commit_result_t *res);
	/* Removes one staged record (after it went to the DLQ); later indexes
	 * move down by one. */
	void (*discard)(ks_sink_task_t *t, size_t index);
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
