/*
 * rest.h — the Kafka Connect REST API of a ksink worker, served with
 * libmicrohttpd (event loop threads for the connections, handler threads
 * for the changes, so neither a slow client nor a slow change such as a
 * connector stop blocks a status read). Routes and JSON shapes follow
 * Connect 3.9 (reference/connect_rest.yaml); every error is
 * {"error_code":N,"message":"..."}.
 *
 * The REST layer sees the worker only through worker/herder.h. Files:
 * routes.c (the routes), views.c (JSON), server.c (libmicrohttpd), auth.c,
 * tls.c; their shared inside is rest_int.h.
 *
 * Two layers: ks_rest_handle() turns one request (method, URI, a few
 * headers, body) into a response (status, headers, JSON) and knows nothing
 * of HTTP connections — the fuzzer and tests drive it directly; the server
 * (ks_rest_start) feeds it from libmicrohttpd on every listener of the
 * worker config, with TLS (rest/tls.h) on https:// listeners and basic
 * authentication (rest/auth.h) when configured.
 */
#ifndef KS_REST_H
#define KS_REST_H

#include "../lib/ks.h"
#include "../worker/herder.h"

typedef struct ks_rest ks_rest_t;

/* Largest request body accepted (larger: 413). */
#define KS_REST_MAX_BODY (1u << 20)

/* One request, independent of the HTTP library. Everything is borrowed. */
typedef struct ks_rest_req {
	const char *method;        /* "GET", "POST", ... (HEAD is answered as GET) */
	const char *uri;           /* as sent: percent-encoded path [?query] */
	const char *content_type;  /* Content-Type header or NULL */
	const char *authorization; /* Authorization header or NULL */
	const char *body;          /* NULL when none */
	size_t body_len;
	int body_too_big; /* the client sent more than KS_REST_MAX_BODY bytes */
} ks_rest_req_t;

/* A response; ks_rest_resp_clear() frees what it owns. */
typedef struct ks_rest_resp {
	int status;
	char *body;                   /* NUL-terminated; NULL = empty body */
	const char *content_type;     /* static; NULL when there is no body */
	char *location;               /* Location header (201) or NULL */
	const char *www_authenticate; /* WWW-Authenticate header (401) or NULL; static */
} ks_rest_resp_t;

/* The REST layer over a herder without any listener (tests, fuzzer): reads
 * the basic auth settings of the herder's worker config (KAFKA_OPTS from
 * the environment). NULL + errstr on a bad auth setup. */
ks_rest_t *ks_rest_new(ks_herder_t *h, char *errstr, size_t errlen) KS_WUR;

/* Answers one request. Thread-safe (the herder is). resp is filled in
 * completely (status always set); the caller clears it. */
void ks_rest_handle(ks_rest_t *r, const ks_rest_req_t *req, ks_rest_resp_t *resp);
void ks_rest_resp_clear(ks_rest_resp_t *resp);

/* ks_rest_new plus one libmicrohttpd daemon per entry of the worker's
 * `listeners` (https:// ones with the TLS key store loaded). The herder
 * must outlive the server. NULL + errstr when a port cannot be bound or the
 * TLS / auth setup is wrong. */
ks_rest_t *ks_rest_start(ks_herder_t *h, char *errstr, size_t errlen) KS_WUR;
/* Stops accepting new connections (in-flight requests finish). */
void ks_rest_quiesce(ks_rest_t *r);
/* Stops the server (if any) and frees it. Accepts NULL. */
void ks_rest_stop(ks_rest_t *r);

/* The HTTP status for a herder result (KS_OK -> ok_status). */
int ks_rest_status_of(ks_err_t err, int ok_status);

#endif
