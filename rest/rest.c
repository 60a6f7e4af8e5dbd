/*
 * rest.c — the Connect REST routes and the HTTP server (see rest.h).
 *
 * ks_rest_handle() is the whole API as a function: it checks basic auth,
 * splits the path into percent-decoded segments (so a connector named "a/b"
 * is addressed as /connectors/a%2Fb; %00 and invalid UTF-8 are refused with
 * 400), dispatches on the segments and the method, and turns the herder's
 * result into a status code and a JSON body. Status codes follow Connect:
 * 201 + Location on create, 202 for pause/resume/topic reset/restart with a
 * body, 204 for delete/stop/plain restart, 401 without valid credentials,
 * 404 unknown path, 405 wrong method, 413 body over KS_REST_MAX_BODY, 415
 * non-JSON body type, 500 for a body that is not JSON (Connect's Jackson
 * error becomes a 500 too; this includes nesting deeper than jansson's
 * 2048 levels and invalid UTF-8).
 *
 * The server part runs one libmicrohttpd daemon per listener: a few event
 * loop threads (epoll) carry every connection, so slow clients cost memory
 * rather than threads, with a per-address connection limit and an idle
 * timeout. It refuses ambiguous message framing (request smuggling) with
 * 400 and closes the connection, collects the raw URI (URI log callback,
 * before libmicrohttpd parses it) and the body (refusing a Content-Length
 * over the limit before reading it), checks the TLS client certificate when
 * ssl.client.auth asks for one, and sends what ks_rest_handle() answered.
 * Reads of the herder's state are answered on the loop; a request that may
 * block (a change, validate, offsets) runs on a handler thread while its
 * connection is suspended, so it never stalls the other connections.
 */
#include "rest.h"

#include "../lib/buf.h"
#include "../lib/log.h"
#include "../lib/utf8.h"
#include "../schemas/converter.h"
#include "auth.h"
#include "tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOGCTX   "rest"
#define MAX_SEGS 8
#define REALM    "Basic realm=\"ksink\", charset=\"UTF-8\""

/* event loop threads per listener (epoll; a GET never waits for a slow
 * client) and handler threads for the requests that may block */
#define KS_REST_LOOPS    4
#define KS_REST_HANDLERS 4
/* open connections per listener, at most (fewer when RLIMIT_NOFILE is low) */
#define KS_REST_MAX_CONNECTIONS 4096

/* One listening daemon. */
typedef struct listener {
	ks_rest_t *r;
	struct MHD_Daemon *d;
	int https;
	char url[300]; /* for the log */
} listener_t;

struct conn_st;

struct ks_rest {
	ks_herder_t *h;
	ks_rest_auth_t *auth; /* NULL: no authentication */
	ks_rest_tls_t *tls;   /* NULL: no https:// listener */
	listener_t *ls;
	size_t nls;
	/* handler threads: requests that may block (may_block()) run there
	 * while their connection is suspended, off the event loops */
	pthread_t handlers[KS_REST_HANDLERS];
	int nhandlers;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct conn_st *qhead, *qtail; /* FIFO of suspended requests */
	int stopping;                  /* no more queueing: answer in place */
};

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

int ks_rest_status_of(ks_hres_t r, int ok_status)
{
	switch (r) {
	case KS_H_OK:
		return ok_status;
	case KS_H_CREATED:
		return 201;
	case KS_H_BAD:
		return 400;
	case KS_H_NOTFOUND:
		return 404;
	case KS_H_EXISTS:
		return 409;
	case KS_H_FORBIDDEN:
		return 403;
	case KS_H_INTERNAL:
		return 500;
	}
	return 500;
}

/* 1 when s is valid UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF, as jansson requires). */
static int utf8_valid(const char *s)
{
	size_t n = strlen(s);
	return ks_utf8_valid_prefix(s, n) == n;
}

/* A JSON string of s; bytes that are not UTF-8 (messages can quote a
 * client's input) become U+FFFD. */
