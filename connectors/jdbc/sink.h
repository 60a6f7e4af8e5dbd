/*
 * sink.h — the JDBC sink task's state and the functions its files share
 * (private to connectors/jdbc/; jdbc.h is the connector's outer face).
 *
 * The task is split by job, one file each, in the order commit() runs them:
 *
 *   plugin.c    the ks_connector_plugin_t entry points (SinkTask.start, open,
 *               put, commit, close, stop) and the staged records
 *   session.c   the connection: lazy connect, session setup, reconnect, and
 *               the classification of errors by SQLSTATE (into ks_err_t)
 *   catalog.c   table names, table metadata from pg_catalog, layouts (the
 *               columns a key schema x value schema pair writes)
 *   plan.c      a batch -> groups per table and layout, reduced to the last
 *               change per key; record checks; rows as binary COPY tuples
 *   ddl.c       auto.create / auto.evolve (and their races with other
 *               tasks), staging tables; never inside the data transaction
 *   write.c     the data transaction: COPY, merge statements, COMMIT
 *   stream.c    the COPY opened while the batch is still being put
 *   offsets.c   THE owner of the offsets table (__ksink_offsets): create
 *               and migrate, read, KIP-875 alter/reset
 *   fence.c     its owner epochs: claim at open, the fenced offsets write
 *               inside the data transaction (zombie tasks roll back)
 *   commit.c    commit(): retries, lost COMMIT acknowledgements, isolation
 *               of bad records (savepoints) and their report (the worker's
 *               errant-record reporter), the result for the worker
 *   testhooks.c failure injection for the tests, per task
 *
 * All on the task's thread; no locking.
 */
#ifndef KS_JDBC_SINK_H
#define KS_JDBC_SINK_H

#include "jdbc.h"

#include "../../lib/log.h"

enum {
	SRC_KAFKA_TOPIC,
	SRC_KAFKA_PARTITION,
	SRC_KAFKA_OFFSET,
	SRC_KEY,
	SRC_KEY_FIELD,
	SRC_VALUE,
	SRC_VALUE_WHOLE /* a STRING value into string.output.value.column.name */
};
/*
 * Errors: every fallible step returns a ks_err_t and leaves its message in
 * t->errstr and the server's SQLSTATE in t->sqlstate ("" for the
 * connector's own checks and libpq's). The finer distinctions the connector
 * acts on are read from those (session.c):
 *   KS_ERR_RETRIABLE  ks_jdbc_conn_lost(t): the connection is gone (reconnect
 *                     at once; a COMMIT that ends so has an unknown fate);
 *                     ks_jdbc_stale(t): a table or column vanished (reload
 *                     the catalog); else the server's trouble (back off)
 *   KS_ERR_RECORD     t->bad_index: that staged record is bad (or
 *                     t->iso.bad: every one isolate() found); commit.c
 *                     reports them to the errant-record reporter and writes
 *                     the rest. KS_JDBC_UNPINNED: a data error that may be a
 *                     record's (commit.c isolates to find out). From
 *                     stream.c: rolled back, write the batch the usual way
 *   KS_ERR_FATAL      the table, the login, the configuration
 *   KS_ERR_FENCED     fence.c: another task claimed a partition of the batch
 *                     since this one did (t->off.fenced); rolled back
 */
#define KS_JDBC_UNPINNED ((size_t)-1)

typedef struct dbcol {
	char *name;
	unsigned oid;
	char *type; /* format_type() */
	char cat;   /* pg_type.typcategory */
} dbcol_t;

typedef struct jcol {
	char *name; /* as in the table */
	int src;
	int field;                 /* struct field index (SRC_KEY_FIELD, SRC_VALUE) */
	const ks_schema_t *schema; /* NULL for the kafka columns */
	ks_pgtype_t pt;
	int is_key;
	int dbi;       /* index into table->cols, -1 = missing */
	int epoch_div; /* timestamp.fields.list: epoch value / this = microseconds */
} jcol_t;

typedef struct jtable jtable_t;

typedef struct jlayout {
	struct jlayout *next;
	const ks_schema_t *ks, *vs; /* identity (converters intern schemas) */
	int is_delete;
	jcol_t *cols;
	size_t ncols, nkeys; /* keys first */
	int failed;          /* could not be built: every record using it is bad */
	char err[KS_ERRSTR_SIZE];
	int id;
	int stage_ready; /* TEMP staging table exists on this connection */
	int schemaless;  /* schemas inferred from schemaless (JSON) values */
	int matched_gen; /* table->gen the dbi were computed for */
	int direct;      /* insert mode: COPY straight into the table */
	int skip;        /* delete from a table that does not exist */
	/* upsert (write.c): COPY straight into the table first, inside a
	 * savepoint; merge through the staging table on a conflict */
	int copy_ok;    /* may: types as direct, a unique index on the keys */
	int copy_gen;   /* table->gen copy_ok was decided for (ddl.c) */
	int merge_left; /* writes that still merge without trying COPY */
	int merge_span; /* merge_left after the next conflict (doubles) */
} jlayout_t;

