/*
 * fuzz/json.c — libFuzzer target for the JsonConverter (schemas.enable
 * true and false) and ks_value_to_json on whatever decodes.
 */
#include "../../lib/log.h"
#include "../../schemas/converter.h"
#include "../../schemas/value_json.h"

#include <stdint.h>
#include <stdlib.h>

static ks_converter_t *with_schema, *schemaless;
static ks_arena_t *arena;

static ks_converter_t *mk(const char *enable)
{
	ks_props_t *p = ks_props_new();
	char err[KS_ERRSTR_SIZE];
	ks_converter_t *c;

	if (!p || ks_props_set(p, "schemas.enable", enable))
		abort();
	c = ks_converter_new("org.apache.kafka.connect.json.JsonConverter", p, 0, err, sizeof(err));
	ks_props_destroy(p);
	if (!c)
		abort();
	return c;
}

static void run(ks_converter_t *c, const uint8_t *data, size_t size)
{
	const ks_schema_t *s;
	ks_value_t *v;
	char err[KS_ERRSTR_SIZE];
	ks_buf_t b = KS_BUF_INIT;

	if (ks_converter_to_connect(c, "t", data, size, arena, &s, &v, err, sizeof(err)) == KS_OK) {
		if (ks_value_to_json(s, v, &b))
			abort();
		ks_buf_free(&b);
	}
	ks_arena_reset(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!arena) {
		ks_log_set_root_level(KS_LOG_OFF);
		with_schema = mk("true");
		schemaless = mk("false");
		if (!(arena = ks_arena_new(0)))
			abort();
	}
	/* the converter keeps every distinct schema it saw (records borrow
	 * them); start afresh now and then so a long run stays small */
	static unsigned long runs;
	if (++runs % 20000 == 0) {
		ks_converter_destroy(with_schema);
		with_schema = mk("true");
	}
	run(with_schema, data, size);
	run(schemaless, data, size);
	return 0;
}
