/*
 * 0102-json_converter — JsonConverter envelopes for every Connect type and
 * logical type (each decoded value rendered back with ks_value_to_json),
 * schema interning by schema text, schemas.enable=false, malformed input;
 * plus StringConverter / ByteArrayConverter and class-name dispatch.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../config/config.h"
#include "../schemas/converter.h"
#include "../schemas/value_json.h"
#include "lib/harness.h"

#include <string.h>

static char err[KS_ERRSTR_SIZE];
static ks_arena_t *arena;

static ks_converter_t *mk(const char *cls, const char *k, const char *v)
{
	ks_props_t *p = ks_props_new();
	ks_converter_t *c;
	if (!arena)
		arena = ks_arena_new(0);
	KS_CHECK(p && arena, "alloc");
	if (k)
		KS_CHECK(!ks_props_set(p, k, v), "set");
	c = ks_converter_new(cls, p, 0, err, sizeof(err));
	ks_props_destroy(p);
	return c;
}

#define JSONC "org.apache.kafka.connect.json.JsonConverter"

static ks_err_t conv(ks_converter_t *c, const char *text, const ks_schema_t **s, ks_value_t **v)
{
	err[0] = '\0';
	return ks_converter_to_connect(c, "t", text, strlen(text), arena, s, v, err, sizeof(err));
}

static const char *render(const ks_schema_t *s, const ks_value_t *v)
{
	static ks_buf_t b = KS_BUF_INIT;
	ks_buf_reset(&b);
	KS_CHECK(!ks_value_to_json(s, v, &b), "render");
	return b.data;
}

/* Each row: a schema, a payload, and the expected rendering of the value. */
static const struct {
	const char *schema, *payload, *expect;
	ks_type_t type;
	ks_logical_t logical;
} cases[] = {
        {"{\"type\":\"int8\"}", "-128", "-128", KS_TYPE_INT8, KS_LOGICAL_NONE},
        {"{\"type\":\"int16\"}", "32767", "32767", KS_TYPE_INT16, KS_LOGICAL_NONE},
        {"{\"type\":\"int32\"}", "-2147483648", "-2147483648", KS_TYPE_INT32, KS_LOGICAL_NONE},
        {"{\"type\":\"int64\"}", "9007199254740993", "9007199254740993", KS_TYPE_INT64,
         KS_LOGICAL_NONE},
        {"{\"type\":\"float\"}", "1.5", "1.5", KS_TYPE_FLOAT32, KS_LOGICAL_NONE},
        {"{\"type\":\"double\"}", "2", "2", KS_TYPE_FLOAT64, KS_LOGICAL_NONE},
        {"{\"type\":\"boolean\"}", "true", "true", KS_TYPE_BOOLEAN, KS_LOGICAL_NONE},
        {"{\"type\":\"string\"}", "\"a\\\"b\\n\"", "\"a\\\"b\\n\"", KS_TYPE_STRING,
         KS_LOGICAL_NONE},
        {"{\"type\":\"bytes\"}", "\"AP8B\"", "\"AP8B\"", KS_TYPE_BYTES, KS_LOGICAL_NONE},
        {"{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}", "[1,2,3]", "[1,2,3]", KS_TYPE_ARRAY,
         KS_LOGICAL_NONE},
        {"{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"int64\"}}",
         "{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2}", KS_TYPE_MAP, KS_LOGICAL_NONE},
        {"{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"string\"}}",
         "[[1,\"x\"],[2,\"y\"]]", "[[1,\"x\"],[2,\"y\"]]", KS_TYPE_MAP, KS_LOGICAL_NONE},
        {"{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
         "\"parameters\":{\"scale\":\"2\"}}",
         "\"AIA=\"", "1.28", KS_TYPE_BYTES, KS_LOGICAL_DECIMAL},
        {"{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
         "\"parameters\":{\"scale\":\"2\"}}",
         "-1.5", "-1.50", KS_TYPE_BYTES, KS_LOGICAL_DECIMAL},
        {"{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}", "19000",
         "\"2022-01-08\"", KS_TYPE_INT32, KS_LOGICAL_DATE},
        {"{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\"}", "45296789",
         "\"12:34:56.789\"", KS_TYPE_INT32, KS_LOGICAL_TIME},
        {"{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"}", "-1",
         "\"1969-12-31T23:59:59.999Z\"", KS_TYPE_INT64, KS_LOGICAL_TIMESTAMP},
        {"{\"type\":\"struct\",\"name\":\"bets.Bet\",\"version\":1,\"fields\":["
         "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
         "{\"field\":\"note\",\"type\":\"string\",\"optional\":true},"
         "{\"field\":\"n\",\"type\":\"int32\",\"optional\":false,\"default\":7}]}",
         "{\"id\":42,\"note\":null}", "{\"id\":42,\"note\":null,\"n\":7}", KS_TYPE_STRUCT,
         KS_LOGICAL_NONE},
};

