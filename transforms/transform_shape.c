/*
 * transform_shape.c — the transforms that change the shape or metadata of a
 * key or value as a whole: HoistField, MaskField, SetSchemaMetadata and
 * Flatten ($Key and $Value variants). Same conventions as
 * transform_fields.c: a STRUCT with a schema (output schema cached per input
 * schema) or a schemaless map; behaviour and error texts follow Connect's
 * classes of the same name. The per-record skeleton is transform_apply.c.
 */
#include "transform_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- HoistField ---------------- */

static const ks_cfg_def_t hoist_defs[] = {
        {.name = "field",
         .type = KS_CFG_STRING,
         .required = 1,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name for the single field that will be created in the resulting Struct "
                "or Map."},
        KS_CFG_END,
};

static int hoist_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                      size_t errlen)
{
	(void)bad;
	return ks_tf_state_string(tf, cfg, "field", errstr, errlen);
}

static void free_state(ks_tf_t *tf)
{
	free(tf->state);
}

static ks_err_t hoist_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a, ks_schema_t **out,
                             char *errstr, size_t errlen)
{
	(void)a;
	if (!(*out = ks_schema_new(KS_TYPE_STRUCT)))
		return KS_TF_OOM(errstr, errlen);
	if (ks_tf_add_field_ref(*out, tf->state, s)) {
		ks_schema_unref(*out);
		return KS_TF_OOM(errstr, errlen);
	}
	return KS_OK;
}

static ks_err_t hoist_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                            size_t errlen)
{
	const char *field = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec), *os;
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_value_t *ov;
	ks_err_t err;

	(void)drop;
	if (!s) {
		if (!(ov = ks_tf_struct_new(a, 1, 1)))
			return KS_TF_OOM(errstr, errlen);
		ov->u.st.names[0] = field;
		ks_tf_copy_or_null(&ov->u.st.fields[0], v, KS_TYPE_STRING);
		ks_tf_put_result(tf, rec, NULL, ov);
		return KS_OK;
	}
	if ((err = ks_tf_check_required(s, v, field, errstr, errlen)))
		return err;
	if ((err = ks_tf_cached_schema(tf, s, a, hoist_schema, &os, errstr, errlen)))
		return err;
	if (!(ov = ks_tf_struct_new(a, 1, 0)))
		return KS_TF_OOM(errstr, errlen);
	ks_tf_copy_or_null(&ov->u.st.fields[0], v, s->type);
	ks_tf_put_result(tf, rec, os, ov);
	return KS_OK;
}

KS_TF_KEY_VALUE(ks_tf_hoist_field, "org.apache.kafka.connect.transforms.HoistField",
                .defs = hoist_defs, .init = hoist_init, .apply = hoist_apply,
                .destroy = free_state);

/* ---------------- MaskField ---------------- */

typedef struct mask {
	ks_tf_strlist_t fields;
	char *replacement; /* NULL: the type's "empty" value */
} mask_t;

