/*
 * 0370-jdbc_injection.c — SQL injection attempts against the JDBC sink on the
 * real Postgres, through every way a name or a value reaches SQL: topic
 * names (as table names), table.name.format, field names (columns, primary
 * keys, record keys for deletes, auto.evolve), schema default values
 * (DDL DEFAULT), the connector name and ksink.offsets.table (offsets rows),
 * and record values in insert, upsert, update and delete modes. Each payload
 * must land verbatim in the table / column it names, and nothing else in the
 * database may change: the victim table keeps its row and the list of
 * tables outside the test schema stays the same.
 */
#include "jdbc_helpers.h"

/* Payloads: quotes, statement breaks, comments, escapes, format strings,
 * COPY text markers, control characters, non-ASCII. No dots (a dot splits a
 * table name into schema.table, as in the Java sink) and no commas (pk.fields
 * is a list). */
static const char *const evil[] = {
        "x\"); DROP TABLE inj_victim; --",
        "'); DROP TABLE inj_victim; --",
        "a\"b\"\"c",
        "semi;colon; SELECT pg_sleep(5);",
        "it's 'quoted'",
        "dash--dash /* c */",
        "back\\slash \\N \\x41",
        "$1 $$ %s %n %99999d ${topic}",
        "tab\tnew\nline\rcr",
        "uni ∑ 表 😀 é",
        "E'\\047'",
        "\"",
};
#define NEVIL (sizeof(evil) / sizeof(evil[0]))

static char public_tables[8192];

static const char *tables_outside(void)
{
	return q1("SELECT coalesce(string_agg(n.nspname || '.' || c.relname, ',' ORDER BY 1), '') "
	          "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	          "WHERE c.relkind IN ('r','v','m','p','f') AND n.nspname NOT IN "
	          "('inj', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%%' "
	          "AND c.relname <> '__ksink_offsets'");
}

/* A fresh schema inj and the victim public.inj_victim with one row. */
static void setup(void)
{
	sql("DROP SCHEMA IF EXISTS inj CASCADE");
	sql("CREATE SCHEMA inj");
	sql("DROP TABLE IF EXISTS inj_victim");
	sql("CREATE TABLE inj_victim (x INT)");
	sql("INSERT INTO inj_victim VALUES (42)");
	snprintf(public_tables, sizeof(public_tables), "%s", tables_outside());
}

/* Nothing outside schema inj changed. */
static void untouched(void)
{
	KS_CHECK_STR(q1("SELECT string_agg(x::text, ',') FROM inj_victim"), "42");
	KS_CHECK_STR(tables_outside(), public_tables);
}

/* Rows of inj.<table> whose <col> = val (names quoted here, the value bound). */
static long count_eq(const char *table, const char *col, const char *val, size_t vlen, int bin)
{
	ks_buf_t b = KS_BUF_INIT;
	const char *params[1] = {val};
	int lens[1] = {(int)vlen}, fmts[1] = {bin};
	PGresult *r;
	long n;

	ks_buf_puts(&b, "SELECT count(*) FROM inj.");
	ks_jdbc_quote_ident(&b, table);
	ks_buf_puts(&b, " WHERE ");
	ks_jdbc_quote_ident(&b, col);
	ks_buf_puts(&b, " = $1");
	KS_CHECK(!ks_buf_failed(&b), "oom");
	r = PQexecParams(db(), b.data, 1, NULL, params, lens, fmts, 0);
	KS_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", b.data, PQresultErrorMessage(r));
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	ks_buf_free(&b);
	return n;
}

static long count_all(const char *table)
{
	ks_buf_t b = KS_BUF_INIT;
	long n;

	ks_buf_puts(&b, "SELECT count(*) FROM inj.");
	ks_jdbc_quote_ident(&b, table);
	n = qn("%s", b.data);
	ks_buf_free(&b);
	return n;
}

/* Does inj.<name> exist (exact name)? */
static int table_exists(const char *name)
{
	const char *params[1] = {name};
	PGresult *r =
	        PQexecParams(db(),
	                     "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
	                     "n.oid = c.relnamespace WHERE n.nspname = 'inj' AND c.relname = $1",
	                     1, NULL, params, NULL, NULL, 0);
	int n;
	KS_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n == 1;
}

