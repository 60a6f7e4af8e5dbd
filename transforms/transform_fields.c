/*
 * transform_fields.c — the transforms that pick, move, rename or add
 * fields: ValueToKey, ExtractField, ReplaceField, InsertField ($Key and
 * $Value variants). HoistField, MaskField, SetSchemaMetadata and Flatten are
 * transform_shape.c; the per-record skeleton is transform_apply.c.
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

/* ---------------- ValueToKey ---------------- */

typedef struct v2k {
	ks_tf_strlist_t fields;
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
	v2k_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);

	if (!s)
		return -1;
	if (ks_tf_only_v1(cfg, bad, errstr, errlen))
		return -1;
	if (ks_tf_strlist_load(&s->fields, cfg, "fields"))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void v2k_destroy(ks_tf_t *tf)
{
	v2k_t *s = tf->state;
	ks_tf_strlist_free(&s->fields);
	free(s);
}

/* The key schema: the value schema vs's fields named in fields. */
static ks_err_t v2k_schema(ks_tf_t *tf, const ks_schema_t *vs, ks_arena_t *a, ks_schema_t **out,
                           char *errstr, size_t errlen)
{
	v2k_t *st = tf->state;
	ks_schema_t *ks = ks_schema_new(KS_TYPE_STRUCT);

	(void)a;
	if (!ks)
		return KS_TF_OOM(errstr, errlen);
	for (size_t i = 0; i < st->fields.n; i++) {
		const ks_field_t *f = ks_schema_field(vs, st->fields.v[i]);
		if (!f) {
			ks_schema_unref(ks);
			return ks_seterr(errstr, errlen, KS_ERR_RECORD, "Field does not exist: %s",
			                 st->fields.v[i]);
		}
		if (ks_tf_add_field_ref(ks, f->name, f->schema)) {
			ks_schema_unref(ks);
			return KS_TF_OOM(errstr, errlen);
		}
	}
	*out = ks;
	return KS_OK;
}

static ks_err_t v2k_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                          size_t errlen)
{
	static const char purpose[] = "copying fields from value to key";
	v2k_t *st = tf->state;
	const ks_schema_t *vs = rec->value_schema, *ks;
	const ks_value_t *v = rec->value;
	ks_value_t *key;
	ks_err_t err;

	(void)drop;
	if (!vs) {
		if (!ks_tf_is_map(v))
			return ks_tf_need_map(vs, v, purpose, errstr, errlen);
		if (!(key = ks_tf_struct_new(a, st->fields.n, 1)))
			return KS_TF_OOM(errstr, errlen);
		for (size_t i = 0; i < st->fields.n; i++) {
			key->u.st.names[i] = st->fields.v[i];
			ks_tf_copy_or_null(&key->u.st.fields[i],
			                   ks_tf_get(NULL, v, st->fields.v[i], 0), KS_TYPE_STRING);
		}
		rec->key_schema = NULL;
		rec->key = key;
		return KS_OK;
	}
	if (vs->type != KS_TYPE_STRUCT || !v || v->is_null || v->type != KS_TYPE_STRUCT)
		return ks_tf_need_struct(vs, v, purpose, errstr, errlen);
	if ((err = ks_tf_cached_schema(tf, vs, a, v2k_schema, &ks, errstr, errlen)))
		return err;
	if (!(key = ks_tf_struct_new(a, ks->nfields, 0)))
		return KS_TF_OOM(errstr, errlen);
	for (size_t i = 0; i < ks->nfields; i++)
		ks_tf_copy_or_null(&key->u.st.fields[i],
		                   ks_tf_get(vs, v, ks->fields[i].name, tf->rnwd),
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
	ks_strv_free(v, cnt);
	return -1;
}

static int extract_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                        size_t errlen)
{
	extract_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *f = ks_config_string(cfg, "field");
	const char *syn = ks_config_string(cfg, "field.syntax.version");

	(void)bad;
	if (!s)
		return -1;
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
	ks_strv_free(s->path, s->npath);
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
		ks_tf_put_result(tf, rec, NULL, (ks_value_t *)v);
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
			v = ks_tf_get(s, v, st->path[i], tf->rnwd);
			if (v && v->is_null)
				v = NULL;
		}
		s = f->schema;
	}
	ks_tf_put_result(tf, rec, s, (ks_value_t *)v);
	return KS_OK;
}

KS_TF_KEY_VALUE(ks_tf_extract_field, "org.apache.kafka.connect.transforms.ExtractField",
                .defs = extract_defs, .init = extract_init, .apply = extract_apply,
                .destroy = extract_destroy);

/* ---------------- ReplaceField ---------------- */

