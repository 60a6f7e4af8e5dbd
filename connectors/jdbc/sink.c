/*
 * sink.c — the JDBC sink task for PostgreSQL: stages the records put() hands
 * over and writes them in commit(), together with the Kafka offsets, in ONE
 * transaction (exactly-once: the offsets table is the source of truth the
 * worker seeks to on open()).
 *
 * commit() in order:
 *   1. connect lazily (connection.attempts x connection.backoff.ms);
 *   2. plan: group the staged records by destination table and column layout
 *      (key schema x value schema), reduce to the last change per key
 *      (upsert/update/delete need it: ON CONFLICT cannot touch a row twice),
 *      deletes of a table before its writes;
 *   3. DDL in its own autocommit statements (auto.create / auto.evolve,
 *      session-private staging tables), never inside the data transaction;
 *   4. BEGIN; per group binary COPY (straight into the table for insert mode
 *      when every column type matches, else into a TEMP staging table and
 *      INSERT .. SELECT [ON CONFLICT .. DO UPDATE] / UPDATE .. FROM /
 *      DELETE .. USING); offsets upsert; COMMIT.
 * Failures: a lost connection or an outage SQLSTATE (08xxx, 40001, 40P01,
 * 53xxx, 55P03, 57xxx, 58xxx, XXxxx) is retried inside commit up to
 * max.retries times (retry.backoff.ms apart; reconnects do not wait) and
 * then reported as RETRIABLE; the worker keeps the batch and calls commit
 * again later. Every retry runs on a new connection, so a session-bound
 * error (a role's statement_timeout, a terminated backend, a server-side
 * change) does not outlive its session. Any other error (22xxx, 23xxx,
 * 42xxx, a trigger's P0001, 54000, ...) is decided by behaviour: isolate()
 * writes the planned rows again in one rolled-back transaction, in ranges
 * under savepoints split in halves down to single rows, and every record
 * that fails on its own while the rest goes in is bad, whatever its
 * SQLSTATE. They are reported together as KS_ERR_RECORD (bad_index + more);
 * discard() removes them. An internal error (XX) that outlasts the retry
 * budget is isolated the same way, so one record that always raises it ends
 * in the DLQ instead of stalling its partition. Table-level errors (no
 * unique index for ON CONFLICT, permission denied, login/database) fail the
 * task.
 *
 * A COMMIT whose acknowledgement is lost is resolved on reconnect by reading
 * the offsets table (equal offsets = it committed), so nothing is written
 * twice. Schemaless JSON values (no schema, member names kept) are written
 * into existing tables, their types taken from the table.
 *
 * All on the task's thread; no locking. Values only travel as COPY data or
 * bound parameters, identifiers are always quoted (sql.c).
 */
#include "jdbc.h"

#include "../../lib/log.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

unsigned ks_jdbc_pgk_oid(ks_pgk_t k, int array);

enum {
	SRC_KAFKA_TOPIC,
	SRC_KAFKA_PARTITION,
	SRC_KAFKA_OFFSET,
	SRC_KEY,
	SRC_KEY_FIELD,
	SRC_VALUE,
	SRC_VALUE_WHOLE /* a STRING value into string.output.value.column.name */
};
enum { E_OK = 0, E_CONN, E_TRANSIENT, E_DATA, E_STALE, E_FATAL, E_RECORD, E_REDO };

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

struct ks_sink_task {
	ks_jdbc_settings_t set;
	char *connector;
	int task_id;
	char ctx[160];
	PGconn *conn;
	char *cur_db, *cur_schema;
	char *offq; /* quoted offsets table */
	int tz_utc;
	int next_layout_id;
	jtable_t *tables;
	topicmap_t *topics;
	size_t ntopics;
	ks_record_t **staged;
	size_t nstaged, capstaged;
	/* plan scratch */
	jgroup_t *groups;
	size_t ngroups, capgroups;
	ks_buf_t sql, data, keys;
	/* last error of a step */
	char errstr[KS_ERRSTR_SIZE];
	char sqlstate[6];
	size_t bad_index;
	ks_bad_record_t *bad; /* isolate(): every record that fails alone */
	size_t nbad, capbad;
	size_t iso_good;    /* rows isolate() wrote without error */
	int commit_unknown; /* a COMMIT lost its acknowledgement */
	size_t nopen;       /* partitions open (open() minus close()): no connection at 0 */
	/* streaming (stream_feed) */
	jtable_t *warm_tb; /* the one table and layout the last batch wrote */
	jlayout_t *warm_l;
	int st;               /* ST_* */
	size_t st_n;          /* staged[0, st_n) are in the stream */
	const char *st_topic; /* last topic seen to map to warm_tb */
	ks_buf_t st_buf;      /* rows not yet handed to libpq */
	ks_buf_t st_keys;     /* the streamed keys (pk.mode record_key/value) */
	struct kslot *st_set;
	size_t st_cap, st_cnt;
};

typedef struct kslot {
	uint64_t h;
	size_t off, len;
	int used;
} kslot_t;

static int fail_commits, lose_acks;
static _Atomic int streamed_commits;

/* snprintf without the truncation warnings: messages are cut on purpose. */
static void xsnprintf(char *dst, size_t n, const char *fmt, ...) KS_PRINTF(3, 4);
static void xsnprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

void ks_jdbc_test_fail_commits(int n)
{
	fail_commits = n;
}

int ks_jdbc_test_streamed_commits(void)
{
	return streamed_commits;
}

void ks_jdbc_test_lose_commit_acks(int n)
{
	lose_acks = n;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* --- error classification --- */

/* Connection, resources, operator intervention, system and internal
 * errors: the server's trouble, never a record's (XX: unless it outlasts the
 * retry budget and isolate() pins it to records, see jdbc_commit). */
static int is_outage_state(const char *st)
{
	return !strcmp(st, "40001") || !strcmp(st, "40P01") || !strncmp(st, "53", 2) ||
	       !strcmp(st, "55P03") || !strncmp(st, "57", 2) || !strncmp(st, "58", 2) ||
	       !strncmp(st, "XX", 2);
}

static int classify_state(const char *st)
{
	if (!st || !*st)
		return E_CONN;
	if (!strncmp(st, "08", 2) || !strcmp(st, "57P01") || !strcmp(st, "57P02") ||
	    !strcmp(st, "57P03"))
		return E_CONN;
	if (is_outage_state(st))
		return E_TRANSIENT;
	if (!strcmp(st, "42P01") || !strcmp(st, "42703"))
		return E_STALE; /* table/column vanished: reload the catalog and retry */
	/* the table or the login, not a record: no unique index for ON
	 * CONFLICT, permission denied, authorization, unknown database, a
	 * transaction state we did not expect */
	if (!strcmp(st, "42P10") || !strcmp(st, "42501") || !strncmp(st, "28", 2) ||
	    !strncmp(st, "3D", 2) || !strncmp(st, "25", 2))
		return E_FATAL;
	/* everything else may depend on the row (22 data, 23 constraints, 42,
	 * a trigger's P0001, 54000 program limits, ...): isolate() decides */
	return E_DATA;
}

/* Records the error of res (or of the connection) into t; returns its class. */
static int sql_error(ks_sink_task_t *t, PGresult *res, const char *what)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res && !t->set.trim_sensitive
	                             ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
	                             : NULL;
	const char *where = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	int cls;

	if (!msg || !*msg)
		msg = t->conn ? PQerrorMessage(t->conn) : "no connection";
	xsnprintf(t->sqlstate, sizeof(t->sqlstate), "%s", st ? st : "");
	xsnprintf(t->errstr, sizeof(t->errstr), "%s: %s%s%s%s%s%s%s", what, msg, detail ? " (" : "",
	          detail ? detail : "", detail ? ")" : "", where ? " [" : "", where ? where : "",
	          where ? "]" : "");
	/* strip the newline libpq ends messages with */
	for (char *p = t->errstr; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!t->conn || PQstatus(t->conn) != CONNECTION_OK)
		return E_CONN;
	cls = classify_state(st);
	return cls;
}

/* Runs a statement without parameters; 0 ok, else the error class. */
static int exec_cmd(ks_sink_task_t *t, const char *sql, const char *what)
{
	PGresult *res = PQexec(t->conn, sql);
	int rc = 0;

	if (!res ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		rc = sql_error(t, res, what);
	PQclear(res);
	return rc;
}

/* --- connection --- */

static void conn_drop(ks_sink_task_t *t)
{
	if (t->conn)
		PQfinish(t->conn);
	t->conn = NULL;
	for (jtable_t *tb = t->tables; tb; tb = tb->next) {
		tb->resolved = 0;
		for (jlayout_t *l = tb->layouts; l; l = l->next)
			l->stage_ready = 0;
	}
}

static int is_utc(const char *z)
{
	static const char *const u[] = {"UTC", "Z",         "GMT",  "UT",   "Etc/UTC", "Etc/GMT",
	                                "UCT", "Universal", "Zulu", "GMT0", "Etc/UCT", NULL};
	for (int i = 0; u[i]; i++)
		if (ks_strcaseeq(z, u[i]))
			return 1;
	return 0;
}

static int qualified_name(ks_sink_task_t *t, const char *spec, char **schema, char **name,
                          char **qname);

static int conn_setup(ks_sink_task_t *t)
{
	const char *tz = t->set.db_timezone && !ks_strcaseeq(t->set.db_timezone, "Z")
	                         ? t->set.db_timezone
	                         : "UTC";
	const char *params[1] = {tz};
	PGresult *res;
	char *sch = NULL, *nm = NULL;
	int rc;

	PQsetNoticeProcessor(t->conn, quiet_notice, NULL);
	res = PQexecParams(t->conn,
	                   "SELECT current_database(), current_schema(), "
	                   "set_config('TimeZone', $1, false)",
	                   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = sql_error(t, res, "session setup");
		PQclear(res);
		return rc == E_DATA ? E_FATAL : rc;
	}
	free(t->cur_db);
	free(t->cur_schema);
	t->cur_db = strdup(PQgetvalue(res, 0, 0));
	t->cur_schema = strdup(PQgetisnull(res, 0, 1) ? "public" : PQgetvalue(res, 0, 1));
	PQclear(res);
	if (!t->cur_db || !t->cur_schema) {
		xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
		return E_FATAL;
	}
	t->tz_utc = is_utc(tz);
	/* the offsets table (exactly-once store) */
	free(t->offq);
	t->offq = NULL;
	if (qualified_name(t, t->set.offsets_table, &sch, &nm, &t->offq)) {
		free(sch);
		free(nm);
		return E_FATAL;
	}
	free(sch);
	free(nm);
	/* only CREATE when missing: CREATE .. IF NOT EXISTS needs the CREATE
	 * privilege on the schema even when the table is there */
	{
		const char *p1[1] = {t->offq};
		res = PQexecParams(t->conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, p1, NULL,
		                   NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = sql_error(t, res, "offsets table lookup");
			PQclear(res);
			return rc == E_DATA ? E_FATAL : rc;
		}
		rc = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (rc)
			return 0;
	}
	ks_buf_reset(&t->sql);
	ks_buf_printf(
	        &t->sql,
	        "CREATE TABLE IF NOT EXISTS %s (connector TEXT NOT NULL, topic TEXT NOT NULL, "
	        "\"partition\" INT NOT NULL, next_offset BIGINT NOT NULL, updated_at "
	        "TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (connector, topic, "
	        "\"partition\"))",
	        t->offq);
	rc = exec_cmd(t, t->sql.data, "create offsets table");
	if (rc && rc != E_CONN) /* a concurrent CREATE by another task: once more */
		rc = exec_cmd(t, t->sql.data, "create offsets table");
	return rc;
}

/* Connects when there is no healthy connection: connection.attempts tries,
 * connection.backoff.ms apart. 0 or an error class. */
static int conn_ensure(ks_sink_task_t *t)
{
	if (t->conn && PQstatus(t->conn) == CONNECTION_OK) {
		PGTransactionStatusType ts = PQtransactionStatus(t->conn);
		if (ts == PQTRANS_IDLE)
			return 0;
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
			PQclear(PQexec(t->conn, "ROLLBACK"));
			if (PQtransactionStatus(t->conn) == PQTRANS_IDLE)
				return 0;
		}
	}
	conn_drop(t);
	for (int i = 0; i < t->set.attempts; i++) {
		if (i)
			sleep_ms(t->set.backoff_ms);
		t->conn = PQconnectdb(t->set.conninfo);
		if (t->conn && PQstatus(t->conn) == CONNECTION_OK) {
			int rc = conn_setup(t);
			if (!rc) {
				KS_INFO(t->ctx, "connected to %s", t->set.conninfo_safe);
				return 0;
			}
			if (rc != E_CONN && rc != E_TRANSIENT) {
				conn_drop(t);
				return rc;
			}
		} else {
			xsnprintf(t->errstr, sizeof(t->errstr),
			          "could not connect to the database (attempt %d of %d): %s", i + 1,
			          t->set.attempts,
			          t->conn ? PQerrorMessage(t->conn) : "out of memory");
			for (char *p = t->errstr; *p; p++)
				if (*p == '\n')
					*p = ' ';
			xsnprintf(t->sqlstate, sizeof(t->sqlstate), "08001");
		}
		KS_WARN(t->ctx, "%s", t->errstr);
		conn_drop(t);
	}
	return E_CONN;
}