static long inj_tables(void)
{
	return qn("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	          "WHERE n.nspname = 'inj' AND c.relkind = 'r'");
}

/* value {id int32, v string} */
static ks_schema_t *idv_schema(void)
{
	ks_schema_t *s = sch_struct();
	field(s, "id", sch(KS_TYPE_INT32, 0));
	field(s, "v", sch(KS_TYPE_STRING, 1));
	return s;
}

static ks_record_t *idv(ks_schema_t *s, const char *topic, int64_t off, int id, const char *v)
{
	ks_value_t *val = vstruct(2);
	vint(&val->u.st.fields[0], KS_TYPE_INT32, id);
	vstr(&val->u.st.fields[1], v);
	return rec(topic, 0, off, NULL, NULL, s, val);
}

KS_TEST(topic_names_become_exactly_those_tables)
{
	ks_schema_t *s = idv_schema();
	ks_sink_task_t *t;

	setup();
	t = task("inj-topics", cfg("table.name.format", "inj.${topic}", NULL));
	for (size_t i = 0; i < NEVIL; i++) {
		ks_record_t *r[1];
		if (evil[i][0] == '"')
			continue; /* a leading quote makes a quoted name: next test */
		r[0] = idv(s, evil[i], 0, (int)i, evil[i]);
		put(t, r, 1);
		COMMIT_OK(t, evil[i], 0, 1);
		KS_CHECK(table_exists(evil[i]), "no table named [%s]", evil[i]);
		KS_CHECK_INT(count_all(evil[i]), 1);
		KS_CHECK_INT(count_eq(evil[i], "v", evil[i], strlen(evil[i]), 0), 1);
	}
	KS_CHECK_INT(inj_tables(), NEVIL - 1);
	done(t);
	untouched();
	ks_schema_unref(s);
}

KS_TEST(table_name_format_payloads)
{
	static const struct {
		const char *format, *table;
	} cases[] = {
	        {"inj.x\"); DROP TABLE inj_victim; --${topic}", "x\"); DROP TABLE inj_victim; --t"},
	        {"inj.\"q \"\"dq\"\" ${topic}\"", "q \"dq\" t"},
	        {"inj.\"x\"; DROP TABLE inj_victim; --", "x; DROP TABLE inj_victim; --"},
	        {"inj.${topic}'); DROP TABLE inj_victim; --", "t'); DROP TABLE inj_victim; --"},
	        {"inj.${topic}${topic}", "tt"},
	};
	ks_schema_t *s = idv_schema();

	setup();
	for (size_t i = 0; i < KS_ARRAY_SIZE(cases); i++) {
		ks_sink_task_t *t =
		        task("inj-format", cfg("table.name.format", cases[i].format, NULL));
		ks_record_t *r[1] = {idv(s, "t", 0, 1, evil[i])};
		put(t, r, 1);
		COMMIT_OK(t, "t", 0, 1);
		KS_CHECK(table_exists(cases[i].table), "format [%s]: no table [%s]",
		         cases[i].format, cases[i].table);
		KS_CHECK_INT(count_eq(cases[i].table, "v", evil[i], strlen(evil[i]), 0), 1);
		done(t);
	}
	KS_CHECK_INT(inj_tables(), KS_ARRAY_SIZE(cases));
	/* an unterminated quoted name is refused as a record error, touching nothing */
	{
		ks_sink_task_t *t = task(
		        "inj-unterminated",
		        cfg("table.name.format", "inj.\"${topic}; DROP TABLE inj_victim", NULL));
		ks_record_t *r[1] = {idv(s, "t", 0, 1, "x")};
		ks_commit_result_t res;
		put(t, r, 1);
		res = commit(t, "t", 0, 1);
		KS_CHECK(res.err == KS_ERR_RECORD, "%s: %s", ks_err_name(res.err), res.errstr);
		done(t);
	}
	KS_CHECK_INT(inj_tables(), KS_ARRAY_SIZE(cases));
	untouched();
	ks_schema_unref(s);
}

/* A struct of "id" plus one optional string column per payload. */
static ks_schema_t *wide_schema(const char *key_name)
{
	ks_schema_t *s = sch_struct();
	field(s, key_name, sch(KS_TYPE_INT32, 0));
	for (size_t i = 0; i < NEVIL; i++)
		field(s, evil[i], sch(KS_TYPE_STRING, 1));
	return s;
}

/* Row with key id whose every payload column holds payload (i + shift). */
static ks_record_t *wide(ks_schema_t *s, const char *topic, int64_t off, int id, int shift,
                         ks_schema_t *ks, const char *key_name)
{
	ks_value_t *v = vstruct(NEVIL + 1), *k = NULL;
	vint(&v->u.st.fields[0], KS_TYPE_INT32, id);
	for (size_t i = 0; i < NEVIL; i++)
		vstr(&v->u.st.fields[i + 1], evil[(i + (size_t)shift) % NEVIL]);
	if (ks) {
		k = vstruct(1);
		vint(&k->u.st.fields[0], KS_TYPE_INT32, id);
		(void)key_name;
	}
	return rec(topic, 0, off, ks, k, s, v);
}

/* Every payload column of row id holds payload (i + shift). */
static void check_wide(const char *table, const char *key_name, int id, int shift)
{
	for (size_t i = 0; i < NEVIL; i++) {
		ks_buf_t b = KS_BUF_INIT;
		const char *want = evil[(i + (size_t)shift) % NEVIL];
		char idtext[16];
		const char *params[2] = {want, idtext};
		PGresult *r;

		snprintf(idtext, sizeof(idtext), "%d", id);
		ks_buf_puts(&b, "SELECT count(*) FROM inj.");
		ks_jdbc_quote_ident(&b, table);
		ks_buf_puts(&b, " WHERE ");
		ks_jdbc_quote_ident(&b, evil[i]);
		ks_buf_puts(&b, " = $1 AND ");
		ks_jdbc_quote_ident(&b, key_name);
		ks_buf_puts(&b, " = $2::int");
		r = PQexecParams(db(), b.data, 2, NULL, params, NULL, NULL, 0);
		KS_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", b.data,
		         PQresultErrorMessage(r));
		KS_CHECK_STR(PQgetvalue(r, 0, 0), "1");
		PQclear(r);
		ks_buf_free(&b);
	}
}

