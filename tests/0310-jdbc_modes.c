/*
 * 0310-jdbc_modes.c — the JDBC sink against the stack's Postgres: every
 * insert.mode x pk.mode combination, deletes via tombstones, composite keys,
 * duplicate keys inside one batch, a batch spanning several tables,
 * idempotent re-commit, and the exactly-once offsets table (open(),
 * offsets_read, offsets_alter).
 */
#include "jdbc_helpers.h"
#include "lib/jdbc_hooks.h"

static void reset_table(const char *name)
{
	sql("DROP TABLE IF EXISTS \"%s\"", name);
	sql("CREATE TABLE IF NOT EXISTS __ksink_offsets (connector TEXT NOT NULL, topic TEXT NOT "
	    "NULL, \"partition\" INT NOT NULL, next_offset BIGINT NOT NULL, updated_at TIMESTAMPTZ "
	    "NOT NULL DEFAULT now(), PRIMARY KEY (connector, topic, \"partition\"))");
}

KS_TEST(insert_pk_none)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	reset_table("m_ins_none");
	t = task("m-ins-none", cfg(NULL));
	r[0] = brec(b, "m_ins_none", 0, 10, 1, "one", 1.5);
	r[1] = brec(b, "m_ins_none", 0, 11, 2, NULL, 2.5);
	r[2] = brec(b, "m_ins_none", 0, 12, 1, "one again", 3);
	put(t, r, 3);
	COMMIT_OK(t, "m_ins_none", 0, 13);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_ins_none"), 3);
	KS_CHECK_STR(
	        q1("SELECT string_agg(coalesce(name,'-'), ',' ORDER BY amount) FROM m_ins_none"),
	        "one,-,one again");
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'm-ins-none' "
	                "AND topic = 'm_ins_none' AND \"partition\" = 0"),
	             13);
	/* Java's DDL: no PK, nullable columns as declared */
	KS_CHECK_STR(q1("SELECT is_nullable FROM information_schema.columns WHERE table_name = "
	                "'m_ins_none' AND column_name = 'id'"),
	             "NO");
	KS_CHECK_STR(q1("SELECT is_nullable FROM information_schema.columns WHERE table_name = "
	                "'m_ins_none' AND column_name = 'name'"),
	             "YES");
	done(t);
	basic_free(b);
}

KS_TEST(insert_pk_kafka)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table("m_ins_kafka");
	t = task("m-ins-kafka", cfg("pk.mode", "kafka", NULL));
	r[0] = brec(b, "m_ins_kafka", 3, 100, 1, "a", 1);
	r[1] = brec(b, "m_ins_kafka", 3, 101, 2, "b", 2);
	put(t, r, 2);
	COMMIT_OK(t, "m_ins_kafka", 3, 102);
	KS_CHECK_STR(q1("SELECT string_agg(__connect_topic || ':' || __connect_partition || ':' || "
	                "__connect_offset || ':' || name, ',' ORDER BY __connect_offset) FROM "
	                "m_ins_kafka"),
	             "m_ins_kafka:3:100:a,m_ins_kafka:3:101:b");
	KS_CHECK_STR(q1("SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_index i JOIN "
	                "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
	                "WHERE i.indrelid = 'm_ins_kafka'::regclass AND i.indisprimary"),
	             "__connect_topic,__connect_partition,__connect_offset");
	done(t);
	basic_free(b);
}