/* --- table names and catalog --- */

/* [catalog.][schema.]table -> schema, table and the quoted qualified name. */
static int qualified_name(ks_sink_task_t *t, const char *spec, char **schema, char **name,
                          char **qname)
{
	char *cat = NULL;
	ks_buf_t b = KS_BUF_INIT;

	*schema = *name = *qname = NULL;
	if (ks_jdbc_parse_table(spec, t->set.quote_never, &cat, schema, name, t->errstr,
	                        sizeof(t->errstr)))
		return -1;
	if (cat && t->cur_db && strcmp(cat, t->cur_db)) {
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "table name '%s' names database '%s' but the connection is to '%s' "
		          "(cross-database references are not supported by Postgres)",
		          spec, cat, t->cur_db);
		free(cat);
		return -1;
	}
	free(cat);
	if (!*schema && !(*schema = strdup(t->cur_schema ? t->cur_schema : "public")))
		goto oom;
	ks_jdbc_quote_ident(&b, *schema);
	ks_buf_putc(&b, '.');
	ks_jdbc_quote_ident(&b, *name);
	if (!(*qname = ks_buf_steal(&b)))
		goto oom;
	return 0;
oom:
	xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
	return -1;
}

static void table_free_cols(jtable_t *tb)
{
	for (size_t i = 0; i < tb->ncols; i++) {
		free(tb->cols[i].name);
		free(tb->cols[i].type);
	}
	free(tb->cols);
	tb->cols = NULL;
	tb->ncols = 0;
}

/* Loads relkind and columns of tb from pg_catalog (exact names, no LIKE). */
static int table_load(ks_sink_task_t *t, jtable_t *tb)
{
	const char *params[2];
	PGresult *res;
	int rc;

	if (tb->bad)
		return 0;
	if (!tb->qname) {
		if (qualified_name(t, tb->spec, &tb->schema, &tb->name, &tb->qname)) {
			tb->bad = 1;
			xsnprintf(tb->err, sizeof(tb->err), "%s", t->errstr);
			return 0;
		}
	}
	params[0] = tb->schema;
	params[1] = tb->name;
	res = PQexecParams(t->conn,
	                   "SELECT c.relkind, a.attname, a.atttypid, "
	                   "pg_catalog.format_type(a.atttypid, a.atttypmod), ty.typcategory "
	                   "FROM pg_catalog.pg_class c "
	                   "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	                   "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
	                   "AND a.attnum > 0 AND NOT a.attisdropped "
	                   "LEFT JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
	                   "WHERE n.nspname = $1 AND c.relname = $2 "
	                   "AND c.relkind IN ('r', 'p', 'v', 'f', 'm') ORDER BY a.attnum",
	                   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = sql_error(t, res, "catalog lookup");
		PQclear(res);
		return rc;
	}
	table_free_cols(tb);
	tb->exists = PQntuples(res) > 0;
	tb->relkind = tb->exists ? PQgetvalue(res, 0, 0)[0] : 0;
	if (tb->exists && !PQgetisnull(res, 0, 1)) {
		int n = PQntuples(res);
		if (!(tb->cols = calloc((size_t)n, sizeof(*tb->cols)))) {
			PQclear(res);
			xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
			return E_FATAL;
		}
		for (int i = 0; i < n; i++) {
			dbcol_t *c = &tb->cols[tb->ncols];
			c->name = strdup(PQgetvalue(res, i, 1));
			c->oid = (unsigned)strtoul(PQgetvalue(res, i, 2), NULL, 10);
			c->type = strdup(PQgetvalue(res, i, 3));
			c->cat = PQgetvalue(res, i, 4)[0];
			tb->ncols++;
			if (!c->name || !c->type) {
				PQclear(res);
				xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
				return E_FATAL;
			}
		}
	}
	PQclear(res);
	tb->resolved = 1;
	tb->gen++;
	return 0;
}

static jtable_t *table_for_topic(ks_sink_task_t *t, const char *topic)
{
	ks_buf_t b = KS_BUF_INIT;
	const char *f = t->set.table_format, *p;
	jtable_t *tb;
	char *spec;

	for (size_t i = 0; i < t->ntopics; i++)
		if (!strcmp(t->topics[i].topic, topic))
			return t->topics[i].table;
	while ((p = strstr(f, "${topic}"))) {
		ks_buf_append(&b, f, (size_t)(p - f));
		ks_buf_puts(&b, topic);
		f = p + 8;
	}
	ks_buf_puts(&b, f);
	if (!(spec = ks_buf_steal(&b)))
		return NULL;
	for (tb = t->tables; tb; tb = tb->next)
		if (!strcmp(tb->spec, spec))
			break;
	if (!tb) {
		if (!(tb = calloc(1, sizeof(*tb)))) {
			free(spec);
			return NULL;
		}
		tb->spec = spec;
		spec = NULL;
		tb->next = t->tables;
		t->tables = tb;
	}
	free(spec);
	topicmap_t *tm = realloc(t->topics, (t->ntopics + 1) * sizeof(*tm));
	if (!tm)
		return NULL;
	t->topics = tm;
	if (!(tm[t->ntopics].topic = strdup(topic)))
		return NULL;
	tm[t->ntopics++].table = tb;
	return tb;
}

/* --- layouts: the columns a (key schema, value schema) pair writes --- */