KS_TEST(field_names_and_values_in_every_mode)
{
	const char *pk = "k\"); DROP TABLE inj_victim; --";
	ks_schema_t *s = wide_schema(pk), *ks = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	field(ks, pk, sch(KS_TYPE_INT32, 0));
	setup();
	/* insert, no key */
	t = task("inj-insert", cfg("table.name.format", "inj.${topic}", NULL));
	r[0] = wide(s, "ins", 0, 1, 0, NULL, NULL);
	r[1] = wide(s, "ins", 1, 2, 5, NULL, NULL);
	put(t, r, 2);
	COMMIT_OK(t, "ins", 0, 2);
	KS_CHECK_INT(count_all("ins"), 2);
	check_wide("ins", pk, 1, 0);
	check_wide("ins", pk, 2, 5);
	done(t);
	/* upsert on an evil primary key column, then update mode */
	t = task("inj-upsert", cfg("table.name.format", "inj.${topic}", "pk.mode", "record_value",
	                           "pk.fields", pk, "insert.mode", "upsert", NULL));
	r[0] = wide(s, "ups", 0, 1, 0, NULL, NULL);
	r[1] = wide(s, "ups", 1, 1, 3, NULL, NULL);
	r[2] = wide(s, "ups", 2, 2, 7, NULL, NULL);
	put(t, r, 3);
	COMMIT_OK(t, "ups", 0, 3);
	KS_CHECK_INT(count_all("ups"), 2);
	check_wide("ups", pk, 1, 3);
	check_wide("ups", pk, 2, 7);
	done(t);
	t = task("inj-update", cfg("table.name.format", "inj.${topic}", "pk.mode", "record_value",
	                           "pk.fields", pk, "insert.mode", "update", NULL));
	r[0] = wide(s, "ups", 3, 2, 11, NULL, NULL);
	put(t, r, 1);
	COMMIT_OK(t, "ups", 0, 4);
	KS_CHECK_INT(count_all("ups"), 2);
	check_wide("ups", pk, 2, 11);
	check_wide("ups", pk, 1, 3);
	done(t);
	/* record_key with an evil key field; a tombstone deletes by it */
	t = task("inj-delete", cfg("table.name.format", "inj.${topic}", "pk.mode", "record_key",
	                           "insert.mode", "upsert", "delete.enabled", "true", NULL));
	r[0] = wide(s, "del", 0, 1, 1, ks, pk);
	r[1] = wide(s, "del", 1, 2, 2, ks, pk);
	put(t, r, 2);
	COMMIT_OK(t, "del", 0, 2);
	KS_CHECK_INT(count_all("del"), 2);
	check_wide("del", pk, 2, 2);
	{
		ks_value_t *k = vstruct(1);
		vint(&k->u.st.fields[0], KS_TYPE_INT32, 1);
		r[0] = rec("del", 0, 2, ks, k, s, NULL);
	}
	put(t, r, 1);
	COMMIT_OK(t, "del", 0, 3);
	KS_CHECK_INT(count_all("del"), 1);
	check_wide("del", pk, 2, 2);
	done(t);
	/* pk.mode=kafka: the topic is a value of __connect_topic */
	t = task("inj-kafka", cfg("table.name.format", "inj.kafka_pk", "pk.mode", "kafka",
	                          "insert.mode", "upsert", NULL));
	for (size_t i = 0; i < 3; i++) {
		r[0] = wide(s, evil[i], 0, (int)i, (int)i, NULL, NULL);
		put(t, r, 1);
		COMMIT_OK(t, evil[i], 0, 1);
		KS_CHECK_INT(count_eq("kafka_pk", "__connect_topic", evil[i], strlen(evil[i]), 0),
		             1);
	}
	done(t);
	KS_CHECK_INT(inj_tables(), 4);
	untouched();
	ks_schema_unref(s);
	ks_schema_unref(ks);
}

