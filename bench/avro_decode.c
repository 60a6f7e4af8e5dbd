/*
 * avro_decode.c — build/ksink-bench-avro_decode: decoding speed of the
 * AvroConverter (our bounds-checked decoder into the record model) against
 * avro-c's avro_value_read into one reused generic value (the fastest avro-c
 * path, perf.md §4), on the perf.md record shape: long, string, double,
 * timestamp-millis, boolean, ["null","string"]. Both read every field; ours
 * also builds the ks_value_t tree. Prints ns/record and the ratio measured
 * in the same run (no absolute thresholds).
 *
 *   ksink-bench-avro_decode [RECORDS]   (default 1000000)
 */
#include "../lib/log.h"
#include "../schemas/avro_converter.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
        "{\"type\":\"record\",\"name\":\"Bet\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"},"
        "{\"name\":\"amount\",\"type\":\"double\"},"
        "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
        "{\"name\":\"ok\",\"type\":\"boolean\"},{\"name\":\"note\",\"type\":[\"null\",\"string\"]}]"
        "}";

#define NMSG 1024

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t val, f, br;
	char *msgs[NMSG], err[KS_ERRSTR_SIZE];
	size_t lens[NMSG];
	ks_props_t *p = ks_props_new();
	ks_converter_t *c;
	ks_arena_t *arena = ks_arena_new(1 << 20);
	volatile double sink = 0;
	int64_t t0, t1, t2;

	ks_log_set_root_level(KS_LOG_WARN);
	if (!p || !arena || avro_schema_from_json_length(SCHEMA, strlen(SCHEMA), &schema)) {
		fprintf(stderr, "setup failed: %s\n", avro_strerror());
		return 1;
	}
	iface = avro_generic_class_from_schema(schema);
	if (!iface || avro_generic_value_new(iface, &val))
		return 1;
	/* NMSG distinct framed messages (schema id 1), encoded by avro-c */
	for (int i = 0; i < NMSG; i++) {
		char buf[256], name[32], note[64];
		avro_writer_t w = avro_writer_memory(buf + 5, sizeof(buf) - 5);
		snprintf(name, sizeof(name), "runner-%d", i);
		snprintf(note, sizeof(note), "a note about bet number %d", i);
		avro_value_reset(&val);
		avro_value_get_by_index(&val, 0, &f, NULL), avro_value_set_long(&f, 1000000 + i);
		avro_value_get_by_index(&val, 1, &f, NULL), avro_value_set_string(&f, name);
		avro_value_get_by_index(&val, 2, &f, NULL), avro_value_set_double(&f, i * 1.25);
		avro_value_get_by_index(&val, 3, &f, NULL),
		        avro_value_set_long(&f, 1714953600000 + i);
		avro_value_get_by_index(&val, 4, &f, NULL), avro_value_set_boolean(&f, i & 1);
		avro_value_get_by_index(&val, 5, &f, NULL);
		if (i % 4 == 0) {
			avro_value_set_branch(&f, 0, &br), avro_value_set_null(&br);
		} else {
			avro_value_set_branch(&f, 1, &br), avro_value_set_string(&br, note);
		}
		if (avro_value_write(w, &val)) {
			fprintf(stderr, "encode: %s\n", avro_strerror());
			return 1;
		}
		buf[0] = 0, buf[1] = 0, buf[2] = 0, buf[3] = 0, buf[4] = 1;
		lens[i] = 5 + (size_t)avro_writer_tell(w);
		msgs[i] = malloc(lens[i]);
		memcpy(msgs[i], buf, lens[i]);
		avro_writer_free(w);
	}
	if (ks_props_set(p, "schema.registry.url", "http://127.0.0.1:1"))
		return 1;
	c = ks_converter_new("io.confluent.connect.avro.AvroConverter", p, 0, err, sizeof(err));
	if (!c || ks_registry_seed(ks_avro_converter_registry(c), 1, SCHEMA))
		return 1;

	t0 = ks_now_us();
	for (long i = 0; i < n; i++) {
		const ks_schema_t *s;
		ks_value_t *v;
		if (ks_converter_to_connect(c, "t", msgs[i % NMSG], lens[i % NMSG], arena, &s, &v,
		                            err, sizeof(err))) {
			fprintf(stderr, "decode: %s\n", err);
			return 1;
		}
		sink += (double)v->u.st.fields[0].u.i + (double)v->u.st.fields[1].u.s.len;
		if ((i & 1023) == 1023)
			ks_arena_reset(arena);
	}
	t1 = ks_now_us();
	{
		avro_reader_t rd = avro_reader_memory(msgs[0], (int64_t)lens[0]);
		for (long i = 0; i < n; i++) {
			const char *str;
			size_t sz;
			int64_t l;
			avro_reader_memory_set_source(rd, msgs[i % NMSG] + 5,
			                              (int64_t)lens[i % NMSG] - 5);
			avro_value_reset(&val);
			if (avro_value_read(rd, &val)) {
				fprintf(stderr, "avro-c: %s\n", avro_strerror());
				return 1;
			}
			avro_value_get_by_index(&val, 0, &f, NULL), avro_value_get_long(&f, &l);
			avro_value_get_by_index(&val, 1, &f, NULL),
			        avro_value_get_string(&f, &str, &sz);
			sink += (double)l + (double)sz;
		}
		avro_reader_free(rd);
	}
	t2 = ks_now_us();
	printf("records            %ld\n", n);
	printf("ksink AvroConverter %.0f ns/record\n", (double)(t1 - t0) * 1000.0 / (double)n);
	printf("avro-c value_read   %.0f ns/record\n", (double)(t2 - t1) * 1000.0 / (double)n);
	printf("ratio avro-c/ksink  %.2f\n", (double)(t2 - t1) / (double)(t1 - t0));
	for (int i = 0; i < NMSG; i++)
		free(msgs[i]);
	ks_converter_destroy(c);
	ks_props_destroy(p);
	ks_arena_destroy(arena);
	avro_value_decref(&val);
	avro_value_iface_decref(iface);
	avro_schema_decref(schema);
	return sink < 0;
}
