/*
 * request.c — the request envelope of the REST API: ks_rest_handle() turns
 * one request into a response and knows nothing of HTTP connections (the
 * fuzzer and tests drive it directly; server.c feeds it). It checks basic
 * auth, the body size and type, splits the path into percent-decoded
 * segments (so a connector named "a/b" is addressed as /connectors/a%2Fb;
 * %00 and invalid UTF-8 are refused with 400), hands them to the routes
 * (routes.c), logs the request and serializes the answer. Here too: the
 * helpers the routes parse a request with (query parameters, JSON body,
 * config object) and build an answer with. Errors: 401 without valid
 * credentials, 413 body over KS_REST_MAX_BODY, 415 non-JSON body type, 500
 * for a body that is not JSON (Connect's Jackson error becomes a 500 too;
 * this includes nesting deeper than jansson's 2048 levels and invalid
 * UTF-8).
 */
#include "rest_int.h"

#include "../lib/buf.h"
#include "../lib/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGCTX   "rest"
#define MAX_SEGS 8
#define REALM    "Basic realm=\"ksink\", charset=\"UTF-8\""

void ks_rest_error(resp_t *rs, int status, const char *msg)
{
	json_decref(rs->json);
	rs->status = status;
	rs->json = ks_view_error(status, msg);
}

/* Sets the response from a herder result: body on success, error else. */
void ks_rest_answer(resp_t *rs, ks_err_t r, int ok_status, json_t *body, const char *errstr)
{
	if (r == KS_OK) {
		rs->status = ok_status;
		rs->json = body;
	} else {
		json_decref(body);
		ks_rest_error(rs, ks_rest_status_of(r, ok_status), errstr);
	}
}

/* Percent-decodes s in place (+ stays +: path semantics). Returns -1 when
 * an escape decodes to NUL (which would cut the string short). */
static int pct_decode(char *s)
{
	char *w = s;
	int rc = 0;
	for (char *r = s; *r; r++) {
		int hi, lo;
		if (*r == '%' && (hi = ks_hexval(r[1])) >= 0 && (lo = ks_hexval(r[2])) >= 0) {
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
void ks_rest_location(resp_t *rs, const char *name)
{
	char *enc = pct_encode(name);
	if (enc && asprintf(&rs->location, "/connectors/%s", enc) < 0)
		rs->location = NULL;
	free(enc);
}

/* The next key=value pair of a raw query string, decoded ('+' is a space)
 * into k and v (truncated to their sizes); 0 at the end. */
int ks_rest_query_next(const char **q, char *k, size_t klen, char *v, size_t vlen)
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
const char *ks_rest_query(req_t *rq, const char *key, char *buf, size_t len)
{
	const char *q = rq->query;
	char k[64];

	while (ks_rest_query_next(&q, k, sizeof(k), buf, len))
		if (!strcmp(k, key))
			return buf;
	return NULL;
}

int ks_rest_query_bool(req_t *rq, const char *key, int dflt)
{
	char buf[32];
	const char *v = ks_rest_query(rq, key, buf, sizeof(buf));
	if (!v)
		return dflt;
	return ks_strcaseeq(v, "true");
}

/* Parses the request body as JSON; sets a 500 (as Connect) when it is not. */
json_t *ks_rest_body(req_t *rq, resp_t *rs, int required)
{
	json_error_t jerr;
	json_t *j;

	if (!rq->in->body_len) {
		if (required)
			ks_rest_error(rs, 400, "Request body is required");
		return NULL;
	}
	j = json_loadb(rq->in->body, rq->in->body_len, JSON_DECODE_ANY, &jerr);
	if (!j) {
		char msg[512];
		snprintf(msg, sizeof(msg), "Malformed JSON request body: %s (line %d, column %d)",
		         jerr.text, jerr.line, jerr.column);
		ks_rest_error(rs, 500, msg);
	}
	return j;
}

/* JSON object of config values -> props (400 on bad shape). */
ks_props_t *ks_rest_config_of(const json_t *obj, resp_t *rs)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_props_t *p;

	if (!json_is_object(obj)) {
		ks_rest_error(rs, 400, "Connector configuration must be a JSON object");
		return NULL;
	}
	p = ks_props_new();
	if (!p) {
		ks_rest_error(rs, 500, "out of memory");
		return NULL;
	}
	if (ks_config_from_json(obj, p, errstr, sizeof(errstr))) {
		ks_props_destroy(p);
		ks_rest_error(rs, 400, errstr);
		return NULL;
	}
	return p;
}

int ks_rest_method(const char *m)
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
			ks_rest_error(rs, 404, "HTTP 404 Not Found");
			return -1;
		}
		if (pct_decode(tok)) {
			ks_rest_error(rs, 400, "HTTP 400 Bad Request: %00 in the request path");
			return -1;
		}
		if (!ks_view_utf8_valid(tok)) {
			ks_rest_error(rs, 400,
			              "HTTP 400 Bad Request: the request path is not UTF-8");
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
		ks_rest_error(&rs, 401, "User cannot access the resource.");
		out->www_authenticate = REALM;
		goto done;
	}
	if (in->body_too_big) {
		ks_rest_error(&rs, 413, "Request body is too large");
		goto done;
	}
	if (!ks_rest_method(method)) {
		ks_rest_error(&rs, 405, "HTTP 405 Method Not Allowed");
		goto done;
	}
	if (in->body_len && !content_type_ok(in->content_type)) {
		ks_rest_error(&rs, 415, "HTTP 415 Unsupported Media Type");
		goto done;
	}
	path = ks_strdup(in->uri ? in->uri : "/");
	if (!path) {
		ks_rest_error(&rs, 500, "out of memory");
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
		ks_rest_route(r, method, seg, n, &rq, &rs);
	free(path);
done:
	if (!rs.status)
		ks_rest_error(&rs, 500, "internal error");
	/* a request line must not forge log lines */
	ks_log_escape(in->uri ? in->uri : "", in->uri ? strlen(in->uri) : 0, logbuf,
	              sizeof(logbuf));
	KS_INFO(LOGCTX, "%s %s -> %d", ks_rest_method(method) ? method : "(other)", logbuf,
	        rs.status);
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