struct jtable {
	jtable_t *next;
	char *spec; /* name after ${topic} substitution */
	char *schema, *name;
	char *qname; /* "schema"."table" */
	int resolved, exists, gen;
	char relkind;
	dbcol_t *cols;
	size_t ncols;
	jlayout_t *layouts;
	int bad;
	char err[KS_ERRSTR_SIZE];
};

typedef struct jgroup {
	jtable_t *table;
	jlayout_t *layout;
	int tord; /* table order */
	size_t *rows;
	size_t n, cap;
} jgroup_t;

typedef struct topicmap {
	char *topic;
	jtable_t *table;
} topicmap_t;

/* session.c: the connection and what its setup learned. */
typedef struct ks_jdbc_session {
	PGconn *conn; /* NULL until the first open() with partitions */
	char *cur_db, *cur_schema;
	int tz_utc;         /* the session time zone is UTC */
	int commit_unknown; /* a COMMIT lost its acknowledgement (commit.c) */
	size_t nopen;       /* partitions open (open() minus close()): no connection at 0 */
} ks_jdbc_session_t;

/* catalog.c: tables and their layouts, cached for the task's life. */
typedef struct ks_jdbc_catalog {
	jtable_t *tables;
	topicmap_t *topics; /* topic -> table (table.name.format applied once) */
	size_t ntopics;
	int next_layout_id; /* names the staging tables ks_stage_<id> */
} ks_jdbc_catalog_t;

/* plan.c: the groups of the batch being written (scratch). */
typedef struct ks_jdbc_plan {
	jgroup_t *groups;
	size_t ngroups, capgroups;
	ks_buf_t keys; /* encoded keys (reduction) */
} ks_jdbc_plan_t;

/* fence.c: a partition this task claimed (owner epoch). */
typedef struct jclaim {
	char *topic;
	int32_t partition;
	int64_t epoch; /* > 0 ours with this epoch; 0 closed or fenced: never written */
	int in_tx;     /* claimed inside the open data transaction (not yet committed) */
} jclaim_t;

typedef struct ks_jdbc_offsets {
	char *qname;   /* quoted offsets table, known after session setup */
	char *seqname; /* quoted epoch sequence (<table>_epoch_seq), same schema */
	char owner[128];
	jclaim_t *claims; /* owned, with their topics */
	size_t nclaims, capclaims;
	ks_tp_offset_t *fenced; /* the last commit's fenced partitions (topics owned) */
	size_t nfenced;
} ks_jdbc_offsets_t;

/* commit.c: a record that fails on its own, and why. */
typedef struct jbad {
	size_t index; /* in staged */
	char errstr[KS_ERRSTR_SIZE];
	char sqlstate[6]; /* "" for the connector's own checks */
} jbad_t;

/* commit.c: what isolate() found. */
typedef struct ks_jdbc_iso {
	jbad_t *bad; /* every record that fails alone (ascending) */
	size_t nbad, capbad;
	size_t good; /* rows isolate() wrote without error */
} ks_jdbc_iso_t;

typedef struct kslot {
	uint64_t h;
	size_t off, len;
	int used;
} kslot_t;

/* stream.c: the COPY that runs while the batch is put. */
enum { ST_OFF, ST_ON, ST_STOPPED, ST_NONE, ST_BROKEN };
typedef struct ks_jdbc_stream {
	jtable_t *warm_tb; /* the one table and layout the last batch wrote */
	jlayout_t *warm_l;
	int state;         /* ST_* */
	int into_table;    /* upsert: the COPY goes straight into the table */
	size_t n;          /* staged[0, n) are in the stream */
	const char *topic; /* last topic seen to map to warm_tb */
	ks_buf_t buf;      /* rows not yet handed to libpq */
	ks_buf_t keys;     /* the streamed keys (pk.mode record_key/value) */
	kslot_t *set;
	size_t cap, cnt;
} ks_jdbc_stream_t;

/* testhooks.c: failure injection, per task (see jdbc.h). */
typedef struct ks_jdbc_testhooks {
	int fail_commits;     /* the next n commits fail before COMMIT */
	int lose_acks;        /* the next n COMMITs lose their acknowledgement */
	int streamed_commits; /* commits that wrote through the stream */
	/* upsert writes of a group (write.c, stream.c): COPY into the table
	 * went in; COPY met a key already there and merged instead; merged
	 * without trying COPY (backoff, or not possible) */
	int upsert_copied, upsert_fallbacks, upsert_merged;
	/* called in the data transaction right before the fence check
	 * (offsets), from the task's thread; set by tests/lib/jdbc_hooks.c
	 * only (NULL in the shipped worker) */
	void (*before_fence)(void *arg);
	void *before_fence_arg;
	/* the same right after a passed fence check, before COMMIT */
	void (*after_fence)(void *arg);
	void *after_fence_arg;
} ks_jdbc_testhooks_t;

