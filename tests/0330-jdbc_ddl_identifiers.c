/*
 * 0330-jdbc_ddl_identifiers.c — auto.create then auto.evolve as a schema
 * gains fields, the Java rules for what cannot be evolved, missing tables,
 * schema-qualified and dotted names, quote.sql.identifiers=never, reserved
 * words, mixed case, and injection attempts through table, field names and
 * values (the victim table must survive and values be stored verbatim).
 */
#include "jdbc_helpers.h"

static ks_record_t *row(ks_schema_t *vs, const char *topic, int64_t off, int nvals, ...)
{
	ks_value_t *v = vstruct(vs->nfields);
	va_list ap;

	va_start(ap, nvals);
	for (size_t i = 0; i < vs->nfields; i++) {
		ks_value_t *f = &v->u.st.fields[i];
		if ((int)i >= nvals) {
			vnull(f, vs->fields[i].schema->type);
			continue;
		}
		if (vs->fields[i].schema->type == KS_TYPE_STRING) {
			const char *s = va_arg(ap, const char *);
			if (s)
				vstr(f, s);
			else
				vnull(f, KS_TYPE_STRING);
		} else {
			vint(f, vs->fields[i].schema->type, va_arg(ap, int));
		}
	}
	va_end(ap);
	return rec(topic, 0, off, NULL, NULL, vs, v);
}

KS_TEST(auto_evolve_adds_optional_and_defaulted_fields)
{
	ks_schema_t *v1 = sch_struct(), *v2 = sch_struct(), *v3 = sch_struct(), *s;
	ks_value_t dv;
	ks_sink_task_t *t;
	ks_record_t *r[2];

	field(v1, "id", sch(KS_TYPE_INT32, 0));
	field(v1, "name", sch(KS_TYPE_STRING, 1));
	field(v2, "id", sch(KS_TYPE_INT32, 0));
	field(v2, "name", sch(KS_TYPE_STRING, 1));
	field(v2, "extra", sch(KS_TYPE_INT32, 1));
	s = sch(KS_TYPE_BOOLEAN, 0);
	vint(&dv, KS_TYPE_BOOLEAN, 1);
	KS_CHECK(!ks_schema_set_default(s, &dv), "oom");
	field(v2, "flag", s);
	field(v3, "id", sch(KS_TYPE_INT32, 0));
	field(v3, "required_new", sch(KS_TYPE_INT32, 0));

	sql("DROP TABLE IF EXISTS ddl_evolve");
	t = task("ddl-evolve", cfg("auto.evolve", "true", "pk.mode", "record_value", "pk.fields",
	                           "id", "insert.mode", "upsert", NULL));
	r[0] = row(v1, "ddl_evolve", 0, 2, 1, "one");
	put(t, r, 1);
	COMMIT_OK(t, "ddl_evolve", 0, 1);
	r[0] = row(v2, "ddl_evolve", 1, 4, 2, "two", 5, 0);
	r[1] = row(v1, "ddl_evolve", 2, 2, 3, "three"); /* old schema after new: still fine */
	put(t, r, 2);
	COMMIT_OK(t, "ddl_evolve", 0, 3);
	KS_CHECK_STR(q1("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
	                "attrelid = 'ddl_evolve'::regclass AND attnum > 0"),
	             "id,name,extra,flag");
	KS_CHECK_STR(q1("SELECT string_agg(concat_ws(':', id, name, extra, flag), ',' ORDER BY id) "
	                "FROM ddl_evolve"),
	             "1:one:t,2:two:5:f,3:three:t");
	/* a new required field without default cannot be added (Java's rule) */
	r[0] = row(v3, "ddl_evolve", 3, 2, 4, 9);
	put(t, r, 1);
	ks_commit_result_t res = commit(t, "ddl_evolve", 0, 4);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "Cannot ALTER TABLE") && strstr(res.errstr, "required_new"),
	         "%s", res.errstr);
	done(t);
	ks_schema_unref(v1);
	ks_schema_unref(v2);
	ks_schema_unref(v3);
}

KS_TEST(missing_table_and_columns_without_auto)
{
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_commit_result_t res;

	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "newcol", sch(KS_TYPE_STRING, 1));
	sql("DROP TABLE IF EXISTS ddl_missing");
	t = task("ddl-missing", cfg("auto.create", "false", NULL));
	r[0] = row(vs, "ddl_missing", 0, 2, 1, "x");
	put(t, r, 1);
	res = commit(t, "ddl_missing", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "is missing and auto-creation is disabled"), "%s", res.errstr);
	sql("CREATE TABLE ddl_missing (id INT)");
	res = commit(t, "ddl_missing", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "missing fields (newcol) and auto-evolution is disabled"), "%s",
	         res.errstr);
	sql("ALTER TABLE ddl_missing ADD newcol TEXT");
	COMMIT_OK(t, "ddl_missing", 0, 1);
	KS_CHECK_STR(q1("SELECT newcol FROM ddl_missing"), "x");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(table_dropped_behind_our_back_is_recreated)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS ddl_dropped");
	t = task("ddl-dropped", cfg("max.retries", "2", NULL));
	r[0] = brec(b, "ddl_dropped", 0, 0, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "ddl_dropped", 0, 1);
	sql("DROP TABLE ddl_dropped");
	r[0] = brec(b, "ddl_dropped", 0, 1, 2, "b", 1);
	put(t, r, 1);
	COMMIT_OK(t, "ddl_dropped", 0, 2);
	KS_CHECK_STR(q1("SELECT string_agg(id::text, ',') FROM ddl_dropped"), "2");
	done(t);
	basic_free(b);
}

