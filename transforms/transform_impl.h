/*
 * transform_impl.h — what the transforms (transforms/transform_*.c) share with
 * the chain (transform.c): the class tables, the per-instance state, the
 * schema cache and small helpers for building schemas and values the way
 * Connect's transforms do (SchemaUtil.copySchemaBasics, Requirements.*), and
 * the apply skeleton most SMTs run through (ks_tf_ops_t, transform_apply.c).
 * Private to transforms/transform*.c.
 */
#ifndef KS_TRANSFORM_IMPL_H
#define KS_TRANSFORM_IMPL_H

#include "../lib/buf.h"
#include "../lib/civil.h"
#include "../lib/javadate.h"
#include "../lib/javaregex.h"
#include "transform.h"

#define KS_DATA_EXCEPTION "org.apache.kafka.connect.errors.DataException"

/* Which part of the record a transform works on ($Key / $Value). */
enum { KS_TF_VALUE = 0, KS_TF_KEY = 1 };

/* Output schemas built per distinct input (pointer identity; the inputs are
 * interned by the converters or by the previous transform's cache, and the
 * cache holds a reference so an address is never reused). */
typedef struct ks_tf_cache_ent {
	const ks_schema_t *in, *in2;
	int tag;
	ks_schema_t *out;
} ks_tf_cache_ent_t;

typedef struct ks_tf_cache {
	ks_tf_cache_ent_t *v;
	size_t n, cap, last;
} ks_tf_cache_t;

/* Borrowed cached output, or NULL. */
ks_schema_t *ks_tf_cache_get(ks_tf_cache_t *c, const ks_schema_t *in, const ks_schema_t *in2,
                             int tag);
/* Stores out (takes over the reference, also on failure); returns out or
 * NULL on allocation failure. */
ks_schema_t *ks_tf_cache_put(ks_tf_cache_t *c, const ks_schema_t *in, const ks_schema_t *in2,
                             int tag, ks_schema_t *out);
void ks_tf_cache_clear(ks_tf_cache_t *c);

typedef struct ks_tf ks_tf_t;
typedef struct ks_pred ks_pred_t;

typedef struct ks_tf_ops ks_tf_ops_t;

typedef struct ks_tf_class {
	const char *name;         /* full class name as in Connect */
	const ks_cfg_def_t *defs; /* the transform's keys, unprefixed */
	int key;                  /* $Key variant */
	/* Builds tf->state from the parsed settings. 0 ok; -1 with *bad_key
	 * (one of defs, or NULL) and errstr the reason. */
	int (*init)(ks_tf_t *tf, const ks_config_t *cfg, const char **bad_key, char *errstr,
	            size_t errlen);
	/* KS_OK (maybe *drop), KS_ERR_RECORD (errstr), KS_ERR_FATAL (OOM). */
	ks_err_t (*apply)(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
	                  size_t errlen);
	/* Instead of apply: an SMT that reshapes a STRUCT / map key or value
	 * says only what differs, ks_tf_apply_struct() does the rest. */
	const ks_tf_ops_t *ops;
	void (*destroy)(ks_tf_t *tf); /* frees tf->state; may be NULL */
	const char *unsupported;      /* non-NULL: a Connect class ksink refuses, why */
} ks_tf_class_t;

/* Defines the $Key and $Value variants of one SMT, SYM_key and SYM_value:
 * JAVA is Connect's class name without the suffix, the rest the designated
 * initializers both share (the key variant also gets .key). */
#define KS_TF_KEY_VALUE(sym, java, ...)                                                            \
	const ks_tf_class_t sym##_key = {.name = java "$Key", .key = KS_TF_KEY, __VA_ARGS__};      \
	const ks_tf_class_t sym##_value = {.name = java "$Value", __VA_ARGS__}

struct ks_tf {
	const ks_tf_class_t *cls;
	char *alias;
	int key; /* works on the key */
	void *state;
	ks_tf_cache_t cache;
	ks_pred_t *pred; /* borrowed from the chain; NULL = always */
	int negate;
	int rnwd; /* replace.null.with.default, for the SMTs that have it (RNWD_DEF) */
};

