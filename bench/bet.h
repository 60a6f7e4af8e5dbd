/*
 * bet.h — the benchmark row, bench/bet.avsc, in one place: its columns as a
 * function of the row number (and the --version of an update wave), its
 * Connect schema, and JsonConverter's envelope around one row
 * (schemas.enable=true). gen.c writes these rows for the runs; json_decode.c
 * builds the same envelopes in memory. Header-only: each bench C file is its
 * own program.
 */
#ifndef KSINK_BENCH_BET_H
#define KSINK_BENCH_BET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* bet.avsc as a Connect schema, for JsonConverter's envelope */
static const char bet_connect_schema[] =
        "{\"type\":\"struct\",\"name\":\"io.ksink.bench.Bet\",\"optional\":false,\"fields\":["
        "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
        "{\"field\":\"race_id\",\"type\":\"int32\",\"optional\":false},"
        "{\"field\":\"runner_id\",\"type\":\"int32\",\"optional\":false},"
        "{\"field\":\"amount\",\"type\":\"double\",\"optional\":false},"
        "{\"field\":\"placed_at\",\"type\":\"int64\",\"optional\":false,"
        "\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},"
        "{\"field\":\"channel\",\"type\":\"string\",\"optional\":false},"
        "{\"field\":\"customer\",\"type\":\"string\",\"optional\":false},"
        "{\"field\":\"odds\",\"type\":\"double\",\"optional\":false}]}";

/* One row; customer is the number in "cust-N". */
typedef struct bet {
	long id, race_id, runner_id, customer;
	double amount, odds;
	int64_t placed_at; /* ms since the epoch */
	const char *channel;
} bet_t;

/* Row i of wave version: placed_at derived from i (callers pacing by the
 * clock overwrite it). */
static inline bet_t bet_row(long i, long version)
{
	static const char *const channels[] = {"web", "app", "retail"};
	bet_t b = {.id = i,
	           .race_id = i % 50,
	           .runner_id = i % 12 + 1,
	           .customer = (i * 31) % 100000,
	           .amount = (double)((i * 7 + version * 13) % 1000) / 4.0,
	           .odds = 1.0 + (double)((i + version) % 97) / 10.0,
	           .placed_at = 1700000000000LL + i * 10,
	           .channel = channels[i % 3]};
	return b;
}

/* The row as {"schema":…,"payload":…} into buf: snprintf's result. */
static inline int bet_connect_json(char *buf, size_t size, const bet_t *b)
{
	return snprintf(buf, size,
	                "{\"schema\":%s,\"payload\":{\"id\":%ld,\"race_id\":%ld,"
	                "\"runner_id\":%ld,\"amount\":%.2f,\"placed_at\":%lld,"
	                "\"channel\":\"%s\",\"customer\":\"cust-%ld\",\"odds\":%.1f}}",
	                bet_connect_schema, b->id, b->race_id, b->runner_id, b->amount,
	                (long long)b->placed_at, b->channel, b->customer, b->odds);
}

#endif