KS_TEST(schema_qualified_and_catalog_names)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_commit_result_t res;

	sql("DROP SCHEMA IF EXISTS ddl_s CASCADE");
	sql("CREATE SCHEMA ddl_s");
	t = task("ddl-s", cfg("table.name.format", "ddl_s.\"Dotted.${topic}\"", NULL));
	r[0] = brec(b, "orders", 0, 0, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "orders", 0, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM ddl_s.\"Dotted.orders\""), 1);
	done(t);
	t = task("ddl-cat", cfg("table.name.format", "postgres.ddl_s.cat_${topic}", NULL));
	r[0] = brec(b, "orders", 0, 0, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "orders", 0, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM ddl_s.cat_orders"), 1);
	done(t);
	t = task("ddl-xdb", cfg("table.name.format", "otherdb.ddl_s.${topic}", NULL));
	r[0] = brec(b, "orders", 0, 0, 1, "a", 1);
	put(t, r, 1);
	res = commit(t, "orders", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "cross-database"), "%s", res.errstr);
	done(t);
	basic_free(b);
}

KS_TEST(quote_never_folds_unquoted_names)
{
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	field(vs, "CamelCase", sch(KS_TYPE_INT32, 0));
	sql("DROP TABLE IF EXISTS mixedtopic");
	t = task("ddl-never", cfg("quote.sql.identifiers", "never", NULL));
	r[0] = row(vs, "MixedTopic", 0, 1, 5);
	put(t, r, 1);
	COMMIT_OK(t, "MixedTopic", 0, 1);
	KS_CHECK_INT(qn("SELECT camelcase FROM mixedtopic"), 5);
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(reserved_words_mixed_case_and_injection)
{
	static const char *const names[] = {"x\"); DROP TABLE ddl_victim; --", "select", "Order",
	                                    "MixedCase", "group by"};
	static const char evil_value[] = "'); DROP TABLE ddl_victim; -- \\\" \\N \t";
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	for (int i = 0; i < 5; i++)
		field(vs, names[i], sch(KS_TYPE_STRING, 1));
	sql("CREATE TABLE IF NOT EXISTS ddl_victim (x INT)");
	sql("DROP TABLE IF EXISTS \"ddl_\"\"; DROP TABLE ddl_victim; --\"");
	t = task("ddl-evil", cfg("table.name.format", "ddl_\"; DROP TABLE ddl_victim; --",
	                         "pk.mode", "record_value", "pk.fields", "select", "insert.mode",
	                         "upsert", "auto.evolve", "true", NULL));
	r[0] = row(vs, "evil", 0, 5, evil_value, "k1", evil_value, "m", "g");
	r[1] = row(vs, "evil", 1, 5, "plain", "k2", "o", evil_value, "g");
	put(t, r, 2);
	COMMIT_OK(t, "evil", 0, 2);
	KS_CHECK_STR(q1("SELECT to_regclass('ddl_victim') IS NOT NULL"), "t");
	KS_CHECK_INT(qn("SELECT count(*) FROM \"ddl_\"\"; DROP TABLE ddl_victim; --\""), 2);
	{
		PGresult *res;
		const char *params[1] = {evil_value};
		res = PQexecParams(db(),
		                   "SELECT count(*) FROM \"ddl_\"\"; DROP TABLE ddl_victim; --\" "
		                   "WHERE \"x\"\"); DROP TABLE ddl_victim; --\" = $1 AND "
		                   "\"Order\" = $1 AND \"select\" = 'k1'",
		                   1, NULL, params, NULL, NULL, 0);
		KS_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
		KS_CHECK_STR(PQgetvalue(res, 0, 0), "1");
		PQclear(res);
	}
	KS_CHECK_STR(q1("SELECT \"MixedCase\" || '/' || \"group by\" FROM \"ddl_\"\"; DROP TABLE "
	                "ddl_victim; --\" WHERE \"select\" = 'k2'"),
	             "'); DROP TABLE ddl_victim; -- \\\" \\N \t/g");
	done(t);
	ks_schema_unref(vs);
}

KS_TEST(failing_ddl_is_a_record_error)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	const th_errant_t *e;

	sql("DROP SCHEMA IF EXISTS ddl_nosuch CASCADE");
	t = task("ddl-nosuch", cfg("table.name.format", "ddl_nosuch.${topic}", NULL));
	r[0] = brec(b, "orders", 0, 0, 1, "a", 1);
	put(t, r, 1);
	e = refused(t, "orders", 0, 1, 0);
	KS_CHECK(strstr(e->errstr, "ddl_nosuch"), "%s", e->errstr);
	/* the schema appears: the same batch goes through */
	sql("CREATE SCHEMA ddl_nosuch");
	COMMIT_OK(t, "orders", 0, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM ddl_nosuch.orders"), 1);
	done(t);
	basic_free(b);
}
