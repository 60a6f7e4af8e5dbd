/*
 * worker_config.h — the parsed worker configuration (worker_config.c): the
 * WORKER.properties keys, validated against ks_worker_defs, with config
 * providers resolved, and the values the rest of the process reads (REST
 * listeners, the worker id, the config store, timeouts). The REST layer
 * reads it through the herder (worker/herder.h); the Kafka client settings
 * derived from it are in worker.h.
 */
#ifndef KS_WORKER_CONFIG_H
#define KS_WORKER_CONFIG_H

#include "../config/config.h"
#include "../lib/ks.h"

#include <stdint.h>

#define KSINK_VERSION "0.1.0"
/* The Connect version we answer on GET / (REST compatibility level). */
#define KSINK_CONNECT_VERSION "3.9.0"

/* ---------------- worker config (worker_config.c) ---------------- */

/* One entry of `listeners`. */
typedef struct ks_listener {
	char *host; /* "" = all interfaces */
	int port;
	int https; /* https://: TLS per the listeners.https.ssl.* / ssl.* keys */
} ks_listener_t;

typedef struct ks_worker_config {
	ks_config_t *cfg;  /* parsed against ks_worker_defs */
	ks_props_t *props; /* all worker props, providers resolved */
	ks_providers_t *providers;
	char *rest_host;          /* first listener's host ("" = all interfaces) */
	int rest_port;            /* first listener's port */
	ks_listener_t *listeners; /* every listener (rest/ serves each) */
	size_t nlisteners;
	char *worker_id;  /* advertised host:port */
	char *store_path; /* config.storage.file */
	int64_t flush_interval_ms;
	int64_t shutdown_timeout_ms;
	int distributed; /* `ksink distributed`: ks_worker_config_distributed() */
} ks_worker_config_t;

extern const ks_cfg_def_t ks_worker_defs[];

/* Loads WORKER.properties: parse, resolve config providers, validate.
 * NULL + errstr ("key: why") on failure. */
ks_worker_config_t *ks_worker_config_load(const char *path, char *errstr, size_t errlen) KS_WUR;
/* Same from props already in memory (tests); base_dir for the default store. */
ks_worker_config_t *ks_worker_config_new(const ks_props_t *props, const char *base_dir,
                                         char *errstr, size_t errlen) KS_WUR;
void ks_worker_config_destroy(ks_worker_config_t *wc);
/* Switches wc to distributed mode: checks that group.id and the three
 * storage topics are set (as Connect requires). 0 ok, else -1 + errstr
 * naming the key. */
int ks_worker_config_distributed(ks_worker_config_t *wc, char *errstr, size_t errlen) KS_WUR;

#endif
