/*
 * 0375-jdbc_stream.c — the JDBC sink's streamed COPY (stream.c):
 * after a batch that wrote one table through one layout, the next batch's
 * rows go to Postgres while it is still being put. Proves the stream is
 * used (test hook counter) and that every way out of it writes exactly what
 * the usual path writes: a repeated key and a tombstone end the stream (the
 * rest is written in the same transaction, or the batch is redone), a bad
 * value is still pinned to its record, a schema change mid-batch still
 * evolves the table, a revoke (close) drops the batch, a failure before
 * COMMIT keeps the batch, a lost COMMIT acknowledgement writes nothing twice.
 */
#include "jdbc_helpers.h"

/* Forgets the offsets of connector (the table exists after a first commit). */
/* One record through the usual path, so the layout is warm. */
static ks_sink_task_t *warm_task(basic_t b, const char *topic, ks_props_t *p)
{
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	forget_offsets(topic);
	t = task(topic, p);
	r[0] = brec(b, topic, 0, 0, 0, "warm", 0);
	put(t, r, 1);
	COMMIT_OK(t, topic, 0, 1);
	return t;
}

/* Puts ids [from, to) as offsets from+... in chunks of 50, like the worker. */
static void put_range(basic_t b, ks_sink_task_t *t, const char *topic, int from, int to,
                      const char *name)
{
	ks_record_t *r[50];
	int n = 0;

	for (int id = from; id < to; id++) {
		r[n++] = brec(b, topic, 0, id, id, name, id);
		if (n == 50) {
			put(t, r, (size_t)n);
			n = 0;
		}
	}
	if (n)
		put(t, r, (size_t)n);
}

static void streamed_batch(const char *mode, const char *pk, const char *topic)
{
	basic_t b = basic();
	ks_sink_task_t *t = warm_task(b, topic, cfg("pk.mode", pk, "insert.mode", mode, NULL));
	int before = ks_jdbc_test_streamed_commits(t);

	put_range(b, t, topic, 1, 301, "s");
	COMMIT_OK(t, topic, 0, 301);
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), before + 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 301);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 's'", topic), 300);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             301);
	/* and again: the stream stays on while batches stay simple */
	put_range(b, t, topic, 301, 401, "s2");
	COMMIT_OK(t, topic, 0, 401);
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), before + 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 401);
	done(t);
	basic_free(b);
}

KS_TEST(stream_insert_no_key)
{
	streamed_batch("insert", "none", "s_insert");
}

KS_TEST(stream_upsert)
{
	streamed_batch("upsert", "record_key", "s_upsert");
}

KS_TEST(stream_repeated_key_rest_in_same_transaction)
{
	basic_t b = basic();
	const char *topic = "s_dup";
	ks_sink_task_t *t =
	        warm_task(b, topic, cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	int before = ks_jdbc_test_streamed_commits(t);
	ks_record_t *r[3];

	put_range(b, t, topic, 10, 60, "first");
	r[0] = brec(b, topic, 0, 60, 10, "late", 1); /* key 10 again: ends the stream */
	r[1] = brec(b, topic, 0, 61, 70, "after", 2);
	r[2] = brec(b, topic, 0, 62, 10, "latest", 3); /* and once more in the rest */
	put(t, r, 3);
	COMMIT_OK(t, topic, 0, 63);
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), before + 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 52);
	KS_CHECK_STR(q1("SELECT name || ':' || amount FROM \"%s\" WHERE id = 10", topic),
	             "latest:3");
	KS_CHECK_STR(q1("SELECT name FROM \"%s\" WHERE id = 70", topic), "after");
	KS_CHECK_STR(q1("SELECT name FROM \"%s\" WHERE id = 59", topic), "first");
	done(t);
	basic_free(b);
}