KS_TEST(every_byte_and_copy_markers_as_values)
{
	ks_schema_t *s = sch_struct();
	char ascii[128];
	unsigned char all[256];
	static const char *const markers[] = {"\\.", "\\N", "\\.\n", "\r\n", "\\", "\\\\."};
	ks_sink_task_t *t;
	ks_record_t *r[1];

	for (int i = 1; i < 128; i++)
		ascii[i - 1] = (char)i;
	ascii[127] = '\0';
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	field(s, "id", sch(KS_TYPE_INT32, 0));
	field(s, "txt", sch(KS_TYPE_STRING, 1));
	field(s, "bin", sch(KS_TYPE_BYTES, 1));
	setup();
	t = task("inj-bytes", cfg("table.name.format", "inj.${topic}", NULL));
	{
		ks_value_t *v = vstruct(3);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, 0);
		vstr(&v->u.st.fields[1], ascii);
		vbytes(&v->u.st.fields[2], KS_TYPE_BYTES, all, sizeof(all));
		r[0] = rec("bytes", 0, 0, NULL, NULL, s, v);
	}
	put(t, r, 1);
	for (size_t i = 0; i < KS_ARRAY_SIZE(markers); i++) {
		ks_value_t *v = vstruct(3);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, (int)i + 1);
		vstr(&v->u.st.fields[1], markers[i]);
		vbytes(&v->u.st.fields[2], KS_TYPE_BYTES, markers[i], strlen(markers[i]));
		r[0] = rec("bytes", 0, (int64_t)i + 1, NULL, NULL, s, v);
		put(t, r, 1);
	}
	COMMIT_OK(t, "bytes", 0, (int64_t)KS_ARRAY_SIZE(markers) + 1);
	KS_CHECK_INT(count_all("bytes"), KS_ARRAY_SIZE(markers) + 1);
	KS_CHECK_INT(count_eq("bytes", "txt", ascii, strlen(ascii), 0), 1);
	KS_CHECK_INT(count_eq("bytes", "bin", (const char *)all, sizeof(all), 1), 1);
	for (size_t i = 0; i < KS_ARRAY_SIZE(markers); i++) {
		KS_CHECK_INT(count_eq("bytes", "txt", markers[i], strlen(markers[i]), 0), 1);
		KS_CHECK_INT(count_eq("bytes", "bin", markers[i], strlen(markers[i]), 1), 1);
	}
	done(t);
	untouched();
	ks_schema_unref(s);
}

