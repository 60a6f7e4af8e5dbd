/*
 * routes.c — the Connect REST routes (see rest.h): which paths and methods
 * exist (allowed_methods) and, per route, the request parsed into the
 * herder's types, the herder call (worker/herder.h) and its typed result
 * rendered by views.c. Status codes follow Connect: 201 + Location on
 * create, 202 for pause/resume/topic reset/restart with a body, 204 for
 * delete/stop/plain restart, 404 unknown path, 405 wrong method. The
 * request envelope (auth, path, body, query) is request.c; the
 * /admin/loggers routes are loggers.c.
 */
#include "rest_int.h"

#include "../lib/buf.h"
#include "../lib/log.h"
#include "../schemas/converter.h"
#include "../transforms/transform.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGCTX "rest"

/* An answer carrying a ConnectorInfo (info cleared). */
static void from_info(resp_t *rs, ks_err_t r, int ok_status, ks_conn_info_t *info,
                      const char *errstr)
{
	ks_rest_answer(rs, r, ok_status, r == KS_OK ? ks_view_info(info) : NULL, errstr);
	ks_conn_info_clear(info);
}

struct expand {
	int status, info;
};

/* ?expand=status&expand=info (repeatable; unknown values ignored). */
static void expand_of(req_t *rq, struct expand *e)
{
	const char *q = rq->query;
	char k[64], v[64];

	while (ks_rest_query_next(&q, k, sizeof(k), v, sizeof(v))) {
		if (strcmp(k, "expand"))
			continue;
		if (!strcmp(v, "status"))
			e->status = 1;
		else if (!strcmp(v, "info"))
			e->info = 1;
	}
}

/* 1 when name has no character but spaces (not a usable connector name). */
static int blank(const char *name)
{
	while (isspace((unsigned char)*name))
		name++;
	return !*name;
}

/* ---------------- handlers ---------------- */

static void h_root(ks_rest_t *r, resp_t *rs)
{
	char commit[64];
	snprintf(commit, sizeof(commit), "ksink-%s", KSINK_VERSION);
	rs->json = json_object();
	json_object_set_new(rs->json, "version", json_string(KSINK_CONNECT_VERSION));
	json_object_set_new(rs->json, "commit", json_string(commit));
	json_object_set_new(rs->json, "kafka_cluster_id", json_string(ks_herder_cluster_id(r->h)));
	rs->status = 200;
}

static void h_health(ks_rest_t *r, resp_t *rs)
{
	char msg[KS_ERRSTR_SIZE];
	int ok = ks_herder_healthy(r->h, msg, sizeof(msg));
	rs->status = ok ? 200 : 503;
	rs->json = json_object();
	json_object_set_new(rs->json, "status",
	                    json_string(ok                        ? "healthy"
	                                : ks_herder_started(r->h) ? "unhealthy"
	                                                          : "starting"));
	json_object_set_new(rs->json, "message", json_string(msg));
}

static void h_create(ks_rest_t *r, req_t *rq, resp_t *rs)
{
	json_t *body = ks_rest_body(rq, rs, 1), *jname, *jcfg, *jinit;
	char errstr[KS_ERRSTR_SIZE], name[1024];
	ks_target_t initial = KS_TARGET_STARTED;
	ks_conn_info_t info = {0};
	ks_props_t *props;
	ks_err_t hr;

	if (!body)
		return;
	if (!json_is_object(body)) {
		ks_rest_error(rs, 400, "Request body must be a JSON object");
		goto out;
	}
	jname = json_object_get(body, "name");
	jcfg = json_object_get(body, "config");
	jinit = json_object_get(body, "initial_state");
	if (jname && !json_is_null(jname) && !json_is_string(jname)) {
		ks_rest_error(rs, 400, "Connector name must be a string");
		goto out;
	}
	{ /* Connect trims the name */
		const char *s = json_is_string(jname) ? json_string_value(jname) : "";
		size_t len;
		while (isspace((unsigned char)*s))
			s++;
		len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (len >= sizeof(name)) {
			ks_rest_error(rs, 400, "Connector name is too long");
			goto out;
		}
		memcpy(name, s, len);
		name[len] = '\0';
	}
	if (!jcfg || json_is_null(jcfg)) {
		ks_rest_error(rs, 400,
		              "Connector config is missing: the request body needs a "
		              "\"config\" object");
		goto out;
	}
	if (jinit && !json_is_null(jinit)) {
		const char *s = json_string_value(jinit);
		if (s && ks_strcaseeq(s, "RUNNING"))
			initial = KS_TARGET_STARTED;
		else if (s && ks_strcaseeq(s, "PAUSED"))
			initial = KS_TARGET_PAUSED;
		else if (s && ks_strcaseeq(s, "STOPPED"))
			initial = KS_TARGET_STOPPED;
		else {
			ks_rest_error(rs, 400,
			              "initial_state must be one of RUNNING, PAUSED, STOPPED");
			goto out;
		}
	}
	if (!(props = ks_rest_config_of(jcfg, rs)))
		goto out;
	if (!*name) {
		const char *cn = ks_props_get(props, "name");
		if (cn && *cn) /* Connect would 400 on the mismatch with "" */
			snprintf(name, sizeof(name), "%s", cn);
	}
	if (blank(name)) {
		ks_props_destroy(props);
		ks_rest_error(rs, 400, "Connector name must not be empty");
		goto out;
	}
	hr = ks_herder_put(r->h, name, props, 0, initial, &info, NULL, errstr, sizeof(errstr));
	ks_props_destroy(props);
	from_info(rs, hr, 201, &info, errstr);
	if (hr == KS_OK)
		ks_rest_location(rs, name);
out:
	json_decref(body);
}

