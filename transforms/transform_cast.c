/*
 * transform_cast.c — Cast$Key / Cast$Value (spec: field:type,... or one
 * type). TimestampConverter is transform_timestamp.c; the per-record
 * skeleton is transform_apply.c.
 * Conversions follow Java's: narrowing casts wrap like (byte) / (short),
 * floating point to integer saturates, numbers print like Double.toString,
 * dates print like Connect's Values.dateFormatFor, string timestamps use a
 * SimpleDateFormat pattern in UTC.
 */
#include "transform_impl.h"

#include "../lib/decimal.h"
#include "../schemas/value_json.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

static const char *upper_type(ks_type_t t)
{
	static const char *const n[KS_TYPE__COUNT] = {"INT8",    "INT16",   "INT32",   "INT64",
	                                              "FLOAT32", "FLOAT64", "BOOLEAN", "STRING",
	                                              "BYTES",   "ARRAY",   "MAP",     "STRUCT"};
	return (unsigned)t < KS_TYPE__COUNT ? n[t] : "?";
}

/* ---------------- numbers ---------------- */

/* Java's double -> long / int conversion: saturating at [min, max], NaN
 * is 0. ((double)INT64_MAX rounds up to 2^63, which Java also saturates.) */
static int64_t d2int(double d, int64_t min, int64_t max)
{
	if (isnan(d))
		return 0;
	if (d >= (double)max)
		return max;
	if (d <= (double)min)
		return min;
	return (int64_t)d;
}

static int32_t d2i(double d)
{
	return (int32_t)d2int(d, INT32_MIN, INT32_MAX);
}

/* A Decimal's unscaled bytes as an integer (up to 16 bytes). */
static int decimal_unscaled(const ks_value_t *v, __int128 *out)
{
	const unsigned char *p = (const unsigned char *)v->u.s.ptr;
	size_t len = v->u.s.len;
	unsigned __int128 u = 0;

	if (len > 16)
		return -1;
	for (size_t i = 0; i < len; i++)
		u = (u << 8) | p[i];
	if (len && len < 16 && (p[0] & 0x80)) /* sign-extend */
		u |= ~(unsigned __int128)0 << (8 * len);
	*out = (__int128)u;
	return 0;
}

/* [min, max] of INT8 .. INT64 (ks_type_t order). */
static const int64_t int_range[][2] = {{INT8_MIN, INT8_MAX},
                                       {INT16_MIN, INT16_MAX},
                                       {INT32_MIN, INT32_MAX},
                                       {INT64_MIN, INT64_MAX}};

/* Java Long.parseLong-like: optional sign, digits only, in [min, max]. */
static int parse_java_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	char buf[32];
	long long v;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = (buf[0] == '-' || buf[0] == '+'); i < len; i++)
		if (!isdigit((unsigned char)buf[i]))
			return -1; /* no blanks, which strtoll would skip */
	if (ks_parse_ll(buf, min, max, &v))
		return -1;
	*out = v;
	return 0;
}

