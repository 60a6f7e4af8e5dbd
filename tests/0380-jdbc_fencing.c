/*
 * 0380-jdbc_fencing.c — zombie sink tasks are fenced in Postgres (issue 14):
 * a task held inside its commit while its partition is claimed by another
 * task loses (FENCED, rolled back) and the new owner's commit wins, every
 * record once; a claim waits for an owner inside its commit (past its
 * lock_timeout: RETRIABLE, the worker retries) and then resumes after it;
 * an owner that committed first is resumed from by the next claim and its
 * next batch is fenced; an offsets table of the layout from
 * before fencing is migrated in place with its rows; KIP-875 alter and
 * reset fence the task that held the partition; sessions carry the
 * keepalive and idle-transaction settings.
 */
#include "jdbc_helpers.h"
#include "lib/jdbc_hooks.h"

static ks_sink_task_t *task_n(const char *connector, int id, ks_props_t *p)
{
	char err[512] = "";
	ks_sink_task_t *t = ks_jdbc_sink_plugin.task_new(p, connector, id, err, sizeof(err));

	ks_props_destroy(p);
	KS_CHECK(t, "task_new: %s", err);
	ks_jdbc_sink_plugin.initialize(t, &th_reporter);
	return t;
}

/* Forgets connector's offsets (the table exists once a task connected). */
static void clear_offsets(const char *connector)
{
	if (strcmp(q1("SELECT to_regclass('__ksink_offsets') IS NOT NULL"), "t") == 0)
		sql("DELETE FROM __ksink_offsets WHERE connector = '%s'", connector);
}

/* open() of one partition: where to resume (-1: no stored offset). */
static int64_t open1(ks_sink_task_t *t, const char *topic, int part)
{
	ks_tp_offset_t in = {topic, part, -1}, *out = NULL;
	char err[512] = "";
	int64_t off;
	ks_err_t e = ks_jdbc_sink_plugin.open(t, &in, 1, &out, err, sizeof(err));

	KS_CHECK(e == KS_OK && out, "open: %s %s", ks_err_name(e), err);
	if (!out)
		return -2;
	off = out[0].offset;
	ks_tp_offsets_free(out, 1);
	return off;
}

static void put_range(ks_sink_task_t *t, basic_t b, const char *topic, int from, int to)
{
	ks_record_t *r[64];

	KS_CHECK(to - from <= 64, "range");
	for (int i = from; i < to; i++)
		r[i - from] = brec(b, topic, 0, i, i, "v", i);
	put(t, r, (size_t)(to - from));
}

/* The test hook: while the zombie (A) sits inside its data transaction, a
 * new task (B) is assigned the partition, claims it, reads where to resume
 * and writes the same records. */
typedef struct takeover {
	basic_t b;
	const char *topic;
	ks_sink_task_t *b_task;
	int64_t resumed;
	ks_err_t b_commit;
	int ran;
} takeover_t;

static void take_over(void *arg)
{
	takeover_t *x = arg;
	ks_commit_result_t res;

	x->ran++;
	x->resumed = open1(x->b_task, x->topic, 0);
	put_range(x->b_task, x->b, x->topic, (int)(x->resumed < 0 ? 0 : x->resumed), 20);
	res = commit(x->b_task, x->topic, 0, 20);
	x->b_commit = res.err;
	KS_CHECK(res.err == KS_OK, "B commit: %s %s", ks_err_name(res.err), res.errstr);
}

