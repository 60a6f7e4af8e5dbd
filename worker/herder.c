/*
 * herder.c — the connector registry and lifecycle of a standalone worker:
 * create / update / delete, pause / resume / stop, restarts, status, KIP-875
 * offsets and the config store. Named after Connect's Herder.
 *
 * Locking: `ops` serializes every change (it is held while tasks are
 * started and stopped, which can take a moment); `lock` guards the connector
 * list and fields for readers (status, config), so GETs answer at once
 * while a change is in progress. Task threads never take either lock.
 *
 * A connector here has no thread of its own: its state is derived from its
 * target state (STARTED/PAUSED/STOPPED) and whether its tasks could be
 * started; tasks report their own state (task.c).
 */
#include "worker.h"

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

typedef struct conn {
	char *name;
	ks_props_t *config; /* raw, as given (providers unresolved) */
	ks_target_t target;
	const ks_connector_plugin_t *plugin;
	int failed; /* could not start: trace says why */
	char *trace;
	ks_task_t **tasks;
	int ntasks;
	ks_conn_shared_t *shared;
	struct conn *next;
} conn_t;

struct ks_herder {
	ks_worker_config_t *wc;
	pthread_mutex_t ops;
	pthread_mutex_t lock;
	conn_t *conns;
	int started;
	pthread_mutex_t meta_lock;
	char *cluster_id;
};

/* ---------------- helpers ---------------- */

static json_t *props_json(const ks_props_t *p)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ks_props_count(p); i++)
		json_object_set_new(o, ks_props_key(p, i), json_string(ks_props_value(p, i)));
	return o;
}

/* Could key hold a secret? PASSWORD keys of any plugin, and names that say
 * so (consumer.override.sasl.jaas.config, a converter's basic.auth.user.info). */
static int secret_key(const char *key)
{
	static const char *const words[] = {"password",    "secret", "jaas.config", "user.info",
	                                    "credentials", "token",  NULL};
	for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++) {
		const ks_cfg_def_t *defs[] = {(*p)->config_defs, ks_connector_common_defs, NULL};
		if (ks_config_is_password(defs, key))
			return 1;
	}
	for (int i = 0; words[i]; i++)
		if (strcasestr(key, words[i]))
			return 1;
	return 0;
}

/* props_json for error messages: secret values (and URLs carrying a
 * password parameter) show as [hidden]. */
static json_t *props_json_masked(const ks_props_t *p)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ks_props_count(p); i++) {
		const char *k = ks_props_key(p, i), *v = ks_props_value(p, i);
		int hide = secret_key(k) || strcasestr(v, "password=");
		json_object_set_new(o, k, json_string(hide ? "[hidden]" : v));
	}
	return o;
}

static conn_t *find_conn(ks_herder_t *h, const char *name)
{
	for (conn_t *c = h->conns; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void conn_free(conn_t *c)
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

static int tasks_max(const ks_props_t *config)
{
	const char *v = ks_props_get(config, "tasks.max");
	long n = v ? strtol(v, NULL, 10) : 1;
	return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Saves every connector to config.storage.file. Caller holds ops. */
static void save_store(ks_herder_t *h)
{
	json_t *doc = json_object(), *conns = json_object();
	char errstr[KS_ERRSTR_SIZE];

	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next) {
		json_t *e = json_object();
		json_object_set_new(e, "config", props_json(c->config));
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
static void stop_tasks(ks_herder_t *h, conn_t *c)
{
	ks_task_t **tasks;
	int n;

	pthread_mutex_lock(&h->lock);
	tasks = c->tasks;
	n = c->ntasks;
	c->tasks = NULL;
	c->ntasks = 0;
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < n; i++)
		ks_task_request_stop(tasks[i]);
	for (int i = 0; i < n; i++)
		ks_task_stop_destroy(tasks[i], h->wc->shutdown_timeout_ms);
	free(tasks);
}

static void set_failed(ks_herder_t *h, conn_t *c, const char *fmt, ...) KS_PRINTF(3, 4);
static void set_failed(ks_herder_t *h, conn_t *c, const char *fmt, ...)
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
static ks_task_t *start_task(ks_herder_t *h, conn_t *c, const ks_props_t *resolved, int id)
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
static void start_conn(ks_herder_t *h, conn_t *c)
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
		set_failed(h, c,
		           "org.apache.kafka.connect.errors.ConnectException: Failed to find any "
		           "class that implements Connector and which name matches %s",
		           ks_props_get(c->config, "connector.class"));
		return;
	}
	resolved = ks_providers_resolve(h->wc->providers, c->config);
	n = tasks_max(c->config);
	tasks = calloc((size_t)n, sizeof(*tasks));
	if (!resolved || !tasks) {
		ks_props_destroy(resolved);
		free(tasks);
		set_failed(h, c, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++)
		tasks[i] = start_task(h, c, resolved, i);
	ks_props_destroy(resolved);
	/* a task that could not even get a thread is dropped from the list */
	int m = 0;
	for (int i = 0; i < n; i++)
		if (tasks[i])
			tasks[m++] = tasks[i];
	if (m < n)
		set_failed(h, c, "could only start %d of %d tasks", m, n);
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

/* Caller holds lock. */
static json_t *state_json(ks_herder_t *h, ks_state_t s, const char *trace, int id)
{
	json_t *o = json_object();
	if (id >= 0)
		json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "state", json_string(ks_state_name(s)));
	json_object_set_new(o, "worker_id", json_string(h->wc->worker_id));
	if (trace && *trace)
		json_object_set_new(o, "trace", json_string(trace));
	return o;
}

/* ConnectorStateInfo; restarting marks (may be NULL): [0] connector, [1+i] task i. */
static json_t *status_json(ks_herder_t *h, conn_t *c, const int *restarting)
{
	json_t *o = json_object(), *tasks = json_array();
	ks_state_t cs = conn_state(h, c);

	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "connector",
	                    state_json(h, restarting && restarting[0] ? KS_STATE_RESTARTING : cs,
	                               cs == KS_STATE_FAILED ? c->trace : NULL, -1));
	for (int i = 0; i < c->ntasks; i++) {
		char *trace = NULL;
		ks_state_t ts = ks_task_state(c->tasks[i], &trace);
		if (restarting && restarting[1 + i])
			ts = KS_STATE_RESTARTING;
		json_array_append_new(tasks, state_json(h, ts, trace, ks_task_id(c->tasks[i])));
		free(trace);
	}
	json_object_set_new(o, "tasks", tasks);
	json_object_set_new(o, "type",
	                    json_string(c->plugin || ks_connector_find(ks_props_get(
	                                                     c->config, "connector.class"))
	                                        ? "sink"
	                                        : "unknown"));
	return o;
}

/* ConnectorInfo. Caller holds lock. */
static json_t *info_json(conn_t *c)
{
	json_t *o = json_object(), *tasks = json_array();
	int n = c->target == KS_TARGET_STOPPED ? 0 : tasks_max(c->config);
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "config", props_json(c->config));
	for (int i = 0; i < n; i++) {
		json_t *t = json_object();
		json_object_set_new(t, "connector", json_string(c->name));
		json_object_set_new(t, "task", json_integer(i));
		json_array_append_new(tasks, t);
	}
	json_object_set_new(o, "tasks", tasks);
	json_object_set_new(
	        o, "type",
	        json_string(ks_connector_find(ks_props_get(c->config, "connector.class"))
	                            ? "sink"
	                            : "unknown"));
	return o;
}

