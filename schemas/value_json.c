/*
 * value_json.c — JSON rendering and reading of record-model values (see
 * value_json.h), plus base64. Used by the JsonConverter, by the Avro
 * converter for connect.default, and by the JDBC writer for JSONB columns.
 */
#include "value_json.h"

#include "../lib/civil.h"
#include "../lib/decimal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- rendering --- */

/* pg: the JDBC sink's escaping (only " \ and controls as \u00XX). */
static void put_json_string(ks_buf_t *out, const char *s, size_t len, int pg)
{
	ks_buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			ks_buf_puts(out, "\\\"");
			break;
		case '\\':
			ks_buf_puts(out, "\\\\");
			break;
		case '\n':
			ks_buf_puts(out, pg ? "\\u000a" : "\\n");
			break;
		case '\r':
			ks_buf_puts(out, pg ? "\\u000d" : "\\r");
			break;
		case '\t':
			ks_buf_puts(out, pg ? "\\u0009" : "\\t");
			break;
		default:
			if (c < 0x20)
				ks_buf_printf(out, "\\u%04x", c);
			else
				ks_buf_putc(out, (char)c);
		}
	}
	ks_buf_putc(out, '"');
}

/* Unscaled big-endian two's complement + scale -> exact decimal text
 * (lib/decimal.c). */
static void put_decimal(ks_buf_t *out, const unsigned char *p, size_t len, int scale)
{
	char err[64], *dg;
	size_t nd;
	int neg;

	if (scale >= -100 && scale <= 100) {
		if (ks_decimal_text(out, p, len, scale, NULL, err, sizeof(err)))
			out->failed = 1;
		return;
	}
	/* huge scales (a bad schema parameter) are written with an exponent */
	if (ks_decimal_digits(p, len, scale, NULL, &dg, &nd, &neg, err, sizeof(err))) {
		out->failed = 1;
		return;
	}
	if (neg)
		ks_buf_putc(out, '-');
	ks_buf_append(out, dg, nd);
	ks_buf_printf(out, "E%d", -scale);
	free(dg);
}

static void put_date(ks_buf_t *out, int64_t days)
{
	int64_t y;
	int m, d;
	ks_civil_from_days(days, &y, &m, &d);
	ks_buf_printf(out, "%04" PRId64 "-%02d-%02d", y, m, d);
}

/* t in units of 1/unit seconds since midnight (0 <= t < 86400*unit). */
static void put_time(ks_buf_t *out, int64_t t, int64_t unit)
{
	int64_t s = t / unit, frac = t % unit;
	ks_buf_printf(out, "%02d:%02d:%02d.%0*" PRId64, (int)(s / 3600), (int)(s / 60 % 60),
	              (int)(s % 60), unit == 1000 ? 3 : 6, frac);
}

static void put_timestamp(ks_buf_t *out, int64_t t, int64_t unit)
{
	int64_t day = ks_floordiv(t, 86400 * unit), rem = t % (86400 * unit);
	put_date(out, day);
	ks_buf_putc(out, 'T');
	put_time(out, rem < 0 ? rem + 86400 * unit : rem, unit);
	ks_buf_putc(out, 'Z');
}

typedef struct rctx {
	const ks_json_opts_t *o;
	char *errstr;
	size_t errlen;
} rctx_t;

/* KS_JSON_PG: Connect Date/Time/Timestamp as Postgres reads them back from a
 * json column: microseconds always, a Time not wrapped into one day, and a
 * millisecond value that overflows microseconds is an error. */
