/*
 * 0340-jdbc_failures.c — failure handling of the JDBC sink: a failure
 * injected between the data write and COMMIT leaves neither data nor
 * offsets behind; bad-record isolation pins the one NOT NULL violation in a
 * batch of 100 (bad_index, discard, 99 rows) and three bad records of
 * different kinds in one pass (bad_index + more); retries reconnect after a
 * session-bound error (a role's statement_timeout); lazy connect (task_new works
 * while the database is unreachable, commit is RETRIABLE and keeps the
 * batch); a COMMIT whose acknowledgement is lost is not written twice.
 */
#include "jdbc_helpers.h"

KS_TEST(failure_before_commit_leaves_nothing)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[3];
	ks_commit_result_t res;

	sql("DROP TABLE IF EXISTS f_inject");
	forget_offsets("f-inject");
	t = task("f-inject", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "f_inject", 0, 0, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "f_inject", 0, 1);
	r[0] = brec(b, "f_inject", 0, 1, 1, "changed", 2);
	r[1] = brec(b, "f_inject", 0, 2, 2, "b", 2);
	r[2] = brec(b, "f_inject", 0, 3, 3, "c", 3);
	put(t, r, 3);
	/* max.retries=1: two attempts, both fail right before COMMIT */
	ks_jdbc_test_fail_commits(t, 2);
	res = commit(t, "f_inject", 0, 4);
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK(strstr(res.errstr, "injected"), "%s", res.errstr);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM f_inject"),
	             "1=a");
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'f-inject'"), 1);
	/* the staged batch was kept: the next commit writes it */
	COMMIT_OK(t, "f_inject", 0, 4);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM f_inject"),
	             "1=changed,2=b,3=c");
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'f-inject'"), 4);
	done(t);
	basic_free(b);
}

KS_TEST(one_failure_is_retried_inside_commit)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS f_retry");
	t = task("f-retry", cfg(NULL));
	r[0] = brec(b, "f_retry", 0, 0, 1, "a", 1);
	put(t, r, 1);
	ks_jdbc_test_fail_commits(t, 1);
	COMMIT_OK(t, "f_retry", 0, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM f_retry"), 1);
	done(t);
	basic_free(b);
}

static void isolate_in(const char *mode, const char *topic)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[100];
	const th_errant_t *e;

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT NOT NULL, amount FLOAT8)", topic);
	forget_offsets(topic);
	t = task(topic,
	         cfg("pk.mode", "record_key", "insert.mode", mode, "batch.size", "30", NULL));
	for (int i = 0; i < 100; i++)
		r[i] = brec(b, topic, 0, i, i, i == 37 ? NULL : "ok", i);
	put(t, r, 100);
	e = refused(t, topic, 0, 100, 37);
	KS_CHECK(strstr(e->errstr, "null value"), "%s", e->errstr);
	KS_CHECK_STR(e->exception, "org.postgresql.util.PSQLException");
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 0);
	KS_CHECK_STR(q1("SELECT count(*) FROM __ksink_offsets WHERE connector = '%s'", topic), "0");
	commit_bad(t, topic, 0, 100, (int64_t[]){37}, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 99);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE id = 37", topic), 0);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             100);
	done(t);
	basic_free(b);
}

KS_TEST(bad_record_isolation_insert)
{
	isolate_in("insert", "f_iso_insert");
}

KS_TEST(bad_record_isolation_upsert)
{
	isolate_in("upsert", "f_iso_upsert");
}

/* Three bad records of different kinds (NOT NULL, a CHECK, a trigger's
 * RAISE: P0001) are all pinned in one commit() call: bad_index + more,
 * ascending, each with its own error; discarding them from the highest
 * index down lets the rest commit. */
static void isolate_many_in(const char *mode, const char *topic)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[100];
	const th_errant_t *e;

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT NOT NULL, "
	    "amount FLOAT8 CHECK (amount <> 50))",
	    topic);
	sql("CREATE OR REPLACE FUNCTION f_iso_many_refuse() RETURNS trigger LANGUAGE plpgsql AS "
	    "$$ BEGIN IF NEW.name = 'refuse' THEN RAISE EXCEPTION 'refusing %%', NEW.id; END IF; "
	    "RETURN NEW; END $$");
	sql("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON \"%s\" FOR EACH ROW EXECUTE "
	    "FUNCTION f_iso_many_refuse()",
	    topic);
	forget_offsets(topic);
	t = task(topic,
	         cfg("pk.mode", "record_key", "insert.mode", mode, "batch.size", "30", NULL));
	for (int i = 0; i < 100; i++)
		r[i] = brec(b, topic, 0, i, i, i == 3 ? NULL : i == 97 ? "refuse" : "ok", i);
	put(t, r, 100);
	refused(t, topic, 0, 100, 3);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 0);
	e = commit_bad(t, topic, 0, 100, (int64_t[]){3, 50, 97}, 3);
	KS_CHECK(strstr(e[0].errstr, "null value"), "%s", e[0].errstr);
	KS_CHECK(strstr(e[1].errstr, "check constraint"), "%s", e[1].errstr);
	KS_CHECK(strstr(e[2].errstr, "refusing 97"), "%s", e[2].errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 97);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE id IN (3, 50, 97)", topic), 0);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             100);
	done(t);
	basic_free(b);
}

KS_TEST(several_bad_records_in_one_pass_insert)
{
	isolate_many_in("insert", "f_iso_many_insert");
}