/* Java Double.parseDouble: trims, accepts NaN, Infinity and a d/f suffix. */
static int parse_java_double(const char *s, size_t len, double *out)
{
	char buf[128], *end;
	size_t b = 0;

	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strchr("fFdD", buf[len - 1]) && len > 1 && !strstr(buf, "Infinity"))
		buf[--len] = '\0';
	if (!strcmp(buf + (buf[0] == '-' || buf[0] == '+'), "NaN")) {
		*out = NAN;
		return 0;
	}
	if (!strcmp(buf + (buf[0] == '-' || buf[0] == '+'), "Infinity")) {
		*out = buf[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	for (b = 0; buf[b]; b++) /* strtod also takes "inf", "nan(...)" */
		if (isalpha((unsigned char)buf[b]) && !strchr("eExXpPaAbBcCdDfF", buf[b]))
			return -1;
	errno = 0;
	*out = strtod(buf, &end);
	return *end || end == buf ? -1 : 0;
}

/* ---------------- Cast ---------------- */

typedef struct cast_spec {
	char *field;
	ks_type_t type;
} cast_spec_t;

typedef struct cast {
	int whole; /* one spec without a field: the whole key/value */
	cast_spec_t *specs;
	size_t n;
} cast_t;

static const ks_cfg_def_t cast_defs[] = {
        {.name = "spec",
         .type = KS_CFG_LIST,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .doc = "List of fields and the type to cast them to of the form "
                "field1:type,field2:type to cast fields of Maps or Structs. A single type to "
                "cast the entire value. Valid types are int8, int16, int32, int64, float32, "
                "float64, boolean, and string. Note that binary fields can only be cast to "
                "string."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

static int out_type_ok(ks_type_t t)
{
	return t <= KS_TYPE_STRING;
}

static int in_type_ok(ks_type_t t)
{
	return t <= KS_TYPE_BYTES;
}

#define SUPPORTED_OUT "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
#define SUPPORTED_IN  "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"

static int cast_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                     size_t errlen)
{
	cast_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *const *items;
	size_t n = ks_config_list(cfg, "spec", &items);

	if (!s)
		return -1;
	if (ks_tf_only_v1(cfg, bad, errstr, errlen))
		return -1;
	*bad = "spec";
	if (!n)
		return ks_seterr(errstr, errlen, -1, "Must specify at least one field to cast.");
	if (!(s->specs = calloc(n, sizeof(*s->specs))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *m = items[i], *colon = strchr(m, ':');
		const char *tname = colon ? colon + 1 : m;
		char tbuf[64];
		size_t tl;
		int t;

		if (colon && strchr(colon + 1, ':'))
			return ks_seterr(errstr, errlen, -1, "Invalid cast mapping: %s", m);
		while (*tname == ' ')
			tname++;
		tl = strlen(tname);
		while (tl && tname[tl - 1] == ' ')
			tl--;
		snprintf(tbuf, sizeof(tbuf), "%.*s", (int)(tl < 63 ? tl : 63), tname);
		t = ks_type_parse(tbuf);
		if (t < 0)
			return ks_seterr(errstr, errlen, -1,
			                 "Invalid type found in casting spec: %s", tbuf);
		if (!out_type_ok((ks_type_t)t))
			return ks_seterr(errstr, errlen, -1,
			                 "Cast transformation does not support casting to %s; "
			                 "supported types are " SUPPORTED_OUT,
			                 upper_type((ks_type_t)t));
		if (!colon)
			s->whole = 1;
		else {
			const char *f = m;
			size_t fl = (size_t)(colon - m);
			while (fl && *f == ' ')
				f++, fl--;
			while (fl && f[fl - 1] == ' ')
				fl--;
			if (!(s->specs[i].field = ks_strndup(f, fl)))
				return ks_seterr(errstr, errlen, -1, "out of memory");
		}
		s->specs[i].type = (ks_type_t)t;
		s->n++;
	}
	if (s->whole && n > 1)
		return ks_seterr(
		        errstr, errlen, -1,
		        "Cast transformations that specify a type to cast the entire value "
		        "to may ony specify a single cast in their spec");
	*bad = NULL;
	return 0;
}

static void cast_destroy(ks_tf_t *tf)
{
	cast_t *s = tf->state;
	for (size_t i = 0; s->specs && i < s->n; i++)
		free(s->specs[i].field);
	free(s->specs);
	free(s);
}

/* Values.dateFormatFor(date).format(date) */
static void date_text(int64_t ms, ks_buf_t *out)
{
	const char *fmt = ms < MS_PER_DAY        ? "HH:mm:ss.SSS'Z'"
	                  : ms % MS_PER_DAY == 0 ? "yyyy-MM-dd"
	                                         : "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";
	ks_javadate_format(fmt, ms, out);
}

/* Cast.castValueToType: v (schema s, NULL = infer) to target, into out. */
static ks_err_t cast_value(const ks_schema_t *s, const ks_value_t *v, ks_type_t target,
                           ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen)
{
	ks_type_t in;
	ks_logical_t lg = s ? s->logical : KS_LOGICAL_NONE;
	int is_num = 0, is_float = 0, is_bool = 0, is_str = 0;
	int64_t l = 0;
	double d = 0;
	__int128 dec = 0;

	memset(out, 0, sizeof(*out));
	out->type = target;
	if (!v || v->is_null) {
		out->is_null = 1;
		return KS_OK;
	}
	in = s ? s->type : ks_tf_is_map(v) ? KS_TYPE_MAP : v->type;
	if (!in_type_ok(in))
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Cast transformation does not support casting from %s; supported "
		                 "types are " SUPPORTED_IN,
		                 upper_type(in));
	if (lg == KS_LOGICAL_DECIMAL) {
		if (decimal_unscaled(v, &dec))
			return ks_seterr(
			        errstr, errlen, KS_ERR_RECORD,
			        "Decimal with more than 16 bytes is not supported by ksink's "
			        "Cast");
		is_num = 1;
		d = (double)dec / pow(10, s->scale);
		{
			__int128 q = dec;
			for (int i = 0; i < s->scale; i++)
				q /= 10;
			for (int i = 0; i > s->scale; i--)
				q *= 10;
			l = (int64_t)q;
		}
		is_float = 0;
	} else {
		switch (v->type) {
		case KS_TYPE_INT8:
		case KS_TYPE_INT16:
		case KS_TYPE_INT32:
		case KS_TYPE_INT64:
			is_num = 1, l = v->u.i, d = (double)v->u.i;
			break;
		case KS_TYPE_FLOAT32:
		case KS_TYPE_FLOAT64:
			is_num = 1, is_float = 1, d = v->u.d;
			l = d2int(d, INT64_MIN, INT64_MAX);
			break;
		case KS_TYPE_BOOLEAN:
			is_bool = 1, l = v->u.i ? 1 : 0, d = (double)l;
			break;
		case KS_TYPE_STRING:
			is_str = 1;
			break;
		default: /* BYTES */
			break;
		}
	}
	if (target == KS_TYPE_STRING) {
		ks_buf_t b = KS_BUF_INIT;
		char num[64];
		if (lg == KS_LOGICAL_DATE || lg == KS_LOGICAL_TIME || lg == KS_LOGICAL_TIMESTAMP)
			date_text(lg == KS_LOGICAL_DATE ? v->u.i * MS_PER_DAY : v->u.i, &b);
		else if (lg == KS_LOGICAL_DECIMAL)
			b.failed |= ks_decimal_java_string(&b, (const unsigned char *)v->u.s.ptr,
			                                   v->u.s.len, s->scale) != 0; /* OOM */
		else if (is_str)
			ks_buf_append(&b, v->u.s.ptr, v->u.s.len);
		else if (v->type == KS_TYPE_BYTES)
			ks_base64_encode(v->u.s.ptr, v->u.s.len, &b);
		else if (is_bool)
			ks_buf_puts(&b, l ? "true" : "false");
		else if (is_float) {
			ks_tf_java_double(d, v->type == KS_TYPE_FLOAT32, num, sizeof(num));
			ks_buf_puts(&b, num);
		} else
			ks_buf_printf(&b, "%lld", (long long)l);
		return ks_tf_str_take(&b, a, out, errstr, errlen);
	}
	if (!is_num && !is_bool && !is_str)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Unexpected type in Cast transformation: class %s",
		                 ks_tf_java_class(s, v));
	if (is_str) {
		int bad = 0;
		switch (target) {
		case KS_TYPE_INT8:
		case KS_TYPE_INT16:
		case KS_TYPE_INT32:
		case KS_TYPE_INT64:
			bad = parse_java_int(v->u.s.ptr, v->u.s.len, int_range[target][0],
			                     int_range[target][1], &l);
			break;
		case KS_TYPE_FLOAT32:
		case KS_TYPE_FLOAT64:
			bad = parse_java_double(v->u.s.ptr, v->u.s.len, &d);
			if (target == KS_TYPE_FLOAT32)
				d = (float)d;
			break;
		default: /* BOOLEAN: Boolean.parseBoolean */
			l = v->u.s.len == 4 && !strncasecmp(v->u.s.ptr, "true", 4);
			break;
		}
		if (bad)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "Value (%.*s) was out of range for requested data type",
			                 (int)(v->u.s.len > 200 ? 200 : v->u.s.len), v->u.s.ptr);
		if (target == KS_TYPE_FLOAT32 || target == KS_TYPE_FLOAT64)
			out->u.d = d;
		else
			out->u.i = l;
		return KS_OK;
	}
	switch (target) {
	case KS_TYPE_INT8:
		out->u.i = (int8_t)(is_float ? d2i(d) : l);
		break;
	case KS_TYPE_INT16:
		out->u.i = (int16_t)(is_float ? d2i(d) : l);
		break;
	case KS_TYPE_INT32:
		out->u.i = is_float ? d2i(d) : (int32_t)l;
		break;
	case KS_TYPE_INT64:
		out->u.i = l;
		break;
	case KS_TYPE_FLOAT32:
		out->u.d = (float)d;
		break;
	case KS_TYPE_FLOAT64:
		out->u.d = d;
		break;
	default: /* BOOLEAN: longValue() != 0 */
		out->u.i = l != 0;
		break;
	}
	return KS_OK;
}

