/*
 * rest.h — the Kafka Connect REST API of a ksink worker, served with
 * libmicrohttpd (one thread per connection, so a slow change such as a
 * connector stop never blocks a status read). Routes and JSON shapes follow
 * Connect 3.9 (reference/connect_rest.yaml); every error is
 * {"error_code":N,"message":"..."}.
 */
#ifndef KS_REST_H
#define KS_REST_H

#include "../lib/ks.h"
#include "../worker/worker.h"

typedef struct ks_rest ks_rest_t;

/* Largest request body accepted (larger: 413). */
#define KS_REST_MAX_BODY (1u << 20)

/* Starts listening on host:port ("" or 0.0.0.0 = all interfaces). The
 * herder must outlive the server. NULL + errstr when the port cannot be
 * bound. */
ks_rest_t *ks_rest_start(ks_herder_t *h, const char *host, int port, char *errstr,
                         size_t errlen) KS_WUR;
/* Stops accepting new connections (in-flight requests finish). */
void ks_rest_quiesce(ks_rest_t *r);
/* Stops the server and frees it. Accepts NULL. */
void ks_rest_stop(ks_rest_t *r);

/* The HTTP status for a herder result (KS_H_OK -> ok_status). */
int ks_rest_status_of(ks_hres_t r, int ok_status);

#endif
