/*
 * transform_util.c — helpers the transforms share (transform_impl.h): the
 * state an SMT's init allocates, the per-transform schema cache,
 * schema/value construction in Connect's style, Java-compatible error texts
 * and number formatting, Decimal values from text (the parsing is
 * lib/decimal.c). (Java regexes and SimpleDateFormat patterns are
 * lib/javaregex.c and lib/javadate.c.)
 */
#include "transform_impl.h"

#include "../lib/decimal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ks_tf_syntax_values[] = {"V1", "V2", NULL};

/* ---------------- state ---------------- */

void *ks_tf_state_new(ks_tf_t *tf, size_t size, char *errstr, size_t errlen)
{
	if (!(tf->state = calloc(1, size)))
		ks_seterr(errstr, errlen, -1, "out of memory");
	return tf->state;
}

int ks_tf_state_string(ks_tf_t *tf, const ks_config_t *cfg, const char *key, char *errstr,
                       size_t errlen)
{
	if (!(tf->state = ks_strdup(ks_config_string(cfg, key))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

/* ---------------- schema cache ---------------- */

ks_schema_t *ks_tf_cache_get(ks_tf_cache_t *c, const ks_schema_t *in, const ks_schema_t *in2,
                             int tag)
{
	if (c->n && c->last < c->n) {
		ks_tf_cache_ent_t *e = &c->v[c->last];
		if (e->in == in && e->in2 == in2 && e->tag == tag)
			return e->out;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].in == in && c->v[i].in2 == in2 && c->v[i].tag == tag) {
			c->last = i;
			return c->v[i].out;
		}
	return NULL;
}

ks_schema_t *ks_tf_cache_put(ks_tf_cache_t *c, const ks_schema_t *in, const ks_schema_t *in2,
                             int tag, ks_schema_t *out)
{
	if (!out)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		ks_tf_cache_ent_t *n = realloc(c->v, cap * sizeof(*n));
		if (!n) {
			ks_schema_unref(out);
			return NULL;
		}
		c->v = n;
		c->cap = cap;
	}
	c->v[c->n].in = ks_schema_ref((ks_schema_t *)in);
	c->v[c->n].in2 = ks_schema_ref((ks_schema_t *)in2);
	c->v[c->n].tag = tag;
	c->v[c->n].out = out;
	c->last = c->n++;
	return out;
}

void ks_tf_cache_clear(ks_tf_cache_t *c)
{
	for (size_t i = 0; i < c->n; i++) {
		ks_schema_unref(c->v[i].out);
		ks_schema_unref((ks_schema_t *)c->v[i].in);
		ks_schema_unref((ks_schema_t *)c->v[i].in2);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ---------------- schemas ---------------- */

ks_schema_t *ks_tf_schema_basics(const ks_schema_t *src, ks_type_t type)
{
	ks_schema_t *s = ks_schema_new(type);

	if (!s)
		return NULL;
	if (!src)
		return s;
	s->optional = src->optional;
	s->version = src->version;
	if (src->type == type) {
		s->logical = src->logical;
		s->precision = src->precision;
		s->scale = src->scale;
	}
	/* a logical type's name on another type would mislead the sinks */
	if ((src->type == type || src->logical == KS_LOGICAL_NONE) &&
	    ks_schema_set_name(s, src->name))
		goto fail;
	if (ks_schema_set_doc(s, src->doc))
		goto fail;
	for (size_t i = 0; i < src->nparams; i++)
		if ((src->type == type || src->logical == KS_LOGICAL_NONE) &&
		    ks_schema_add_param(s, src->params[i].key, src->params[i].value))
			goto fail;
	return s;
fail:
	ks_schema_unref(s);
	return NULL;
}

ks_schema_t *ks_tf_schema_copy(const ks_schema_t *src)
{
	ks_schema_t *s = ks_tf_schema_basics(src, src->type);

	if (!s)
		return NULL;
	s->key_schema = ks_schema_ref(src->key_schema);
	s->value_schema = ks_schema_ref(src->value_schema);
	for (size_t i = 0; i < src->nfields; i++)
		if (ks_tf_add_field_ref(s, src->fields[i].name, src->fields[i].schema))
			goto fail;
	if (src->default_value && ks_schema_set_default(s, src->default_value))
		goto fail;
	return s;
fail:
	ks_schema_unref(s);
	return NULL;
}

ks_schema_t *ks_tf_schema_optional(const ks_schema_t *src, int optional)
{
	ks_schema_t *s;

	if (!!src->optional == !!optional)
		return ks_schema_ref((ks_schema_t *)src);
	if ((s = ks_tf_schema_copy(src)))
		s->optional = optional;
	return s;
}

ks_schema_t *ks_tf_schema_prim(ks_type_t type, ks_logical_t logical, int optional)
{
	ks_schema_t *s =
	        logical != KS_LOGICAL_NONE ? ks_schema_logical(logical) : ks_schema_new(type);

	if (s)
		s->optional = optional;
	return s;
}

int ks_tf_add_field_ref(ks_schema_t *s, const char *name, const ks_schema_t *fs)
{
	return ks_schema_add_field(s, name, ks_schema_ref((ks_schema_t *)fs));
}

ks_err_t ks_tf_add_new_field(ks_schema_t *s, const char *name, ks_schema_t *fs, char *errstr,
                             size_t errlen)
{
	if (fs && ks_schema_field(s, name)) {
		ks_schema_unref(fs);
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Cannot create field because of field name duplication %s", name);
	}
	if (!fs || ks_schema_add_field(s, name, fs))
		return KS_TF_OOM(errstr, errlen);
	return KS_OK;
}

/* ---------------- values ---------------- */

ks_value_t *ks_tf_struct_new(ks_arena_t *a, size_t n, int named)
{
	ks_value_t *v = ks_value_new(a, KS_TYPE_STRUCT);

	if (!v)
		return NULL;
	v->u.st.n = n;
	if (!(v->u.st.fields = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t))))
		return NULL;
	if (named && !(v->u.st.names = ks_arena_calloc(a, n ? n : 1, sizeof(char *))))
		return NULL;
	return v;
}

const ks_value_t *ks_tf_get(const ks_schema_t *s, const ks_value_t *v, const char *name,
                            int use_default)
{
	const ks_value_t *f = ks_value_field(s, v, name);

	if (f && f->is_null && use_default && s) {
		const ks_field_t *sf = ks_schema_field(s, name);
		if (sf && sf->schema->default_value)
			return sf->schema->default_value;
	}
	return f;
}

ks_value_t *ks_tf_str(ks_arena_t *a, const char *s, size_t len)
{
	ks_value_t *v = ks_value_new(a, KS_TYPE_STRING);

	if (!v || !(v->u.s.ptr = ks_arena_memdup(a, s, len)))
		return NULL;
	v->u.s.len = len;
	return v;
}

ks_err_t ks_tf_str_take(ks_buf_t *b, ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen)
{
	ks_err_t err = KS_OK;

	out->type = KS_TYPE_STRING;
	if (ks_buf_failed(b) ||
	    !(out->u.s.ptr = ks_arena_memdup(a, b->data ? b->data : "", b->len)))
		err = KS_TF_OOM(errstr, errlen);
	else
		out->u.s.len = b->len;
	ks_buf_free(b);
	return err;
}

int ks_tf_decimal(ks_arena_t *a, const char *txt, int scale, int lenient, ks_value_t *out)
{
	unsigned char b[64];
	int n = ks_decimal_parse(txt, scale, lenient, b, sizeof(b));
	char *p;

	if (n < 0)
		return -1;
	if (!(p = ks_arena_memdup(a, b, (size_t)n)))
		return -2;
	out->type = KS_TYPE_BYTES;
	out->is_null = 0;
	out->u.s.ptr = p;
	out->u.s.len = (size_t)n;
	return 0;
}

ks_value_t *ks_tf_int(ks_arena_t *a, ks_type_t type, int64_t i)
{
	ks_value_t *v = ks_value_new(a, type);

	if (v)
		v->u.i = i;
	return v;
}

const char *ks_tf_java_class(const ks_schema_t *s, const ks_value_t *v)
{
	if (!v || v->is_null)
		return "null";
	if (s && (s->logical == KS_LOGICAL_DATE || s->logical == KS_LOGICAL_TIME ||
	          s->logical == KS_LOGICAL_TIMESTAMP))
		return "java.util.Date";
	if (s && s->logical == KS_LOGICAL_DECIMAL)
		return "java.math.BigDecimal";
	switch (v->type) {
	case KS_TYPE_INT8:
		return "java.lang.Byte";
	case KS_TYPE_INT16:
		return "java.lang.Short";
	case KS_TYPE_INT32:
		return "java.lang.Integer";
	case KS_TYPE_INT64:
		return "java.lang.Long";
	case KS_TYPE_FLOAT32:
		return "java.lang.Float";
	case KS_TYPE_FLOAT64:
		return "java.lang.Double";
	case KS_TYPE_BOOLEAN:
		return "java.lang.Boolean";
	case KS_TYPE_STRING:
		return "java.lang.String";
	case KS_TYPE_BYTES:
		return "[B";
	case KS_TYPE_ARRAY:
		return "java.util.ArrayList";
	case KS_TYPE_MAP:
		return "java.util.HashMap";
	case KS_TYPE_STRUCT:
		return v->u.st.names && !s ? "java.util.HashMap"
		                           : "org.apache.kafka.connect.data.Struct";
	default:
		return "?";
	}
}

ks_err_t ks_tf_need_struct(const ks_schema_t *s, const ks_value_t *v, const char *purpose,
                           char *errstr, size_t errlen)
{
	return ks_seterr(errstr, errlen, KS_ERR_RECORD,
	                 "Only Struct objects supported for [%s], found: %s", purpose,
	                 ks_tf_java_class(s, v));
}

ks_err_t ks_tf_need_map(const ks_schema_t *s, const ks_value_t *v, const char *purpose,
                        char *errstr, size_t errlen)
{
	return ks_seterr(errstr, errlen, KS_ERR_RECORD,
	                 "Only Map objects supported in absence of schema for [%s], found: %s",
	                 purpose, ks_tf_java_class(s, v));
}

void ks_tf_java_double(double d, int is_float, char *out, size_t len)
{
	char buf[64], digits[32];
	int exp10, nd = 0, prec;
	const char *p;

	if (isnan(d)) {
		snprintf(out, len, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, len, "%sInfinity", d < 0 ? "-" : "");
		return;
	}
	if (d == 0) {
		snprintf(out, len, "%s0.0", signbit(d) ? "-" : "");
		return;
	}
	/* the shortest digits that read back as the same value */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (is_float ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	p = buf;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p) && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp10 = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	{
		ks_buf_t b = KS_BUF_INIT;
		double ad = fabs(d);
		if (d < 0)
			ks_buf_putc(&b, '-');
		if (ad >= 1e-3 && ad < 1e7) {
			if (exp10 >= 0) {
				for (int i = 0; i <= exp10; i++)
					ks_buf_putc(&b, i < nd ? digits[i] : '0');
				ks_buf_putc(&b, '.');
				if (nd > exp10 + 1)
					ks_buf_puts(&b, digits + exp10 + 1);
				else
					ks_buf_putc(&b, '0');
			} else {
				ks_buf_puts(&b, "0.");
				for (int i = 0; i < -exp10 - 1; i++)
					ks_buf_putc(&b, '0');
				ks_buf_puts(&b, digits);
			}
		} else {
			ks_buf_putc(&b, digits[0]);
			ks_buf_putc(&b, '.');
			ks_buf_puts(&b, nd > 1 ? digits + 1 : "0");
			ks_buf_printf(&b, "E%d", exp10);
		}
		snprintf(out, len, "%s", b.data ? b.data : "?");
		ks_buf_free(&b);
	}
}

int ks_tf_value_text(const ks_schema_t *s, const ks_value_t *v, ks_buf_t *out)
{
	char num[64];

	if (!v || v->is_null)
		return -1;
	switch (v->type) {
	case KS_TYPE_STRING:
		ks_buf_append(out, v->u.s.ptr, v->u.s.len);
		return 0;
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		ks_buf_printf(out, "%lld", (long long)v->u.i);
		return 0;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		ks_tf_java_double(v->u.d, v->type == KS_TYPE_FLOAT32, num, sizeof(num));
		ks_buf_puts(out, num);
		return 0;
	case KS_TYPE_BOOLEAN:
		ks_buf_puts(out, v->u.i ? "true" : "false");
		return 0;
	default:
		(void)s;
		return -1;
	}
}