struct ks_sink_task {
	ks_jdbc_settings_t set;
	char *connector;
	int task_id;
	char ctx[160];
	ks_jdbc_session_t db;
	ks_jdbc_catalog_t cat;
	ks_jdbc_plan_t plan;
	ks_jdbc_offsets_t off;
	ks_jdbc_iso_t iso;
	ks_jdbc_stream_t st;
	ks_jdbc_testhooks_t hooks;
	/* commit.c: a commit in flight (commit_send .. commit_wait), its
	 * offsets borrowed from the worker until commit_wait */
	const ks_tp_offset_t *fl_offs;
	size_t fl_n;
	int in_flight;
	ks_errant_reporter_t *rep; /* the worker's (NULL: none), borrowed */
	/* plugin.c: the records put() since the last successful commit
	 * (borrowed from the worker's batch) */
	ks_record_t **staged;
	size_t nstaged, capstaged;
	ks_buf_t sql, data; /* statement and COPY data scratch */
	/* the last error of a step */
	char errstr[KS_ERRSTR_SIZE];
	char sqlstate[6];
	size_t bad_index;
};

/* --- session.c --- */
void ks_jdbc_sleep_ms(int64_t ms);
/* Records the error of res (or of the connection) in t; its class. */
ks_err_t ks_jdbc_sql_error(ks_sink_task_t *t, PGresult *res, const char *what);
/* Runs a statement without parameters: 0 or the error class. */
ks_err_t ks_jdbc_exec(ks_sink_task_t *t, const char *sql, const char *what);
/* Runs sql with n text parameters: 0 (*out the result when out is not
 * NULL: the caller PQclears it) or the error class. */
ks_err_t ks_jdbc_exec_params(ks_sink_task_t *t, const char *sql, int n, const char *const *params,
                             const char *what, PGresult **out);
/* Rolls the open transaction back when the connection is up. */
void ks_jdbc_rollback(ks_sink_task_t *t);
/* Closes the connection; what was tied to the session is forgotten. */
void ks_jdbc_conn_drop(ks_sink_task_t *t);
/* Connects when there is no healthy connection: 0 or the error class. */
ks_err_t ks_jdbc_conn_ensure(ks_sink_task_t *t);
/* After a KS_ERR_RETRIABLE (as the error left the session): the connection
 * is gone (reconnect, no back-off) / a table or column vanished (reload the
 * catalog). */
int ks_jdbc_conn_lost(const ks_sink_task_t *t);
int ks_jdbc_stale(const ks_sink_task_t *t);

/* --- catalog.c --- */
int ks_jdbc_qualified_name(ks_sink_task_t *t, const char *spec, char **schema, char **name,
                           char **qname);
ks_err_t ks_jdbc_table_load(ks_sink_task_t *t, jtable_t *tb);
jtable_t *ks_jdbc_table_for_topic(ks_sink_task_t *t, const char *topic);
jlayout_t *ks_jdbc_layout_get(ks_sink_task_t *t, jtable_t *tb, const ks_record_t *r, int is_delete);
/* Frees every table and layout (task_destroy). */
void ks_jdbc_catalog_clear(ks_sink_task_t *t);

/* --- plan.c --- */
uint64_t ks_jdbc_fnv(const void *p, size_t n, uint64_t h);
int ks_jdbc_encode_row(ks_sink_task_t *t, ks_buf_t *b, const jlayout_t *l, size_t from, size_t to,
                       const ks_record_t *r);
int ks_jdbc_record_check(ks_sink_task_t *t, const ks_record_t *r);
ks_err_t ks_jdbc_plan(ks_sink_task_t *t, size_t from, size_t limit);
void ks_jdbc_groups_clear(ks_sink_task_t *t);

/* --- ddl.c --- */
/* DDL and staging tables for the current plan. */
ks_err_t ks_jdbc_prepare(ks_sink_task_t *t);

/* --- write.c --- */
extern const char ks_jdbc_copy_header[19];
ks_err_t ks_jdbc_copy_rows(ks_sink_task_t *t, const char *copy_sql, const jgroup_t *g, size_t from,
                           size_t to, size_t ncols);
void ks_jdbc_group_sql(ks_sink_task_t *t, const jtable_t *tb, const jlayout_t *l, ks_buf_t *copy,
                       ks_buf_t *merge);
/* The COPY statement of l into the table itself (into_table) or into the
 * target ks_jdbc_group_sql uses. */