static int put_logical_pg(const rctx_t *cx, const ks_schema_t *s, const ks_value_t *v,
                          ks_buf_t *out)
{
	int ms = s->logical == KS_LOGICAL_TIME || s->logical == KS_LOGICAL_TIMESTAMP;
	int ts = s->logical == KS_LOGICAL_TIMESTAMP || s->logical == KS_LOGICAL_TIMESTAMP_MICROS;
	int64_t us, rem;

	if (s->logical == KS_LOGICAL_DATE) {
		ks_buf_putc(out, '"');
		put_date(out, v->u.i);
		ks_buf_putc(out, '"');
		return 0;
	}
	if (ms && (v->u.i > INT64_MAX / 1000 || v->u.i < INT64_MIN / 1000))
		return ks_seterr(cx->errstr, cx->errlen, -1, "%s %lld ms out of range",
		                 s->logical == KS_LOGICAL_TIME ? "time" : "timestamp",
		                 (long long)v->u.i);
	us = ms ? v->u.i * 1000 : v->u.i;
	rem = us;
	ks_buf_putc(out, '"');
	if (ts) {
		int64_t days = ks_floordiv(us, 86400000000LL);
		rem = us - days * 86400000000LL;
		put_date(out, days);
		ks_buf_putc(out, 'T');
	}
	ks_buf_printf(out, "%02lld:%02lld:%02lld.%06lld", (long long)(rem / 3600000000LL),
	              (long long)(rem / 60000000 % 60), (long long)(rem / 1000000 % 60),
	              (long long)(rem % 1000000));
	ks_buf_puts(out, ts ? "Z\"" : "\"");
	return 0;
}