static int name_in(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

static int layout_add(jlayout_t *l, ks_sink_task_t *t, const char *name, int src, int field,
                      const ks_schema_t *schema, int is_key)
{
	jcol_t *c;
	jcol_t *nc = realloc(l->cols, (l->ncols + 1) * sizeof(*nc));

	if (!nc)
		return -1;
	l->cols = nc;
	c = &l->cols[l->ncols];
	memset(c, 0, sizeof(*c));
	c->dbi = -1;
	c->src = src;
	c->field = field;
	c->schema = schema;
	c->is_key = is_key;
	if (!(c->name = ks_jdbc_ident_norm(name, t->set.quote_never)))
		return -1;
	l->ncols++;
	for (size_t i = 0; i + 1 < l->ncols; i++)
		if (!strcmp(l->cols[i].name, c->name)) {
			xsnprintf(l->err, sizeof(l->err), "two fields map to column \"%s\"",
			          c->name);
			return -2;
		}
	if (src == SRC_KAFKA_TOPIC) {
		c->pt.kind = KS_PGK_TEXT;
		xsnprintf(c->pt.ddl, sizeof(c->pt.ddl), "TEXT");
		xsnprintf(c->pt.stage, sizeof(c->pt.stage), "text");
		c->pt.oid = 25;
	} else if (src == SRC_KAFKA_PARTITION) {
		c->pt.kind = KS_PGK_INT4;
		xsnprintf(c->pt.ddl, sizeof(c->pt.ddl), "INT");
		xsnprintf(c->pt.stage, sizeof(c->pt.stage), "int4");
		c->pt.oid = 23;
	} else if (src == SRC_KAFKA_OFFSET) {
		c->pt.kind = KS_PGK_INT8;
		xsnprintf(c->pt.ddl, sizeof(c->pt.ddl), "BIGINT");
		xsnprintf(c->pt.stage, sizeof(c->pt.stage), "int8");
		c->pt.oid = 20;
	} else if (src == SRC_VALUE && schema->logical == KS_LOGICAL_NONE &&
	           (schema->type == KS_TYPE_INT64 || schema->type == KS_TYPE_STRING) &&
	           name_in(t->set.ts_fields, t->set.nts_fields, name)) {
		/* timestamp.fields.list (Java 10.8.3): epoch micros/nanos */
		c->epoch_div = t->set.ts_nanos ? 1000 : 1;
		c->pt.kind = KS_PGK_TIMESTAMPTZ;
		xsnprintf(c->pt.ddl, sizeof(c->pt.ddl), "%s",
		          t->set.timestamptz ? "TIMESTAMPTZ" : "TIMESTAMP");
		xsnprintf(c->pt.stage, sizeof(c->pt.stage), "timestamptz");
		c->pt.oid = 1184;
	} else if (l->schemaless &&
	           (schema->type == KS_TYPE_ARRAY || schema->type == KS_TYPE_STRUCT ||
	            schema->type == KS_TYPE_MAP)) {
		/* schemaless objects and arrays: their JSON, into json/jsonb */
		c->pt.kind = KS_PGK_JSONB;
		xsnprintf(c->pt.ddl, sizeof(c->pt.ddl), "JSONB");
		xsnprintf(c->pt.stage, sizeof(c->pt.stage), "jsonb");
		c->pt.oid = 3802;
	} else if (ks_jdbc_pgtype(schema, t->set.timestamptz, t->set.struct_jsonb, &c->pt, l->err,
	                          sizeof(l->err))) {
		char tmp[KS_ERRSTR_SIZE];
		xsnprintf(tmp, sizeof(tmp), "field '%s': %s", name, l->err);
		xsnprintf(l->err, sizeof(l->err), "%s", tmp);
		return -2;
	}
	return 0;
}

static int layout_build(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, const ks_record_t *r)
{
	const ks_jdbc_settings_t *s = &t->set;
	const ks_schema_t *ks = l->ks, *vs = l->vs;
	int rc = 0;

	(void)r;
	switch (s->pk_mode) {
	case KS_JDBC_PK_NONE:
		break;
	case KS_JDBC_PK_KAFKA: {
		static const char *const defs[3] = {"__connect_topic", "__connect_partition",
		                                    "__connect_offset"};
		const char *const *n =
		        s->npk_fields == 3 ? (const char *const *)s->pk_fields : defs;
		if (s->npk_fields != 0 && s->npk_fields != 3) {
			xsnprintf(l->err, sizeof(l->err),
			          "pk.mode=kafka needs no pk.fields or exactly 3, got %zu",
			          s->npk_fields);
			return -2;
		}
		for (int i = 0; i < 3 && !rc; i++)
			rc = layout_add(l, t, n[i], SRC_KAFKA_TOPIC + i, -1, NULL, 1);
		break;
	}
	case KS_JDBC_PK_RECORD_KEY:
		if (!ks) {
			xsnprintf(l->err, sizeof(l->err),
			          "pk.mode=record_key needs a key schema, the record has none");
			return -2;
		}
		if (ks->type == KS_TYPE_STRUCT) {
			if (s->npk_fields) {
				for (size_t i = 0; i < s->npk_fields && !rc; i++) {
					const ks_field_t *f = ks_schema_field(ks, s->pk_fields[i]);
					if (!f) {
						xsnprintf(
						        l->err, sizeof(l->err),
						        "PK mode for table '%s' is RECORD_KEY with "
						        "configured PK fields, but record key "
						        "schema "
						        "does not contain field: %s",
						        tb->spec, s->pk_fields[i]);
						return -2;
					}
					rc = layout_add(l, t, f->name, SRC_KEY_FIELD, f->index,
					                f->schema, 1);
				}
			} else {
				for (size_t i = 0; i < ks->nfields && !rc; i++)
					rc = layout_add(l, t, ks->fields[i].name, SRC_KEY_FIELD,
					                (int)i, ks->fields[i].schema, 1);
			}
		} else if (ks->type == KS_TYPE_MAP || ks->type == KS_TYPE_ARRAY) {
			xsnprintf(l->err, sizeof(l->err),
			          "key schema must be primitive or Struct, "
			          "was %s",
			          ks_type_name(ks->type));
			return -2;
		} else {
			if (s->npk_fields != 1) {
				xsnprintf(l->err, sizeof(l->err),
				          "Need exactly one PK column defined since the key schema "
				          "for "
				          "records is a primitive type, defined columns are: %zu "
				          "(set pk.fields to the column name)",
				          s->npk_fields);
				return -2;
			}
			rc = layout_add(l, t, s->pk_fields[0], SRC_KEY, -1, ks, 1);
		}
		break;
	case KS_JDBC_PK_RECORD_VALUE:
		if (!vs) {
			xsnprintf(l->err, sizeof(l->err), "pk.mode=record_value needs a value");
			return -2;
		}
		if (s->npk_fields) {
			for (size_t i = 0; i < s->npk_fields && !rc; i++) {
				const ks_field_t *f = ks_schema_field(vs, s->pk_fields[i]);
				if (!f) {
					xsnprintf(l->err, sizeof(l->err),
					          "PK mode for table '%s' is RECORD_VALUE with "
					          "configured PK fields, but record value schema "
					          "does "
					          "not contain field: %s",
					          tb->spec, s->pk_fields[i]);
					return -2;
				}
				rc = layout_add(l, t, f->name, SRC_VALUE, f->index, f->schema, 1);
			}
		} else {
			for (size_t i = 0; i < vs->nfields && !rc; i++)
				rc = layout_add(l, t, vs->fields[i].name, SRC_VALUE, (int)i,
				                vs->fields[i].schema, 1);
		}
		break;
	}
	if (rc)
		return rc;
	l->nkeys = l->ncols;
	if (vs && vs->type == KS_TYPE_STRING) {
		/* StringConverter values (Java 10.9.4): one column */
		if ((rc = layout_add(l, t, s->string_col, SRC_VALUE_WHOLE, -1, vs, 0)))
			return rc;
		vs = NULL;
	}
	for (size_t i = 0; vs && i < vs->nfields && !rc; i++) {
		const char *fn = vs->fields[i].name;
		int dup = 0;
		if (s->pk_mode == KS_JDBC_PK_RECORD_VALUE) {
			for (size_t k = 0; k < l->nkeys; k++)
				if (l->cols[k].src == SRC_VALUE && l->cols[k].field == (int)i)
					dup = 1;
		} else {
			char *nn = ks_jdbc_ident_norm(fn, s->quote_never);
			if (!nn)
				return -1;
			for (size_t k = 0; k < l->nkeys; k++)
				if (!strcmp(l->cols[k].name, nn))
					dup = 1; /* the key wins */
			free(nn);
		}
		if (dup || (s->nwhitelist && !name_in(s->whitelist, s->nwhitelist, fn)))
			continue;
		rc = layout_add(l, t, fn, SRC_VALUE, (int)i, vs->fields[i].schema, 0);
	}
	if (rc)
		return rc;
	if (!l->ncols) {
		xsnprintf(l->err, sizeof(l->err),
		          "No fields found using key and value schemas for table: %s", tb->spec);
		return -2;
	}
	if (!l->is_delete && !l->nkeys && s->insert_mode != KS_JDBC_INSERT) {
		xsnprintf(l->err, sizeof(l->err),
		          "Write to table '%s' in %s mode requires key field names to be known, "
		          "check the primary key configuration",
		          tb->spec, s->insert_mode == KS_JDBC_UPSERT ? "UPSERT" : "UPDATE");
		return -2;
	}
	return 0;
}

static void layout_free(jlayout_t *l)
{
	for (size_t i = 0; i < l->ncols; i++)
		free(l->cols[i].name);
	free(l->cols);
	ks_schema_unref((ks_schema_t *)l->ks);
	ks_schema_unref((ks_schema_t *)l->vs);
	free(l);
}

static int schema_same(const ks_schema_t *a, const ks_schema_t *b)
{
	return a == b || (a && b && ks_schema_equal(a, b));
}

/* A schema for a schemaless value (JSON without schemas.enable): objects
 * become STRUCTs with their member names, every field optional, nulls
 * STRING; arrays and maps stay untyped (written as JSON). NULL on OOM. */
static ks_schema_t *infer_schema(const ks_value_t *v)
{
	ks_schema_t *s = ks_schema_new(v->is_null ? KS_TYPE_STRING : v->type);

	if (!s)
		return NULL;
	s->optional = 1;
	if (!v->is_null && v->type == KS_TYPE_STRUCT && v->u.st.names)
		for (size_t i = 0; i < v->u.st.n; i++) {
			ks_schema_t *f = infer_schema(&v->u.st.fields[i]);
			if (!f || ks_schema_add_field(s, v->u.st.names[i], f)) {
				ks_schema_unref(s);
				return NULL;
			}
		}
	return s;
}

static jlayout_t *layout_find(jtable_t *tb, const ks_schema_t *ks, const ks_schema_t *vs,
                              int is_delete)
{
	jlayout_t *l;

	for (l = tb->layouts; l; l = l->next)
		if (l->is_delete == is_delete && l->ks == ks && l->vs == vs)
			return l;
	/* converters intern schemas, but equal schemas from different
	 * objects (and inferred ones) must not grow the cache */
	for (l = tb->layouts; l; l = l->next)
		if (l->is_delete == is_delete && schema_same(l->ks, ks) && schema_same(l->vs, vs))
			return l;
	return NULL;
}

static jlayout_t *layout_get(ks_sink_task_t *t, jtable_t *tb, const ks_record_t *r, int is_delete)
{
	const ks_schema_t *ks = r->key_schema, *vs = is_delete ? NULL : r->value_schema;
	ks_schema_t *sk = NULL, *sv = NULL;
	jlayout_t *l;

	if ((l = layout_find(tb, ks, vs, is_delete)))
		return l;
	if (!ks && t->set.pk_mode == KS_JDBC_PK_RECORD_KEY && r->key && !r->key->is_null) {
		if (!(ks = sk = infer_schema(r->key)))
			return NULL;
	}
	if (!is_delete && !vs && r->value) {
		if (!(vs = sv = infer_schema(r->value))) {
			ks_schema_unref(sk);
			return NULL;
		}
	}
	if ((sk || sv) && (l = layout_find(tb, ks, vs, is_delete)))
		goto out;
	if (!(l = calloc(1, sizeof(*l))))
		goto out;
	/* the layout keeps its schemas alive: column schemas point into them */
	l->ks = ks_schema_ref((ks_schema_t *)ks);
	l->vs = ks_schema_ref((ks_schema_t *)vs);
	l->is_delete = is_delete;
	l->schemaless = sk || sv;
	l->id = ++t->next_layout_id;
	l->matched_gen = -1;
	int rc = layout_build(t, tb, l, r);
	if (rc == -1) {
		layout_free(l);
		l = NULL;
		goto out;
	}
	if (rc)
		l->failed = 1;
	l->next = tb->layouts;
	tb->layouts = l;
out:
	ks_schema_unref(sk);
	ks_schema_unref(sv);
	return l;
}

/* --- row encoding --- */

/* timestamp.fields.list: an INT64 or numeric STRING of epoch micros (or
 * nanos) as a TimestampMicros value in *tmp. */
static int epoch_value(const jcol_t *c, const ks_value_t *v, ks_value_t *tmp, const ks_schema_t **s,
                       char *err, size_t errlen)
{
	static const ks_schema_t ts_us = {.type = KS_TYPE_INT64,
	                                  .logical = KS_LOGICAL_TIMESTAMP_MICROS};
	int64_t x;

	if (v->type == KS_TYPE_STRING) {
		char buf[32], *end;
		if (!v->u.s.len || v->u.s.len >= sizeof(buf))
			return ks_seterr(err, errlen, -1, "not an epoch number");
		memcpy(buf, v->u.s.ptr, v->u.s.len);
		buf[v->u.s.len] = 0;
		errno = 0;
		x = strtoll(buf, &end, 10);
		if (errno || *end)
			return ks_seterr(err, errlen, -1, "'%s' is not an epoch number", buf);
	} else {
		x = v->u.i;
	}
	memset(tmp, 0, sizeof(*tmp));
	tmp->type = KS_TYPE_INT64;
	/* floor division: instants before 1970 stay in their microsecond */
	tmp->u.i = x / c->epoch_div - (x % c->epoch_div < 0);
	*s = &ts_us;
	return 0;
}

static void col_value(const ks_sink_task_t *t, const jcol_t *c, const ks_record_t *r,
                      ks_value_t *tmp, const ks_schema_t **s, const ks_value_t **v)
{
	const ks_value_t *st = NULL;

	*s = c->schema;
	*v = NULL;
	switch (c->src) {
	case SRC_KAFKA_TOPIC:
		memset(tmp, 0, sizeof(*tmp));
		tmp->type = KS_TYPE_STRING;
		tmp->u.s.ptr = r->topic;
		tmp->u.s.len = strlen(r->topic);
		*v = tmp;
		return;
	case SRC_KAFKA_PARTITION:
	case SRC_KAFKA_OFFSET:
		memset(tmp, 0, sizeof(*tmp));
		tmp->type = c->src == SRC_KAFKA_PARTITION ? KS_TYPE_INT32 : KS_TYPE_INT64;
		tmp->u.i = c->src == SRC_KAFKA_PARTITION ? r->partition : r->offset;
		*v = tmp;
		return;
	case SRC_KEY:
		*v = r->key;
		break;
	case SRC_KEY_FIELD:
		st = r->key;
		break;
	case SRC_VALUE:
		st = r->value;
		break;
	case SRC_VALUE_WHOLE:
		*v = r->value;
		break;
	}
	if (st && !st->is_null && st->type == KS_TYPE_STRUCT && c->field >= 0 &&
	    (size_t)c->field < st->u.st.n)
		*v = &st->u.st.fields[c->field];
	if ((!*v || (*v)->is_null) && t->set.replace_null_with_default && c->schema &&
	    c->schema->default_value)
		*v = c->schema->default_value;
}

/* Appends the binary COPY tuple of r (columns [from, to) of l). */
static int encode_row(ks_sink_task_t *t, ks_buf_t *b, const jlayout_t *l, size_t from, size_t to,
                      const ks_record_t *r)
{
	unsigned char nf[2] = {(unsigned char)((to - from) >> 8), (unsigned char)(to - from)};
	ks_value_t tmp;

	ks_buf_append(b, nf, 2);
	for (size_t i = from; i < to; i++) {
		const jcol_t *c = &l->cols[i];
		const ks_schema_t *s;
		const ks_value_t *v;
		char err[KS_ERRSTR_SIZE];

		col_value(t, c, r, &tmp, &s, &v);
		int bad = 0;
		if (c->epoch_div && v && !v->is_null) {
			bad = epoch_value(c, v, &tmp, &s, err, sizeof(err));
			v = &tmp;
		}
		if (bad || ks_jdbc_encode(b, s, v, &c->pt, err, sizeof(err))) {
			xsnprintf(t->errstr, sizeof(t->errstr), "%s[%d]@%lld column \"%s\": %s",
			          r->topic, (int)r->partition, (long long)r->offset, c->name, err);
			return -1;
		}
	}
	return 0;
}

/* --- plan: group, reduce --- */

typedef struct rentry {
	uint64_t hash;
	jtable_t *table;
	size_t koff, klen;
	size_t last;
	int last_delete, need_delete;
	int used;
} rentry_t;

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

static jgroup_t *group_get(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, int tord)
{
	for (size_t i = 0; i < t->ngroups; i++)
		if (t->groups[i].layout == l)
			return &t->groups[i];
	if (t->ngroups == t->capgroups) {
		size_t nc = t->capgroups ? t->capgroups * 2 : 8;
		jgroup_t *g = realloc(t->groups, nc * sizeof(*g));
		if (!g)
			return NULL;
		t->groups = g;
		t->capgroups = nc;
	}
	jgroup_t *g = &t->groups[t->ngroups++];
	memset(g, 0, sizeof(*g));
	g->table = tb;
	g->layout = l;
	g->tord = tord;
	return g;
}

static int group_add(jgroup_t *g, size_t idx)
{
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 64;
		size_t *r = realloc(g->rows, nc * sizeof(*r));
		if (!r)
			return -1;
		g->rows = r;
		g->cap = nc;
	}
	g->rows[g->n++] = idx;
	return 0;
}

static void groups_clear(ks_sink_task_t *t)
{
	for (size_t i = 0; i < t->ngroups; i++)
		free(t->groups[i].rows);
	t->ngroups = 0;
}

static int cmp_group(const void *a, const void *b)
{
	const jgroup_t *x = a, *y = b;
	if (x->tord != y->tord)
		return x->tord - y->tord;
	/* deletes of a table first (they only touch keys whose final state is
	 * "deleted" or that are re-written afterwards) */
	return (y->layout->is_delete) - (x->layout->is_delete);
}

/* Validates one record for the write path; 0 ok, else fills t->errstr.
 * (Runs for every record: the location text is only formatted on error.) */
#define BAD_RECORD(fmt, ...)                                                                       \
	(xsnprintf(t->errstr, sizeof(t->errstr), "%s[%d]@%lld: " fmt, r->topic, (int)r->partition, \
	           (long long)r->offset, __VA_ARGS__),                                             \
	 -1)
static int record_check(ks_sink_task_t *t, const ks_record_t *r)
{
	if (!r->value) {
		if (!t->set.delete_enabled)
			return BAD_RECORD("%s", "null value (tombstone) but delete.enabled=false");
		if (!r->key || r->key->is_null)
			return BAD_RECORD("%s", "tombstone without a key");
		return 0;
	}
	/* a Struct with its schema, or a schemaless JSON object (names kept) */
	if (r->value_schema && r->value_schema->type == KS_TYPE_STRING &&
	    r->value->type == KS_TYPE_STRING && t->set.pk_mode != KS_JDBC_PK_RECORD_VALUE) {
		/* string.output.value.column.name */
	} else if (r->value->type != KS_TYPE_STRUCT ||
	           (r->value_schema ? r->value_schema->type != KS_TYPE_STRUCT
	                            : !r->value->u.st.names)) {
		return BAD_RECORD(
		        "Sink connector '%s' is configured with 'delete.enabled=%s' and "
		        "'pk.mode=%s' and therefore requires records with a non-null Struct value "
		        "and non-null Struct schema (or a schemaless JSON object)",
		        t->connector, t->set.delete_enabled ? "true" : "false",
		        t->set.pk_mode == KS_JDBC_PK_NONE         ? "none"
		        : t->set.pk_mode == KS_JDBC_PK_KAFKA      ? "kafka"
		        : t->set.pk_mode == KS_JDBC_PK_RECORD_KEY ? "record_key"
		                                                  : "record_value");
	}
	if (t->set.pk_mode == KS_JDBC_PK_RECORD_KEY && (!r->key || r->key->is_null))
		return BAD_RECORD("%s", "pk.mode=record_key but the key is null");
	return 0;
}
#undef BAD_RECORD

