/*
 * 0320-jdbc_types.c — the type matrix: every Connect type and logical type
 * (Decimal with and without precision, Date, Time, Timestamp, the micros
 * variants, Uuid), nulls, schema defaults, arrays, unicode, bytea, NaN,
 * STRUCT/MAP as JSONB, auto.create column types, time zones, and writes into
 * existing tables whose column types differ from ours (uuid, jsonb,
 * varchar(n), numeric, timestamptz).
 */
#include "jdbc_helpers.h"

static ks_schema_t *opt(ks_schema_t *s)
{
	s->optional = 1;
	return s;
}

static ks_schema_t *lg(ks_logical_t l)
{
	ks_schema_t *s = ks_schema_logical(l);
	KS_CHECK(s, "oom");
	return s;
}

static ks_schema_t *arr_of(ks_schema_t *el)
{
	ks_schema_t *s = sch(KS_TYPE_ARRAY, 1);
	s->value_schema = el;
	return s;
}

static ks_value_t *items(ks_value_t *f, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->type = KS_TYPE_ARRAY;
	f->u.arr.items = ks_arena_calloc(arena(), n ? n : 1, sizeof(ks_value_t));
	f->u.arr.n = n;
	return f->u.arr.items;
}

enum {
	F_I8,
	F_I16,
	F_I32,
	F_I64,
	F_F32,
	F_F64,
	F_BOOL,
	F_STR,
	F_BYTES,
	F_DEC,
	F_DEC_NOP,
	F_DEC_BIG,
	F_DATE,
	F_TIME,
	F_TIME_US,
	F_TS,
	F_TS_US,
	F_UUID,
	F_ARR_I,
	F_ARR_S,
	F_ARR_EMPTY,
	F_ST,
	F_MAP,
	F_NULL,
	F_DEF_I,
	F_DEF_S,
	F_N
};

static ks_schema_t *matrix_schema(void)
{
	ks_schema_t *vs = sch_struct(), *s;
	ks_value_t dv;

	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "i8", sch(KS_TYPE_INT8, 0));
	field(vs, "i16", sch(KS_TYPE_INT16, 0));
	field(vs, "i32", sch(KS_TYPE_INT32, 0));
	field(vs, "i64", sch(KS_TYPE_INT64, 0));
	field(vs, "f32", sch(KS_TYPE_FLOAT32, 0));
	field(vs, "f64", sch(KS_TYPE_FLOAT64, 0));
	field(vs, "b", sch(KS_TYPE_BOOLEAN, 0));
	field(vs, "s", sch(KS_TYPE_STRING, 0));
	field(vs, "by", sch(KS_TYPE_BYTES, 0));
	field(vs, "dec", ks_schema_decimal(10, 2));
	field(vs, "dec_nop", opt(ks_schema_decimal(-1, 3)));
	field(vs, "dec_big", opt(ks_schema_decimal(-1, 0)));
	field(vs, "d", opt(lg(KS_LOGICAL_DATE)));
	field(vs, "t", opt(lg(KS_LOGICAL_TIME)));
	field(vs, "t_us", opt(lg(KS_LOGICAL_TIME_MICROS)));
	field(vs, "ts", opt(lg(KS_LOGICAL_TIMESTAMP)));
	field(vs, "ts_us", opt(lg(KS_LOGICAL_TIMESTAMP_MICROS)));
	field(vs, "u", opt(lg(KS_LOGICAL_UUID)));
	field(vs, "arr_i", arr_of(sch(KS_TYPE_INT32, 1)));
	field(vs, "arr_s", arr_of(sch(KS_TYPE_STRING, 0)));
	field(vs, "arr_empty", arr_of(sch(KS_TYPE_INT64, 0)));
	s = sch(KS_TYPE_STRUCT, 1);
	field(s, "x", sch(KS_TYPE_INT32, 0));
	field(s, "y", sch(KS_TYPE_STRING, 1));
	field(s, "when", lg(KS_LOGICAL_TIMESTAMP));
	field(s, "day", lg(KS_LOGICAL_DATE));
	field(vs, "st", s);
	s = sch(KS_TYPE_MAP, 1);
	s->key_schema = sch(KS_TYPE_STRING, 0);
	s->value_schema = sch(KS_TYPE_INT32, 0);
	field(vs, "mp", s);
	field(vs, "n", sch(KS_TYPE_INT32, 1));
	s = sch(KS_TYPE_INT32, 1);
	vint(&dv, KS_TYPE_INT32, 42);
	KS_CHECK(!ks_schema_set_default(s, &dv), "oom");
	field(vs, "def_i", s);
	s = sch(KS_TYPE_STRING, 1);
	dv.type = KS_TYPE_STRING;
	dv.u.s.ptr = "it's";
	dv.u.s.len = 4;
	KS_CHECK(!ks_schema_set_default(s, &dv), "oom");
	field(vs, "def_s", s);
	return vs;
}