KS_TEST(upsert_pk_kafka_is_idempotent)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table("m_ups_kafka");
	t = task("m-ups-kafka", cfg("pk.mode", "kafka", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "m_ups_kafka", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_ups_kafka", 0, 1, 2, "b", 2);
	put(t, r, 2);
	COMMIT_OK(t, "m_ups_kafka", 0, 2);
	put(t, r, 2); /* redelivered after a crash before the Kafka commit */
	COMMIT_OK(t, "m_ups_kafka", 0, 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_ups_kafka"), 2);
	done(t);
	basic_free(b);
}

KS_TEST(insert_pk_record_key)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table("m_ins_rk");
	t = task("m-ins-rk", cfg("pk.mode", "record_key", NULL));
	r[0] = brec(b, "m_ins_rk", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_ins_rk", 0, 1, 2, "b", 2);
	put(t, r, 2);
	COMMIT_OK(t, "m_ins_rk", 0, 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_ins_rk"), 2);
	/* insert mode: a key already present is a unique violation (record-level) */
	r[0] = brec(b, "m_ins_rk", 0, 2, 1, "dup", 1);
	put(t, r, 1);
	const th_errant_t *e = commit_bad(t, "m_ins_rk", 0, 3, (int64_t[]){2}, 1);
	KS_CHECK(strstr(e->errstr, "duplicate key"), "%s", e->errstr);
	KS_CHECK_STR(e->exception, "org.postgresql.util.PSQLException");
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = 'm-ins-rk'"), 3);
	done(t);
	basic_free(b);
}

KS_TEST(upsert_pk_record_key_struct)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	reset_table("m_ups_rk");
	t = task("m-ups-rk", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "m_ups_rk", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_ups_rk", 0, 1, 2, "b", 2);
	put(t, r, 2);
	COMMIT_OK(t, "m_ups_rk", 0, 2);
	r[0] = brec(b, "m_ups_rk", 0, 2, 1, "a2", 10);
	r[1] = brec(b, "m_ups_rk", 0, 3, 3, "c", 3);
	put(t, r, 2);
	COMMIT_OK(t, "m_ups_rk", 0, 4);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || name || '/' || amount, ',' ORDER BY id) "
	                "FROM m_ups_rk"),
	             "1=a2/10,2=b/2,3=c/3");
	done(t);
	basic_free(b);
}

KS_TEST(upsert_pk_record_key_primitive)
{
	ks_schema_t *ks = sch(KS_TYPE_STRING, 0), *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	field(vs, "qty", sch(KS_TYPE_INT64, 0));
	reset_table("m_ups_prim");
	t = task("m-ups-prim",
	         cfg("pk.mode", "record_key", "pk.fields", "code", "insert.mode", "upsert", NULL));
	for (int i = 0; i < 3; i++) {
		ks_value_t *k = ks_value_new(arena(), KS_TYPE_STRING), *v = vstruct(1);
		const char *code = i == 2 ? "x" : i ? "y" : "x";
		k->u.s.ptr = code;
		k->u.s.len = 1;
		vint(&v->u.st.fields[0], KS_TYPE_INT64, 100 + i);
		r[i] = rec("m_ups_prim", 0, i, ks, k, vs, v);
	}
	put(t, r, 3);
	COMMIT_OK(t, "m_ups_prim", 0, 3);
	KS_CHECK_STR(q1("SELECT string_agg(code || '=' || qty, ',' ORDER BY code) FROM m_ups_prim"),
	             "x=102,y=101");
	done(t);
	ks_schema_unref(ks);
	ks_schema_unref(vs);
}

