/*
 * transform_timestamp.c — TimestampConverter ($Key and $Value): a whole key
 * or value, or one field of it, between Connect Timestamp / Date / Time,
 * epoch numbers (unix.precision) and text in a SimpleDateFormat pattern
 * (lib/javadate.c), in UTC as Connect does. The per-record skeleton is
 * transform_apply.c.
 */
#include "transform_impl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

/* ---------------- TimestampConverter ---------------- */

enum { TS_STRING, TS_UNIX, TS_DATE, TS_TIME, TS_TIMESTAMP };
enum { P_MS, P_US, P_NS, P_S };

static const char *const ts_types[] = {"string", "unix", "Date", "Time", "Timestamp", NULL};
static const char *const ts_precisions[] = {"milliseconds", "microseconds", "nanoseconds",
                                            "seconds", NULL};

typedef struct tsconv {
	char *field; /* "" = the whole key/value */
	int target;
	char *format; /* NULL when not given */
	int precision;
} tsconv_t;

static const ks_cfg_def_t tsconv_defs[] = {
        {.name = "field",
         .type = KS_CFG_STRING,
         .default_value = "",
         .importance = KS_IMP_HIGH,
         .doc = "The field containing the timestamp, or empty if the entire value is a "
                "timestamp."},
        {.name = "target.type",
         .type = KS_CFG_STRING,
         .required = 1,
         .allowed = ts_types,
         .importance = KS_IMP_HIGH,
         .doc = "The desired timestamp representation: string, unix, Date, Time, or "
                "Timestamp."},
        {.name = "format",
         .type = KS_CFG_STRING,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .doc = "A SimpleDateFormat-compatible format for the timestamp (UTC). Used to "
                "generate the output when type=string or used to parse the input if the "
                "input is a string."},
        {.name = "unix.precision",
         .type = KS_CFG_STRING,
         .default_value = "milliseconds",
         .allowed = ts_precisions,
         .importance = KS_IMP_LOW,
         .doc = "The desired Unix precision for the timestamp: seconds, milliseconds, "
                "microseconds, or nanoseconds."},
        RNWD_DEF,
        SYNTAX_DEF,
        KS_CFG_END,
};

