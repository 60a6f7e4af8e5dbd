/*
 * routes.c — the Connect REST routes (see rest.h).
 *
 * ks_rest_handle() is the whole API as a function: it checks basic auth,
 * splits the path into percent-decoded segments (so a connector named "a/b"
 * is addressed as /connectors/a%2Fb; %00 and invalid UTF-8 are refused with
 * 400), dispatches on the segments and the method, parses the request into
 * the herder's types, calls the herder (worker/herder.h) and renders its
 * typed result (views.c). Status codes follow Connect: 201 + Location on
 * create, 202 for pause/resume/topic reset/restart with a body, 204 for
 * delete/stop/plain restart, 401 without valid credentials, 404 unknown
 * path, 405 wrong method, 413 body over KS_REST_MAX_BODY, 415 non-JSON body
 * type, 500 for a body that is not JSON (Connect's Jackson error becomes a
 * 500 too; this includes nesting deeper than jansson's 2048 levels and
 * invalid UTF-8). The HTTP server that feeds it is server.c.
 */
#include "rest_int.h"

#include "../lib/buf.h"
#include "../lib/log.h"
#include "../schemas/converter.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGCTX   "rest"
#define MAX_SEGS 8
#define REALM    "Basic realm=\"ksink\", charset=\"UTF-8\""

/* The request as the handlers see it. */
typedef struct req {
	const ks_rest_req_t *in;
	const char *query; /* raw query string (after '?'), NULL when none */
} req_t;

/* A response under construction. */
typedef struct resp {
	int status;
	json_t *json; /* body (stolen) */
	char *text;   /* or a text body */
	const char *ctype;
	char *location;
} resp_t;

/* ---------------- logger last-modified times ---------------- */

static pthread_mutex_t lm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[96];
	int64_t ms;
} lm[64];
static int nlm;

static void lm_set(const char *name)
{
	pthread_mutex_lock(&lm_lock);
	int i;
	for (i = 0; i < nlm; i++)
		if (!strcmp(lm[i].name, name))
			break;
	if (i == nlm && nlm < (int)KS_ARRAY_SIZE(lm)) {
		snprintf(lm[i].name, sizeof(lm[i].name), "%s", name);
		nlm++;
	}
	if (i < nlm)
		lm[i].ms = ks_wall_ms();
	pthread_mutex_unlock(&lm_lock);
}

static json_t *lm_get(const char *name)
{
	json_t *v = json_null();
	pthread_mutex_lock(&lm_lock);
	for (int i = 0; i < nlm; i++)
		if (!strcmp(lm[i].name, name))
			v = json_integer(lm[i].ms);
	pthread_mutex_unlock(&lm_lock);
	return v;
}

/* ---------------- helpers ---------------- */

static void set_error(resp_t *rs, int status, const char *msg)
{
	json_decref(rs->json);
	rs->status = status;
	rs->json = ks_view_error(status, msg);
}

