/*
 * 0391-jdbc_upsert_copy.c — insert.mode=upsert COPYs fresh keys straight
 * into the table (write.c, "COPY first") and merges through the staging
 * table only when a key is already there. Proves, with the task's path
 * counters (tests/lib/jdbc_hooks.c) and the rows themselves: fresh keys go
 * the COPY path, in the usual transaction and through the streamed COPY; a
 * batch with existing keys (mixed) falls back and leaves exactly the rows a
 * merge-only task leaves in a twin table; a key repeated in one batch and
 * deletes (a tombstone, a tombstone then a new value) keep the last change
 * per key; after a conflict the next batch merges directly and the wait
 * doubles while conflicts go on; a bad row in a COPY batch is still pinned
 * by the isolation; a table without a unique index on the keys never takes
 * the COPY (no duplicates); ksink.upsert.copy=false always merges; a group
 * over several batch.size chunks falls back as a whole; a composite key
 * finds its unique index whatever the index's column order.
 */
#include "jdbc_helpers.h"
#include "lib/jdbc_hooks.h"

typedef struct paths {
	int copied, fallbacks, merged;
} paths_t;

static paths_t paths(ks_sink_task_t *t)
{
	paths_t p;
	ks_jdbc_test_upsert_paths(t, &p.copied, &p.fallbacks, &p.merged);
	return p;
}

#define CHECK_PATHS(t, c, f, m)                                                                    \
	do {                                                                                       \
		paths_t p_ = paths(t);                                                             \
		KS_CHECK(p_.copied == (c) && p_.fallbacks == (f) && p_.merged == (m),              \
		         "paths copied/fallbacks/merged %d/%d/%d, want %d/%d/%d", p_.copied,       \
		         p_.fallbacks, p_.merged, (c), (f), (m));                                  \
	} while (0)

static void fresh_table(const char *name)
{
	sql("DROP TABLE IF EXISTS \"%s\"", name);
	sql("CREATE TABLE \"%s\" (id INT PRIMARY KEY, name TEXT NOT NULL, amount FLOAT8)", name);
	forget_offsets(name);
}

/* An upsert task on topic (pk.mode=record_key) plus extra key/value pairs. */
static ks_sink_task_t *utask(const char *topic, const char *k, const char *v)
{
	ks_props_t *p = cfg("pk.mode", "record_key", "insert.mode", "upsert", "delete.enabled",
	                    "true", NULL);
	if (k)
		KS_CHECK(!ks_props_set(p, k, v), "oom");
	return task(topic, p);
}

/* One batch: ids (offsets from *off on), named name, amount = id; with
 * nostream, a tombstone of the absent key -1 first, so that the batch has two
 * groups (deletes, writes) and the next one is not streamed. */
static void batch(basic_t b, ks_sink_task_t *t, const char *topic, int nostream, const int *ids,
                  size_t n, const char *name, int64_t *off)
{
	ks_record_t *r[64];
	size_t k = 0;

	if (nostream)
		r[k++] = btomb(b, topic, 0, (*off)++, -1);
	for (size_t i = 0; i < n; i++) {
		r[k++] = brec(b, topic, 0, (*off)++, ids[i], name, ids[i]);
		if (k == 64) {
			put(t, r, k);
			k = 0;
		}
	}
	if (k)
		put(t, r, k);
	COMMIT_OK(t, topic, 0, *off);
}

static int *range(int from, int to)
{
	int *ids = ks_arena_calloc(arena(), (size_t)(to - from), sizeof(*ids));
	KS_CHECK(ids, "oom");
	for (int i = from; i < to; i++)
		ids[i - from] = i;
	return ids;
}

/* The backoff story, in the usual transaction (nostream) or streamed. A
 * streamed batch that meets a conflict is redone the usual way, which
 * merges: one more "merged" per conflict there. */
