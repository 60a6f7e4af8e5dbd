/*
 * status.c — what the herder reports: the connector names, a connector's
 * definition (ConnectorInfo: config and task ids), its status and its
 * tasks' (ConnectorStateInfo), one task's state, and its active topics
 * (KIP-558), as the typed results of herder.h. Reads take the herder's
 * `lock` only (herder_int.h), so they answer at once while a change is in
 * progress; rest/views.c renders them as Connect's JSON.
 */
#include "herder_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "sink" when the connector's class is known. */
const char *ks_herder_conn_type(const conn_t *c)
{
	return c->plugin || ks_connector_find(ks_props_get(c->config, "connector.class"))
	               ? "sink"
	               : "unknown";
}

void ks_conn_status_clear(ks_conn_status_t *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->trace);
	free(s->worker_id);
	for (size_t i = 0; i < s->ntasks; i++) {
		free(s->tasks[i].trace);
		free(s->tasks[i].worker_id);
	}
	free(s->tasks);
	memset(s, 0, sizeof(*s));
}

void ks_conn_info_clear(ks_conn_info_t *i)
{
	if (!i)
		return;
	free(i->name);
	ks_props_destroy(i->config);
	free(i->task_class);
	memset(i, 0, sizeof(*i));
}

/* ConnectorStateInfo of c; restarting marks (may be NULL): [0] connector,
 * [1+i] task i. Caller holds lock. KS_OK or KS_ERR_FATAL (out of memory). */
ks_err_t ks_herder_status_of(ks_herder_t *h, conn_t *c, const int *restarting, ks_conn_status_t *o)
{
	ks_state_t cs = ks_herder_conn_state(h, c);

	if (h->cluster)
		return ks_dist_status_of(h, c, o);
	memset(o, 0, sizeof(*o));
	o->state = restarting && restarting[0] ? KS_STATE_RESTARTING : cs;
	o->type = ks_herder_conn_type(c);
	if (!(o->worker_id = ks_strdup(h->wc->worker_id)) || !(o->name = ks_strdup(c->name)) ||
	    (cs == KS_STATE_FAILED && c->trace && !(o->trace = ks_strdup(c->trace))) ||
	    (c->ntasks && !(o->tasks = calloc((size_t)c->ntasks, sizeof(*o->tasks))))) {
		ks_conn_status_clear(o);
		return KS_ERR_FATAL;
	}
	for (int i = 0; i < c->ntasks; i++) {
		ks_task_status_t *t = &o->tasks[o->ntasks++];
		t->id = ks_task_id(c->tasks[i]);
		t->state = ks_task_state(c->tasks[i], &t->trace);
		if (restarting && restarting[1 + i])
			t->state = KS_STATE_RESTARTING;
	}
	return KS_OK;
}

/* ConnectorInfo of c. Caller holds lock. KS_OK or KS_ERR_FATAL. */
ks_err_t ks_herder_info_of(conn_t *c, ks_conn_info_t *o)
{
	const char *cls = ks_props_get(c->config, "connector.class");
	const ks_connector_plugin_t *p = ks_connector_find(cls);

	memset(o, 0, sizeof(*o));
	o->ntasks = c->target == KS_TARGET_STOPPED ? 0 : ks_herder_tasks_max(c->config);
	o->type = p ? "sink" : "unknown";
	if (!(o->name = ks_strdup(c->name)) || !(o->config = ks_props_dup(c->config)) ||
	    asprintf(&o->task_class, "%sTask",
	             p     ? p->class_name
	             : cls ? cls
	                   : "") < 0) {
		o->task_class = NULL;
		ks_conn_info_clear(o);
		return KS_ERR_FATAL;
	}
	return KS_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

ks_err_t ks_herder_names(ks_herder_t *h, char ***names, size_t *n)
{
	size_t cnt = 0, i = 0;
	int oom = 0;
	char **v;

	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		cnt++;
	v = calloc(cnt + 1, sizeof(*v));
	for (conn_t *c = h->conns; v && c; c = c->next)
		oom |= !(v[i++] = ks_strdup(c->name));
	pthread_mutex_unlock(&h->lock);
	if (!v || oom) {
		for (size_t k = 0; v && k < cnt; k++)
			free(v[k]);
		free(v);
		return KS_ERR_FATAL;
	}
	qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return KS_OK;
}

#define READ_CONN(h, name, c, errstr, errlen, msgfmt)                                              \
	pthread_mutex_lock(&(h)->lock);                                                            \
	c = ks_herder_find((h), (name));                                                           \
	if (!c) {                                                                                  \
		pthread_mutex_unlock(&(h)->lock);                                                  \
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, msgfmt, name);                   \
	}