KS_TEST(stream_tombstone_redone_the_usual_way)
{
	basic_t b = basic();
	const char *topic = "s_tomb";
	ks_sink_task_t *t = warm_task(b, topic,
	                              cfg("pk.mode", "record_key", "insert.mode", "upsert",
	                                  "delete.enabled", "true", NULL));
	ks_record_t *r[1];

	put_range(b, t, topic, 1, 21, "x");
	r[0] = btomb(b, topic, 0, 21, 5);
	put(t, r, 1);
	r[0] = brec(b, topic, 0, 22, 21, "y", 21);
	put(t, r, 1);
	COMMIT_OK(t, topic, 0, 23);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 21); /* 0..21 without 5 */
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE id = 5", topic), 0);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             23);
	done(t);
	basic_free(b);
}

static void bad_value(const char *mode, const char *topic)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	const th_errant_t *e;

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT NOT NULL, amount FLOAT8)", topic);
	forget_offsets(topic);
	t = task(topic, cfg("pk.mode", "record_key", "insert.mode", mode, NULL));
	r[0] = brec(b, topic, 0, 0, 0, "warm", 0);
	put(t, r, 1);
	COMMIT_OK(t, topic, 0, 1);
	put_range(b, t, topic, 1, 20, "ok");
	r[0] = brec(b, topic, 0, 20, 20, NULL, 20); /* NOT NULL violation */
	put(t, r, 1);
	put_range(b, t, topic, 21, 50, "ok");
	e = refused(t, topic, 0, 50, 20);
	KS_CHECK(strstr(e->errstr, "null value"), "%s", e->errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 1);
	commit_bad(t, topic, 0, 50, (int64_t[]){20}, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 49);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE id = 20", topic), 0);
	done(t);
	basic_free(b);
}

KS_TEST(stream_bad_value_insert)
{
	bad_value("insert", "s_bad_insert");
}

KS_TEST(stream_bad_value_upsert)
{
	bad_value("upsert", "s_bad_upsert");
}

KS_TEST(stream_schema_change_mid_batch)
{
	basic_t b = basic();
	const char *topic = "s_evolve";
	ks_sink_task_t *t = warm_task(
	        b, topic,
	        cfg("pk.mode", "record_key", "insert.mode", "upsert", "auto.evolve", "true", NULL));
	ks_schema_t *vs2 = sch_struct();
	ks_value_t *k = vstruct(1), *v = vstruct(4);
	ks_record_t *r[1];

	field(vs2, "id", sch(KS_TYPE_INT32, 0));
	field(vs2, "name", sch(KS_TYPE_STRING, 1));
	field(vs2, "amount", sch(KS_TYPE_FLOAT64, 1));
	field(vs2, "extra", sch(KS_TYPE_STRING, 1));
	put_range(b, t, topic, 1, 30, "v1");
	vint(&k->u.st.fields[0], KS_TYPE_INT32, 100);
	vint(&v->u.st.fields[0], KS_TYPE_INT32, 100);
	vstr(&v->u.st.fields[1], "v2");
	vdbl(&v->u.st.fields[2], KS_TYPE_FLOAT64, 1.5);
	vstr(&v->u.st.fields[3], "more");
	r[0] = rec(topic, 0, 30, b.ks, k, vs2, v);
	put(t, r, 1);
	COMMIT_OK(t, topic, 0, 31);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 31);
	KS_CHECK_STR(q1("SELECT extra FROM \"%s\" WHERE id = 100", topic), "more");
	KS_CHECK_STR(q1("SELECT coalesce(extra, 'none') FROM \"%s\" WHERE id = 7", topic), "none");
	done(t);
	ks_schema_unref(vs2);
	basic_free(b);
}