/* Builds the groups for staged[from, limit). E_OK, E_RECORD (t->bad_index
 * set), E_FATAL. */
static int plan(ks_sink_task_t *t, size_t from, size_t limit)
{
	int reduce = t->set.pk_mode == KS_JDBC_PK_RECORD_KEY ||
	             t->set.pk_mode == KS_JDBC_PK_RECORD_VALUE;
	rentry_t *ht = NULL;
	size_t *slot = NULL; /* reduce: the hash slot of each staged record */
	size_t hcap = 16;
	jtable_t **tord = NULL;
	size_t ntord = 0;
	int rc = E_FATAL;

	groups_clear(t);
	ks_buf_reset(&t->keys);
	while (hcap < (limit - from) * 2)
		hcap *= 2;
	if (reduce && (!(ht = calloc(hcap, sizeof(*ht))) ||
	               !(slot = malloc((limit - from + 1) * sizeof(*slot)))))
		goto oom;
	if (!(tord = calloc(limit - from + 1, sizeof(*tord))))
		goto oom;
	for (size_t i = from; i < limit; i++) {
		const ks_record_t *r = t->staged[i];
		int is_delete = r->value == NULL;
		jtable_t *tb;
		jlayout_t *l;
		int to = -1;

		if (record_check(t, r)) {
			t->bad_index = i;
			rc = E_RECORD;
			goto out;
		}
		if (!(tb = table_for_topic(t, r->topic)))
			goto oom;
		if (tb->bad) {
			xsnprintf(t->errstr, sizeof(t->errstr), "%s", tb->err);
			t->bad_index = i;
			rc = E_RECORD;
			goto out;
		}
		for (size_t k = 0; k < ntord; k++)
			if (tord[k] == tb)
				to = (int)k;
		if (to < 0) {
			to = (int)ntord;
			tord[ntord++] = tb;
		}
		if (!(l = layout_get(t, tb, r, is_delete)))
			goto oom;
		if (l->failed) {
			xsnprintf(t->errstr, sizeof(t->errstr), "%s[%d]@%lld: %s", r->topic,
			          (int)r->partition, (long long)r->offset, l->err);
			t->bad_index = i;
			rc = E_RECORD;
			goto out;
		}
		if (!reduce) {
			jgroup_t *g = group_get(t, tb, l, to);
			if (!g || group_add(g, i))
				goto oom;
			continue;
		}
		/* identity of the key: the encoded key columns */
		size_t koff = t->keys.len;
		if (encode_row(t, &t->keys, l, 0, l->nkeys, r)) {
			t->bad_index = i;
			rc = E_RECORD;
			goto out;
		}
		if (ks_buf_failed(&t->keys))
			goto oom;
		size_t klen = t->keys.len - koff;
		uint64_t h = fnv(t->keys.data + koff, klen,
		                 fnv(&tb, sizeof(tb), 14695981039346656037ULL));
		size_t pos = (size_t)h & (hcap - 1);
		while (ht[pos].used &&
		       !(ht[pos].hash == h && ht[pos].table == tb && ht[pos].klen == klen &&
		         !memcmp(t->keys.data + ht[pos].koff, t->keys.data + koff, klen)))
			pos = (pos + 1) & (hcap - 1);
		if (!ht[pos].used) {
			ht[pos].used = 1;
			ht[pos].hash = h;
			ht[pos].table = tb;
			ht[pos].koff = koff;
			ht[pos].klen = klen;
		} else {
			t->keys.len = koff; /* key bytes already stored */
		}
		slot[i - from] = pos;
		ht[pos].last = i;
		ht[pos].last_delete = is_delete;
		if (is_delete)
			ht[pos].need_delete = 1;
	}
	/* in staged order, so every group's rows come out sorted */
	for (size_t i = from; reduce && i < limit; i++) {
		rentry_t *e = &ht[slot[i - from]];
		const ks_record_t *r;
		int to = 0;

		if (e->last != i)
			continue; /* a later change of the key wins */
		r = t->staged[e->last];
		for (size_t k = 0; k < ntord; k++)
			if (tord[k] == e->table)
				to = (int)k;
		if (e->need_delete) {
			jlayout_t *dl = layout_get(t, e->table, r, 1);
			jgroup_t *g;
			if (!dl)
				goto oom;
			if (dl->failed) {
				xsnprintf(t->errstr, sizeof(t->errstr), "%s", dl->err);
				t->bad_index = e->last;
				rc = E_RECORD;
				goto out;
			}
			if (!(g = group_get(t, e->table, dl, to)) || group_add(g, e->last))
				goto oom;
		}
		if (!e->last_delete) {
			jlayout_t *wl = layout_get(t, e->table, r, 0);
			jgroup_t *g;
			if (!wl || !(g = group_get(t, e->table, wl, to)) || group_add(g, e->last))
				goto oom;
		}
	}
	qsort(t->groups, t->ngroups, sizeof(*t->groups), cmp_group);
	rc = E_OK;
	goto out;
oom:
	xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
	rc = E_FATAL;
out:
	free(ht);
	free(slot);
	free(tord);
	return rc;
}

/* --- DDL: auto.create / auto.evolve, staging tables --- */

static int col_optional(const jcol_t *c)
{
	return !c->is_key && c->schema && c->schema->optional;
}

static void col_spec(ks_sink_task_t *t, ks_buf_t *b, const jcol_t *c)
{
	ks_jdbc_quote_ident(b, c->name);
	ks_buf_putc(b, ' ');
	ks_buf_puts(b, c->pt.ddl);
	if (c->schema && c->schema->default_value && !c->schema->default_value->is_null) {
		size_t mark = b->len;
		ks_buf_puts(b, " DEFAULT ");
		if (ks_jdbc_default_literal(t->conn, c->schema, c->schema->default_value, b)) {
			b->len = mark; /* no usable literal: no DEFAULT */
			if (b->data)
				b->data[mark] = 0;
		} else {
			if (c->is_key)
				ks_buf_puts(b, " NOT NULL");
			return;
		}
	}
	ks_buf_puts(b, col_optional(c) ? " NULL" : " NOT NULL");
}

static int match_cols(jtable_t *tb, jlayout_t *l)
{
	int missing = 0;

	for (size_t i = 0; i < l->ncols; i++) {
		jcol_t *c = &l->cols[i];
		c->dbi = -1;
		for (size_t k = 0; k < tb->ncols && c->dbi < 0; k++)
			if (!strcmp(tb->cols[k].name, c->name))
				c->dbi = (int)k;
		for (size_t k = 0; k < tb->ncols && c->dbi < 0; k++)
			if (ks_strcaseeq(tb->cols[k].name, c->name))
				c->dbi = (int)k;
		if (c->dbi < 0)
			missing++;
	}
	l->matched_gen = tb->gen;
	return missing;
}

static int create_table(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l)
{
	ks_buf_t *b = &t->sql;
	size_t *order = calloc(l->ncols, sizeof(size_t)), n = 0;
	int rc;

	if (!order) {
		xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
		return E_FATAL;
	}
	/* Java's column order: kafka coordinates, value fields in schema
	 * order, then key-only fields sorted by name */
	for (size_t i = 0; i < l->ncols; i++)
		if (l->cols[i].src <= SRC_KAFKA_OFFSET)
			order[n++] = i;
	if (l->vs)
		for (size_t f = 0; f < l->vs->nfields; f++)
			for (size_t i = 0; i < l->ncols; i++)
				if (l->cols[i].src == SRC_VALUE && l->cols[i].field == (int)f)
					order[n++] = i;
	for (size_t i = 0; i < l->ncols; i++)
		if (l->cols[i].src == SRC_VALUE_WHOLE)
			order[n++] = i;
	size_t rest = n;
	for (size_t i = 0; i < l->ncols; i++)
		if (l->cols[i].src == SRC_KEY || l->cols[i].src == SRC_KEY_FIELD)
			order[n++] = i;
	for (size_t i = rest; i < n; i++) /* insertion sort by name */
		for (size_t k = i;
		     k > rest && strcmp(l->cols[order[k - 1]].name, l->cols[order[k]].name) > 0;
		     k--) {
			size_t x = order[k];
			order[k] = order[k - 1];
			order[k - 1] = x;
		}
	ks_buf_reset(b);
	ks_buf_printf(b, "CREATE TABLE %s (\n", tb->qname);
	for (size_t i = 0; i < n; i++) {
		if (i)
			ks_buf_puts(b, ",\n");
		col_spec(t, b, &l->cols[order[i]]);
	}
	if (l->nkeys) {
		ks_buf_puts(b, ",\nPRIMARY KEY(");
		for (size_t i = 0; i < l->nkeys; i++) {
			if (i)
				ks_buf_putc(b, ',');
			ks_jdbc_quote_ident(b, l->cols[i].name);
		}
		ks_buf_putc(b, ')');
	}
	ks_buf_puts(b, ")");
	free(order);
	KS_INFO(t->ctx, "auto.create: %s", b->data);
	rc = exec_cmd(t, b->data, "CREATE TABLE");
	/* another task's CREATE of the same table, racing ours in the catalog,
	 * surfaces as 23505 (pg_type/pg_class index) or 42710 (its row type
	 * exists) once it committed: once more, and it is 42P07 */
	if (rc && (!strcmp(t->sqlstate, "23505") || !strcmp(t->sqlstate, "42710")))
		rc = exec_cmd(t, b->data, "CREATE TABLE");
	if (rc && !strcmp(t->sqlstate, "42P07"))
		rc = 0; /* created concurrently by another task */
	return rc;
}

/* A CREATE/ALTER the database refused (not an outage) is the problem of the
 * records needing it, as Java's TableAlterOrCreateException: record-level. */
static int ddl_failed(ks_sink_task_t *t, int rc, size_t first)
{
	if (rc != E_DATA && rc != E_FATAL)
		return rc;
	t->bad_index = first;
	return E_RECORD;
}

/* Makes sure table and columns exist for layout l; first = first staged
 * index using it (for record-level errors). */
static int ensure_table(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, size_t first)
{
	int rc;

	if (!tb->resolved && (rc = table_load(t, tb)))
		return rc;
	if (tb->bad) {
		xsnprintf(t->errstr, sizeof(t->errstr), "%s", tb->err);
		t->bad_index = first;
		return E_RECORD;
	}
	l->skip = 0;
	if (!tb->exists) {
		if (l->is_delete) {
			l->skip = 1; /* nothing to delete from */
			return 0;
		}
		if (l->schemaless) {
			xsnprintf(t->errstr, sizeof(t->errstr),
			          "Table %s is missing; schemaless (JSON) records are written into "
			          "existing tables only (auto.create needs a schema)",
			          tb->qname);
			t->bad_index = first;
			tb->resolved = 0;
			return E_RECORD;
		}
		if (!t->set.auto_create) {
			xsnprintf(t->errstr, sizeof(t->errstr),
			          "Table %s is missing and auto-creation is disabled", tb->qname);
			t->bad_index = first;
			tb->resolved = 0; /* look again next time: someone may create it */
			return E_RECORD;
		}
		if ((rc = create_table(t, tb, l)) || (rc = table_load(t, tb)))
			return ddl_failed(t, rc, first);
		if (!tb->exists) {
			xsnprintf(t->errstr, sizeof(t->errstr),
			          "Table %s still missing after CREATE", tb->qname);
			return E_FATAL;
		}
	}
	if ((tb->relkind == 'r' && !t->set.types_table) ||
	    (tb->relkind == 'p' && !t->set.types_partitioned) ||
	    (tb->relkind == 'v' && !t->set.types_view) ||
	    (tb->relkind != 'r' && tb->relkind != 'p' && tb->relkind != 'v')) {
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "%s is a relation of kind '%c', not allowed by table.types", tb->qname,
		          tb->relkind);
		t->bad_index = first;
		return E_RECORD;
	}
	if (l->matched_gen == tb->gen)
		return 0;
	if (!match_cols(tb, l))
		return 0;
	/* missing columns */
	ks_buf_t names = KS_BUF_INIT;
	const char *problem = NULL;
	for (size_t i = 0; i < l->ncols; i++) {
		const jcol_t *c = &l->cols[i];
		if (c->dbi >= 0)
			continue;
		if (names.len)
			ks_buf_puts(&names, ", ");
		ks_buf_puts(&names, c->name);
		if (!problem && !col_optional(c) && !(c->schema && c->schema->default_value))
			problem = c->name;
	}
	if (l->schemaless)
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "Table %s has no columns for fields (%s) of a schemaless (JSON) record "
		          "(auto.evolve needs a schema; fields.whitelist can drop fields)",
		          tb->qname, names.data);
	else if (tb->relkind == 'v')
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "VIEW %s is missing fields (%s) and ALTER VIEW is unsupported", tb->qname,
		          names.data);
	else if (problem)
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "Cannot ALTER TABLE %s to add missing field %s, as the field is not "
		          "optional and does not have a default value",
		          tb->qname, problem);
	else if (!t->set.auto_evolve)
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "Table %s is missing fields (%s) and auto-evolution is disabled",
		          tb->qname, names.data);
	ks_buf_free(&names);
	if (l->schemaless || tb->relkind == 'v' || problem || !t->set.auto_evolve) {
		l->matched_gen = -1;
		tb->resolved = 0; /* look again next time: someone may add them */
		t->bad_index = first;
		return E_RECORD;
	}
	ks_buf_t *b = &t->sql;
	int nadd = 0;
	ks_buf_reset(b);
	ks_buf_printf(b, "ALTER TABLE %s", tb->qname);
	for (size_t i = 0; i < l->ncols; i++) {
		if (l->cols[i].dbi >= 0)
			continue;
		ks_buf_puts(b, nadd++ ? ",\nADD " : " \nADD ");
		col_spec(t, b, &l->cols[i]);
	}
	KS_INFO(t->ctx, "auto.evolve: %s", b->data);
	rc = exec_cmd(t, b->data, "ALTER TABLE");
	if (rc && !strcmp(t->sqlstate, "42701"))
		rc = 0; /* added concurrently */
	if (rc || (rc = table_load(t, tb)))
		return ddl_failed(t, rc, first);
	if (match_cols(tb, l)) {
		xsnprintf(t->errstr, sizeof(t->errstr), "columns still missing in %s after ALTER",
		          tb->qname);
		return E_FATAL;
	}
	return 0;
}

