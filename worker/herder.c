/*
 * herder.c — the connector registry and lifecycle of a standalone worker:
 * create / update / delete, pause / resume / stop, restarts, status and the
 * config store. Named after Connect's Herder; its API is herder.h, its
 * locking herder_int.h. KIP-875 offsets are in offsets.c, the validation
 * of a connector config in validate.c.
 *
 * A connector here has no thread of its own: its state is derived from its
 * target state (STARTED/PAUSED/STOPPED) and whether its tasks could be
 * started; tasks report their own state (task.c). Reads return plain structs
 * (herder.h); rest/views.c renders them as Connect's JSON.
 */
#include "herder_int.h"

#include "../config/topics.h"
#include "../lib/log.h"
#include "../schemas/converter.h"
#include "../transforms/transform.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGCTX "herder"

/* ---------------- helpers ---------------- */

json_t *ks_herder_props_json(const ks_props_t *p)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ks_props_count(p); i++)
		if (json_object_set_new(o, ks_props_key(p, i), json_string(ks_props_value(p, i)))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

conn_t *ks_herder_find(ks_herder_t *h, const char *name)
{
	for (conn_t *c = h->conns; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void ks_herder_conn_free(conn_t *c)
{
	if (!c)
		return;
	free(c->name);
	ks_props_destroy(c->config);
	free(c->trace);
	free(c->tasks);
	ks_conn_shared_unref(c->shared);
	free(c);
}

/* tasks.max per the common connector table (default and range there),
 * capped at 1024 threads. */
int ks_herder_tasks_max(const ks_props_t *config)
{
	const ks_cfg_def_t *const defs[] = {ks_connector_common_defs, NULL};
	ks_config_t *cfg = ks_config_new(defs, config);
	int n = cfg ? ks_config_int(cfg, "tasks.max") : 1;

	ks_config_destroy(cfg);
	return n < 1 ? 1 : n > 1024 ? 1024 : n;
}

/* Saves every connector to config.storage.file. Caller holds ops. */
static void save_store(ks_herder_t *h)
{
	json_t *doc = json_object(), *conns = json_object();
	char errstr[KS_ERRSTR_SIZE];

	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next) {
		json_t *e = json_object();
		json_object_set_new(e, "config", ks_herder_props_json(c->config));
		json_object_set_new(e, "target_state", json_string(ks_target_name(c->target)));
		json_object_set_new(conns, c->name, e);
	}
	pthread_mutex_unlock(&h->lock);
	json_object_set_new(doc, "connectors", conns);
	if (ks_store_save(h->wc->store_path, doc, errstr, sizeof(errstr)))
		KS_ERROR(LOGCTX, "saving connectors: %s", errstr);
	json_decref(doc);
}

/* Stops and frees the tasks of c (all in parallel). Caller holds ops, not lock. */
void ks_herder_stop_tasks(ks_herder_t *h, conn_t *c)
{
	ks_task_t **tasks;
	int n;

	pthread_mutex_lock(&h->lock);
	tasks = c->tasks;
	n = c->ntasks;
	c->tasks = NULL;
	c->ntasks = 0;
	pthread_mutex_unlock(&h->lock);
	ks_herder_stop_list(h, tasks, n);
	free(tasks);
}

void ks_herder_stop_list(ks_herder_t *h, ks_task_t **tasks, int n)
{
	for (int i = 0; i < n; i++)
		ks_task_request_stop(tasks[i]);
	for (int i = 0; i < n; i++)
		ks_task_stop_destroy(tasks[i], h->wc->shutdown_timeout_ms);
}

void ks_herder_set_failed(ks_herder_t *h, conn_t *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	KS_ERROR(LOGCTX, "connector %s failed: %s", c->name, buf);
	pthread_mutex_lock(&h->lock);
	c->failed = 1;
	free(c->trace);
	c->trace = ks_strdup(buf);
	pthread_mutex_unlock(&h->lock);
}

/* Starts one task of c (caller holds ops). */
ks_task_t *ks_herder_start_task(ks_herder_t *h, conn_t *c, const ks_props_t *resolved, int id)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_task_t *t =
	        ks_task_start(h->wc, c->plugin, c->name, id, resolved,
	                      c->target == KS_TARGET_PAUSED, c->shared, errstr, sizeof(errstr));
	if (!t)
		KS_ERROR(LOGCTX, "starting task %s-%d: %s", c->name, id, errstr);
	return t;
}

/* Starts the tasks of c per its target state (caller holds ops). */
void ks_herder_start_conn(ks_herder_t *h, conn_t *c)
{
	ks_props_t *resolved;
	ks_task_t **tasks;
	int n;

	pthread_mutex_lock(&h->lock);
	c->failed = 0;
	free(c->trace);
	c->trace = NULL;
	pthread_mutex_unlock(&h->lock);
	if (c->target == KS_TARGET_STOPPED || !h->started)
		return;
	c->plugin = ks_connector_find(ks_props_get(c->config, "connector.class"));
	if (!c->plugin) {
		ks_herder_set_failed(
		        h, c,
		        "org.apache.kafka.connect.errors.ConnectException: Failed to find any "
		        "class that implements Connector and which name matches %s",
		        ks_props_get(c->config, "connector.class"));
		return;
	}
	resolved = ks_providers_resolve(h->wc->providers, c->config);
	n = ks_herder_tasks_max(c->config);
	tasks = calloc((size_t)n, sizeof(*tasks));
	if (!resolved || !tasks) {
		ks_props_destroy(resolved);
		free(tasks);
		ks_herder_set_failed(h, c, "out of memory");
		return;
	}
	/* distributed mode: only the tasks whose slots this worker owns */
	int want = 0, m = 0;
	for (int i = 0; i < n; i++)
		if (!h->cluster || ks_cluster_owns(h->cluster, c->name, i, n)) {
			want++;
			tasks[i] = ks_herder_start_task(h, c, resolved, i);
		}
	ks_props_destroy(resolved);
	/* a task that could not even get a thread is dropped from the list */
	for (int i = 0; i < n; i++)
		if (tasks[i])
			tasks[m++] = tasks[i];
	if (m < want)
		ks_herder_set_failed(h, c, "could only start %d of %d tasks", m, want);
	pthread_mutex_lock(&h->lock);
	c->tasks = tasks;
	c->ntasks = m;
	pthread_mutex_unlock(&h->lock);
	KS_INFO(LOGCTX, "connector %s: %d task(s) started (%s)", c->name, m,
	        ks_target_name(c->target));
}

static ks_state_t conn_state(const ks_herder_t *h, const conn_t *c)
{
	if (!h->started)
		return KS_STATE_UNASSIGNED;
	if (c->failed)
		return KS_STATE_FAILED;
	switch (c->target) {
	case KS_TARGET_PAUSED:
		return KS_STATE_PAUSED;
	case KS_TARGET_STOPPED:
		return KS_STATE_STOPPED;
	default:
		return KS_STATE_RUNNING;
	}
}

ks_state_t ks_herder_conn_state(const ks_herder_t *h, const conn_t *c)
{
	return conn_state(h, c);
}

/* ---------------- lifecycle ---------------- */

ks_herder_t *ks_herder_new(ks_worker_config_t *wc, char *errstr, size_t errlen)
{
	ks_herder_t *h = calloc(1, sizeof(*h));
	json_t *doc = NULL, *conns, *e;
	const char *name;

	if (!h) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	h->wc = wc;
	pthread_mutex_init(&h->ops, NULL);
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->meta_lock, NULL);
	if (wc->distributed) /* the connectors come from the config topic */
		return h;
	if (ks_store_load(wc->store_path, &doc, errstr, errlen)) {
		ks_herder_destroy(h);
		return NULL;
	}
	conns = json_object_get(doc, "connectors");
	json_object_foreach(conns, name, e)
	{
		conn_t *c = calloc(1, sizeof(*c));
		const char *ts = json_string_value(json_object_get(e, "target_state"));
		char perr[KS_ERRSTR_SIZE];
		if (!c || !(c->name = ks_strdup(name)) || !(c->config = ks_props_new()) ||
		    !(c->shared = ks_conn_shared_new())) {
			ks_herder_conn_free(c);
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto fail;
		}
		if (ks_config_from_json(json_object_get(e, "config"), c->config, perr,
		                        sizeof(perr))) {
			ks_seterr(errstr, errlen, -1, "%s: connector %s: %s", wc->store_path, name,
			          perr);
			ks_herder_conn_free(c);
			goto fail;
		}
		c->target = ts && !strcmp(ts, "PAUSED")    ? KS_TARGET_PAUSED
		            : ts && !strcmp(ts, "STOPPED") ? KS_TARGET_STOPPED
		                                           : KS_TARGET_STARTED;
		c->next = h->conns;
		h->conns = c;
		KS_INFO(LOGCTX, "loaded connector %s (%s) from %s", name, ks_target_name(c->target),
		        wc->store_path);
	}
	json_decref(doc);
	return h;
fail:
	json_decref(doc);
	ks_herder_destroy(h);
	return NULL;
}