/*
 * Validates a connector config the way Connect's herder does before a
 * create or update. Returns KS_H_OK or the error class with a message.
 * *infos (optional) gets the ConfigInfos JSON.
 */
static ks_hres_t validate(ks_herder_t *h, const ks_props_t *config, json_t **infos, char *errstr,
                          size_t errlen)
{
	const char *cls = ks_props_get(config, "connector.class");
	const ks_connector_plugin_t *plugin;
	const ks_cfg_def_t *defs[4];
	ks_transform_defs_t *tdefs;
	ks_props_t *resolved;
	ks_config_t *cfg;
	json_t *ci;
	size_t nerr;

	if (!cls || !*cls) {
		json_t *pj = props_json_masked(config);
		char *txt = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pj);
		ks_seterr(errstr, errlen, -1, "Connector config %s contains no connector type",
		          txt ? txt : "{}");
		free(txt);
		return KS_H_BAD;
	}
	plugin = ks_connector_find(cls);
	if (!plugin) {
		ks_buf_t b = KS_BUF_INIT;
		for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++)
			ks_buf_printf(&b, "%s%s", b.len ? ", " : "", (*p)->class_name);
		ks_seterr(errstr, errlen, -1,
		          "Failed to find any class that implements Connector and which name "
		          "matches %s, available connectors are: %s",
		          cls, b.data ? b.data : "");
		ks_buf_free(&b);
		return KS_H_INTERNAL;
	}
	resolved = ks_providers_resolve(h->wc->providers, config);
	if (!resolved)
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	/* the keys the declared transforms / predicates add (Connect's enrich) */
	if (!(tdefs = ks_transform_defs_new(resolved))) {
		ks_props_destroy(resolved);
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	}
	defs[0] = ks_connector_common_defs;
	defs[1] = plugin->config_defs;
	defs[2] = ks_transform_defs_table(tdefs);
	defs[3] = NULL;
	cfg = ks_config_new(defs, resolved);
	ks_props_destroy(resolved);
	if (!cfg) {
		ks_transform_defs_destroy(tdefs);
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	}
	ks_connector_validate_common(cfg);
	ks_transform_validate(cfg);
	if (plugin->validate)
		plugin->validate(cfg);
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "value.converter" : "key.converter";
		const char *v = ks_config_string(cfg, key);
		if (v && *v && !ks_converter_known(v))
			(void)ks_config_add_error(cfg, key, "Class %s could not be found.", v);
	}
	{
		/* connector.client.config.override.policy: All, None or Principal */
		const char *policy =
		        ks_config_string(h->wc->cfg, "connector.client.config.override.policy");
		for (size_t i = 0; policy && i < ks_props_count(config); i++) {
			const char *k = ks_props_key(config, i);
			if (strncmp(k, "consumer.override.", 18) || ks_strcaseeq(policy, "All"))
				continue;
			if (ks_strcaseeq(policy, "Principal") &&
			    (!strcmp(k + 18, "sasl.jaas.config") ||
			     !strcmp(k + 18, "sasl.mechanism") ||
			     !strcmp(k + 18, "security.protocol")))
				continue;
			(void)ks_config_add_error(cfg, "name",
			                          "The '%s' policy does not allow '%s' to be "
			                          "overridden in the connector configuration.",
			                          policy, k + 18);
		}
	}
	nerr = ks_config_error_count(cfg);
	ci = ks_config_infos_json(cfg, cls);
	ks_config_destroy(cfg);
	ks_transform_defs_destroy(tdefs);
	if (!ci)
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	if (nerr) {
		ks_buf_t b = KS_BUF_INIT;
		json_t *configs = json_object_get(ci, "configs"), *e;
		size_t i, j, count = 0;
		json_array_foreach(configs, i, e)
		{
			json_t *errs = json_object_get(json_object_get(e, "value"), "errors"), *m;
			json_array_foreach(errs, j, m)
			{
				ks_buf_printf(&b, "\n%s", json_string_value(m));
				count++;
			}
		}
		ks_seterr(errstr, errlen, -1,
		          "Connector configuration is invalid and contains the following %zu "
		          "error(s):%s\nYou can also find the above list of errors at the endpoint "
		          "`/connector-plugins/{connectorType}/config/validate`",
		          count, b.data ? b.data : "");
		ks_buf_free(&b);
	}
	if (infos)
		*infos = ci;
	else
		json_decref(ci);
	return nerr ? KS_H_BAD : KS_H_OK;
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
			conn_free(c);
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto fail;
		}
		if (ks_config_from_json(json_object_get(e, "config"), c->config, perr,
		                        sizeof(perr))) {
			ks_seterr(errstr, errlen, -1, "%s: connector %s: %s", wc->store_path, name,
			          perr);
			conn_free(c);
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
		start_conn(h, c);
	pthread_mutex_unlock(&h->ops);
}

