/*
 * record.c — schema construction, reference counting and value helpers for
 * the record model (see record.h).
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_names[KS_TYPE__COUNT] = {
        "int8",    "int16",  "int32", "int64", "float32", "float64",
        "boolean", "string", "bytes", "array", "map",     "struct",
};

const char *ks_type_name(ks_type_t t)
{
	return (unsigned)t < KS_TYPE__COUNT ? type_names[t] : "?";
}

int ks_type_parse(const char *name)
{
	for (int i = 0; i < KS_TYPE__COUNT; i++)
		if (ks_strcaseeq(name, type_names[i]))
			return i;
	return -1;
}

ks_schema_t *ks_schema_new(ks_type_t type)
{
	ks_schema_t *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->precision = -1;
	s->refcnt = 1;
	return s;
}

ks_schema_t *ks_schema_ref(ks_schema_t *s)
{
	if (s)
		__atomic_add_fetch(&s->refcnt, 1, __ATOMIC_RELAXED);
	return s;
}

static void value_free_heap(ks_value_t *v, int self);

void ks_schema_unref(ks_schema_t *s)
{
	if (!s || __atomic_sub_fetch(&s->refcnt, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(s->name);
	free(s->doc);
	for (size_t i = 0; i < s->nparams; i++) {
		free(s->params[i].key);
		free(s->params[i].value);
	}
	free(s->params);
	for (size_t i = 0; i < s->nfields; i++) {
		free(s->fields[i].name);
		ks_schema_unref(s->fields[i].schema);
	}
	free(s->fields);
	ks_schema_unref(s->key_schema);
	ks_schema_unref(s->value_schema);
	if (s->default_value)
		value_free_heap(s->default_value, 1);
	free(s);
}

static int set_str(char **dst, const char *src)
{
	char *d = src ? strdup(src) : NULL;

	if (src && !d)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

int ks_schema_set_name(ks_schema_t *s, const char *name)
{
	return set_str(&s->name, name);
}

int ks_schema_set_doc(ks_schema_t *s, const char *doc)
{
	return set_str(&s->doc, doc);
}

int ks_schema_add_param(ks_schema_t *s, const char *key, const char *value)
{
	ks_param_t *p = realloc(s->params, (s->nparams + 1) * sizeof(*p));

	if (!p)
		return -1;
	s->params = p;
	p[s->nparams].key = strdup(key);
	p[s->nparams].value = strdup(value);
	if (!p[s->nparams].key || !p[s->nparams].value) {
		free(p[s->nparams].key);
		free(p[s->nparams].value);
		return -1;
	}
	s->nparams++;
	return 0;
}

const char *ks_schema_param(const ks_schema_t *s, const char *key)
{
	for (size_t i = 0; i < s->nparams; i++)
		if (!strcmp(s->params[i].key, key))
			return s->params[i].value;
	return NULL;
}

int ks_schema_add_field(ks_schema_t *s, const char *name, ks_schema_t *fs)
{
	ks_field_t *f = realloc(s->fields, (s->nfields + 1) * sizeof(*f));

	if (!f) {
		ks_schema_unref(fs);
		return -1;
	}
	s->fields = f;
	f[s->nfields].name = strdup(name);
	if (!f[s->nfields].name) {
		ks_schema_unref(fs);
		return -1;
	}
	f[s->nfields].index = (int)s->nfields;
	f[s->nfields].schema = fs;
	s->nfields++;
	return 0;
}

const ks_field_t *ks_schema_field(const ks_schema_t *s, const char *name)
{
	for (size_t i = 0; s && i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, name))
			return &s->fields[i];
	return NULL;
}

ks_schema_t *ks_schema_decimal(int precision, int scale)
{
	ks_schema_t *s = ks_schema_new(KS_TYPE_BYTES);
	char buf[32];

	if (!s)
		return NULL;
	s->logical = KS_LOGICAL_DECIMAL;
	s->precision = precision;
	s->scale = scale;
	snprintf(buf, sizeof(buf), "%d", scale);
	if (ks_schema_set_name(s, KS_DECIMAL_NAME) || ks_schema_add_param(s, "scale", buf))
		goto fail;
	if (precision > 0) {
		snprintf(buf, sizeof(buf), "%d", precision);
		if (ks_schema_add_param(s, "connect.decimal.precision", buf))
			goto fail;
	}
	return s;
fail:
	ks_schema_unref(s);
	return NULL;
}

/* Connect's logical types: the name and the type it annotates. */
static const struct {
	ks_logical_t logical;
	ks_type_t type;
	const char *name;
} logical_names[] = {
        {KS_LOGICAL_DECIMAL, KS_TYPE_BYTES, KS_DECIMAL_NAME},
        {KS_LOGICAL_DATE, KS_TYPE_INT32, KS_DATE_NAME},
        {KS_LOGICAL_TIME, KS_TYPE_INT32, KS_TIME_NAME},
        {KS_LOGICAL_TIMESTAMP, KS_TYPE_INT64, KS_TIMESTAMP_NAME},
        {KS_LOGICAL_TIME_MICROS, KS_TYPE_INT64, KS_TIME_MICROS_NAME},
        {KS_LOGICAL_TIMESTAMP_MICROS, KS_TYPE_INT64, KS_TIMESTAMP_MICROS_NAME},
        {KS_LOGICAL_UUID, KS_TYPE_STRING, KS_UUID_NAME},
};