void ks_herder_start(ks_herder_t *h)
{
	pthread_mutex_lock(&h->ops);
	pthread_mutex_lock(&h->lock);
	h->started = 1;
	pthread_mutex_unlock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		ks_herder_start_conn(h, c);
	pthread_mutex_unlock(&h->ops);
}

void ks_herder_stop(ks_herder_t *h)
{
	/* distributed: leave the cluster first, so no hook starts a task while
	 * the tasks stop */
	ks_cluster_leave(h->cluster);
	pthread_mutex_lock(&h->ops);
	/* ask all tasks at once so the shutdown takes one timeout, not one each */
	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		for (int i = 0; i < c->ntasks; i++)
			ks_task_request_stop(c->tasks[i]);
	pthread_mutex_unlock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		ks_herder_stop_tasks(h, c);
	pthread_mutex_unlock(&h->ops);
}

void ks_herder_destroy(ks_herder_t *h)
{
	if (!h)
		return;
	while (h->conns) {
		conn_t *c = h->conns;
		h->conns = c->next;
		for (int i = 0; i < c->ntasks; i++)
			ks_task_stop_destroy(c->tasks[i], h->wc->shutdown_timeout_ms);
		ks_herder_conn_free(c);
	}
	ks_cluster_destroy(h->cluster);
	free(h->cluster_id);
	pthread_mutex_destroy(&h->ops);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->meta_lock);
	free(h);
}