void ks_herder_stop(ks_herder_t *h)
{
	pthread_mutex_lock(&h->ops);
	/* ask all tasks at once so the shutdown takes one timeout, not one each */
	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		for (int i = 0; i < c->ntasks; i++)
			ks_task_request_stop(c->tasks[i]);
	pthread_mutex_unlock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		stop_tasks(h, c);
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
		conn_free(c);
	}
	free(h->cluster_id);
	pthread_mutex_destroy(&h->ops);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->meta_lock);
	free(h);
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

ks_hres_t ks_herder_put(ks_herder_t *h, const char *name, const ks_props_t *config,
                        int allow_update, ks_target_t initial, json_t **out, char *errstr,
                        size_t errlen)
{
	ks_props_t *props = NULL;
	const char *cname = ks_props_get(config, "name");
	conn_t *c;
	ks_hres_t r;
	int created = 0;

	if (cname && strcmp(cname, name))
		return ks_seterr(errstr, errlen, KS_H_BAD,
		                 "Connector name configuration (%s) doesn't match connector name "
		                 "in the URL (%s)",
		                 cname, name);
	props = ks_props_dup(config);
	if (!props || (!cname && ks_props_set(props, "name", name))) {
		ks_props_destroy(props);
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	}
	pthread_mutex_lock(&h->ops);
	r = validate(h, props, NULL, errstr, errlen);
	if (r != KS_H_OK)
		goto out;
	c = find_conn(h, name);
	if (c && !allow_update) {
		r = ks_seterr(errstr, errlen, KS_H_EXISTS, "Connector %s already exists", name);
		goto out;
	}
	if (c) {
		stop_tasks(h, c);
		pthread_mutex_lock(&h->lock);
		ks_props_destroy(c->config);
		c->config = props;
		props = NULL;
		pthread_mutex_unlock(&h->lock);
		KS_INFO(LOGCTX, "connector %s: config updated", name);
	} else {
		c = calloc(1, sizeof(*c));
		if (!c || !(c->name = ks_strdup(name)) || !(c->shared = ks_conn_shared_new())) {
			conn_free(c);
			r = ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
			goto out;
		}
		c->config = props;
		props = NULL;
		c->target = initial;
		pthread_mutex_lock(&h->lock);
		c->next = h->conns;
		h->conns = c;
		pthread_mutex_unlock(&h->lock);
		created = 1;
		KS_INFO(LOGCTX, "connector %s created (%s)", name, ks_target_name(initial));
	}
	start_conn(h, c);
	save_store(h);
	if (out) {
		pthread_mutex_lock(&h->lock);
		*out = info_json(c);
		pthread_mutex_unlock(&h->lock);
	}
	r = created ? KS_H_CREATED : KS_H_OK;
out:
	pthread_mutex_unlock(&h->ops);
	ks_props_destroy(props);
	return r;
}