static const ks_cfg_def_t mask_defs[] = {
        {.name = "fields",
         .type = KS_CFG_LIST,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_HIGH,
         .doc = "Names of fields to mask."},
        {.name = "replacement",
         .type = KS_CFG_STRING,
         .non_empty = 1,
         .importance = KS_IMP_LOW,
         .doc = "Custom value replacement, that will be applied to all 'fields' values "
                "(numeric or non-empty string values only)."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

static int mask_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                     size_t errlen)
{
	mask_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *r = ks_config_string(cfg, "replacement");

	if (!s)
		return -1;
	if (ks_tf_only_v1(cfg, bad, errstr, errlen))
		return -1;
	if (ks_tf_strlist_load(&s->fields, cfg, "fields") ||
	    (r && !(s->replacement = ks_strdup(r))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void mask_destroy(ks_tf_t *tf)
{
	mask_t *s = tf->state;
	ks_tf_strlist_free(&s->fields);
	free(s->replacement);
	free(s);
}

/* MaskField.masked: the replacement for one value. */
static ks_err_t mask_value(const mask_t *st, const ks_schema_t *fs, const ks_value_t *v,
                           ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen)
{
	const char *r = st->replacement;
	char *end;

	*out = *v;
	if (v->is_null)
		return KS_OK;
	out->u.i = 0;
	if (fs && fs->logical == KS_LOGICAL_DECIMAL) {
		int rc = ks_tf_decimal(a, r ? r : "0", fs->scale, 0, out);
		if (rc == -2)
			return KS_TF_OOM(errstr, errlen);
		if (rc)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "Unable to convert %s (class java.lang.String) to number",
			                 r);
		return KS_OK;
	}
	if (r && fs && fs->logical != KS_LOGICAL_NONE && fs->logical != KS_LOGICAL_UUID)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Cannot mask value of type class %s with custom replacement.",
		                 ks_tf_java_class(fs, v));
	switch (v->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		if (r) {
			errno = 0;
			out->u.i = strtoll(r, &end, 10);
			if (errno || *end || end == r)
				return ks_seterr(errstr, errlen, KS_ERR_RECORD,
				                 "Unable to convert %s (class java.lang.String) to "
				                 "number",
				                 r);
		}
		return KS_OK;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		out->u.d = 0;
		if (r) {
			out->u.d = strtod(r, &end);
			if (*end || end == r)
				return ks_seterr(errstr, errlen, KS_ERR_RECORD,
				                 "Unable to convert %s (class java.lang.String) to "
				                 "number",
				                 r);
		}
		return KS_OK;
	case KS_TYPE_STRING:
		out->u.s.ptr = r ? r : "";
		out->u.s.len = r ? strlen(r) : 0;
		return KS_OK;
	case KS_TYPE_BOOLEAN:
		if (!r)
			return KS_OK;
		break;
	case KS_TYPE_ARRAY:
		if (r)
			break;
		out->u.arr.n = 0;
		return KS_OK;
	case KS_TYPE_MAP:
		if (r)
			break;
		out->u.map.n = 0;
		return KS_OK;
	case KS_TYPE_STRUCT:
		if (r || !ks_tf_is_map(v) || fs)
			break;
		out->u.st.n = 0; /* a schemaless Map */
		return KS_OK;
	default:
		break;
	}
	if (r)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Cannot mask value of type class %s with custom replacement.",
		                 ks_tf_java_class(fs, v));
	return ks_seterr(errstr, errlen, KS_ERR_RECORD, "Cannot mask value of type: class %s",
	                 ks_tf_java_class(fs, v));
}

/* Same shape out as in (ov, allocated): with a schema (s) or without (a map). */
static ks_err_t mask_fields(ks_tf_t *tf, const ks_schema_t *s, const ks_value_t *v, ks_value_t *ov,
                            ks_arena_t *a, char *errstr, size_t errlen)
{
	mask_t *st = tf->state;
	ks_err_t err;

	for (size_t i = 0; i < v->u.st.n; i++) {
		const char *name = s ? s->fields[i].name : v->u.st.names[i];
		ov->u.st.fields[i] = v->u.st.fields[i];
		if (!s)
			ov->u.st.names[i] = name;
		if (ks_tf_strlist_has(&st->fields, name) &&
		    (err = mask_value(st, s ? s->fields[i].schema : NULL, &v->u.st.fields[i], a,
		                      &ov->u.st.fields[i], errstr, errlen)))
			return err;
	}
	return KS_OK;
}

static ks_err_t mask_map(ks_tf_t *tf, const ks_record_t *rec, const ks_value_t *v, ks_arena_t *a,
                         ks_value_t **out, char *errstr, size_t errlen)
{
	(void)rec;
	if (!(*out = ks_tf_struct_new(a, v->u.st.n, 1)))
		return KS_TF_OOM(errstr, errlen);
	return mask_fields(tf, NULL, v, *out, a, errstr, errlen);
}

static ks_err_t mask_struct(ks_tf_t *tf, const ks_record_t *rec, const ks_schema_t *s,
                            const ks_value_t *v, const ks_schema_t *os, ks_value_t *ov,
                            ks_arena_t *a, char *errstr, size_t errlen)
{
	(void)rec, (void)os;
	return mask_fields(tf, s, v, ov, a, errstr, errlen);
}

static const ks_tf_ops_t mask_ops = {
        .purpose = "mask fields",
        .map = mask_map,
        .value = mask_struct,
};

KS_TF_KEY_VALUE(ks_tf_mask_field, "org.apache.kafka.connect.transforms.MaskField",
                .defs = mask_defs, .init = mask_init, .ops = &mask_ops, .destroy = mask_destroy);

/* ---------------- SetSchemaMetadata ---------------- */

typedef struct setmeta {
	char *name; /* NULL: keep */
	int version, has_version;
} setmeta_t;

static const ks_cfg_def_t setmeta_defs[] = {
        {.name = "schema.name",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_HIGH,
         .doc = "Schema name to set."},
        {.name = "schema.version",
         .type = KS_CFG_INT,
         .importance = KS_IMP_HIGH,
         .doc = "Schema version to set."},
        RNWD_DEF,
        KS_CFG_END,
};

static int setmeta_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                        size_t errlen)
{
	setmeta_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *n = ks_config_string(cfg, "schema.name");

	if (!s)
		return -1;
	if (n && !(s->name = ks_strdup(n)))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (ks_config_string(cfg, "schema.version")) {
		s->has_version = 1;
		s->version = ks_config_int(cfg, "schema.version");
	}
	if (!s->name && !s->has_version) {
		*bad = "schema.name";
		return ks_seterr(errstr, errlen, -1, "Neither schema name nor version configured");
	}
	return 0;
}

