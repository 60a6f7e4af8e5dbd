/*
 * registry/api.h — what the HTTP side of build/ksink-registry (tools/registry.c)
 * and its REST routes (registry/routes.c) share: a parsed request, the answer
 * being built, and the one entry point that maps the former onto the latter.
 */
#ifndef KSINK_TOOLS_REGISTRY_API_H
#define KSINK_TOOLS_REGISTRY_API_H

#include "../../lib/ks.h"

#include <jansson.h>
#include <microhttpd.h>

#define CT_REGISTRY "application/vnd.schemaregistry.v1+json"

/* One HTTP answer: status plus a JSON body (owned). */
typedef struct reply {
	unsigned status;
	json_t *body;
	char *raw; /* a raw schema answer instead of body */
} reply_t;

/* One request: the path split at '/' (borrowed from the caller's copy). */
typedef struct request {
	struct MHD_Connection *conn;
	const char *method;
	char *segs[8];
	int nsegs;
	json_t *body; /* parsed request body, NULL when none */
} request_t;

/* Replaces rp's body with Confluent's {"error_code","message"}. */
void reg_reply_error(reply_t *rp, unsigned status, int code, const char *fmt, ...) KS_PRINTF(4, 5);
/* 500/50001: the answer when an allocation fails. */
void reg_reply_oom(reply_t *rp);

/* Routes one request and fills rp; the caller holds reg.lock. */
void reg_route(request_t *rq, reply_t *rp);

#endif