ks_hres_t ks_herder_patch(ks_herder_t *h, const char *name, const json_t *patch, json_t **out,
                          char *errstr, size_t errlen)
{
	ks_props_t *merged;
	const char *key;
	json_t *v;
	conn_t *c;
	ks_hres_t r;

	if (!json_is_object(patch))
		return ks_seterr(errstr, errlen, KS_H_BAD, "Request body must be a JSON object");
	pthread_mutex_lock(&h->lock);
	c = find_conn(h, name);
	merged = c ? ks_props_dup(c->config) : NULL;
	pthread_mutex_unlock(&h->lock);
	if (!c)
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Connector %s not found", name);
	if (!merged)
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	json_object_foreach((json_t *)patch, key, v)
	{
		char buf[64];
		const char *s = NULL;
		if (json_is_null(v)) {
			ks_props_remove(merged, key);
			continue;
		}
		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
			s = buf;
		} else if (json_is_boolean(v))
			s = json_is_true(v) ? "true" : "false";
		else if (json_is_real(v)) {
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
			s = buf;
		} else {
			ks_props_destroy(merged);
			return ks_seterr(errstr, errlen, KS_H_BAD,
			                 "Config value of %s must be a string", key);
		}
		if (ks_props_set(merged, key, s)) {
			ks_props_destroy(merged);
			return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
		}
	}
	r = ks_herder_put(h, name, merged, 1, KS_TARGET_STARTED, out, errstr, errlen);
	ks_props_destroy(merged);
	if (r == KS_H_CREATED) /* deleted meanwhile and re-created: still a PATCH result */
		r = KS_H_OK;
	return r;
}

ks_hres_t ks_herder_delete(ks_herder_t *h, const char *name, char *errstr, size_t errlen)
{
	conn_t **pp, *c = NULL;

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
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Connector %s not found", name);
	}
	stop_tasks(h, c);
	save_store(h);
	pthread_mutex_unlock(&h->ops);
	KS_INFO(LOGCTX, "connector %s deleted", name);
	conn_free(c);
	return KS_H_OK;
}

ks_hres_t ks_herder_set_target(ks_herder_t *h, const char *name, ks_target_t target, char *errstr,
                               size_t errlen)
{
	conn_t *c;
	ks_target_t old;

	pthread_mutex_lock(&h->ops);
	c = find_conn(h, name);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Unknown connector %s", name);
	}
	old = c->target;
	pthread_mutex_lock(&h->lock);
	c->target = target;
	pthread_mutex_unlock(&h->lock);
	if (old != target) {
		KS_INFO(LOGCTX, "connector %s: %s -> %s", name, ks_target_name(old),
		        ks_target_name(target));
		if (target == KS_TARGET_STOPPED) {
			stop_tasks(h, c);
			pthread_mutex_lock(&h->lock);
			c->failed = 0;
			pthread_mutex_unlock(&h->lock);
		} else if (old == KS_TARGET_STOPPED || !c->ntasks) {
			start_conn(h, c);
		} else {
			pthread_mutex_lock(&h->lock);
			for (int i = 0; i < c->ntasks; i++)
				ks_task_set_paused(c->tasks[i], target == KS_TARGET_PAUSED);
			pthread_mutex_unlock(&h->lock);
		}
		save_store(h);
	}
	pthread_mutex_unlock(&h->ops);
	return KS_H_OK;
}

/* Restarts task slot i of c (caller holds ops). */
static void restart_slot(ks_herder_t *h, conn_t *c, int i)
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
	nt = resolved ? start_task(h, c, resolved, id) : NULL;
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

ks_hres_t ks_herder_restart(ks_herder_t *h, const char *name, int include_tasks, int only_failed,
                            json_t **out, char *errstr, size_t errlen)
{
	conn_t *c;
	int *marks = NULL, restart_conn_inst;

	pthread_mutex_lock(&h->ops);
	c = find_conn(h, name);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Unknown connector: %s", name);
	}
	marks = calloc((size_t)c->ntasks + 1, sizeof(int));
	if (!marks) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	}
	pthread_mutex_lock(&h->lock);
	restart_conn_inst = !only_failed || conn_state(h, c) == KS_STATE_FAILED;
	marks[0] = restart_conn_inst;
	for (int i = 0; i < c->ntasks; i++)
		marks[1 + i] = include_tasks && (!only_failed || ks_task_state(c->tasks[i], NULL) ==
		                                                         KS_STATE_FAILED);
	if (out && (include_tasks || only_failed))
		*out = status_json(h, c, marks);
	pthread_mutex_unlock(&h->lock);
	KS_INFO(LOGCTX, "restarting connector %s (includeTasks=%d onlyFailed=%d)", name,
	        include_tasks, only_failed);
	if (restart_conn_inst && c->failed) {
		/* the connector itself failed to start: start it all again */
		stop_tasks(h, c);
		start_conn(h, c);
	} else {
		int n = c->ntasks;
		for (int i = 0; i < n && i < c->ntasks; i++)
			if (marks[1 + i])
				restart_slot(h, c, i);
	}
	free(marks);
	pthread_mutex_unlock(&h->ops);
	return KS_H_OK;
}

ks_hres_t ks_herder_restart_task(ks_herder_t *h, const char *name, int task, char *errstr,
                                 size_t errlen)
{
	conn_t *c;
	int slot = -1;

	pthread_mutex_lock(&h->ops);
	c = find_conn(h, name);
	for (int i = 0; c && i < c->ntasks; i++)
		if (ks_task_id(c->tasks[i]) == task)
			slot = i;
	if (slot < 0) {
		pthread_mutex_unlock(&h->ops);
		if (!c)
			return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Unknown connector: %s",
			                 name);
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Unknown task: %s-%d", name, task);
	}
	KS_INFO(LOGCTX, "restarting task %s-%d", name, task);
	restart_slot(h, c, slot);
	pthread_mutex_unlock(&h->ops);
	return KS_H_OK;
}

