/*
 * session.c — the JDBC sink task's database session: lazy connect
 * (connection.attempts x connection.backoff.ms), session setup (time zone,
 * current database and schema, keepalives and idle_in_transaction_session_timeout,
 * the offsets table via offsets.c), reconnect
 * after errors, and the one classification of errors by SQLSTATE into
 * ks_err_t that the other files act on (sink.h):
 *   08xxx, 57P01-03, no connection          RETRIABLE, ks_jdbc_conn_lost (reconnect)
 *   40001, 40P01, 53, 55P03, 57, 58, XX     RETRIABLE (outage: back off)
 *   42P01, 42703                            RETRIABLE, ks_jdbc_stale (reload the catalog)
 *   42P10, 42501, 28, 3D, 25                FATAL (the table or the login)
 *   anything else (22, 23, 42, P0001, ...)  RECORD, not pinned (commit.c isolates)
 */
#include "sink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ks_jdbc_sleep_ms(int64_t ms)
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
 * retry budget and isolate() pins it to records, see ks_jdbc_commit). */
static int is_outage_state(const char *st)
{
	return !strcmp(st, "40001") || !strcmp(st, "40P01") || !strncmp(st, "53", 2) ||
	       !strcmp(st, "55P03") || !strncmp(st, "57", 2) || !strncmp(st, "58", 2) ||
	       !strncmp(st, "XX", 2);
}

/* No SQLSTATE (libpq's own), connection exceptions, a terminated backend. */
static int is_conn_state(const char *st)
{
	return !st || !*st || !strncmp(st, "08", 2) || !strcmp(st, "57P01") ||
	       !strcmp(st, "57P02") || !strcmp(st, "57P03");
}

/* A table or column vanished: reload the catalog and retry. */
static int is_stale_state(const char *st)
{
	return st && (!strcmp(st, "42P01") || !strcmp(st, "42703"));
}

int ks_jdbc_conn_lost(const ks_sink_task_t *t)
{
	return !t->db.conn || PQstatus(t->db.conn) != CONNECTION_OK || is_conn_state(t->sqlstate);
}

int ks_jdbc_stale(const ks_sink_task_t *t)
{
	return !ks_jdbc_conn_lost(t) && is_stale_state(t->sqlstate);
}

static ks_err_t classify_state(const char *st)
{
	if (is_conn_state(st) || is_outage_state(st) || is_stale_state(st))
		return KS_ERR_RETRIABLE;
	/* the table or the login, not a record: no unique index for ON
	 * CONFLICT, permission denied, authorization, unknown database, a
	 * transaction state we did not expect */
	if (!strcmp(st, "42P10") || !strcmp(st, "42501") || !strncmp(st, "28", 2) ||
	    !strncmp(st, "3D", 2) || !strncmp(st, "25", 2))
		return KS_ERR_FATAL;
	/* everything else may depend on the row (22 data, 23 constraints, 42,
	 * a trigger's P0001, 54000 program limits, ...): isolate() decides */
	return KS_ERR_RECORD;
}

/* Records the error of res (or of the connection) into t; returns its class. */
ks_err_t ks_jdbc_sql_error(ks_sink_task_t *t, PGresult *res, const char *what)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res && !t->set.trim_sensitive
	                             ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)
	                             : NULL;
	const char *where = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	ks_err_t cls;

	if (!msg || !*msg)
		msg = t->db.conn ? PQerrorMessage(t->db.conn) : "no connection";
	ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", st ? st : "");
	ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s: %s%s%s%s%s%s%s", what, msg,
	          detail ? " (" : "", detail ? detail : "", detail ? ")" : "", where ? " [" : "",
	          where ? where : "", where ? "]" : "");
	/* strip the newline libpq ends messages with */
	for (char *p = t->errstr; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!t->db.conn || PQstatus(t->db.conn) != CONNECTION_OK)
		return KS_ERR_RETRIABLE; /* ks_jdbc_conn_lost */
	cls = classify_state(st);
	if (cls == KS_ERR_RECORD)
		t->bad_index = KS_JDBC_UNPINNED; /* which record, if any: commit.c isolates */
	return cls;
}