/* Sets the response from a herder result: body on success, error else. */
static void from_herder(resp_t *rs, ks_err_t r, int ok_status, json_t *body, const char *errstr)
{
	if (r == KS_OK) {
		rs->status = ok_status;
		rs->json = body;
	} else {
		json_decref(body);
		set_error(rs, ks_rest_status_of(r, ok_status), errstr);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s in place (+ stays +: path semantics). Returns -1 when
 * an escape decodes to NUL (which would cut the string short). */
static int pct_decode(char *s)
{
	char *w = s;
	int rc = 0;
	for (char *r = s; *r; r++) {
		int hi, lo;
		if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			if (!hi && !lo) {
				rc = -1;
				*w++ = '?';
			} else {
				*w++ = (char)(hi * 16 + lo);
			}
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return rc;
}

static char *pct_encode(const char *s)
{
	ks_buf_t b = KS_BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			ks_buf_putc(&b, (char)*p);
		else
			ks_buf_printf(&b, "%%%02X", *p);
	}
	return ks_buf_failed(&b) ? (ks_buf_free(&b), NULL) : ks_buf_steal(&b);
}

/* Location: /connectors/{name} (percent-encoded). */
static void set_location(resp_t *rs, const char *name)
{
	char *enc = pct_encode(name);
	if (enc && asprintf(&rs->location, "/connectors/%s", enc) < 0)
		rs->location = NULL;
	free(enc);
}

/* An answer carrying a ConnectorInfo (info cleared). */
static void from_info(resp_t *rs, ks_err_t r, int ok_status, ks_conn_info_t *info,
                      const char *errstr)
{
	from_herder(rs, r, ok_status, r == KS_OK ? ks_view_info(info) : NULL, errstr);
	ks_conn_info_clear(info);
}

/* A query parameter, decoded, into buf; NULL when absent. */
/* The next key=value pair of a raw query string, decoded ('+' is a space)
 * into k and v (truncated to their sizes); 0 at the end. */
static int query_next(const char **q, char *k, size_t klen, char *v, size_t vlen)
{
	const char *p = *q, *amp, *eq;
	size_t n;

	while (p && *p == '&')
		p++;
	if (!p || !*p)
		return 0;
	amp = strchr(p, '&');
	if (!amp)
		amp = p + strlen(p);
	eq = memchr(p, '=', (size_t)(amp - p));
	n = (size_t)((eq ? eq : amp) - p);
	snprintf(k, klen, "%.*s", (int)(n < klen ? n : klen - 1), p);
	n = eq ? (size_t)(amp - eq - 1) : 0;
	snprintf(v, vlen, "%.*s", (int)(n < vlen ? n : vlen - 1), eq ? eq + 1 : "");
	for (char *c = k; *c; c++)
		if (*c == '+')
			*c = ' ';
	for (char *c = v; *c; c++)
		if (*c == '+')
			*c = ' ';
	(void)pct_decode(k); /* a %00 becomes "?" */
	(void)pct_decode(v);
	*q = amp;
	return 1;
}

/* A query parameter (the first of that name), decoded, into buf; NULL when
 * absent. */
static const char *query(req_t *rq, const char *key, char *buf, size_t len)
{
	const char *q = rq->query;
	char k[64];

	while (query_next(&q, k, sizeof(k), buf, len))
		if (!strcmp(k, key))
			return buf;
	return NULL;
}

static int query_bool(req_t *rq, const char *key, int dflt)
{
	char buf[32];
	const char *v = query(rq, key, buf, sizeof(buf));
	if (!v)
		return dflt;
	return ks_strcaseeq(v, "true");
}

struct expand {
	int status, info;
};

/* ?expand=status&expand=info (repeatable; unknown values ignored). */
static void expand_of(req_t *rq, struct expand *e)
{
	const char *q = rq->query;
	char k[64], v[64];

	while (query_next(&q, k, sizeof(k), v, sizeof(v))) {
		if (strcmp(k, "expand"))
			continue;
		if (!strcmp(v, "status"))
			e->status = 1;
		else if (!strcmp(v, "info"))
			e->info = 1;
	}
}

/* Parses the request body as JSON; sets a 500 (as Connect) when it is not. */
static json_t *parse_body(req_t *rq, resp_t *rs, int required)
{
	json_error_t jerr;
	json_t *j;

	if (!rq->in->body_len) {
		if (required)
			set_error(rs, 400, "Request body is required");
		return NULL;
	}
	j = json_loadb(rq->in->body, rq->in->body_len, JSON_DECODE_ANY, &jerr);
	if (!j) {
		char msg[512];
		snprintf(msg, sizeof(msg), "Malformed JSON request body: %s (line %d, column %d)",
		         jerr.text, jerr.line, jerr.column);
		set_error(rs, 500, msg);
	}
	return j;
}

/* JSON object of config values -> props (400 on bad shape). */
static ks_props_t *config_of(const json_t *obj, resp_t *rs)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_props_t *p;

	if (!json_is_object(obj)) {
		set_error(rs, 400, "Connector configuration must be a JSON object");
		return NULL;
	}
	p = ks_props_new();
	if (!p) {
		set_error(rs, 500, "out of memory");
		return NULL;
	}
	if (ks_config_from_json(obj, p, errstr, sizeof(errstr))) {
		ks_props_destroy(p);
		set_error(rs, 400, errstr);
		return NULL;
	}
	return p;
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
	int ok = ks_herder_started(r->h);
	rs->status = ok ? 200 : 503;
	rs->json = json_object();
	json_object_set_new(rs->json, "status", json_string(ok ? "healthy" : "starting"));
	json_object_set_new(rs->json, "message",
	                    json_string(ok ? "Worker has completed startup and is ready to handle "
	                                     "requests."
	                                   : "Worker is still starting up."));
}

static void h_create(ks_rest_t *r, req_t *rq, resp_t *rs)
{
	json_t *body = parse_body(rq, rs, 1), *jname, *jcfg, *jinit;
	char errstr[KS_ERRSTR_SIZE], name[1024];
	ks_target_t initial = KS_TARGET_STARTED;
	ks_conn_info_t info = {0};
	ks_props_t *props;
	ks_err_t hr;

	if (!body)
		return;
	if (!json_is_object(body)) {
		set_error(rs, 400, "Request body must be a JSON object");
		goto out;
	}
	jname = json_object_get(body, "name");
	jcfg = json_object_get(body, "config");
	jinit = json_object_get(body, "initial_state");
	if (jname && !json_is_null(jname) && !json_is_string(jname)) {
		set_error(rs, 400, "Connector name must be a string");
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
			set_error(rs, 400, "Connector name is too long");
			goto out;
		}
		memcpy(name, s, len);
		name[len] = '\0';
	}
	if (!jcfg || json_is_null(jcfg)) {
		set_error(rs, 400,
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
			set_error(rs, 400, "initial_state must be one of RUNNING, PAUSED, STOPPED");
			goto out;
		}
	}
	if (!(props = config_of(jcfg, rs)))
		goto out;
	if (!*name) {
		const char *cn = ks_props_get(props, "name");
		if (cn && *cn) /* Connect would 400 on the mismatch with "" */
			snprintf(name, sizeof(name), "%s", cn);
	}
	if (blank(name)) {
		ks_props_destroy(props);
		set_error(rs, 400, "Connector name must not be empty");
		goto out;
	}
	hr = ks_herder_put(r->h, name, props, 0, initial, &info, NULL, errstr, sizeof(errstr));
	ks_props_destroy(props);
	from_info(rs, hr, 201, &info, errstr);
	if (hr == KS_OK)
		set_location(rs, name);
out:
	json_decref(body);
}