static void setmeta_destroy(ks_tf_t *tf)
{
	setmeta_t *s = tf->state;
	free(s->name);
	free(s);
}

static ks_err_t setmeta_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a, ks_schema_t **out,
                               char *errstr, size_t errlen)
{
	setmeta_t *st = tf->state;

	(void)a;
	if (!(*out = ks_tf_schema_copy(s)))
		return KS_TF_OOM(errstr, errlen);
	if (st->name && ks_schema_set_name(*out, st->name)) {
		ks_schema_unref(*out);
		return KS_TF_OOM(errstr, errlen);
	}
	if (st->has_version)
		(*out)->version = st->version;
	return KS_OK;
}

static ks_err_t setmeta_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                              size_t errlen)
{
	const ks_schema_t **s = ks_tf_schema_slot(tf, rec);

	(void)drop;
	if (!*s)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Schema required for [updating schema metadata]");
	return ks_tf_cached_schema(tf, *s, a, setmeta_schema, s, errstr, errlen);
}

KS_TF_KEY_VALUE(ks_tf_set_schema, "org.apache.kafka.connect.transforms.SetSchemaMetadata",
                .defs = setmeta_defs, .init = setmeta_init, .apply = setmeta_apply,
                .destroy = setmeta_destroy);

/* ---------------- Flatten ---------------- */

static const ks_cfg_def_t flatten_defs[] = {
        {.name = "delimiter",
         .type = KS_CFG_STRING,
         .default_value = ".",
         .importance = KS_IMP_MEDIUM,
         .doc = "Delimiter to insert between field names from the input record when "
                "generating field names for the output record."},
        KS_CFG_END,
};

static int flatten_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                        size_t errlen)
{
	(void)bad;
	return ks_tf_state_string(tf, cfg, "delimiter", errstr, errlen);
}

static char *join_name(ks_buf_t *b, const char *prefix, const char *delim, const char *name)
{
	ks_buf_reset(b);
	if (prefix && *prefix) {
		ks_buf_puts(b, prefix);
		ks_buf_puts(b, delim);
	}
	ks_buf_puts(b, name);
	return ks_buf_failed(b) ? NULL : b->data;
}

static ks_err_t flatten_schema(ks_schema_t *os, const ks_schema_t *s, const char *prefix,
                               const char *delim, int optional, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;
	ks_err_t err = KS_OK;

	for (size_t i = 0; i < s->nfields && !err; i++) {
		const ks_schema_t *fs = s->fields[i].schema;
		int fopt = optional || fs->optional;
		char *name = join_name(&b, prefix, delim, s->fields[i].name), *copy;

		if (!name) {
			err = KS_TF_OOM(errstr, errlen);
			break;
		}
		if (fs->type == KS_TYPE_STRUCT) {
			if (!(copy = ks_strdup(name))) {
				err = KS_TF_OOM(errstr, errlen);
				break;
			}
			err = flatten_schema(os, fs, copy, delim, fopt, errstr, errlen);
			free(copy);
			continue;
		}
		err = ks_tf_add_new_field(os, name, ks_tf_schema_optional(fs, fopt), errstr,
		                          errlen);
	}
	ks_buf_free(&b);
	return err;
}

