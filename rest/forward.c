/*
 * forward.c — distributed mode: a change asked of a follower is sent on to
 * the leader, as Connect's HerderRequestHandler does. The first hop adds
 * `forward=true` to the query; a worker that receives it and is not the
 * leader either (the leadership moved meanwhile) sends it one hop further
 * with `forward=false`, and a `forward=false` request that still finds no
 * leader answers 409. The leader's answer (status, body, Location) is
 * passed back as it is. libcurl, one easy handle per request (changes are
 * rare); runs on a REST handler thread.
 */
#include "rest_int.h"

#include "../lib/buf.h"
#include "../lib/log.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGCTX "rest"

/* Connect's answer while the cluster has no leader to take a change */
#define NO_LEADER                                                                                  \
	"Cannot complete request momentarily due to no known leader URL, likely because a "        \
	"rebalance was underway."
#define FORWARD_TIMEOUT_S 90 /* Connect's REST request timeout */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct fwd_out {
	ks_buf_t body;
	char *location;
	int json;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fwd_out *o = arg;
	ks_buf_append(&o->body, p, size * n);
	return ks_buf_failed(&o->body) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct fwd_out *o = arg;
	size_t len = size * n;

	if (len > 9 && !strncasecmp(p, "Location:", 9)) {
		const char *v = p + 9;
		size_t vl = len - 9;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(o->location);
		o->location = ks_strndup(v, vl);
	} else if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
		o->json = strstr(p, "json") != NULL;
	}
	return len;
}

/* url: base + the request's path + its query without `forward`, then
 * forward=true|false. New string; NULL when out of memory. */
static char *target_url(const char *base, const char *uri, int first_hop)
{
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);
	ks_buf_t b = KS_BUF_INIT;

	ks_buf_puts(&b, base);
	ks_buf_append(&b, uri, plen);
	ks_buf_putc(&b, '?');
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len && strncmp(p, "forward=", 8) && (len != 7 || strncmp(p, "forward", 7))) {
			ks_buf_append(&b, p, len);
			ks_buf_putc(&b, '&');
		}
		p = amp ? amp + 1 : NULL;
	}
	ks_buf_puts(&b, first_hop ? "forward=true" : "forward=false");
	if (ks_buf_failed(&b)) {
		ks_buf_free(&b);
		return NULL;
	}
	return ks_buf_steal(&b);
}

/* Sends the request to the leader at base; the answer into rs. */
static void forward(const char *base, req_t *rq, int first_hop, resp_t *rs)
{
	const ks_rest_req_t *in = rq->in;
	struct fwd_out o = {KS_BUF_INIT, NULL, 0};
	struct curl_slist *hdrs = NULL;
	char *url = target_url(base, in->uri ? in->uri : "/", first_hop), *auth = NULL, *ct = NULL;
	CURL *c;
	CURLcode cr;
	long code = 0;

	pthread_once(&curl_once, curl_init_once);
	c = curl_easy_init();
	if (!url || !c) {
		free(url);
		if (c)
			curl_easy_cleanup(c);
		return ks_rest_error(rs, 500, "out of memory");
	}
	if (in->content_type && asprintf(&ct, "Content-Type: %s", in->content_type) >= 0)
		hdrs = curl_slist_append(hdrs, ct);
	if (in->authorization && asprintf(&auth, "Authorization: %s", in->authorization) >= 0)
		hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, in->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FORWARD_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &o);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &o);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (in->body && in->body_len) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, in->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)in->body_len);
	}
	cr = curl_easy_perform(c);
	if (cr == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cr != CURLE_OK || code < 100) {
		/* the leader we knew is gone: the cluster is between leaders */
		KS_WARN(LOGCTX, "forwarding %s to the leader %s: %s", in->method, base,
		        cr != CURLE_OK ? curl_easy_strerror(cr) : "no answer");
		ks_rest_error(rs, 409, NO_LEADER);
	} else {
		rs->status = (int)code;
		if (o.body.len) { /* else no body, as the leader answered */
			rs->text = ks_strndup(o.body.data, o.body.len);
			rs->ctype = o.json ? "application/json" : "text/plain; charset=utf-8";
		}
		rs->location = o.location;
		o.location = NULL;
		KS_DEBUG(LOGCTX, "forwarded %s to the leader %s: %ld", in->method, base, code);
	}
	ks_buf_free(&o.body);
	free(o.location);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	free(auth);
	free(ct);
}

int ks_rest_forward_change(ks_rest_t *r, req_t *rq, resp_t *rs)
{
	char url[600], fw[16];
	const char *hop = ks_rest_query(rq, "forward", fw, sizeof(fw));
	int lr = ks_herder_leader(r->h, url, sizeof(url));

	if (lr == 1)
		return 0; /* this worker makes the change */
	if (lr < 0 && ks_herder_started(r->h) && !ks_herder_healthy(r->h, url, sizeof(url)))
		ks_rest_error(rs, 500, url); /* no leader because Kafka cannot be reached */
	else if (lr < 0 || (hop && !strcasecmp(hop, "false")))
		ks_rest_error(rs, 409, NO_LEADER);
	else
		forward(url, rq, !hop, rs);
	return 1;
}