/* binary COPY of the target column equals our encoding */
static int direct_ok(const ks_sink_task_t *t, const jtable_t *tb, const jcol_t *c)
{
	const dbcol_t *d = &tb->cols[c->dbi];

	if (c->pt.uuid)
		return 0;
	if (d->oid == c->pt.oid)
		return 1;
	if (!c->pt.array && c->pt.kind == KS_PGK_TEXT && d->oid == 1043)
		return 1; /* varchar: same wire format, length checked by the server */
	if (!c->pt.array && c->pt.kind == KS_PGK_TIMESTAMPTZ && d->oid == 1114 && t->tz_utc)
		return 1; /* timestamp: UTC wall clock = our instant */
	return 0;
}

static int ensure_stage(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l)
{
	ks_buf_t *b = &t->sql;
	int rc;

	l->direct = 0;
	if (!l->is_delete && t->set.insert_mode == KS_JDBC_INSERT) {
		l->direct = 1;
		for (size_t i = 0; i < l->ncols; i++)
			if (!direct_ok(t, tb, &l->cols[i]))
				l->direct = 0;
	}
	if (l->direct || l->stage_ready)
		return 0;
	ks_buf_reset(b);
	ks_buf_printf(b, "CREATE TEMP TABLE IF NOT EXISTS ks_stage_%d (", l->id);
	for (size_t i = 0; i < (l->is_delete ? l->nkeys : l->ncols); i++) {
		if (i)
			ks_buf_puts(b, ", ");
		ks_jdbc_quote_ident(b, l->cols[i].name);
		ks_buf_putc(b, ' ');
		ks_buf_puts(b, l->cols[i].pt.stage);
	}
	ks_buf_puts(b, ") ON COMMIT DELETE ROWS");
	if ((rc = exec_cmd(t, b->data, "create staging table")))
		return rc == E_DATA ? E_FATAL : rc;
	l->stage_ready = 1;
	return 0;
}

/* --- the data transaction --- */

static void stage_expr(ks_buf_t *b, const jtable_t *tb, const jcol_t *c)
{
	const dbcol_t *d = &tb->cols[c->dbi];
	char scat;
	int cast;

	switch (c->pt.kind) {
	case KS_PGK_BOOL:
		scat = 'B';
		break;
	case KS_PGK_TEXT:
		scat = 'S';
		break;
	case KS_PGK_DATE:
	case KS_PGK_TIME:
	case KS_PGK_TIMESTAMPTZ:
		scat = 'D';
		break;
	case KS_PGK_BYTEA:
	case KS_PGK_JSONB:
		scat = 'U';
		break;
	default:
		scat = 'N';
	}
	if (c->pt.array)
		scat = 'A';
	cast = d->oid != c->pt.oid && (d->cat != scat || scat == 'A' || scat == 'U');
	if (cast)
		ks_buf_puts(b, "CAST(");
	ks_buf_puts(b, "s.");
	ks_jdbc_quote_ident(b, c->name);
	if (cast)
		ks_buf_printf(b, " AS %s)", d->type); /* format_type() output is valid SQL */
}

static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