static void h_put_config(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	json_t *body = ks_rest_body(rq, rs, 1);
	char errstr[KS_ERRSTR_SIZE];
	ks_conn_info_t info = {0};
	ks_props_t *props;
	int created = 0;
	ks_err_t hr;

	if (!body)
		return;
	if (blank(name)) {
		ks_rest_error(rs, 400, "Connector name must not be empty");
	} else if ((props = ks_rest_config_of(body, rs))) {
		hr = ks_herder_put(r->h, name, props, 1, KS_TARGET_STARTED, &info, &created, errstr,
		                   sizeof(errstr));
		ks_props_destroy(props);
		from_info(rs, hr, created ? 201 : 200, &info, errstr);
		if (hr == KS_OK && created)
			ks_rest_location(rs, name);
	}
	json_decref(body);
}

/* A PATCH body's values as config strings (set) and the keys it removes
 * (JSON null). 0 ok; -1 with the 400 message in errstr. */
static int patch_of(const json_t *patch, ks_props_t *set, const char ***remove, size_t *nremove,
                    char *errstr, size_t errlen)
{
	const char *key;
	json_t *v;

	*remove = calloc(json_object_size(patch) + 1, sizeof(**remove));
	if (!*remove)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	json_object_foreach((json_t *)patch, key, v)
	{
		char buf[64];
		const char *str = NULL;
		if (json_is_null(v)) {
			(*remove)[(*nremove)++] = key;
			continue;
		}
		if (json_is_string(v))
			str = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
			str = buf;
		} else if (json_is_boolean(v))
			str = json_is_true(v) ? "true" : "false";
		else if (json_is_real(v)) {
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
			str = buf;
		} else
			return ks_seterr(errstr, errlen, -1, "Config value of %s must be a string",
			                 key);
		if (ks_props_set(set, key, str))
			return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	return 0;
}

static void h_patch_config(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	json_t *body = ks_rest_body(rq, rs, 1);
	char errstr[KS_ERRSTR_SIZE], perr[KS_ERRSTR_SIZE];
	ks_conn_info_t info = {0};
	ks_props_t *set = NULL, *cur = NULL;
	const char **remove = NULL;
	size_t nremove = 0;
	ks_err_t hr;

	if (!body)
		return;
	if (!json_is_object(body)) {
		ks_rest_error(rs, 400, "Connector configuration must be a JSON object");
	} else if (!(set = ks_props_new())) {
		ks_rest_error(rs, 500, "out of memory");
	} else if (patch_of(body, set, &remove, &nremove, perr, sizeof(perr))) {
		/* an unknown connector is a 404 whatever the body says */
		hr = ks_herder_config(r->h, name, &cur, errstr, sizeof(errstr));
		ks_rest_error(rs, hr == KS_OK ? 400 : ks_rest_status_of(hr, 200),
		              hr == KS_OK ? perr : errstr);
	} else {
		hr = ks_herder_patch(r->h, name, set, remove, nremove, &info, errstr,
		                     sizeof(errstr));
		from_info(rs, hr, 200, &info, errstr);
	}
	ks_props_destroy(cur);
	ks_props_destroy(set);
	free(remove);
	json_decref(body);
}