KS_TEST(envelope_every_type)
{
	ks_converter_t *c = mk(JSONC, NULL, NULL);
	KS_CHECK(c, "%s", err);
	for (size_t i = 0; i < KS_ARRAY_SIZE(cases); i++) {
		char text[1024];
		const ks_schema_t *s;
		ks_value_t *v;
		snprintf(text, sizeof(text), "{\"schema\":%s,\"payload\":%s}", cases[i].schema,
		         cases[i].payload);
		KS_CHECK(conv(c, text, &s, &v) == KS_OK, "case %zu: %s", i, err);
		KS_CHECK(s->type == cases[i].type && s->logical == cases[i].logical,
		         "case %zu: type %d logical %d", i, s->type, s->logical);
		KS_CHECK(!strcmp(render(s, v), cases[i].expect),
		         "case %zu: rendered %s, expected %s", i, render(s, v), cases[i].expect);
	}
	ks_converter_destroy(c);
}

KS_TEST(schema_attributes_and_interning)
{
	ks_converter_t *c = mk(JSONC, "schemas.enable", "true");
	const ks_schema_t *s1, *s2, *s3;
	ks_value_t *v;
	const char *a =
	        "{\"schema\":{\"type\":\"struct\",\"name\":\"n.S\",\"version\":4,\"doc\":\"d\","
	        "\"parameters\":{\"k\":\"v\"},\"optional\":true,\"fields\":[{\"field\":\"x\","
	        "\"type\":\"int32\"}]},\"payload\":{\"x\":1}}";
	/* same schema, keys in another order and with spaces: same interned schema */
	const char *b =
	        "{\"payload\":{\"x\":2}, \"schema\":{\"fields\":[{\"type\":\"int32\",\"field\":"
	        "\"x\"}],\"optional\":true,\"name\":\"n.S\",\"doc\":\"d\",\"version\":4,"
	        "\"parameters\":{\"k\":\"v\"},\"type\":\"struct\"}}";
	KS_CHECK(c, "%s", err);
	KS_CHECK_INT(conv(c, a, &s1, &v), KS_OK);
	KS_CHECK_STR(s1->name, "n.S");
	KS_CHECK_INT(s1->version, 4);
	KS_CHECK_STR(s1->doc, "d");
	KS_CHECK_STR(ks_schema_param(s1, "k"), "v");
	KS_CHECK(s1->optional, "optional");
	KS_CHECK_INT(conv(c, b, &s2, &v), KS_OK);
	KS_CHECK(s1 == s2, "interned by schema text");
	KS_CHECK_INT(v->u.st.fields[0].u.i, 2);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"int32\"},\"payload\":1}", &s3, &v), KS_OK);
	KS_CHECK(s3 != s1, "different schema");
	/* optional schema with a null payload: null value */
	KS_CHECK_INT(conv(c,
	                  "{\"schema\":{\"type\":\"string\",\"optional\":true},\"payload\":null}",
	                  &s3, &v),
	             KS_OK);
	KS_CHECK(!v, "null value");
	ks_converter_destroy(c);
}