/* A schema for a cast target keeping optionality and a cast default. */
static ks_err_t cast_schema(const ks_schema_t *src, ks_type_t target, int basics, ks_arena_t *a,
                            ks_schema_t **out, char *errstr, size_t errlen)
{
	ks_schema_t *s = basics ? ks_tf_schema_basics(src, target)
	                        : ks_tf_schema_prim(target, KS_LOGICAL_NONE, src->optional);
	ks_err_t err;

	if (!s)
		return KS_TF_OOM(errstr, errlen);
	if (src->default_value) {
		ks_value_t dv;
		if ((err = cast_value(src, src->default_value, target, a, &dv, errstr, errlen))) {
			ks_schema_unref(s);
			return err;
		}
		if (ks_schema_set_default(s, &dv)) {
			ks_schema_unref(s);
			return KS_TF_OOM(errstr, errlen);
		}
	}
	*out = s;
	return KS_OK;
}

static const char *cast_target(const ks_tf_t *tf, size_t t)
{
	const cast_t *st = tf->state;

	return t < st->n ? st->specs[t].field : NULL;
}

static ks_err_t cast_field_schema(ks_tf_t *tf, size_t t, const ks_schema_t *fs, ks_arena_t *a,
                                  ks_schema_t **out, char *errstr, size_t errlen)
{
	return cast_schema(fs, ((cast_t *)tf->state)->specs[t].type, 0, a, out, errstr, errlen);
}

static ks_err_t cast_field_value(ks_tf_t *tf, size_t t, const ks_schema_t *fs, const ks_value_t *fv,
                                 ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen)
{
	return cast_value(fs, fv, ((cast_t *)tf->state)->specs[t].type, a, out, errstr, errlen);
}

static ks_err_t cast_whole_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a,
                                  ks_schema_t **out, char *errstr, size_t errlen)
{
	return cast_schema(s, ((cast_t *)tf->state)->specs[0].type, 1, a, out, errstr, errlen);
}

static int cast_whole(const ks_tf_t *tf)
{
	return ((const cast_t *)tf->state)->whole;
}

static const ks_tf_ops_t cast_ops = {
        .purpose = "cast types",
        .whole = cast_whole,
        .whole_schema = cast_whole_schema,
        .target = cast_target,
        .field_schema = cast_field_schema,
        .field_value = cast_field_value,
};

KS_TF_KEY_VALUE(ks_tf_cast, "org.apache.kafka.connect.transforms.Cast", .defs = cast_defs,
                .init = cast_init, .ops = &cast_ops, .destroy = cast_destroy);