/* Runs a statement without parameters; 0 ok, else the error class. */
ks_err_t ks_jdbc_exec(ks_sink_task_t *t, const char *sql, const char *what)
{
	PGresult *res = PQexec(t->db.conn, sql);
	int rc = 0;

	if (!res ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		rc = ks_jdbc_sql_error(t, res, what);
	PQclear(res);
	return rc;
}

ks_err_t ks_jdbc_exec_params(ks_sink_task_t *t, const char *sql, int n, const char *const *params,
                             const char *what, PGresult **out)
{
	PGresult *res = PQexecParams(t->db.conn, sql, n, NULL, params, NULL, NULL, 0);
	ks_err_t rc;

	if (out)
		*out = NULL;
	if (!res ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)) {
		rc = ks_jdbc_sql_error(t, res, what);
		PQclear(res);
		return rc;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return KS_OK;
}

void ks_jdbc_rollback(ks_sink_task_t *t)
{
	if (t->db.conn && PQstatus(t->db.conn) == CONNECTION_OK)
		PQclear(PQexec(t->db.conn, "ROLLBACK"));
}

/* --- connection --- */

void ks_jdbc_conn_drop(ks_sink_task_t *t)
{
	if (t->db.conn)
		PQfinish(t->db.conn);
	t->db.conn = NULL;
	for (jtable_t *tb = t->cat.tables; tb; tb = tb->next) {
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

static int conn_setup(ks_sink_task_t *t)
{
	const char *tz = t->set.db_timezone && !ks_strcaseeq(t->set.db_timezone, "Z")
	                         ? t->set.db_timezone
	                         : "UTC";
	const char *params[1] = {tz};
	PGresult *res;
	int rc;

	PQsetNoticeProcessor(t->db.conn, quiet_notice, NULL);
	/* a host that vanishes inside a transaction must not hold its row
	 * locks (the offsets rows a claim waits for) forever: the server ends
	 * an idle transaction after a minute and probes a silent client; each
	 * only when nothing (connection.url's options, the role, the database,
	 * the server) set it already */
	if ((rc = ks_jdbc_exec_params(
	             t,
	             "SELECT current_database(), current_schema(), "
	             "set_config('TimeZone', $1, false), "
	             "CASE WHEN current_setting('idle_in_transaction_session_timeout') = '0' "
	             "THEN set_config('idle_in_transaction_session_timeout', '60s', false) END, "
	             "CASE WHEN current_setting('tcp_keepalives_idle') = '0' "
	             "THEN set_config('tcp_keepalives_idle', '30', false) END, "
	             "CASE WHEN current_setting('tcp_keepalives_interval') = '0' "
	             "THEN set_config('tcp_keepalives_interval', '10', false) END, "
	             "CASE WHEN current_setting('tcp_keepalives_count') = '0' "
	             "THEN set_config('tcp_keepalives_count', '3', false) END",
	             1, params, "session setup", &res)))
		return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
	free(t->db.cur_db);
	free(t->db.cur_schema);
	t->db.cur_db = strdup(PQgetvalue(res, 0, 0));
	t->db.cur_schema = strdup(PQgetisnull(res, 0, 1) ? "public" : PQgetvalue(res, 0, 1));
	PQclear(res);
	if (!t->db.cur_db || !t->db.cur_schema) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	t->db.tz_utc = is_utc(tz);
	return ks_jdbc_offsets_prepare(t);
}

/* A connection attempt refused for a reason that retrying cannot cure:
 * the login (28P01 wrong password, 28000 unknown role / no pg_hba.conf
 * entry / role cannot log in), an unknown database (3D000), no CONNECT
 * privilege (42501), or libpq asked for a password none was given. libpq
 * keeps no SQLSTATE for a failed PQconnectdb (the server's ErrorResponse
 * goes into PQerrorMessage as text), so this matches the server's English
 * message texts (its lc_messages: authentication runs before the startup
 * packet's options apply) and libpq's own. Anything else, a server down or
 * starting up, too many connections, a DNS failure, stays an outage. */
static const char *conn_config_error(const char *msg)
{
	static const struct {
		const char *text, *state;
	} pat[] = {{"password authentication failed", "28P01"},
	           {"authentication failed for user", "28000"},
	           {"no pg_hba.conf entry", "28000"},
	           {"is not permitted to log in", "28000"},
	           {"no password supplied", "28P01"},
	           {"permission denied for database", "42501"},
	           {NULL, NULL}};

	if (!msg)
		return NULL;
	for (int i = 0; pat[i].text; i++)
		if (strstr(msg, pat[i].text))
			return pat[i].state;
	if (strstr(msg, "\" does not exist")) {
		if (strstr(msg, "FATAL:  role \""))
			return "28000";
		if (strstr(msg, "FATAL:  database \""))
			return "3D000";
	}
	return NULL;
}

/* PQconnectdb with TCP keepalives, so a server that vanishes is noticed:
 * the defaults come before dbname (connection.url's conninfo, expanded), so
 * the user's own keepalives settings win. */
static PGconn *connect_db(const char *conninfo)
{
	static const char *const keys[] = {
	        "keepalives",       "keepalives_idle", "keepalives_interval",
	        "keepalives_count", "dbname",          NULL};
	const char *vals[] = {"1", "30", "10", "3", conninfo, NULL};

	return PQconnectdbParams(keys, vals, 1);
}

/* Connects when there is no healthy connection: connection.attempts tries,
 * connection.backoff.ms apart. 0 or an error class. */
ks_err_t ks_jdbc_conn_ensure(ks_sink_task_t *t)
{
	if (t->db.conn && PQstatus(t->db.conn) == CONNECTION_OK) {
		PGTransactionStatusType ts = PQtransactionStatus(t->db.conn);
		if (ts == PQTRANS_IDLE)
			return 0;
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
			PQclear(PQexec(t->db.conn, "ROLLBACK"));
			if (PQtransactionStatus(t->db.conn) == PQTRANS_IDLE)
				return 0;
		}
	}
	ks_jdbc_conn_drop(t);
	for (int i = 0; i < t->set.attempts; i++) {
		if (i)
			ks_jdbc_sleep_ms(t->set.backoff_ms);
		t->db.conn = connect_db(t->set.conninfo);
		if (t->db.conn && PQstatus(t->db.conn) == CONNECTION_OK) {
			int rc = conn_setup(t);
			if (!rc) {
				KS_INFO(t->ctx, "connected to %s", t->set.conninfo_safe);
				return 0;
			}
			if (rc != KS_ERR_RETRIABLE) {
				ks_jdbc_conn_drop(t);
				return rc;
			}
		} else {
			ks_seterr(t->errstr, sizeof(t->errstr), 0,
			          "could not connect to the database (attempt %d of %d): %s", i + 1,
			          t->set.attempts,
			          t->db.conn ? PQerrorMessage(t->db.conn) : "out of memory");
			for (char *p = t->errstr; *p; p++)
				if (*p == '\n')
					*p = ' ';
			ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "08001");
			const char *cfg_state =
			        t->db.conn ? conn_config_error(PQerrorMessage(t->db.conn)) : NULL;
			if (cfg_state) {
				/* a configuration error: FATAL now, no retry */
				ks_seterr(
				        t->errstr, sizeof(t->errstr), 0,
				        "could not connect to the database (check "
				        "connection.url, connection.user, connection.password): %s",
				        PQerrorMessage(t->db.conn));
				for (char *p = t->errstr; *p; p++)
					if (*p == '\n')
						*p = ' ';
				ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", cfg_state);
				KS_WARN(t->ctx, "%s", t->errstr);
				ks_jdbc_conn_drop(t);
				return KS_ERR_FATAL;
			}
		}
		KS_WARN(t->ctx, "%s", t->errstr);
		ks_jdbc_conn_drop(t);
	}
	return KS_ERR_RETRIABLE; /* no connection: ks_jdbc_conn_lost */
}
