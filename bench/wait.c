/*
 * wait.c — build/ksink-bench-wait: how fast a count grows in Postgres, with
 * little disturbance of the run it measures. Polls one query (which returns
 * one bigint, e.g. the sum of a connector's committed offsets in its offsets
 * table) every 20 ms over ONE connection, starts the clock when the value is
 * first above zero and stops it when the value reaches TARGET. A poll loop of
 * psql processes doing count(*) over the growing table cost a noticeable
 * share of the two cores it was measuring.
 *
 *   ksink-bench-wait CONNINFO SQL TARGET [TIMEOUT_S]
 *
 * Prints "rows=R seconds=S rows_per_s=X" (R = rows after the first sighting)
 * on stdout; exits 1 on timeout (then rows_per_s=0).
 */
#include "../lib/ks.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long value(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long long v = -1;

	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = PQgetisnull(res, 0, 0) ? 0 : atoll(PQgetvalue(res, 0, 0));
	else if (st && !strcmp(st, "42P01"))
		v = 0; /* the table is created by the first commit */
	else
		fprintf(stderr, "ksink-bench-wait: %s", PQerrorMessage(conn));
	PQclear(res);
	return v;
}

int main(int argc, char **argv)
{
	PGconn *conn;
	long long target, v, first = -1;
	int64_t t_first = 0, deadline;
	struct timespec nap = {0, 20 * 1000000};

	if (argc < 4) {
		fprintf(stderr, "usage: ksink-bench-wait CONNINFO SQL TARGET [TIMEOUT_S]\n");
		return 2;
	}
	target = atoll(argv[3]);
	deadline = ks_now_us() + (argc > 4 ? atoll(argv[4]) : 900) * 1000000LL;
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "ksink-bench-wait: %s", PQerrorMessage(conn));
		return 1;
	}
	for (;;) {
		int64_t now;
		if ((v = value(conn, argv[2])) < 0)
			break;
		now = ks_now_us();
		if (first < 0 && v > 0) {
			first = v;
			t_first = now;
		}
		if (v >= target) {
			double secs = (double)(now - t_first) / 1e6;
			long long rows = target - first;
			printf("rows=%lld seconds=%.3f rows_per_s=%.0f\n", rows, secs,
			       rows > 0 && secs > 0 ? rows / secs : 0.0);
			PQfinish(conn);
			return 0;
		}
		if (now > deadline)
			break;
		nanosleep(&nap, NULL);
	}
	fprintf(stderr, "ksink-bench-wait: value %lld of %lld\n", v, target);
	printf("rows=0 seconds=0 rows_per_s=0\n");
	PQfinish(conn);
	return 1;
}