static void story(const char *topic, int nostream)
{
	basic_t b = basic();
	ks_sink_task_t *t;
	int64_t off = 0;
	int x = !nostream, streamed0;

#define STEP(ids, n, name, c, f, m)                                                                \
	do {                                                                                       \
		batch(b, t, topic, nostream, ids, n, name, &off);                                  \
		CHECK_PATHS(t, c, f, (m) + x * (f));                                               \
	} while (0)

	fresh_table(topic);
	t = utask(topic, NULL, NULL);
	/* 1: fresh keys: COPY (the first batch of a task is never streamed) */
	STEP(range(0, 500), 500, "a", 1, 0, 0);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 500);
	streamed0 = ks_jdbc_test_streamed_commits(t);
	/* 2: mixed, 100 keys there and 100 fresh: COPY meets a conflict, the
	 * batch merges (rows updated, none half-applied, none twice) */
	STEP(range(400, 600), 200, "b", 1, 1, 0);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 600);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 'b'", topic), 200);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 'a'", topic), 400);
	/* 3: fresh keys, right after a conflict: merged without trying COPY */
	STEP(range(600, 700), 100, "c", 1, 1, 1);
	/* 4: fresh again: COPY is tried again and goes in */
	STEP(range(700, 800), 100, "d", 2, 1, 1);
	/* 5-9: updates: conflict, merge 1, conflict, merge 2 (doubled) */
	STEP(range(0, 50), 50, "e", 2, 2, 1);
	STEP(range(0, 50), 50, "f", 2, 2, 2);
	STEP(range(0, 50), 50, "g", 2, 3, 2);
	STEP(range(800, 850), 50, "h", 2, 3, 3);
	STEP(range(850, 900), 50, "i", 2, 3, 4);
	/* 10: COPY again */
	STEP(range(900, 950), 50, "j", 3, 3, 4);
#undef STEP
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 950);
	KS_CHECK_INT(qn("SELECT count(DISTINCT id) FROM \"%s\"", topic), 950);
	KS_CHECK_STR(q1("SELECT string_agg(DISTINCT name, '' ORDER BY name) FROM \"%s\"", topic),
	             "abcdghij");
	KS_CHECK_STR(q1("SELECT name || ':' || amount FROM \"%s\" WHERE id = 7", topic), "g:7");
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s' AND "
	                "topic = '%s'",
	                topic, topic),
	             off);
	/* streamed: every batch but the first and the three conflicts */
	KS_CHECK_INT(ks_jdbc_test_streamed_commits(t), streamed0 + x * 6);
	done(t);
	basic_free(b);
}

KS_TEST(copy_first_and_backoff_in_transaction)
{
	story("uc_tx", 1);
}

KS_TEST(copy_first_and_backoff_streamed)
{
	story("uc_stream", 0);
}

/* The same records through COPY first and through a merge-only task give
 * the same rows: fresh, mixed, repeated keys, tombstones. */