KS_TEST(schemaless)
{
	ks_converter_t *c = mk(JSONC, "schemas.enable", "false");
	const ks_schema_t *s;
	ks_value_t *v;
	KS_CHECK(c, "%s", err);
	KS_CHECK_INT(
	        conv(c, "{\"id\":42,\"amt\":1.5,\"tags\":[\"a\"],\"ok\":true,\"n\":null}", &s, &v),
	        KS_OK);
	KS_CHECK(!s, "no schema");
	KS_CHECK_INT(v->type, KS_TYPE_STRUCT);
	KS_CHECK_INT(ks_value_field(NULL, v, "id")->type, KS_TYPE_INT64);
	KS_CHECK_INT(ks_value_field(NULL, v, "id")->u.i, 42);
	KS_CHECK_INT(ks_value_field(NULL, v, "amt")->type, KS_TYPE_FLOAT64);
	KS_CHECK_INT(ks_value_field(NULL, v, "tags")->type, KS_TYPE_ARRAY);
	KS_CHECK(ks_value_field(NULL, v, "n")->is_null, "null");
	KS_CHECK_STR(render(NULL, v),
	             "{\"id\":42,\"amt\":1.5,\"tags\":[\"a\"],\"ok\":true,\"n\":null}");
	KS_CHECK_INT(conv(c, "null", &s, &v), KS_OK);
	KS_CHECK(!v, "null");
	KS_CHECK_INT(conv(c, "\"plain\"", &s, &v), KS_OK);
	KS_CHECK_STR(v->u.s.ptr, "plain");
	ks_converter_destroy(c);
}