KS_TEST(several_bad_records_in_one_pass_upsert)
{
	isolate_many_in("upsert", "f_iso_many_upsert");
}

/* An error that fails every statement of a session (a role's
 * statement_timeout) is retried on a new session: after the setting is
 * reset, the next commit() succeeds without a new task. */
KS_TEST(retries_reconnect_after_a_session_error)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_commit_result_t res;

	sql("DROP TABLE IF EXISTS f_sess");
	sql("DROP ROLE IF EXISTS f_sess_role");
	sql("CREATE ROLE f_sess_role LOGIN SUPERUSER PASSWORD 'f_sess_pw'");
	sql("CREATE TABLE f_sess (id INT, name TEXT, amount FLOAT8)");
	sql("CREATE OR REPLACE FUNCTION f_sess_slow() RETURNS trigger LANGUAGE plpgsql AS "
	    "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END $$");
	sql("CREATE TRIGGER slow BEFORE INSERT ON f_sess FOR EACH STATEMENT EXECUTE FUNCTION "
	    "f_sess_slow()");
	t = task("f-sess", cfg("connection.user", "f_sess_role", "connection.password", "f_sess_pw",
	                       "max.retries", "1", "retry.backoff.ms", "10", "connection.attempts",
	                       "1", NULL));
	r[0] = brec(b, "f_sess", 0, 0, 1, "a", 1);
	put(t, r, 1);
	/* connected first, then the role gets a 1 ms statement_timeout that
	 * only new sessions see: kill the session so the retry sees it */
	COMMIT_OK(t, "f_sess", 0, 1);
	sql("ALTER ROLE f_sess_role SET statement_timeout = '1ms'");
	sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'f_sess_role'");
	r[0] = brec(b, "f_sess", 0, 1, 2, "b", 2);
	put(t, r, 1);
	res = commit(t, "f_sess", 0, 2);
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK(strstr(res.errstr, "statement timeout"), "%s", res.errstr);
	sql("ALTER ROLE f_sess_role RESET statement_timeout");
	COMMIT_OK(t, "f_sess", 0, 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM f_sess"), 2);
	done(t);
	sql("DROP ROLE IF EXISTS f_sess_role");
	basic_free(b);
}

KS_TEST(lazy_connect_and_outage_is_retriable)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_tp_offset_t part = {"f_lazy", 0, -1}, *out = NULL;
	char err[512];
	ks_commit_result_t res;

	/* port 1 on loopback: nothing listens */
	t = task("f-lazy",
	         cfg("connection.url", "jdbc:postgresql://127.0.0.1:1/postgres?connectTimeout=2",
	             "connection.password", "topsecret", "connection.attempts", "2", NULL));
	KS_CHECK(ks_jdbc_sink_plugin.open(t, &part, 1, &out, err, sizeof(err)) == KS_ERR_RETRIABLE,
	         "open while down: %s", err);
	r[0] = brec(b, "f_lazy", 0, 0, 1, "a", 1);
	put(t, r, 1);
	res = commit(t, "f_lazy", 0, 1);
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK(strstr(res.errstr, "could not connect"), "%s", res.errstr);
	KS_CHECK(!strstr(res.errstr, "topsecret"), "password in error: %s", res.errstr);
	done(t);
	basic_free(b);
}

KS_TEST(lost_commit_ack_is_not_written_twice)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	sql("DROP TABLE IF EXISTS f_ack");
	forget_offsets("f-ack");
	/* insert mode without keys: writing twice would duplicate rows */
	t = task("f-ack", cfg(NULL));
	for (int i = 0; i < 3; i++)
		r[i] = brec(b, "f_ack", 0, i, i, "x", i);
	put(t, r, 3);
	ks_jdbc_test_lose_commit_acks(t, 1);
	COMMIT_OK(t, "f_ack", 0, 3);
	KS_CHECK_INT(qn("SELECT count(*) FROM f_ack"), 3);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'f-ack'"), 3);
	/* lost ack and the worker gives up in between: the next call finds out */
	for (int i = 0; i < 3; i++)
		r[i] = brec(b, "f_ack", 0, 3 + i, i, "y", i);
	ks_jdbc_sink_plugin.task_destroy(t);
	t = task("f-ack", cfg("max.retries", "0", NULL));
	ks_jdbc_test_lose_commit_acks(t, 1);
	put(t, r, 3);
	ks_commit_result_t res = commit(t, "f_ack", 0, 6);
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	COMMIT_OK(t, "f_ack", 0, 6);
	KS_CHECK_INT(qn("SELECT count(*) FROM f_ack"), 6);
	done(t);
	basic_free(b);
}

KS_TEST(trim_sensitive_log_hides_row_values)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_commit_result_t res;

	for (int trim = 0; trim < 2; trim++) {
		sql("DROP TABLE IF EXISTS f_trim");
		sql("CREATE TABLE f_trim (id INT, name TEXT NOT NULL, amount FLOAT8)");
		t = task("f-trim", cfg("trim.sensitive.log", trim ? "true" : "false", NULL));
		r[0] = brec(b, "f_trim", 0, 0, 4242, NULL, 1);
		put(t, r, 1);
		res = commit(t, "f_trim", 0, 1);
		KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
		KS_CHECK((strstr(res.errstr, "4242") == NULL) == trim, "trim=%d: %s", trim,
		         res.errstr);
		done(t);
	}
	basic_free(b);
}