static void h_put_config(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	json_t *body = parse_body(rq, rs, 1);
	char errstr[KS_ERRSTR_SIZE];
	ks_conn_info_t info = {0};
	ks_props_t *props;
	int created = 0;
	ks_err_t hr;

	if (!body)
		return;
	if (blank(name)) {
		set_error(rs, 400, "Connector name must not be empty");
	} else if ((props = config_of(body, rs))) {
		hr = ks_herder_put(r->h, name, props, 1, KS_TARGET_STARTED, &info, &created, errstr,
		                   sizeof(errstr));
		ks_props_destroy(props);
		from_info(rs, hr, created ? 201 : 200, &info, errstr);
		if (hr == KS_OK && created)
			set_location(rs, name);
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
	json_t *body = parse_body(rq, rs, 1);
	char errstr[KS_ERRSTR_SIZE], perr[KS_ERRSTR_SIZE];
	ks_conn_info_t info = {0};
	ks_props_t *set = NULL, *cur = NULL;
	const char **remove = NULL;
	size_t nremove = 0;
	ks_err_t hr;

	if (!body)
		return;
	if (!json_is_object(body)) {
		set_error(rs, 400, "Connector configuration must be a JSON object");
	} else if (!(set = ks_props_new())) {
		set_error(rs, 500, "out of memory");
	} else if (patch_of(body, set, &remove, &nremove, perr, sizeof(perr))) {
		/* an unknown connector is a 404 whatever the body says */
		hr = ks_herder_config(r->h, name, &cur, errstr, sizeof(errstr));
		set_error(rs, hr == KS_OK ? 400 : ks_rest_status_of(hr, 200),
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
	int include_tasks = query_bool(rq, "includeTasks", 0);
	int only_failed = query_bool(rq, "onlyFailed", 0);
	int with_body = include_tasks || only_failed;
	char errstr[KS_ERRSTR_SIZE];
	ks_conn_status_t st = {0};
	ks_err_t hr = ks_herder_restart(r->h, name, include_tasks, only_failed,
	                                with_body ? &st : NULL, errstr, sizeof(errstr));

	if (hr == KS_OK && !with_body)
		rs->status = 204;
	else
		from_herder(rs, hr, 202, hr == KS_OK ? ks_view_status(&st) : NULL, errstr);
	ks_conn_status_clear(&st);
}

static void h_plugins(req_t *rq, resp_t *rs)
{
	rs->status = 200;
	rs->json = ks_view_plugins(query_bool(rq, "connectorsOnly", 1));
}

static void h_plugin_config(const char *plugin, resp_t *rs)
{
	const ks_connector_plugin_t *p = ks_connector_find(plugin);
	char msg[512];

	if (!p) {
		if (ks_converter_known(plugin)) {
			rs->status = 200;
			rs->json = json_array();
			return;
		}
		snprintf(msg, sizeof(msg), "Unknown plugin %s.", plugin);
		set_error(rs, 404, msg);
		return;
	}
	const ks_cfg_def_t *defs[] = {p->config_defs, ks_connector_common_defs, NULL};
	rs->status = 200;
	rs->json = ks_config_defs_json(defs);
}

static void h_validate(ks_rest_t *r, const char *plugin, req_t *rq, resp_t *rs)
{
	json_t *body = parse_body(rq, rs, 1), *out = NULL;
	char errstr[KS_ERRSTR_SIZE];
	ks_props_t *props;

	if (!body)
		return;
	if ((props = config_of(body, rs))) {
		ks_err_t hr = ks_herder_validate(r->h, plugin, props, &out, errstr, sizeof(errstr));
		ks_props_destroy(props);
		from_herder(rs, hr, 200, out, errstr);
	}
	json_decref(body);
}

/* Loggers that exist even without an explicit level (our components). */
static const char *const known_loggers[] = {"worker", "herder", "task",     "rest",      "jdbc",
                                            "avro",   "json",   "registry", "converter", NULL};

struct logger_acc {
	json_t *obj;
};

static void logger_cb(const char *logger, ks_log_level_t lvl, void *opaque)
{
	struct logger_acc *a = opaque;
	json_t *o = json_object();
	json_object_set_new(o, "level", json_string(ks_log_level_name(lvl)));
	json_object_set_new(o, "last_modified", lm_get(logger));
	json_object_set_new(a->obj, logger, o);
}

static int logger_exists(const char *name)
{
	struct logger_acc a = {json_object()};
	int found;
	ks_log_foreach(logger_cb, &a);
	found = json_object_get(a.obj, name) != NULL;
	json_decref(a.obj);
	for (const char *const *k = known_loggers; !found && *k; k++)
		found = !strcmp(*k, name);
	return found;
}

static void h_logger(const char *method, const char *name, req_t *rq, resp_t *rs)
{
	char msg[512];

	if (!strcmp(method, "GET")) {
		if (!logger_exists(name)) {
			snprintf(msg, sizeof(msg), "Logger %s not found.", name);
			set_error(rs, 404, msg);
			return;
		}
		rs->status = 200;
		rs->json = json_object();
		json_object_set_new(rs->json, "level",
		                    json_string(ks_log_level_name(ks_log_get_level(name))));
		json_object_set_new(rs->json, "last_modified", lm_get(name));
		return;
	}
	/* PUT */
	json_t *body = parse_body(rq, rs, 1);
	char sbuf[32];
	const char *scope = query(rq, "scope", sbuf, sizeof(sbuf));
	const char *lvl_s;
	int lvl;

	if (!body)
		return;
	lvl_s = json_string_value(json_object_get(body, "level"));
	if (!json_is_object(body) || !lvl_s) {
		set_error(rs, 400, "Desired 'level' parameter was not specified in request.");
		json_decref(body);
		return;
	}
	lvl = ks_log_level_parse(lvl_s);
	if (lvl < 0 || lvl == KS_LOG_OFF + 1) {
		snprintf(msg, sizeof(msg), "invalid log level '%s'.", lvl_s);
		set_error(rs, 404, msg);
		json_decref(body);
		return;
	}
	if (ks_log_set_level(name, lvl)) {
		set_error(rs, 500, "Too many loggers with explicit levels");
		json_decref(body);
		return;
	}
	lm_set(name);
	KS_INFO(LOGCTX, "log level of %s set to %s", name, ks_log_level_name(lvl));
	json_decref(body);
	if (scope && ks_strcaseeq(scope, "cluster")) {
		rs->status = 204;
		return;
	}
	rs->status = 200;
	rs->json = json_array();
	json_array_append_new(rs->json, json_string(name));
}

/* ---------------- dispatch ---------------- */

enum { M_GET = 1, M_POST = 2, M_PUT = 4, M_PATCH = 8, M_DELETE = 16 };

static int method_bit(const char *m)
{
	if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
		return M_GET;
	if (!strcmp(m, "POST"))
		return M_POST;
	if (!strcmp(m, "PUT"))
		return M_PUT;
	if (!strcmp(m, "PATCH"))
		return M_PATCH;
	if (!strcmp(m, "DELETE"))
		return M_DELETE;
	return 0;
}

int ks_rest_method_known(const char *method)
{
	return method_bit(method) != 0;
}

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
	char *end;
	long v = strtol(s, &end, 10);
	return (*s && !*end && v >= 0 && v <= 1 << 30) ? (int)v : -1;
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
		return set_error(rs, 500, "out of memory");
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
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
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
		from_herder(rs, hr, 200, hr == KS_OK ? ks_view_offsets(offs, n) : NULL, errstr);
		ks_tp_offsets_free(offs, n);
		return;
	}
	if (mb == M_DELETE) {
		hr = ks_herder_offsets_alter(r->h, name, NULL, 0, &external, errstr,
		                             sizeof(errstr));
		return from_herder(rs, hr, 200,
		                   hr == KS_OK ? ks_view_offsets_changed(1, external) : NULL,
		                   errstr);
	}
	if (!(body = parse_body(rq, rs, 1)))
		return;
	if (!json_is_object(body)) {
		json_decref(body);
		return set_error(rs, 400, "Request body must be a JSON object");
	}
	/* unknown or running: that answer first, as Connect */
	if ((hr = ks_herder_offsets_check(r->h, name, errstr, sizeof(errstr))) != KS_OK)
		from_herder(rs, hr, 200, NULL, errstr);
	else if (!(offs = offsets_of(body, &n, errstr, sizeof(errstr))))
		set_error(rs, 400, errstr);
	else {
		hr = ks_herder_offsets_alter(r->h, name, offs, n, &external, errstr,
		                             sizeof(errstr));
		from_herder(rs, hr, 200, hr == KS_OK ? ks_view_offsets_changed(0, external) : NULL,
		            errstr);
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
		return from_herder(rs, hr, 204, NULL, errstr);
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
		from_herder(rs, hr, 200, hr == KS_OK ? ks_view_config(config) : NULL, errstr);
		ks_props_destroy(config);
		return;
	}
	if (n == 3 && !strcmp(sub, "status")) {
		hr = ks_herder_status(r->h, name, &st, errstr, sizeof(errstr));
		from_herder(rs, hr, 200, hr == KS_OK ? ks_view_status(&st) : NULL, errstr);
		ks_conn_status_clear(&st);
		return;
	}
	if (n == 3 && (!strcmp(sub, "tasks") || !strcmp(sub, "tasks-config"))) {
		hr = ks_herder_info(r->h, name, &info, errstr, sizeof(errstr));
		from_herder(rs, hr, 200, hr == KS_OK ? ks_view_tasks(&info, sub[5] == '-') : NULL,
		            errstr);
		ks_conn_info_clear(&info);
		return;
	}
	if (n == 3 && !strcmp(sub, "topics")) {
		hr = ks_herder_topics(r->h, name, &topics, &ntopics, errstr, sizeof(errstr));
		from_herder(rs, hr, 200, hr == KS_OK ? ks_view_topics(name, topics, ntopics) : NULL,
		            errstr);
		for (size_t i = 0; i < ntopics; i++)
			free(topics[i]);
		free(topics);
		return;
	}
	if (n == 3 && !strcmp(sub, "restart"))
		return h_restart(r, name, rq, rs);
	if (n == 3 && (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "stop"))) {
		ks_target_t t = sub[0] == 'p'   ? KS_TARGET_PAUSED
		                : sub[0] == 'r' ? KS_TARGET_STARTED
		                                : KS_TARGET_STOPPED;
		hr = ks_herder_set_target(r->h, name, t, errstr, sizeof(errstr));
		return from_herder(rs, hr, t == KS_TARGET_STOPPED ? 204 : 202, NULL, errstr);
	}
	if (n == 3) /* offsets */
		return h_offsets(r, name, mb, rq, rs);
	if (n == 4) { /* topics/reset */
		hr = ks_herder_topics_reset(r->h, name, errstr, sizeof(errstr));
		return from_herder(rs, hr, 202, NULL, errstr);
	}
	/* tasks/{t}/status|restart */
	if ((task = task_id_of(seg[3])) < 0)
		return set_error(rs, 404, "HTTP 404 Not Found");
	if (!strcmp(seg[4], "status")) {
		hr = ks_herder_task_status(r->h, name, task, &ts, errstr, sizeof(errstr));
		from_herder(rs, hr, 200,
		            hr == KS_OK ? ks_view_task_state(&ts, ks_herder_worker(r->h)->worker_id)
		                        : NULL,
		            errstr);
		free(ts.trace);
		return;
	}
	hr = ks_herder_restart_task(r->h, name, task, errstr, sizeof(errstr));
	from_herder(rs, hr, 204, NULL, errstr);
}