KS_TEST(evil_defaults_and_evolved_columns)
{
	ks_schema_t *v1 = sch_struct(), *v2 = sch_struct(), *fs;
	ks_value_t dv;
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_buf_t b = KS_BUF_INIT;

	field(v1, "id", sch(KS_TYPE_INT32, 0));
	fs = sch(KS_TYPE_STRING, 1);
	vstr(&dv, evil[1]);
	KS_CHECK(!ks_schema_set_default(fs, &dv), "oom");
	field(v1, "created_default", fs);
	field(v2, "id", sch(KS_TYPE_INT32, 0));
	fs = sch(KS_TYPE_STRING, 1);
	vstr(&dv, evil[1]);
	KS_CHECK(!ks_schema_set_default(fs, &dv), "oom");
	field(v2, "created_default", fs);
	fs = sch(KS_TYPE_STRING, 1);
	vstr(&dv, evil[0]);
	KS_CHECK(!ks_schema_set_default(fs, &dv), "oom");
	field(v2, evil[0], fs); /* added by ALTER TABLE, with a DEFAULT */
	setup();
	t = task("inj-ddl", cfg("table.name.format", "inj.${topic}", "auto.evolve", "true", NULL));
	{
		ks_value_t *v = vstruct(2);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, 1);
		vstr(&v->u.st.fields[1], "given");
		r[0] = rec("ddl", 0, 0, NULL, NULL, v1, v);
	}
	put(t, r, 1);
	COMMIT_OK(t, "ddl", 0, 1);
	{
		ks_value_t *v = vstruct(3);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, 2);
		vstr(&v->u.st.fields[1], "given2");
		vstr(&v->u.st.fields[2], evil[3]);
		r[0] = rec("ddl", 0, 1, NULL, NULL, v2, v);
	}
	put(t, r, 1);
	COMMIT_OK(t, "ddl", 0, 2);
	done(t);
	/* the DEFAULTs are the payloads, as literals: a row without them shows them */
	sql("INSERT INTO inj.ddl (id) VALUES (3)");
	KS_CHECK_INT(count_eq("ddl", "created_default", evil[1], strlen(evil[1]), 0), 1);
	KS_CHECK_INT(count_eq("ddl", evil[0], evil[0], strlen(evil[0]), 0), 2); /* rows 1 and 3 */
	KS_CHECK_INT(count_eq("ddl", evil[0], evil[3], strlen(evil[3]), 0), 1);
	ks_buf_puts(&b, "SELECT count(*) FROM inj.ddl WHERE ");
	ks_jdbc_quote_ident(&b, evil[0]);
	ks_buf_puts(&b, " IS NOT NULL");
	KS_CHECK_INT(qn("%s", b.data), 3);
	ks_buf_free(&b);
	untouched();
	ks_schema_unref(v1);
	ks_schema_unref(v2);
}

KS_TEST(connector_name_and_offsets_table)
{
	const char *conn = "c'); DELETE FROM inj_victim; --";
	ks_schema_t *s = idv_schema();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_tp_offset_t o = {"t", 0, -1};
	ks_buf_t b = KS_BUF_INIT;

	setup();
	t = task(conn, cfg("table.name.format", "inj.${topic}", "ksink.offsets.table",
	                   "inj.\"off\"\"; DROP TABLE inj_victim; --\"", NULL));
	r[0] = idv(s, "t", 0, 1, "v");
	put(t, r, 1);
	COMMIT_OK(t, "t", 0, 1);
	KS_CHECK(table_exists("off\"; DROP TABLE inj_victim; --"), "offsets table not created");
	KS_CHECK_INT(
	        count_eq("off\"; DROP TABLE inj_victim; --", "connector", conn, strlen(conn), 0),
	        1);
	ks_buf_puts(&b, "SELECT next_offset FROM inj.");
	ks_jdbc_quote_ident(&b, "off\"; DROP TABLE inj_victim; --");
	KS_CHECK_STR(q1("%s", b.data), "1");
	ks_buf_free(&b);
	done(t);
	/* a new task reads its offset back by the same evil connector name */
	t = task(conn, cfg("table.name.format", "inj.${topic}", "ksink.offsets.table",
	                   "inj.\"off\"\"; DROP TABLE inj_victim; --\"", NULL));
	{
		char err[256];
		ks_tp_offset_t *out = NULL;
		KS_CHECK(ks_jdbc_sink_plugin.open(t, &o, 1, &out, err, sizeof(err)) == KS_OK,
		         "open: %s", err);
		KS_CHECK(out, "no offsets");
		KS_CHECK_INT(out[0].offset, 1);
		ks_tp_offsets_free(out, 1);
	}
	done(t);
	untouched();
	ks_schema_unref(s);
}
