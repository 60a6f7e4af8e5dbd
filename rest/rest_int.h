/*
 * rest_int.h — the inside of the REST layer, shared by its files:
 *
 *   routes.c  ks_rest_handle(): auth, path, dispatch on the Connect routes,
 *             request parsing, herder calls
 *   views.c   Connect's JSON shapes of the herder's typed results, and the
 *             HTTP status of a ks_err_t
 *   server.c  libmicrohttpd: one daemon per listener, framing checks, the
 *             event loops and the handler threads for requests that block
 *   auth.c    basic authentication; tls.c the https:// key store
 *
 * The REST layer sees the worker only through worker/herder.h.
 */
#ifndef KS_REST_INT_H
#define KS_REST_INT_H

#include "auth.h"
#include "rest.h"
#include "tls.h"

#include <jansson.h>
#include <pthread.h>

/* event loop threads per listener (epoll; a GET never waits for a slow
 * client) and handler threads for the requests that may block */
#define KS_REST_LOOPS    4
#define KS_REST_HANDLERS 4

struct listener;
struct conn_st;

struct ks_rest {
	ks_herder_t *h;
	ks_rest_auth_t *auth; /* NULL: no authentication */
	ks_rest_tls_t *tls;   /* NULL: no https:// listener */
	struct listener *ls;
	size_t nls;
	/* handler threads (server.c): requests that may block run there while
	 * their connection is suspended, off the event loops */
	pthread_t handlers[KS_REST_HANDLERS];
	int nhandlers;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct conn_st *qhead, *qtail; /* FIFO of suspended requests */
	int stopping;                  /* no more queueing: answer in place */
};

/* The request as the routes see it. */
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

/* ---------------- request.c ---------------- */

enum { M_GET = 1, M_POST = 2, M_PUT = 4, M_PATCH = 8, M_DELETE = 16 };

/* The method's M_* bit (HEAD is GET); 0 for a method the API does not know. */
int ks_rest_method(const char *method);
/* Sets the response to Connect's error JSON. */
void ks_rest_error(resp_t *rs, int status, const char *msg);
/* Sets the response from a herder result: body (stolen) with ok_status on
 * KS_OK, else the error with errstr and the result's status. */
void ks_rest_answer(resp_t *rs, ks_err_t r, int ok_status, json_t *body, const char *errstr);
/* Location: /connectors/{name} (percent-encoded). */
void ks_rest_location(resp_t *rs, const char *name);
/* The next key=value pair of a raw query string, decoded ('+' is a space)
 * into k and v (truncated to their sizes); 0 at the end. */
int ks_rest_query_next(const char **q, char *k, size_t klen, char *v, size_t vlen);
/* A query parameter (the first of that name), decoded, into buf; NULL when
 * absent. */
const char *ks_rest_query(req_t *rq, const char *key, char *buf, size_t len);
int ks_rest_query_bool(req_t *rq, const char *key, int dflt);
/* The request body as JSON (new ref); NULL with the answer set (400 when
 * required and missing, 500 when not JSON, as Connect) or without a body. */
json_t *ks_rest_body(req_t *rq, resp_t *rs, int required);
/* A JSON object of config values as props (new); NULL with a 400 set. */
ks_props_t *ks_rest_config_of(const json_t *obj, resp_t *rs);

/* ---------------- routes.c / loggers.c ---------------- */

/* Answers a request for the path segments seg[0..n) (percent-decoded). */
void ks_rest_route(ks_rest_t *r, const char *method, char **seg, int n, req_t *rq, resp_t *rs);
/* /admin/loggers (name NULL) and /admin/loggers/{name}, GET or PUT. */
void ks_rest_loggers(const char *method, const char *name, req_t *rq, resp_t *rs);

/* ---------------- forward.c ---------------- */

/* Distributed mode: a change (POST/PUT/PATCH/DELETE of /connectors...) is
 * made by the leader. 0 when this worker is the one to make it; 1 when the
 * answer is in rs (the leader's, forwarded, or 409 when no leader is
 * known). */
int ks_rest_forward_change(ks_rest_t *r, req_t *rq, resp_t *rs);

/* ---------------- views.c ---------------- */

/* {"error_code":status,"message":msg}; bytes of msg that are not UTF-8
 * become U+FFFD. */
json_t *ks_view_error(int status, const char *msg);
/* 1 when s is valid UTF-8 (as jansson requires). */
int ks_view_utf8_valid(const char *s);
/* A config as a JSON object of strings. */
json_t *ks_view_config(const ks_props_t *p);
json_t *ks_view_task_state(const ks_task_status_t *t, const char *worker_id);
json_t *ks_view_status(const ks_conn_status_t *s); /* ConnectorStateInfo */
json_t *ks_view_info(const ks_conn_info_t *i);     /* ConnectorInfo */
/* GET /connectors/{name}/tasks (as_map = 0) or /tasks-config (1). */
json_t *ks_view_tasks(const ks_conn_info_t *i, int as_map);
/* {"name":{"topics":[...]}} */
json_t *ks_view_topics(const char *name, char *const *topics, size_t n);
/* {"offsets":[{"partition":{...},"offset":{...}}]} */
json_t *ks_view_offsets(const ks_tp_offset_t *offs, size_t n);
/* The message of a PATCH / DELETE offsets answer. */
json_t *ks_view_offsets_changed(int reset, int external);
/* GET /connector-plugins (converters too unless connectors_only). */
json_t *ks_view_plugins(int connectors_only);
/* The header converter classes ksink accepts (header.converter); NULL past
 * the end. */
const char *ks_rest_header_converter_class(size_t i);

#endif
