/*
 * transform_apply.c — the skeleton every SMT that reshapes a STRUCT key or
 * value shares (transform_impl.h: ks_tf_apply_struct): key/value selection,
 * tombstone pass-through, Requirements.requireStruct / requireMap, the
 * schema-or-schemaless dispatch, the per-input-schema output cache and the
 * result store; the map / schema / value steps of an SMT that converts
 * some fields in place (ops->target: Cast, TimestampConverter); plus the
 * small record-copy helpers (map copy, map slot, Struct.put's required
 * check) and the settings helpers the SMTs share. The SMTs
 * (transform_fields.c, transform_shape.c, transform_cast.c,
 * transform_timestamp.c) only say what differs: ks_tf_ops_t.
 */
#include "transform_impl.h"

#include <stdlib.h>
#include <string.h>

void ks_tf_put_result(const ks_tf_t *tf, ks_record_t *rec, const ks_schema_t *s, ks_value_t *v)
{
	*ks_tf_schema_slot(tf, rec) = s;
	*ks_tf_value_slot(tf, rec) = v && !v->is_null ? v : NULL;
}

ks_err_t ks_tf_cached_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a,
                             ks_err_t (*build)(ks_tf_t *, const ks_schema_t *, ks_arena_t *,
                                               ks_schema_t **, char *, size_t),
                             const ks_schema_t **out, char *errstr, size_t errlen)
{
	ks_schema_t *os = ks_tf_cache_get(&tf->cache, s, NULL, 0);
	ks_err_t err;

	if (!os) {
		if ((err = build(tf, s, a, &os, errstr, errlen)))
			return err;
		if (!(os = ks_tf_cache_put(&tf->cache, s, NULL, 0, os)))
			return KS_TF_OOM(errstr, errlen);
	}
	*out = os;
	return KS_OK;
}

/* --- the steps of an SMT that converts some fields in place (ops->target) --- */

/* The first target named name, or -1. */
static long target_of(const ks_tf_t *tf, const char *name)
{
	const char *t;

	for (size_t i = 0; (t = tf->cls->ops->target(tf, i)); i++)
		if (!strcmp(t, name))
			return (long)i;
	return -1;
}

static ks_err_t fields_map(ks_tf_t *tf, const ks_record_t *rec, const ks_value_t *v, ks_arena_t *a,
                           ks_value_t **out, char *errstr, size_t errlen)
{
	const ks_tf_ops_t *ops = tf->cls->ops;
	size_t n = 0;
	ks_value_t *ov;
	ks_err_t err;
	int found;

	(void)rec;
	while (ops->target(tf, n))
		n++;
	if (!(ov = ks_tf_map_copy(a, v, n)))
		return KS_TF_OOM(errstr, errlen);
	for (size_t t = 0; t < n; t++) {
		size_t k = ks_tf_map_slot(ov, ops->target(tf, t), &found);
		/* Java puts the field even when absent (as null) */
		if ((err = ops->field_value(tf, t, NULL, k < v->u.st.n ? &v->u.st.fields[k] : NULL,
		                            a, &ov->u.st.fields[k], errstr, errlen)))
			return err;
	}
	*out = ov;
	return KS_OK;
}

static ks_err_t fields_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a, ks_schema_t **out,
                              char *errstr, size_t errlen)
{
	ks_schema_t *os = ks_tf_schema_basics(s, KS_TYPE_STRUCT), *fs;
	ks_err_t err = KS_OK;

	if (!os)
		return KS_TF_OOM(errstr, errlen);
	for (size_t i = 0; i < s->nfields; i++) {
		long t = target_of(tf, s->fields[i].name);
		if (t < 0) {
			fs = ks_schema_ref(s->fields[i].schema);
		} else if ((err = tf->cls->ops->field_schema(tf, (size_t)t, s->fields[i].schema, a,
		                                             &fs, errstr, errlen))) {
			ks_schema_unref(os);
			return err;
		}
		if (ks_schema_add_field(os, s->fields[i].name, fs)) {
			ks_schema_unref(os);
			return KS_TF_OOM(errstr, errlen);
		}
	}
	*out = os;
	return KS_OK;
}

static ks_err_t fields_value(ks_tf_t *tf, const ks_record_t *rec, const ks_schema_t *s,
                             const ks_value_t *v, const ks_schema_t *os, ks_value_t *ov,
                             ks_arena_t *a, char *errstr, size_t errlen)
{
	ks_err_t err;

	(void)rec, (void)os;
	for (size_t i = 0; i < s->nfields; i++) {
		long t = target_of(tf, s->fields[i].name);
		const ks_value_t *fv = ks_tf_get(s, v, s->fields[i].name, tf->rnwd);
		if (t < 0)
			ov->u.st.fields[i] = *fv;
		else if ((err = tf->cls->ops->field_value(tf, (size_t)t, s->fields[i].schema, fv, a,
		                                          &ov->u.st.fields[i], errstr, errlen)))
			return err;
	}
	return KS_OK;
}