static ks_record_t *matrix_record(ks_schema_t *vs, const char *topic, int id)
{
	ks_value_t *v = vstruct(F_N + 1), *f = v->u.st.fields + 1, *it;
	static const char uni[] = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x90\x98 tab\tnl\n\\ '\" end";
	static const unsigned char by[] = {0x00, 0xff, 0x5c, 0x0a};
	static const unsigned char dec[] = {0xcf, 0xc7};        /* -12345 */
	static const unsigned char dec3[] = {0x01, 0xe2, 0x40}; /* 123456 */
	static const unsigned char big[] = {0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a,
	                                    0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff};

	vint(&v->u.st.fields[0], KS_TYPE_INT32, id);
	vint(&f[F_I8], KS_TYPE_INT8, -128);
	vint(&f[F_I16], KS_TYPE_INT16, 32767);
	vint(&f[F_I32], KS_TYPE_INT32, -2147483647 - 1);
	vint(&f[F_I64], KS_TYPE_INT64, INT64_MAX);
	vdbl(&f[F_F32], KS_TYPE_FLOAT32, 1.5);
	vdbl(&f[F_F64], KS_TYPE_FLOAT64, __builtin_nan(""));
	vint(&f[F_BOOL], KS_TYPE_BOOLEAN, 1);
	vstr(&f[F_STR], uni);
	vbytes(&f[F_BYTES], KS_TYPE_BYTES, by, sizeof(by));
	vbytes(&f[F_DEC], KS_TYPE_BYTES, dec, sizeof(dec));
	vbytes(&f[F_DEC_NOP], KS_TYPE_BYTES, dec3, sizeof(dec3));
	vbytes(&f[F_DEC_BIG], KS_TYPE_BYTES, big, sizeof(big));
	vint(&f[F_DATE], KS_TYPE_INT32, -1);               /* 1969-12-31 */
	vint(&f[F_TIME], KS_TYPE_INT32, 45296789);         /* 12:34:56.789 */
	vint(&f[F_TIME_US], KS_TYPE_INT64, 45296789012LL); /* 12:34:56.789012 */
	vint(&f[F_TS], KS_TYPE_INT64, 1700000000123LL);
	vint(&f[F_TS_US], KS_TYPE_INT64, 1700000000123456LL);
	vstr(&f[F_UUID], "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
	it = items(&f[F_ARR_I], 3);
	vint(&it[0], KS_TYPE_INT32, 1);
	vnull(&it[1], KS_TYPE_INT32);
	vint(&it[2], KS_TYPE_INT32, 3);
	it = items(&f[F_ARR_S], 3);
	vstr(&it[0], "a");
	vstr(&it[1], "b\"c,{}");
	vstr(&it[2], "");
	items(&f[F_ARR_EMPTY], 0);
	f[F_ST] = *vstruct(4);
	vint(&f[F_ST].u.st.fields[0], KS_TYPE_INT32, 1);
	vstr(&f[F_ST].u.st.fields[1], "q\"");
	vint(&f[F_ST].u.st.fields[2], KS_TYPE_INT64, 1700000000123LL);
	vint(&f[F_ST].u.st.fields[3], KS_TYPE_INT32, 19000);
	memset(&f[F_MAP], 0, sizeof(f[F_MAP]));
	f[F_MAP].type = KS_TYPE_MAP;
	f[F_MAP].u.map.n = 1;
	f[F_MAP].u.map.keys = ks_arena_calloc(arena(), 1, sizeof(ks_value_t));
	f[F_MAP].u.map.vals = ks_arena_calloc(arena(), 1, sizeof(ks_value_t));
	vstr(&f[F_MAP].u.map.keys[0], "k");
	vint(&f[F_MAP].u.map.vals[0], KS_TYPE_INT32, 7);
	vnull(&f[F_NULL], KS_TYPE_INT32);
	vnull(&f[F_DEF_I], KS_TYPE_INT32);
	vnull(&f[F_DEF_S], KS_TYPE_STRING);
	return rec(topic, 0, id, NULL, NULL, vs, v);
}

KS_TEST(matrix_auto_create_and_values)
{
	ks_schema_t *vs = matrix_schema();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	sql("DROP TABLE IF EXISTS ty_matrix");
	t = task("ty-matrix", cfg("ksink.struct.mode", "jsonb", NULL));
	r[0] = matrix_record(vs, "ty_matrix", 1);
	r[1] = matrix_record(vs, "ty_matrix", 2);
	put(t, r, 2);
	COMMIT_OK(t, "ty_matrix", 0, 3);
	KS_CHECK_STR(q1("SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod) || "
	                "CASE WHEN attnotnull THEN '!' ELSE '' END, ' ' ORDER BY attnum) FROM "
	                "pg_attribute WHERE attrelid = 'ty_matrix'::regclass AND attnum > 0"),
	             "id:integer! i8:smallint! i16:smallint! i32:integer! i64:bigint! f32:real! "
	             "f64:double precision! b:boolean! s:text! by:bytea! dec:numeric(10,2)! "
	             "dec_nop:numeric dec_big:numeric d:date t:time without time zone "
	             "t_us:time without time zone ts:timestamp without time zone "
	             "ts_us:timestamp without time zone u:uuid arr_i:integer[] arr_s:text[] "
	             "arr_empty:bigint[] st:jsonb mp:jsonb n:integer def_i:integer def_s:text");
	KS_CHECK_STR(q1("SELECT concat_ws('|', i8, i16, i32, i64, f32, f64, b, dec, dec_nop, "
	                "dec_big, d, t, t_us, ts, ts_us, u, arr_i, arr_s, arr_empty, st, mp, "
	                "coalesce(n::text, 'NULL'), def_i, def_s) FROM ty_matrix WHERE id = 1"),
	             "-128|32767|-2147483648|9223372036854775807|1.5|NaN|t|-123.45|123.456|"
	             "99999999999999999999999999999999999999|1969-12-31|12:34:56.789|"
	             "12:34:56.789012|2023-11-14 22:13:20.123|2023-11-14 22:13:20.123456|"
	             "3f2504e0-4f89-11d3-9a0c-0305e82c3301|{1,NULL,3}|{a,\"b\\\"c,{}\",\"\"}|{}|"
	             "{\"x\": 1, \"y\": \"q\\\"\", \"day\": \"2022-01-08\", \"when\": "
	             "\"2023-11-14T22:13:20.123000Z\"}|{\"k\": 7}|NULL|42|it's");
	KS_CHECK_STR(q1("SELECT s = E'h\\u00e9llo \\u2713 \\U0001F418 tab\\tnl\\n\\\\ ''\" end' "
	                "FROM ty_matrix WHERE id = 1"),
	             "t");
	KS_CHECK_STR(q1("SELECT encode(by, 'hex') FROM ty_matrix WHERE id = 2"), "00ff5c0a");
	/* defaults also land in the DDL */
	KS_CHECK_STR(q1("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef d JOIN pg_attribute a "
	                "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE "
	                "d.adrelid = 'ty_matrix'::regclass AND a.attname = 'def_s'"),
	             "'it''s'::text");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(struct_without_jsonb_mode_is_an_error)
{
	ks_schema_t *vs = matrix_schema();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS ty_nojsonb");
	t = task("ty-nojsonb", cfg(NULL));
	r[0] = matrix_record(vs, "ty_nojsonb", 1);
	put(t, r, 1);
	ks_commit_result_t res = commit(t, "ty_nojsonb", 0, 2);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "doesn't have a mapping"), "%s", res.errstr);
	KS_CHECK_STR(q1("SELECT to_regclass('ty_nojsonb') IS NULL"), "t");
	done(t);
	ks_schema_unref(vs);
}