/* ---------------- reads ---------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

json_t *ks_herder_list(ks_herder_t *h)
{
	json_t *arr = json_array();
	json_t **tmp;
	size_t n = 0, i = 0;

	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next)
		n++;
	tmp = calloc(n + 1, sizeof(*tmp));
	for (conn_t *c = h->conns; tmp && c; c = c->next)
		tmp[i++] = json_string(c->name);
	pthread_mutex_unlock(&h->lock);
	if (!tmp)
		return arr;
	qsort(tmp, n, sizeof(*tmp), cmp_name);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, tmp[i]);
	free(tmp);
	return arr;
}

json_t *ks_herder_connector_names_expanded(ks_herder_t *h, int status, int info)
{
	json_t *o = json_object();
	pthread_mutex_lock(&h->lock);
	for (conn_t *c = h->conns; c; c = c->next) {
		json_t *e = json_object();
		if (status)
			json_object_set_new(e, "status", status_json(h, c, NULL));
		if (info)
			json_object_set_new(e, "info", info_json(c));
		json_object_set_new(o, c->name, e);
	}
	pthread_mutex_unlock(&h->lock);
	return o;
}

#define READ_CONN(h, name, c, errstr, errlen, msgfmt)                                              \
	pthread_mutex_lock(&(h)->lock);                                                            \
	c = find_conn((h), (name));                                                                \
	if (!c) {                                                                                  \
		pthread_mutex_unlock(&(h)->lock);                                                  \
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, msgfmt, name);                     \
	}

ks_hres_t ks_herder_info(ks_herder_t *h, const char *name, json_t **out, char *errstr,
                         size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	*out = info_json(c);
	pthread_mutex_unlock(&h->lock);
	return KS_H_OK;
}

ks_hres_t ks_herder_config(ks_herder_t *h, const char *name, json_t **out, char *errstr,
                           size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	*out = props_json(c->config);
	pthread_mutex_unlock(&h->lock);
	return KS_H_OK;
}

ks_hres_t ks_herder_status(ks_herder_t *h, const char *name, json_t **out, char *errstr,
                           size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "No status found for connector %s");
	*out = status_json(h, c, NULL);
	pthread_mutex_unlock(&h->lock);
	return KS_H_OK;
}

ks_hres_t ks_herder_task_status(ks_herder_t *h, const char *name, int task, json_t **out,
                                char *errstr, size_t errlen)
{
	conn_t *c;
	READ_CONN(h, name, c, errstr, errlen, "No status found for connector %s");
	for (int i = 0; i < c->ntasks; i++)
		if (ks_task_id(c->tasks[i]) == task) {
			char *trace = NULL;
			ks_state_t s = ks_task_state(c->tasks[i], &trace);
			*out = state_json(h, s, trace, task);
			free(trace);
			pthread_mutex_unlock(&h->lock);
			return KS_H_OK;
		}
	pthread_mutex_unlock(&h->lock);
	return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "No status found for task %s-%d", name,
	                 task);
}

ks_hres_t ks_herder_tasks(ks_herder_t *h, const char *name, int as_map, json_t **out, char *errstr,
                          size_t errlen)
{
	conn_t *c;
	int n;
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	n = c->target == KS_TARGET_STOPPED ? 0 : tasks_max(c->config);
	*out = as_map ? json_object() : json_array();
	for (int i = 0; i < n; i++) {
		json_t *cfg = props_json(c->config);
		char cls[512], key[512];
		const ks_connector_plugin_t *p =
		        ks_connector_find(ks_props_get(c->config, "connector.class"));
		snprintf(cls, sizeof(cls), "%sTask",
		         p ? p->class_name : ks_props_get(c->config, "connector.class"));
		json_object_set_new(cfg, "task.class", json_string(cls));
		if (as_map) {
			snprintf(key, sizeof(key), "%s-%d", c->name, i);
			json_object_set_new(*out, key, cfg);
		} else {
			json_t *t = json_object(), *id = json_object();
			json_object_set_new(id, "connector", json_string(c->name));
			json_object_set_new(id, "task", json_integer(i));
			json_object_set_new(t, "id", id);
			json_object_set_new(t, "config", cfg);
			json_array_append_new(*out, t);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return KS_H_OK;
}

ks_hres_t ks_herder_topics(ks_herder_t *h, const char *name, int reset, json_t **out, char *errstr,
                           size_t errlen)
{
	conn_t *c;
	if (!ks_config_bool(h->wc->cfg, "topic.tracking.enable") ||
	    (reset && !ks_config_bool(h->wc->cfg, "topic.tracking.allow.reset")))
		return ks_seterr(errstr, errlen, KS_H_FORBIDDEN,
		                 reset ? "Topic tracking reset is disabled."
		                       : "Topic tracking is disabled.");
	READ_CONN(h, name, c, errstr, errlen, "Connector %s not found");
	if (reset) {
		ks_conn_shared_reset_topics(c->shared);
	} else {
		json_t *o = json_object(), *e = json_object();
		json_object_set_new(e, "topics", ks_conn_shared_topics(c->shared));
		json_object_set_new(o, c->name, e);
		*out = o;
	}
	pthread_mutex_unlock(&h->lock);
	return KS_H_OK;
}

/* ---------------- offsets (KIP-875) ---------------- */