ks_schema_t *ks_schema_logical(ks_logical_t logical)
{
	ks_schema_t *s;

	for (size_t i = 0; i < KS_ARRAY_SIZE(logical_names); i++) {
		if (logical_names[i].logical != logical || logical == KS_LOGICAL_DECIMAL)
			continue;
		if (!(s = ks_schema_new(logical_names[i].type)))
			return NULL;
		s->logical = logical;
		if (ks_schema_set_name(s, logical_names[i].name)) {
			ks_schema_unref(s);
			return NULL;
		}
		return s;
	}
	return NULL;
}

int ks_is_logical_name(const char *name)
{
	for (size_t i = 0; name && i < KS_ARRAY_SIZE(logical_names); i++)
		if (!strcmp(name, logical_names[i].name))
			return 1;
	return 0;
}

void ks_schema_logical_from_name(ks_schema_t *s)
{
	for (size_t i = 0; s->name && i < KS_ARRAY_SIZE(logical_names); i++) {
		if (strcmp(s->name, logical_names[i].name) || s->type != logical_names[i].type)
			continue;
		s->logical = logical_names[i].logical;
		if (s->logical == KS_LOGICAL_DECIMAL) {
			const char *sc = ks_schema_param(s, "scale");
			const char *pr = ks_schema_param(s, "connect.decimal.precision");
			s->scale = sc ? atoi(sc) : 0;
			s->precision = pr ? atoi(pr) : -1;
		}
		return;
	}
}

/* Heap deep copy of a value (for schema defaults). */
static int value_copy_heap(ks_value_t *dst, const ks_value_t *src)
{
	*dst = *src;
	switch (src->is_null ? KS_TYPE_INT8 : src->type) {
	case KS_TYPE_STRING:
	case KS_TYPE_BYTES: {
		char *p = malloc(src->u.s.len + 1);
		if (!p)
			return -1;
		memcpy(p, src->u.s.ptr, src->u.s.len);
		p[src->u.s.len] = '\0';
		dst->u.s.ptr = p;
		return 0;
	}
	case KS_TYPE_ARRAY:
	case KS_TYPE_MAP:
	case KS_TYPE_STRUCT: {
		size_t n = src->type == KS_TYPE_ARRAY ? src->u.arr.n
		           : src->type == KS_TYPE_MAP ? src->u.map.n
		                                      : src->u.st.n;
		const ks_value_t *a = src->type == KS_TYPE_ARRAY ? src->u.arr.items
		                      : src->type == KS_TYPE_MAP ? src->u.map.vals
		                                                 : src->u.st.fields;
		ks_value_t *c = calloc(n ? n : 1, sizeof(*c));
		ks_value_t *k = NULL;
		if (!c)
			return -1;
		if (src->type == KS_TYPE_MAP && !(k = calloc(n ? n : 1, sizeof(*k)))) {
			free(c);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			if (value_copy_heap(&c[i], &a[i]) ||
			    (k && value_copy_heap(&k[i], &src->u.map.keys[i])))
				return -1; /* partial copies leak only on OOM */
		}
		if (src->type == KS_TYPE_ARRAY)
			dst->u.arr.items = c;
		else if (src->type == KS_TYPE_MAP)
			dst->u.map.vals = c, dst->u.map.keys = k;
		else
			dst->u.st.fields = c, dst->u.st.names = NULL;
		return 0;
	}
	default:
		return 0;
	}
}

