/*
 * fuzz/json.c — libFuzzer target for the JsonConverter (schemas.enable
 * true and false) and ks_value_to_json on whatever decodes. With schemas,
 * the fast paths (json_converter.h: direct and reuse) run twice each (the
 * second time the schema text is known) and must give what the full path
 * gives: the same result code, error text and rendered value, or the target
 * aborts.
 */
#include "../../lib/log.h"
#include "../../schemas/converter.h"
#include "../../schemas/json_converter.h"
#include "../../schemas/value_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static ks_converter_t *with_schema, *reuse, *full, *schemaless;
static ks_arena_t *arena;

static ks_converter_t *mk(const char *enable, int path)
{
	ks_props_t *p = ks_props_new();
	char err[KS_ERRSTR_SIZE];
	ks_converter_t *c;

	if (!p || ks_props_set(p, "schemas.enable", enable))
		abort();
	c = ks_converter_new("org.apache.kafka.connect.json.JsonConverter", p, 0, err, sizeof(err));
	ks_props_destroy(p);
	if (!c || (path >= 0 && ks_json_converter_set_path(c, path)))
		abort();
	return c;
}

/* One decode: its result code, error text and rendering (or "") in *out. */
typedef struct outcome {
	ks_err_t rc;
	char err[KS_ERRSTR_SIZE];
	ks_buf_t text;
} outcome_t;

static void run(ks_converter_t *c, const uint8_t *data, size_t size, outcome_t *out)
{
	const ks_schema_t *s;
	ks_value_t *v;

	out->err[0] = '\0';
	ks_buf_reset(&out->text);
	out->rc = ks_converter_to_connect(c, "t", data, size, arena, &s, &v, out->err,
	                                  sizeof(out->err));
	if (out->rc == KS_OK && ks_value_to_json(s, v, &out->text))
		abort();
	ks_buf_append(&out->text, "", 1); /* NUL-terminated, also when empty */
	if (ks_buf_failed(&out->text))
		abort();
	ks_arena_reset(arena);
}

static void same(const outcome_t *a, const outcome_t *b)
{
	if (a->rc != b->rc || strcmp(a->err, b->err) || strcmp(a->text.data, b->text.data))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!arena) {
		ks_log_set_root_level(KS_LOG_OFF);
		with_schema = mk("true", KS_JSON_PATH_DIRECT);
		reuse = mk("true", KS_JSON_PATH_REUSE);
		full = mk("true", KS_JSON_PATH_FULL);
		schemaless = mk("false", -1);
		if (!(arena = ks_arena_new(0)))
			abort();
	}
	/* the converter keeps every distinct schema it saw (records borrow
	 * them); start afresh now and then so a long run stays small */
	static unsigned long runs;
	if (++runs % 20000 == 0) {
		ks_converter_destroy(with_schema);
		ks_converter_destroy(reuse);
		ks_converter_destroy(full);
		with_schema = mk("true", KS_JSON_PATH_DIRECT);
		reuse = mk("true", KS_JSON_PATH_REUSE);
		full = mk("true", KS_JSON_PATH_FULL);
	}
	static outcome_t o1, o2, o3;
	run(full, data, size, &o3);
	run(with_schema, data, size, &o1);
	run(with_schema, data, size, &o2);
	same(&o1, &o3);
	same(&o2, &o3);
	run(reuse, data, size, &o1);
	run(reuse, data, size, &o2);
	same(&o1, &o3);
	same(&o2, &o3);
	run(schemaless, data, size, &o1);
	return 0;
}