ks_err_t ks_tf_apply_struct(ks_tf_t *tf, const ks_tf_ops_t *ops, ks_record_t *rec, ks_arena_t *a,
                            char *errstr, size_t errlen)
{
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec), *os = s;
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_value_t *ov = NULL;
	ks_err_t (*build)(ks_tf_t *, const ks_schema_t *, ks_arena_t *, ks_schema_t **, char *,
	                  size_t);
	ks_err_t err;

	if (v && v->is_null)
		v = NULL;
	if (!v && (!s || !ops->null_schema))
		return KS_OK; /* tombstones pass */
	if (ops->whole && ops->whole(tf)) {
		if (!(ov = ks_value_new(a, KS_TYPE_STRING)))
			return KS_TF_OOM(errstr, errlen);
		if ((err = ops->field_value(tf, 0, s, v, a, ov, errstr, errlen)))
			return err;
		if (s &&
		    (err = ks_tf_cached_schema(tf, s, a, ops->whole_schema, &os, errstr, errlen)))
			return err;
		ks_tf_put_result(tf, rec, s ? os : NULL, ov);
		return KS_OK;
	}
	if (!s) {
		if (!ks_tf_is_map(v))
			return ks_tf_need_map(s, v, ops->purpose, errstr, errlen);
		if ((err = (ops->target ? fields_map : ops->map)(tf, rec, v, a, &ov, errstr,
		                                                 errlen)))
			return err;
		ks_tf_put_result(tf, rec, NULL, ov);
		return KS_OK;
	}
	if (s->type != KS_TYPE_STRUCT || (v && v->type != KS_TYPE_STRUCT))
		return ks_tf_need_struct(s, v, ops->purpose, errstr, errlen);
	build = ops->target ? fields_schema : ops->schema;
	if (build && (err = ks_tf_cached_schema(tf, s, a, build, &os, errstr, errlen)))
		return err;
	if (v) {
		if (!(ov = ks_tf_struct_new(a, os->nfields, 0)))
			return KS_TF_OOM(errstr, errlen);
		if ((err = (ops->target ? fields_value : ops->value)(tf, rec, s, v, os, ov, a,
		                                                     errstr, errlen)))
			return err;
	}
	ks_tf_put_result(tf, rec, os, ov);
	return KS_OK;
}

ks_value_t *ks_tf_map_copy(ks_arena_t *a, const ks_value_t *v, size_t extra)
{
	size_t n = v->u.st.n;
	ks_value_t *m = ks_tf_struct_new(a, n + extra, 1);

	if (!m)
		return NULL;
	if (n) {
		memcpy(m->u.st.fields, v->u.st.fields, n * sizeof(ks_value_t));
		memcpy(m->u.st.names, v->u.st.names, n * sizeof(char *));
	}
	m->u.st.n = n;
	return m;
}

size_t ks_tf_map_slot(ks_value_t *m, const char *name, int *found)
{
	size_t k;

	for (k = 0; k < m->u.st.n && strcmp(m->u.st.names[k], name); k++)
		;
	*found = k < m->u.st.n;
	if (!*found) {
		m->u.st.names[k] = name;
		m->u.st.n++;
	}
	return k;
}

void ks_tf_copy_or_null(ks_value_t *dst, const ks_value_t *src, ks_type_t type)
{
	if (src) {
		*dst = *src;
	} else {
		memset(dst, 0, sizeof(*dst));
		dst->type = type;
		dst->is_null = 1;
	}
}

ks_err_t ks_tf_check_required(const ks_schema_t *fs, const ks_value_t *v, const char *name,
                              char *errstr, size_t errlen)
{
	if (!fs->optional && !fs->default_value && (!v || v->is_null))
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Invalid value: null used for required field: \"%s\", schema "
		                 "type: %s",
		                 name, ks_type_name(fs->type));
	return KS_OK;
}

int ks_tf_only_v1(const ks_config_t *cfg, const char **bad, char *errstr, size_t errlen)
{
	const char *v = ks_config_string(cfg, "field.syntax.version");

	if (v && ks_strcaseeq(v, "V2")) {
		*bad = "field.syntax.version";
		return ks_seterr(errstr, errlen, -1,
		                 "field.syntax.version=V2 is not supported by ksink for this "
		                 "transformation (only ExtractField)");
	}
	return 0;
}

int ks_tf_strlist_load(ks_tf_strlist_t *l, const ks_config_t *cfg, const char *key)
{
	const char *const *items;
	size_t n = ks_config_list(cfg, key, &items);

	l->n = 0;
	if (!(l->v = calloc(n ? n : 1, sizeof(char *))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(l->v[i] = ks_strdup(items[i])))
			return -1;
		l->n++;
	}
	return 0;
}

void ks_tf_strlist_free(ks_tf_strlist_t *l)
{
	ks_strv_free(l->v, l->n);
	l->v = NULL;
	l->n = 0;
}

int ks_tf_strlist_has(const ks_tf_strlist_t *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}