int ks_herder_attach(ks_herder_t *h, char *errstr, size_t errlen)
{
	return h->wc->distributed ? ks_dist_attach(h, errstr, errlen) : 0;
}

int ks_herder_join(ks_herder_t *h, char *errstr, size_t errlen)
{
	return h->cluster ? ks_dist_join(h, errstr, errlen) : 0;
}

int ks_herder_leader(ks_herder_t *h, char *url, size_t len)
{
	return h->cluster ? ks_cluster_leader(h->cluster, url, len) : 1;
}

int ks_herder_healthy(ks_herder_t *h, char *msg, size_t len)
{
	if (!ks_herder_started(h)) {
		snprintf(msg, len, "Worker is still starting up.");
		return 0;
	}
	if (h->cluster && !ks_cluster_healthy(h->cluster, msg, len))
		return 0;
	snprintf(msg, len, "Worker has completed startup and is ready to handle requests.");
	return 1;
}

int ks_herder_started(ks_herder_t *h)
{
	int s;
	pthread_mutex_lock(&h->lock);
	s = h->started;
	pthread_mutex_unlock(&h->lock);
	return s;
}

const ks_worker_config_t *ks_herder_worker(ks_herder_t *h)
{
	return h->wc;
}

/* ---------------- changes ---------------- */