KS_TEST(zombie_held_in_commit_loses_to_new_owner)
{
	takeover_t x = {.b = basic(), .topic = "fence_zombie"};
	ks_sink_task_t *a;
	ks_commit_result_t res;
	long long ea;

	sql("DROP TABLE IF EXISTS fence_zombie");
	clear_offsets("fence-z");
	a = task_n("fence-z", 0, cfg("insert.mode", "insert", NULL));
	x.b_task = task_n("fence-z", 1, cfg("insert.mode", "insert", NULL));
	KS_CHECK_INT(open1(a, "fence_zombie", 0), -1);
	ea = ks_jdbc_test_epoch(a, "fence_zombie", 0);
	KS_CHECK(ea > 0, "A's epoch %lld", ea);
	put_range(a, x.b, "fence_zombie", 0, 20);
	ks_jdbc_test_before_fence(a, take_over, &x);
	res = commit(a, "fence_zombie", 0, 20);
	ks_jdbc_test_before_fence(a, NULL, NULL);
	KS_CHECK_INT(x.ran, 1);
	KS_CHECK_INT(x.resumed, -1); /* A had not committed: B starts over */
	KS_CHECK(ks_jdbc_test_epoch(x.b_task, "fence_zombie", 0) > ea, "B's epoch above A's");
	KS_CHECK(res.err == KS_ERR_FENCED, "A: %s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(res.nfenced, 1);
	if (res.nfenced == 1) {
		KS_CHECK_STR(res.fenced[0].topic, "fence_zombie");
		KS_CHECK_INT(res.fenced[0].partition, 0);
	}
	KS_CHECK(strstr(res.errstr, "fenced"), "%s", res.errstr);
	/* exactly one commit won: every record once */
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_zombie"), 20);
	KS_CHECK_INT(qn("SELECT count(DISTINCT id) FROM fence_zombie"), 20);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'fence-z'"), 20);
	KS_CHECK(strstr(q1("SELECT owner FROM __ksink_offsets WHERE connector = 'fence-z'"),
	                "fence-z-1@"),
	         "owner: %s", q1("SELECT owner FROM __ksink_offsets WHERE connector = 'fence-z'"));
	/* the zombie never writes the partition again, not even on a retry */
	KS_CHECK_INT(ks_jdbc_test_epoch(a, "fence_zombie", 0), 0);
	put_range(a, x.b, "fence_zombie", 0, 20);
	res = commit(a, "fence_zombie", 0, 20);
	KS_CHECK(res.err == KS_ERR_FENCED, "A again: %s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_zombie"), 20);
	ks_jdbc_sink_plugin.task_destroy(a);
	done(x.b_task);
	basic_free(x.b);
}

/* The hook of the next test: the owner (A) has passed its fence check and
 * holds the offsets row; a claim by B waits for it and gives up after its
 * lock_timeout: open() is RETRIABLE, nothing changed. */
typedef struct blocked {
	ks_sink_task_t *b_task;
	ks_err_t open_err;
	char err[512];
	int64_t ms;
} blocked_t;

static void claim_while_held(void *arg)
{
	blocked_t *x = arg;
	ks_tp_offset_t in = {"fence_wait", 0, -1}, *out = NULL;
	int64_t t0 = ks_now_ms();

	x->open_err = ks_jdbc_sink_plugin.open(x->b_task, &in, 1, &out, x->err, sizeof(x->err));
	x->ms = ks_now_ms() - t0;
	if (out)
		ks_tp_offsets_free(out, 1);
}

KS_TEST(claim_waits_for_an_inflight_commit_then_resumes_after_it)
{
	basic_t b = basic();
	blocked_t x = {0};
	ks_sink_task_t *a;

	sql("DROP TABLE IF EXISTS fence_wait");
	clear_offsets("fence-w");
	a = task_n("fence-w", 0, cfg("insert.mode", "insert", NULL));
	x.b_task = task_n("fence-w", 1, cfg("insert.mode", "insert", NULL));
	KS_CHECK_INT(open1(a, "fence_wait", 0), -1);
	put_range(a, b, "fence_wait", 0, 10);
	ks_jdbc_test_after_fence(a, claim_while_held, &x);
	COMMIT_OK(a, "fence_wait", 0, 10); /* A's commit goes through */
	ks_jdbc_test_after_fence(a, NULL, NULL);
	KS_CHECK(x.open_err == KS_ERR_RETRIABLE, "B's open while A holds the row: %s %s",
	         ks_err_name(x.open_err), x.err);
	KS_CHECK(x.ms >= 4000, "B waited %lld ms (lock_timeout)", (long long)x.ms);
	KS_CHECK(strstr(x.err, "lock"), "%s", x.err);
	/* the worker retries the open: B resumes after A's commit, A is fenced */
	KS_CHECK_INT(open1(x.b_task, "fence_wait", 0), 10);
	put_range(a, b, "fence_wait", 10, 20);
	KS_CHECK(commit(a, "fence_wait", 0, 20).err == KS_ERR_FENCED, "A fenced");
	put_range(x.b_task, b, "fence_wait", 10, 20);
	COMMIT_OK(x.b_task, "fence_wait", 0, 20);
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_wait"), 20);
	KS_CHECK_INT(qn("SELECT count(DISTINCT id) FROM fence_wait"), 20);
	ks_jdbc_sink_plugin.task_destroy(a);
	done(x.b_task);
	basic_free(b);
}