static void h_restart(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	int include_tasks = ks_rest_query_bool(rq, "includeTasks", 0);
	int only_failed = ks_rest_query_bool(rq, "onlyFailed", 0);
	int with_body = include_tasks || only_failed;
	char errstr[KS_ERRSTR_SIZE];
	ks_conn_status_t st = {0};
	ks_err_t hr = ks_herder_restart(r->h, name, include_tasks, only_failed,
	                                with_body ? &st : NULL, errstr, sizeof(errstr));

	if (hr == KS_OK && !with_body)
		rs->status = 204;
	else
		ks_rest_answer(rs, hr, 202, hr == KS_OK ? ks_view_status(&st) : NULL, errstr);
	ks_conn_status_clear(&st);
}

static void h_plugins(req_t *rq, resp_t *rs)
{
	rs->status = 200;
	rs->json = ks_view_plugins(ks_rest_query_bool(rq, "connectorsOnly", 1));
}

/* A converter, header converter, transformation or predicate class by its
 * full name or its simple name (after the last '.'), as Connect's plugin
 * aliases; NULL when none. */
static const char *other_plugin(const char *plugin, const char *(*class_at)(size_t))
{
	for (size_t i = 0; class_at(i); i++) {
		const char *c = class_at(i), *dot = strrchr(c, '.');
		if (!strcmp(c, plugin) || (dot && !strcmp(dot + 1, plugin)))
			return c;
	}
	return NULL;
}

/* GET /connector-plugins/{plugin}/config: a connector's keys then the
 * framework's; another plugin kind's own keys (Connect 3.9, KIP-769). */
static void h_plugin_config(const char *plugin, resp_t *rs)
{
	const ks_connector_plugin_t *p = ks_connector_find(plugin);
	const ks_cfg_def_t *one[2] = {NULL, NULL};
	const ks_cfg_def_t *const *defs = one;
	const char *c;
	char msg[512];

	if (p) {
		const ks_cfg_def_t *cd[] = {p->config_defs, ks_connector_common_defs, NULL};
		rs->status = 200;
		rs->json = ks_config_defs_json(cd);
		return;
	}
	if ((c = other_plugin(plugin, ks_converter_class)))
		defs = ks_converter_config_defs(c);
	else if ((c = other_plugin(plugin, ks_transform_class)))
		one[0] = ks_transform_config_defs(c);
	else if ((c = other_plugin(plugin, ks_predicate_class)))
		one[0] = ks_predicate_config_defs(c);
	else if (!other_plugin(plugin, ks_rest_header_converter_class)) {
		snprintf(msg, sizeof(msg), "Unknown plugin %s.", plugin);
		ks_rest_error(rs, 404, msg);
		return;
	}
	rs->status = 200;
	rs->json = defs ? ks_config_defs_json(defs) : json_array();
}

static void h_validate(ks_rest_t *r, const char *plugin, req_t *rq, resp_t *rs)
{
	json_t *body = ks_rest_body(rq, rs, 1), *out = NULL;
	char errstr[KS_ERRSTR_SIZE];
	ks_props_t *props;

	if (!body)
		return;
	if ((props = ks_rest_config_of(body, rs))) {
		ks_err_t hr = ks_herder_validate(r->h, plugin, props, &out, errstr, sizeof(errstr));
		ks_props_destroy(props);
		ks_rest_answer(rs, hr, 200, out, errstr);
	}
	json_decref(body);
}

/* ---------------- dispatch ---------------- */

