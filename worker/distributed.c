/*
 * distributed.c — the herder in distributed mode (`ksink distributed`):
 * its changes go to the config topic through the leader (cluster.c), and
 * every worker, the leader included, applies them from there through the
 * hooks below, starting only the tasks whose slots it owns. Status reads
 * combine the tasks running here with what the other workers published in
 * the status topic. Standalone mode never enters this file.
 *
 * Locking: the hooks run on the cluster's threads and take `ops` as any
 * change does; a write takes the cluster's write lock (not `ops`) while it
 * checks, writes and waits for its record to come back through the tail
 * and be applied here, so a create answers with the connector in place.
 */
#include "herder_int.h"

#include "../lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGCTX "herder"

/* ---------------- helpers ---------------- */

static int props_equal(const ks_props_t *a, const ks_props_t *b)
{
	if (ks_props_count(a) != ks_props_count(b))
		return 0;
	for (size_t i = 0; i < ks_props_count(a); i++) {
		const char *v = ks_props_get(b, ks_props_key(a, i));
		if (!v || strcmp(v, ks_props_value(a, i)))
			return 0;
	}
	return 1;
}

/* Connect's target-state value: STOPPED is written as PAUSED for readers
 * that predate it, with state.v2 saying STOPPED. */
static json_t *target_json(ks_target_t t)
{
	if (t == KS_TARGET_STOPPED)
		return json_pack("{s:s, s:s}", "state", "PAUSED", "state.v2", "STOPPED");
	return json_pack("{s:s}", "state", ks_target_name(t));
}

/* The index in c->tasks of task id; -1 when it does not run here. */
static int local_slot(const conn_t *c, int id)
{
	for (int i = 0; i < c->ntasks; i++)
		if (ks_task_id(c->tasks[i]) == id)
			return i;
	return -1;
}

/* Whether name exists in the cluster's view. */
static int view_has(ks_herder_t *h, const char *name)
{
	ks_props_t *cfg;
	ks_target_t t;
	int has = !ks_cluster_connector(h->cluster, name, &cfg, &t);
	ks_props_destroy(cfg);
	return has;
}

/* ---------------- hooks (cluster threads) ---------------- */

static conn_t *conn_new(const char *name, ks_props_t *config, ks_target_t target)
{
	conn_t *c = calloc(1, sizeof(*c));
	if (!c || !(c->name = ks_strdup(name)) || !(c->shared = ks_conn_shared_new())) {
		ks_herder_conn_free(c);
		return NULL;
	}
	c->config = config;
	c->target = target;
	return c;
}

/* Stops and unlinks c. Caller holds ops. */
static void conn_remove(ks_herder_t *h, conn_t *c)
{
	pthread_mutex_lock(&h->lock);
	for (conn_t **pp = &h->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&h->lock);
	ks_herder_stop_tasks(h, c);
	KS_INFO(LOGCTX, "connector %s deleted", c->name);
	ks_herder_conn_free(c);
}

static void hook_connector_changed(void *opaque, const char *name)
{
	ks_herder_t *h = opaque;
	ks_props_t *config = NULL;
	ks_target_t target;
	conn_t *c;

	pthread_mutex_lock(&h->ops);
	ks_cluster_connector(h->cluster, name, &config, &target);
	c = ks_herder_find(h, name);
	if (!config) { /* deleted (or a target state without a connector yet) */
		if (c)
			conn_remove(h, c);
	} else if (!c) {
		c = conn_new(name, config, target);
		if (!c) {
			KS_ERROR(LOGCTX, "connector %s: out of memory", name);
			ks_props_destroy(config);
		} else {
			config = NULL;
			pthread_mutex_lock(&h->lock);
			c->next = h->conns;
			h->conns = c;
			pthread_mutex_unlock(&h->lock);
			KS_INFO(LOGCTX, "connector %s created (%s)", name, ks_target_name(target));
			ks_herder_start_conn(h, c);
		}
	} else if (!props_equal(c->config, config)) {
		ks_herder_stop_tasks(h, c);
		pthread_mutex_lock(&h->lock);
		ks_props_destroy(c->config);
		c->config = config;
		c->target = target;
		pthread_mutex_unlock(&h->lock);
		config = NULL;
		KS_INFO(LOGCTX, "connector %s: config updated", name);
		ks_herder_start_conn(h, c);
	} else {
		ks_herder_apply_target(h, c, target);
	}
	ks_props_destroy(config);
	pthread_mutex_unlock(&h->ops);
}