KS_TEST(primitive_key_without_pk_fields_is_an_error)
{
	ks_schema_t *ks = sch(KS_TYPE_STRING, 0), *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_value_t *k = ks_value_new(arena(), KS_TYPE_STRING), *v = vstruct(1);

	field(vs, "qty", sch(KS_TYPE_INT64, 0));
	reset_table("m_prim_err");
	t = task("m-prim-err", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	k->u.s.ptr = "x";
	k->u.s.len = 1;
	vint(&v->u.st.fields[0], KS_TYPE_INT64, 1);
	r[0] = rec("m_prim_err", 0, 0, ks, k, vs, v);
	put(t, r, 1);
	ks_commit_result_t res = commit(t, "m_prim_err", 0, 1);
	KS_CHECK(res.err == KS_ERR_RECORD, "%s", ks_err_name(res.err));
	KS_CHECK(strstr(res.errstr, "Need exactly one PK column"), "%s", res.errstr);
	done(t);
	ks_schema_unref(ks);
	ks_schema_unref(vs);
}

KS_TEST(insert_pk_record_value)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table("m_ins_rv");
	t = task("m-ins-rv", cfg("pk.mode", "record_value", "pk.fields", "id,name", NULL));
	r[0] = brec(b, "m_ins_rv", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_ins_rv", 0, 1, 1, "b", 2);
	put(t, r, 2);
	COMMIT_OK(t, "m_ins_rv", 0, 2);
	KS_CHECK_STR(q1("SELECT string_agg(id || name || '=' || amount, ',' ORDER BY name) FROM "
	                "m_ins_rv"),
	             "1a=1,1b=2");
	KS_CHECK_STR(q1("SELECT is_nullable FROM information_schema.columns WHERE table_name = "
	                "'m_ins_rv' AND column_name = 'name'"),
	             "NO");
	done(t);
	basic_free(b);
}

KS_TEST(upsert_pk_record_value_subset)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table("m_ups_rv");
	t = task("m-ups-rv",
	         cfg("pk.mode", "record_value", "pk.fields", "id", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "m_ups_rv", 0, 0, 7, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "m_ups_rv", 0, 1);
	r[0] = brec(b, "m_ups_rv", 0, 1, 7, "b", 2);
	r[1] = brec(b, "m_ups_rv", 0, 2, 8, "c", 3);
	put(t, r, 2);
	COMMIT_OK(t, "m_ups_rv", 0, 3);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM m_ups_rv"),
	             "7=b,8=c");
	done(t);
	basic_free(b);
}

KS_TEST(upsert_pk_record_value_all_fields)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[3];

	reset_table("m_ups_rv_all");
	t = task("m-ups-rv-all", cfg("pk.mode", "record_value", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "m_ups_rv_all", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_ups_rv_all", 0, 1, 1, "a", 1); /* same row: DO NOTHING path */
	r[2] = brec(b, "m_ups_rv_all", 0, 2, 1, "b", 1);
	put(t, r, 3);
	COMMIT_OK(t, "m_ups_rv_all", 0, 3);
	put(t, r, 3);
	COMMIT_OK(t, "m_ups_rv_all", 0, 3);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_ups_rv_all"), 2);
	done(t);
	basic_free(b);
}

static void update_mode(const char *pk, const char *topic)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table(topic);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT, amount DOUBLE PRECISION)", topic);
	sql("INSERT INTO \"%s\" VALUES (1, 'old', 1), (2, 'keep', 2)", topic);
	t = task(topic, cfg("pk.mode", pk, "pk.fields", !strcmp(pk, "record_value") ? "id" : "",
	                    "insert.mode", "update", NULL));
	r[0] = brec(b, topic, 0, 0, 1, "new", 5);
	r[1] = brec(b, topic, 0, 1, 3, "absent", 3); /* update of a missing row: no-op */
	put(t, r, 2);
	COMMIT_OK(t, topic, 0, 2);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || name || '/' || amount, ',' ORDER BY id) "
	                "FROM \"%s\"",
	                topic),
	             "1=new/5,2=keep/2");
	done(t);
	basic_free(b);
}

KS_TEST(update_pk_record_key)
{
	update_mode("record_key", "m_upd_rk");
}

KS_TEST(update_pk_record_value)
{
	update_mode("record_value", "m_upd_rv");
}

KS_TEST(update_pk_kafka)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	reset_table("m_upd_kafka");
	sql("CREATE TABLE m_upd_kafka (__connect_topic TEXT, __connect_partition INT, "
	    "__connect_offset BIGINT, id INT, name TEXT, amount FLOAT8, PRIMARY KEY "
	    "(__connect_topic, __connect_partition, __connect_offset))");
	sql("INSERT INTO m_upd_kafka VALUES ('m_upd_kafka', 0, 5, 1, 'old', 0)");
	t = task("m-upd-kafka", cfg("pk.mode", "kafka", "insert.mode", "update", NULL));
	r[0] = brec(b, "m_upd_kafka", 0, 5, 1, "new", 1);
	put(t, r, 1);
	COMMIT_OK(t, "m_upd_kafka", 0, 6);
	KS_CHECK_STR(q1("SELECT name FROM m_upd_kafka"), "new");
	done(t);
	basic_free(b);
}