/* The end of a read: the lock released, out of memory reported. */
static ks_err_t read_done(ks_herder_t *h, ks_err_t r, char *errstr, size_t errlen)
{
	pthread_mutex_unlock(&h->lock);
	return r ? ks_seterr(errstr, errlen, r, "out of memory") : KS_OK;
}

ks_err_t ks_herder_info(ks_herder_t *h, const char *name, ks_conn_info_t *out, char *errstr,
                        size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	return read_done(h, ks_herder_info_of(c, out), errstr, errlen);
}

ks_err_t ks_herder_config(ks_herder_t *h, const char *name, ks_props_t **out, char *errstr,
                          size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	*out = ks_props_dup(c->config);
	return read_done(h, *out ? KS_OK : KS_ERR_FATAL, errstr, errlen);
}

ks_err_t ks_herder_status(ks_herder_t *h, const char *name, ks_conn_status_t *out, char *errstr,
                          size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "No status found for connector %s");
	return read_done(h, ks_herder_status_of(h, c, NULL, out), errstr, errlen);
}

ks_err_t ks_herder_task_status(ks_herder_t *h, const char *name, int task, ks_task_status_t *out,
                               char *errstr, size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "No status found for connector %s");
	if (h->cluster) {
		ks_err_t r = ks_dist_task_status(h, c, task, out);
		pthread_mutex_unlock(&h->lock);
		return r == KS_ERR_NOTFOUND
		               ? ks_seterr(errstr, errlen, r, "No status found for task %s-%d",
		                           name, task)
		       : r ? ks_seterr(errstr, errlen, r, "out of memory")
		           : KS_OK;
	}
	for (int i = 0; i < c->ntasks; i++)
		if (ks_task_id(c->tasks[i]) == task) {
			out->id = task;
			out->state = ks_task_state(c->tasks[i], &out->trace);
			return read_done(h, KS_OK, errstr, errlen);
		}
	pthread_mutex_unlock(&h->lock);
	return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "No status found for task %s-%d", name,
	                 task);
}

/* KS_ERR_FORBIDDEN unless topic tracking (or its reset) is enabled. */
static ks_err_t topics_allowed(ks_herder_t *h, int reset, char *errstr, size_t errlen)
{
	if (!ks_config_bool(h->wc->cfg, "topic.tracking.enable") ||
	    (reset && !ks_config_bool(h->wc->cfg, "topic.tracking.allow.reset")))
		return ks_seterr(errstr, errlen, KS_ERR_FORBIDDEN,
		                 reset ? "Topic tracking reset is disabled."
		                       : "Topic tracking is disabled.");
	return KS_OK;
}

ks_err_t ks_herder_topics(ks_herder_t *h, const char *name, char ***topics, size_t *n, char *errstr,
                          size_t errlen)
{
	conn_t *c;
	if (topics_allowed(h, 0, errstr, errlen))
		return KS_ERR_FORBIDDEN;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	return read_done(h, ks_conn_shared_topics(c->shared, topics, n) ? KS_ERR_FATAL : KS_OK,
	                 errstr, errlen);
}

ks_err_t ks_herder_topics_reset(ks_herder_t *h, const char *name, char *errstr, size_t errlen)
{
	conn_t *c;
	if (topics_allowed(h, 1, errstr, errlen))
		return KS_ERR_FORBIDDEN;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	ks_conn_shared_reset_topics(c->shared);
	return read_done(h, KS_OK, errstr, errlen);
}
