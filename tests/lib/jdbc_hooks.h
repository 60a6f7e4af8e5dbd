/*
 * jdbc_hooks.h — test-only hooks into the JDBC sink task that the shipped
 * worker does not contain (tests/lib/jdbc_hooks.c is linked into the test
 * programs only): 0380 holds a task inside its commit.
 */
#ifndef KS_TEST_JDBC_HOOKS_H
#define KS_TEST_JDBC_HOOKS_H

#include "../../connectors/jdbc/jdbc.h"

/* fn(arg) runs inside t's data transaction, after the rows are written and
 * right before the fence check and COMMIT, on the committing thread, at
 * every commit until cleared with fn = NULL. */
void ks_jdbc_test_before_fence(ks_sink_task_t *t, void (*fn)(void *), void *arg);

/* fn(arg) runs right after t's fence check passed (the offsets rows are
 * locked by t's transaction), before COMMIT; fn = NULL clears it. */
void ks_jdbc_test_after_fence(ks_sink_task_t *t, void (*fn)(void *), void *arg);

/* The owner epoch t holds for topic[partition]: > 0 claimed, 0 closed or
 * fenced, -1 never claimed. */
long long ks_jdbc_test_epoch(ks_sink_task_t *t, const char *topic, int partition);

/* SHOW name on t's session into out: 0, or -1 (no session, error). */
int ks_jdbc_test_setting(ks_sink_task_t *t, const char *name, char *out, size_t len);

/* The value of libpq connection option key of t's session: 0 or -1. */
int ks_jdbc_test_conninfo(ks_sink_task_t *t, const char *key, char *out, size_t len);

/* How t's upsert writes of a group went so far (write.c, COPY first):
 * COPYed straight into the table; COPY met a key already there and the
 * group was merged instead; merged without trying COPY. */
void ks_jdbc_test_upsert_paths(const ks_sink_task_t *t, int *copied, int *fallbacks, int *merged);

#endif
