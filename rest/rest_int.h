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

/* ---------------- routes.c ---------------- */

/* 1 for a method the API knows (GET, HEAD, POST, PUT, PATCH, DELETE). */
int ks_rest_method_known(const char *method);

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

#endif