ks_err_t ks_herder_put(ks_herder_t *h, const char *name, const ks_props_t *config, int allow_update,
                       ks_target_t initial, ks_conn_info_t *info, int *created, char *errstr,
                       size_t errlen)
{
	ks_props_t *props = NULL;
	const char *cname = ks_props_get(config, "name");
	conn_t *c;
	ks_err_t r;
	int is_new = 0;

	if (cname && strcmp(cname, name))
		return ks_seterr(errstr, errlen, KS_ERR_INVALID,
		                 "Connector name configuration (%s) doesn't match connector name "
		                 "in the URL (%s)",
		                 cname, name);
	props = ks_props_dup(config);
	if (!props || (!cname && ks_props_set(props, "name", name))) {
		ks_props_destroy(props);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	if (h->cluster) {
		r = ks_herder_check_config(h, props, NULL, errstr, errlen);
		if (r == KS_OK)
			r = ks_dist_put(h, name, props, allow_update, initial, info, created,
			                errstr, errlen);
		ks_props_destroy(props);
		return r;
	}
	pthread_mutex_lock(&h->ops);
	r = ks_herder_check_config(h, props, NULL, errstr, errlen);
	if (r != KS_OK)
		goto out;
	c = ks_herder_find(h, name);
	if (c && !allow_update) {
		r = ks_seterr(errstr, errlen, KS_ERR_EXISTS, "Connector %s already exists", name);
		goto out;
	}
	if (c) {
		ks_herder_stop_tasks(h, c);
		pthread_mutex_lock(&h->lock);
		ks_props_destroy(c->config);
		c->config = props;
		props = NULL;
		pthread_mutex_unlock(&h->lock);
		KS_INFO(LOGCTX, "connector %s: config updated", name);
	} else {
		c = calloc(1, sizeof(*c));
		if (!c || !(c->name = ks_strdup(name)) || !(c->shared = ks_conn_shared_new())) {
			ks_herder_conn_free(c);
			r = ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
			goto out;
		}
		c->config = props;
		props = NULL;
		c->target = initial;
		pthread_mutex_lock(&h->lock);
		c->next = h->conns;
		h->conns = c;
		pthread_mutex_unlock(&h->lock);
		is_new = 1;
		KS_INFO(LOGCTX, "connector %s created (%s)", name, ks_target_name(initial));
	}
	ks_herder_start_conn(h, c);
	save_store(h);
	r = KS_OK;
	if (info) {
		pthread_mutex_lock(&h->lock);
		r = ks_herder_info_of(c, info)
		            ? ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory")
		            : KS_OK;
		pthread_mutex_unlock(&h->lock);
	}
	if (created)
		*created = is_new;
out:
	pthread_mutex_unlock(&h->ops);
	ks_props_destroy(props);
	return r;
}

ks_err_t ks_herder_patch(ks_herder_t *h, const char *name, const ks_props_t *set,
                         const char *const *remove, size_t nremove, ks_conn_info_t *info,
                         char *errstr, size_t errlen)
{
	ks_props_t *merged;
	conn_t *c;
	ks_err_t r;

	pthread_mutex_lock(&h->lock);
	c = ks_herder_find(h, name);
	merged = c ? ks_props_dup(c->config) : NULL;
	pthread_mutex_unlock(&h->lock);
	if (!c)
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Connector %s not found", name);
	if (!merged)
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	for (size_t i = 0; i < nremove; i++)
		ks_props_remove(merged, remove[i]);
	for (size_t i = 0; i < ks_props_count(set); i++)
		if (ks_props_set(merged, ks_props_key(set, i), ks_props_value(set, i))) {
			ks_props_destroy(merged);
			return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		}
	/* deleted meanwhile and re-created: still a PATCH result */
	r = ks_herder_put(h, name, merged, 1, KS_TARGET_STARTED, info, NULL, errstr, errlen);
	ks_props_destroy(merged);
	return r;
}

ks_err_t ks_herder_delete(ks_herder_t *h, const char *name, char *errstr, size_t errlen)
{
	conn_t **pp, *c = NULL;

	if (h->cluster)
		return ks_dist_delete(h, name, errstr, errlen);
	pthread_mutex_lock(&h->ops);
	pthread_mutex_lock(&h->lock);
	for (pp = &h->conns; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name)) {
			c = *pp;
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&h->lock);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Connector %s not found", name);
	}
	ks_herder_stop_tasks(h, c);
	save_store(h);
	pthread_mutex_unlock(&h->ops);
	KS_INFO(LOGCTX, "connector %s deleted", name);
	ks_herder_conn_free(c);
	return KS_OK;
}