static void hook_restart(void *opaque, const char *name, int task, int include_tasks,
                         int only_failed)
{
	ks_herder_t *h = opaque;
	conn_t *c;
	int i;

	pthread_mutex_lock(&h->ops);
	c = ks_herder_find(h, name);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return;
	}
	if (task >= 0) {
		if ((i = local_slot(c, task)) >= 0) {
			KS_INFO(LOGCTX, "restarting task %s-%d", name, task);
			ks_herder_restart_slot(h, c, i);
		}
	} else if (c->failed) {
		/* the connector itself could not start: all of it again */
		ks_herder_stop_tasks(h, c);
		ks_herder_start_conn(h, c);
	} else if (include_tasks) {
		int n = c->ntasks;
		for (i = 0; i < n && i < c->ntasks; i++)
			if (!only_failed || ks_task_state(c->tasks[i], NULL) == KS_STATE_FAILED) {
				KS_INFO(LOGCTX, "restarting task %s-%d", name,
				        ks_task_id(c->tasks[i]));
				ks_herder_restart_slot(h, c, i);
			}
	}
	pthread_mutex_unlock(&h->ops);
}

/* Starts the tasks whose slots came here and stops those that left; the
 * others run on undisturbed. Caller holds ops. */
static void reconcile(ks_herder_t *h, conn_t *c)
{
	int n = ks_herder_tasks_max(c->config), ngone = 0, moved = 0;
	ks_task_t **gone;
	ks_props_t *resolved;

	if (c->target == KS_TARGET_STOPPED || c->failed || !h->started)
		return;
	for (int i = 0; i < n; i++)
		moved += ks_cluster_owns(h->cluster, c->name, i, n) != (local_slot(c, i) >= 0);
	if (!moved)
		return;
	gone = calloc((size_t)n + 1, sizeof(*gone));
	if (!gone || (!c->tasks && !(c->tasks = calloc((size_t)n, sizeof(*c->tasks))))) {
		free(gone);
		KS_ERROR(LOGCTX, "connector %s: out of memory moving tasks", c->name);
		return;
	}
	/* 1. the tasks that left: out of the list, stopped together */
	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < c->ntasks;) {
		if (!ks_cluster_owns(h->cluster, c->name, ks_task_id(c->tasks[i]), n)) {
			gone[ngone++] = c->tasks[i];
			memmove(&c->tasks[i], &c->tasks[i + 1],
			        (size_t)(c->ntasks - i - 1) * sizeof(c->tasks[0]));
			c->ntasks--;
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&h->lock);
	ks_herder_stop_list(h, gone, ngone);
	free(gone);
	/* 2. the tasks that came */
	resolved = ks_providers_resolve(h->wc->providers, c->config);
	for (int i = 0; resolved && i < n; i++) {
		ks_task_t *t;
		if (!ks_cluster_owns(h->cluster, c->name, i, n) || local_slot(c, i) >= 0)
			continue;
		if ((t = ks_herder_start_task(h, c, resolved, i))) {
			pthread_mutex_lock(&h->lock);
			c->tasks[c->ntasks++] = t;
			pthread_mutex_unlock(&h->lock);
		}
	}
	ks_props_destroy(resolved);
	KS_INFO(LOGCTX, "connector %s: %d task(s) here after the slots moved", c->name, c->ntasks);
}

static void hook_assignment_changed(void *opaque)
{
	ks_herder_t *h = opaque;

	pthread_mutex_lock(&h->ops);
	for (conn_t *c = h->conns; c; c = c->next)
		reconcile(h, c);
	pthread_mutex_unlock(&h->ops);
}

static void hook_collect_status(void *opaque, void (*put)(void *arg, const ks_cluster_status_t *st),
                                void *arg)
{
	ks_herder_t *h = opaque;

	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next) {
		if (ks_cluster_owns(h->cluster, c->name, 0, ks_herder_tasks_max(c->config))) {
			ks_cluster_status_t st = {c->name, -1, ks_herder_conn_state(h, c),
			                          c->failed ? c->trace : NULL};
			put(arg, &st);
		}
		for (int i = 0; i < c->ntasks; i++) {
			char *trace = NULL;
			ks_cluster_status_t st = {c->name, ks_task_id(c->tasks[i]),
			                          ks_task_state(c->tasks[i], &trace), NULL};
			st.trace = trace;
			put(arg, &st);
			free(trace);
		}
	}
	pthread_mutex_unlock(&h->lock);
}

int ks_dist_attach(ks_herder_t *h, char *errstr, size_t errlen)
{
	ks_cluster_hooks_t hooks = {
	        .opaque = h,
	        .connector_changed = hook_connector_changed,
	        .restart = hook_restart,
	        .assignment_changed = hook_assignment_changed,
	        .collect_status = hook_collect_status,
	};

	/* the hooks run during the catch-up already: h->cluster is set first */
	h->cluster = ks_cluster_new(h->wc, &hooks, errstr, errlen);
	if (!h->cluster)
		return -1;
	if (ks_cluster_catch_up(h->cluster, errstr, errlen)) {
		ks_cluster_destroy(h->cluster);
		h->cluster = NULL;
		return -1;
	}
	return 0;
}

