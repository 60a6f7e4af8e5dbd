/*
 * odds.c — build/ksink-demo-odds: the tote-pool odds stream of the seed demo,
 * which ksqlDB computed with two aggregations and a join, as a small filter.
 *
 * Reads bets (tote_win_bets values in the Avro JSON encoding, one per line:
 * {"RUNNER_ID":{"int":1},"RACE_ID":{"int":0},"AMOUNT":{"double":25.0}}) and
 * writes, per bet, the tote_win_bet_race_runners_odds value after that bet:
 *   RUNNER_POOL_AMOUNT = SUM(amount) of the runner in its race
 *   RACE_POOL_AMOUNT   = SUM(amount) of the race
 *   ODDS               = race pool / runner pool, 0 when the runner pool is 0
 * With --key it prints "RACE_ID<TAB>value" (the seed keys the stream by race).
 * With --state FILE the pools are loaded from and saved to FILE, so a second
 * `make play` keeps accumulating as ksqlDB's tables did.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POOLS 4096

static struct pool {
	long race, runner; /* runner -1 = the race pool */
	double amount;
} pools[MAX_POOLS];
static int npools;

/* Avro JSON: a union value is {"type": v}; null is null. */
static json_t *unwrap(json_t *v)
{
	if (json_is_object(v) && json_object_size(v) == 1)
		return json_object_iter_value(json_object_iter(v));
	return v;
}

static double *pool(long race, long runner)
{
	for (int i = 0; i < npools; i++)
		if (pools[i].race == race && pools[i].runner == runner)
			return &pools[i].amount;
	if (npools == MAX_POOLS)
		return NULL;
	pools[npools].race = race;
	pools[npools].runner = runner;
	pools[npools].amount = 0;
	return &pools[npools++].amount;
}

static void load_state(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (npools < MAX_POOLS && fscanf(f, "%ld %ld %lf", &pools[npools].race,
	                                    &pools[npools].runner, &pools[npools].amount) == 3)
		npools++;
	fclose(f);
}

static int save_state(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	for (int i = 0; i < npools; i++)
		fprintf(f, "%ld %ld %.17g\n", pools[i].race, pools[i].runner, pools[i].amount);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	char line[65536];
	const char *state = NULL;
	int with_key = 0, lineno = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--key")) {
			with_key = 1;
		} else if (!strcmp(argv[i], "--state") && i + 1 < argc) {
			state = argv[++i];
		} else {
			fprintf(stderr,
			        "usage: ksink-demo-odds [--key] [--state FILE] < bets.jsonl "
			        "> odds.jsonl\n");
			return 2;
		}
	}
	if (state)
		load_state(state);
	while (fgets(line, sizeof(line), stdin)) {
		json_error_t jerr;
		json_t *bet, *runner, *race, *amount;
		double *runner_pool, *race_pool, odds;

		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		bet = json_loads(line, 0, &jerr);
		if (!bet) {
			fprintf(stderr, "ksink-demo-odds: line %d: %s\n", lineno, jerr.text);
			return 1;
		}
		runner = unwrap(json_object_get(bet, "RUNNER_ID"));
		race = unwrap(json_object_get(bet, "RACE_ID"));
		amount = unwrap(json_object_get(bet, "AMOUNT"));
		if (!json_is_integer(runner) || !json_is_integer(race) || !json_is_number(amount)) {
			fprintf(stderr,
			        "ksink-demo-odds: line %d: need RUNNER_ID, RACE_ID (int) and "
			        "AMOUNT\n",
			        lineno);
			json_decref(bet);
			return 1;
		}
		runner_pool = pool(json_integer_value(race), json_integer_value(runner));
		race_pool = pool(json_integer_value(race), -1);
		if (!runner_pool || !race_pool) {
			fprintf(stderr, "ksink-demo-odds: too many pools\n");
			json_decref(bet);
			return 1;
		}
		*runner_pool += json_number_value(amount);
		*race_pool += json_number_value(amount);
		odds = *runner_pool == 0 ? 0 : *race_pool / *runner_pool;
		if (with_key)
			printf("%lld\t", (long long)json_integer_value(race));
		printf("{\"RUNNER_ID\":{\"int\":%lld},\"RUNNER_POOL_AMOUNT\":{\"double\":%.17g},"
		       "\"RACE_POOL_AMOUNT\":{\"double\":%.17g},\"ODDS\":{\"double\":%.17g}}\n",
		       (long long)json_integer_value(runner), *runner_pool, *race_pool, odds);
		json_decref(bet);
	}
	if (state && save_state(state)) {
		fprintf(stderr, "ksink-demo-odds: cannot save %s\n", state);
		return 1;
	}
	return 0;
}
