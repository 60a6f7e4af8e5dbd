/*
 * testhooks.c — failure injection for the tests of the JDBC sink (0340,
 * 0375), per task: the state lives in the task (t->hooks, sink.h) and only
 * write.c (the COMMIT) and commit.c (the streamed-commit count) read it;
 * write.c and stream.c also count the upsert paths there (0391 reads them
 * through tests/lib/jdbc_hooks.c).
 * Nothing outside tests/ calls these setters; a task nobody hooks behaves
 * as in production (all zero).
 */
#include "sink.h"

void ks_jdbc_test_fail_commits(ks_sink_task_t *t, int n)
{
	t->hooks.fail_commits = n;
}

void ks_jdbc_test_lose_commit_acks(ks_sink_task_t *t, int n)
{
	t->hooks.lose_acks = n;
}

int ks_jdbc_test_streamed_commits(const ks_sink_task_t *t)
{
	return t->hooks.streamed_commits;
}