KS_TEST(upsert_and_update_need_keys)
{
	char err[512] = "";
	ks_props_t *p = cfg("insert.mode", "upsert", NULL);
	ks_sink_task_t *t = ks_jdbc_sink_plugin.task_new(p, "x", 0, err, sizeof(err));

	ks_props_destroy(p);
	KS_CHECK(!t, "upsert with pk.mode=none accepted");
	KS_CHECK(strstr(err, "requires key field names"), "%s", err);
}

KS_TEST(delete_via_tombstone_ordered)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[8];

	reset_table("m_del");
	t = task("m-del", cfg("pk.mode", "record_key", "insert.mode", "upsert", "delete.enabled",
	                      "true", NULL));
	r[0] = brec(b, "m_del", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_del", 0, 1, 2, "b", 1);
	r[2] = brec(b, "m_del", 0, 2, 3, "c", 1);
	put(t, r, 3);
	COMMIT_OK(t, "m_del", 0, 3);
	r[0] = btomb(b, "m_del", 0, 3, 1);         /* 1: deleted */
	r[1] = brec(b, "m_del", 0, 4, 2, "b2", 2); /* 2: delete then re-insert */
	r[2] = btomb(b, "m_del", 0, 5, 2);
	r[3] = brec(b, "m_del", 0, 6, 2, "b3", 3);
	r[4] = brec(b, "m_del", 0, 7, 4, "d", 4); /* 4: insert then delete */
	r[5] = btomb(b, "m_del", 0, 8, 4);
	r[6] = btomb(b, "m_del", 0, 9, 99);         /* absent key: no-op */
	r[7] = brec(b, "m_del", 0, 10, 3, "c2", 5); /* 3: plain update */
	put(t, r, 8);
	COMMIT_OK(t, "m_del", 0, 11);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM m_del"),
	             "2=b3,3=c2");
	done(t);
	basic_free(b);
}

KS_TEST(tombstone_without_delete_enabled_is_a_record_error)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	reset_table("m_tomb");
	t = task("m-tomb", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "m_tomb", 0, 0, 1, "a", 1);
	r[1] = btomb(b, "m_tomb", 0, 1, 1);
	put(t, r, 2);
	const th_errant_t *e = refused(t, "m_tomb", 0, 2, 1);
	KS_CHECK(strstr(e->errstr, "delete.enabled=false"), "%s", e->errstr);
	KS_CHECK_STR(e->exception, "org.apache.kafka.connect.errors.ConnectException");
	commit_bad(t, "m_tomb", 0, 2, (int64_t[]){1}, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_tomb"), 1);
	done(t);
	basic_free(b);
}

KS_TEST(composite_key)
{
	ks_schema_t *ks = sch_struct(), *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[4];

	field(ks, "region", sch(KS_TYPE_STRING, 0));
	field(ks, "seq", sch(KS_TYPE_INT64, 0));
	field(vs, "region", sch(KS_TYPE_STRING, 0));
	field(vs, "seq", sch(KS_TYPE_INT64, 0));
	field(vs, "val", sch(KS_TYPE_STRING, 1));
	reset_table("m_comp");
	t = task("m-comp", cfg("pk.mode", "record_key", "insert.mode", "upsert", "delete.enabled",
	                       "true", NULL));
	const char *regions[4] = {"eu", "eu", "us", "eu"};
	const int seqs[4] = {1, 2, 1, 1};
	for (int i = 0; i < 4; i++) {
		ks_value_t *k = vstruct(2), *v = vstruct(3);
		char val[16];
		vstr(&k->u.st.fields[0], regions[i]);
		vint(&k->u.st.fields[1], KS_TYPE_INT64, seqs[i]);
		vstr(&v->u.st.fields[0], regions[i]);
		vint(&v->u.st.fields[1], KS_TYPE_INT64, seqs[i]);
		snprintf(val, sizeof(val), "v%d", i);
		vstr(&v->u.st.fields[2], val);
		r[i] = rec("m_comp", 0, i, ks, k, vs, v);
	}
	put(t, r, 4);
	COMMIT_OK(t, "m_comp", 0, 4);
	KS_CHECK_STR(q1("SELECT string_agg(region || seq || '=' || val, ',' ORDER BY region, seq) "
	                "FROM m_comp"),
	             "eu1=v3,eu2=v1,us1=v2");
	KS_CHECK_INT(qn("SELECT count(*) FROM pg_index WHERE indrelid = 'm_comp'::regclass AND "
	                "indisprimary AND indnatts = 2"),
	             1);
	/* delete by composite key */
	ks_value_t *k = vstruct(2);
	vstr(&k->u.st.fields[0], "eu");
	vint(&k->u.st.fields[1], KS_TYPE_INT64, 2);
	r[0] = rec("m_comp", 0, 4, ks, k, vs, NULL);
	put(t, r, 1);
	COMMIT_OK(t, "m_comp", 0, 5);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_comp"), 2);
	done(t);
	ks_schema_unref(ks);
	ks_schema_unref(vs);
}