/* A consumer in the connector's group that never joins (commits as a
 * "simple" consumer, accepted while the group is empty). */
static rd_kafka_t *admin_consumer(ks_herder_t *h, const ks_props_t *config, const char *name,
                                  char *errstr, size_t errlen)
{
	ks_props_t *cp = ks_worker_consumer_props(h->wc, config, name, 0);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char *group = ks_worker_group_id(config, name);
	char kerr[256];
	rd_kafka_t *rk;

	for (size_t i = 0; cp && i < ks_props_count(cp); i++)
		(void)rd_kafka_conf_set(conf, ks_props_key(cp, i), ks_props_value(cp, i), kerr,
		                        sizeof(kerr));
	if (group)
		(void)rd_kafka_conf_set(conf, "group.id", group, kerr, sizeof(kerr));
	(void)rd_kafka_conf_set(conf, "client.id", "ksink-offsets", kerr, sizeof(kerr));
	ks_props_destroy(cp);
	free(group);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		ks_seterr(errstr, errlen, -1, "consumer: %s", kerr);
	}
	return rk;
}

/* Every partition of the topics the connector consumes (metadata). */
static rd_kafka_topic_partition_list_t *
connector_partitions(rd_kafka_t *rk, const ks_props_t *config, char *errstr, size_t errlen)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	ks_topics_t tp;

	if (ks_topics_init(&tp, ks_props_get(config, "topics"),
	                   ks_props_get(config, "topics.regex"), errstr, errlen))
		return NULL;
	err = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
	if (err) {
		ks_topics_clear(&tp);
		ks_seterr(errstr, errlen, -1, "metadata: %s", rd_kafka_err2str(err));
		return NULL;
	}
	l = rd_kafka_topic_partition_list_new(16);
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];
		if (!ks_topics_matches(&tp, t->topic))
			continue;
		for (int p = 0; p < t->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(l, t->topic, t->partitions[p].id);
	}
	rd_kafka_metadata_destroy(md);
	ks_topics_clear(&tp);
	rd_kafka_topic_partition_list_sort(l, NULL, NULL);
	return l;
}

static json_t *offset_entry(const char *topic, int32_t partition, int64_t offset)
{
	json_t *e = json_object(), *p = json_object(), *o = json_object();
	json_object_set_new(p, "kafka_topic", json_string(topic));
	json_object_set_new(p, "kafka_partition", json_integer(partition));
	json_object_set_new(o, "kafka_offset", json_integer(offset));
	json_object_set_new(e, "partition", p);
	json_object_set_new(e, "offset", o);
	return e;
}

/* Reads an int from a JSON number or numeric string. 0 ok. */
static int json_int_of(const json_t *v, int64_t *out)
{
	char *end;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && *json_string_value(v)) {
		*out = strtoll(json_string_value(v), &end, 10);
		return *end ? -1 : 0;
	}
	return -1;
}

static ks_hres_t offsets_get(ks_herder_t *h, const char *name, const ks_props_t *config,
                             const ks_connector_plugin_t *plugin, json_t **out, char *errstr,
                             size_t errlen)
{
	rd_kafka_t *rk = admin_consumer(h, config, name, errstr, errlen);
	rd_kafka_topic_partition_list_t *l;
	ks_tp_offset_t *db = NULL;
	size_t ndb = 0;
	json_t *arr;

	if (!rk)
		return KS_H_INTERNAL;
	l = connector_partitions(rk, config, errstr, errlen);
	if (!l || rd_kafka_committed(rk, l, 5000)) {
		if (l)
			rd_kafka_topic_partition_list_destroy(l);
		rd_kafka_destroy(rk);
		return ks_seterr(errstr, errlen, KS_H_INTERNAL,
		                 "Failed to retrieve consumer group offsets for sink connector %s",
		                 name);
	}
	if (plugin && plugin->offsets_read) {
		char perr[KS_ERRSTR_SIZE];
		ks_props_t *resolved = ks_providers_resolve(h->wc->providers, config);
		if (!resolved ||
		    plugin->offsets_read(resolved, name, &db, &ndb, perr, sizeof(perr)) != KS_OK) {
			KS_WARN(LOGCTX, "connector %s: reading its offsets: %s", name,
			        resolved ? perr : "out of memory");
			db = NULL;
			ndb = 0;
		}
		ks_props_destroy(resolved);
	}
	arr = json_array();
	/* the connector's own offsets win: they are where it resumes */
	for (size_t i = 0; i < ndb; i++)
		if (db[i].offset >= 0)
			json_array_append_new(
			        arr, offset_entry(db[i].topic, db[i].partition, db[i].offset));
	for (int i = 0; i < l->cnt; i++) {
		int dup = 0;
		if (l->elems[i].offset < 0)
			continue;
		for (size_t j = 0; j < ndb && !dup; j++)
			dup = db[j].offset >= 0 && db[j].partition == l->elems[i].partition &&
			      !strcmp(db[j].topic, l->elems[i].topic);
		if (!dup)
			json_array_append_new(arr,
			                      offset_entry(l->elems[i].topic, l->elems[i].partition,
			                                   l->elems[i].offset));
	}
	ks_tp_offsets_free(db, ndb);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	*out = json_object();
	json_object_set_new(*out, "offsets", arr);
	return KS_H_OK;
}

