/*
 * jdbc_copy.c — rows/s of the JDBC sink's write paths against a local
 * Postgres, measured as ratios within one run (not a test):
 *   copy-insert   plugin commit, insert mode: binary COPY into the table
 *   text-copy-insert  the same rows as text COPY straight into a table
 *   copy-upsert   plugin commit, upsert mode (defaults: COPY straight into
 *                 the table under a savepoint, the merge after a conflict;
 *                 fresh keys, then the same keys again = updates)
 *   merge-upsert  the same with ksink.upsert.copy=false: binary COPY into a
 *                 TEMP stage + INSERT .. SELECT .. ON CONFLICT
 *   row-insert    one prepared INSERT per row (PQexecPrepared), one
 *                 transaction per batch: what a per-row JDBC writer does
 *   row-upsert    the same with ON CONFLICT DO UPDATE
 *   row-upsert pipelined  the same in libpq pipeline mode, one sync per batch
 *                 (the Confluent sink's executeBatch pattern)
 * Env: KSINK_PG_CONNINFO, KSINK_PG_JDBC_URL, PGUSER, BENCH_RECORDS (100000),
 * BENCH_BATCH (10000).
 */
#include "../connectors/jdbc/jdbc.h"
#include "../lib/arena.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static ks_schema_t *ks, *vs;

static ks_record_t *mk(ks_arena_t *a, const char *topic, int64_t off, int id)
{
	ks_record_t *r = ks_arena_calloc(a, 1, sizeof(*r));
	ks_value_t *k = ks_value_new(a, KS_TYPE_STRUCT), *v = ks_value_new(a, KS_TYPE_STRUCT);
	char name[32];

	k->u.st.fields = ks_arena_calloc(a, 1, sizeof(ks_value_t));
	k->u.st.n = 1;
	k->u.st.fields[0].type = KS_TYPE_INT64;
	k->u.st.fields[0].u.i = id;
	v->u.st.fields = ks_arena_calloc(a, 5, sizeof(ks_value_t));
	v->u.st.n = 5;
	v->u.st.fields[0] = k->u.st.fields[0];
	snprintf(name, sizeof(name), "name-%d", id);
	v->u.st.fields[1].type = KS_TYPE_STRING;
	v->u.st.fields[1].u.s.ptr = ks_arena_strdup(a, name);
	v->u.st.fields[1].u.s.len = strlen(name);
	v->u.st.fields[2].type = KS_TYPE_FLOAT64;
	v->u.st.fields[2].u.d = id * 1.25;
	v->u.st.fields[3].type = KS_TYPE_INT64;
	v->u.st.fields[3].u.i = 1700000000000LL + id;
	v->u.st.fields[4].type = KS_TYPE_BOOLEAN;
	v->u.st.fields[4].u.i = id & 1;
	r->topic = topic;
	r->offset = off;
	r->key_schema = ks;
	r->key = k;
	r->value_schema = vs;
	r->value = v;
	return r;
}

static double run_plugin(const char *mode, const char *table, int n, int batch, int key_base,
                         const char *upsert_copy)
{
	ks_props_t *p = ks_props_new();
	char err[512];
	const char *user = getenv("PGUSER");
	ks_arena_t *a = ks_arena_new(0);
	ks_record_t **recs = calloc((size_t)batch, sizeof(*recs));

	(void)!ks_props_set(p, "connection.url", getenv("KSINK_PG_JDBC_URL"));
	(void)!ks_props_set(p, "connection.user", user ? user : "postgres");
	(void)!ks_props_set(p, "auto.create", "true");
	(void)!ks_props_set(p, "insert.mode", mode);
	(void)!ks_props_set(p, "pk.mode", "record_key");
	(void)!ks_props_set(p, "batch.size", "100000");
	(void)!ks_props_set(p, "ksink.upsert.copy", upsert_copy);
	ks_sink_task_t *t = ks_jdbc_sink_plugin.task_new(p, "bench", 0, err, sizeof(err));
	ks_props_destroy(p);
	if (!t) {
		fprintf(stderr, "task_new: %s\n", err);
		exit(1);
	}
	int64_t t0 = ks_now_us();
	for (int done = 0; done < n; done += batch) {
		int m = n - done < batch ? n - done : batch;
		ks_commit_result_t res;
		ks_tp_offset_t o = {table, 0, done + m};
		for (int i = 0; i < m; i++)
			recs[i] = mk(a, table, done + i, key_base + done + i);
		(void)ks_jdbc_sink_plugin.put(t, recs, (size_t)m, err, sizeof(err));
		ks_jdbc_sink_plugin.commit(t, &o, 1, &res);
		if (res.err) {
			fprintf(stderr, "commit: %s\n", res.errstr);
			exit(1);
		}
		ks_arena_reset(a);
	}
	double s = (double)(ks_now_us() - t0) / 1e6;
	ks_jdbc_sink_plugin.task_destroy(t);
	ks_arena_destroy(a);
	free(recs);
	return n / s;
}

