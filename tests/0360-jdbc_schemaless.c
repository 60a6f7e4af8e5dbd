/*
 * 0360-jdbc_schemaless.c — schemaless JSON records (JsonConverter with
 * schemas.enable=false: a STRUCT value with member names and no schema),
 * which Confluent's sink rejects: written into an existing table, the
 * column types coming from the table (strings cast to timestamptz, numeric,
 * uuid; objects and arrays to json/jsonb), upsert by value fields, deletes
 * by a schemaless key, and clear errors for a missing table or columns.
 */
#include "jdbc_helpers.h"

/* A schemaless object with n members named by names[]. */
static ks_value_t *obj(size_t n, const char *const *names)
{
	ks_value_t *v = vstruct(n);
	const char **nm = ks_arena_calloc(arena(), n ? n : 1, sizeof(char *));

	KS_CHECK(nm, "oom");
	for (size_t i = 0; i < n; i++)
		nm[i] = ks_arena_strdup(arena(), names[i]);
	v->u.st.names = nm;
	return v;
}

static void create_table(void)
{
	sql("DROP TABLE IF EXISTS sl_t");
	sql("CREATE TABLE sl_t (id BIGINT PRIMARY KEY, name TEXT, amount NUMERIC(10,2), at "
	    "TIMESTAMPTZ, tags JSONB, meta JSON, u UUID, flag BOOLEAN, extra TEXT DEFAULT 'd')");
}

KS_TEST(schemaless_values_into_existing_table)
{
	static const char *const full[] = {"id",   "name", "amount", "at",
	                                   "tags", "meta", "u",      "flag"};
	static const char *const part[] = {"id", "amount", "name"};
	static const char *const mk[] = {"k"};
	ks_sink_task_t *t;
	ks_record_t *r[3];
	ks_value_t *v, *it;

	create_table();
	t = task("sl-values",
	         cfg("pk.mode", "record_value", "pk.fields", "id", "insert.mode", "upsert", NULL));
	v = obj(8, full);
	vint(&v->u.st.fields[0], KS_TYPE_INT64, 1);
	vstr(&v->u.st.fields[1], "a");
	vdbl(&v->u.st.fields[2], KS_TYPE_FLOAT64, 12.5);
	vstr(&v->u.st.fields[3], "2024-01-02T03:04:05Z");
	memset(&v->u.st.fields[4], 0, sizeof(ks_value_t));
	v->u.st.fields[4].type = KS_TYPE_ARRAY;
	it = v->u.st.fields[4].u.arr.items = ks_arena_calloc(arena(), 2, sizeof(ks_value_t));
	v->u.st.fields[4].u.arr.n = 2;
	vint(&it[0], KS_TYPE_INT64, 1);
	vstr(&it[1], "x");
	v->u.st.fields[5] = *obj(1, mk);
	vstr(&v->u.st.fields[5].u.st.fields[0], "v");
	vstr(&v->u.st.fields[6], "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
	vint(&v->u.st.fields[7], KS_TYPE_BOOLEAN, 1);
	r[0] = rec("sl_t", 0, 0, NULL, NULL, NULL, v);
	/* another field set, a string for the numeric and a null */
	v = obj(3, part);
	vint(&v->u.st.fields[0], KS_TYPE_INT64, 2);
	vstr(&v->u.st.fields[1], "7.25");
	vnull(&v->u.st.fields[2], KS_TYPE_STRING);
	r[1] = rec("sl_t", 0, 1, NULL, NULL, NULL, v);
	/* an update of id 1 with the short field set */
	v = obj(3, part);
	vint(&v->u.st.fields[0], KS_TYPE_INT64, 1);
	vdbl(&v->u.st.fields[1], KS_TYPE_FLOAT64, 99);
	vstr(&v->u.st.fields[2], "a2");
	r[2] = rec("sl_t", 0, 2, NULL, NULL, NULL, v);
	put(t, r, 2);
	COMMIT_OK(t, "sl_t", 0, 2);
	KS_CHECK_STR(q1("SELECT concat_ws('|', id, name, amount, extract(epoch FROM at), tags, "
	                "meta, u, flag, extra) FROM sl_t WHERE id = 1"),
	             "1|a|12.50|1704164645.000000|[1, \"x\"]|{\"k\": \"v\"}|"
	             "3f2504e0-4f89-11d3-9a0c-0305e82c3301|t|d");
	KS_CHECK_STR(q1("SELECT concat_ws('|', id, coalesce(name, 'NULL'), amount) FROM sl_t "
	                "WHERE id = 2"),
	             "2|NULL|7.25");
	put(t, r + 2, 1);
	COMMIT_OK(t, "sl_t", 0, 3);
	KS_CHECK_STR(q1("SELECT concat_ws('|', name, amount, flag) FROM sl_t WHERE id = 1"),
	             "a2|99.00|t");
	done(t);
}

KS_TEST(schemaless_key_deletes)
{
	static const char *const kn[] = {"id"};
	static const char *const vn[] = {"id", "name"};
	ks_sink_task_t *t;
	ks_record_t *r[3];

	create_table();
	t = task("sl-keys", cfg("pk.mode", "record_key", "insert.mode", "upsert", "delete.enabled",
	                        "true", NULL));
	for (int i = 0; i < 2; i++) {
		ks_value_t *k = obj(1, kn), *v = obj(2, vn);
		vint(&k->u.st.fields[0], KS_TYPE_INT64, i + 1);
		vint(&v->u.st.fields[0], KS_TYPE_INT64, i + 1);
		vstr(&v->u.st.fields[1], "n");
		r[i] = rec("sl_t", 0, i, NULL, k, NULL, v);
	}
	put(t, r, 2);
	COMMIT_OK(t, "sl_t", 0, 2);
	ks_value_t *k = obj(1, kn);
	vint(&k->u.st.fields[0], KS_TYPE_INT64, 1);
	r[0] = rec("sl_t", 0, 2, NULL, k, NULL, NULL);
	put(t, r, 1);
	COMMIT_OK(t, "sl_t", 0, 3);
	KS_CHECK_STR(q1("SELECT string_agg(id::text, ',') FROM sl_t"), "2");
	done(t);
}

KS_TEST(schemaless_errors_are_clear)
{
	static const char *const bad[] = {"id", "bogus"};
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_commit_result_t res;
	ks_value_t *v;

	create_table();
	t = task("sl-errs", cfg(NULL));
	v = obj(2, bad);
	vint(&v->u.st.fields[0], KS_TYPE_INT64, 1);
	vstr(&v->u.st.fields[1], "x");
	r[0] = rec("sl_t", 0, 0, NULL, NULL, NULL, v);
	put(t, r, 1);
	res = commit(t, "sl_t", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "bogus") && strstr(res.errstr, "schemaless"), "%s", res.errstr);
	done(t);
	/* fields.whitelist drops the unknown field */
	t = task("sl-errs", cfg("fields.whitelist", "id", NULL));
	put(t, r, 1);
	COMMIT_OK(t, "sl_t", 0, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM sl_t"), 1);
	done(t);
	sql("DROP TABLE IF EXISTS sl_missing");
	t = task("sl-errs", cfg(NULL));
	v = obj(2, bad);
	vint(&v->u.st.fields[0], KS_TYPE_INT64, 1);
	vstr(&v->u.st.fields[1], "x");
	r[0] = rec("sl_missing", 0, 0, NULL, NULL, NULL, v);
	put(t, r, 1);
	res = commit(t, "sl_missing", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "existing tables only"), "%s", res.errstr);
	done(t);
}