typedef struct ks_pred_class {
	const char *name;
	const ks_cfg_def_t *defs;
	int (*init)(ks_pred_t *p, const ks_config_t *cfg, const char **bad_key, char *errstr,
	            size_t errlen);
	int (*test)(ks_pred_t *p, const ks_record_t *rec);
	void (*destroy)(ks_pred_t *p);
} ks_pred_class_t;

struct ks_pred {
	const ks_pred_class_t *cls;
	char *alias;
	void *state;
};

/* The classes (defined in transform_*.c). */
extern const ks_tf_class_t ks_tf_regex_router, ks_tf_timestamp_router, ks_tf_value_to_key,
        ks_tf_extract_field_key, ks_tf_extract_field_value, ks_tf_replace_field_key,
        ks_tf_replace_field_value, ks_tf_insert_field_key, ks_tf_insert_field_value, ks_tf_cast_key,
        ks_tf_cast_value, ks_tf_ts_converter_key, ks_tf_ts_converter_value, ks_tf_flatten_key,
        ks_tf_flatten_value, ks_tf_hoist_field_key, ks_tf_hoist_field_value, ks_tf_mask_field_key,
        ks_tf_mask_field_value, ks_tf_set_schema_key, ks_tf_set_schema_value, ks_tf_filter,
        ks_tf_drop_headers, ks_tf_insert_header, ks_tf_header_from_key, ks_tf_header_from_value,
        ks_tf_extract_new_record_state;
extern const ks_tf_class_t ks_tf_script, ks_tf_script_alias; /* transforms/script.c */
extern const ks_pred_class_t ks_pred_topic_name_matches, ks_pred_has_header_key,
        ks_pred_record_is_tombstone;

/* --- the record part a transform works on --- */

static inline const ks_schema_t **ks_tf_schema_slot(const ks_tf_t *tf, ks_record_t *r)
{
	return tf->key ? &r->key_schema : &r->value_schema;
}

static inline ks_value_t **ks_tf_value_slot(const ks_tf_t *tf, ks_record_t *r)
{
	return tf->key ? &r->key : &r->value;
}

/* --- the shared apply skeleton (transform_apply.c) --- */

#define KS_TF_OOM(errstr, errlen) ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory")

/*
 * What an SMT that reshapes a STRUCT key/value (or a schemaless map) does
 * per record; ks_tf_apply_struct() does the rest the way every Connect SMT
 * does: pick the key or value, let a null through (tombstones pass), check
 * Requirements.requireMap / requireStruct with the SMT's purpose, dispatch
 * schemaless vs with schema, build the output schema once per input schema
 * (tf->cache) and store the result.
 */
struct ks_tf_ops {
	const char *purpose; /* "field replacement": in requireStruct/Map texts */
	int null_schema;     /* a null value with a schema still gets the output schema
	                      * (Flatten); else a null passes unchanged */
	/* Schemaless: v is a map; *out the new map (arena). */
	ks_err_t (*map)(ks_tf_t *tf, const ks_record_t *rec, const ks_value_t *v, ks_arena_t *a,
	                ks_value_t **out, char *errstr, size_t errlen);
	/* With a schema: the output schema for STRUCT s (a new reference; the
	 * skeleton caches it). NULL: the schema stays s. */
	ks_err_t (*schema)(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a, ks_schema_t **out,
	                   char *errstr, size_t errlen);
	/* With a schema: fills ov (a STRUCT value with os->nfields zeroed
	 * fields, in the arena) from the STRUCT v of schema s. */
	ks_err_t (*value)(ks_tf_t *tf, const ks_record_t *rec, const ks_schema_t *s,
	                  const ks_value_t *v, const ks_schema_t *os, ks_value_t *ov, ks_arena_t *a,
	                  char *errstr, size_t errlen);
	/* Instead of map, schema and value: an SMT that converts some fields
	 * in place and keeps the others (Cast, TimestampConverter) names them
	 * (target: the t-th field, NULL past the last; a field converts by its
	 * first target) and converts one: field_schema the schema fs of target
	 * t (*out a new reference), field_value the value fv of target t (NULL
	 * or null: a null; fs NULL when schemaless) into out. When whole(tf)
	 * says so (Cast with one type, TimestampConverter without a field) the
	 * key/value itself is converted as target 0 by field_value, its schema
	 * by whole_schema (cached like schema). */
	int (*whole)(const ks_tf_t *tf);
	ks_err_t (*whole_schema)(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a,
	                         ks_schema_t **out, char *errstr, size_t errlen);
	const char *(*target)(const ks_tf_t *tf, size_t t);
	ks_err_t (*field_schema)(ks_tf_t *tf, size_t t, const ks_schema_t *fs, ks_arena_t *a,
	                         ks_schema_t **out, char *errstr, size_t errlen);
	ks_err_t (*field_value)(ks_tf_t *tf, size_t t, const ks_schema_t *fs, const ks_value_t *fv,
	                        ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen);
};