static void ex(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", q, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

static double run_rows(PGconn *c, int upsert, int n, int batch, int key_base, int pipeline)
{
	char b[5][64];
	const char *pv[5] = {b[0], b[1], b[2], b[3], b[4]};
	PGresult *r;

	ex(c, "DROP TABLE IF EXISTS bench_rows");
	ex(c, "CREATE TABLE bench_rows (id BIGINT PRIMARY KEY, name TEXT, amount FLOAT8, ts "
	      "TIMESTAMP, flag BOOLEAN)");
	r = PQprepare(c, "ins",
	              upsert ? "INSERT INTO bench_rows VALUES ($1,$2,$3,to_timestamp($4::bigint / "
	                       "1000.0),$5) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "
	                       "amount = EXCLUDED.amount, ts = EXCLUDED.ts, flag = EXCLUDED.flag"
	                     : "INSERT INTO bench_rows VALUES ($1,$2,$3,to_timestamp($4::bigint / "
	                       "1000.0),$5)",
	              5, NULL);
	PQclear(r);
	int64_t t0 = ks_now_us();
	for (int done = 0; done < n; done += batch) {
		int m = n - done < batch ? n - done : batch;
		ex(c, "BEGIN");
		if (pipeline && !PQenterPipelineMode(c)) {
			fprintf(stderr, "pipeline: %s", PQerrorMessage(c));
			exit(1);
		}
		for (int i = 0; i < m; i++) {
			int id = key_base + done + i;
			snprintf(b[0], 64, "%d", id);
			snprintf(b[1], 64, "name-%d", id);
			snprintf(b[2], 64, "%.17g", id * 1.25);
			snprintf(b[3], 64, "%lld", 1700000000000LL + id);
			snprintf(b[4], 64, "%s", id & 1 ? "t" : "f");
			if (pipeline) {
				if (!PQsendQueryPrepared(c, "ins", 5, pv, NULL, NULL, 0)) {
					fprintf(stderr, "send: %s", PQerrorMessage(c));
					exit(1);
				}
				continue;
			}
			r = PQexecPrepared(c, "ins", 5, pv, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				fprintf(stderr, "row: %s", PQerrorMessage(c));
				exit(1);
			}
			PQclear(r);
		}
		if (pipeline) {
			/* one sync per batch, then drain every result */
			PQpipelineSync(c);
			for (int got = 0; got < m;) {
				r = PQgetResult(c);
				if (!r)
					continue;
				if (PQresultStatus(r) != PGRES_COMMAND_OK) {
					fprintf(stderr, "row: %s", PQerrorMessage(c));
					exit(1);
				}
				PQclear(r);
				got++;
			}
			for (;;) { /* NULL terminators, then the sync */
				r = PQgetResult(c);
				if (r && PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
					PQclear(r);
					break;
				}
				PQclear(r);
			}
			PQexitPipelineMode(c);
		}
		ex(c, "COMMIT");
	}
	double s = (double)(ks_now_us() - t0) / 1e6;
	ex(c, "DEALLOCATE ins");
	return n / s;
}

/* Text COPY straight into a table, for the text-vs-binary question: the
 * same rows formatted as COPY text (the plugin uses binary). */
static double run_text_copy(PGconn *c, int n, int batch)
{
	char line[256];
	PGresult *r;

	ex(c, "DROP TABLE IF EXISTS bench_text");
	ex(c, "CREATE TABLE bench_text (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount FLOAT8 "
	      "NOT NULL, ts TIMESTAMP NOT NULL, flag BOOLEAN NOT NULL)");
	int64_t t0 = ks_now_us();
	for (int done = 0; done < n; done += batch) {
		int m = n - done < batch ? n - done : batch;
		ex(c, "BEGIN");
		r = PQexec(c, "COPY bench_text FROM STDIN");
		PQclear(r);
		for (int i = 0; i < m; i++) {
			int id = done + i;
			int64_t ms = 1700000000000LL + id;
			time_t sec = (time_t)(ms / 1000);
			struct tm tm;
			char ts[32];
			gmtime_r(&sec, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
			int len = snprintf(line, sizeof(line), "%d\tname-%d\t%.17g\t%s.%03d\t%s\n",
			                   id, id, id * 1.25, ts, (int)(ms % 1000),
			                   id & 1 ? "t" : "f");
			PQputCopyData(c, line, len);
		}
		PQputCopyEnd(c, NULL);
		while ((r = PQgetResult(c))) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				fprintf(stderr, "text copy: %s", PQerrorMessage(c));
				exit(1);
			}
			PQclear(r);
		}
		ex(c, "COMMIT");
	}
	return n / ((double)(ks_now_us() - t0) / 1e6);
}