static int copy_rows(ks_sink_task_t *t, const char *copy_sql, const jgroup_t *g, size_t from,
                     size_t to, size_t ncols)
{
	ks_buf_t *d = &t->data;
	PGresult *res;
	int rc = 0;

	ks_buf_reset(d);
	ks_buf_append(d, copy_header, sizeof(copy_header));
	for (size_t i = from; i < to; i++)
		if (encode_row(t, d, g->layout, 0, ncols, t->staged[g->rows[i]])) {
			t->bad_index = g->rows[i];
			return E_RECORD;
		}
	ks_buf_append(d, "\377\377", 2);
	if (ks_buf_failed(d)) {
		xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
		return E_FATAL;
	}
	res = PQexec(t->conn, copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = sql_error(t, res, "COPY");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	if (PQputCopyData(t->conn, d->data, (int)d->len) != 1 || PQputCopyEnd(t->conn, NULL) != 1)
		return sql_error(t, NULL, "COPY data");
	while ((res = PQgetResult(t->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc)
			rc = sql_error(t, res, "COPY");
		PQclear(res);
	}
	return rc;
}

/* The COPY statement of layout l (into the table when l->direct, else into
 * its staging table) and, unless direct, the statement that applies the
 * staged rows to the table. */
static void group_sql(ks_sink_task_t *t, const jtable_t *tb, const jlayout_t *l, ks_buf_t *copy,
                      ks_buf_t *merge)
{
	size_t ncols = l->is_delete ? l->nkeys : l->ncols;

	/* COPY target */
	ks_buf_puts(copy, "COPY ");
	if (l->direct)
		ks_buf_puts(copy, tb->qname);
	else
		ks_buf_printf(copy, "ks_stage_%d", l->id);
	ks_buf_puts(copy, " (");
	for (size_t i = 0; i < ncols; i++) {
		if (i)
			ks_buf_putc(copy, ',');
		ks_jdbc_quote_ident(copy,
		                    l->direct ? tb->cols[l->cols[i].dbi].name : l->cols[i].name);
	}
	ks_buf_puts(copy, ") FROM STDIN (FORMAT binary)");
	/* the merge statement */
	if (!l->direct) {
		ks_buf_t *m = merge;
		if (l->is_delete || t->set.insert_mode == KS_JDBC_UPDATE) {
			if (l->is_delete)
				ks_buf_printf(m, "DELETE FROM %s AS t USING ks_stage_%d s WHERE ",
				              tb->qname, l->id);
			else {
				ks_buf_printf(m, "UPDATE %s AS t SET ", tb->qname);
				for (size_t i = l->nkeys; i < l->ncols; i++) {
					if (i > l->nkeys)
						ks_buf_puts(m, ", ");
					ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
					ks_buf_puts(m, " = ");
					stage_expr(m, tb, &l->cols[i]);
				}
				ks_buf_printf(m, " FROM ks_stage_%d s WHERE ", l->id);
			}
			for (size_t i = 0; i < l->nkeys; i++) {
				if (i)
					ks_buf_puts(m, " AND ");
				ks_buf_puts(m, "t.");
				ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
				ks_buf_puts(m, " = ");
				stage_expr(m, tb, &l->cols[i]);
			}
		} else {
			ks_buf_printf(m, "INSERT INTO %s (", tb->qname);
			for (size_t i = 0; i < l->ncols; i++) {
				if (i)
					ks_buf_putc(m, ',');
				ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
			}
			ks_buf_puts(m, ") SELECT ");
			for (size_t i = 0; i < l->ncols; i++) {
				if (i)
					ks_buf_putc(m, ',');
				stage_expr(m, tb, &l->cols[i]);
			}
			ks_buf_printf(m, " FROM ks_stage_%d s", l->id);
			/* rows in key order: tasks upserting the same table then
			 * lock rows in the same order and cannot deadlock */
			for (size_t i = 0; i < l->nkeys; i++) {
				ks_buf_puts(m, i ? ", s." : " ORDER BY s.");
				ks_jdbc_quote_ident(m, l->cols[i].name);
			}
			if (t->set.insert_mode == KS_JDBC_UPSERT) {
				ks_buf_puts(m, " ON CONFLICT (");
				for (size_t i = 0; i < l->nkeys; i++) {
					if (i)
						ks_buf_putc(m, ',');
					ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
				}
				if (l->ncols == l->nkeys) {
					ks_buf_puts(m, ") DO NOTHING");
				} else {
					ks_buf_puts(m, ") DO UPDATE SET ");
					for (size_t i = l->nkeys; i < l->ncols; i++) {
						const char *cn = tb->cols[l->cols[i].dbi].name;
						if (i > l->nkeys)
							ks_buf_putc(m, ',');
						ks_jdbc_quote_ident(m, cn);
						ks_buf_puts(m, "=EXCLUDED.");
						ks_jdbc_quote_ident(m, cn);
					}
				}
			}
		}
	}
}

static int write_group(ks_sink_task_t *t, const jgroup_t *g)
{
	jtable_t *tb = g->table;
	jlayout_t *l = g->layout;
	ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;
	size_t ncols = l->is_delete ? l->nkeys : l->ncols;
	size_t bs = (size_t)t->set.batch_size;
	int rc = 0;

	if (l->skip || !g->n)
		return 0;
	if (!l->is_delete && t->set.insert_mode == KS_JDBC_UPDATE && l->ncols == l->nkeys)
		return 0; /* nothing to update */
	group_sql(t, tb, l, &copy, &merge);
	if (ks_buf_failed(&copy) || ks_buf_failed(&merge)) {
		xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
		rc = E_FATAL;
		goto out;
	}
	for (size_t from = 0; from < g->n && !rc; from += bs) {
		size_t to = from + bs < g->n ? from + bs : g->n;
		if ((rc = copy_rows(t, copy.data, g, from, to, ncols)))
			break;
		if (!l->direct) {
			char trunc[64];
			if ((rc = exec_cmd(t, merge.data, l->is_delete ? "DELETE" : "write")))
				break;
			if (to < g->n) {
				xsnprintf(trunc, sizeof(trunc), "TRUNCATE ks_stage_%d", l->id);
				rc = exec_cmd(t, trunc, "TRUNCATE");
			}
		}
	}
out:
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	return rc;
}

static void array_text(ks_buf_t *b, const ks_tp_offset_t *o, size_t n, int what)
{
	ks_buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			ks_buf_putc(b, ',');
		if (what == 0) {
			ks_buf_putc(b, '"');
			for (const char *p = o[i].topic; *p; p++) {
				if (*p == '"' || *p == '\\')
					ks_buf_putc(b, '\\');
				ks_buf_putc(b, *p);
			}
			ks_buf_putc(b, '"');
		} else if (what == 1) {
			ks_buf_printf(b, "%d", (int)o[i].partition);
		} else {
			ks_buf_printf(b, "%lld", (long long)o[i].offset);
		}
	}
	ks_buf_putc(b, '}');
}

/* Upserts offsets (offset >= 0) for connector; deletes those with offset < 0. */
static int offsets_write(ks_sink_task_t *t, const char *connector, const ks_tp_offset_t *offs,
                         size_t n)
{
	ks_buf_t a[3] = {KS_BUF_INIT, KS_BUF_INIT, KS_BUF_INIT}, *b = &t->sql;
	ks_tp_offset_t *up = NULL, *del = NULL;
	size_t nup = 0, ndel = 0;
	int rc = 0;

	if (!n)
		return 0;
	up = calloc(n, sizeof(*up));
	del = calloc(n, sizeof(*del));
	if (!up || !del) {
		xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
		rc = E_FATAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (offs[i].offset >= 0)
			up[nup++] = offs[i];
		else
			del[ndel++] = offs[i];
	}
	for (int pass = 0; pass < 2 && !rc; pass++) {
		const ks_tp_offset_t *o = pass ? del : up;
		size_t cnt = pass ? ndel : nup;
		const char *params[4];
		PGresult *res;

		if (!cnt)
			continue;
		for (int k = 0; k < 3; k++) {
			ks_buf_reset(&a[k]);
			array_text(&a[k], o, cnt, k);
		}
		ks_buf_reset(b);
		if (!pass)
			ks_buf_printf(
			        b,
			        "INSERT INTO %s (connector, topic, \"partition\", next_offset, "
			        "updated_at) SELECT $1, u.t, u.p, u.o, now() FROM "
			        "unnest($2::text[], $3::int4[], $4::int8[]) AS u(t, p, o) "
			        "ON CONFLICT (connector, topic, \"partition\") DO UPDATE SET "
			        "next_offset = EXCLUDED.next_offset, updated_at = "
			        "EXCLUDED.updated_at",
			        t->offq);
		else
			ks_buf_printf(b,
			              "DELETE FROM %s AS o USING unnest($2::text[], $3::int4[], "
			              "$4::int8[]) AS u(t, p, x) WHERE o.connector = $1 AND "
			              "o.topic = u.t AND o.\"partition\" = u.p",
			              t->offq);
		if (ks_buf_failed(b) || ks_buf_failed(&a[0]) || ks_buf_failed(&a[1]) ||
		    ks_buf_failed(&a[2])) {
			xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
			rc = E_FATAL;
			break;
		}
		params[0] = connector;
		params[1] = a[0].data;
		params[2] = a[1].data;
		params[3] = a[2].data;
		res = PQexecParams(t->conn, b->data, 4, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = sql_error(t, res, "offsets write");
		PQclear(res);
	}
out:
	for (int k = 0; k < 3; k++)
		ks_buf_free(&a[k]);
	free(up);
	free(del);
	if (rc == E_DATA)
		rc = E_FATAL; /* not a record's fault */
	return rc;
}

/* Ends the data transaction: offsets, COMMIT (with the test hooks); rolls
 * back on an error other than a lost connection. */
static int commit_tx(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs)
{
	int rc = offsets_write(t, t->connector, offs, noffs);

	if (!rc && fail_commits > 0) {
		fail_commits--;
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "injected failure before COMMIT (test hook)");
		xsnprintf(t->sqlstate, sizeof(t->sqlstate), "08006");
		rc = E_CONN;
	}
	if (!rc) {
		rc = exec_cmd(t, "COMMIT", "COMMIT");
		if (!rc && lose_acks > 0) {
			lose_acks--;
			xsnprintf(t->errstr, sizeof(t->errstr),
			          "injected loss of the COMMIT acknowledgement (test hook)");
			xsnprintf(t->sqlstate, sizeof(t->sqlstate), "08006");
			rc = E_CONN;
		}
		/* the server may or may not have committed: the offsets table
		 * tells on the next attempt */
		t->commit_unknown = rc == E_CONN;
		if (rc == E_CONN)
			return rc;
	}
	if (rc && t->conn && PQstatus(t->conn) == CONNECTION_OK)
		PQclear(PQexec(t->conn, "ROLLBACK"));
	return rc;
}

/* One transaction: the planned groups (+ offsets); commit or roll back. */
static int run_tx(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs, int commit)
{
	int rc;

	if ((rc = exec_cmd(t, "BEGIN", "BEGIN")))
		return rc;
	for (size_t i = 0; i < t->ngroups && !rc; i++)
		rc = write_group(t, &t->groups[i]);
	if (!rc && commit)
		return commit_tx(t, offs, noffs);
	if (t->conn && PQstatus(t->conn) == CONNECTION_OK)
		PQclear(PQexec(t->conn, "ROLLBACK"));
	return rc;
}

/* --- streaming: the COPY runs while the batch is still being read ---
 *
 * Without it the worker and Postgres take turns: the task polls and
 * decodes a whole batch while the database idles, then the database
 * writes it while the task waits (profile: bench/results/profile.md).
 * When the last batch went to one table through one layout that needs no
 * DDL (the "warm" layout), the next one most likely does too: the first
 * put() of a batch then opens the data transaction and the COPY (into the
 * table, or into the layout's staging table), and every put() sends its
 * records' rows without waiting (libpq nonblocking), so Postgres parses and
 * stores them while the worker reads on.
 *
 * The stream takes the leading records that fit; the first that does not
 * (another table or layout, a tombstone, a key the stream already has, a
 * value that does not encode) ends it. commit() ends the COPY, applies the
 * staging table, writes the remaining records the usual way in the same
 * transaction when their layouts need no DDL, then offsets and COMMIT. If
 * anything goes wrong (or the rest needs DDL) it rolls back and writes the
 * batch the usual way, which also pins bad records. */

#define STREAM_SEND_BYTES (64u << 10)

enum { ST_OFF, ST_ON, ST_STOPPED, ST_NONE, ST_BROKEN };

/* table and columns known, staging table created, on this connection */
static int layout_ready(const jtable_t *tb, const jlayout_t *l)
{
	return tb && l && tb->resolved && tb->exists && !tb->bad && !l->failed && !l->skip &&
	       l->matched_gen == tb->gen && (l->direct || l->stage_ready);
}

static int layout_warm(const ks_sink_task_t *t, const jtable_t *tb, const jlayout_t *l)
{
	return t->conn && PQstatus(t->conn) == CONNECTION_OK && layout_ready(tb, l) &&
	       !l->is_delete && !(t->set.insert_mode == KS_JDBC_UPDATE && l->ncols == l->nkeys);
}

/* Sends everything libpq holds, waiting for the socket as needed. */
static int flush_blocking(PGconn *conn)
{
	int r;

	while ((r = PQflush(conn)) == 1) {
		struct pollfd p = {PQsocket(conn), POLLIN | POLLOUT, 0};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
		if ((p.revents & POLLIN) && !PQconsumeInput(conn))
			return -1;
	}
	return r;
}

/* Back to a blocking connection with the COPY ended (error text kept). */
static int stream_end_copy(ks_sink_task_t *t, const char *abort_msg)
{
	if (flush_blocking(t->conn) || PQsetnonblocking(t->conn, 0) ||
	    PQputCopyEnd(t->conn, abort_msg) != 1)
		return -1;
	return 0;
}

/* Drops an open stream: its transaction is rolled back. */
static void stream_abort(ks_sink_task_t *t)
{
	PGresult *res;
	int st = t->st;

	t->st = ST_OFF;
	if (st == ST_OFF || st == ST_NONE || !t->conn)
		return;
	if (stream_end_copy(t, "batch dropped")) {
		conn_drop(t);
		return;
	}
	while ((res = PQgetResult(t->conn)))
		PQclear(res);
	PQclear(PQexec(t->conn, "ROLLBACK"));
}

/* Hands the rows gathered so far to libpq (sends what the socket takes). */
static void stream_send(ks_sink_task_t *t)
{
	if (!t->st_buf.len || t->st == ST_BROKEN)
		return;
	if (ks_buf_failed(&t->st_buf) ||
	    PQputCopyData(t->conn, t->st_buf.data, (int)t->st_buf.len) != 1 || PQflush(t->conn) < 0)
		t->st = ST_BROKEN;
	ks_buf_reset(&t->st_buf);
}

static int stream_start(ks_sink_task_t *t)
{
	ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;
	PGresult *res;
	int ok;

	if (t->commit_unknown || PQtransactionStatus(t->conn) != PQTRANS_IDLE)
		return -1;
	group_sql(t, t->warm_tb, t->warm_l, &copy, &merge);
	ok = !ks_buf_failed(&copy) && !exec_cmd(t, "BEGIN", "BEGIN");
	if (ok) {
		res = PQexec(t->conn, copy.data);
		ok = PQresultStatus(res) == PGRES_COPY_IN;
		PQclear(res);
		t->st = ST_ON;
		if (!ok || PQsetnonblocking(t->conn, 1)) {
			stream_abort(t);
			ok = 0;
		}
	}
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	if (!ok)
		return -1;
	ks_buf_reset(&t->st_buf);
	ks_buf_reset(&t->st_keys);
	ks_buf_append(&t->st_buf, copy_header, sizeof(copy_header));
	if (t->st_cnt)
		memset(t->st_set, 0, t->st_cap * sizeof(*t->st_set));
	t->st_cnt = 0;
	t->st_n = 0;
	return 0;
}

/* Adds the key stored at st_keys[off, +len) to the stream's key set: 1
 * added, 0 already there, -1 out of memory. */
static int stream_key_add(ks_sink_task_t *t, size_t off, size_t len)
{
	uint64_t h = fnv(t->st_keys.data + off, len, 14695981039346656037ULL);
	size_t pos;

	if ((t->st_cnt + 1) * 2 > t->st_cap) {
		size_t nc = t->st_cap ? t->st_cap * 2 : 1024;
		kslot_t *ns = calloc(nc, sizeof(*ns));
		if (!ns)
			return -1;
		for (size_t i = 0; i < t->st_cap; i++) {
			if (!t->st_set[i].used)
				continue;
			pos = (size_t)t->st_set[i].h & (nc - 1);
			while (ns[pos].used)
				pos = (pos + 1) & (nc - 1);
			ns[pos] = t->st_set[i];
		}
		free(t->st_set);
		t->st_set = ns;
		t->st_cap = nc;
	}
	pos = (size_t)h & (t->st_cap - 1);
	while (t->st_set[pos].used) {
		kslot_t *k = &t->st_set[pos];
		if (k->h == h && k->len == len &&
		    !memcmp(t->st_keys.data + k->off, t->st_keys.data + off, len))
			return 0;
		pos = (pos + 1) & (t->st_cap - 1);
	}
	t->st_set[pos] = (kslot_t){.h = h, .off = off, .len = len, .used = 1};
	t->st_cnt++;
	return 1;
}

/* 1 when r goes into the stream (its row appended to st_buf), 0 when the
 * stream ends before r. */
static int stream_take(ks_sink_task_t *t, const ks_record_t *r)
{
	jlayout_t *l = t->warm_l;
	size_t mark = t->st_buf.len;

	if (!r->value || record_check(t, r))
		return 0;
	if (r->topic != t->st_topic) { /* topics are per-partition strings of the worker */
		if (table_for_topic(t, r->topic) != t->warm_tb)
			return 0;
		t->st_topic = r->topic;
	}
	if ((l->ks != r->key_schema || l->vs != r->value_schema) &&
	    layout_get(t, t->warm_tb, r, 0) != l)
		return 0;
	if (t->set.pk_mode == KS_JDBC_PK_RECORD_KEY || t->set.pk_mode == KS_JDBC_PK_RECORD_VALUE) {
		/* ON CONFLICT cannot touch a row twice: a repeated key ends it */
		size_t koff = t->st_keys.len;
		if (encode_row(t, &t->st_keys, l, 0, l->nkeys, r) || ks_buf_failed(&t->st_keys) ||
		    stream_key_add(t, koff, t->st_keys.len - koff) != 1) {
			t->st_keys.len = koff;
			return 0;
		}
	}
	if (encode_row(t, &t->st_buf, l, 0, l->ncols, r)) {
		t->st_buf.len = mark;
		return 0;
	}
	return 1;
}

/* put(): staged[from, to) were just added. */
static void stream_feed(ks_sink_task_t *t, size_t from, size_t to)
{
	if (t->st == ST_OFF) {
		t->st = ST_NONE;
		t->st_topic = NULL;
		if (from != 0 || !layout_warm(t, t->warm_tb, t->warm_l) || stream_start(t))
			return;
	}
	if (t->st != ST_ON)
		return;
	for (size_t i = from; i < to; i++) {
		if (!stream_take(t, t->staged[i])) {
			t->st = ST_STOPPED;
			break;
		}
		t->st_n = i + 1;
	}
	if (t->st_buf.len >= STREAM_SEND_BYTES)
		stream_send(t);
}

/* commit() with a stream open: see above. E_OK, E_REDO (rolled back, write
 * the batch the usual way) or the class of an error (rolled back unless the
 * COMMIT's fate is unknown). */
static int stream_finish(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs)
{
	jlayout_t *l = t->warm_l;
	ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;
	PGresult *res;
	int rc = 0;

	ks_buf_append(&t->st_buf, "\377\377", 2);
	stream_send(t);
	if (t->st == ST_BROKEN) {
		stream_abort(t);
		return E_REDO;
	}
	t->st = ST_OFF;
	if (stream_end_copy(t, NULL)) {
		rc = sql_error(t, NULL, "COPY data");
		goto fail;
	}
	while ((res = PQgetResult(t->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc)
			rc = sql_error(t, res, "COPY");
		PQclear(res);
	}
	if (rc)
		goto fail;
	if (!l->direct) {
		group_sql(t, t->warm_tb, l, &copy, &merge);
		if (ks_buf_failed(&merge)) {
			rc = E_REDO;
			goto fail;
		}
		if ((rc = exec_cmd(t, merge.data, "write")))
			goto fail;
	}
	if (t->st_n < t->nstaged) {
		/* the rest, the usual way, when that needs no DDL */
		if (plan(t, t->st_n, t->nstaged)) {
			rc = E_REDO;
			goto fail;
		}
		for (size_t i = 0; i < t->ngroups; i++)
			if (!layout_ready(t->groups[i].table, t->groups[i].layout)) {
				rc = E_REDO;
				goto fail;
			}
		if (!l->direct) {
			char trunc[64];
			xsnprintf(trunc, sizeof(trunc), "TRUNCATE ks_stage_%d", l->id);
			if ((rc = exec_cmd(t, trunc, "TRUNCATE")))
				goto fail;
		}
		for (size_t i = 0; i < t->ngroups && !rc; i++)
			rc = write_group(t, &t->groups[i]);
		if (rc)
			goto fail;
	}
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	return commit_tx(t, offs, noffs);
fail:
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	if (t->conn && PQstatus(t->conn) == CONNECTION_OK) {
		while ((res = PQgetResult(t->conn)))
			PQclear(res);
		PQclear(PQexec(t->conn, "ROLLBACK"));
	}
	return rc == E_DATA || rc == E_RECORD ? E_REDO : rc;
}

/* DDL and staging tables for the current plan. */
static int prepare(ks_sink_task_t *t)
{
	int rc;

	for (size_t i = 0; i < t->ngroups; i++) {
		jgroup_t *g = &t->groups[i];
		if ((rc = ensure_table(t, g->table, g->layout, g->rows[0])))
			return rc;
	}
	for (size_t i = 0; i < t->ngroups; i++) {
		jgroup_t *g = &t->groups[i];
		if (!g->layout->skip && (rc = ensure_stage(t, g->table, g->layout)))
			return rc;
	}
	return 0;
}

/* --- isolating bad records ---
 *
 * The batch failed with an error that may be a record's (or an internal
 * error outlasted the retry budget). isolate() writes the planned rows
 * again in ONE transaction that is rolled back at the end: each range of a
 * group under a savepoint; a range that fails is rolled back to its
 * savepoint and split in halves, ranges of ISO_ROWS rows or fewer row by
 * row, so a few bad records cost O(bad x log n) probes and a batch of bad
 * records about 1.3 probes each, with no back-off between them (they are
 * about data, not outages). The ranges run in batch order and what succeeds
 * stays in the transaction, so every record sees the same rows before it as
 * in the batch. A record whose row fails alone is bad whatever its
 * SQLSTATE; an outage, a lost connection or a table-level error ends the
 * isolation with its class. */

#define ISO_ROWS 8

/* Adds staged record idx to t->bad with the current error (once). */
static int bad_add(ks_sink_task_t *t, size_t idx)
{
	for (size_t i = 0; i < t->nbad; i++)
		if (t->bad[i].index == idx)
			return 0;
	if (t->nbad == t->capbad) {
		size_t nc = t->capbad ? t->capbad * 2 : 16;
		ks_bad_record_t *b = realloc(t->bad, nc * sizeof(*b));
		if (!b) {
			xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
			return E_FATAL;
		}
		t->bad = b;
		t->capbad = nc;
	}
	t->bad[t->nbad].index = idx;
	xsnprintf(t->bad[t->nbad].errstr, sizeof(t->bad[t->nbad].errstr), "%s", t->errstr);
	xsnprintf(t->bad[t->nbad].sqlstate, sizeof(t->bad[t->nbad].sqlstate), "%s", t->sqlstate);
	t->nbad++;
	return 0;
}

static int cmp_bad(const void *a, const void *b)
{
	const ks_bad_record_t *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Rows [from, to) of group g under a savepoint (statements from group_sql):
 * 0 written, E_RECORD rolled back to the savepoint (t->errstr says why),
 * else the class of an error that ends the isolation. */
static int iso_probe(ks_sink_task_t *t, const jgroup_t *g, const char *copy, const char *merge,
                     size_t from, size_t to, int internal_ok)
{
	const jlayout_t *l = g->layout;
	char sql[64];
	int rc;

	if ((rc = exec_cmd(t, "SAVEPOINT ks_probe", "SAVEPOINT")))
		return rc == E_DATA ? E_FATAL : rc;
	t->sqlstate[0] = 0; /* a value that does not encode has none */
	rc = copy_rows(t, copy, g, from, to, l->is_delete ? l->nkeys : l->ncols);
	if (!rc && !l->direct) {
		rc = exec_cmd(t, merge, l->is_delete ? "DELETE" : "write");
		xsnprintf(sql, sizeof(sql), "DELETE FROM ks_stage_%d", l->id);
		if (!rc && (rc = exec_cmd(t, sql, "empty staging table")) == E_DATA)
			rc = E_FATAL;
	}
	if (!rc) {
		t->iso_good += to - from;
		return exec_cmd(t, "RELEASE SAVEPOINT ks_probe", "RELEASE") ? E_CONN : 0;
	}
	if (rc == E_CONN || rc == E_FATAL || rc == E_STALE)
		return rc;
	/* an outage is not the rows' fault; an internal error only when it
	 * outlasted the retry budget (internal_ok) */
	if (rc == E_TRANSIENT && !(internal_ok && !strncmp(t->sqlstate, "XX", 2)))
		return rc;
	{
		char err[KS_ERRSTR_SIZE], st[6];
		xsnprintf(err, sizeof(err), "%s", t->errstr);
		xsnprintf(st, sizeof(st), "%s", t->sqlstate);
		if (exec_cmd(t, "ROLLBACK TO SAVEPOINT ks_probe", "ROLLBACK TO"))
			return E_CONN;
		xsnprintf(t->errstr, sizeof(t->errstr), "%s", err);
		xsnprintf(t->sqlstate, sizeof(t->sqlstate), "%s", st);
	}
	return E_RECORD;
}

/* Probes rows [from, to) of g, splitting failing ranges: 0 or the class of
 * an error that ends the isolation. */
static int iso_range(ks_sink_task_t *t, const jgroup_t *g, const char *copy, const char *merge,
                     size_t from, size_t to, int internal_ok)
{
	int rc = iso_probe(t, g, copy, merge, from, to, internal_ok);

	if (rc != E_RECORD)
		return rc;
	if (to - from == 1)
		return bad_add(t, g->rows[from]);
	if (to - from <= ISO_ROWS) {
		for (size_t i = from; i < to; i++) {
			rc = iso_probe(t, g, copy, merge, i, i + 1, internal_ok);
			if (rc == E_RECORD)
				rc = bad_add(t, g->rows[i]);
			if (rc)
				return rc;
		}
		return 0;
	}
	if ((rc = iso_range(t, g, copy, merge, from, from + (to - from) / 2, internal_ok)))
		return rc;
	return iso_range(t, g, copy, merge, from + (to - from) / 2, to, internal_ok);
}

/* Finds every staged record that fails on its own (t->bad, ascending;
 * bad_index, errstr and sqlstate of the first). E_RECORD when it found
 * some, E_FATAL when the batch fails but no record alone does, else the
 * class of the error that stopped it. internal_ok: the retry budget is
 * spent, so a record raising an internal error (XX) alone is bad too, but
 * only when other rows of the batch go in (else it is an outage). */
static int isolate(ks_sink_task_t *t, int internal_ok)
{
	char err[KS_ERRSTR_SIZE], st[6];
	int rc;

	xsnprintf(err, sizeof(err), "%s", t->errstr);
	xsnprintf(st, sizeof(st), "%s", t->sqlstate);
	t->nbad = 0;
	t->iso_good = 0;
	if ((rc = plan(t, 0, t->nstaged)) || (rc = prepare(t)))
		return rc;
	/* deferred constraints fire at their row, not at a COMMIT we never run */
	if ((rc = exec_cmd(t, "BEGIN", "BEGIN")) ||
	    (rc = exec_cmd(t, "SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS")))
		goto out;
	for (size_t i = 0; i < t->ngroups && !rc; i++) {
		const jgroup_t *g = &t->groups[i];
		const jlayout_t *l = g->layout;
		ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;

		if (l->skip || !g->n ||
		    (!l->is_delete && t->set.insert_mode == KS_JDBC_UPDATE && l->ncols == l->nkeys))
			continue; /* as write_group */
		group_sql(t, g->table, l, &copy, &merge);
		if (ks_buf_failed(&copy) || ks_buf_failed(&merge)) {
			xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
			rc = E_FATAL;
		} else {
			size_t bs = (size_t)t->set.batch_size;
			for (size_t from = 0; from < g->n && !rc; from += bs)
				rc = iso_range(t, g, copy.data, merge.data, from,
				               from + bs < g->n ? from + bs : g->n, internal_ok);
		}
		ks_buf_free(&copy);
		ks_buf_free(&merge);
	}
out:
	if (t->conn && PQstatus(t->conn) == CONNECTION_OK)
		PQclear(PQexec(t->conn, "ROLLBACK"));
	if (rc) {
		t->nbad = 0;
		return rc == E_DATA || rc == E_RECORD ? E_FATAL : rc;
	}
	/* internal errors while nothing goes in: the server's trouble */
	int outage = !t->nbad && !strncmp(st, "XX", 2);
	for (size_t i = 0; i < t->nbad && !t->iso_good; i++)
		outage |= !strncmp(t->bad[i].sqlstate, "XX", 2);
	if (outage) {
		t->nbad = 0;
		xsnprintf(t->errstr, sizeof(t->errstr), "%s", err);
		xsnprintf(t->sqlstate, sizeof(t->sqlstate), "%s", st);
		return E_TRANSIENT;
	}
	if (!t->nbad) {
		xsnprintf(t->errstr, sizeof(t->errstr),
		          "%s (the batch of %zu fails, but no record fails on its own)", err,
		          t->nstaged);
		xsnprintf(t->sqlstate, sizeof(t->sqlstate), "%s", st);
		return E_FATAL;
	}
	qsort(t->bad, t->nbad, sizeof(*t->bad), cmp_bad);
	t->bad_index = t->bad[0].index;
	xsnprintf(t->errstr, sizeof(t->errstr), "%s", t->bad[0].errstr);
	xsnprintf(t->sqlstate, sizeof(t->sqlstate), "%s", t->bad[0].sqlstate);
	return E_RECORD;
}

static int offsets_query(ks_sink_task_t *t, const char *connector, ks_tp_offset_t **out,
                         size_t *nout);

/* *same = 1 when the store holds exactly offs (offset < 0: no entry). */
static int offsets_equal(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n, int *same)
{
	ks_tp_offset_t *all = NULL;
	size_t nall = 0;
	int rc = offsets_query(t, t->connector, &all, &nall);

	*same = 0;
	if (!rc) {
		*same = 1;
		for (size_t i = 0; i < n && *same; i++) {
			int64_t stored = -1;
			for (size_t k = 0; k < nall; k++)
				if (all[k].partition == offs[i].partition &&
				    !strcmp(all[k].topic, offs[i].topic))
					stored = all[k].offset;
			*same = stored == (offs[i].offset < 0 ? -1 : offs[i].offset);
		}
	}
	ks_tp_offsets_free(all, nall);
	return rc;
}

static void result_set(ks_sink_task_t *t, ks_commit_result_t *res, ks_err_t err)
{
	res->err = err;
	xsnprintf(res->errstr, sizeof(res->errstr), "%s", t->errstr);
	xsnprintf(res->sqlstate, sizeof(res->sqlstate), "%s", t->sqlstate);
	if (err == KS_ERR_RECORD) {
		res->bad_index = t->bad_index;
		if (t->nbad > 1 && t->bad[0].index == t->bad_index) {
			res->more = t->bad + 1;
			res->nmore = t->nbad - 1;
		}
	}
}

static void jdbc_commit(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n,
                        ks_commit_result_t *res)
{
	int rc = E_OK, first = 0, streamed = 0;

	memset(res, 0, sizeof(*res));
	t->nbad = 0;
	if (!t->nstaged && !n) {
		stream_abort(t);
		return;
	}
	if (t->st == ST_ON || t->st == ST_STOPPED || t->st == ST_BROKEN) {
		rc = stream_finish(t, offs, n);
		if (rc == E_OK) {
			streamed = t->st_n == t->nstaged ? 2 : 1; /* 2: no rest */
			streamed_commits++;
			goto done;
		}
		if (rc != E_REDO) {
			KS_WARN(t->ctx, "commit attempt 1 of %d failed: %s", t->set.max_retries + 1,
			        t->errstr);
			first = 1; /* that was the first attempt */
			if (rc == E_STALE)
				for (jtable_t *tb = t->tables; tb; tb = tb->next)
					tb->resolved = 0;
			if (rc == E_CONN || rc == E_TRANSIENT)
				conn_drop(t); /* retries run on a new session */
		}
	}
	t->st = ST_OFF;
	for (int attempt = first; attempt <= t->set.max_retries; attempt++) {
		t->errstr[0] = 0;
		t->sqlstate[0] = 0;
		if (attempt && rc == E_TRANSIENT)
			sleep_ms(t->set.retry_backoff_ms);
		if ((rc = conn_ensure(t)))
			goto fail; /* unreachable after connection.attempts: RETRIABLE */
		if (t->commit_unknown && n) {
			/* did the last COMMIT happen? The offsets say so exactly
			 * when they equal what we were writing. */
			int same = 0;
			if ((rc = offsets_equal(t, offs, n, &same))) {
				if (rc == E_CONN)
					conn_drop(t);
				continue;
			}
			t->commit_unknown = 0;
			if (same) {
				KS_INFO(t->ctx, "the COMMIT whose acknowledgement was lost did "
				                "happen (offsets match): not writing again");
				break;
			}
		}
		if ((rc = plan(t, 0, t->nstaged)) || (rc = prepare(t)) ||
		    (rc = run_tx(t, offs, n, 1))) {
			/* an internal error that outlasted the retry budget may be
			 * one record's, as a data error may */
			int last = attempt == t->set.max_retries;
			if (rc == E_DATA ||
			    (rc == E_TRANSIENT && last && !strncmp(t->sqlstate, "XX", 2))) {
				KS_WARN(t->ctx,
				        "batch of %zu failed (%s); isolating the bad records",
				        t->nstaged, t->errstr);
				rc = isolate(t, last);
				if (rc == E_RECORD || rc == E_FATAL)
					goto fail;
			}
			if (rc == E_RECORD || rc == E_FATAL)
				goto fail;
			if (rc == E_STALE)
				for (jtable_t *tb = t->tables; tb; tb = tb->next)
					tb->resolved = 0;
			if (rc == E_CONN || rc == E_TRANSIENT)
				conn_drop(t); /* retries run on a new session */
			KS_WARN(t->ctx, "commit attempt %d of %d failed: %s", attempt + 1,
			        t->set.max_retries + 1, t->errstr);
			continue;
		}
		rc = E_OK;
		break;
	}
done:
	if (rc == E_OK) {
		KS_DEBUG(t->ctx, "committed %zu records, %zu offsets%s", t->nstaged, n,
		         streamed ? " (streamed)" : "");
		/* the next batch streams when this one was that simple */
		if (streamed != 2) {
			t->warm_tb = NULL;
			t->warm_l = NULL;
			if (t->ngroups == 1 && !t->groups[0].layout->is_delete) {
				t->warm_tb = t->groups[0].table;
				t->warm_l = t->groups[0].layout;
			}
		}
		t->nstaged = 0;
		t->st = ST_OFF;
		groups_clear(t);
		return;
	}
fail:
	t->st = ST_OFF;
	groups_clear(t);
	if (rc == E_RECORD) {
		if (t->nbad > 1)
			KS_WARN(t->ctx,
			        "%zu records of the batch of %zu fail on their own; first %zu: %s",
			        t->nbad, t->nstaged, t->bad_index, t->errstr);
		else
			KS_WARN(t->ctx, "record %zu of the batch is bad: %s", t->bad_index,
			        t->errstr);
		result_set(t, res, KS_ERR_RECORD);
	} else if (rc == E_FATAL || rc == E_DATA) {
		KS_ERROR(t->ctx, "commit failed: %s", t->errstr);
		result_set(t, res, KS_ERR_FATAL);
	} else {
		/* the next call starts on a new session (a role's settings, a
		 * server-side change take effect) */
		conn_drop(t);
		result_set(t, res, KS_ERR_RETRIABLE);
	}
}

/* --- task lifecycle --- */

static void jdbc_task_destroy(ks_sink_task_t *t)
{
	if (!t)
		return;
	conn_drop(t);
	while (t->tables) {
		jtable_t *tb = t->tables;
		t->tables = tb->next;
		while (tb->layouts) {
			jlayout_t *l = tb->layouts;
			tb->layouts = l->next;
			layout_free(l);
		}
		table_free_cols(tb);
		free(tb->spec);
		free(tb->schema);
		free(tb->name);
		free(tb->qname);
		free(tb);
	}
	for (size_t i = 0; i < t->ntopics; i++)
		free(t->topics[i].topic);
	free(t->topics);
	groups_clear(t);
	free(t->groups);
	free(t->staged);
	free(t->bad);
	ks_buf_free(&t->sql);
	ks_buf_free(&t->data);
	ks_buf_free(&t->keys);
	ks_buf_free(&t->st_buf);
	ks_buf_free(&t->st_keys);
	free(t->st_set);
	free(t->cur_db);
	free(t->cur_schema);
	free(t->offq);
	free(t->connector);
	ks_jdbc_settings_clear(&t->set);
	free(t);
}

static ks_sink_task_t *jdbc_task_new(const ks_props_t *config, const char *connector, int task_id,
                                     char *errstr, size_t errlen)
{
	ks_sink_task_t *t = calloc(1, sizeof(*t));

	if (!t) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	if (ks_jdbc_settings_parse(config, &t->set, errstr, errlen)) {
		free(t);
		return NULL;
	}
	t->task_id = task_id;
	if (!(t->connector = strdup(connector ? connector : ""))) {
		jdbc_task_destroy(t);
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	xsnprintf(t->ctx, sizeof(t->ctx), "jdbc|%s-%d", t->connector, task_id);
	return t; /* connects lazily: a database outage must not fail the start */
}

static ks_err_t jdbc_put(ks_sink_task_t *t, ks_record_t *const *recs, size_t n, char *errstr,
                         size_t errlen)
{
	if (t->nstaged + n > t->capstaged) {
		size_t nc = t->capstaged ? t->capstaged : 256;
		while (nc < t->nstaged + n)
			nc *= 2;
		ks_record_t **s = realloc(t->staged, nc * sizeof(*s));
		if (!s)
			return (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		t->staged = s;
		t->capstaged = nc;
	}
	memcpy(t->staged + t->nstaged, recs, n * sizeof(*recs));
	t->nstaged += n;
	stream_feed(t, t->nstaged - n, t->nstaged);
	return KS_OK;
}

static void jdbc_discard(ks_sink_task_t *t, size_t index)
{
	stream_abort(t);
	if (index >= t->nstaged)
		return;
	memmove(t->staged + index, t->staged + index + 1,
	        (t->nstaged - index - 1) * sizeof(*t->staged));
	t->nstaged--;
}

/* Drops the staged records of the revoked partitions; with the last one
 * closed the connection goes too, so a task without partitions holds no
 * backend (tasks.max above the partition count); open() connects again. */
static void jdbc_close(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n)
{
	size_t k = 0;

	stream_abort(t);
	for (size_t i = 0; i < t->nstaged; i++) {
		int drop = 0;
		for (size_t p = 0; p < n && !drop; p++)
			drop = t->staged[i]->partition == parts[p].partition &&
			       !strcmp(t->staged[i]->topic, parts[p].topic);
		if (!drop)
			t->staged[k++] = t->staged[i];
	}
	t->nstaged = k;
	t->nopen = n < t->nopen ? t->nopen - n : 0;
	if (!t->nopen && t->conn) {
		KS_INFO(t->ctx, "no partitions left: closing the connection");
		conn_drop(t);
	}
}

/* Reads the stored offsets of connector: all of them (parts == NULL) or
 * for the given partitions. */
static int offsets_query(ks_sink_task_t *t, const char *connector, ks_tp_offset_t **out,
                         size_t *nout)
{
	const char *params[1] = {connector};
	PGresult *res;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	ks_buf_reset(&t->sql);
	ks_buf_printf(&t->sql,
	              "SELECT topic, \"partition\", next_offset FROM %s WHERE connector = $1 "
	              "ORDER BY topic, \"partition\"",
	              t->offq);
	res = PQexecParams(t->conn, t->sql.data, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = sql_error(t, res, "offsets read");
		PQclear(res);
		return rc;
	}
	int nt = PQntuples(res);
	if (nt && !(*out = calloc((size_t)nt, sizeof(**out)))) {
		PQclear(res);
		xsnprintf(t->errstr, sizeof(t->errstr), "out of memory");
		return E_FATAL;
	}
	for (int i = 0; i < nt; i++) {
		ks_tp_offset_t *o = &(*out)[i];
		if (!(o->topic = strdup(PQgetvalue(res, i, 0)))) {
			rc = E_FATAL;
			break;
		}
		o->partition = (int32_t)strtol(PQgetvalue(res, i, 1), NULL, 10);
		o->offset = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		(*nout)++;
	}
	PQclear(res);
	return rc;
}

static ks_err_t err_of(int cls)
{
	return cls == E_CONN || cls == E_TRANSIENT || cls == E_STALE ? KS_ERR_RETRIABLE
	                                                             : KS_ERR_FATAL;
}

static ks_err_t jdbc_open(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
                          ks_tp_offset_t **out, char *errstr, size_t errlen)
{
	ks_tp_offset_t *all = NULL, *res;
	size_t nall = 0;
	int rc;

	*out = NULL;
	stream_abort(t);
	/* no partitions, no connection: connect on the first that is opened,
	 * before its offset is read (a retriable failure is retried by the
	 * worker, see open_retry in worker/task.c) */
	if (n && ((rc = conn_ensure(t)) || (rc = offsets_query(t, t->connector, &all, &nall)))) {
		ks_tp_offsets_free(all, nall);
		return (ks_err_t)ks_seterr(errstr, errlen, err_of(rc), "%s", t->errstr);
	}
	if (!(res = calloc(n ? n : 1, sizeof(*res)))) {
		ks_tp_offsets_free(all, nall);
		return (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		res[i].topic = strdup(parts[i].topic);
		res[i].partition = parts[i].partition;
		res[i].offset = -1;
		if (!res[i].topic) {
			ks_tp_offsets_free(res, i);
			ks_tp_offsets_free(all, nall);
			return (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		}
		for (size_t k = 0; k < nall; k++)
			if (all[k].partition == parts[i].partition &&
			    !strcmp(all[k].topic, parts[i].topic))
				res[i].offset = all[k].offset;
	}
	ks_tp_offsets_free(all, nall);
	t->nopen += n;
	*out = res;
	return KS_OK;
}

static ks_err_t jdbc_offsets_read(const ks_props_t *config, const char *connector,
                                  ks_tp_offset_t **out, size_t *n, char *errstr, size_t errlen)
{
	ks_sink_task_t *t = jdbc_task_new(config, connector, -1, errstr, errlen);
	int rc;

	*out = NULL;
	*n = 0;
	if (!t)
		return KS_ERR_FATAL;
	if ((rc = conn_ensure(t)) || (rc = offsets_query(t, connector, out, n))) {
		ks_seterr(errstr, errlen, 0, "%s", t->errstr);
		ks_tp_offsets_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	jdbc_task_destroy(t);
	return rc ? err_of(rc) : KS_OK;
}

static ks_err_t jdbc_offsets_alter(const ks_props_t *config, const char *connector,
                                   const ks_tp_offset_t *offs, size_t n, int reset_all,
                                   char *errstr, size_t errlen)
{
	ks_sink_task_t *t = jdbc_task_new(config, connector, -1, errstr, errlen);
	int rc;

	if (!t)
		return KS_ERR_FATAL;
	if (!(rc = conn_ensure(t)) && !(rc = exec_cmd(t, "BEGIN", "BEGIN"))) {
		if (reset_all && !n) {
			const char *params[1] = {connector};
			PGresult *res;
			ks_buf_reset(&t->sql);
			ks_buf_printf(&t->sql, "DELETE FROM %s WHERE connector = $1", t->offq);
			res = PQexecParams(t->conn, t->sql.data, 1, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				rc = sql_error(t, res, "offsets reset");
			PQclear(res);
		} else {
			rc = offsets_write(t, connector, offs, n);
		}
		if (!rc)
			rc = exec_cmd(t, "COMMIT", "COMMIT");
		else if (t->conn && PQstatus(t->conn) == CONNECTION_OK)
			PQclear(PQexec(t->conn, "ROLLBACK"));
	}
	if (rc)
		ks_seterr(errstr, errlen, 0, "%s", t->errstr);
	jdbc_task_destroy(t);
	return rc ? err_of(rc) : KS_OK;
}

static const char *const jdbc_aliases[] = {"JdbcSinkConnector", "JdbcSink", NULL};

const ks_connector_plugin_t ks_jdbc_sink_plugin = {
        .class_name = "io.confluent.connect.jdbc.JdbcSinkConnector",
        .aliases = jdbc_aliases,
        .type = "sink",
        .version = "10.9.7-ksink",
        .task_class = "io.confluent.connect.jdbc.sink.JdbcSinkTask",
        .config_defs = ks_jdbc_config_defs,
        .validate = ks_jdbc_config_validate,
        .task_new = jdbc_task_new,
        .open = jdbc_open,
        .put = jdbc_put,
        .commit = jdbc_commit,
        .discard = jdbc_discard,
        .close = jdbc_close,
        .task_destroy = jdbc_task_destroy,
        .offsets_read = jdbc_offsets_read,
        .offsets_alter = jdbc_offsets_alter,
};