KS_TEST(stream_close_drops_the_batch)
{
	basic_t b = basic();
	const char *topic = "s_close";
	ks_sink_task_t *t =
	        warm_task(b, topic, cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	ks_tp_offset_t part = {topic, 0, 1};

	put_range(b, t, topic, 1, 100, "dropped");
	ks_jdbc_sink_plugin.close(t, &part, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 1);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             1);
	/* assigned again (open claims it anew: a closed partition is never
	 * written before), the connection is usable */
	{
		ks_tp_offset_t *out = NULL;
		char err[256] = "";
		KS_CHECK(ks_jdbc_sink_plugin.open(t, &part, 1, &out, err, sizeof(err)) == KS_OK,
		         "open: %s", err);
		KS_CHECK(out && out[0].offset == 1, "resume at 1");
		ks_tp_offsets_free(out, 1);
	}
	put_range(b, t, topic, 1, 10, "kept");
	COMMIT_OK(t, topic, 0, 10);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 10);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 'dropped'", topic), 0);
	done(t);
	basic_free(b);
}

KS_TEST(stream_failure_before_commit_keeps_batch)
{
	basic_t b = basic();
	const char *topic = "s_fail";
	ks_sink_task_t *t =
	        warm_task(b, topic, cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	ks_commit_result_t res;

	put_range(b, t, topic, 1, 100, "x");
	ks_jdbc_test_fail_commits(t, 2); /* max.retries=1: the stream, then one retry */
	res = commit(t, topic, 0, 100);
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 1);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             1);
	COMMIT_OK(t, topic, 0, 100);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 100);
	done(t);
	basic_free(b);
}

KS_TEST(stream_lost_ack_not_written_twice)
{
	basic_t b = basic();
	const char *topic = "s_ack";
	ks_sink_task_t *t = warm_task(b, topic, cfg("insert.mode", "insert", NULL));
	int before = ks_jdbc_test_streamed_commits(t);

	put_range(b, t, topic, 1, 100, "x");
	ks_jdbc_test_lose_commit_acks(t, 1);
	COMMIT_OK(t, topic, 0, 100);
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), before);      /* reported lost */
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 100); /* no key: twice = 199 */
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             100);
	done(t);
	basic_free(b);
}

KS_TEST(stream_long_batch_repeated_keys)
{
	basic_t b = basic();
	const char *topic = "s_seg";
	ks_sink_task_t *t =
	        warm_task(b, topic, cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	int before = ks_jdbc_test_streamed_commits(t);
	ks_record_t *r[1];
	int64_t off = 1;

	/* 5 x 1500 rows: ids 1..1500 five times over, versions v0..v4: the
	 * stream ends at the first repeat, the rest is reduced to v4 */
	for (int v = 0; v < 5; v++) {
		char name[16];
		snprintf(name, sizeof(name), "v%d", v);
		for (int id = 1; id <= 1500; id++) {
			r[0] = brec(b, topic, 0, off++, id, name, v);
			put(t, r, 1);
		}
	}
	COMMIT_OK(t, topic, 0, off);
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), before + 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 1501);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 'v4' AND amount = 4", topic),
	             1500);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             off);
	/* and a long batch without repeats, all streamed */
	put_range(b, t, topic, 2000, 9000, "big");
	COMMIT_OK(t, topic, 0, 9000);
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), before + 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 'big'", topic), 7000);
	done(t);
	basic_free(b);
}

KS_TEST(stream_bad_value_early_in_long_batch)
{
	basic_t b = basic();
	const char *topic = "s_segbad";
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT NOT NULL, amount FLOAT8)", topic);
	forget_offsets(topic);
	t = task(topic, cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	r[0] = brec(b, topic, 0, 0, 0, "warm", 0);
	put(t, r, 1);
	COMMIT_OK(t, topic, 0, 1);
	put_range(b, t, topic, 1, 100, "ok");
	r[0] = brec(b, topic, 0, 100, 100, NULL, 100); /* NOT NULL violation */
	put(t, r, 1);
	put_range(b, t, topic, 101, 6000, "ok");
	refused(t, topic, 0, 6000, 100);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 1);
	commit_bad(t, topic, 0, 6000, (int64_t[]){100}, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 5999);
	done(t);
	basic_free(b);
}