KS_TEST(duplicate_keys_in_one_batch_last_wins)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[500];

	reset_table("m_dup");
	t = task("m-dup",
	         cfg("pk.mode", "record_key", "insert.mode", "upsert", "batch.size", "7", NULL));
	for (int i = 0; i < 500; i++) {
		char name[16];
		snprintf(name, sizeof(name), "n%d", i);
		r[i] = brec(b, "m_dup", i % 2, i, i % 10, name, i);
	}
	put(t, r, 500);
	COMMIT_OK(t, "m_dup", 0, 500);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_dup"), 10);
	KS_CHECK_STR(q1("SELECT string_agg(name, ',' ORDER BY id) FROM m_dup"),
	             "n490,n491,n492,n493,n494,n495,n496,n497,n498,n499");
	done(t);
	basic_free(b);
}

/* Seen from another session right before the fence check and COMMIT:
 * nothing of the batch yet (rows and offsets commit together). */
static long multi_seen = -1;
static void multi_peek(void *arg)
{
	(void)arg;
	multi_seen = qn("SELECT (SELECT count(*) FROM m_multi_a) + (SELECT count(*) FROM "
	                "m_multi_b) + (SELECT count(*) FROM __ksink_offsets WHERE connector = "
	                "'m-multi')");
}

KS_TEST(batch_spanning_tables_one_transaction)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[4];
	ks_tp_offset_t offs[2] = {{"m_multi_a", 0, 2}, {"m_multi_b", 1, 2}};
	ks_commit_result_t res;

	reset_table("m_multi_a");
	reset_table("m_multi_b");
	t = task("m-multi", cfg("pk.mode", "record_key", "insert.mode", "upsert", NULL));
	r[0] = brec(b, "m_multi_a", 0, 0, 1, "a", 1);
	r[1] = brec(b, "m_multi_b", 1, 0, 1, "b", 1);
	r[2] = brec(b, "m_multi_a", 0, 1, 2, "a", 2);
	r[3] = brec(b, "m_multi_b", 1, 1, 2, "b", 2);
	put(t, r, 4);
	ks_jdbc_test_before_fence(t, multi_peek, NULL);
	ks_jdbc_sink_plugin.commit(t, offs, 2, &res);
	KS_CHECK(res.err == KS_OK, "%s", res.errstr);
	KS_CHECK_INT(multi_seen, 0);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_multi_a"), 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM m_multi_b"), 2);
	KS_CHECK_INT(qn("SELECT sum(next_offset) FROM __ksink_offsets WHERE connector = 'm-multi'"),
	             4);
	/* both tables appear in the same transaction (the upsert's COPY first
	 * runs under a savepoint, so the rows' xmin is a subtransaction's):
	 * nothing was visible before COMMIT (above), everything is after */
	done(t);
	basic_free(b);
}