KS_TEST(claim_after_commit_resumes_there_and_fences_the_old_owner)
{
	basic_t b = basic();
	ks_sink_task_t *a, *c;
	ks_commit_result_t res;

	sql("DROP TABLE IF EXISTS fence_seq");
	clear_offsets("fence-s");
	a = task_n("fence-s", 0, cfg("insert.mode", "insert", NULL));
	c = task_n("fence-s", 1, cfg("insert.mode", "insert", NULL));
	KS_CHECK_INT(open1(a, "fence_seq", 0), -1);
	put_range(a, b, "fence_seq", 0, 10);
	COMMIT_OK(a, "fence_seq", 0, 10);
	/* the partition moves: the new owner resumes at A's committed offset */
	KS_CHECK_INT(open1(c, "fence_seq", 0), 10);
	put_range(a, b, "fence_seq", 10, 20);
	res = commit(a, "fence_seq", 0, 20);
	KS_CHECK(res.err == KS_ERR_FENCED, "A: %s %s", ks_err_name(res.err), res.errstr);
	put_range(c, b, "fence_seq", 10, 20);
	COMMIT_OK(c, "fence_seq", 0, 20);
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_seq"), 20);
	KS_CHECK_INT(qn("SELECT count(DISTINCT id) FROM fence_seq"), 20);
	/* closed, then opened again: A claims anew and may write again */
	{
		ks_tp_offset_t p = {"fence_seq", 0, -1};
		ks_jdbc_sink_plugin.close(c, &p, 1);
	}
	KS_CHECK_INT(open1(a, "fence_seq", 0), 20);
	put_range(a, b, "fence_seq", 20, 25);
	COMMIT_OK(a, "fence_seq", 0, 25);
	KS_CHECK_INT(qn("SELECT count(DISTINCT id) FROM fence_seq"), 25);
	ks_jdbc_sink_plugin.task_destroy(a);
	done(c);
	basic_free(b);
}

KS_TEST(old_offsets_table_is_migrated_with_its_rows)
{
	basic_t b = basic();
	ks_sink_task_t *t;

	sql("DROP TABLE IF EXISTS fence_old_offsets");
	sql("DROP SEQUENCE IF EXISTS fence_old_offsets_epoch_seq");
	sql("DROP TABLE IF EXISTS fence_mig");
	/* the layout before fencing */
	sql("CREATE TABLE fence_old_offsets (connector TEXT NOT NULL, topic TEXT NOT NULL, "
	    "\"partition\" INT NOT NULL, next_offset BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT "
	    "NULL DEFAULT now(), PRIMARY KEY (connector, topic, \"partition\"))");
	sql("INSERT INTO fence_old_offsets (connector, topic, \"partition\", next_offset) VALUES "
	    "('fence-m', 'fence_mig', 0, 7), ('fence-m', 'fence_mig', 1, 3), "
	    "('other', 'x', 0, 42)");
	t = task_n("fence-m", 0,
	           cfg("insert.mode", "insert", "ksink.offsets.table", "fence_old_offsets", NULL));
	KS_CHECK_INT(open1(t, "fence_mig", 0), 7);
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_old_offsets"), 3);
	KS_CHECK_INT(qn("SELECT count(*) FROM information_schema.columns WHERE table_name = "
	                "'fence_old_offsets' AND column_name IN ('owner_epoch', 'owner')"),
	             2);
	KS_CHECK_INT(qn("SELECT next_offset FROM fence_old_offsets WHERE connector = 'other'"), 42);
	KS_CHECK_INT(qn("SELECT owner_epoch FROM fence_old_offsets WHERE connector = 'other'"), 0);
	KS_CHECK(qn("SELECT owner_epoch FROM fence_old_offsets WHERE connector = 'fence-m' AND "
	            "\"partition\" = 0") > 0,
	         "claimed");
	put_range(t, b, "fence_mig", 7, 12);
	COMMIT_OK(t, "fence_mig", 0, 12);
	KS_CHECK_INT(qn("SELECT next_offset FROM fence_old_offsets WHERE connector = 'fence-m' "
	                "AND \"partition\" = 0"),
	             12);
	KS_CHECK_INT(qn("SELECT next_offset FROM fence_old_offsets WHERE connector = 'fence-m' "
	                "AND \"partition\" = 1"),
	             3);
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_mig"), 5);
	done(t);
	/* a second session finds it migrated (nothing to do) */
	t = task_n("fence-m", 0,
	           cfg("insert.mode", "insert", "ksink.offsets.table", "fence_old_offsets", NULL));
	KS_CHECK_INT(open1(t, "fence_mig", 1), 3);
	done(t);
	basic_free(b);
}

