/*
 * pgbase.c — build/ksink-bench-pgbase: the Postgres baselines ksink is
 * measured against, on the same rows (a CSV file made by bench/bench.sh):
 *
 *   ksink-bench-pgbase upsert-sql  CONNINFO TABLE FILE   (b) COPY into a temp staging table,
 *                                                          then one INSERT … ON CONFLICT
 *   ksink-bench-pgbase jdbc-rows   CONNINFO TABLE FILE   (c) the Confluent JDBC sink's pattern:
 *                                                          one prepared INSERT … ON CONFLICT per
 *                                                          row, pipelined, 3000 rows a transaction
 *
 * Rows are bet-like: id, race_id, runner_id, amount, placed_at (ms), channel,
 * customer, odds. Prints "rows=N seconds=S rows_per_s=R" on stdout.
 */
#include "../lib/ks.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TX_ROWS 3000

static void die(PGconn *conn, const char *what)
{
	fprintf(stderr, "ksink-bench-pgbase: %s: %s\n", what, conn ? PQerrorMessage(conn) : "");
	exit(1);
}

static void exec_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		die(conn, sql);
	PQclear(res);
}

static const char *cols = "id, race_id, runner_id, amount, placed_at, channel, customer, odds";

static long upsert_sql(PGconn *conn, const char *table, FILE *f)
{
	char sql[1024], line[4096];
	PGresult *res;
	long n = 0;

	exec_ok(conn, "BEGIN");
	snprintf(sql, sizeof(sql),
	         "CREATE TEMP TABLE stage (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP", table);
	exec_ok(conn, sql);
	snprintf(sql, sizeof(sql), "COPY stage (%s) FROM STDIN (FORMAT csv)", cols);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		die(conn, "COPY");
	PQclear(res);
	while (fgets(line, sizeof(line), f)) {
		if (PQputCopyData(conn, line, (int)strlen(line)) != 1)
			die(conn, "PQputCopyData");
		n++;
	}
	if (PQputCopyEnd(conn, NULL) != 1)
		die(conn, "PQputCopyEnd");
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(conn, "COPY end");
	PQclear(res);
	snprintf(sql, sizeof(sql),
	         "INSERT INTO %s (%s) SELECT %s FROM stage ON CONFLICT (id) DO UPDATE SET "
	         "race_id = EXCLUDED.race_id, runner_id = EXCLUDED.runner_id, amount = "
	         "EXCLUDED.amount, placed_at = EXCLUDED.placed_at, channel = EXCLUDED.channel, "
	         "customer = EXCLUDED.customer, odds = EXCLUDED.odds",
	         table, cols, cols);
	exec_ok(conn, sql);
	exec_ok(conn, "COMMIT");
	return n;
}

/* Splits a CSV line of 8 plain fields (no quoting in our data). */
static int split(char *line, const char *vals[8])
{
	int k = 0;
	char *s = line, *c;

	line[strcspn(line, "\r\n")] = '\0';
	while (k < 8) {
		vals[k++] = s;
		if (!(c = strchr(s, ',')))
			break;
		*c = '\0';
		s = c + 1;
	}
	return k == 8 ? 0 : -1;
}

static void drain(PGconn *conn, int *pending)
{
	/* read results until the sync's PGRES_PIPELINE_SYNC */
	for (;;) {
		PGresult *res = PQgetResult(conn);
		if (!res)
			continue;
		ExecStatusType st = PQresultStatus(res);
		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC)
			break;
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			die(conn, "pipelined statement");
	}
	*pending = 0;
}

static long jdbc_rows(PGconn *conn, const char *table, FILE *f)
{
	char sql[1024], line[4096];
	const char *vals[8];
	PGresult *res;
	long n = 0;
	int in_tx = 0, pending = 0;

	snprintf(sql, sizeof(sql),
	         "INSERT INTO %s (%s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
	         "ON CONFLICT (id) DO UPDATE SET race_id = EXCLUDED.race_id, runner_id = "
	         "EXCLUDED.runner_id, amount = EXCLUDED.amount, placed_at = EXCLUDED.placed_at, "
	         "channel = EXCLUDED.channel, customer = EXCLUDED.customer, odds = EXCLUDED.odds",
	         table, cols);
	res = PQprepare(conn, "up", sql, 8, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(conn, "prepare");
	PQclear(res);
	if (PQenterPipelineMode(conn) != 1)
		die(conn, "pipeline mode");
	while (fgets(line, sizeof(line), f)) {
		if (split(line, vals))
			die(NULL, "bad CSV line");
		if (!in_tx) {
			if (!PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
				die(conn, "BEGIN");
			in_tx = 1;
		}
		if (!PQsendQueryPrepared(conn, "up", 8, vals, NULL, NULL, 0))
			die(conn, "send");
		n++;
		if (++pending >= TX_ROWS) {
			if (!PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
			    !PQpipelineSync(conn))
				die(conn, "COMMIT");
			drain(conn, &pending);
			in_tx = 0;
		}
	}
	if (in_tx) {
		if (!PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
		    !PQpipelineSync(conn))
			die(conn, "COMMIT");
		drain(conn, &pending);
	}
	PQexitPipelineMode(conn);
	return n;
}

int main(int argc, char **argv)
{
	PGconn *conn;
	FILE *f;
	char *table;
	int64_t t0;
	long n;
	double secs;

	if (argc != 5 || (strcmp(argv[1], "upsert-sql") && strcmp(argv[1], "jdbc-rows"))) {
		fprintf(stderr,
		        "usage: ksink-bench-pgbase upsert-sql|jdbc-rows CONNINFO TABLE FILE\n");
		return 2;
	}
	conn = PQconnectdb(argv[2]);
	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "connect");
	if (!(f = fopen(argv[4], "r")))
		die(NULL, argv[4]);
	/* the table name is an identifier: always quoted */
	table = PQescapeIdentifier(conn, argv[3], strlen(argv[3]));
	if (!table)
		die(conn, "table name");
	t0 = ks_now_us();
	n = !strcmp(argv[1], "upsert-sql") ? upsert_sql(conn, table, f) : jdbc_rows(conn, table, f);
	secs = (double)(ks_now_us() - t0) / 1e6;
	printf("rows=%ld seconds=%.3f rows_per_s=%.0f\n", n, secs, n / secs);
	fclose(f);
	PQfreemem(table);
	PQfinish(conn);
	return 0;
}