static int render(const rctx_t *cx, const ks_schema_t *s, const ks_value_t *v, ks_buf_t *out,
                  int depth)
{
	int pg = cx->o->flags & KS_JSON_PG;

	if (!v || v->is_null) {
		ks_buf_puts(out, "null");
		return 0;
	}
	if (depth > 200 && !pg) {
		ks_buf_puts(out, "null");
		return 0;
	}
	if (s && s->logical == KS_LOGICAL_DECIMAL && pg) {
		ks_decimal_limits_t lim =
		        cx->o->decimal ? *cx->o->decimal : (ks_decimal_limits_t){0};
		lim.precision = s->precision;
		return ks_decimal_text(out, (const unsigned char *)v->u.s.ptr, v->u.s.len, s->scale,
		                       &lim, cx->errstr, cx->errlen);
	}
	if (s && pg && s->logical != KS_LOGICAL_NONE && s->logical != KS_LOGICAL_UUID)
		return put_logical_pg(cx, s, v, out);
	if (s && s->logical != KS_LOGICAL_NONE) {
		switch (s->logical) {
		case KS_LOGICAL_DECIMAL:
			put_decimal(out, (const unsigned char *)v->u.s.ptr, v->u.s.len, s->scale);
			return 0;
		case KS_LOGICAL_DATE:
			ks_buf_putc(out, '"');
			put_date(out, v->u.i);
			ks_buf_putc(out, '"');
			return 0;
		case KS_LOGICAL_TIME:
		case KS_LOGICAL_TIME_MICROS: {
			int64_t unit = s->logical == KS_LOGICAL_TIME ? 1000 : 1000000;
			ks_buf_putc(out, '"');
			int64_t rem = v->u.i % (86400 * unit);
			put_time(out, rem < 0 ? rem + 86400 * unit : rem, unit);
			ks_buf_putc(out, '"');
			return 0;
		}
		case KS_LOGICAL_TIMESTAMP:
		case KS_LOGICAL_TIMESTAMP_MICROS:
			ks_buf_putc(out, '"');
			put_timestamp(out, v->u.i,
			              s->logical == KS_LOGICAL_TIMESTAMP ? 1000 : 1000000);
			ks_buf_putc(out, '"');
			return 0;
		default:
			break;
		}
	}
	switch (v->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		ks_buf_printf(out, "%" PRId64, v->u.i);
		return 0;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		if (pg && !isfinite(v->u.d))
			ks_buf_puts(out, "null"); /* json has no NaN / Infinity */
		else if (pg)
			ks_buf_printf(out, "%.17g", v->u.d);
		else if (isnan(v->u.d))
			ks_buf_puts(out, "\"NaN\"");
		else if (isinf(v->u.d))
			ks_buf_puts(out, v->u.d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		else
			ks_buf_printf(out, "%.17g",
			              v->type == KS_TYPE_FLOAT32 ? (double)(float)v->u.d : v->u.d);
		return 0;
	case KS_TYPE_BOOLEAN:
		ks_buf_puts(out, v->u.i ? "true" : "false");
		return 0;
	case KS_TYPE_STRING:
		put_json_string(out, v->u.s.ptr, v->u.s.len, pg);
		return 0;
	case KS_TYPE_BYTES:
		ks_buf_putc(out, '"');
		ks_base64_encode(v->u.s.ptr, v->u.s.len, out);
		ks_buf_putc(out, '"');
		return 0;
	case KS_TYPE_ARRAY:
		ks_buf_putc(out, '[');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				ks_buf_putc(out, ',');
			if (render(cx, s ? s->value_schema : NULL, &v->u.arr.items[i], out,
			           depth + 1))
				return -1;
		}
		ks_buf_putc(out, ']');
		return 0;
	case KS_TYPE_MAP: {
		int obj = 1;
		for (size_t i = 0; i < v->u.map.n && obj; i++)
			obj = v->u.map.keys[i].type == KS_TYPE_STRING && !v->u.map.keys[i].is_null;
		ks_buf_putc(out, obj ? '{' : '[');
		for (size_t i = 0; i < v->u.map.n; i++) {
			const ks_value_t *k = &v->u.map.keys[i];
			if (i)
				ks_buf_putc(out, ',');
			if (!obj)
				ks_buf_putc(out, '[');
			if (obj && pg)
				put_json_string(out, k->u.s.ptr, k->u.s.len, pg);
			else if (render(cx, s ? s->key_schema : NULL, k, out, depth + 1))
				return -1;
			ks_buf_putc(out, obj ? ':' : ',');
			if (render(cx, s ? s->value_schema : NULL, &v->u.map.vals[i], out,
			           depth + 1))
				return -1;
			if (!obj)
				ks_buf_putc(out, ']');
		}
		ks_buf_putc(out, obj ? '}' : ']');
		return 0;
	}
	case KS_TYPE_STRUCT:
		ks_buf_putc(out, '{');
		for (size_t i = 0; i < v->u.st.n; i++) {
			const char *sname = s && i < s->nfields ? s->fields[i].name : NULL;
			const char *vname = v->u.st.names ? v->u.st.names[i] : NULL;
			/* pg (as the JDBC sink always did): a schemaless name first */
			const char *name = pg ? (vname ? vname : sname) : (sname ? sname : vname);
			char tmp[32];
			if (!name && pg)
				return ks_seterr(cx->errstr, cx->errlen, -1,
				                 "struct field %zu has no name", i);
			if (!name) {
				snprintf(tmp, sizeof(tmp), "f%zu", i);
				name = tmp;
			}
			if (i)
				ks_buf_putc(out, ',');
			put_json_string(out, name, strlen(name), pg);
			ks_buf_putc(out, ':');
			if (render(cx, s && i < s->nfields ? s->fields[i].schema : NULL,
			           &v->u.st.fields[i], out, depth + 1))
				return -1;
		}
		ks_buf_putc(out, '}');
		return 0;
	default:
		if (pg)
			return ks_seterr(cx->errstr, cx->errlen, -1, "value of unknown type %d",
			                 (int)v->type);
		ks_buf_puts(out, "null");
		return 0;
	}
}

int ks_value_to_json_opts(const ks_schema_t *s, const ks_value_t *v, const ks_json_opts_t *o,
                          ks_buf_t *out, char *errstr, size_t errlen)
{
	static const ks_json_opts_t defaults = {0};
	rctx_t cx = {o ? o : &defaults, errstr, errlen};

	if (render(&cx, s, v, out, 0))
		return -1;
	return ks_buf_failed(out) ? ks_seterr(errstr, errlen, -1, "out of memory") : 0;
}

