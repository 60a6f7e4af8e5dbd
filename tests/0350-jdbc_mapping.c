/*
 * 0350-jdbc_mapping.c — field mapping details of the JDBC sink:
 * fields.whitelist, replace.null.with.default=false, pk.fields subsets of a
 * Struct key, custom kafka pk names, key fields winning over value fields of
 * the same name, table.types for partitioned tables, and record-level data
 * errors against existing column types (int overflow, bad uuid).
 */
#include "jdbc_helpers.h"

KS_TEST(fields_whitelist_keeps_keys)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS mp_white");
	t = task("mp-white", cfg("pk.mode", "record_key", "fields.whitelist", "amount", NULL));
	r[0] = brec(b, "mp_white", 0, 0, 1, "hidden", 2.5);
	put(t, r, 1);
	COMMIT_OK(t, "mp_white", 0, 1);
	KS_CHECK_STR(q1("SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE "
	                "attrelid = 'mp_white'::regclass AND attnum > 0"),
	             "amount,id");
	KS_CHECK_STR(q1("SELECT id || '/' || amount FROM mp_white"), "1/2.5");
	done(t);
	basic_free(b);
}

static ks_schema_t *def_schema(void)
{
	ks_schema_t *vs = sch_struct(), *s = sch(KS_TYPE_INT32, 1);
	ks_value_t dv;

	field(vs, "id", sch(KS_TYPE_INT32, 0));
	vint(&dv, KS_TYPE_INT32, 7);
	KS_CHECK(!ks_schema_set_default(s, &dv), "oom");
	field(vs, "qty", s);
	return vs;
}

KS_TEST(replace_null_with_default_false_writes_null)
{
	ks_schema_t *vs = def_schema();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_value_t *v = vstruct(2);

	sql("DROP TABLE IF EXISTS mp_nodef");
	t = task("mp-nodef", cfg("replace.null.with.default", "false", NULL));
	vint(&v->u.st.fields[0], KS_TYPE_INT32, 1);
	vnull(&v->u.st.fields[1], KS_TYPE_INT32);
	r[0] = rec("mp_nodef", 0, 0, NULL, NULL, vs, v);
	put(t, r, 1);
	COMMIT_OK(t, "mp_nodef", 0, 1);
	KS_CHECK_STR(q1("SELECT qty FROM mp_nodef"), "(null)");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(struct_key_pk_fields_subset_and_key_wins)
{
	ks_schema_t *ks = sch_struct(), *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	field(ks, "id", sch(KS_TYPE_INT32, 0));
	field(ks, "ignored", sch(KS_TYPE_STRING, 0));
	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "val", sch(KS_TYPE_STRING, 0));
	sql("DROP TABLE IF EXISTS mp_subset");
	t = task("mp-subset",
	         cfg("pk.mode", "record_key", "pk.fields", "id", "insert.mode", "upsert", NULL));
	for (int i = 0; i < 2; i++) {
		ks_value_t *k = vstruct(2), *v = vstruct(2);
		vint(&k->u.st.fields[0], KS_TYPE_INT32, 5);
		vstr(&k->u.st.fields[1], "x");
		vint(&v->u.st.fields[0], KS_TYPE_INT32, 999); /* the key's id wins */
		vstr(&v->u.st.fields[1], i ? "second" : "first");
		r[i] = rec("mp_subset", 0, i, ks, k, vs, v);
	}
	put(t, r, 2);
	COMMIT_OK(t, "mp_subset", 0, 2);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || val, ',') FROM mp_subset"), "5=second");
	KS_CHECK_INT(qn("SELECT count(*) FROM pg_attribute WHERE attrelid = "
	                "'mp_subset'::regclass AND attname = 'ignored'"),
	             0);
	done(t);
	ks_schema_unref(ks);
	ks_schema_unref(vs);
}