int main(void)
{
	const char *ci = getenv("KSINK_PG_CONNINFO");
	int n = getenv("BENCH_RECORDS") ? atoi(getenv("BENCH_RECORDS")) : 100000;
	int batch = getenv("BENCH_BATCH") ? atoi(getenv("BENCH_BATCH")) : 10000;
	PGconn *c;

	if (!ci || !getenv("KSINK_PG_JDBC_URL")) {
		fprintf(stderr,
		        "set KSINK_PG_CONNINFO and KSINK_PG_JDBC_URL (tests/stack.sh env)\n");
		return 2;
	}
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		return 1;
	}
	ks = ks_schema_new(KS_TYPE_STRUCT);
	vs = ks_schema_new(KS_TYPE_STRUCT);
	(void)!ks_schema_add_field(ks, "id", ks_schema_new(KS_TYPE_INT64));
	(void)!ks_schema_add_field(vs, "id", ks_schema_new(KS_TYPE_INT64));
	(void)!ks_schema_add_field(vs, "name", ks_schema_new(KS_TYPE_STRING));
	(void)!ks_schema_add_field(vs, "amount", ks_schema_new(KS_TYPE_FLOAT64));
	(void)!ks_schema_add_field(vs, "ts", ks_schema_logical(KS_LOGICAL_TIMESTAMP));
	(void)!ks_schema_add_field(vs, "flag", ks_schema_new(KS_TYPE_BOOLEAN));

	ex(c, "DROP TABLE IF EXISTS bench_copy_insert, bench_copy_upsert, bench_merge_upsert");
	double ci_rate = run_plugin("insert", "bench_copy_insert", n, batch, 0, "true");
	double cu_rate = run_plugin("upsert", "bench_copy_upsert", n, batch, 0, "true");
	double cu2_rate = run_plugin("upsert", "bench_copy_upsert", n, batch, 0, "true");
	double mu_rate = run_plugin("upsert", "bench_merge_upsert", n, batch, 0, "false");
	double mu2_rate = run_plugin("upsert", "bench_merge_upsert", n, batch, 0, "false");
	double tc_rate = run_text_copy(c, n, batch);
	double ri_rate = run_rows(c, 0, n, batch, 0, 0);
	double ru_rate = run_rows(c, 1, n, batch, 0, 0);
	double rp_rate = run_rows(c, 1, n, batch, 0, 1);
	printf("records=%d batch=%d (rows/s)\n", n, batch);
	printf("copy-insert         %10.0f\n", ci_rate);
	printf("copy-upsert (new)   %10.0f\n", cu_rate);
	printf("copy-upsert (upd)   %10.0f\n", cu2_rate);
	printf("merge-upsert (new)  %10.0f   copy-upsert / merge-upsert (new) = %.2fx\n", mu_rate,
	       cu_rate / mu_rate);
	printf("merge-upsert (upd)  %10.0f   copy-upsert / merge-upsert (upd) = %.2fx\n", mu2_rate,
	       cu2_rate / mu2_rate);
	printf("text-copy-insert    %10.0f   (same rows as COPY text, client-side formatting "
	       "included)\n",
	       tc_rate);
	printf("row-insert          %10.0f   copy-insert / row-insert = %.1fx\n", ri_rate,
	       ci_rate / ri_rate);
	printf("row-upsert (new)    %10.0f   copy-upsert / row-upsert = %.1fx\n", ru_rate,
	       cu_rate / ru_rate);
	printf("row-upsert pipelined%10.0f   copy-upsert / pipelined  = %.1fx\n", rp_rate,
	       cu_rate / rp_rate);
	ex(c, "DROP TABLE IF EXISTS bench_copy_insert, bench_copy_upsert, bench_merge_upsert, "
	      "bench_rows, bench_text");
	PQfinish(c);
	ks_schema_unref(ks);
	ks_schema_unref(vs);
	return 0;
}