KS_TEST(malformed)
{
	ks_converter_t *c = mk(JSONC, NULL, NULL);
	const ks_schema_t *s;
	ks_value_t *v;
	KS_CHECK_INT(conv(c, "{\"schema\":", &s, &v), KS_ERR_RECORD);
	KS_CHECK(strstr(err, "invalid JSON"), "%s", err);
	KS_CHECK_INT(conv(c, "{\"id\":1}", &s, &v), KS_ERR_RECORD);
	KS_CHECK(strstr(err, "requires \"schema\" and \"payload\""), "%s", err);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"int32\"},\"payload\":1,\"x\":1}", &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"int32\"},\"payload\":\"1\"}", &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK(strstr(err, "expected an integer"), "%s", err);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"int8\"},\"payload\":300}", &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK(strstr(err, "out of range"), "%s", err);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"int32\"},\"payload\":null}", &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"strin\"},\"payload\":1}", &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK(strstr(err, "unknown type \"strin\""), "%s", err);
	KS_CHECK_INT(conv(c,
	                  "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"a\",\"type\":"
	                  "\"int32\"}]},\"payload\":{\"a\":null}}",
	                  &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK(strstr(err, "at a"), "names the field: %s", err);
	KS_CHECK_INT(conv(c, "{\"schema\":{\"type\":\"bytes\"},\"payload\":\"!!\"}", &s, &v),
	             KS_ERR_RECORD);
	KS_CHECK(strstr(err, "base64"), "%s", err);
	ks_converter_destroy(c);
	c = mk(JSONC, "schemas.enable", "maybe");
	KS_CHECK(!c && strstr(err, "schemas.enable"), "%s", err);
}

KS_TEST(string_bytes_and_dispatch)
{
	ks_converter_t *c = mk("org.apache.kafka.connect.storage.StringConverter", NULL, NULL);
	const ks_schema_t *s;
	ks_value_t *v;
	KS_CHECK(c, "%s", err);
	KS_CHECK_INT(conv(c, "héllo", &s, &v), KS_OK);
	KS_CHECK(s->type == KS_TYPE_STRING && s->optional, "optional string");
	KS_CHECK_STR(v->u.s.ptr, "héllo");
	KS_CHECK_INT(conv(c, "x\xc3(", &s, &v), KS_OK); /* broken sequence: U+FFFD */
	KS_CHECK_STR(v->u.s.ptr, "x\xef\xbf\xbd(");
	KS_CHECK_INT(ks_converter_to_connect(c, "t", NULL, 0, arena, &s, &v, err, sizeof(err)),
	             KS_OK);
	KS_CHECK(!s && !v, "null stays null");
	ks_converter_destroy(c);
	c = mk("org.apache.kafka.connect.converters.ByteArrayConverter", NULL, NULL);
	KS_CHECK(c, "%s", err);
	KS_CHECK_INT(
	        ks_converter_to_connect(c, "t", "\x00\x01", 2, arena, &s, &v, err, sizeof(err)),
	        KS_OK);
	KS_CHECK(s->type == KS_TYPE_BYTES && s->optional && v->u.s.len == 2, "bytes");
	ks_converter_destroy(c);
	KS_CHECK(ks_converter_known("io.confluent.connect.avro.AvroConverter"), "known");
	KS_CHECK(!ks_converter_known("com.example.Nope"), "unknown");
	c = mk("com.example.Nope", NULL, NULL);
	KS_CHECK(!c && strstr(err, "com.example.Nope"), "%s", err);
	c = mk("io.confluent.connect.avro.AvroConverter", NULL, NULL);
	KS_CHECK(!c && strstr(err, "schema.registry.url"), "%s", err);
	ks_converter_destroy(NULL);
}

KS_TEST(value_json_rendering)
{
	ks_schema_t *d = ks_schema_decimal(10, 3);
	ks_value_t v = {.type = KS_TYPE_BYTES};
	ks_buf_t b = KS_BUF_INIT;
	char *out;
	size_t n;
	KS_CHECK(d, "decimal");
	v.u.s.ptr = "\x80";
	v.u.s.len = 1; /* -128, scale 3 */
	KS_CHECK(!ks_value_to_json(d, &v, &b), "render");
	KS_CHECK_STR(b.data, "-0.128");
	ks_buf_reset(&b);
	v.u.s.ptr = "\x01\x00\x00\x00\x00\x00\x00\x00\x00"; /* 2^64, beyond int64 */
	v.u.s.len = 9;
	KS_CHECK(!ks_value_to_json(d, &v, &b), "render");
	KS_CHECK_STR(b.data, "18446744073709551.616");
	ks_schema_unref(d);
	ks_buf_reset(&b);
	ks_base64_encode("foobar", 6, &b);
	KS_CHECK_STR(b.data, "Zm9vYmFy");
	KS_CHECK(!ks_base64_decode("Zm9vYg==", 8, arena, &out, &n) && n == 4 &&
	                 !strcmp(out, "foob"),
	         "decode");
	KS_CHECK(ks_base64_decode("Zm9v!", 5, arena, &out, &n), "invalid");
	ks_buf_free(&b);
	ks_arena_destroy(arena);
	arena = NULL;
}

KS_TEST(config_tables_and_replace_null_with_default)
{
	const char *text = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"n\",\"type\":"
	                   "\"int32\",\"optional\":true,\"default\":7}]},\"payload\":{\"n\":null}}";
	const struct ks_cfg_def *const *defs;
	ks_converter_t *c;
	const ks_schema_t *s;
	ks_value_t *v;
	json_t *j;
	char *dump;

	defs = ks_converter_config_defs("org.apache.kafka.connect.json.JsonConverter");
	KS_CHECK(defs && defs[0], "json defs");
	j = ks_config_defs_json(defs);
	dump = json_dumps(j, JSON_COMPACT);
	KS_CHECK(dump && strstr(dump, "\"schemas.enable\"") &&
	                 strstr(dump, "replace.null.with.default"),
	         "%s", dump ? dump : "(null)");
	free(dump);
	json_decref(j);
	defs = ks_converter_config_defs("io.confluent.connect.avro.AvroConverter");
	KS_CHECK(defs && defs[0] && !strcmp(defs[0][0].name, "schema.registry.url"), "avro defs");
	KS_CHECK(ks_config_is_password(defs, "basic.auth.user.info"), "user info is a password");
	KS_CHECK(!ks_converter_config_defs("x.Y"), "unknown class");

	c = mk(JSONC, NULL, NULL);
	KS_CHECK_INT(conv(c, text, &s, &v), KS_OK);
	KS_CHECK_INT(v->u.st.fields[0].u.i, 7); /* default replaces null */
	ks_converter_destroy(c);
	c = mk(JSONC, "replace.null.with.default", "false");
	KS_CHECK(c, "%s", err);
	KS_CHECK_INT(conv(c, text, &s, &v), KS_OK);
	KS_CHECK(v->u.st.fields[0].is_null, "null stays null");
	ks_converter_destroy(c);
	c = mk(JSONC, "decimal.format", "HEX");
	KS_CHECK(!c && strstr(err, "decimal.format"), "%s", err);
	c = mk("io.confluent.connect.avro.AvroConverter", "schema.registry.url", " , ");
	KS_CHECK(!c && strstr(err, "schema.registry.url"), "%s", err);
	c = mk("org.apache.kafka.connect.storage.StringConverter", "converter.encoding", "latin1");
	KS_CHECK(!c && strstr(err, "UTF-8"), "%s", err);
	ks_arena_destroy(arena);
	arena = NULL;
}