int ks_herder_apply_target(ks_herder_t *h, conn_t *c, ks_target_t target)
{
	ks_target_t old = c->target;

	pthread_mutex_lock(&h->lock);
	c->target = target;
	pthread_mutex_unlock(&h->lock);
	if (old == target)
		return 0;
	KS_INFO(LOGCTX, "connector %s: %s -> %s", c->name, ks_target_name(old),
	        ks_target_name(target));
	if (target == KS_TARGET_STOPPED) {
		ks_herder_stop_tasks(h, c);
		pthread_mutex_lock(&h->lock);
		c->failed = 0;
		pthread_mutex_unlock(&h->lock);
	} else if (old == KS_TARGET_STOPPED || !c->ntasks) {
		ks_herder_start_conn(h, c);
	} else {
		pthread_mutex_lock(&h->lock);
		for (int i = 0; i < c->ntasks; i++)
			ks_task_set_paused(c->tasks[i], target == KS_TARGET_PAUSED);
		pthread_mutex_unlock(&h->lock);
	}
	return 1;
}

ks_err_t ks_herder_set_target(ks_herder_t *h, const char *name, ks_target_t target, char *errstr,
                              size_t errlen)
{
	conn_t *c;

	if (h->cluster)
		return ks_dist_set_target(h, name, target, errstr, errlen);
	pthread_mutex_lock(&h->ops);
	c = ks_herder_find(h, name);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown connector %s", name);
	}
	if (ks_herder_apply_target(h, c, target))
		save_store(h);
	pthread_mutex_unlock(&h->ops);
	return KS_OK;
}

/* Restarts task slot i of c (caller holds ops). */
void ks_herder_restart_slot(ks_herder_t *h, conn_t *c, int i)
{
	ks_task_t *old, *nt;
	ks_props_t *resolved;

	int id;

	pthread_mutex_lock(&h->lock);
	old = c->tasks[i];
	pthread_mutex_unlock(&h->lock);
	id = ks_task_id(old);
	ks_task_stop_destroy(old, h->wc->shutdown_timeout_ms);
	resolved = ks_providers_resolve(h->wc->providers, c->config);
	nt = resolved ? ks_herder_start_task(h, c, resolved, id) : NULL;
	ks_props_destroy(resolved);
	pthread_mutex_lock(&h->lock);
	if (nt) {
		c->tasks[i] = nt;
	} else { /* drop the slot */
		memmove(&c->tasks[i], &c->tasks[i + 1],
		        (size_t)(c->ntasks - i - 1) * sizeof(c->tasks[0]));
		c->ntasks--;
	}
	pthread_mutex_unlock(&h->lock);
}