KS_TEST(open_and_kip875_offsets)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];
	ks_tp_offset_t parts[2] = {{"m_offs", 0, -1}, {"m_offs", 1, -1}}, *out = NULL;
	char err[512];
	size_t n;

	reset_table("m_offs");
	sql("DELETE FROM __ksink_offsets WHERE connector = 'm-offs'");
	t = task("m-offs", cfg(NULL));
	KS_CHECK(ks_jdbc_sink_plugin.open(t, parts, 2, &out, err, sizeof(err)) == KS_OK, "%s", err);
	KS_CHECK(out[0].offset == -1 && out[1].offset == -1, "fresh offsets");
	ks_tp_offsets_free(out, 2);
	r[0] = brec(b, "m_offs", 1, 41, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "m_offs", 1, 42);
	KS_CHECK(ks_jdbc_sink_plugin.open(t, parts, 2, &out, err, sizeof(err)) == KS_OK, "%s", err);
	KS_CHECK_STR(out[1].topic, "m_offs");
	KS_CHECK_INT(out[0].offset, -1);
	KS_CHECK_INT(out[1].offset, 42);
	ks_tp_offsets_free(out, 2);
	done(t);

	ks_props_t *p = cfg(NULL);
	ks_tp_offset_t alter[2] = {{"m_offs", 0, 7}, {"m_offs", 1, -1}};
	KS_CHECK(ks_jdbc_sink_plugin.offsets_alter(p, "m-offs", alter, 2, 0, err, sizeof(err)) ==
	                 KS_OK,
	         "%s", err);
	KS_CHECK(ks_jdbc_sink_plugin.offsets_read(p, "m-offs", &out, &n, err, sizeof(err)) == KS_OK,
	         "%s", err);
	KS_CHECK_INT(n, 1);
	KS_CHECK_INT(out[0].partition, 0);
	KS_CHECK_INT(out[0].offset, 7);
	ks_tp_offsets_free(out, n);
	KS_CHECK(ks_jdbc_sink_plugin.offsets_alter(p, "m-offs", NULL, 0, 1, err, sizeof(err)) ==
	                 KS_OK,
	         "%s", err);
	KS_CHECK(ks_jdbc_sink_plugin.offsets_read(p, "m-offs", &out, &n, err, sizeof(err)) == KS_OK,
	         "%s", err);
	KS_CHECK_INT(n, 0);
	ks_props_destroy(p);
	basic_free(b);
}

KS_TEST(close_drops_staged_records_of_revoked_partitions)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[3];
	ks_tp_offset_t revoked = {"m_close", 1, -1};

	reset_table("m_close");
	t = task("m-close", cfg(NULL));
	r[0] = brec(b, "m_close", 0, 0, 1, "keep", 1);
	r[1] = brec(b, "m_close", 1, 0, 2, "drop", 1);
	r[2] = brec(b, "m_close", 0, 1, 3, "keep", 1);
	put(t, r, 3);
	ks_jdbc_sink_plugin.close(t, &revoked, 1);
	COMMIT_OK(t, "m_close", 0, 2);
	KS_CHECK_STR(q1("SELECT string_agg(id::text, ',' ORDER BY id) FROM m_close"), "1,3");
	done(t);
	basic_free(b);
}

KS_TEST(custom_offsets_table)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	ks_record_t *r[1];

	reset_table("m_custom_offs");
	sql("DROP SCHEMA IF EXISTS m_offs_s CASCADE");
	sql("CREATE SCHEMA m_offs_s");
	t = task("m-custom", cfg("ksink.offsets.table", "m_offs_s.\"My Offsets\"", NULL));
	r[0] = brec(b, "m_custom_offs", 0, 5, 1, "a", 1);
	put(t, r, 1);
	COMMIT_OK(t, "m_custom_offs", 0, 6);
	KS_CHECK_INT(qn("SELECT next_offset FROM m_offs_s.\"My Offsets\" WHERE connector = "
	                "'m-custom'"),
	             6);
	KS_CHECK_INT(qn("SELECT count(*) FROM __ksink_offsets WHERE connector = 'm-custom'"), 0);
	done(t);
	basic_free(b);
}