int ks_value_to_json(const ks_schema_t *s, const ks_value_t *v, ks_buf_t *out)
{
	return ks_value_to_json_opts(s, v, NULL, out, NULL, 0);
}

/* --- reading --- */

static const char *jtype(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* Minimal big-endian two's complement bytes of x. */
static void int64_to_bytes(int64_t x, unsigned char *buf, size_t *len)
{
	unsigned char tmp[8];
	size_t start = 0;
	for (int i = 0; i < 8; i++)
		tmp[i] = (unsigned char)((uint64_t)x >> (56 - 8 * i));
	while (start < 7 && ((tmp[start] == 0 && !(tmp[start + 1] & 0x80)) ||
	                     (tmp[start] == 0xff && (tmp[start + 1] & 0x80))))
		start++;
	*len = 8 - start;
	memcpy(buf, tmp + start, *len);
}

static ks_err_t from_json(const ks_schema_t *s, const json_t *j, ks_arena_t *a, ks_value_t *v,
                          const char *path, char *errstr, size_t errlen, int depth, int rnwd);

#define MISMATCH(what)                                                                             \
	ks_seterr(errstr, errlen, KS_ERR_RECORD, "%s%s%s: expected %s for schema type %s, got %s", \
	          "JSON value", *path ? " at " : "", path, what, ks_type_name(s->type), jtype(j))

static ks_err_t child_path(char *buf, size_t n, const char *path, const char *name)
{
	snprintf(buf, n, "%s%s%s", path, *path ? "." : "", name);
	return KS_OK;
}

static ks_err_t from_json(const ks_schema_t *s, const json_t *j, ks_arena_t *a, ks_value_t *v,
                          const char *path, char *errstr, size_t errlen, int depth, int rnwd)
{
	char sub[256];
	ks_err_t err;

	memset(v, 0, sizeof(*v));
	v->type = s->type;
	if (depth > 100)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD, "JSON value nested too deeply");
	if (!j || json_is_null(j)) {
		if (s->default_value && rnwd) {
			*v = *s->default_value; /* heap default, borrowed: lives with the schema */
			return KS_OK;
		}
		if (s->optional) {
			v->is_null = 1;
			return KS_OK;
		}
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "JSON value%s%s: null for a required field of type %s",
		                 *path ? " at " : "", path, ks_type_name(s->type));
	}
	switch (s->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64: {
		json_int_t x;
		if (!json_is_integer(j))
			return MISMATCH("an integer");
		x = json_integer_value(j);
		if ((s->type == KS_TYPE_INT8 && (x < INT8_MIN || x > INT8_MAX)) ||
		    (s->type == KS_TYPE_INT16 && (x < INT16_MIN || x > INT16_MAX)) ||
		    (s->type == KS_TYPE_INT32 && (x < INT32_MIN || x > INT32_MAX)))
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "JSON value%s%s: %" JSON_INTEGER_FORMAT
			                 " out of range for %s",
			                 *path ? " at " : "", path, x, ks_type_name(s->type));
		v->u.i = x;
		return KS_OK;
	}
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		if (!json_is_number(j))
			return MISMATCH("a number");
		v->u.d = json_number_value(j);
		return KS_OK;
	case KS_TYPE_BOOLEAN:
		if (!json_is_boolean(j))
			return MISMATCH("a boolean");
		v->u.i = json_is_true(j);
		return KS_OK;
	case KS_TYPE_STRING:
		if (!json_is_string(j))
			return MISMATCH("a string");
		v->u.s.len = json_string_length(j);
		if (!(v->u.s.ptr = ks_arena_memdup(a, json_string_value(j), v->u.s.len)))
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		return KS_OK;
	case KS_TYPE_BYTES: {
		char *d;
		if (s->logical == KS_LOGICAL_DECIMAL && json_is_number(j)) {
			unsigned char buf[8];
			double x = json_number_value(j) * pow(10, s->scale);
			if (!(fabs(x) < 9.2e18))
				return ks_seterr(errstr, errlen, KS_ERR_RECORD,
				                 "JSON value%s%s: decimal out of range",
				                 *path ? " at " : "", path);
			int64_to_bytes(json_is_integer(j) && s->scale == 0
			                       ? (int64_t)json_integer_value(j)
			                       : (int64_t)llround(x),
			               buf, &v->u.s.len);
			if (!(v->u.s.ptr = ks_arena_memdup(a, buf, v->u.s.len)))
				return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
			return KS_OK;
		}
		if (!json_is_string(j))
			return MISMATCH("a base64 string");
		if (ks_base64_decode(json_string_value(j), json_string_length(j), a, &d,
		                     &v->u.s.len))
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "JSON value%s%s: invalid base64 for bytes",
			                 *path ? " at " : "", path);
		v->u.s.ptr = d;
		return KS_OK;
	}
	case KS_TYPE_ARRAY: {
		size_t n;
		if (!json_is_array(j))
			return MISMATCH("an array");
		n = json_array_size(j);
		if (!(v->u.arr.items = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t))))
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		v->u.arr.n = n;
		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if ((err = from_json(s->value_schema, json_array_get(j, i), a,
			                     &v->u.arr.items[i], sub, errstr, errlen, depth + 1,
			                     rnwd)))
				return err;
		}
		return KS_OK;
	}
	case KS_TYPE_MAP: {
		size_t n, i = 0;
		int strkeys = s->key_schema->type == KS_TYPE_STRING;
		if (strkeys ? !json_is_object(j) : !json_is_array(j))
			return MISMATCH(strkeys ? "an object" : "an array of [key, value] pairs");
		n = strkeys ? json_object_size(j) : json_array_size(j);
		v->u.map.keys = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t));
		v->u.map.vals = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t));
		if (!v->u.map.keys || !v->u.map.vals)
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		v->u.map.n = n;
		if (strkeys) {
			const char *k;
			json_t *val;
			json_object_foreach((json_t *)j, k, val)
			{
				ks_value_t *kv = &v->u.map.keys[i];
				kv->type = KS_TYPE_STRING;
				kv->u.s.len = strlen(k);
				if (!(kv->u.s.ptr = ks_arena_memdup(a, k, kv->u.s.len)))
					return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE,
					                 "out of memory");
				child_path(sub, sizeof(sub), path, k);
				if ((err = from_json(s->value_schema, val, a, &v->u.map.vals[i],
				                     sub, errstr, errlen, depth + 1, rnwd)))
					return err;
				i++;
			}
			return KS_OK;
		}
		for (i = 0; i < n; i++) {
			const json_t *pair = json_array_get(j, i);
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!json_is_array(pair) || json_array_size(pair) != 2)
				return ks_seterr(
				        errstr, errlen, KS_ERR_RECORD,
				        "JSON value at %s: map entry is not a [key, value] pair",
				        sub);
			if ((err = from_json(s->key_schema, json_array_get(pair, 0), a,
			                     &v->u.map.keys[i], sub, errstr, errlen, depth + 1,
			                     rnwd)) ||
			    (err = from_json(s->value_schema, json_array_get(pair, 1), a,
			                     &v->u.map.vals[i], sub, errstr, errlen, depth + 1,
			                     rnwd)))
				return err;
		}
		return KS_OK;
	}
	case KS_TYPE_STRUCT:
		if (!json_is_object(j))
			return MISMATCH("an object");
		if (!(v->u.st.fields =
		              ks_arena_calloc(a, s->nfields ? s->nfields : 1, sizeof(ks_value_t))))
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		v->u.st.n = s->nfields;
		for (size_t i = 0; i < s->nfields; i++) {
			child_path(sub, sizeof(sub), path, s->fields[i].name);
			if ((err = from_json(
			             s->fields[i].schema, json_object_get(j, s->fields[i].name), a,
			             &v->u.st.fields[i], sub, errstr, errlen, depth + 1, rnwd)))
				return err;
		}
		return KS_OK;
	default:
		return ks_seterr(errstr, errlen, KS_ERR_RECORD, "unsupported schema type");
	}
}