static void dispatch(ks_rest_t *r, const char *method, char **seg, int n, req_t *rq, resp_t *rs)
{
	int mb = method_bit(method), allowed = allowed_methods(seg, n);
	const ks_config_t *wcfg = ks_herder_worker(r->h)->cfg;
	const char *const *items;

	if (allowed && n >= 1 && !strcmp(seg[0], "admin") &&
	    ks_config_is_set(wcfg, "admin.listeners") &&
	    !ks_config_list(wcfg, "admin.listeners", &items))
		allowed =
		        0; /* an empty admin.listeners turns the admin endpoints off, as Connect */
	if (!allowed) {
		set_error(rs, 404, "HTTP 404 Not Found");
		return;
	}
	if (!(allowed & mb)) {
		set_error(rs, 405, "HTTP 405 Method Not Allowed");
		return;
	}
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
	if (!strcmp(seg[0], "admin")) {
		if (n == 2) {
			struct logger_acc a = {json_object()};
			ks_log_foreach(logger_cb, &a);
			rs->status = 200;
			rs->json = a.obj;
			return;
		}
		return h_logger(method, seg[2], rq, rs);
	}
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

/* Is the request's Content-Type acceptable for a JSON API? */
static int content_type_ok(const char *ct)
{
	if (!ct || !*ct)
		return 1;
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, "application/json", 16) || strstr(ct, "+json") ||
	       !strncasecmp(ct, "*/*", 3);
}