/* The n heap values at v (their contents) and v itself. */
static void values_free_heap(ks_value_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		value_free_heap(&v[i], 0);
	free(v);
}

static void value_free_heap(ks_value_t *v, int self)
{
	if (!v->is_null) {
		switch (v->type) {
		case KS_TYPE_STRING:
		case KS_TYPE_BYTES:
			free((void *)v->u.s.ptr);
			break;
		case KS_TYPE_ARRAY:
			values_free_heap(v->u.arr.items, v->u.arr.n);
			break;
		case KS_TYPE_MAP:
			values_free_heap(v->u.map.keys, v->u.map.n);
			values_free_heap(v->u.map.vals, v->u.map.n);
			break;
		case KS_TYPE_STRUCT:
			values_free_heap(v->u.st.fields, v->u.st.n);
			break;
		default:
			break;
		}
	}
	if (self)
		free(v);
}

int ks_schema_set_default(ks_schema_t *s, const ks_value_t *v)
{
	ks_value_t *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	if (value_copy_heap(d, v)) {
		free(d);
		return -1;
	}
	if (s->default_value)
		value_free_heap(s->default_value, 1);
	s->default_value = d;
	return 0;
}

static int streq0(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int ks_schema_equal(const ks_schema_t *a, const ks_schema_t *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->type != b->type || a->logical != b->logical ||
	    a->optional != b->optional || !streq0(a->name, b->name) || a->scale != b->scale ||
	    a->nparams != b->nparams || a->nfields != b->nfields)
		return 0;
	for (size_t i = 0; i < a->nparams; i++)
		if (!streq0(ks_schema_param(b, a->params[i].key), a->params[i].value))
			return 0;
	for (size_t i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) ||
		    !ks_schema_equal(a->fields[i].schema, b->fields[i].schema))
			return 0;
	return ks_schema_equal(a->key_schema, b->key_schema) &&
	       ks_schema_equal(a->value_schema, b->value_schema);
}

ks_value_t *ks_value_new(ks_arena_t *a, ks_type_t type)
{
	ks_value_t *v = ks_arena_calloc(a, 1, sizeof(*v));

	if (v)
		v->type = type;
	return v;
}

ks_value_t *ks_value_null(ks_arena_t *a, ks_type_t type)
{
	ks_value_t *v = ks_value_new(a, type);

	if (v)
		v->is_null = 1;
	return v;
}

const ks_value_t *ks_value_field(const ks_schema_t *schema, const ks_value_t *v, const char *name)
{
	if (!v || v->is_null || v->type != KS_TYPE_STRUCT)
		return NULL;
	if (schema) {
		const ks_field_t *f = ks_schema_field(schema, name);
		return f && (size_t)f->index < v->u.st.n ? &v->u.st.fields[f->index] : NULL;
	}
	for (size_t i = 0; v->u.st.names && i < v->u.st.n; i++)
		if (!strcmp(v->u.st.names[i], name))
			return &v->u.st.fields[i];
	return NULL;
}
