/*
 * registry_client.h — a Confluent Schema Registry client (libcurl + jansson)
 * for the Avro converter: fetches writer schemas by global id and caches them
 * forever (registry ids are immutable), and registers schemas for tools and
 * tests.
 *
 * Settings (the converter's props, prefix already stripped):
 *   schema.registry.url            comma-separated list, required; on a
 *                                  connection error or 5xx the next URL is tried
 *   basic.auth.credentials.source  URL (default: user:pass@ in the URL) or USER_INFO
 *   basic.auth.user.info           user:password (alias
 *                                  schema.registry.basic.auth.user.info); never logged
 *   http.connect.timeout.ms        default 10000
 *   http.read.timeout.ms           default 30000 (whole request)
 *   max.retries                    rounds over all URLs after the first, default 3
 *   retries.wait.ms                first back-off, doubled per round, default 200
 *   retries.max.wait.ms            back-off cap, default 2000
 *
 * Thread safety: every call may be made from any thread; the cache and the
 * HTTP handle are guarded by one mutex (a converter is per task, so there is
 * no contention in practice).
 */
#ifndef KS_REGISTRY_CLIENT_H
#define KS_REGISTRY_CLIENT_H

#include "../config/config.h"
#include "../config/props.h"
#include "../lib/ks.h"

typedef struct ks_registry ks_registry_t;

/* The settings above (config.h table; the AvroConverter's definitions). */
extern const ks_cfg_def_t ks_registry_config_defs[];

/* NULL (errstr filled) when schema.registry.url is missing or a setting is bad. */
ks_registry_t *ks_registry_new(const ks_props_t *props, char *errstr, size_t errlen) KS_WUR;
void ks_registry_destroy(ks_registry_t *r); /* accepts NULL */

/*
 * The schema text registered under id (GET /schemas/ids/{id}).
 * *schema_json and *schema_type ("AVRO", "JSON", "PROTOBUF"; absent means
 * AVRO) are borrowed from the cache and stay valid until ks_registry_destroy.
 * schema_type may be NULL.
 * Errors: KS_ERR_RECORD "schema id N not found" (404 / 40403) or another
 *   4xx; KS_ERR_FATAL on 401/403 (bad credentials); KS_ERR_RETRIABLE when no
 *   URL answered after the retries (the caller waits and calls again).
 */
ks_err_t ks_registry_get_schema(ks_registry_t *r, int id, const char **schema_json,
                                const char **schema_type, char *errstr, size_t errlen) KS_WUR;

/* A schema reference: the named type `name` is defined by subject/version. */
typedef struct ks_registry_ref {
	const char *name, *subject;
	int version;
} ks_registry_ref_t;

/*
 * ks_registry_get_schema plus the schema's references (borrowed from the
 * cache like the text; *nrefs = 0 when it has none).
 */
ks_err_t ks_registry_get_schema_refs(ks_registry_t *r, int id, const char **schema_json,
                                     const char **schema_type, const ks_registry_ref_t **refs,
                                     size_t *nrefs, char *errstr, size_t errlen) KS_WUR;

/*
 * The schema registered as subject/version (GET /subjects/{s}/versions/{v}),
 * cached forever like ids; used to resolve references. Same error classes.
 */
ks_err_t ks_registry_get_version(ks_registry_t *r, const char *subject, int version,
                                 const char **schema_json, const ks_registry_ref_t **refs,
                                 size_t *nrefs, char *errstr, size_t errlen) KS_WUR;

/*
 * Registers schema_json (Avro) under subject (POST /subjects/{subject}/versions)
 * and stores the id in *id; idempotent on the registry side. Same error
 * classes as ks_registry_get_schema (a 409/422 rejection is KS_ERR_RECORD).
 */
ks_err_t ks_registry_register(ks_registry_t *r, const char *subject, const char *schema_json,
                              int *id, char *errstr, size_t errlen) KS_WUR;

/* Test hook: puts a schema into the cache as if fetched (no network). 0 ok. */
int ks_registry_seed(ks_registry_t *r, int id, const char *schema_json) KS_WUR;

/* Number of HTTP requests sent so far (for tests: proves the cache works). */
long ks_registry_requests(const ks_registry_t *r);

#endif