/* Splits path into percent-decoded segments (path is modified). 0 ok, else
 * the error status set in rs. */
static int split_path(char *path, char **seg, int *n, resp_t *rs)
{
	char *save = NULL;

	*n = 0;
	for (char *tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (*n == MAX_SEGS) {
			set_error(rs, 404, "HTTP 404 Not Found");
			return -1;
		}
		if (pct_decode(tok)) {
			set_error(rs, 400, "HTTP 400 Bad Request: %00 in the request path");
			return -1;
		}
		if (!ks_view_utf8_valid(tok)) {
			set_error(rs, 400, "HTTP 400 Bad Request: the request path is not UTF-8");
			return -1;
		}
		seg[(*n)++] = tok;
	}
	return 0;
}

void ks_rest_handle(ks_rest_t *r, const ks_rest_req_t *in, ks_rest_resp_t *out)
{
	resp_t rs = {0};
	req_t rq = {in, NULL};
	const char *method = in->method ? in->method : "";
	char *path = NULL, *seg[MAX_SEGS + 1], logbuf[320];
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (r->auth && !ks_rest_auth_check(r->auth, in->authorization)) {
		/* Connect's message; no hint whether the user or the password was wrong */
		set_error(&rs, 401, "User cannot access the resource.");
		out->www_authenticate = REALM;
		goto done;
	}
	if (in->body_too_big) {
		set_error(&rs, 413, "Request body is too large");
		goto done;
	}
	if (!method_bit(method)) {
		set_error(&rs, 405, "HTTP 405 Method Not Allowed");
		goto done;
	}
	if (in->body_len && !content_type_ok(in->content_type)) {
		set_error(&rs, 415, "HTTP 415 Unsupported Media Type");
		goto done;
	}
	path = ks_strdup(in->uri ? in->uri : "/");
	if (!path) {
		set_error(&rs, 500, "out of memory");
		goto done;
	}
	{
		char *q = strchr(path, '?');
		if (q) {
			*q = '\0';
			rq.query = in->uri + (q - path) + 1;
		}
	}
	if (!split_path(path, seg, &n, &rs))
		dispatch(r, method, seg, n, &rq, &rs);
	free(path);
done:
	if (!rs.status)
		set_error(&rs, 500, "internal error");
	/* a request line must not forge log lines */
	ks_log_escape(in->uri ? in->uri : "", in->uri ? strlen(in->uri) : 0, logbuf,
	              sizeof(logbuf));
	KS_INFO(LOGCTX, "%s %s -> %d", method_bit(method) ? method : "(other)", logbuf, rs.status);
	out->status = rs.status;
	out->location = rs.location;
	if (rs.text) {
		out->body = rs.text;
		out->content_type = rs.ctype ? rs.ctype : "text/plain; charset=utf-8";
	} else if (rs.json) {
		out->body = json_dumps(rs.json, JSON_COMPACT | JSON_ENCODE_ANY);
		out->content_type = "application/json";
		if (!out->body) { /* out of memory: still a JSON error */
			out->status = 500;
			out->body = ks_strdup("{\"error_code\":500,\"message\":\"out of memory\"}");
		}
	}
	json_decref(rs.json);
}

void ks_rest_resp_clear(ks_rest_resp_t *resp)
{
	free(resp->body);
	free(resp->location);
	memset(resp, 0, sizeof(*resp));
}

ks_rest_t *ks_rest_new(ks_herder_t *h, char *errstr, size_t errlen)
{
	ks_rest_t *r = calloc(1, sizeof(*r));

	if (!r) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	r->h = h;
	pthread_mutex_init(&r->qlock, NULL);
	pthread_cond_init(&r->qcond, NULL);
	if (ks_rest_auth_load(ks_herder_worker(h)->cfg, getenv("KAFKA_OPTS"), &r->auth, errstr,
	                      errlen)) {
		pthread_cond_destroy(&r->qcond);
		pthread_mutex_destroy(&r->qlock);
		free(r);
		return NULL;
	}
	return r;
}