int ks_dist_join(ks_herder_t *h, char *errstr, size_t errlen)
{
	return ks_cluster_join(h->cluster, errstr, errlen);
}

/* ---------------- changes (REST threads, on the leader) ---------------- */

/* Writes n records through the leader, holding the write lock. */
static ks_err_t write_locked(ks_herder_t *h, const char *const *keys, json_t *const *values,
                             size_t n, char *errstr, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (!values[i] && strncmp(keys[i], "connector-", 10) &&
		    strncmp(keys[i], "target-state-", 13))
			return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	return ks_cluster_write(h->cluster, keys, values, n, errstr, errlen);
}

static char *key_of(const char *prefix, const char *name)
{
	char *k = NULL;
	return asprintf(&k, "%s%s", prefix, name) < 0 ? NULL : k;
}

ks_err_t ks_dist_put(ks_herder_t *h, const char *name, const ks_props_t *props, int allow_update,
                     ks_target_t initial, ks_conn_info_t *info, int *created, char *errstr,
                     size_t errlen)
{
	char *kc = key_of("connector-", name), *kt = key_of("target-state-", name);
	json_t *vc = json_pack("{s:o*}", "properties", ks_herder_props_json(props)),
	       *vt = target_json(initial);
	const char *keys[2];
	json_t *vals[2];
	ks_err_t r;
	int exists;

	if (!kc || !kt || !vc || !vt) {
		r = ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		goto out;
	}
	ks_cluster_write_lock(h->cluster);
	exists = view_has(h, name);
	if (exists && !allow_update) {
		r = ks_seterr(errstr, errlen, KS_ERR_EXISTS, "Connector %s already exists", name);
	} else if (exists) {
		keys[0] = kc, vals[0] = vc;
		r = write_locked(h, keys, vals, 1, errstr, errlen);
	} else { /* the target state first: the connector starts in it */
		keys[0] = kt, vals[0] = vt;
		keys[1] = kc, vals[1] = vc;
		r = write_locked(h, keys, vals, 2, errstr, errlen);
	}
	ks_cluster_write_unlock(h->cluster);
	if (r == KS_OK && created)
		*created = !exists;
	if (r == KS_OK && info)
		r = ks_herder_info(h, name, info, errstr, errlen);
out:
	free(kc);
	free(kt);
	json_decref(vc);
	json_decref(vt);
	return r;
}

ks_err_t ks_dist_delete(ks_herder_t *h, const char *name, char *errstr, size_t errlen)
{
	char *kc = key_of("connector-", name), *kt = key_of("target-state-", name);
	const char *keys[2] = {kc, kt};
	json_t *vals[2] = {NULL, NULL};
	ks_err_t r;

	if (!kc || !kt) {
		free(kc);
		free(kt);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	ks_cluster_write_lock(h->cluster);
	if (!view_has(h, name))
		r = ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Connector %s not found", name);
	else
		r = write_locked(h, keys, vals, 2, errstr, errlen);
	ks_cluster_write_unlock(h->cluster);
	free(kc);
	free(kt);
	return r;
}

ks_err_t ks_dist_set_target(ks_herder_t *h, const char *name, ks_target_t target, char *errstr,
                            size_t errlen)
{
	char *kt = key_of("target-state-", name);
	json_t *vt = target_json(target);
	const char *keys[1] = {kt};
	ks_err_t r;

	if (!kt || !vt) {
		r = ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	} else {
		ks_cluster_write_lock(h->cluster);
		if (!view_has(h, name))
			r = ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown connector %s",
			              name);
		else
			r = write_locked(h, keys, &vt, 1, errstr, errlen);
		ks_cluster_write_unlock(h->cluster);
	}
	free(kt);
	json_decref(vt);
	return r;
}