ks_err_t ks_herder_restart(ks_herder_t *h, const char *name, int include_tasks, int only_failed,
                           ks_conn_status_t *status, char *errstr, size_t errlen)
{
	conn_t *c;
	int *marks = NULL, restart_conn_inst;

	if (h->cluster)
		return ks_dist_restart(h, name, include_tasks, only_failed, status, errstr, errlen);
	pthread_mutex_lock(&h->ops);
	c = ks_herder_find(h, name);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown connector: %s", name);
	}
	marks = calloc((size_t)c->ntasks + 1, sizeof(int));
	if (!marks) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	pthread_mutex_lock(&h->lock);
	restart_conn_inst = !only_failed || conn_state(h, c) == KS_STATE_FAILED;
	marks[0] = restart_conn_inst;
	for (int i = 0; i < c->ntasks; i++)
		marks[1 + i] = include_tasks && (!only_failed || ks_task_state(c->tasks[i], NULL) ==
		                                                         KS_STATE_FAILED);
	if (status && ks_herder_status_of(h, c, marks, status)) {
		pthread_mutex_unlock(&h->lock);
		pthread_mutex_unlock(&h->ops);
		free(marks);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	pthread_mutex_unlock(&h->lock);
	KS_INFO(LOGCTX, "restarting connector %s (includeTasks=%d onlyFailed=%d)", name,
	        include_tasks, only_failed);
	if (restart_conn_inst && c->failed) {
		/* the connector itself failed to start: start it all again */
		ks_herder_stop_tasks(h, c);
		ks_herder_start_conn(h, c);
	} else {
		int n = c->ntasks;
		for (int i = 0; i < n && i < c->ntasks; i++)
			if (marks[1 + i])
				ks_herder_restart_slot(h, c, i);
	}
	free(marks);
	pthread_mutex_unlock(&h->ops);
	return KS_OK;
}

ks_err_t ks_herder_restart_task(ks_herder_t *h, const char *name, int task, char *errstr,
                                size_t errlen)
{
	conn_t *c;
	int slot = -1;

	if (h->cluster)
		return ks_dist_restart_task(h, name, task, errstr, errlen);
	pthread_mutex_lock(&h->ops);
	c = ks_herder_find(h, name);
	for (int i = 0; c && i < c->ntasks; i++)
		if (ks_task_id(c->tasks[i]) == task)
			slot = i;
	if (slot < 0) {
		pthread_mutex_unlock(&h->ops);
		if (!c)
			return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown connector: %s",
			                 name);
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Unknown task: %s-%d", name,
		                 task);
	}
	KS_INFO(LOGCTX, "restarting task %s-%d", name, task);
	ks_herder_restart_slot(h, c, slot);
	pthread_mutex_unlock(&h->ops);
	return KS_OK;
}

/* Appends the lines of text (samples, "\n"-ended) whose metric name is name,
 * or name_sum / name_count for a summary. */
static void metric_lines(ks_buf_t *out, const char *text, size_t len, const char *name, int summary)
{
	size_t nl = strlen(name);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *rest = p + nl;
		size_t ll = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);
		if (ll > nl && !strncmp(p, name, nl) &&
		    (*rest == '{' || *rest == ' ' ||
		     (summary && (!strncmp(rest, "_sum", 4) || !strncmp(rest, "_count", 6)))))
			ks_buf_append(out, p, ll);
		p += ll;
	}
}