static int tsconv_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                       size_t errlen)
{
	tsconv_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *t = ks_config_string(cfg, "target.type");
	const char *f = ks_config_string(cfg, "format");
	const char *p = ks_config_string(cfg, "unix.precision");

	if (!s)
		return -1;
	if (ks_tf_only_v1(cfg, bad, errstr, errlen))
		return -1;
	for (int i = 0; ts_types[i]; i++)
		if (ks_strcaseeq(t, ts_types[i]))
			s->target = i;
	for (int i = 0; ts_precisions[i]; i++)
		if (ks_strcaseeq(p, ts_precisions[i]))
			s->precision = i;
	if (!(s->field = ks_strdup(ks_config_string(cfg, "field"))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (f && *f) {
		char why[256];
		if (ks_javadate_check(f, why, sizeof(why))) {
			*bad = "format";
			return ks_seterr(
			        errstr, errlen, -1,
			        "TimestampConverter requires a SimpleDateFormat-compatible "
			        "pattern for string timestamps: %s (%s)",
			        f, why);
		}
		if (!(s->format = ks_strdup(f)))
			return ks_seterr(errstr, errlen, -1, "out of memory");
	} else if (s->target == TS_STRING) {
		*bad = "format";
		return ks_seterr(errstr, errlen, -1,
		                 "TimestampConverter requires format option to be specified when "
		                 "using string timestamps");
	}
	return 0;
}

static void tsconv_destroy(ks_tf_t *tf)
{
	tsconv_t *s = tf->state;
	free(s->field);
	free(s->format);
	free(s);
}

/* The input representation from the schema (or, schemaless, the value). */
static int ts_kind(const ks_schema_t *s, const ks_value_t *v)
{
	if (s) {
		if (s->logical == KS_LOGICAL_TIMESTAMP)
			return TS_TIMESTAMP;
		if (s->logical == KS_LOGICAL_DATE)
			return TS_DATE;
		if (s->logical == KS_LOGICAL_TIME)
			return TS_TIME;
		if (s->type == KS_TYPE_INT64)
			return TS_UNIX;
		if (s->type == KS_TYPE_STRING)
			return TS_STRING;
		return -1;
	}
	if (v->type == KS_TYPE_INT64)
		return TS_UNIX;
	if (v->type == KS_TYPE_STRING)
		return TS_STRING;
	return -1;
}

static ks_schema_t *ts_schema(int target, int optional)
{
	switch (target) {
	case TS_STRING:
		return ks_tf_schema_prim(KS_TYPE_STRING, KS_LOGICAL_NONE, optional);
	case TS_UNIX:
		return ks_tf_schema_prim(KS_TYPE_INT64, KS_LOGICAL_NONE, optional);
	case TS_DATE:
		return ks_tf_schema_prim(KS_TYPE_INT32, KS_LOGICAL_DATE, optional);
	case TS_TIME:
		return ks_tf_schema_prim(KS_TYPE_INT32, KS_LOGICAL_TIME, optional);
	default:
		return ks_tf_schema_prim(KS_TYPE_INT64, KS_LOGICAL_TIMESTAMP, optional);
	}
}

static ks_err_t ts_convert(const tsconv_t *st, const ks_schema_t *s, const ks_value_t *v,
                           ks_arena_t *a, ks_value_t *out, char *errstr, size_t errlen)
{
	int kind;
	int64_t ms = 0;

	memset(out, 0, sizeof(*out));
	if (!v || v->is_null) {
		out->type = st->target == TS_STRING                          ? KS_TYPE_STRING
		            : st->target == TS_DATE || st->target == TS_TIME ? KS_TYPE_INT32
		                                                             : KS_TYPE_INT64;
		out->is_null = 1;
		return KS_OK;
	}
	kind = ts_kind(s, v);
	if (kind < 0) {
		if (s)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "Schema %s does not correspond to a known timestamp type "
			                 "format",
			                 s->name ? s->name : ks_type_name(s->type));
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "TimestampConverter does not support class %s objects as "
		                 "timestamps",
		                 ks_tf_java_class(s, v));
	}
	switch (kind) {
	case TS_STRING: {
		char *txt;
		if (!st->format)
			return ks_seterr(
			        errstr, errlen, KS_ERR_RECORD,
			        "TimestampConverter requires format option to be specified "
			        "when using string timestamps");
		if (!(txt = ks_arena_memdup(a, v->u.s.ptr, v->u.s.len)))
			return KS_TF_OOM(errstr, errlen);
		if (ks_javadate_parse(st->format, txt, &ms))
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "Could not parse timestamp: value (%.200s) does not match "
			                 "pattern (%s)",
			                 txt, st->format);
		break;
	}
	case TS_UNIX:
		ms = st->precision == P_S    ? v->u.i * 1000
		     : st->precision == P_US ? v->u.i / 1000
		     : st->precision == P_NS ? v->u.i / 1000000
		                             : v->u.i;
		break;
	case TS_DATE:
		ms = v->u.i * MS_PER_DAY;
		break;
	default: /* Time, Timestamp */
		ms = v->u.i;
	}
	switch (st->target) {
	case TS_STRING: {
		ks_buf_t b = KS_BUF_INIT;
		ks_javadate_format(st->format, ms, &b);
		return ks_tf_str_take(&b, a, out, errstr, errlen);
	}
	case TS_UNIX:
		out->type = KS_TYPE_INT64;
		out->u.i = st->precision == P_S    ? ms / 1000
		           : st->precision == P_US ? ms * 1000
		           : st->precision == P_NS ? ms * 1000000
		                                   : ms;
		break;
	case TS_DATE:
		out->type = KS_TYPE_INT32;
		out->u.i = ks_floordiv(ms, MS_PER_DAY);
		break;
	case TS_TIME:
		out->type = KS_TYPE_INT32;
		out->u.i = ms - ks_floordiv(ms, MS_PER_DAY) * MS_PER_DAY;
		break;
	default:
		out->type = KS_TYPE_INT64;
		out->u.i = ms;
	}
	return KS_OK;
}

static const char *tsconv_target(const ks_tf_t *tf, size_t t)
{
	return t ? NULL : ((const tsconv_t *)tf->state)->field;
}

static ks_err_t tsconv_field_schema(ks_tf_t *tf, size_t t, const ks_schema_t *fs, ks_arena_t *a,
                                    ks_schema_t **out, char *errstr, size_t errlen)
{
	(void)t, (void)a;
	if (!(*out = ts_schema(((tsconv_t *)tf->state)->target, fs->optional)))
		return KS_TF_OOM(errstr, errlen);
	return KS_OK;
}

static ks_err_t tsconv_field_value(ks_tf_t *tf, size_t t, const ks_schema_t *fs,
                                   const ks_value_t *fv, ks_arena_t *a, ks_value_t *out,
                                   char *errstr, size_t errlen)
{
	(void)t;
	return ts_convert(tf->state, fs, fv, a, out, errstr, errlen);
}

static ks_err_t tsconv_whole_schema(ks_tf_t *tf, const ks_schema_t *s, ks_arena_t *a,
                                    ks_schema_t **out, char *errstr, size_t errlen)
{
	return tsconv_field_schema(tf, 0, s, a, out, errstr, errlen);
}

static int tsconv_whole(const ks_tf_t *tf)
{
	return !*((const tsconv_t *)tf->state)->field;
}

static const ks_tf_ops_t tsconv_ops = {
        .purpose = "converting timestamp formats",
        .whole = tsconv_whole,
        .whole_schema = tsconv_whole_schema,
        .target = tsconv_target,
        .field_schema = tsconv_field_schema,
        .field_value = tsconv_field_value,
};

KS_TF_KEY_VALUE(ks_tf_ts_converter, "org.apache.kafka.connect.transforms.TimestampConverter",
                .defs = tsconv_defs, .init = tsconv_init, .ops = &tsconv_ops,
                .destroy = tsconv_destroy);
