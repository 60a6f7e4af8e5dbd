/*
 * config.h — declarative configuration definitions, shared by the worker,
 * the converters and the connectors. One table of ks_cfg_def_t per
 * component is the single place a key is defined; from it we parse, validate,
 * apply defaults, and produce Connect's ConfigInfos JSON (validate endpoint)
 * and config definition listings.
 *
 * Semantics follow Kafka's ConfigDef:
 * - a key with .required = 1 has no default and must be given;
 * - otherwise .default_value (may be NULL = null) applies when absent;
 * - values arrive as strings (properties files, JSON) and are parsed by type;
 *   BOOLEAN accepts true/false case-insensitively, LIST is comma-separated
 *   with surrounding spaces trimmed;
 * - enum validators (.allowed) compare case-insensitively, as Connect's
 *   CaseInsensitiveValidString does;
 * - keys not in the table are kept (and ignored) — Connect does the same.
 * - PASSWORD values are never printed: "[hidden]" in every listing.
 */
#ifndef KS_CONFIG_H
#define KS_CONFIG_H

#include "../lib/ks.h"
#include "props.h"

#include <jansson.h>
#include <stdint.h>

typedef enum ks_cfg_type {
	KS_CFG_STRING = 0,
	KS_CFG_INT,
	KS_CFG_LONG,
	KS_CFG_DOUBLE,
	KS_CFG_BOOLEAN,
	KS_CFG_LIST,
	KS_CFG_PASSWORD,
	KS_CFG_CLASS,
} ks_cfg_type_t;

typedef enum ks_cfg_importance {
	KS_IMP_HIGH = 0,
	KS_IMP_MEDIUM,
	KS_IMP_LOW,
} ks_cfg_importance_t;

struct ks_config;

typedef struct ks_cfg_def {
	const char *name;
	ks_cfg_type_t type;
	const char *default_value; /* textual default; NULL = null (unless required) */
	int required;              /* no default: must be set */
	/* validators (any combination) */
	int has_min, has_max;
	double min, max;            /* numeric range, inclusive */
	const char *const *allowed; /* NULL-terminated enum, case-insensitive */
	int non_empty;              /* strings / lists must not be empty when set */
	/* custom check: return 0 when ok, else write a reason into errstr */
	int (*validate)(const struct ks_cfg_def *def, const char *value, char *errstr,
	                size_t errlen);
	ks_cfg_importance_t importance;
	const char *group;
	const char *display_name;
	const char *doc;
} ks_cfg_def_t;

/* Tables end with an entry whose name is NULL. */
#define KS_CFG_END                                                                                 \
	{                                                                                          \
		.name = NULL                                                                       \
	}

const char *ks_cfg_type_name(ks_cfg_type_t t); /* "STRING", "INT", ... as in Connect */
const char *ks_cfg_importance_name(ks_cfg_importance_t i);

/*
 * A parsed configuration: the effective string value of each defined key
 * (given or default), typed accessors, and per-key error lists.
 * Owns copies of everything; built from a definition table the caller keeps
 * alive (tables are static).
 */
typedef struct ks_config ks_config_t;

/* Parses props against defs (one or more tables, NULL-terminated list of
 * tables so a connector can add the common Connect keys). Never NULL except
 * on allocation failure; check ks_config_error_count(). */
ks_config_t *ks_config_new(const ks_cfg_def_t *const *defs, const ks_props_t *props) KS_WUR;
void ks_config_destroy(ks_config_t *cfg); /* accepts NULL */

size_t ks_config_error_count(const ks_config_t *cfg);
/* ks_config_new() for callers that refuse any error: the parsed config, or
 * NULL with errstr "out of memory" or the errors' text. */
ks_config_t *ks_config_parse(const ks_cfg_def_t *const *defs, const ks_props_t *props, char *errstr,
                             size_t errlen) KS_WUR;
/* Adds an error to key (for cross-key checks such as delete.enabled). */
int ks_config_add_error(ks_config_t *cfg, const char *key, const char *fmt, ...) KS_PRINTF(3, 4);
/* First error as "key: reason" (for logs and 400 bodies); NULL when none.
 * Several errors are joined with "; ". The string is owned by cfg. */
const char *ks_config_errors_text(ks_config_t *cfg);

/* Typed accessors. The key must be defined; undefined keys read as NULL/0
 * (and log a programming error). */
const char *ks_config_string(const ks_config_t *cfg, const char *key); /* NULL when null */
int32_t ks_config_int(const ks_config_t *cfg, const char *key);
int64_t ks_config_long(const ks_config_t *cfg, const char *key);
double ks_config_double(const ks_config_t *cfg, const char *key);
int ks_config_bool(const ks_config_t *cfg, const char *key);
/* LIST: number of elements; items borrowed from cfg. */
size_t ks_config_list(const ks_config_t *cfg, const char *key, const char *const **items);
/* The original props (all keys, including unknown ones). Borrowed. */
const ks_props_t *ks_config_props(const ks_config_t *cfg);
/* 1 when the user set key explicitly. */
int ks_config_is_set(const ks_config_t *cfg, const char *key);

/*
 * Connect's ConfigInfos JSON for PUT /connector-plugins/{p}/config/validate:
 * {"name":..., "error_count":N, "groups":[...], "configs":[{"definition":{...},
 *  "value":{"name","value","recommended_values","errors","visible"}}]}.
 * PASSWORD values appear as "[hidden]". New reference (caller decrefs).
 */
json_t *ks_config_infos_json(const ks_config_t *cfg, const char *name);
/* Connect's ConfigKeyInfo list for GET /connector-plugins/{p}/config. */
json_t *ks_config_defs_json(const ks_cfg_def_t *const *defs);

/* Is key a password in these tables (for masking in logs and listings)? */
int ks_config_is_password(const ks_cfg_def_t *const *defs, const char *key);

/* --- parsers --- */

/* Java .properties text: # and ! comments, key=value, key:value, key value,
 * backslash line continuation, \t \n \uXXXX escapes. */
int ks_properties_parse(const char *text, size_t len, ks_props_t *out, char *errstr,
                        size_t errlen) KS_WUR;
int ks_properties_load(const char *path, ks_props_t *out, char *errstr, size_t errlen) KS_WUR;

/* A JSON object of config values: strings kept, numbers and booleans turned
 * into their text ("auto.create": true -> "true"), null -> key absent;
 * arrays/objects are an error naming the key. */
int ks_config_from_json(const json_t *obj, ks_props_t *out, char *errstr, size_t errlen) KS_WUR;

/* --- config providers (Kafka's config.providers) ---
 * Worker props declare providers:
 *   config.providers=env,file
 *   config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
 *   config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
 * Values then may contain ${env:NAME} and ${file:/path/file.properties:key}
 * (also ${dir:/path:file} with DirectoryConfigProvider). Unknown providers and
 * missing keys leave the reference unchanged, as Kafka does. */
typedef struct ks_providers ks_providers_t;
ks_providers_t *ks_providers_new(const ks_props_t *worker_props, char *errstr,
                                 size_t errlen) KS_WUR;
void ks_providers_destroy(ks_providers_t *p);
/* New props with every ${...} reference resolved. NULL on allocation failure. */
ks_props_t *ks_providers_resolve(const ks_providers_t *p, const ks_props_t *in) KS_WUR;

#endif
