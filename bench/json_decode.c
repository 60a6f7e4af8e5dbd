/*
 * json_decode.c — build/ksink-bench-json_decode: the JsonConverter's decode
 * alone, no Kafka and no database. Builds N envelopes like
 * `ksink-bench-gen --format connect-json` writes them (schemas.enable=true,
 * {"schema":…,"payload":…}, ~0.8 kB, the same schema text in every message),
 * then decodes them all with one converter, resetting the arena every 1000
 * records as a task does per batch. Prints
 * "rows=N seconds=S rows_per_s=R us_per_row=U" for the best of --rounds.
 *
 * --path picks the converter's path (json_converter.h): full = every message
 * parsed whole by jansson, the schema interned by its canonical text (the
 * code before the fast paths); reuse = a known schema text reused, jansson
 * on the payload; direct (default) = reuse, the payload read by
 * json_payload.c. A before/after in one binary.
 *
 *   ksink-bench-json_decode [--count N] [--rounds R] [--path full|reuse|direct]
 */
#include "../lib/arena.h"
#include "../lib/ks.h"
#include "../schemas/converter.h"
#include "../schemas/json_converter.h"
#include "bet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long n = 200000, rounds = 3, bad = 0;
	char **msgs;
	size_t *lens;
	char err[KS_ERRSTR_SIZE];
	ks_props_t *props;
	ks_converter_t *conv;
	ks_arena_t *arena;
	double best = 0;
	int path = KS_JSON_PATH_DIRECT;
	static const char *const paths[] = {"full", "reuse", "direct"};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (!strcmp(argv[i], "--path") && i + 1 < argc) {
			i++;
			for (path = 0; path < 3 && strcmp(argv[i], paths[path]); path++)
				;
			if (path == 3) {
				fprintf(stderr, "ksink-bench-json_decode: unknown path %s\n",
				        argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: ksink-bench-json_decode [--count N] [--rounds R] "
			                "[--path full|reuse|direct]\n");
			return 2;
		}
	}
	if (n < 1 || rounds < 1 || !(msgs = calloc((size_t)n, sizeof(*msgs))) ||
	    !(lens = calloc((size_t)n, sizeof(*lens))))
		return 2;
	for (long i = 0; i < n; i++) {
		char buf[2048];
		bet_t b = bet_row(i, 0);
		int len = bet_connect_json(buf, sizeof(buf), &b);
		if (len < 0 || (size_t)len >= sizeof(buf) || !(msgs[i] = strdup(buf)))
			return 1;
		lens[i] = (size_t)len;
	}
	props = ks_props_new();
	arena = ks_arena_new(0);
	if (!props || !arena)
		return 1;
	conv = ks_converter_new("org.apache.kafka.connect.json.JsonConverter", props, 0, err,
	                        sizeof(err));
	ks_props_destroy(props);
	if (!conv) {
		fprintf(stderr, "ksink-bench-json_decode: %s\n", err);
		return 1;
	}
	if (ks_json_converter_set_path(conv, path))
		return 1;
	for (long r = 0; r < rounds; r++) {
		int64_t t0 = ks_now_us(), dt;
		for (long i = 0; i < n; i++) {
			const ks_schema_t *s = NULL;
			ks_value_t *v = NULL;
			if (ks_converter_to_connect(conv, "t", msgs[i], lens[i], arena, &s, &v, err,
			                            sizeof(err)) != KS_OK)
				bad++;
			if (i % 1000 == 999)
				ks_arena_reset(arena);
		}
		ks_arena_reset(arena);
		dt = ks_now_us() - t0;
		if (dt < 1)
			dt = 1;
		if ((double)n * 1e6 / (double)dt > best)
			best = (double)n * 1e6 / (double)dt;
	}
	printf("path=%s rows=%ld rounds=%ld bad=%ld rows_per_s=%.0f us_per_row=%.3f "
	       "bytes_per_msg=%zu\n",
	       paths[path], n, rounds, bad, best, 1e6 / best, lens[0]);
	ks_converter_destroy(conv);
	ks_arena_destroy(arena);
	for (long i = 0; i < n; i++)
		free(msgs[i]);
	free(msgs);
	free(lens);
	return bad ? 1 : 0;
}