/* Commits offs to the group; offset < 0 = back to the low watermark. */
static int commit_group(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l, char *errstr,
                        size_t errlen)
{
	rd_kafka_resp_err_t err;
	for (int i = 0; i < l->cnt; i++) {
		if (l->elems[i].offset < 0) {
			int64_t lo = 0, hi = 0;
			if (rd_kafka_query_watermark_offsets(rk, l->elems[i].topic,
			                                     l->elems[i].partition, &lo, &hi, 5000))
				lo = 0;
			l->elems[i].offset = lo;
		}
	}
	if (!l->cnt)
		return 0;
	err = rd_kafka_commit(rk, l, 0);
	if (err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
	    err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION) {
		/* The broker (librdkafka's mock, for one) refuses commits from
		 * non-members: join the (empty) group briefly and commit as a member. */
		rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(l->cnt);
		rd_kafka_topic_partition_list_t *asg = NULL;
		int64_t deadline = ks_now_ms() + 30000;
		for (int i = 0; i < l->cnt; i++)
			if (!rd_kafka_topic_partition_list_find(sub, l->elems[i].topic,
			                                        RD_KAFKA_PARTITION_UA))
				rd_kafka_topic_partition_list_add(sub, l->elems[i].topic,
				                                  RD_KAFKA_PARTITION_UA);
		rd_kafka_poll_set_consumer(rk);
		err = rd_kafka_subscribe(rk, sub);
		rd_kafka_topic_partition_list_destroy(sub);
		while (!err && ks_now_ms() < deadline) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
			if (m)
				rd_kafka_message_destroy(m);
			if (!rd_kafka_assignment(rk, &asg) && asg && asg->cnt)
				break;
			if (asg)
				rd_kafka_topic_partition_list_destroy(asg);
			asg = NULL;
		}
		if (asg)
			rd_kafka_topic_partition_list_destroy(asg);
		if (!err)
			err = rd_kafka_commit(rk, l, 0);
		rd_kafka_consumer_close(rk);
	}
	if (err)
		return ks_seterr(errstr, errlen, -1, "committing group offsets: %s",
		                 rd_kafka_err2str(err));
	return 0;
}