ks_err_t ks_tf_apply_struct(ks_tf_t *tf, const ks_tf_ops_t *ops, ks_record_t *rec, ks_arena_t *a,
                            char *errstr, size_t errlen);
/* The output schema of s from tf->cache, or built by build and cached. */
ks_err_t ks_tf_cached_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a,
                             ks_err_t (*build)(ks_tf_t *, const ks_schema_t *, ks_arena_t *,
                                               ks_schema_t **, char *, size_t),
                             const ks_schema_t **out, char *errstr, size_t errlen);
/* Stores the transformed part; a null result is a null key / tombstone. */
void ks_tf_put_result(const ks_tf_t *tf, ks_record_t *rec, const ks_schema_t *s, ks_value_t *v);

/* A copy of map v with room for extra more entries (u.st.n = v's count). */
ks_value_t *ks_tf_map_copy(ks_arena_t *a, const ks_value_t *v, size_t extra);
/* Index of name in map m, appended (u.st.n grows, room from ks_tf_map_copy)
 * when absent; *found says which. */
size_t ks_tf_map_slot(ks_value_t *m, const char *name, int *found);
/* Copies src (may be NULL = null) into dst. */
void ks_tf_copy_or_null(ks_value_t *dst, const ks_value_t *src, ks_type_t type);
/* Struct.put's check of a required field. */
ks_err_t ks_tf_check_required(const ks_schema_t *fs, const ks_value_t *v, const char *name,
                              char *errstr, size_t errlen);
/* The zeroed state (size bytes) of tf, stored in tf->state for the class's
 * destroy to free; NULL with errstr "out of memory". For init. */
void *ks_tf_state_new(ks_tf_t *tf, size_t size, char *errstr, size_t errlen);
/* tf->state = a copy of the STRING setting key (for an SMT whose whole
 * state is that string; its destroy frees it). 0, or -1 out of memory. */
int ks_tf_state_string(ks_tf_t *tf, const ks_config_t *cfg, const char *key, char *errstr,
                       size_t errlen);
/* V2 is only implemented by ExtractField; elsewhere it is refused rather
 * than silently read as V1. 0 or -1 with *bad. */
int ks_tf_only_v1(const ks_config_t *cfg, const char **bad, char *errstr, size_t errlen);

/* A copy of a LIST setting. */
typedef struct ks_tf_strlist {
	char **v;
	size_t n;
} ks_tf_strlist_t;
int ks_tf_strlist_load(ks_tf_strlist_t *l, const ks_config_t *cfg, const char *key);
void ks_tf_strlist_free(ks_tf_strlist_t *l);
int ks_tf_strlist_has(const ks_tf_strlist_t *l, const char *s);

/* --- schemas --- */

/* New schema of type with src's name, version, doc, parameters and
 * optionality (Connect's copySchemaBasics; a logical name is kept only when
 * the type stays the same). NULL on OOM. */
ks_schema_t *ks_tf_schema_basics(const ks_schema_t *src, ks_type_t type);
/* Full copy of src (fields and element schemas referenced, default copied). */
ks_schema_t *ks_tf_schema_copy(const ks_schema_t *src);
/* src itself (referenced) when it already has this optionality, else a copy. */
ks_schema_t *ks_tf_schema_optional(const ks_schema_t *src, int optional);
/* A fresh primitive (or logical, when logical != NONE) schema. */
ks_schema_t *ks_tf_schema_prim(ks_type_t type, ks_logical_t logical, int optional);
/* Adds a field whose schema is referenced (not taken over). -1 on OOM. */
int ks_tf_add_field_ref(ks_schema_t *s, const char *name, const ks_schema_t *fs);
/* Adds field name with schema fs (taken over, also on failure; NULL: an
 * allocation failed) unless s has a field of that name already
 * (KS_ERR_RECORD, Connect's "field name duplication"). KS_ERR_FATAL on OOM. */
