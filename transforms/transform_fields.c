/*
 * transform_fields.c — the transforms that reshape a key or value:
 *   ValueToKey, ExtractField, ReplaceField, InsertField, HoistField,
 *   MaskField, SetSchemaMetadata, Flatten ($Key and $Value variants).
 *
 * With a schema the record is a STRUCT and the output schema is built once
 * per input schema (tf->cache); without one (JsonConverter with
 * schemas.enable=false) it is a map: a STRUCT value with field names, which
 * the output keeps. Behaviour and error texts follow Connect's classes of the
 * same name (org.apache.kafka.connect.transforms.*).
 */
#include "transform_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OOM(errstr, errlen) ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory")

/* V2 is only implemented by ExtractField; elsewhere it is refused rather
 * than silently read as V1. */
static int only_v1(const ks_config_t *cfg, const char **bad, char *errstr, size_t errlen)
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

/* A copy of a LIST setting. */
typedef struct strlist {
	char **v;
	size_t n;
} strlist_t;

static int strlist_load(strlist_t *l, const ks_config_t *cfg, const char *key)
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

static void strlist_free(strlist_t *l)
{
	for (size_t i = 0; l->v && i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int strlist_has(const strlist_t *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

/* Stores the transformed part; a null result is a null key / tombstone. */
static void put_result(const ks_tf_t *tf, ks_record_t *rec, const ks_schema_t *s, ks_value_t *v)
{
	*ks_tf_schema_slot(tf, rec) = s;
	*ks_tf_value_slot(tf, rec) = v && !v->is_null ? v : NULL;
}

static void set_null(ks_value_t *dst, ks_type_t type)
{
	memset(dst, 0, sizeof(*dst));
	dst->type = type;
	dst->is_null = 1;
}

/* Copies src (may be NULL = null) into dst. */
static void copy_or_null(ks_value_t *dst, const ks_value_t *src, ks_type_t type)
{
	if (src)
		*dst = *src;
	else
		set_null(dst, type);
}

/* Struct.put's check of a required field. */
static ks_err_t check_required(const ks_schema_t *fs, const ks_value_t *v, const char *name,
                               char *errstr, size_t errlen)
{
	if (!fs->optional && !fs->default_value && (!v || v->is_null))
		return ks_seterr(
		        errstr, errlen, KS_ERR_RECORD,
		        "Invalid value: null used for required field: \"%s\", schema type: "
		        "%s",
		        name, ks_type_name(fs->type));
	return KS_OK;
}

/* ---------------- ValueToKey ---------------- */

typedef struct v2k {
	strlist_t fields;
	int rnwd;
} v2k_t;

static const ks_cfg_def_t v2k_defs[] = {
        {.name = "fields",
         .type = KS_CFG_LIST,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_HIGH,
         .doc = "Field names on the record value to extract as the record key."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

static int v2k_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                    size_t errlen)
{
	v2k_t *s = calloc(1, sizeof(*s));

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
	s->rnwd = ks_config_bool(cfg, "replace.null.with.default");
	if (only_v1(cfg, bad, errstr, errlen))
		return -1;
	if (strlist_load(&s->fields, cfg, "fields"))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void v2k_destroy(ks_tf_t *tf)
{
	v2k_t *s = tf->state;
	strlist_free(&s->fields);
	free(s);
}

static ks_err_t v2k_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                          size_t errlen)
{
	static const char purpose[] = "copying fields from value to key";
	v2k_t *st = tf->state;
	const ks_schema_t *vs = rec->value_schema;
	const ks_value_t *v = rec->value;
	ks_schema_t *ks;
	ks_value_t *key;

	(void)drop;
	if (!vs) {
		if (!ks_tf_is_map(v))
			return ks_tf_need_map(vs, v, purpose, errstr, errlen);
		if (!(key = ks_tf_struct_new(a, st->fields.n, 1)))
			return OOM(errstr, errlen);
		for (size_t i = 0; i < st->fields.n; i++) {
			key->u.st.names[i] = st->fields.v[i];
			copy_or_null(&key->u.st.fields[i], ks_tf_get(NULL, v, st->fields.v[i], 0),
			             KS_TYPE_STRING);
		}
		rec->key_schema = NULL;
		rec->key = key;
		return KS_OK;
	}
	if (vs->type != KS_TYPE_STRUCT || !v || v->is_null || v->type != KS_TYPE_STRUCT)
		return ks_tf_need_struct(vs, v, purpose, errstr, errlen);
	if (!(ks = ks_tf_cache_get(&tf->cache, vs, NULL, 0))) {
		if (!(ks = ks_schema_new(KS_TYPE_STRUCT)))
			return OOM(errstr, errlen);
		for (size_t i = 0; i < st->fields.n; i++) {
			const ks_field_t *f = ks_schema_field(vs, st->fields.v[i]);
			if (!f) {
				ks_schema_unref(ks);
				return ks_seterr(errstr, errlen, KS_ERR_RECORD,
				                 "Field does not exist: %s", st->fields.v[i]);
			}
			if (ks_tf_add_field_ref(ks, f->name, f->schema)) {
				ks_schema_unref(ks);
				return OOM(errstr, errlen);
			}
		}
		if (!(ks = ks_tf_cache_put(&tf->cache, vs, NULL, 0, ks)))
			return OOM(errstr, errlen);
	}
	if (!(key = ks_tf_struct_new(a, ks->nfields, 0)))
		return OOM(errstr, errlen);
	for (size_t i = 0; i < ks->nfields; i++)
		copy_or_null(&key->u.st.fields[i], ks_tf_get(vs, v, ks->fields[i].name, st->rnwd),
		             ks->fields[i].schema->type);
	rec->key_schema = ks;
	rec->key = key;
	return KS_OK;
}

const ks_tf_class_t ks_tf_value_to_key = {
        .name = "org.apache.kafka.connect.transforms.ValueToKey",
        .defs = v2k_defs,
        .init = v2k_init,
        .apply = v2k_apply,
        .destroy = v2k_destroy,
};

/* ---------------- ExtractField ---------------- */

typedef struct extract {
	char *field; /* as configured, for messages */
	char **path; /* V1: the field name; V2: the dotted path's segments */
	size_t npath;
	int rnwd;
} extract_t;

static const ks_cfg_def_t extract_defs[] = {
        {.name = "field",
         .type = KS_CFG_STRING,
         .required = 1,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name to extract (V2: a dotted path; backticks quote a name that "
                "contains dots)."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

/* Splits a V2 path: dots separate names, `...` quotes one, \` a backtick. */
static int split_path(const char *s, char ***out, size_t *n)
{
	ks_buf_t seg = KS_BUF_INIT;
	char **v = NULL;
	size_t cnt = 0;
	int quoted = 0;

	for (const char *p = s;; p++) {
		if (*p == '\\' && p[1] == '`') {
			ks_buf_putc(&seg, '`');
			p++;
			continue;
		}
		if (*p == '`' && ((!quoted && (p == s || p[-1] == '.')) || quoted)) {
			quoted = !quoted;
			continue;
		}
		if (!*p || (*p == '.' && !quoted)) {
			char **nv = realloc(v, (cnt + 1) * sizeof(*nv));
			if (!nv)
				goto fail;
			v = nv;
			if (!(v[cnt] = ks_strndup(seg.data ? seg.data : "", seg.len)))
				goto fail;
			cnt++;
			ks_buf_reset(&seg);
			if (!*p)
				break;
			continue;
		}
		ks_buf_putc(&seg, *p);
	}
	ks_buf_free(&seg);
	*out = v;
	*n = cnt;
	return 0;
fail:
	ks_buf_free(&seg);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return -1;
}

static int extract_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                        size_t errlen)
{
	extract_t *s = calloc(1, sizeof(*s));
	const char *f = ks_config_string(cfg, "field");
	const char *syn = ks_config_string(cfg, "field.syntax.version");

	(void)bad;
	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
	s->rnwd = ks_config_bool(cfg, "replace.null.with.default");
	if (!(s->field = ks_strdup(f)))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (syn && ks_strcaseeq(syn, "V2")) {
		if (split_path(f, &s->path, &s->npath))
			return ks_seterr(errstr, errlen, -1, "out of memory");
	} else {
		if (!(s->path = calloc(1, sizeof(char *))) || !(s->path[0] = ks_strdup(f)))
			return ks_seterr(errstr, errlen, -1, "out of memory");
		s->npath = 1;
	}
	return 0;
}

static void extract_destroy(ks_tf_t *tf)
{
	extract_t *s = tf->state;
	for (size_t i = 0; s->path && i < s->npath; i++)
		free(s->path[i]);
	free(s->path);
	free(s->field);
	free(s);
}

static ks_err_t extract_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                              size_t errlen)
{
	static const char purpose[] = "field extraction";
	extract_t *st = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);

	(void)a, (void)drop;
	if (v && v->is_null)
		v = NULL;
	if (!s) {
		if (v && !ks_tf_is_map(v))
			return ks_tf_need_map(s, v, purpose, errstr, errlen);
		for (size_t i = 0; v && i < st->npath; i++) {
			v = ks_tf_is_map(v) ? ks_tf_get(NULL, v, st->path[i], 0) : NULL;
			if (v && v->is_null)
				v = NULL;
		}
		put_result(tf, rec, NULL, (ks_value_t *)v);
		return KS_OK;
	}
	if (v && (s->type != KS_TYPE_STRUCT || v->type != KS_TYPE_STRUCT))
		return ks_tf_need_struct(s, v, purpose, errstr, errlen);
	for (size_t i = 0; i < st->npath; i++) {
		const ks_field_t *f =
		        s->type == KS_TYPE_STRUCT ? ks_schema_field(s, st->path[i]) : NULL;
		if (!f)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD, "Unknown field: %s",
			                 st->field);
		if (v) {
			v = ks_tf_get(s, v, st->path[i], st->rnwd);
			if (v && v->is_null)
				v = NULL;
		}
		s = f->schema;
	}
	put_result(tf, rec, s, (ks_value_t *)v);
	return KS_OK;
}

const ks_tf_class_t ks_tf_extract_field_key = {
        .name = "org.apache.kafka.connect.transforms.ExtractField$Key",
        .defs = extract_defs,
        .key = KS_TF_KEY,
        .init = extract_init,
        .apply = extract_apply,
        .destroy = extract_destroy,
};

const ks_tf_class_t ks_tf_extract_field_value = {
        .name = "org.apache.kafka.connect.transforms.ExtractField$Value",
        .defs = extract_defs,
        .init = extract_init,
        .apply = extract_apply,
        .destroy = extract_destroy,
};

/* ---------------- ReplaceField ---------------- */

typedef struct replace {
	strlist_t exclude, include;
	strlist_t from, to; /* renames */
	int rnwd;
} replace_t;

static const ks_cfg_def_t replace_defs[] = {
        {.name = "exclude",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .doc = "Fields to exclude. This takes precedence over the fields to include."},
        {.name = "include",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .doc = "Fields to include. If specified, only these fields will be used."},
        {.name = "renames",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .doc = "Field rename mappings (foo:bar,abc:xyz)."},
        {.name = "blacklist",
         .type = KS_CFG_LIST,
         .importance = KS_IMP_LOW,
         .doc = "Deprecated. Use exclude instead."},
        {.name = "whitelist",
         .type = KS_CFG_LIST,
         .importance = KS_IMP_LOW,
         .doc = "Deprecated. Use include instead."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

static int replace_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                        size_t errlen)
{
	replace_t *s = calloc(1, sizeof(*s));
	strlist_t renames = {0};

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
	s->rnwd = ks_config_bool(cfg, "replace.null.with.default");
	if (only_v1(cfg, bad, errstr, errlen))
		return -1;
	/* the deprecated names apply when the new ones are not given */
	if (strlist_load(&s->exclude, cfg,
	                 !ks_config_is_set(cfg, "exclude") && ks_config_is_set(cfg, "blacklist")
	                         ? "blacklist"
	                         : "exclude") ||
	    strlist_load(&s->include, cfg,
	                 !ks_config_is_set(cfg, "include") && ks_config_is_set(cfg, "whitelist")
	                         ? "whitelist"
	                         : "include") ||
	    strlist_load(&renames, cfg, "renames") ||
	    !(s->from.v = calloc(renames.n + 1, sizeof(char *))) ||
	    !(s->to.v = calloc(renames.n + 1, sizeof(char *)))) {
		strlist_free(&renames);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	for (size_t i = 0; i < renames.n; i++) {
		const char *r = renames.v[i], *colon = strchr(r, ':');
		if (!colon || strchr(colon + 1, ':')) {
			*bad = "renames";
			ks_seterr(errstr, errlen, -1, "Invalid rename mapping: %s", r);
			strlist_free(&renames);
			return -1;
		}
		s->from.v[i] = ks_strndup(r, (size_t)(colon - r));
		s->to.v[i] = ks_strdup(colon + 1);
		s->from.n = s->to.n = i + 1;
		if (!s->from.v[i] || !s->to.v[i]) {
			strlist_free(&renames);
			return ks_seterr(errstr, errlen, -1, "out of memory");
		}
	}
	strlist_free(&renames);
	return 0;
}

static void replace_destroy(ks_tf_t *tf)
{
	replace_t *s = tf->state;
	strlist_free(&s->exclude);
	strlist_free(&s->include);
	strlist_free(&s->from);
	strlist_free(&s->to);
	free(s);
}

static int replace_keep(const replace_t *s, const char *name)
{
	return !strlist_has(&s->exclude, name) && (!s->include.n || strlist_has(&s->include, name));
}

static const char *replace_name(const replace_t *s, const char *name)
{
	for (size_t i = 0; i < s->from.n; i++)
		if (!strcmp(s->from.v[i], name))
			return s->to.v[i];
	return name;
}

static ks_err_t replace_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                              size_t errlen)
{
	static const char purpose[] = "field replacement";
	replace_t *st = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_schema_t *os;
	ks_value_t *ov;
	size_t n = 0;

	(void)drop;
	if (!v || v->is_null)
		return KS_OK; /* tombstones pass */
	if (!s) {
		if (!ks_tf_is_map(v))
			return ks_tf_need_map(s, v, purpose, errstr, errlen);
		for (size_t i = 0; i < v->u.st.n; i++)
			n += replace_keep(st, v->u.st.names[i]);
		if (!(ov = ks_tf_struct_new(a, n, 1)))
			return OOM(errstr, errlen);
		n = 0;
		for (size_t i = 0; i < v->u.st.n; i++)
			if (replace_keep(st, v->u.st.names[i])) {
				ov->u.st.names[n] = replace_name(st, v->u.st.names[i]);
				ov->u.st.fields[n++] = v->u.st.fields[i];
			}
		put_result(tf, rec, NULL, ov);
		return KS_OK;
	}
	if (s->type != KS_TYPE_STRUCT || v->type != KS_TYPE_STRUCT)
		return ks_tf_need_struct(s, v, purpose, errstr, errlen);
	if (!(os = ks_tf_cache_get(&tf->cache, s, NULL, 0))) {
		if (!(os = ks_tf_schema_basics(s, KS_TYPE_STRUCT)))
			return OOM(errstr, errlen);
		for (size_t i = 0; i < s->nfields; i++) {
			const char *to = replace_name(st, s->fields[i].name);
			if (!replace_keep(st, s->fields[i].name))
				continue;
			if (ks_schema_field(os, to)) {
				ks_schema_unref(os);
				return ks_seterr(errstr, errlen, KS_ERR_RECORD,
				                 "Cannot create field because of field name "
				                 "duplication %s",
				                 to);
			}
			if (ks_tf_add_field_ref(os, to, s->fields[i].schema)) {
				ks_schema_unref(os);
				return OOM(errstr, errlen);
			}
		}
		if (!(os = ks_tf_cache_put(&tf->cache, s, NULL, 0, os)))
			return OOM(errstr, errlen);
	}
	if (!(ov = ks_tf_struct_new(a, os->nfields, 0)))
		return OOM(errstr, errlen);
	for (size_t i = 0; i < s->nfields; i++)
		if (replace_keep(st, s->fields[i].name))
			copy_or_null(&ov->u.st.fields[n++],
			             ks_tf_get(s, v, s->fields[i].name, st->rnwd),
			             s->fields[i].schema->type);
	put_result(tf, rec, os, ov);
	return KS_OK;
}

const ks_tf_class_t ks_tf_replace_field_key = {
        .name = "org.apache.kafka.connect.transforms.ReplaceField$Key",
        .defs = replace_defs,
        .key = KS_TF_KEY,
        .init = replace_init,
        .apply = replace_apply,
        .destroy = replace_destroy,
};

const ks_tf_class_t ks_tf_replace_field_value = {
        .name = "org.apache.kafka.connect.transforms.ReplaceField$Value",
        .defs = replace_defs,
        .init = replace_init,
        .apply = replace_apply,
        .destroy = replace_destroy,
};

/* ---------------- InsertField ---------------- */

enum { INS_TOPIC, INS_PARTITION, INS_OFFSET, INS_TIMESTAMP, INS_STATIC, INS__N };

typedef struct insert {
	char *name[INS__N]; /* NULL = not inserted */
	int optional[INS__N];
	char *static_value;
	int rnwd;
} insert_t;

static const char *const ins_keys[INS__N] = {"topic.field", "partition.field", "offset.field",
                                             "timestamp.field", "static.field"};

static const ks_cfg_def_t insert_defs[] = {
        {.name = "topic.field",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name for Kafka topic. Suffix with ! to make this a required field, or ? "
                "to keep it optional (the default)."},
        {.name = "partition.field",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name for Kafka partition. Suffix with ! to make this a required field, "
                "or ? to keep it optional (the default)."},
        {.name = "offset.field",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name for Kafka offset. Suffix with ! to make this a required field, or "
                "? to keep it optional (the default)."},
        {.name = "timestamp.field",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name for record timestamp. Suffix with ! to make this a required field, "
                "or ? to keep it optional (the default)."},
        {.name = "static.field",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Field name for static data field. Suffix with ! to make this a required "
                "field, or ? to keep it optional (the default)."},
        {.name = "static.value",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Static field value, if field name configured."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

static int insert_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                       size_t errlen)
{
	insert_t *s = calloc(1, sizeof(*s));
	const char *sv = ks_config_string(cfg, "static.value");

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
	s->rnwd = ks_config_bool(cfg, "replace.null.with.default");
	if (only_v1(cfg, bad, errstr, errlen))
		return -1;
	for (int i = 0; i < INS__N; i++) {
		const char *spec = ks_config_string(cfg, ins_keys[i]);
		size_t len;
		if (!spec || !*spec)
			continue;
		len = strlen(spec);
		s->optional[i] = spec[len - 1] != '!';
		if (spec[len - 1] == '!' || spec[len - 1] == '?')
			len--;
		if (!(s->name[i] = ks_strndup(spec, len)))
			return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	if (sv && !(s->static_value = ks_strdup(sv)))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void insert_destroy(ks_tf_t *tf)
{
	insert_t *s = tf->state;
	for (int i = 0; i < INS__N; i++)
		free(s->name[i]);
	free(s->static_value);
	free(s);
}

/* The inserted field's value (NULL = null). */
static ks_value_t *insert_value(const insert_t *st, int which, const ks_record_t *rec,
                                ks_arena_t *a, int *oom)
{
	ks_value_t *v = NULL;

	switch (which) {
	case INS_TOPIC:
		v = ks_tf_str(a, rec->topic, strlen(rec->topic));
		break;
	case INS_PARTITION:
		v = ks_tf_int(a, KS_TYPE_INT32, rec->partition);
		break;
	case INS_OFFSET:
		v = ks_tf_int(a, KS_TYPE_INT64, rec->offset);
		break;
	case INS_TIMESTAMP:
		if (rec->timestamp < 0)
			return NULL;
		v = ks_tf_int(a, KS_TYPE_INT64, rec->timestamp);
		break;
	default:
		if (!st->static_value)
			return NULL;
		v = ks_tf_str(a, st->static_value, strlen(st->static_value));
	}
	if (!v)
		*oom = 1;
	return v;
}

static const ks_type_t ins_types[INS__N] = {KS_TYPE_STRING, KS_TYPE_INT32, KS_TYPE_INT64,
                                            KS_TYPE_INT64, KS_TYPE_STRING};

static ks_err_t insert_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                             size_t errlen)
{
	static const char purpose[] = "field insertion";
	insert_t *st = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_schema_t *os;
	ks_value_t *ov;
	size_t n;
	int oom = 0;

	(void)drop;
	if (!v || v->is_null)
		return KS_OK; /* tombstones pass */
	if (!s) {
		size_t extra = 0, k;
		if (!ks_tf_is_map(v))
			return ks_tf_need_map(s, v, purpose, errstr, errlen);
		for (int i = 0; i < INS__N; i++)
			extra += st->name[i] != NULL;
		if (!(ov = ks_tf_struct_new(a, v->u.st.n + extra, 1)))
			return OOM(errstr, errlen);
		memcpy(ov->u.st.fields, v->u.st.fields, v->u.st.n * sizeof(ks_value_t));
		memcpy(ov->u.st.names, v->u.st.names, v->u.st.n * sizeof(char *));
		n = v->u.st.n;
		for (int i = 0; i < INS__N; i++) {
			ks_value_t *iv;
			if (!st->name[i])
				continue;
			iv = insert_value(st, i, rec, a, &oom);
			if (oom)
				return OOM(errstr, errlen);
			/* Java skips a missing timestamp / static value in a map */
			if (!iv)
				continue;
			for (k = 0; k < n && strcmp(ov->u.st.names[k], st->name[i]); k++)
				;
			ov->u.st.names[k] = st->name[i];
			ov->u.st.fields[k] = *iv;
			if (k == n)
				n++;
		}
		ov->u.st.n = n;
		put_result(tf, rec, NULL, ov);
		return KS_OK;
	}
	if (s->type != KS_TYPE_STRUCT || v->type != KS_TYPE_STRUCT)
		return ks_tf_need_struct(s, v, purpose, errstr, errlen);
	if (!(os = ks_tf_cache_get(&tf->cache, s, NULL, 0))) {
		if (!(os = ks_tf_schema_basics(s, KS_TYPE_STRUCT)))
			return OOM(errstr, errlen);
		for (size_t i = 0; i < s->nfields; i++)
			if (ks_tf_add_field_ref(os, s->fields[i].name, s->fields[i].schema)) {
				ks_schema_unref(os);
				return OOM(errstr, errlen);
			}
		for (int i = 0; i < INS__N; i++) {
			ks_schema_t *fs;
			if (!st->name[i])
				continue;
			if (ks_schema_field(os, st->name[i])) {
				ks_schema_unref(os);
				return ks_seterr(errstr, errlen, KS_ERR_RECORD,
				                 "Cannot create field because of field name "
				                 "duplication %s",
				                 st->name[i]);
			}
			fs = ks_tf_schema_prim(ins_types[i],
			                       i == INS_TIMESTAMP ? KS_LOGICAL_TIMESTAMP
			                                          : KS_LOGICAL_NONE,
			                       st->optional[i]);
			if (!fs || ks_schema_add_field(os, st->name[i], fs)) {
				ks_schema_unref(os);
				return OOM(errstr, errlen);
			}
		}
		if (!(os = ks_tf_cache_put(&tf->cache, s, NULL, 0, os)))
			return OOM(errstr, errlen);
	}
	if (!(ov = ks_tf_struct_new(a, os->nfields, 0)))
		return OOM(errstr, errlen);
	for (size_t i = 0; i < s->nfields; i++)
		copy_or_null(&ov->u.st.fields[i], ks_tf_get(s, v, s->fields[i].name, st->rnwd),
		             s->fields[i].schema->type);
	n = s->nfields;
	for (int i = 0; i < INS__N; i++) {
		ks_value_t *iv;
		ks_err_t err;
		if (!st->name[i])
			continue;
		iv = insert_value(st, i, rec, a, &oom);
		if (oom)
			return OOM(errstr, errlen);
		if ((err = check_required(os->fields[n].schema, iv, st->name[i], errstr, errlen)))
			return err;
		copy_or_null(&ov->u.st.fields[n++], iv, ins_types[i]);
	}
	put_result(tf, rec, os, ov);
	return KS_OK;
}

const ks_tf_class_t ks_tf_insert_field_key = {
        .name = "org.apache.kafka.connect.transforms.InsertField$Key",
        .defs = insert_defs,
        .key = KS_TF_KEY,
        .init = insert_init,
        .apply = insert_apply,
        .destroy = insert_destroy,
};

const ks_tf_class_t ks_tf_insert_field_value = {
        .name = "org.apache.kafka.connect.transforms.InsertField$Value",
        .defs = insert_defs,
        .init = insert_init,
        .apply = insert_apply,
        .destroy = insert_destroy,
};

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
	if (!(tf->state = ks_strdup(ks_config_string(cfg, "field"))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void free_state(ks_tf_t *tf)
{
	free(tf->state);
}

static ks_err_t hoist_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                            size_t errlen)
{
	const char *field = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_schema_t *os;
	ks_value_t *ov;
	ks_err_t err;

	(void)drop;
	if (!s) {
		if (!(ov = ks_tf_struct_new(a, 1, 1)))
			return OOM(errstr, errlen);
		ov->u.st.names[0] = field;
		copy_or_null(&ov->u.st.fields[0], v, KS_TYPE_STRING);
		put_result(tf, rec, NULL, ov);
		return KS_OK;
	}
	if ((err = check_required(s, v, field, errstr, errlen)))
		return err;
	if (!(os = ks_tf_cache_get(&tf->cache, s, NULL, 0))) {
		if (!(os = ks_schema_new(KS_TYPE_STRUCT)))
			return OOM(errstr, errlen);
		if (ks_tf_add_field_ref(os, field, s) ||
		    !(os = ks_tf_cache_put(&tf->cache, s, NULL, 0, os)))
			return OOM(errstr, errlen);
	}
	if (!(ov = ks_tf_struct_new(a, 1, 0)))
		return OOM(errstr, errlen);
	copy_or_null(&ov->u.st.fields[0], v, s->type);
	put_result(tf, rec, os, ov);
	return KS_OK;
}

const ks_tf_class_t ks_tf_hoist_field_key = {
        .name = "org.apache.kafka.connect.transforms.HoistField$Key",
        .defs = hoist_defs,
        .key = KS_TF_KEY,
        .init = hoist_init,
        .apply = hoist_apply,
        .destroy = free_state,
};

const ks_tf_class_t ks_tf_hoist_field_value = {
        .name = "org.apache.kafka.connect.transforms.HoistField$Value",
        .defs = hoist_defs,
        .init = hoist_init,
        .apply = hoist_apply,
        .destroy = free_state,
};

/* ---------------- MaskField ---------------- */

typedef struct mask {
	strlist_t fields;
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
	mask_t *s = calloc(1, sizeof(*s));
	const char *r = ks_config_string(cfg, "replacement");

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
	if (only_v1(cfg, bad, errstr, errlen))
		return -1;
	if (strlist_load(&s->fields, cfg, "fields") || (r && !(s->replacement = ks_strdup(r))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void mask_destroy(ks_tf_t *tf)
{
	mask_t *s = tf->state;
	strlist_free(&s->fields);
	free(s->replacement);
	free(s);
}

/* Decimal text -> unscaled big-endian two's complement at scale (arena). */
static int decimal_from_text(const char *txt, int scale, ks_arena_t *a, ks_value_t *out)
{
	__int128 u = 0;
	int neg = 0, frac = -1, digits = 0;
	unsigned char be[16];
	size_t n = 16;
	char *p;

	if (*txt == '-' || *txt == '+')
		neg = *txt++ == '-';
	for (; *txt; txt++) {
		if (*txt == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*txt < '0' || *txt > '9' || ++digits > 36)
			return -1;
		if (frac >= 0 && ++frac > scale)
			return -1;
		u = u * 10 + (*txt - '0');
	}
	if (!digits)
		return -1;
	for (int i = frac < 0 ? 0 : frac; i < scale; i++)
		u *= 10;
	if (neg)
		u = -u;
	for (int i = 15; i >= 0; i--, u >>= 8)
		be[i] = (unsigned char)(u & 0xff);
	while (n > 1 && ((be[16 - n] == 0 && !(be[17 - n] & 0x80)) ||
	                 (be[16 - n] == 0xff && (be[17 - n] & 0x80))))
		n--;
	if (!(p = ks_arena_memdup(a, be + 16 - n, n)))
		return -2;
	out->type = KS_TYPE_BYTES;
	out->is_null = 0;
	out->u.s.ptr = p;
	out->u.s.len = n;
	return 0;
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
		int rc = decimal_from_text(r ? r : "0", fs->scale, a, out);
		if (rc == -2)
			return OOM(errstr, errlen);
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

static ks_err_t mask_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                           size_t errlen)
{
	static const char purpose[] = "mask fields";
	mask_t *st = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_value_t *ov;
	ks_err_t err;

	(void)drop;
	if (!v || v->is_null)
		return KS_OK;
	if (!s ? !ks_tf_is_map(v) : s->type != KS_TYPE_STRUCT || v->type != KS_TYPE_STRUCT)
		return !s ? ks_tf_need_map(s, v, purpose, errstr, errlen)
		          : ks_tf_need_struct(s, v, purpose, errstr, errlen);
	if (!(ov = ks_tf_struct_new(a, v->u.st.n, !s)))
		return OOM(errstr, errlen);
	for (size_t i = 0; i < v->u.st.n; i++) {
		const char *name = s ? s->fields[i].name : v->u.st.names[i];
		ov->u.st.fields[i] = v->u.st.fields[i];
		if (!s)
			ov->u.st.names[i] = name;
		if (strlist_has(&st->fields, name) &&
		    (err = mask_value(st, s ? s->fields[i].schema : NULL, &v->u.st.fields[i], a,
		                      &ov->u.st.fields[i], errstr, errlen)))
			return err;
	}
	put_result(tf, rec, s, ov);
	return KS_OK;
}

const ks_tf_class_t ks_tf_mask_field_key = {
        .name = "org.apache.kafka.connect.transforms.MaskField$Key",
        .defs = mask_defs,
        .key = KS_TF_KEY,
        .init = mask_init,
        .apply = mask_apply,
        .destroy = mask_destroy,
};

const ks_tf_class_t ks_tf_mask_field_value = {
        .name = "org.apache.kafka.connect.transforms.MaskField$Value",
        .defs = mask_defs,
        .init = mask_init,
        .apply = mask_apply,
        .destroy = mask_destroy,
};

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
	setmeta_t *s = calloc(1, sizeof(*s));
	const char *n = ks_config_string(cfg, "schema.name");

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
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

static ks_err_t setmeta_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                              size_t errlen)
{
	setmeta_t *st = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	ks_schema_t *os;

	(void)a, (void)drop;
	if (!s)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Schema required for [updating schema metadata]");
	if (!(os = ks_tf_cache_get(&tf->cache, s, NULL, 0))) {
		if (!(os = ks_tf_schema_copy(s)))
			return OOM(errstr, errlen);
		if ((st->name && ks_schema_set_name(os, st->name)) ||
		    !(os = ks_tf_cache_put(&tf->cache, s, NULL, 0, os)))
			return OOM(errstr, errlen);
		if (st->has_version)
			os->version = st->version;
	}
	*ks_tf_schema_slot(tf, rec) = os;
	return KS_OK;
}

const ks_tf_class_t ks_tf_set_schema_key = {
        .name = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
        .defs = setmeta_defs,
        .key = KS_TF_KEY,
        .init = setmeta_init,
        .apply = setmeta_apply,
        .destroy = setmeta_destroy,
};

const ks_tf_class_t ks_tf_set_schema_value = {
        .name = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
        .defs = setmeta_defs,
        .init = setmeta_init,
        .apply = setmeta_apply,
        .destroy = setmeta_destroy,
};

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
	if (!(tf->state = ks_strdup(ks_config_string(cfg, "delimiter"))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
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
		ks_schema_t *ns;

		if (!name) {
			err = OOM(errstr, errlen);
			break;
		}
		if (fs->type == KS_TYPE_STRUCT) {
			if (!(copy = ks_strdup(name))) {
				err = OOM(errstr, errlen);
				break;
			}
			err = flatten_schema(os, fs, copy, delim, fopt, errstr, errlen);
			free(copy);
			continue;
		}
		if (ks_schema_field(os, name)) {
			err = ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                "Cannot create field because of field name duplication %s",
			                name);
			break;
		}
		if (!(ns = ks_tf_schema_optional(fs, fopt)) || ks_schema_add_field(os, name, ns))
			err = OOM(errstr, errlen);
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
		copy_or_null(&out->u.st.fields[(*n)++], fv, fs->type);
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
			err = OOM(errstr, errlen);
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

static ks_err_t flatten_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                              size_t errlen)
{
	static const char purpose[] = "flattening";
	const char *delim = tf->state;
	const ks_schema_t *s = *ks_tf_schema_slot(tf, rec);
	const ks_value_t *v = *ks_tf_value_slot(tf, rec);
	ks_schema_t *os;
	ks_value_t *ov;
	ks_err_t err;
	size_t n = 0;

	(void)drop;
	if (v && v->is_null)
		v = NULL;
	if (!s) {
		if (!v)
			return KS_OK;
		if (!ks_tf_is_map(v))
			return ks_tf_need_map(s, v, purpose, errstr, errlen);
		if ((err = flatten_map(v, "", delim, NULL, &n, a, errstr, errlen)))
			return err;
		if (!(ov = ks_tf_struct_new(a, n, 1)))
			return OOM(errstr, errlen);
		n = 0;
		if ((err = flatten_map(v, "", delim, ov, &n, a, errstr, errlen)))
			return err;
		put_result(tf, rec, NULL, ov);
		return KS_OK;
	}
	if (s->type != KS_TYPE_STRUCT || (v && v->type != KS_TYPE_STRUCT))
		return ks_tf_need_struct(s, v, purpose, errstr, errlen);
	if (!(os = ks_tf_cache_get(&tf->cache, s, NULL, 0))) {
		if (!(os = ks_tf_schema_basics(s, KS_TYPE_STRUCT)))
			return OOM(errstr, errlen);
		if ((err = flatten_schema(os, s, "", delim, s->optional, errstr, errlen))) {
			ks_schema_unref(os);
			return err;
		}
		if (!(os = ks_tf_cache_put(&tf->cache, s, NULL, 0, os)))
			return OOM(errstr, errlen);
	}
	if (!v) {
		put_result(tf, rec, os, NULL);
		return KS_OK;
	}
	if (!(ov = ks_tf_struct_new(a, os->nfields, 0)))
		return OOM(errstr, errlen);
	flatten_value(s, v, ov, &n);
	put_result(tf, rec, os, ov);
	return KS_OK;
}

const ks_tf_class_t ks_tf_flatten_key = {
        .name = "org.apache.kafka.connect.transforms.Flatten$Key",
        .defs = flatten_defs,
        .key = KS_TF_KEY,
        .init = flatten_init,
        .apply = flatten_apply,
        .destroy = free_state,
};

const ks_tf_class_t ks_tf_flatten_value = {
        .name = "org.apache.kafka.connect.transforms.Flatten$Value",
        .defs = flatten_defs,
        .init = flatten_init,
        .apply = flatten_apply,
        .destroy = free_state,
};