KS_TEST(same_rows_as_the_merge)
{
	basic_t b = basic();
	const char *tabs[2] = {"uc_same_copy", "uc_same_merge"};

	for (int m = 0; m < 2; m++) {
		const char *topic = tabs[m];
		ks_sink_task_t *t;
		ks_record_t *r[8];
		int64_t off = 0;
		paths_t p0;

		fresh_table(topic);
		t = utask(topic, "ksink.upsert.copy", m ? "false" : "true");
		batch(b, t, topic, 0, range(0, 300), 300, "a", &off);
		/* a repeated fresh key (last wins), a repeated key that exists,
		 * a tombstone of an existing key, a tombstone then a new value
		 * of an existing key and of a fresh key, fresh keys */
		r[0] = brec(b, topic, 0, off++, 1000, "first", 1);
		r[1] = brec(b, topic, 0, off++, 10, "x", 10);
		r[2] = btomb(b, topic, 0, off++, 20);
		r[3] = btomb(b, topic, 0, off++, 30);
		r[4] = brec(b, topic, 0, off++, 30, "reborn", 30);
		r[5] = brec(b, topic, 0, off++, 1000, "last", 2);
		r[6] = brec(b, topic, 0, off++, 10, "y", 11);
		r[7] = btomb(b, topic, 0, off++, 1001);
		put(t, r, 8);
		r[0] = brec(b, topic, 0, off++, 1001, "after-tomb", 5);
		r[1] = brec(b, topic, 0, off++, 1002, "fresh", 6);
		put(t, r, 2);
		COMMIT_OK(t, topic, 0, off);
		/* fresh keys (merged right after the conflict) */
		batch(b, t, topic, 1, range(500, 510), 10, "c", &off);
		/* no key there once the deletes ran: one COPY, no conflict */
		p0 = paths(t);
		r[0] = btomb(b, topic, 0, off++, 40);
		r[1] = brec(b, topic, 0, off++, 40, "re", 40);
		r[2] = brec(b, topic, 0, off++, 3000, "x1", 1);
		r[3] = btomb(b, topic, 0, off++, 3001);
		r[4] = brec(b, topic, 0, off++, 3000, "x2", 2);
		r[5] = brec(b, topic, 0, off++, 3002, "x3", 3);
		put(t, r, 6);
		COMMIT_OK(t, topic, 0, off);
		if (!m) {
			paths_t p = paths(t);
			KS_CHECK_INT(p.copied, p0.copied + 1);
			KS_CHECK_INT(p.fallbacks, p0.fallbacks);
			KS_CHECK_INT(p.fallbacks, 1);
		} else {
			CHECK_PATHS(t, 0, 0, paths(t).merged);
		}
		done(t);
	}
	KS_CHECK_INT(qn("SELECT count(*) FROM uc_same_copy"), 314);
	KS_CHECK_INT(qn("SELECT count(*) FROM uc_same_merge"), 314);
	KS_CHECK_STR(q1("SELECT name || ':' || amount FROM uc_same_copy WHERE id = 1000"),
	             "last:2");
	KS_CHECK_STR(q1("SELECT name FROM uc_same_copy WHERE id = 30"), "reborn");
	KS_CHECK_STR(q1("SELECT name FROM uc_same_copy WHERE id = 10"), "y");
	KS_CHECK_STR(q1("SELECT name FROM uc_same_copy WHERE id = 40"), "re");
	KS_CHECK_STR(q1("SELECT name FROM uc_same_copy WHERE id = 3000"), "x2");
	KS_CHECK_INT(qn("SELECT count(*) FROM uc_same_copy WHERE id IN (20, 3001)"), 0);
	KS_CHECK_INT(qn("SELECT count(*) FROM (SELECT * FROM uc_same_copy EXCEPT SELECT * FROM "
	                "uc_same_merge) d"),
	             0);
	KS_CHECK_INT(qn("SELECT count(*) FROM (SELECT * FROM uc_same_merge EXCEPT SELECT * FROM "
	                "uc_same_copy) d"),
	             0);
	basic_free(b);
}

/* A row the table refuses inside a COPY batch: the batch falls back (not a
 * conflict), the merge fails too, the isolation pins the record. */
KS_TEST(bad_row_still_isolated)
{
	basic_t b = basic();
	const char *topic = "uc_bad";
	ks_sink_task_t *t;
	ks_record_t *r[1];
	const th_errant_t *e;
	int64_t off = 0;

	fresh_table(topic);
	t = utask(topic, NULL, NULL);
	batch(b, t, topic, 0, range(0, 10), 10, "a", &off);
	batch(b, t, topic, 0, range(10, 20), 10, "a", &off);
	CHECK_PATHS(t, 2, 0, 0);
	put(t, (ks_record_t *[]){brec(b, topic, 0, off++, 20, "ok", 20)}, 1);
	r[0] = brec(b, topic, 0, off++, 21, NULL, 21); /* NOT NULL violation */
	put(t, r, 1);
	put(t, (ks_record_t *[]){brec(b, topic, 0, off++, 22, "ok", 22)}, 1);
	e = refused(t, topic, 0, off, off - 2);
	KS_CHECK(strstr(e->errstr, "null value"), "%s", e->errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 20);
	commit_bad(t, topic, 0, off, (int64_t[]){off - 2}, 1);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 22);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE id = 21", topic), 0);
	KS_CHECK_INT(paths(t).fallbacks, 0); /* not a key conflict: no backoff */
	done(t);
	basic_free(b);
}

/* Without a unique index on the keys COPY would duplicate rows: never
 * taken, and the upsert fails as before (42P10). */