ks_err_t ks_tf_add_new_field(ks_schema_t *s, const char *name, ks_schema_t *fs, char *errstr,
                             size_t errlen);

/* --- values --- */

/* 1 when v is a schemaless map (a JSON object: STRUCT with field names). */
static inline int ks_tf_is_map(const ks_value_t *v)
{
	return v && !v->is_null && v->type == KS_TYPE_STRUCT && v->u.st.names;
}

/* A STRUCT value with n fields (all zeroed; names allocated when named). */
ks_value_t *ks_tf_struct_new(ks_arena_t *a, size_t n, int named);
/* Field of a struct (schema) or map (schema NULL) value: NULL when absent.
 * use_default: a null field whose schema has a default reads as the
 * default (Connect's Struct.get vs getWithoutDefault). */
const ks_value_t *ks_tf_get(const ks_schema_t *s, const ks_value_t *v, const char *name,
                            int use_default);
ks_value_t *ks_tf_str(ks_arena_t *a, const char *s, size_t len);
ks_value_t *ks_tf_int(ks_arena_t *a, ks_type_t type, int64_t i);
/* out = the Decimal of text txt at scale (ks_decimal_parse; bytes in the
 * arena). 0, -1 when txt is not such a decimal (up to 64 bytes), -2 OOM. */
int ks_tf_decimal(ks_arena_t *a, const char *txt, int scale, int lenient, ks_value_t *out);
/* Makes out a STRING with b's text copied into the arena; frees b (also on
 * failure). KS_ERR_FATAL when b failed or on OOM. */
ks_err_t ks_tf_str_take(ks_buf_t *b, ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen);

/* The Java class Connect would report for a value ("java.lang.String",
 * "org.apache.kafka.connect.data.Struct", "java.util.HashMap", "null"). */
const char *ks_tf_java_class(const ks_schema_t *s, const ks_value_t *v);
/* Requirements.requireStruct / requireMap messages. Return KS_ERR_RECORD. */
ks_err_t ks_tf_need_struct(const ks_schema_t *s, const ks_value_t *v, const char *purpose,
                           char *errstr, size_t errlen);
ks_err_t ks_tf_need_map(const ks_schema_t *s, const ks_value_t *v, const char *purpose,
                        char *errstr, size_t errlen);

/* Connect's Values.convertToString-like text of a primitive (for headers,
 * route.by.field): strings as is, numbers in Java notation, booleans. */
int ks_tf_value_text(const ks_schema_t *s, const ks_value_t *v, ks_buf_t *out);
/* Java's Double.toString / Float.toString. */
void ks_tf_java_double(double d, int is_float, char *out, size_t len);

/* Config defs shared by several transforms (Connect's wording). */
extern const char *const ks_tf_syntax_values[]; /* V1, V2 */

#define RNWD_DEF                                                                                   \
	{                                                                                          \
		.name = "replace.null.with.default", .type = KS_CFG_BOOLEAN,                       \
		.default_value = "true", .importance = KS_IMP_MEDIUM,                              \
		.doc = "Whether to replace fields that have a default value and that are null "    \
		       "to the default value. When set to true, the default value is used, "       \
		       "otherwise null is used."                                                   \
	}

#define SYNTAX_DEF                                                                                 \
	{                                                                                          \
		.name = "field.syntax.version", .type = KS_CFG_STRING, .default_value = "V1",      \
		.allowed = ks_tf_syntax_values, .importance = KS_IMP_HIGH,                         \
		.doc = "Defines the version of the syntax to access fields. V1: field names are "  \
		       "top-level; V2: nested paths separated by dots (ksink: ExtractField "       \
		       "only)."                                                                    \
	}

#endif
