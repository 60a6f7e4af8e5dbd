/*
 * fuzz/avro.c — libFuzzer target for the AvroConverter. No network: the
 * schemas are pre-seeded into the converter's registry cache.
 *   data[0] < 0xf0: data[0] picks a seeded schema, the rest is the Avro body
 *   data[0] == 0xfe: the rest is an Avro schema text for the schema mapper
 *   otherwise: the rest is a whole message (header included)
 * Every decoded value is also rendered with ks_value_to_json.
 */
#include "../../lib/log.h"
#include "../../schemas/avro_converter.h"
#include "../../schemas/value_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *schemas[] = {
        "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"f\",\"fields\":["
        "{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"i\",\"type\":\"int\"},"
        "{\"name\":\"l\",\"type\":\"long\"},{\"name\":\"f\",\"type\":\"float\"},"
        "{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"s\",\"type\":\"string\"},"
        "{\"name\":\"y\",\"type\":\"bytes\"},"
        "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
        "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
        "{\"name\":\"m\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":20,"
        "\"scale\":4}},"
        "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F3\",\"size\":3}},"
        "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}},"
        "{\"name\":\"o\",\"type\":[\"null\",\"string\"]},"
        "{\"name\":\"u\",\"type\":[\"int\",\"string\",\"null\",\"E\"]},"
        "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
        "{\"name\":\"mp\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"double\"]}},"
        "{\"name\":\"nested\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"fields\":["
        "{\"name\":\"x\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\","
        "\"values\":\"F3\"}}}]}}]}",
        "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Z\",\"fields\":[]}}",
        "{\"type\":\"map\",\"values\":\"null\"}",
        "\"string\"",
        "\"bytes\"",
        "[\"null\",\"long\"]",
};

static ks_converter_t *conv;
static ks_arena_t *arena;

static void init(void)
{
	ks_props_t *p = ks_props_new();
	char err[KS_ERRSTR_SIZE];

	ks_log_set_root_level(KS_LOG_OFF);
	if (!p || ks_props_set(p, "schema.registry.url", "http://127.0.0.1:1") ||
	    ks_props_set(p, "max.retries", "0"))
		abort();
	conv = ks_converter_new("io.confluent.connect.avro.AvroConverter", p, 0, err, sizeof(err));
	ks_props_destroy(p);
	arena = ks_arena_new(0);
	if (!conv || !arena)
		abort();
	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (ks_registry_seed(ks_avro_converter_registry(conv), (int)i + 1, schemas[i]))
			abort();
}

static void run(const uint8_t *msg, size_t len)
{
	const ks_schema_t *s;
	ks_value_t *v;
	char err[KS_ERRSTR_SIZE];
	ks_buf_t b = KS_BUF_INIT;

	if (ks_converter_to_connect(conv, "t", msg, len, arena, &s, &v, err, sizeof(err)) ==
	    KS_OK) {
		if (ks_value_to_json(s, v, &b))
			abort();
		ks_buf_free(&b);
	}
	ks_arena_reset(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!conv)
		init();
	if (size < 1)
		return 0;
	if (data[0] < 0xf0) {
		uint8_t *msg = malloc(size + 4);
		int id = data[0] % (int)(sizeof(schemas) / sizeof(schemas[0])) + 1;
		if (!msg)
			return 0;
		msg[0] = 0, msg[1] = 0, msg[2] = 0, msg[3] = 0, msg[4] = (uint8_t)id;
		memcpy(msg + 5, data + 1, size - 1);
		run(msg, size + 4);
		free(msg);
	} else if (data[0] == 0xfe) {
		char *text = strndup((const char *)data + 1, size - 1);
		char err[KS_ERRSTR_SIZE];
		ks_schema_t *s;
		if (!text)
			return 0;
		s = ks_avro_schema_to_connect(text, err, sizeof(err));
		ks_schema_unref(s);
		free(text);
	} else if (size > 5 && data[1] == 0 && data[2] == 0 && data[3] == 0 && data[4] == 0 &&
	           data[5] >= 1 && data[5] <= 6) {
		run(data + 1, size - 1); /* only seeded ids: no registry round trips */
	} else {
		run(data + 1, size - 1 < 5 ? size - 1 : 4); /* header errors */
	}
	return 0;
}