KS_TEST(no_unique_index_no_copy)
{
	basic_t b = basic();
	const char *topic = "uc_nopk";
	ks_sink_task_t *t;
	ks_commit_result_t res;
	ks_record_t *r[1];

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT, name TEXT, amount FLOAT8)", topic);
	sql("INSERT INTO \"%s\" VALUES (1, 'there', 1)", topic);
	forget_offsets(topic);
	t = utask(topic, NULL, NULL);
	r[0] = brec(b, topic, 0, 0, 1, "again", 1);
	put(t, r, 1);
	res = commit(t, topic, 0, 1);
	KS_CHECK(res.err == KS_ERR_FATAL, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_STR(res.code, "42P10");
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 1);
	CHECK_PATHS(t, 0, 0, paths(t).merged);
	done(t);
	/* a deferrable unique key cannot arbitrate ON CONFLICT either */
	sql("DROP TABLE \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT UNIQUE DEFERRABLE INITIALLY DEFERRED, name TEXT, "
	    "amount FLOAT8)",
	    topic);
	forget_offsets(topic);
	t = utask(topic, NULL, NULL);
	put(t, r, 1);
	res = commit(t, topic, 0, 1);
	/* as before COPY first: the merge's error (a lone record: RECORD) */
	KS_CHECK(res.err == KS_ERR_RECORD, "%s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 0);
	CHECK_PATHS(t, 0, 0, paths(t).merged);
	done(t);
	basic_free(b);
}

KS_TEST(switched_off)
{
	basic_t b = basic();
	const char *topic = "uc_off";
	ks_sink_task_t *t;
	int64_t off = 0;

	fresh_table(topic);
	t = utask(topic, "ksink.upsert.copy", "false");
	batch(b, t, topic, 0, range(0, 100), 100, "a", &off);
	batch(b, t, topic, 0, range(100, 200), 100, "a", &off);
	CHECK_PATHS(t, 0, 0, 2);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 200);
	done(t);
	basic_free(b);
}

/* batch.size=100: the group is COPYed in chunks under one savepoint; a
 * conflict in the last chunk rolls every chunk back and merges them all. */
KS_TEST(chunks_fall_back_together)
{
	basic_t b = basic();
	const char *topic = "uc_chunks";
	ks_sink_task_t *t;
	int64_t off = 0;
	int *ids;

	fresh_table(topic);
	t = utask(topic, "batch.size", "100");
	batch(b, t, topic, 1, range(0, 350), 350, "a", &off);
	CHECK_PATHS(t, 1, 0, 0);
	ids = range(1000, 1350);
	ids[349] = 5; /* the last row of the 4th chunk exists */
	batch(b, t, topic, 1, ids, 350, "b", &off);
	CHECK_PATHS(t, 1, 1, 0);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 350 + 349);
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\" WHERE name = 'b'", topic), 350);
	KS_CHECK_STR(q1("SELECT name FROM \"%s\" WHERE id = 5", topic), "b");
	done(t);
	basic_free(b);
}

/* A composite key: the unique index is found whatever its column order. */
KS_TEST(composite_key)
{
	basic_t b = basic();
	const char *topic = "uc_comp";
	ks_sink_task_t *t;
	ks_record_t *r[3];
	int64_t off = 0;

	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	sql("CREATE TABLE \"%s\" (id INT, name TEXT, amount FLOAT8, PRIMARY KEY (name, id))",
	    topic);
	forget_offsets(topic);
	t = task(topic, cfg("pk.mode", "record_value", "pk.fields", "id,name", "insert.mode",
	                    "upsert", NULL));
	batch(b, t, topic, 0, range(0, 20), 20, "a", &off);
	CHECK_PATHS(t, 1, 0, 0);
	/* (1, a) is there: a conflict; (1, z) is a new key */
	r[0] = brec(b, topic, 0, off++, 1, "z", 100);
	r[1] = brec(b, topic, 0, off++, 1, "a", 101);
	r[2] = brec(b, topic, 0, off++, 2, "z", 102);
	put(t, r, 3);
	COMMIT_OK(t, topic, 0, off);
	CHECK_PATHS(t, 1, 1, 1); /* the streamed COPY's conflict, redone merging */
	KS_CHECK_INT(qn("SELECT count(*) FROM \"%s\"", topic), 22);
	KS_CHECK_STR(q1("SELECT amount FROM \"%s\" WHERE id = 1 AND name = 'a'", topic), "101");
	KS_CHECK_STR(q1("SELECT amount FROM \"%s\" WHERE id = 1 AND name = 'z'", topic), "100");
	done(t);
	basic_free(b);
}