/* Fills out->u.st.fields[*n...] in the order flatten_schema added them. */
static void flatten_value(const ks_schema_t *s, const ks_value_t *v, ks_value_t *out, size_t *n)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const ks_schema_t *fs = s->fields[i].schema;
		const ks_value_t *fv = v ? ks_tf_get(s, v, s->fields[i].name, 1) : NULL;
		if (fv && fv->is_null)
			fv = NULL;
		if (fs->type == KS_TYPE_STRUCT) {
			flatten_value(fs, fv, out, n);
			continue;
		}
		ks_tf_copy_or_null(&out->u.st.fields[(*n)++], fv, fs->type);
	}
}

/* Schemaless: nested maps become prefixed entries. n counts entries when
 * out is NULL. */
static ks_err_t flatten_map(const ks_value_t *v, const char *prefix, const char *delim,
                            ks_value_t *out, size_t *n, ks_arena_t *a, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;
	ks_err_t err = KS_OK;

	for (size_t i = 0; i < v->u.st.n && !err; i++) {
		const ks_value_t *fv = &v->u.st.fields[i];
		char *name = join_name(&b, prefix, delim, v->u.st.names[i]), *copy;

		if (!name || !(copy = ks_arena_strdup(a, name))) {
			err = KS_TF_OOM(errstr, errlen);
			break;
		}
		if (ks_tf_is_map(fv)) {
			err = flatten_map(fv, copy, delim, out, n, a, errstr, errlen);
			continue;
		}
		if (!fv->is_null && fv->type == KS_TYPE_STRUCT) {
			err = ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                "Flatten transformation does not support class "
			                "org.apache.kafka.connect.data.Struct for record without "
			                "schemas (for field %s).",
			                name);
			break;
		}
		if (out) {
			out->u.st.names[*n] = copy;
			out->u.st.fields[*n] = *fv;
		}
		(*n)++;
	}
	ks_buf_free(&b);
	return err;
}

static ks_err_t flatten_map_value(ks_tf_t *tf, const ks_record_t *rec, const ks_value_t *v,
                                  ks_arena_t *a, ks_value_t **out, char *errstr, size_t errlen)
{
	const char *delim = tf->state;
	ks_value_t *ov;
	ks_err_t err;
	size_t n = 0;

	(void)rec;
	if ((err = flatten_map(v, "", delim, NULL, &n, a, errstr, errlen)))
		return err;
	if (!(ov = ks_tf_struct_new(a, n, 1)))
		return KS_TF_OOM(errstr, errlen);
	n = 0;
	if ((err = flatten_map(v, "", delim, ov, &n, a, errstr, errlen)))
		return err;
	*out = ov;
	return KS_OK;
}

static ks_err_t flatten_struct_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a,
                                      ks_schema_t **out, char *errstr, size_t errlen)
{
	ks_schema_t *os = ks_tf_schema_basics(s, KS_TYPE_STRUCT);
	ks_err_t err;

	(void)a;
	if (!os)
		return KS_TF_OOM(errstr, errlen);
	if ((err = flatten_schema(os, s, "", tf->state, s->optional, errstr, errlen))) {
		ks_schema_unref(os);
		return err;
	}
	*out = os;
	return KS_OK;
}

static ks_err_t flatten_struct(ks_tf_t *tf, const ks_record_t *rec, const ks_schema_t *s,
                               const ks_value_t *v, const ks_schema_t *os, ks_value_t *ov,
                               ks_arena_t *a, char *errstr, size_t errlen)
{
	size_t n = 0;

	(void)tf, (void)rec, (void)os, (void)a, (void)errstr, (void)errlen;
	flatten_value(s, v, ov, &n);
	return KS_OK;
}

static const ks_tf_ops_t flatten_ops = {
        .purpose = "flattening",
        .null_schema = 1,
        .map = flatten_map_value,
        .schema = flatten_struct_schema,
        .value = flatten_struct,
};

KS_TF_KEY_VALUE(ks_tf_flatten, "org.apache.kafka.connect.transforms.Flatten", .defs = flatten_defs,
                .init = flatten_init, .ops = &flatten_ops, .destroy = free_state);