typedef struct replace {
	ks_tf_strlist_t exclude, include;
	ks_tf_strlist_t from, to; /* renames */
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
	replace_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	ks_tf_strlist_t renames = {0};

	if (!s)
		return -1;
	if (ks_tf_only_v1(cfg, bad, errstr, errlen))
		return -1;
	/* the deprecated names apply when the new ones are not given */
	if (ks_tf_strlist_load(&s->exclude, cfg,
	                       !ks_config_is_set(cfg, "exclude") &&
	                                       ks_config_is_set(cfg, "blacklist")
	                               ? "blacklist"
	                               : "exclude") ||
	    ks_tf_strlist_load(&s->include, cfg,
	                       !ks_config_is_set(cfg, "include") &&
	                                       ks_config_is_set(cfg, "whitelist")
	                               ? "whitelist"
	                               : "include") ||
	    ks_tf_strlist_load(&renames, cfg, "renames") ||
	    !(s->from.v = calloc(renames.n + 1, sizeof(char *))) ||
	    !(s->to.v = calloc(renames.n + 1, sizeof(char *)))) {
		ks_tf_strlist_free(&renames);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	for (size_t i = 0; i < renames.n; i++) {
		const char *r = renames.v[i], *colon = strchr(r, ':');
		if (!colon || strchr(colon + 1, ':')) {
			*bad = "renames";
			ks_seterr(errstr, errlen, -1, "Invalid rename mapping: %s", r);
			ks_tf_strlist_free(&renames);
			return -1;
		}
		s->from.v[i] = ks_strndup(r, (size_t)(colon - r));
		s->to.v[i] = ks_strdup(colon + 1);
		s->from.n = s->to.n = i + 1;
		if (!s->from.v[i] || !s->to.v[i]) {
			ks_tf_strlist_free(&renames);
			return ks_seterr(errstr, errlen, -1, "out of memory");
		}
	}
	ks_tf_strlist_free(&renames);
	return 0;
}

static void replace_destroy(ks_tf_t *tf)
{
	replace_t *s = tf->state;
	ks_tf_strlist_free(&s->exclude);
	ks_tf_strlist_free(&s->include);
	ks_tf_strlist_free(&s->from);
	ks_tf_strlist_free(&s->to);
	free(s);
}

static int replace_keep(const replace_t *s, const char *name)
{
	return !ks_tf_strlist_has(&s->exclude, name) &&
	       (!s->include.n || ks_tf_strlist_has(&s->include, name));
}

static const char *replace_name(const replace_t *s, const char *name)
{
	for (size_t i = 0; i < s->from.n; i++)
		if (!strcmp(s->from.v[i], name))
			return s->to.v[i];
	return name;
}

static ks_err_t replace_map(ks_tf_t *tf, const ks_record_t *rec, const ks_value_t *v, ks_arena_t *a,
                            ks_value_t **out, char *errstr, size_t errlen)
{
	replace_t *st = tf->state;
	ks_value_t *ov;
	size_t n = 0;

	(void)rec;
	for (size_t i = 0; i < v->u.st.n; i++)
		n += replace_keep(st, v->u.st.names[i]);
	if (!(ov = ks_tf_struct_new(a, n, 1)))
		return KS_TF_OOM(errstr, errlen);
	n = 0;
	for (size_t i = 0; i < v->u.st.n; i++)
		if (replace_keep(st, v->u.st.names[i])) {
			ov->u.st.names[n] = replace_name(st, v->u.st.names[i]);
			ov->u.st.fields[n++] = v->u.st.fields[i];
		}
	*out = ov;
	return KS_OK;
}

static ks_err_t replace_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a, ks_schema_t **out,
                               char *errstr, size_t errlen)
{
	replace_t *st = tf->state;
	ks_schema_t *os = ks_tf_schema_basics(s, KS_TYPE_STRUCT);
	ks_err_t err;

	(void)a;
	if (!os)
		return KS_TF_OOM(errstr, errlen);
	for (size_t i = 0; i < s->nfields; i++) {
		if (!replace_keep(st, s->fields[i].name))
			continue;
		if ((err = ks_tf_add_new_field(os, replace_name(st, s->fields[i].name),
		                               ks_schema_ref(s->fields[i].schema), errstr,
		                               errlen))) {
			ks_schema_unref(os);
			return err;
		}
	}
	*out = os;
	return KS_OK;
}

static ks_err_t replace_value(ks_tf_t *tf, const ks_record_t *rec, const ks_schema_t *s,
                              const ks_value_t *v, const ks_schema_t *os, ks_value_t *ov,
                              ks_arena_t *a, char *errstr, size_t errlen)
{
	replace_t *st = tf->state;
	size_t n = 0;

	(void)rec, (void)os, (void)a, (void)errstr, (void)errlen;
	for (size_t i = 0; i < s->nfields; i++)
		if (replace_keep(st, s->fields[i].name))
			ks_tf_copy_or_null(&ov->u.st.fields[n++],
			                   ks_tf_get(s, v, s->fields[i].name, tf->rnwd),
			                   s->fields[i].schema->type);
	return KS_OK;
}