KS_TEST(kafka_pk_custom_names)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS mp_kafka_names");
	t = task("mp-kafka-names",
	         cfg("pk.mode", "kafka", "pk.fields", "src_topic,src_part,src_off", NULL));
	r[0] = brec(b, "mp_kafka_names", 2, 77, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "mp_kafka_names", 2, 78);
	KS_CHECK_STR(q1("SELECT src_topic || ':' || src_part || ':' || src_off FROM "
	                "mp_kafka_names"),
	             "mp_kafka_names:2:77");
	done(t);
	basic_free(b);
}

KS_TEST(partitioned_table_needs_table_types)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_commit_result_t res;

	sql("DROP TABLE IF EXISTS mp_part");
	sql("CREATE TABLE mp_part (id INT, name TEXT, amount FLOAT8) PARTITION BY RANGE (id)");
	sql("CREATE TABLE mp_part_1 PARTITION OF mp_part FOR VALUES FROM (0) TO (1000)");
	t = task("mp-part", cfg(NULL));
	r[0] = brec(b, "mp_part", 0, 0, 1, "a", 1);
	put(t, r, 1);
	res = commit(t, "mp_part", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "table.types"), "%s", res.errstr);
	done(t);
	t = task("mp-part", cfg("table.types", "TABLE, PARTITIONED TABLE", NULL));
	put(t, r, 1);
	COMMIT_OK(t, "mp_part", 0, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM mp_part_1"), 1);
	done(t);
	basic_free(b);
}

KS_TEST(data_errors_against_existing_types)
{
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[4];
	const th_errant_t *e;

	field(vs, "n", sch(KS_TYPE_INT64, 0));
	field(vs, "u", sch(KS_TYPE_STRING, 0));
	sql("DROP TABLE IF EXISTS mp_errs");
	sql("CREATE TABLE mp_errs (n INT, u UUID)");
	t = task("mp-errs", cfg(NULL));
	for (int i = 0; i < 4; i++) {
		ks_value_t *v = vstruct(2);
		vint(&v->u.st.fields[0], KS_TYPE_INT64, i == 1 ? 10000000000LL : i);
		vstr(&v->u.st.fields[1],
		     i == 3 ? "not-a-uuid" : "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
		r[i] = rec("mp_errs", 0, i, NULL, NULL, vs, v);
	}
	put(t, r, 4);
	e = commit_bad(t, "mp_errs", 0, 4, (int64_t[]){1, 3}, 2);
	KS_CHECK(strstr(e[0].errstr, "out of range"), "%s", e[0].errstr);
	KS_CHECK(strstr(e[1].errstr, "uuid"), "%s", e[1].errstr);
	KS_CHECK_STR(q1("SELECT string_agg(n::text, ',' ORDER BY n) FROM mp_errs"), "0,2");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(string_values_into_one_column)
{
	ks_schema_t *ks = sch(KS_TYPE_STRING, 0), *vs = sch(KS_TYPE_STRING, 1);
	ks_sink_task_t *t;
	ks_record_t *r[3];

	sql("DROP TABLE IF EXISTS mp_strings");
	t = task("mp-strings", cfg("pk.mode", "record_key", "pk.fields", "k", "insert.mode",
	                           "upsert", "string.output.value.column.name", "payload", NULL));
	for (int i = 0; i < 3; i++) {
		ks_value_t *k = ks_value_new(arena(), KS_TYPE_STRING);
		ks_value_t *v = ks_value_new(arena(), KS_TYPE_STRING);
		vstr(k, i == 2 ? "a" : i ? "b" : "a");
		vstr(v, i == 2 ? "{\"raw\": 3}" : "plain text");
		r[i] = rec("mp_strings", 0, i, ks, k, vs, v);
	}
	put(t, r, 3);
	COMMIT_OK(t, "mp_strings", 0, 3);
	KS_CHECK_STR(q1("SELECT string_agg(k || '=' || payload, ',' ORDER BY k) FROM mp_strings"),
	             "a={\"raw\": 3},b=plain text");
	done(t);
	ks_schema_unref(ks);
	ks_schema_unref(vs);
}
