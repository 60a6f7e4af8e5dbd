/*
 * 0340-jdbc_failures.c — failure handling of the JDBC sink: a failure
 * injected between the data write and COMMIT leaves neither data nor
 * offsets behind; bad-record isolation pins the one NOT NULL violation in a
 * batch of 100 (bad_index, discard, 99 rows); lazy connect (task_new works
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
	sql("DELETE FROM __ksink_offsets WHERE connector = 'f-inject'");
	t = task("f-inject", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "f_inject", 0, 0, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "f_inject", 0, 1);
	r[0] = brec(b, "f_inject", 0, 1, 1, "changed", 2);
	r[1] = brec(b, "f_inject", 0, 2, 2, "b", 2);
	r[2] = brec(b, "f_inject", 0, 3, 3, "c", 3);
	put(t, r, 3);
	/* max.retries=1: two attempts, both fail right before COMMIT */
	ks_jdbc_test_fail_commits(2);
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
	ks_jdbc_test_fail_commits(1);
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
	ks_commit_result_t res;

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT NOT NULL, amount FLOAT8)", topic);
	sql("DELETE FROM __ksink_offsets WHERE connector = '%s'", topic);
	t = task(topic,
	         cfg("pk.mode", "record_key", "insert.mode", mode, "batch.size", "30", NULL));
	for (int i = 0; i < 100; i++)
		r[i] = brec(b, topic, 0, i, i, i == 37 ? NULL : "ok", i);
	put(t, r, 100);
	res = commit(t, topic, 0, 100);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(res.bad_index, 37);
	KS_CHECK_STR(res.sqlstate, "23502");
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 0);
	KS_CHECK_STR(q1("SELECT count(*) FROM __ksink_offsets WHERE connector = '%s'", topic), "0");
	ks_jdbc_sink_plugin.discard(t, 37);
	COMMIT_OK(t, topic, 0, 100);
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
	sql("DELETE FROM __ksink_offsets WHERE connector = 'f-ack'");
	/* insert mode without keys: writing twice would duplicate rows */
	t = task("f-ack", cfg(NULL));
	for (int i = 0; i < 3; i++)
		r[i] = brec(b, "f_ack", 0, i, i, "x", i);
	put(t, r, 3);
	ks_jdbc_test_lose_commit_acks(1);
	COMMIT_OK(t, "f_ack", 0, 3);
	KS_CHECK_INT(qn("SELECT count(*) FROM f_ack"), 3);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'f-ack'"), 3);
	/* lost ack and the worker gives up in between: the next call finds out */
	for (int i = 0; i < 3; i++)
		r[i] = brec(b, "f_ack", 0, 3 + i, i, "y", i);
	ks_jdbc_sink_plugin.task_destroy(t);
	t = task("f-ack", cfg("max.retries", "0", NULL));
	ks_jdbc_test_lose_commit_acks(1);
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