static json_t *jstr(const char *s)
{
	ks_buf_t b = KS_BUF_INIT;
	json_t *j;
	char one[5];

	if (utf8_valid(s))
		return json_string(s);
	for (const char *p = s; *p;) {
		size_t n = 1;
		while (n < 4 && p[n] && ((unsigned char)p[n] & 0xC0) == 0x80)
			n++;
		memcpy(one, p, n);
		one[n] = '\0';
		if (((unsigned char)*p < 0x80 || n > 1) && utf8_valid(one)) {
			ks_buf_append(&b, p, n);
			p += n;
		} else {
			ks_buf_puts(&b, "\xEF\xBF\xBD");
			p++;
		}
	}
	j = json_string(b.data ? b.data : "");
	ks_buf_free(&b);
	return j;
}

static void set_error(resp_t *rs, int status, const char *msg)
{
	json_decref(rs->json);
	rs->status = status;
	rs->json = json_object();
	json_object_set_new(rs->json, "error_code", json_integer(status));
	json_object_set_new(rs->json, "message", jstr(msg ? msg : ""));
}

/* Sets the response from a herder result: body on success, error else. */
static void from_herder(resp_t *rs, ks_hres_t r, int ok_status, json_t *body, const char *errstr)
{
	if (r == KS_H_OK || r == KS_H_CREATED) {
		rs->status = ks_rest_status_of(r, ok_status);
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
	json_t *body = parse_body(rq, rs, 1), *jname, *jcfg, *jinit, *info = NULL;
	char errstr[KS_ERRSTR_SIZE], name[1024];
	ks_target_t initial = KS_TARGET_STARTED;
	ks_props_t *props;
	ks_hres_t hr;

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
	hr = ks_herder_put(r->h, name, props, 0, initial, &info, errstr, sizeof(errstr));
	ks_props_destroy(props);
	from_herder(rs, hr, 201, info, errstr);
	if (rs->status == 201 || rs->status == 200) {
		char *enc = pct_encode(name);
		rs->status = 201;
		if (enc && asprintf(&rs->location, "/connectors/%s", enc) < 0)
			rs->location = NULL;
		free(enc);
	}
out:
	json_decref(body);
}

static void h_put_config(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	json_t *body = parse_body(rq, rs, 1), *info = NULL;
	char errstr[KS_ERRSTR_SIZE];
	ks_props_t *props;
	ks_hres_t hr;

	if (!body)
		return;
	if (blank(name)) {
		set_error(rs, 400, "Connector name must not be empty");
	} else if ((props = config_of(body, rs))) {
		hr = ks_herder_put(r->h, name, props, 1, KS_TARGET_STARTED, &info, errstr,
		                   sizeof(errstr));
		ks_props_destroy(props);
		from_herder(rs, hr, 200, info, errstr);
		if (hr == KS_H_CREATED) {
			char *enc = pct_encode(name);
			if (enc && asprintf(&rs->location, "/connectors/%s", enc) < 0)
				rs->location = NULL;
			free(enc);
		}
	}
	json_decref(body);
}

static void h_patch_config(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	json_t *body = parse_body(rq, rs, 1), *info = NULL;
	char errstr[KS_ERRSTR_SIZE];
	ks_hres_t hr;

	if (!body)
		return;
	if (!json_is_object(body)) {
		set_error(rs, 400, "Connector configuration must be a JSON object");
	} else {
		hr = ks_herder_patch(r->h, name, body, &info, errstr, sizeof(errstr));
		from_herder(rs, hr, 200, info, errstr);
	}
	json_decref(body);
}

static void h_restart(ks_rest_t *r, const char *name, req_t *rq, resp_t *rs)
{
	int include_tasks = query_bool(rq, "includeTasks", 0);
	int only_failed = query_bool(rq, "onlyFailed", 0);
	char errstr[KS_ERRSTR_SIZE];
	json_t *body = NULL;
	ks_hres_t hr = ks_herder_restart(r->h, name, include_tasks, only_failed, &body, errstr,
	                                 sizeof(errstr));
	if (hr == KS_H_OK && !include_tasks && !only_failed) {
		rs->status = 204;
		json_decref(body);
		return;
	}
	from_herder(rs, hr, 202, body, errstr);
}

static void h_plugins(req_t *rq, resp_t *rs)
{
	static const char *const converters[] = {
	        "io.confluent.connect.avro.AvroConverter",
	        "org.apache.kafka.connect.converters.ByteArrayConverter",
	        "org.apache.kafka.connect.json.JsonConverter",
	        "org.apache.kafka.connect.storage.StringConverter",
	};
	json_t *arr = json_array();
	for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++) {
		json_t *o = json_object();
		json_object_set_new(o, "class", json_string((*p)->class_name));
		json_object_set_new(o, "type", json_string((*p)->type ? (*p)->type : "sink"));
		if ((*p)->version && strcmp((*p)->version, "undefined"))
			json_object_set_new(o, "version", json_string((*p)->version));
		json_array_append_new(arr, o);
	}
	if (!query_bool(rq, "connectorsOnly", 1)) {
		for (size_t i = 0; i < KS_ARRAY_SIZE(converters); i++) {
			json_t *o;
			if (!ks_converter_known(converters[i]))
				continue;
			o = json_object();
			json_object_set_new(o, "class", json_string(converters[i]));
			json_object_set_new(o, "type", json_string("converter"));
			json_object_set_new(o, "version", json_string(KSINK_CONNECT_VERSION));
			json_array_append_new(arr, o);
		}
	}
	rs->status = 200;
	rs->json = arr;
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
		ks_hres_t hr =
		        ks_herder_validate(r->h, plugin, props, &out, errstr, sizeof(errstr));
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

static void dispatch(ks_rest_t *r, const char *method, char **seg, int n, req_t *rq, resp_t *rs)
{
	int mb = method_bit(method), allowed = allowed_methods(seg, n);
	char errstr[KS_ERRSTR_SIZE];
	json_t *out = NULL;
	ks_hres_t hr;

	if (allowed && n >= 1 && !strcmp(seg[0], "admin")) {
		/* an empty admin.listeners turns the admin endpoints off, as Connect */
		const char *al = ks_props_get(ks_herder_worker(r->h)->props, "admin.listeners");
		if (al && !*al)
			allowed = 0;
	}
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
	/* /connectors... */
	if (n == 1) {
		struct expand e = {0, 0};
		if (mb == M_POST)
			return h_create(r, rq, rs);
		expand_of(rq, &e);
		rs->status = 200;
		rs->json = (e.status || e.info)
		                   ? ks_herder_connector_names_expanded(r->h, e.status, e.info)
		                   : ks_herder_list(r->h);
		return;
	}
	const char *name = seg[1];
	if (n == 2) {
		if (mb == M_DELETE) {
			hr = ks_herder_delete(r->h, name, errstr, sizeof(errstr));
			return from_herder(rs, hr, 204, NULL, errstr);
		}
		hr = ks_herder_info(r->h, name, &out, errstr, sizeof(errstr));
		return from_herder(rs, hr, 200, out, errstr);
	}
	const char *sub = seg[2];
	if (n == 3) {
		if (!strcmp(sub, "config")) {
			if (mb == M_PUT)
				return h_put_config(r, name, rq, rs);
			if (mb == M_PATCH)
				return h_patch_config(r, name, rq, rs);
			hr = ks_herder_config(r->h, name, &out, errstr, sizeof(errstr));
			return from_herder(rs, hr, 200, out, errstr);
		}
		if (!strcmp(sub, "status")) {
			hr = ks_herder_status(r->h, name, &out, errstr, sizeof(errstr));
			return from_herder(rs, hr, 200, out, errstr);
		}
		if (!strcmp(sub, "tasks") || !strcmp(sub, "tasks-config")) {
			hr = ks_herder_tasks(r->h, name, sub[5] == '-', &out, errstr,
			                     sizeof(errstr));
			return from_herder(rs, hr, 200, out, errstr);
		}
		if (!strcmp(sub, "topics")) {
			hr = ks_herder_topics(r->h, name, 0, &out, errstr, sizeof(errstr));
			return from_herder(rs, hr, 200, out, errstr);
		}
		if (!strcmp(sub, "restart"))
			return h_restart(r, name, rq, rs);
		if (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "stop")) {
			ks_target_t t = sub[0] == 'p'   ? KS_TARGET_PAUSED
			                : sub[0] == 'r' ? KS_TARGET_STARTED
			                                : KS_TARGET_STOPPED;
			hr = ks_herder_set_target(r->h, name, t, errstr, sizeof(errstr));
			return from_herder(rs, hr, t == KS_TARGET_STOPPED ? 204 : 202, NULL,
			                   errstr);
		}
		/* offsets */
		if (mb == M_PATCH) {
			json_t *body = parse_body(rq, rs, 1);
			if (!body)
				return;
			if (!json_is_object(body)) {
				json_decref(body);
				return set_error(rs, 400, "Request body must be a JSON object");
			}
			hr = ks_herder_offsets(r->h, name, 1, body, &out, errstr, sizeof(errstr));
			json_decref(body);
		} else {
			hr = ks_herder_offsets(r->h, name, mb == M_DELETE ? 2 : 0, NULL, &out,
			                       errstr, sizeof(errstr));
		}
		return from_herder(rs, hr, 200, out, errstr);
	}
	if (n == 4) { /* topics/reset */
		hr = ks_herder_topics(r->h, name, 1, NULL, errstr, sizeof(errstr));
		return from_herder(rs, hr, 202, NULL, errstr);
	}
	/* tasks/{t}/status|restart */
	int task = task_id_of(seg[3]);
	if (task < 0) {
		set_error(rs, 404, "HTTP 404 Not Found");
		return;
	}
	if (!strcmp(seg[4], "status")) {
		hr = ks_herder_task_status(r->h, name, task, &out, errstr, sizeof(errstr));
		return from_herder(rs, hr, 200, out, errstr);
	}
	hr = ks_herder_restart_task(r->h, name, task, errstr, sizeof(errstr));
	from_herder(rs, hr, 204, NULL, errstr);
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
		if (!utf8_valid(tok)) {
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
	if (ks_rest_auth_load(ks_herder_worker(h)->props, getenv("KAFKA_OPTS"), &r->auth, errstr,
	                      errlen)) {
		pthread_cond_destroy(&r->qcond);
		pthread_mutex_destroy(&r->qlock);
		free(r);
		return NULL;
	}
	return r;
}

/* ---------------- the HTTP server ---------------- */

/* Per-request state: the raw URI and the body as it arrives; while the
 * request waits for or runs on a handler thread, the request and response
 * too (the connection is suspended: libmicrohttpd does not touch it). */
typedef struct conn_st {
	char *uri;
	ks_buf_t body;
	int too_big;
	int started;
	/* handler thread hand-off */
	struct conn_st *next; /* in the queue */
	listener_t *l;
	struct MHD_Connection *conn;
	ks_rest_req_t in; /* strings borrowed from the connection and from this */
	ks_rest_resp_t out;
	int head; /* HEAD: send no body */
	int done; /* out is set: send it when libmicrohttpd calls again */
} conn_st_t;

/* Called with the request line's URI before libmicrohttpd parses it: its
 * return value becomes the request's con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	conn_st_t *st = calloc(1, sizeof(*st));
	(void)cls;
	(void)c;
	if (st && !(st->uri = ks_strdup(uri))) {
		free(st);
		st = NULL;
	}
	return st;
}

/* Queues rs on conn (head: without its body); close: "Connection: close",
 * libmicrohttpd closes the connection once the response is sent. */
static enum MHD_Result send_resp(struct MHD_Connection *conn, ks_rest_resp_t *rs, int head,
                                 int close)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	char *text = rs->body;

	if (head && text) {
		free(text);
		text = NULL;
	}
	rs->body = NULL;
	mr = text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
	          : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!mr) {
		free(text);
		return MHD_NO;
	}
	if (rs->content_type)
		MHD_add_response_header(mr, "Content-Type", rs->content_type);
	if (rs->location)
		MHD_add_response_header(mr, "Location", rs->location);
	if (rs->www_authenticate)
		MHD_add_response_header(mr, "WWW-Authenticate", rs->www_authenticate);
	if (close && MHD_add_response_header(mr, "Connection", "close") != MHD_YES) {
		MHD_destroy_response(mr);
		return MHD_NO; /* not sure to close: drop the connection instead */
	}
	ret = MHD_queue_response(conn, (unsigned)rs->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* ssl.client.auth: does the connection carry a client certificate that
 * verifies against the trust store (or none, when only requested)? */
static int client_cert_ok(const listener_t *l, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	unsigned status = 0, n = 0;

	if (!l->https || !l->r->tls || l->r->tls->client_auth == KS_TLS_AUTH_NONE)
		return 1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return 0;
	s = (gnutls_session_t)ci->tls_session;
	if (!gnutls_certificate_get_peers(s, &n) || !n)
		return l->r->tls->client_auth != KS_TLS_AUTH_REQUIRED;
	return gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
}

/* ---- message framing (RFC 9112 section 6) ----
 *
 * libmicrohttpd 0.9.75 lets ambiguous framing through: with both
 * Content-Length and Transfer-Encoding it reads a chunked body and parses
 * what follows as the next request (CL.TE smuggling behind a proxy that
 * goes by Content-Length); of two Content-Length headers it takes the
 * first; a Transfer-Encoding other than chunked makes it read until the
 * client closes; "Content-Length : 5" (space before the colon) and obs-fold
 * continuation lines become headers of other names, so it ignores them
 * where a proxy may not; control characters pass in names and values.
 * frame_check() refuses all of that with 400 before anything else, and the
 * connection is closed after the answer, so no byte after the headers is
 * ever read as a request. (Content-Length values that are not a number,
 * such as "+5" or "5, 6", libmicrohttpd refuses itself.) */

typedef struct frame {
	int ncl, nte;
	const char *cl;  /* the Content-Length value seen last */
	const char *bad; /* the first problem, NULL when none */
} frame_t;

/* RFC 9110 tchar */
static int is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* 1 when s (len bytes, OWS trimmed) equals word, case-insensitively. */
static int ows_eq(const char *s, size_t len, const char *word)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len == strlen(word) && !strncasecmp(s, word, len);
}