ks_err_t ks_value_from_json(const ks_schema_t *s, const json_t *j, ks_arena_t *arena,
                            ks_value_t **out, char *errstr, size_t errlen)
{
	ks_value_t *v = ks_arena_alloc(arena, sizeof(*v));

	if (!v)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	*out = v;
	return from_json(s, j, arena, v, "", errstr, errlen, 0, 1);
}

ks_err_t ks_value_from_json_opts(const ks_schema_t *s, const json_t *j,
                                 int replace_null_with_default, ks_arena_t *arena, ks_value_t **out,
                                 char *errstr, size_t errlen)
{
	ks_value_t *v = ks_arena_alloc(arena, sizeof(*v));

	if (!v)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	*out = v;
	return from_json(s, j, arena, v, "", errstr, errlen, 0, replace_null_with_default);
}

static ks_err_t schemaless(const json_t *j, ks_arena_t *a, ks_value_t *v, int depth, char *errstr,
                           size_t errlen)
{
	ks_err_t err;

	memset(v, 0, sizeof(*v));
	if (depth > 100)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD, "JSON value nested too deeply");
	switch (json_typeof(j)) {
	case JSON_NULL:
		v->type = KS_TYPE_STRING;
		v->is_null = 1;
		return KS_OK;
	case JSON_TRUE:
	case JSON_FALSE:
		v->type = KS_TYPE_BOOLEAN;
		v->u.i = json_is_true(j);
		return KS_OK;
	case JSON_INTEGER:
		v->type = KS_TYPE_INT64;
		v->u.i = json_integer_value(j);
		return KS_OK;
	case JSON_REAL:
		v->type = KS_TYPE_FLOAT64;
		v->u.d = json_real_value(j);
		return KS_OK;
	case JSON_STRING:
		v->type = KS_TYPE_STRING;
		v->u.s.len = json_string_length(j);
		if (!(v->u.s.ptr = ks_arena_memdup(a, json_string_value(j), v->u.s.len)))
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		return KS_OK;
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		v->type = KS_TYPE_ARRAY;
		if (!(v->u.arr.items = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t))))
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		v->u.arr.n = n;
		for (size_t i = 0; i < n; i++)
			if ((err = schemaless(json_array_get(j, i), a, &v->u.arr.items[i],
			                      depth + 1, errstr, errlen)))
				return err;
		return KS_OK;
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(j), i = 0;
		const char *k;
		json_t *val;
		v->type = KS_TYPE_STRUCT;
		v->u.st.fields = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t));
		v->u.st.names = ks_arena_calloc(a, n ? n : 1, sizeof(char *));
		if (!v->u.st.fields || !v->u.st.names)
			return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		v->u.st.n = n;
		json_object_foreach((json_t *)j, k, val)
		{
			if (!(v->u.st.names[i] = ks_arena_strdup(a, k)))
				return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
			if ((err = schemaless(val, a, &v->u.st.fields[i], depth + 1, errstr,
			                      errlen)))
				return err;
			i++;
		}
		return KS_OK;
	}
	}
	return ks_seterr(errstr, errlen, KS_ERR_RECORD, "unsupported JSON value");
}

ks_err_t ks_value_from_json_schemaless(const json_t *j, ks_arena_t *arena, ks_value_t **out,
                                       char *errstr, size_t errlen)
{
	ks_value_t *v;

	*out = NULL;
	if (!j || json_is_null(j))
		return KS_OK;
	if (!(v = ks_arena_alloc(arena, sizeof(*v))))
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	*out = v;
	return schemaless(j, arena, v, 0, errstr, errlen);
}