static ks_hres_t offsets_modify(ks_herder_t *h, const char *name, const ks_props_t *config,
                                const ks_connector_plugin_t *plugin, const json_t *body,
                                json_t **out, char *errstr, size_t errlen)
{
	int reset = body == NULL;
	json_t *offsets = reset ? NULL : json_object_get(body, "offsets"), *e;
	ks_tp_offset_t *offs = NULL;
	size_t n = 0, i;
	rd_kafka_t *rk = NULL;
	rd_kafka_topic_partition_list_t *l = NULL;
	ks_hres_t r = KS_H_OK;
	int external = 0;

	if (!reset) {
		if (!json_is_array(offsets) || !json_array_size(offsets))
			return ks_seterr(errstr, errlen, KS_H_BAD,
			                 "Partitions / offsets need to be provided for an alter "
			                 "offsets request");
		offs = calloc(json_array_size(offsets), sizeof(*offs));
		if (!offs)
			return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
		json_array_foreach(offsets, i, e)
		{
			json_t *p = json_object_get(e, "partition"),
			       *o = json_object_get(e, "offset");
			json_t *tp = json_object_get(p, "kafka_topic");
			int64_t part, off = -1;
			if (!json_is_string(tp) ||
			    json_int_of(json_object_get(p, "kafka_partition"), &part)) {
				free(offs);
				return ks_seterr(
				        errstr, errlen, KS_H_BAD,
				        "Partitions for sink connectors must have the "
				        "kafka_topic and kafka_partition keys with a string "
				        "topic and an integer partition");
			}
			if (o && !json_is_null(o) &&
			    (json_int_of(json_object_get(o, "kafka_offset"), &off) || off < 0)) {
				free(offs);
				return ks_seterr(errstr, errlen, KS_H_BAD,
				                 "Offsets for sink connectors must have the key "
				                 "kafka_offset with a non-negative integer value");
			}
			offs[n].topic = json_string_value(tp);
			offs[n].partition = (int32_t)part;
			offs[n].offset = off;
			n++;
		}
	}
	rk = admin_consumer(h, config, name, errstr, errlen);
	if (!rk) {
		r = KS_H_INTERNAL;
		goto out;
	}
	if (reset) {
		l = connector_partitions(rk, config, errstr, errlen);
		if (!l || rd_kafka_committed(rk, l, 5000)) {
			r = ks_seterr(errstr, errlen, KS_H_INTERNAL,
			              "Failed to reset offsets of sink connector %s", name);
			goto out;
		}
		/* only partitions that have a committed offset are reset */
		rd_kafka_topic_partition_list_t *keep = rd_kafka_topic_partition_list_new(l->cnt);
		for (int k = 0; k < l->cnt; k++)
			if (l->elems[k].offset >= 0)
				rd_kafka_topic_partition_list_add(keep, l->elems[k].topic,
				                                  l->elems[k].partition)
				        ->offset = -1;
		rd_kafka_topic_partition_list_destroy(l);
		l = keep;
	} else {
		l = rd_kafka_topic_partition_list_new((int)n);
		for (i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(l, offs[i].topic, offs[i].partition)
			        ->offset = offs[i].offset;
	}
	if (plugin && plugin->offsets_alter) {
		ks_props_t *resolved = ks_providers_resolve(h->wc->providers, config);
		char perr[KS_ERRSTR_SIZE];
		if (!resolved || plugin->offsets_alter(resolved, name, offs, n, reset, perr,
		                                       sizeof(perr)) != KS_OK) {
			ks_props_destroy(resolved);
			r = ks_seterr(errstr, errlen, KS_H_INTERNAL,
			              "Failed to %s the offsets of connector %s: %s",
			              reset ? "reset" : "alter", name,
			              resolved ? perr : "out of memory");
			goto out;
		}
		ks_props_destroy(resolved);
		external = 1;
	}
	if (commit_group(rk, l, errstr, errlen)) {
		r = KS_H_INTERNAL;
		goto out;
	}
	*out = json_object();
	json_object_set_new(
	        *out, "message",
	        json_string(
	                reset ? (external ? "The offsets for this connector have been reset "
	                                    "successfully"
	                                  : "The Connect framework-managed offsets for this "
	                                    "connector "
	                                    "have been reset successfully. However, if this "
	                                    "connector "
	                                    "manages offsets externally, they will need to be "
	                                    "manually "
	                                    "reset in the system that the connector uses.")
	                      : (external ? "The offsets for this connector have been altered "
	                                    "successfully"
	                                  : "The Connect framework-managed offsets for this "
	                                    "connector have been altered successfully. However, if "
	                                    "this connector manages offsets externally, they will "
	                                    "need to be manually altered in the system that the "
	                                    "connector uses.")));
	KS_INFO(LOGCTX, "connector %s: offsets %s", name, reset ? "reset" : "altered");
out:
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	if (rk)
		rd_kafka_destroy(rk);
	free(offs);
	return r;
}

ks_hres_t ks_herder_offsets(ks_herder_t *h, const char *name, int op, const json_t *body,
                            json_t **out, char *errstr, size_t errlen)
{
	conn_t *c;
	ks_props_t *config;
	const ks_connector_plugin_t *plugin;
	ks_hres_t r;

	pthread_mutex_lock(&h->ops);
	c = find_conn(h, name);
	if (!c) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_H_NOTFOUND, "Connector %s not found", name);
	}
	if (op != 0 && (c->target != KS_TARGET_STOPPED || c->ntasks)) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_H_BAD,
		                 "Connectors must be in the STOPPED state before their offsets can "
		                 "be modified. This can be done for the specified connector by "
		                 "issuing a 'PUT' request to the '/connectors/%s/stop' endpoint",
		                 name);
	}
	config = ks_props_dup(c->config);
	plugin = ks_connector_find(ks_props_get(c->config, "connector.class"));
	if (!config) {
		pthread_mutex_unlock(&h->ops);
		return ks_seterr(errstr, errlen, KS_H_INTERNAL, "out of memory");
	}
	if (op == 0) {
		/* reads need not block changes */
		pthread_mutex_unlock(&h->ops);
		r = offsets_get(h, name, config, plugin, out, errstr, errlen);
	} else {
		r = offsets_modify(h, name, config, plugin, op == 1 ? body : NULL, out, errstr,
		                   errlen);
		pthread_mutex_unlock(&h->ops);
	}
	ks_props_destroy(config);
	return r;
}

ks_hres_t ks_herder_validate(ks_herder_t *h, const char *plugin, const ks_props_t *config,
                             json_t **out, char *errstr, size_t errlen)
{
	const char *cls = ks_props_get(config, "connector.class");
	const ks_connector_plugin_t *pp = ks_connector_find(plugin);
	ks_hres_t r;

	if (cls && pp && ks_connector_find(cls) != pp)
		return ks_seterr(errstr, errlen, KS_H_BAD,
		                 "Included connector type %s does not match request type %s", cls,
		                 plugin);
	if (cls && !pp && strcmp(cls, plugin))
		return ks_seterr(errstr, errlen, KS_H_BAD,
		                 "Included connector type %s does not match request type %s", cls,
		                 plugin);
	r = validate(h, config, out, errstr, errlen);
	if (r == KS_H_BAD && *out)
		return KS_H_OK; /* 200 with error_count > 0 */
	if (r == KS_H_BAD || r == KS_H_INTERNAL) {
		char msg[KS_ERRSTR_SIZE];
		snprintf(msg, sizeof(msg), "%s", errstr);
		ks_seterr(errstr, errlen, -1, "%s: %s",
		          r == KS_H_BAD ? "org.apache.kafka.connect.runtime.rest.errors."
		                          "BadRequestException"
		                        : "org.apache.kafka.connect.errors.ConnectException",
		          msg);
		return KS_H_INTERNAL;
	}
	return r;
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
	        {"ksink_partition_lag", "gauge", "High watermark minus committed offset."},
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