void ks_jdbc_copy_sql(const jtable_t *tb, const jlayout_t *l, int into_table, ks_buf_t *copy);
/* Upsert: whether this write of l tries COPY into the table first (a write
 * that does not counts against the backoff after a conflict). */
int ks_jdbc_copy_first(ks_sink_task_t *t, const jtable_t *tb, jlayout_t *l);
/* A COPY of l into the table met a key already there: the next writes
 * merge directly (extra: writes of this same batch still to come). */
void ks_jdbc_copy_conflict(ks_sink_task_t *t, jlayout_t *l, int extra);
ks_err_t ks_jdbc_write_group(ks_sink_task_t *t, const jgroup_t *g);
ks_err_t ks_jdbc_commit_tx(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs);
ks_err_t ks_jdbc_run_tx(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs, int commit);

/* --- stream.c --- */
void ks_jdbc_stream_abort(ks_sink_task_t *t);
void ks_jdbc_stream_feed(ks_sink_task_t *t, size_t from, size_t to);
ks_err_t ks_jdbc_stream_finish(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs);
/* ks_jdbc_stream_finish in halves (commit_send / commit_wait): send ends
 * the stream up to the offsets, with the merge of the stage in flight when
 * it is the last statement (*sent = 1), else done (*sent = 0, the caller
 * writes the offsets and commits); errors as ks_jdbc_stream_finish. ready:
 * 1 when merge_wait will not block. merge_wait: the merge's result; on an
 * error the transaction is rolled back. */
ks_err_t ks_jdbc_stream_send(ks_sink_task_t *t, int *sent);
int ks_jdbc_stream_ready(ks_sink_task_t *t);
ks_err_t ks_jdbc_stream_merge_wait(ks_sink_task_t *t);

/* --- offsets.c --- */
/* Session setup: names the offsets table and creates it when missing. */
ks_err_t ks_jdbc_offsets_prepare(ks_sink_task_t *t);
void ks_jdbc_offsets_array(ks_buf_t *b, const ks_tp_offset_t *o, size_t n, int what);
ks_err_t ks_jdbc_offsets_write(ks_sink_task_t *t, const char *connector, const ks_tp_offset_t *offs,
                               size_t n);
ks_err_t ks_jdbc_offsets_query(ks_sink_task_t *t, const char *connector, ks_tp_offset_t **out,
                               size_t *nout);
ks_err_t ks_jdbc_offsets_equal(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n, int *same);
ks_err_t ks_jdbc_offsets_read(const ks_props_t *config, const char *connector, ks_tp_offset_t **out,
                              size_t *n, char *errstr, size_t errlen);
ks_err_t ks_jdbc_offsets_alter(const ks_props_t *config, const char *connector,
                               const ks_tp_offset_t *offs, size_t n, int reset_all, char *errstr,
                               size_t errlen);

/* --- fence.c --- */
/* open(): claims the partitions (new owner epochs) and reads where to
 * resume: one entry per partition, offset -1 when the store has none. */
ks_err_t ks_jdbc_offsets_open(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
                              ks_tp_offset_t **out, char *errstr, size_t errlen);
/* In the data transaction, last before COMMIT: writes offs where this task
 * still holds every partition's epoch; KS_ERR_FENCED (t->off.fenced) otherwise. */
ks_err_t ks_jdbc_offsets_commit(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n);
/* The data transaction ended (committed or not): claims made inside it
 * are kept or forgotten. */
void ks_jdbc_offsets_tx_end(ks_sink_task_t *t, int committed);
/* close(): these partitions are no longer ours (never written again
 * before an open() claims them anew). */
void ks_jdbc_offsets_release(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n);
/* task_destroy: the claims and the fenced list. */
void ks_jdbc_offsets_clear(ks_sink_task_t *t);

/* --- commit.c --- */
void ks_jdbc_commit(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n,
                    ks_commit_result_t *res);
/* commit() in halves (connector.h): with a stream open, send ends it up to
 * the merge of the stage and leaves that in flight (1); else it commits
 * (0, res filled). wait ends the commit in flight, falling back to what
 * commit() does on any error. */
int ks_jdbc_commit_send(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n,
                        ks_commit_result_t *res);
void ks_jdbc_commit_wait(ks_sink_task_t *t, ks_commit_result_t *res);
int ks_jdbc_commit_ready(ks_sink_task_t *t);

/* --- plugin.c --- */
ks_sink_task_t *ks_jdbc_task_new(const ks_props_t *config, const char *connector, int task_id,
                                 char *errstr, size_t errlen);
/* Removes staged record index (reported bad); later indexes move down. */
void ks_jdbc_staged_remove(ks_sink_task_t *t, size_t index);
void ks_jdbc_task_destroy(ks_sink_task_t *t);

/* --- sql.c --- */
unsigned ks_jdbc_pgk_oid(ks_pgk_t k, int array);

#endif
