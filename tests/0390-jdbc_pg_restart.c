/*
 * 0390-jdbc_pg_restart.c — the stack's Postgres is stopped and restarted
 * under a running JDBC sink task: commit returns RETRIABLE while it is down
 * and keeps the batch, succeeds once it is back, and no record is lost; a
 * restart between two commits (stale connection) is absorbed inside one
 * commit by reconnecting.
 */
#include "jdbc_helpers.h"

static void stack(const char *action)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "tests/stack.sh %s pg --dir '%s' >/dev/null 2>&1", action,
	         ks_test_env("KSINK_STACK_DIR"));
	KS_CHECK(system(cmd) == 0, "%s failed", cmd);
}

KS_TEST(commit_while_postgres_is_down)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[50];
	ks_commit_result_t res;

	sql("DROP TABLE IF EXISTS r_restart");
	t = task("r-restart", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	for (int i = 0; i < 25; i++)
		r[i] = brec(b, "r_restart", 0, i, i, "first", i);
	put(t, r, 25);
	COMMIT_OK(t, "r_restart", 0, 25);

	PQfinish(th_db);
	th_db = NULL;
	stack("stop");
	for (int i = 25; i < 50; i++)
		r[i] = brec(b, "r_restart", 0, i, i, "second", i);
	put(t, r + 25, 25);
	res = commit(t, "r_restart", 0, 50);
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	res = commit(t, "r_restart", 0, 50); /* still down: still retriable, batch kept */
	KS_CHECK(res.err == KS_ERR_RETRIABLE, "%s %s", ks_err_name(res.err), res.errstr);
	stack("start");
	COMMIT_OK(t, "r_restart", 0, 50);
	KS_CHECK_INT(qn("SELECT count(*) FROM r_restart"), 50);
	KS_CHECK_INT(qn("SELECT count(*) FROM r_restart WHERE name = 'second'"), 25);
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'r-restart'"),
	             50);

	/* restart between commits: the first statement fails on the stale
	 * connection, commit reconnects and succeeds in the same call */
	PQfinish(th_db);
	th_db = NULL;
	stack("restart");
	r[0] = brec(b, "r_restart", 0, 50, 100, "third", 1);
	put(t, r, 1);
	COMMIT_OK(t, "r_restart", 0, 51);
	KS_CHECK_INT(qn("SELECT count(*) FROM r_restart"), 51);
	done(t);
	basic_free(b);
}