void ks_herder_metrics(ks_herder_t *h, ks_buf_t *out)
{
	/* task.c writes each task's samples together; they are regrouped here
	 * per family, since a family's samples must not be interleaved with
	 * another's in the exposition format */
	static const char *const help[][3] = {
	        {"ksink_task_records_read_total", "counter", "Records consumed from Kafka."},
	        {"ksink_task_records_written_total", "counter",
	         "Records committed by the connector."},
	        {"ksink_task_records_failed_total", "counter",
	         "Records skipped with errors.tolerance=all."},
	        {"ksink_task_batches_total", "counter", "Batches committed."},
	        {"ksink_task_commit_retries_total", "counter", "Retriable commit failures."},
	        {"ksink_task_commit_seconds", "summary", "Connector commit latency in seconds."},
	        {"ksink_task_dlq_records_total", "counter",
	         "Records sent to the dead letter queue topic."},
	        {"ksink_task_offsets_skipped_total", "counter",
	         "Offsets deleted by retention before they were read (skipped on resume)."},
	        {"ksink_task_fenced_total", "counter",
	         "Partitions dropped because another task claimed them (fenced)."},
	        {"ksink_task_overlapped_records_total", "counter",
	         "Records read and decoded while the previous batch's commit was in flight."},
	        {"ksink_partition_lag", "gauge",
	         "High watermark minus committed offset (watermarks queried every 2 s, paused "
	         "or not; never committed: from the log start)."},
	        {"ksink_partition_lag_seconds", "gauge",
	         "Age of the oldest record read and not yet committed (0 when caught up)."},
	        {"ksink_task_held_partitions", "gauge",
	         "Partitions held in Kafka by ksink.apply.delay.ms or ksink.apply.until."},
	        {"ksink_task_hold_seconds", "gauge",
	         "Age of the oldest held record: how far behind the task is holding."},
	        {"ksink_task_apply_delay_seconds", "gauge", "ksink.apply.delay.ms in seconds."},
	};
	ks_buf_t tasks = KS_BUF_INIT;

	pthread_mutex_lock(&h->lock);
	ks_buf_puts(out, "# HELP ksink_connector_state Connector state (1 for its current state).\n"
	                 "# TYPE ksink_connector_state gauge\n");
	for (conn_t *c = h->conns; c; c = c->next) {
		ks_buf_puts(out, "ksink_connector_state{connector=\"");
		for (const char *p = c->name; *p; p++) {
			if (*p == '\n') {
				ks_buf_puts(out, "\\n");
				continue;
			}
			if (*p == '\\' || *p == '"')
				ks_buf_putc(out, '\\');
			ks_buf_putc(out, *p);
		}
		ks_buf_printf(out, "\",state=\"%s\"} 1\n", ks_state_name(conn_state(h, c)));
	}
	for (conn_t *c = h->conns; c; c = c->next)
		for (int i = 0; i < c->ntasks; i++)
			ks_task_metrics(c->tasks[i], &tasks);
	pthread_mutex_unlock(&h->lock);
	for (size_t i = 0; i < KS_ARRAY_SIZE(help); i++) {
		ks_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", help[i][0], help[i][2],
		              help[i][0], help[i][1]);
		if (!ks_buf_failed(&tasks))
			metric_lines(out, tasks.data, tasks.len, help[i][0],
			             !strcmp(help[i][1], "summary"));
	}
	ks_buf_free(&tasks);
	ks_buf_printf(out,
	              "# HELP ksink_worker_fenced_total Partitions fenced in this worker, "
	              "abandoned tasks included.\n# TYPE ksink_worker_fenced_total counter\n"
	              "ksink_worker_fenced_total %llu\n",
	              (unsigned long long)ks_task_fenced_total());
	ks_process_metrics(out);
}

const char *ks_herder_cluster_id(ks_herder_t *h)
{
	const char *id;
	pthread_mutex_lock(&h->meta_lock);
	if (!h->cluster_id) {
		ks_props_t *cp = ks_worker_consumer_props(h->wc, NULL, "ksink-meta", 0);
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		char kerr[256];
		rd_kafka_t *rk;
		for (size_t i = 0; cp && i < ks_props_count(cp); i++)
			if (!strcmp(ks_props_key(cp, i), "bootstrap.servers"))
				(void)rd_kafka_conf_set(conf, "bootstrap.servers",
				                        ks_props_value(cp, i), kerr, sizeof(kerr));
		ks_props_destroy(cp);
		rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
		if (rk) {
			char *cid = rd_kafka_clusterid(rk, 3000);
			if (cid) {
				h->cluster_id = ks_strdup(cid);
				rd_kafka_mem_free(rk, cid);
			}
			rd_kafka_destroy(rk);
		} else {
			rd_kafka_conf_destroy(conf);
		}
	}
	id = h->cluster_id ? h->cluster_id : "";
	pthread_mutex_unlock(&h->meta_lock);
	return id;
}
