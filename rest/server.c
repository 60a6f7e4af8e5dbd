/*
 * server.c — the HTTP server of the REST API (see rest.h): one
 * libmicrohttpd daemon per listener of the worker config.
 *
 * A few event loop threads (epoll) carry every connection, so slow clients
 * cost memory rather than threads, with a per-address connection limit and
 * an idle timeout. The server refuses ambiguous message framing (request
 * smuggling) with 400 and closes the connection, collects the raw URI (URI
 * log callback, before libmicrohttpd parses it) and the body (refusing a
 * Content-Length over the limit before reading it), checks the TLS client
 * certificate when ssl.client.auth asks for one, and sends what
 * ks_rest_handle() (routes.c) answered. Reads of the herder's state are
 * answered on the loop; a request that may block (a change, validate,
 * offsets) runs on a handler thread while its connection is suspended, so
 * it never stalls the other connections.
 */
#include "rest_int.h"

#include "../lib/buf.h"
#include "../lib/log.h"

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

#define LOGCTX "rest"

/* open connections per listener, at most (fewer when RLIMIT_NOFILE is low) */
#define KS_REST_MAX_CONNECTIONS 4096

/* One listening daemon. */
typedef struct listener {
	ks_rest_t *r;
	struct MHD_Daemon *d;
	int https;
	char url[300]; /* for the log */
} listener_t;

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
	json_t *j;
	char msg[256], logbuf[320];
	enum MHD_Result ret;

	ks_log_escape(st->uri, strlen(st->uri), logbuf, sizeof(logbuf));
	KS_WARN(LOGCTX, "%s: %s %s -> 400: %s; connection closed", l->url,
	        ks_rest_method(method) ? method : "(other)", logbuf, why);
	snprintf(msg, sizeof(msg), "HTTP 400 Bad Request: %s", why);
	if ((j = ks_view_error(400, msg))) {
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