ks_err_t ks_dist_restart(ks_herder_t *h, const char *name, int include_tasks, int only_failed,
                         ks_conn_status_t *status, char *errstr, size_t errlen)
{
	char *k = key_of("restart-connector-", name);
	json_t *v =
	        json_pack("{s:b, s:b}", "include-tasks", include_tasks, "only-failed", only_failed);
	ks_conn_status_t st = {0};
	const char *keys[1] = {k};
	ks_err_t r;
	conn_t *c;

	if (!k || !v) {
		r = ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&h->lock);
	c = ks_herder_find(h, name);
	r = !c ? (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown connector: %s", name)
	       : ks_dist_status_of(h, c, &st);
	pthread_mutex_unlock(&h->lock);
	if (r != KS_OK)
		goto out;
	/* what will restart, as KIP-745 reports it */
	if (!only_failed || st.state == KS_STATE_FAILED)
		st.state = KS_STATE_RESTARTING;
	for (size_t i = 0; i < st.ntasks; i++)
		if (include_tasks && (!only_failed || st.tasks[i].state == KS_STATE_FAILED))
			st.tasks[i].state = KS_STATE_RESTARTING;
	ks_cluster_write_lock(h->cluster);
	r = write_locked(h, keys, &v, 1, errstr, errlen);
	ks_cluster_write_unlock(h->cluster);
	if (r == KS_OK && status) {
		*status = st;
		memset(&st, 0, sizeof(st));
	}
out:
	ks_conn_status_clear(&st);
	free(k);
	json_decref(v);
	return r;
}

ks_err_t ks_dist_restart_task(ks_herder_t *h, const char *name, int task, char *errstr,
                              size_t errlen)
{
	char *k = NULL;
	json_t *v = json_object();
	const char *keys[1];
	ks_err_t r;
	conn_t *c;
	int n = -1;

	pthread_mutex_lock(&h->lock);
	c = ks_herder_find(h, name);
	if (c && c->target != KS_TARGET_STOPPED)
		n = ks_herder_tasks_max(c->config);
	pthread_mutex_unlock(&h->lock);
	if (!c) {
		json_decref(v);
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown connector: %s", name);
	}
	if (task >= n) {
		json_decref(v);
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown task: %s-%d", name,
		                 task);
	}
	if (!v || asprintf(&k, "restart-task-%s-%d", name, task) < 0) {
		json_decref(v);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	keys[0] = k;
	ks_cluster_write_lock(h->cluster);
	r = write_locked(h, keys, &v, 1, errstr, errlen);
	ks_cluster_write_unlock(h->cluster);
	free(k);
	json_decref(v);
	return r;
}

/* ---------------- status ---------------- */

ks_err_t ks_dist_task_status(ks_herder_t *h, conn_t *c, int task, ks_task_status_t *out)
{
	int n = c->target == KS_TARGET_STOPPED ? 0 : ks_herder_tasks_max(c->config);
	int slot = local_slot(c, task);

	memset(out, 0, sizeof(*out));
	out->id = task;
	if (task < 0 || task >= n)
		return KS_ERR_NOTFOUND;
	if (slot >= 0) {
		out->state = ks_task_state(c->tasks[slot], &out->trace);
		out->worker_id = ks_strdup(h->wc->worker_id);
		return out->worker_id ? KS_OK : KS_ERR_FATAL;
	}
	if (!ks_cluster_remote_status(h->cluster, c->name, task, &out->state, &out->worker_id,
	                              &out->trace) &&
	    strcmp(out->worker_id, h->wc->worker_id)) {
		if (c->target == KS_TARGET_PAUSED && out->state == KS_STATE_RUNNING)
			out->state = KS_STATE_PAUSED; /* published before the pause came */
		return KS_OK;
	}
	/* not published yet, or said to run here and it does not (moved) */
	free(out->worker_id);
	free(out->trace);
	out->worker_id = out->trace = NULL;
	out->state = KS_STATE_UNASSIGNED;
	return KS_OK;
}

ks_err_t ks_dist_status_of(ks_herder_t *h, conn_t *c, ks_conn_status_t *o)
{
	int n = c->target == KS_TARGET_STOPPED ? 0 : ks_herder_tasks_max(c->config);
	ks_state_t cs = ks_herder_conn_state(h, c), rs;
	char *rw = NULL, *rt = NULL;

	memset(o, 0, sizeof(*o));
	o->state = cs;
	o->type = ks_herder_conn_type(c);
	if (!ks_cluster_owns(h->cluster, c->name, 0, ks_herder_tasks_max(c->config)) &&
	    !ks_cluster_remote_status(h->cluster, c->name, -1, &rs, &rw, &rt) && *rw) {
		o->worker_id = rw;
		rw = NULL;
	} else {
		o->worker_id = ks_strdup(h->wc->worker_id);
	}
	free(rw);
	free(rt);
	if (!o->worker_id || !(o->name = ks_strdup(c->name)) ||
	    (cs == KS_STATE_FAILED && c->trace && !(o->trace = ks_strdup(c->trace))) ||
	    (n && !(o->tasks = calloc((size_t)n, sizeof(*o->tasks))))) {
		ks_conn_status_clear(o);
		return KS_ERR_FATAL;
	}
	for (int i = 0; i < n; i++) {
		if (ks_dist_task_status(h, c, i, &o->tasks[o->ntasks]) != KS_OK) {
			ks_conn_status_clear(o);
			return KS_ERR_FATAL;
		}
		o->ntasks++;
	}
	return KS_OK;
}