/* Which methods a path allows; 0 = unknown path. */
static int allowed_methods(char **seg, int n)
{
	if (n == 0)
		return M_GET;
	if (n == 1 && !strcmp(seg[0], "health"))
		return M_GET;
	if (n == 1 && !strcmp(seg[0], "metrics"))
		return M_GET;
	if (!strcmp(seg[0], "admin") && n >= 2 && !strcmp(seg[1], "loggers"))
		return n == 2 ? M_GET : n == 3 ? M_GET | M_PUT : 0;
	if (!strcmp(seg[0], "connector-plugins")) {
		if (n == 1)
			return M_GET;
		if (n == 3 && !strcmp(seg[2], "config"))
			return M_GET;
		if (n == 4 && !strcmp(seg[2], "config") && !strcmp(seg[3], "validate"))
			return M_PUT;
		return 0;
	}
	if (strcmp(seg[0], "connectors"))
		return 0;
	if (n == 1)
		return M_GET | M_POST;
	if (n == 2)
		return M_GET | M_DELETE;
	if (n == 3) {
		const char *s = seg[2];
		if (!strcmp(s, "config"))
			return M_GET | M_PUT | M_PATCH;
		if (!strcmp(s, "status") || !strcmp(s, "tasks") || !strcmp(s, "tasks-config") ||
		    !strcmp(s, "topics"))
			return M_GET;
		if (!strcmp(s, "restart"))
			return M_POST;
		if (!strcmp(s, "pause") || !strcmp(s, "resume") || !strcmp(s, "stop"))
			return M_PUT;
		if (!strcmp(s, "offsets"))
			return M_GET | M_PATCH | M_DELETE;
		return 0;
	}
	if (n == 4 && !strcmp(seg[2], "topics") && !strcmp(seg[3], "reset"))
		return M_PUT;
	if (n == 5 && !strcmp(seg[2], "tasks")) {
		if (!strcmp(seg[4], "status"))
			return M_GET;
		if (!strcmp(seg[4], "restart"))
			return M_POST;
	}
	return 0;
}

/* Parses a task id segment; -1 when it is not a non-negative int. */
static int task_id_of(const char *s)
{
	long long v;

	return ks_parse_ll(s, 0, 1 << 30, &v) ? -1 : (int)v;
}