static enum MHD_Result frame_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t klen, const char *value, size_t vlen)
{
	frame_t *f = cls;

	(void)kind;
	if (!value)
		value = "", vlen = 0;
	if (!klen)
		f->bad = "empty header field name";
	for (size_t i = 0; i < klen && !f->bad; i++)
		if (!is_tchar((unsigned char)key[i]))
			f->bad = "malformed header field name (space before the colon, line "
			         "folding or a control character)";
	for (size_t i = 0; i < vlen && !f->bad; i++)
		if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
			f->bad = "control character in a header field value";
	if (f->bad)
		return MHD_NO;
	if (klen == 14 && !strncasecmp(key, "Content-Length", 14)) {
		if (f->ncl++ && strcmp(f->cl, value))
			f->bad = "conflicting Content-Length headers";
		f->cl = value;
	} else if (klen == 17 && !strncasecmp(key, "Transfer-Encoding", 17)) {
		if (f->nte++)
			f->bad = "more than one Transfer-Encoding header";
		else if (!ows_eq(value, vlen, "chunked"))
			f->bad = "Transfer-Encoding other than chunked";
	} else if ((klen > 14 && !strncasecmp(key, "Content-Length", 14)) ||
	           (klen > 17 && !strncasecmp(key, "Transfer-Encoding", 17))) {
		/* "Transfer-Encoding:\r\n chunked" reaches us as one name */
		f->bad = "malformed Content-Length or Transfer-Encoding header (line folding)";
	}
	return f->bad ? MHD_NO : MHD_YES;
}