static const ks_tf_ops_t replace_ops = {
        .purpose = "field replacement",
        .map = replace_map,
        .schema = replace_schema,
        .value = replace_value,
};

KS_TF_KEY_VALUE(ks_tf_replace_field, "org.apache.kafka.connect.transforms.ReplaceField",
                .defs = replace_defs, .init = replace_init, .ops = &replace_ops,
                .destroy = replace_destroy);

/* ---------------- InsertField ---------------- */

enum { INS_TOPIC, INS_PARTITION, INS_OFFSET, INS_TIMESTAMP, INS_STATIC, INS__N };

typedef struct insert {
	char *name[INS__N]; /* NULL = not inserted */
	int optional[INS__N];
	char *static_value;
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
	insert_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *sv = ks_config_string(cfg, "static.value");

	if (!s)
		return -1;
	if (ks_tf_only_v1(cfg, bad, errstr, errlen))
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

static ks_err_t insert_map(ks_tf_t *tf, const ks_record_t *rec, const ks_value_t *v, ks_arena_t *a,
                           ks_value_t **out, char *errstr, size_t errlen)
{
	insert_t *st = tf->state;
	ks_value_t *ov;
	int oom = 0, found;

	if (!(ov = ks_tf_map_copy(a, v, INS__N)))
		return KS_TF_OOM(errstr, errlen);
	for (int i = 0; i < INS__N; i++) {
		ks_value_t *iv;
		if (!st->name[i])
			continue;
		iv = insert_value(st, i, rec, a, &oom);
		if (oom)
			return KS_TF_OOM(errstr, errlen);
		/* Java skips a missing timestamp / static value in a map */
		if (!iv)
			continue;
		ov->u.st.fields[ks_tf_map_slot(ov, st->name[i], &found)] = *iv;
	}
	*out = ov;
	return KS_OK;
}

static ks_err_t insert_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a, ks_schema_t **out,
                              char *errstr, size_t errlen)
{
	insert_t *st = tf->state;
	ks_schema_t *os = ks_tf_schema_basics(s, KS_TYPE_STRUCT);
	ks_err_t err;

	(void)a;
	if (!os)
		return KS_TF_OOM(errstr, errlen);
	for (size_t i = 0; i < s->nfields; i++)
		if (ks_tf_add_field_ref(os, s->fields[i].name, s->fields[i].schema)) {
			ks_schema_unref(os);
			return KS_TF_OOM(errstr, errlen);
		}
	for (int i = 0; i < INS__N; i++) {
		ks_logical_t lg = i == INS_TIMESTAMP ? KS_LOGICAL_TIMESTAMP : KS_LOGICAL_NONE;
		if (!st->name[i])
			continue;
		if ((err = ks_tf_add_new_field(os, st->name[i],
		                               ks_tf_schema_prim(ins_types[i], lg, st->optional[i]),
		                               errstr, errlen))) {
			ks_schema_unref(os);
			return err;
		}
	}
	*out = os;
	return KS_OK;
}

static ks_err_t insert_struct(ks_tf_t *tf, const ks_record_t *rec, const ks_schema_t *s,
                              const ks_value_t *v, const ks_schema_t *os, ks_value_t *ov,
                              ks_arena_t *a, char *errstr, size_t errlen)
{
	insert_t *st = tf->state;
	size_t n = s->nfields;
	int oom = 0;

	for (size_t i = 0; i < s->nfields; i++)
		ks_tf_copy_or_null(&ov->u.st.fields[i],
		                   ks_tf_get(s, v, s->fields[i].name, tf->rnwd),
		                   s->fields[i].schema->type);
	for (int i = 0; i < INS__N; i++) {
		ks_value_t *iv;
		ks_err_t err;
		if (!st->name[i])
			continue;
		iv = insert_value(st, i, rec, a, &oom);
		if (oom)
			return KS_TF_OOM(errstr, errlen);
		if ((err = ks_tf_check_required(os->fields[n].schema, iv, st->name[i], errstr,
		                                errlen)))
			return err;
		ks_tf_copy_or_null(&ov->u.st.fields[n++], iv, ins_types[i]);
	}
	return KS_OK;
}

static const ks_tf_ops_t insert_ops = {
        .purpose = "field insertion",
        .map = insert_map,
        .schema = insert_schema,
        .value = insert_struct,
};

KS_TF_KEY_VALUE(ks_tf_insert_field, "org.apache.kafka.connect.transforms.InsertField",
                .defs = insert_defs, .init = insert_init, .ops = &insert_ops,
                .destroy = insert_destroy);