/* GET /connectors[?expand=status&expand=info] */
static void h_list(ks_rest_t *r, req_t *rq, resp_t *rs)
{
	struct expand e = {0, 0};
	char errstr[KS_ERRSTR_SIZE];
	char **names = NULL;
	size_t n = 0;

	expand_of(rq, &e);
	if (ks_herder_names(r->h, &names, &n) != KS_OK)
		return ks_rest_error(rs, 500, "out of memory");
	rs->status = 200;
	rs->json = e.status || e.info ? json_object() : json_array();
	for (size_t i = 0; i < n; i++) {
		ks_conn_status_t st = {0};
		ks_conn_info_t info = {0};
		json_t *o;
		if (!e.status && !e.info) {
			json_array_append_new(rs->json, json_string(names[i]));
			continue;
		}
		/* one deleted meanwhile is left out */
		if ((e.status && ks_herder_status(r->h, names[i], &st, errstr, sizeof(errstr))) ||
		    (e.info && ks_herder_info(r->h, names[i], &info, errstr, sizeof(errstr)))) {
			ks_conn_status_clear(&st);
			continue;
		}
		o = json_object();
		if (e.status)
			json_object_set_new(o, "status", ks_view_status(&st));
		if (e.info)
			json_object_set_new(o, "info", ks_view_info(&info));
		json_object_set_new(rs->json, names[i], o);
		ks_conn_status_clear(&st);
		ks_conn_info_clear(&info);
	}
	ks_strv_free(names, n);
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

/* A PATCH offsets body: {"offsets":[{"partition":{"kafka_topic":T,
 * "kafka_partition":P},"offset":{"kafka_offset":O} or null}]}. The topics
 * are borrowed from body. NULL with the 400 message in errstr. */
static ks_tp_offset_t *offsets_of(const json_t *body, size_t *n, char *errstr, size_t errlen)
{
	json_t *offsets = json_object_get(body, "offsets"), *e;
	ks_tp_offset_t *offs;
	size_t i;

	*n = 0;
	if (!json_is_array(offsets) || !json_array_size(offsets)) {
		ks_seterr(errstr, errlen, -1,
		          "Partitions / offsets need to be provided for an alter offsets request");
		return NULL;
	}
	if (!(offs = calloc(json_array_size(offsets), sizeof(*offs)))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	json_array_foreach(offsets, i, e)
	{
		json_t *p = json_object_get(e, "partition"), *o = json_object_get(e, "offset");
		json_t *tp = json_object_get(p, "kafka_topic");
		int64_t part, off = -1;
		if (!json_is_string(tp) ||
		    json_int_of(json_object_get(p, "kafka_partition"), &part)) {
			free(offs);
			ks_seterr(errstr, errlen, -1,
			          "Partitions for sink connectors must have the kafka_topic and "
			          "kafka_partition keys with a string topic and an integer "
			          "partition");
			return NULL;
		}
		if (o && !json_is_null(o) &&
		    (json_int_of(json_object_get(o, "kafka_offset"), &off) || off < 0)) {
			free(offs);
			ks_seterr(
			        errstr, errlen, -1,
			        "Offsets for sink connectors must have the key kafka_offset with a "
			        "non-negative integer value");
			return NULL;
		}
		offs[*n].topic = json_string_value(tp);
		offs[*n].partition = (int32_t)part;
		offs[*n].offset = off;
		(*n)++;
	}
	return offs;
}

/* GET / PATCH / DELETE /connectors/{name}/offsets (KIP-875) */
static void h_offsets(ks_rest_t *r, const char *name, int mb, req_t *rq, resp_t *rs)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_tp_offset_t *offs = NULL;
	size_t n = 0;
	int external = 0;
	json_t *body;
	ks_err_t hr;

	if (mb == M_GET) {
		hr = ks_herder_offsets_get(r->h, name, &offs, &n, errstr, sizeof(errstr));
		ks_rest_answer(rs, hr, 200, hr == KS_OK ? ks_view_offsets(offs, n) : NULL, errstr);
		ks_tp_offsets_free(offs, n);
		return;
	}
	if (mb == M_DELETE) {
		hr = ks_herder_offsets_alter(r->h, name, NULL, 0, &external, errstr,
		                             sizeof(errstr));
		return ks_rest_answer(rs, hr, 200,
		                      hr == KS_OK ? ks_view_offsets_changed(1, external) : NULL,
		                      errstr);
	}
	if (!(body = ks_rest_body(rq, rs, 1)))
		return;
	if (!json_is_object(body)) {
		json_decref(body);
		return ks_rest_error(rs, 400, "Request body must be a JSON object");
	}
	/* unknown or running: that answer first, as Connect */
	if ((hr = ks_herder_offsets_check(r->h, name, errstr, sizeof(errstr))) != KS_OK)
		ks_rest_answer(rs, hr, 200, NULL, errstr);
	else if (!(offs = offsets_of(body, &n, errstr, sizeof(errstr))))
		ks_rest_error(rs, 400, errstr);
	else {
		hr = ks_herder_offsets_alter(r->h, name, offs, n, &external, errstr,
		                             sizeof(errstr));
		ks_rest_answer(rs, hr, 200,
		               hr == KS_OK ? ks_view_offsets_changed(0, external) : NULL, errstr);
	}
	free(offs); /* the topics are the body's */
	json_decref(body);
}

/* /connectors/{name}[/...] */
static void connector_route(ks_rest_t *r, int mb, char **seg, int n, req_t *rq, resp_t *rs)
{
	const char *name = seg[1], *sub = n > 2 ? seg[2] : "";
	char errstr[KS_ERRSTR_SIZE];
	ks_conn_status_t st = {0};
	ks_task_status_t ts = {0};
	ks_conn_info_t info = {0};
	ks_props_t *config = NULL;
	char **topics = NULL;
	size_t ntopics = 0;
	ks_err_t hr;
	int task;

	if (n == 2 && mb == M_DELETE) {
		hr = ks_herder_delete(r->h, name, errstr, sizeof(errstr));
		return ks_rest_answer(rs, hr, 204, NULL, errstr);
	}
	if (n == 2) {
		hr = ks_herder_info(r->h, name, &info, errstr, sizeof(errstr));
		return from_info(rs, hr, 200, &info, errstr);
	}
	if (n == 3 && !strcmp(sub, "config")) {
		if (mb == M_PUT)
			return h_put_config(r, name, rq, rs);
		if (mb == M_PATCH)
			return h_patch_config(r, name, rq, rs);
		hr = ks_herder_config(r->h, name, &config, errstr, sizeof(errstr));
		ks_rest_answer(rs, hr, 200, hr == KS_OK ? ks_view_config(config) : NULL, errstr);
		ks_props_destroy(config);
		return;
	}
	if (n == 3 && !strcmp(sub, "status")) {
		hr = ks_herder_status(r->h, name, &st, errstr, sizeof(errstr));
		ks_rest_answer(rs, hr, 200, hr == KS_OK ? ks_view_status(&st) : NULL, errstr);
		ks_conn_status_clear(&st);
		return;
	}
	if (n == 3 && (!strcmp(sub, "tasks") || !strcmp(sub, "tasks-config"))) {
		hr = ks_herder_info(r->h, name, &info, errstr, sizeof(errstr));
		ks_rest_answer(rs, hr, 200,
		               hr == KS_OK ? ks_view_tasks(&info, sub[5] == '-') : NULL, errstr);
		ks_conn_info_clear(&info);
		return;
	}
	if (n == 3 && !strcmp(sub, "topics")) {
		hr = ks_herder_topics(r->h, name, &topics, &ntopics, errstr, sizeof(errstr));
		ks_rest_answer(rs, hr, 200,
		               hr == KS_OK ? ks_view_topics(name, topics, ntopics) : NULL, errstr);
		ks_strv_free(topics, ntopics);
		return;
	}
	if (n == 3 && !strcmp(sub, "restart"))
		return h_restart(r, name, rq, rs);
	if (n == 3 && (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "stop"))) {
		ks_target_t t = sub[0] == 'p'   ? KS_TARGET_PAUSED
		                : sub[0] == 'r' ? KS_TARGET_STARTED
		                                : KS_TARGET_STOPPED;
		hr = ks_herder_set_target(r->h, name, t, errstr, sizeof(errstr));
		return ks_rest_answer(rs, hr, t == KS_TARGET_STOPPED ? 204 : 202, NULL, errstr);
	}
	if (n == 3) /* offsets */
		return h_offsets(r, name, mb, rq, rs);
	if (n == 4) { /* topics/reset */
		hr = ks_herder_topics_reset(r->h, name, errstr, sizeof(errstr));
		return ks_rest_answer(rs, hr, 202, NULL, errstr);
	}
	/* tasks/{t}/status|restart */
	if ((task = task_id_of(seg[3])) < 0)
		return ks_rest_error(rs, 404, "HTTP 404 Not Found");
	if (!strcmp(seg[4], "status")) {
		hr = ks_herder_task_status(r->h, name, task, &ts, errstr, sizeof(errstr));
		ks_rest_answer(
		        rs, hr, 200,
		        hr == KS_OK ? ks_view_task_state(
		                              &ts, ts.worker_id ? ts.worker_id
		                                                : ks_herder_worker(r->h)->worker_id)
		                    : NULL,
		        errstr);
		free(ts.trace);
		free(ts.worker_id);
		return;
	}
	hr = ks_herder_restart_task(r->h, name, task, errstr, sizeof(errstr));
	ks_rest_answer(rs, hr, 204, NULL, errstr);
}