static ks_schema_t *ts_schema(void)
{
	ks_schema_t *vs = sch_struct();
	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "ts", lg(KS_LOGICAL_TIMESTAMP));
	return vs;
}

static ks_record_t *ts_record(ks_schema_t *vs, const char *topic, int64_t ms)
{
	ks_value_t *v = vstruct(2);
	vint(&v->u.st.fields[0], KS_TYPE_INT32, 1);
	vint(&v->u.st.fields[1], KS_TYPE_INT64, ms);
	return rec(topic, 0, 0, NULL, NULL, vs, v);
}

KS_TEST(timestamptz_option_and_db_timezone)
{
	ks_schema_t *vs = ts_schema();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS ty_tstz");
	sql("DROP TABLE IF EXISTS ty_ny");
	t = task("ty-tstz", cfg("ksink.timestamp.type", "timestamptz", NULL));
	r[0] = ts_record(vs, "ty_tstz", 1700000000123LL);
	put(t, r, 1);
	COMMIT_OK(t, "ty_tstz", 0, 1);
	KS_CHECK_STR(q1("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid "
	                "= 'ty_tstz'::regclass AND attname = 'ts'"),
	             "timestamp with time zone");
	KS_CHECK_STR(q1("SELECT extract(epoch FROM ts)::numeric * 1000 FROM ty_tstz"),
	             "1700000000123.000000");
	done(t);
	/* Java semantics: TIMESTAMP columns get the wall clock of db.timezone */
	t = task("ty-ny", cfg("db.timezone", "America/New_York", NULL));
	r[0] = ts_record(vs, "ty_ny", 1700000000123LL);
	put(t, r, 1);
	COMMIT_OK(t, "ty_ny", 0, 1);
	KS_CHECK_STR(q1("SELECT ts::text FROM ty_ny"), "2023-11-14 17:13:20.123");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(existing_table_with_other_column_types)
{
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "u", sch(KS_TYPE_STRING, 0));
	field(vs, "j", sch(KS_TYPE_STRING, 0));
	field(vs, "short", sch(KS_TYPE_STRING, 0));
	field(vs, "num", sch(KS_TYPE_INT64, 0));
	field(vs, "ts", lg(KS_LOGICAL_TIMESTAMP));
	sql("DROP TABLE IF EXISTS ty_existing");
	sql("CREATE TABLE ty_existing (id BIGINT PRIMARY KEY, u UUID, j JSONB, short VARCHAR(5), "
	    "num NUMERIC(20,2), ts TIMESTAMPTZ, extra TEXT DEFAULT 'x')");
	t = task("ty-existing",
	         cfg("pk.mode", "record_value", "pk.fields", "id", "insert.mode", "upsert", NULL));
	for (int i = 0; i < 2; i++) {
		ks_value_t *v = vstruct(6);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, i + 1);
		vstr(&v->u.st.fields[1], "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
		vstr(&v->u.st.fields[2], "{\"a\": [1, 2]}");
		vstr(&v->u.st.fields[3], i ? "toolong" : "ok");
		vint(&v->u.st.fields[4], KS_TYPE_INT64, 12345);
		vint(&v->u.st.fields[5], KS_TYPE_INT64, 0);
		r[i] = rec("ty_existing", 0, i, NULL, NULL, vs, v);
	}
	put(t, r, 2);
	/* varchar(5) overflow: the second record is the bad one */
	const th_errant_t *e = commit_bad(t, "ty_existing", 0, 2, (int64_t[]){1}, 1);
	KS_CHECK(strstr(e->errstr, "too long"), "%s", e->errstr);
	KS_CHECK_STR(q1("SELECT concat_ws('|', id, u, j->'a'->>1, short, num, "
	                "extract(epoch FROM ts), extra) FROM ty_existing"),
	             "1|3f2504e0-4f89-11d3-9a0c-0305e82c3301|2|ok|12345.00|0.000000|x");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(insert_mode_direct_copy_into_existing_varchar)
{
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	field(vs, "name", sch(KS_TYPE_STRING, 1));
	field(vs, "at", lg(KS_LOGICAL_TIMESTAMP));
	sql("DROP TABLE IF EXISTS ty_direct");
	sql("CREATE TABLE ty_direct (name VARCHAR(10), at TIMESTAMP)");
	t = task("ty-direct", cfg(NULL));
	for (int i = 0; i < 3; i++) {
		ks_value_t *v = vstruct(2);
		vstr(&v->u.st.fields[0], i == 1 ? "much too long!" : "fine");
		vint(&v->u.st.fields[1], KS_TYPE_INT64, 86400000LL * i);
		r[i] = rec("ty_direct", 0, i, NULL, NULL, vs, v);
	}
	put(t, r, 3);
	commit_bad(t, "ty_direct", 0, 3, (int64_t[]){1}, 1);
	KS_CHECK_STR(q1("SELECT string_agg(at::text, ',' ORDER BY at) FROM ty_direct"),
	             "1970-01-01 00:00:00,1970-01-03 00:00:00");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(timestamp_fields_list_epoch_micros_and_nanos)
{
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "at_us", sch(KS_TYPE_INT64, 0));
	field(vs, "at_str", sch(KS_TYPE_STRING, 1));
	field(vs, "plain", sch(KS_TYPE_INT64, 0));
	for (int nanos = 0; nanos < 2; nanos++) {
		const char *table = nanos ? "ty_tsl_ns" : "ty_tsl_us";
		int64_t mul = nanos ? 1000 : 1;
		char str[32];
		ks_value_t *v = vstruct(4);

		sql("DROP TABLE IF EXISTS %s", table);
		t = task(table,
		         cfg("timestamp.fields.list", "at_us, at_str", "timestamp.precision.mode",
		             nanos ? "nanoseconds" : "microseconds", NULL));
		vint(&v->u.st.fields[0], KS_TYPE_INT32, 1);
		vint(&v->u.st.fields[1], KS_TYPE_INT64, 1700000000123456LL * mul);
		snprintf(str, sizeof(str), "%lld", (long long)(-1 * mul)); /* 1 us before 1970 */
		vstr(&v->u.st.fields[2], str);
		vint(&v->u.st.fields[3], KS_TYPE_INT64, 5);
		r[0] = rec(table, 0, 0, NULL, NULL, vs, v);
		v = vstruct(4);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, 2);
		vint(&v->u.st.fields[1], KS_TYPE_INT64, 0);
		vstr(&v->u.st.fields[2], "12x");
		vint(&v->u.st.fields[3], KS_TYPE_INT64, 5);
		r[1] = rec(table, 0, 1, NULL, NULL, vs, v);
		put(t, r, 2);
		const th_errant_t *e = commit_bad(t, table, 0, 2, (int64_t[]){1}, 1);
		KS_CHECK(strstr(e->errstr, "not an epoch number"), "%s", e->errstr);
		KS_CHECK_STR(
		        q1("SELECT concat_ws('|', at_us, at_str, plain, pg_typeof(at_us)) FROM "
		           "%s",
		           table),
		        "2023-11-14 22:13:20.123456|1969-12-31 23:59:59.999999|5|timestamp "
		        "without time zone");
		done(t);
	}
	ks_schema_unref(vs);
}
