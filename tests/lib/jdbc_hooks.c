/*
 * jdbc_hooks.c — see jdbc_hooks.h. Reaches into the task's private state
 * (connectors/jdbc/sink.h); only the test programs link it.
 */
#include "jdbc_hooks.h"

#include "../../connectors/jdbc/sink.h"

#include <stdio.h>
#include <string.h>

void ks_jdbc_test_before_fence(ks_sink_task_t *t, void (*fn)(void *), void *arg)
{
	t->hooks.before_fence = fn;
	t->hooks.before_fence_arg = arg;
}

void ks_jdbc_test_after_fence(ks_sink_task_t *t, void (*fn)(void *), void *arg)
{
	t->hooks.after_fence = fn;
	t->hooks.after_fence_arg = arg;
}

long long ks_jdbc_test_epoch(ks_sink_task_t *t, const char *topic, int partition)
{
	for (size_t i = 0; i < t->off.nclaims; i++)
		if (t->off.claims[i].partition == partition &&
		    !strcmp(t->off.claims[i].topic, topic))
			return (long long)t->off.claims[i].epoch;
	return -1;
}

int ks_jdbc_test_setting(ks_sink_task_t *t, const char *name, char *out, size_t len)
{
	const char *params[1] = {name};
	PGresult *res;
	int rc = -1;

	if (!t->db.conn)
		return -1;
	res = PQexecParams(t->db.conn, "SELECT current_setting($1)", 1, NULL, params, NULL, NULL,
	                   0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int ks_jdbc_test_conninfo(ks_sink_task_t *t, const char *key, char *out, size_t len)
{
	PQconninfoOption *opts;
	int rc = -1;

	if (!t->db.conn || !(opts = PQconninfo(t->db.conn)))
		return -1;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, key) && o->val) {
			snprintf(out, len, "%s", o->val);
			rc = 0;
		}
	PQconninfoFree(opts);
	return rc;
}

void ks_jdbc_test_upsert_paths(const ks_sink_task_t *t, int *copied, int *fallbacks, int *merged)
{
	*copied = t->hooks.upsert_copied;
	*fallbacks = t->hooks.upsert_fallbacks;
	*merged = t->hooks.upsert_merged;
}