void ks_rest_route(ks_rest_t *r, const char *method, char **seg, int n, req_t *rq, resp_t *rs)
{
	int mb = ks_rest_method(method), allowed = allowed_methods(seg, n);
	const ks_config_t *wcfg = ks_herder_worker(r->h)->cfg;
	const char *const *items;

	if (allowed && n >= 1 && !strcmp(seg[0], "admin") &&
	    ks_config_is_set(wcfg, "admin.listeners") &&
	    !ks_config_list(wcfg, "admin.listeners", &items))
		allowed =
		        0; /* an empty admin.listeners turns the admin endpoints off, as Connect */
	if (!allowed) {
		ks_rest_error(rs, 404, "HTTP 404 Not Found");
		return;
	}
	if (!(allowed & mb)) {
		ks_rest_error(rs, 405, "HTTP 405 Method Not Allowed");
		return;
	}
	/* changes of connectors are the leader's (distributed mode); the
	 * active topics' reset is this worker's own */
	if (mb != M_GET && n >= 1 && !strcmp(seg[0], "connectors") &&
	    !(n == 4 && !strcmp(seg[2], "topics")) && ks_rest_forward_change(r, rq, rs))
		return;
	if (n == 0)
		return h_root(r, rs);
	if (!strcmp(seg[0], "health"))
		return h_health(r, rs);
	if (!strcmp(seg[0], "metrics")) {
		ks_buf_t b = KS_BUF_INIT;
		ks_herder_metrics(r->h, &b);
		rs->status = 200;
		rs->text = ks_buf_steal(&b);
		rs->ctype = "text/plain; version=0.0.4; charset=utf-8";
		return;
	}
	if (!strcmp(seg[0], "admin"))
		return ks_rest_loggers(method, n == 3 ? seg[2] : NULL, rq, rs);
	if (!strcmp(seg[0], "connector-plugins")) {
		if (n == 1)
			return h_plugins(rq, rs);
		if (n == 3)
			return h_plugin_config(seg[1], rs);
		return h_validate(r, seg[1], rq, rs);
	}
	if (n == 1 && mb == M_POST)
		return h_create(r, rq, rs);
	if (n == 1)
		return h_list(r, rq, rs);
	connector_route(r, mb, seg, n, rq, rs);
}
