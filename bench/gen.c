/*
 * gen.c — build/ksink-bench-gen: deterministic bet-like rows for the
 * benchmarks, the same rows in every format so ksink and the baselines write
 * identical data.
 *
 *   ksink-bench-gen --count N [--start I] [--format avro-json|csv|connect-json] [--rate R]
 *                   [--version V]
 *
 * Row i: id=i, race_id=i%50, runner_id=i%12+1, amount, placed_at, channel,
 * customer, odds (8 columns). --version V changes amount/odds so a second
 * wave of the same ids is a real update. --rate R paces output to R rows/s
 * and stamps placed_at with the wall clock at emission (latency runs);
 * otherwise placed_at is derived from i. connect-json writes "ID<TAB>VALUE"
 * lines for `ksink-produce --format json --key-string`, VALUE being
 * JsonConverter's envelope with schemas.enable=true ({"schema":…,"payload":…},
 * placed_at a Connect Timestamp): the rows ksink and the Java peer both read.
 */
#include "../lib/ks.h"
#include "bet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	long count = 0, start = 0, rate = 0, version = 0;
	int csv = 0, connect = 0;
	int64_t t0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atol(argv[++i]);
		else if (!strcmp(argv[i], "--start") && i + 1 < argc)
			start = atol(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = atol(argv[++i]);
		else if (!strcmp(argv[i], "--version") && i + 1 < argc)
			version = atol(argv[++i]);
		else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			i++;
			csv = !strcmp(argv[i], "csv");
			connect = !strcmp(argv[i], "connect-json");
		} else {
			fprintf(stderr, "usage: ksink-bench-gen --count N [--start I] "
			                "[--format avro-json|csv|connect-json] [--rate R] "
			                "[--version V]\n");
			return 2;
		}
	}
	t0 = ks_now_us();
	for (long k = 0; k < count; k++) {
		bet_t b = bet_row(start + k, version);

		if (rate > 0) {
			int64_t due = t0 + k * 1000000 / rate;
			int64_t now = ks_now_us();
			if (due > now) {
				fflush(stdout);
				struct timespec ts = {(due - now) / 1000000,
				                      ((due - now) % 1000000) * 1000};
				nanosleep(&ts, NULL);
			}
			b.placed_at = ks_wall_ms();
		}
		if (csv) {
			time_t secs = (time_t)(b.placed_at / 1000);
			struct tm tm;
			char ts[32];
			gmtime_r(&secs, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
			printf("%ld,%ld,%ld,%.2f,%s.%03d,%s,cust-%ld,%.1f\n", b.id, b.race_id,
			       b.runner_id, b.amount, ts, (int)(b.placed_at % 1000), b.channel,
			       b.customer, b.odds);
		} else if (connect) {
			char env[2048];
			int len = bet_connect_json(env, sizeof(env), &b);
			if (len < 0 || (size_t)len >= sizeof(env))
				return 1;
			printf("%ld\t%s\n", b.id, env);
		} else {
			printf("{\"id\":%ld,\"race_id\":%ld,\"runner_id\":%ld,\"amount\":%.2f,"
			       "\"placed_at\":%lld,\"channel\":\"%s\",\"customer\":\"cust-%ld\","
			       "\"odds\":%.1f}\n",
			       b.id, b.race_id, b.runner_id, b.amount, (long long)b.placed_at,
			       b.channel, b.customer, b.odds);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