KS_TEST(offsets_alter_and_reset_fence_the_holder)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_commit_result_t res;
	char err[512] = "";
	long long e0, e1;
	ks_props_t *conf = cfg("insert.mode", "insert", NULL);

	sql("DROP TABLE IF EXISTS fence_alter");
	clear_offsets("fence-a");
	t = task_n("fence-a", 0, cfg("insert.mode", "insert", NULL));
	KS_CHECK_INT(open1(t, "fence_alter", 0), -1);
	put_range(t, b, "fence_alter", 0, 5);
	COMMIT_OK(t, "fence_alter", 0, 5);
	e0 = qn("SELECT owner_epoch FROM __ksink_offsets WHERE connector = 'fence-a'");
	/* PATCH /offsets: a new offset with a new epoch */
	{
		ks_tp_offset_t o = {"fence_alter", 0, 3};
		KS_CHECK(ks_jdbc_sink_plugin.offsets_alter(conf, "fence-a", &o, 1, 0, err,
		                                           sizeof(err)) == KS_OK,
		         "alter: %s", err);
	}
	e1 = qn("SELECT owner_epoch FROM __ksink_offsets WHERE connector = 'fence-a'");
	KS_CHECK(e1 > e0, "epoch %lld -> %lld", e0, e1);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'fence-a'"), 3);
	put_range(t, b, "fence_alter", 5, 10);
	res = commit(t, "fence_alter", 0, 10);
	KS_CHECK(res.err == KS_ERR_FENCED, "after alter: %s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'fence-a'"), 3);
	KS_CHECK_INT(qn("SELECT count(*) FROM fence_alter"), 5);
	/* claimed again (a restart after the alter), then DELETE /offsets */
	KS_CHECK_INT(open1(t, "fence_alter", 0), 3);
	KS_CHECK(ks_jdbc_sink_plugin.offsets_alter(conf, "fence-a", NULL, 0, 1, err, sizeof(err)) ==
	                 KS_OK,
	         "reset: %s", err);
	put_range(t, b, "fence_alter", 3, 8);
	res = commit(t, "fence_alter", 0, 8);
	KS_CHECK(res.err == KS_ERR_FENCED, "after reset: %s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM __ksink_offsets WHERE connector = 'fence-a'"), 0);
	/* GET /offsets lists no partition that is claimed without an offset */
	KS_CHECK_INT(open1(t, "fence_alter", 1), -1);
	{
		ks_tp_offset_t *out = NULL;
		size_t n = 9;
		KS_CHECK(ks_jdbc_sink_plugin.offsets_read(conf, "fence-a", &out, &n, err,
		                                          sizeof(err)) == KS_OK,
		         "read: %s", err);
		KS_CHECK_INT(n, 0);
		ks_tp_offsets_free(out, n);
	}
	ks_props_destroy(conf);
	done(t);
	basic_free(b);
}

KS_TEST(sessions_limit_idle_transactions_and_keep_alive)
{
	ks_sink_task_t *t;
	char v[64];

	clear_offsets("fence-i");
	t = task_n("fence-i", 0, cfg("insert.mode", "insert", NULL));
	KS_CHECK_INT(open1(t, "fence_sess", 0), -1);
	KS_CHECK(!ks_jdbc_test_setting(t, "idle_in_transaction_session_timeout", v, sizeof(v)),
	         "SHOW");
	KS_CHECK_STR(v, "1min");
	KS_CHECK(!ks_jdbc_test_conninfo(t, "keepalives", v, sizeof(v)), "conninfo");
	KS_CHECK_STR(v, "1");
	done(t);
	/* a role's own setting wins */
	sql("DROP ROLE IF EXISTS fence_idle_role");
	sql("CREATE ROLE fence_idle_role LOGIN SUPERUSER");
	sql("ALTER ROLE fence_idle_role SET idle_in_transaction_session_timeout = '7s'");
	t = task_n("fence-i", 0,
	           cfg("insert.mode", "insert", "connection.user", "fence_idle_role", NULL));
	KS_CHECK_INT(open1(t, "fence_sess", 0), -1);
	KS_CHECK(!ks_jdbc_test_setting(t, "idle_in_transaction_session_timeout", v, sizeof(v)),
	         "SHOW");
	KS_CHECK_STR(v, "7s");
	done(t);
	sql("DROP ROLE fence_idle_role");
}