/* NULL when the request's framing is unambiguous, else why not. */
static const char *frame_check(struct MHD_Connection *conn, const char *version)
{
	frame_t f = {0};

	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, frame_header, &f);
	if (f.bad)
		return f.bad;
	if (f.ncl && f.nte)
		return "both Content-Length and Transfer-Encoding";
	if (f.nte && version && strcmp(version, "HTTP/1.1"))
		return "Transfer-Encoding in an HTTP/1.0 request";
	return NULL;
}

/* Answers 400 and closes the connection: the framing is ambiguous. */
static enum MHD_Result refuse_framing(listener_t *l, struct MHD_Connection *conn, conn_st_t *st,
                                      const char *method, const char *why)
{
	ks_rest_resp_t out = {0};
	json_t *j = json_object();
	char msg[256], logbuf[320];
	enum MHD_Result ret;

	ks_log_escape(st->uri, strlen(st->uri), logbuf, sizeof(logbuf));
	KS_WARN(LOGCTX, "%s: %s %s -> 400: %s; connection closed", l->url,
	        method_bit(method) ? method : "(other)", logbuf, why);
	snprintf(msg, sizeof(msg), "HTTP 400 Bad Request: %s", why);
	if (j) {
		json_object_set_new(j, "error_code", json_integer(400));
		json_object_set_new(j, "message", json_string(msg));
		out.body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	out.status = 400;
	out.content_type = out.body ? "application/json" : NULL;
	ret = send_resp(conn, &out, !strcmp(method, "HEAD"), 1);
	ks_rest_resp_clear(&out);
	return ret;
}

/* ---- handler threads ---- */

/* The request as ks_rest_handle() takes it; strings borrowed from conn and
 * st, valid until the request completes. */
static void fill_req(struct MHD_Connection *conn, conn_st_t *st, const char *method)
{
	memset(&st->in, 0, sizeof(st->in));
	st->head = !strcmp(method, "HEAD");
	st->in.method = st->head ? "GET" : method;
	st->in.uri = st->uri;
	st->in.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	st->in.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	st->in.body = st->body.data;
	st->in.body_len = st->body.len;
	st->in.body_too_big = st->too_big;
}

/* Runs the request into st->out (on a loop or a handler thread). */
static void run_req(ks_rest_t *r, conn_st_t *st)
{
	ks_rest_handle(r, &st->in, &st->out);
	if (ks_buf_failed(&st->body)) { /* the body could not be kept */
		ks_rest_resp_clear(&st->out);
		st->out.status = 500;
		st->out.body = ks_strdup("{\"error_code\":500,\"message\":\"out of memory\"}");
		st->out.content_type = "application/json";
	}
	st->done = 1;
}

/* Requests that may block for long go to the handler threads: every change
 * (the herder stops tasks, bounded by task.shutdown.graceful.timeout.ms,
 * and validation may connect to Postgres), validate and the offsets (Kafka
 * and Postgres round trips). A read of the herder's state only takes its
 * short lock and answers on the event loop. */
static int may_block(const char *method, const char *uri)
{
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return 1;
	return strstr(uri, "offsets") != NULL;
}

/* Hands st to a handler thread and suspends its connection; -1 when the
 * server is stopping (the caller answers in place). Loop thread. */
static int enqueue(ks_rest_t *r, conn_st_t *st)
{
	pthread_mutex_lock(&r->qlock);
	if (r->stopping || !r->nhandlers) {
		pthread_mutex_unlock(&r->qlock);
		return -1;
	}
	/* suspended before a handler can see it, so resume never comes first */
	MHD_suspend_connection(st->conn);
	st->next = NULL;
	if (r->qtail)
		r->qtail->next = st;
	else
		r->qhead = st;
	r->qtail = st;
	pthread_cond_signal(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
	return 0;
}

/* A handler thread: runs queued requests and resumes their connections
 * (libmicrohttpd then calls on_request again, which sends st->out); at
 * stop, drains the queue before it returns. */
static void *handler_main(void *arg)
{
	ks_rest_t *r = arg;
	conn_st_t *st;

	pthread_mutex_lock(&r->qlock);
	for (;;) {
		while (!r->qhead && !r->stopping)
			pthread_cond_wait(&r->qcond, &r->qlock);
		if (!(st = r->qhead))
			break;
		if (!(r->qhead = st->next))
			r->qtail = NULL;
		pthread_mutex_unlock(&r->qlock);
		run_req(r, st);
		MHD_resume_connection(st->conn);
		pthread_mutex_lock(&r->qlock);
	}
	pthread_mutex_unlock(&r->qlock);
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	listener_t *l = cls;
	conn_st_t *st = *con_cls;
	enum MHD_Result ret;
	const char *why;

	(void)url;
	if (!st)
		return MHD_NO; /* out of memory in on_uri */
	if (!st->started) {
		const char *cl, *authz;
		st->started = 1;
		st->l = l;
		st->conn = conn;
		if (!client_cert_ok(l, conn)) {
			KS_WARN(LOGCTX,
			        "%s: TLS client certificate missing or not trusted: "
			        "connection closed",
			        l->url);
			return MHD_NO;
		}
		if ((why = frame_check(conn, version)))
			return refuse_framing(l, conn, st, method, why);
		/* answer before the body is sent (no 100 Continue) when the client
		 * is not authenticated or the body is over the limit */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		if (cl && strtoull(cl, NULL, 10) > KS_REST_MAX_BODY)
			st->too_big = 1;
		if (st->too_big || (l->r->auth && !ks_rest_auth_check(l->r->auth, authz))) {
			fill_req(conn, st, method);
			run_req(l->r, st);
			ret = send_resp(conn, &st->out, st->head, 0);
			ks_rest_resp_clear(&st->out);
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (st->too_big || st->body.len + *upload_size > KS_REST_MAX_BODY) {
			st->too_big = 1;
			ks_buf_free(&st->body);
		} else {
			ks_buf_append(&st->body, upload, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!st->done) {
		fill_req(conn, st, method);
		if (may_block(st->in.method, st->uri) && !enqueue(l->r, st))
			return MHD_YES; /* called again once resumed */
		run_req(l->r, st);
	}
	ret = send_resp(conn, &st->out, st->head, 0);
	ks_rest_resp_clear(&st->out);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	conn_st_t *st = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (st) {
		free(st->uri);
		ks_buf_free(&st->body);
		ks_rest_resp_clear(&st->out);
		free(st);
		*con_cls = NULL;
	}
}

/* Leaves escapes in place: the path is split first, then decoded per segment. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* libmicrohttpd's messages, at most KS_REST_LOG_PER_S a second: every
 * client that hangs up mid-request or is over a limit logs one, and a flood
 * of clients must not flood the log. */
#define KS_REST_LOG_PER_S 20
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t second;
	static int n, dropped;
	int64_t now = ks_wall_ms() / 1000;
	int skip, was_dropped = 0;
	char buf[512];

	(void)cls;
	pthread_mutex_lock(&lock);
	if (now != second) {
		second = now;
		n = 0;
		was_dropped = dropped;
		dropped = 0;
	}
	skip = ++n > KS_REST_LOG_PER_S;
	dropped += skip;
	pthread_mutex_unlock(&lock);
	if (was_dropped)
		KS_WARN(LOGCTX, "%d more libmicrohttpd messages not logged", was_dropped);
	if (skip)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	KS_WARN(LOGCTX, "%s", buf);
}

/* A TLS connection just arrived: with ssl.client.auth=required, make the
 * handshake itself demand a certificate that verifies (as Jetty does). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	listener_t *l = cls;
	const union MHD_ConnectionInfo *ci;

	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED || !l->https || !l->r->tls ||
	    l->r->tls->client_auth == KS_TLS_AUTH_NONE)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return; /* the per-request check still applies */
	/* requested: libmicrohttpd asks for a certificate; the request check
	 * rejects one that does not verify */
	if (l->r->tls->client_auth != KS_TLS_AUTH_REQUIRED)
		return;
	gnutls_certificate_server_set_request((gnutls_session_t)ci->tls_session,
	                                      GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_cert((gnutls_session_t)ci->tls_session, NULL, 0);
}

/* Open connections a listener accepts: KS_REST_MAX_CONNECTIONS, fewer when
 * the descriptor limit would not leave the rest of the worker room. */
static unsigned conn_limit(void)
{
	struct rlimit rl;
	unsigned n = KS_REST_MAX_CONNECTIONS;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)n + 256)
		n = rl.rlim_cur > 512 ? (unsigned)rl.rlim_cur - 256 : (unsigned)rl.rlim_cur / 2;
	return n < KS_REST_LOOPS * 2 ? KS_REST_LOOPS * 2 : n;
}

/* One daemon per listener: KS_REST_LOOPS event loop threads (epoll where
 * there is one) share the listening socket, so thousands of slow clients
 * cost memory, not threads, and a GET answers meanwhile; a client address
 * holds at most rest.per.ip.connection.limit connections; a connection
 * quiet for rest.connection.timeout.ms is closed (libmicrohttpd's timeout
 * counts from the last byte received or sent). */
static int listen_one(ks_rest_t *r, listener_t *l, const ks_listener_t *cfg, char *errstr,
                      size_t errlen)
{
	const ks_config_t *wcfg = ks_herder_worker(r->h)->cfg;
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	char portstr[16];
	const char *host = cfg->host && *cfg->host ? cfg->host : "0.0.0.0";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_ERROR_LOG;
	unsigned per_ip = (unsigned)ks_config_int(wcfg, "rest.per.ip.connection.limit");
	unsigned timeout_s =
	        (unsigned)((ks_config_long(wcfg, "rest.connection.timeout.ms") + 999) / 1000);
	int rc;

	l->r = r;
	l->https = cfg->https;
	snprintf(l->url, sizeof(l->url), "%s://%s:%d", cfg->https ? "https" : "http", host,
	         cfg->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%d", cfg->port);
	rc = getaddrinfo(host, portstr, &hints, &ai);
	if (rc || !ai)
		return ks_seterr(errstr, errlen, -1, "cannot resolve listener host '%s': %s", host,
		                 gai_strerror(rc));
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	freeaddrinfo(ai);
	if (cfg->https) {
		const ks_rest_tls_t *t = r->tls;
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
			return ks_seterr(errstr, errlen, -1,
			                 "%s: this libmicrohttpd has no TLS support", l->url);
		l->d = MHD_start_daemon(
		        flags | MHD_USE_TLS, (uint16_t)cfg->port, NULL, NULL, on_request, l,
		        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		        (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		        MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
		        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)KS_REST_LOOPS,
		        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_CONNECTION_LIMIT,
		        conn_limit(), MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		        MHD_OPTION_HTTPS_MEM_KEY, t->key_pem, MHD_OPTION_HTTPS_MEM_CERT,
		        t->cert_pem, MHD_OPTION_HTTPS_PRIORITIES, t->priorities,
		        t->trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, t->trust_pem,
		        MHD_OPTION_END);
	} else {
		l->d = MHD_start_daemon(
		        flags, (uint16_t)cfg->port, NULL, NULL, on_request, l,
		        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		        (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)KS_REST_LOOPS,
		        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_CONNECTION_LIMIT,
		        conn_limit(), MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_END);
	}
	if (!l->d)
		return ks_seterr(errstr, errlen, -1, "cannot listen on %s:%d (port in use?)", host,
		                 cfg->port);
	KS_INFO(LOGCTX, "REST API listening on %s%s%s", l->url,
	        cfg->https && r->tls ? ", key from " : "",
	        cfg->https && r->tls ? r->tls->source : "");
	return 0;
}

ks_rest_t *ks_rest_start(ks_herder_t *h, char *errstr, size_t errlen)
{
	const ks_worker_config_t *wc = ks_herder_worker(h);
	ks_rest_t *r = ks_rest_new(h, errstr, errlen);
	int any_https = 0;

	if (!r)
		return NULL;
	for (size_t i = 0; i < wc->nlisteners; i++)
		any_https |= wc->listeners[i].https;
	if (any_https && !(r->tls = ks_rest_tls_load(wc->props, errstr, errlen)))
		goto fail;
	r->ls = calloc(wc->nlisteners ? wc->nlisteners : 1, sizeof(*r->ls));
	if (!r->ls) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	for (int i = 0; i < KS_REST_HANDLERS; i++) {
		if (pthread_create(&r->handlers[i], NULL, handler_main, r)) {
			ks_seterr(errstr, errlen, -1, "cannot start the REST handler threads");
			goto fail;
		}
		r->nhandlers++;
	}
	for (size_t i = 0; i < wc->nlisteners; i++) {
		if (listen_one(r, &r->ls[i], &wc->listeners[i], errstr, errlen))
			goto fail;
		r->nls++;
	}
	return r;
fail:
	ks_rest_stop(r);
	return NULL;
}

void ks_rest_quiesce(ks_rest_t *r)
{
	for (size_t i = 0; r && i < r->nls; i++) {
		if (r->ls[i].d) {
			MHD_socket s = MHD_quiesce_daemon(r->ls[i].d);
			if (s != MHD_INVALID_SOCKET)
				close(s);
		}
	}
}

void ks_rest_stop(ks_rest_t *r)
{
	if (!r)
		return;
	/* the handlers finish the queue and resume every suspended connection
	 * (stopping a daemon with one suspended is undefined); requests that
	 * come meanwhile are answered on the loops */
	pthread_mutex_lock(&r->qlock);
	r->stopping = 1;
	pthread_cond_broadcast(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
	for (int i = 0; i < r->nhandlers; i++)
		pthread_join(r->handlers[i], NULL);
	for (size_t i = 0; i < r->nls; i++)
		if (r->ls[i].d)
			MHD_stop_daemon(r->ls[i].d);
	free(r->ls);
	ks_rest_tls_destroy(r->tls);
	ks_rest_auth_destroy(r->auth);
	pthread_cond_destroy(&r->qcond);
	pthread_mutex_destroy(&r->qlock);
	free(r);
}
