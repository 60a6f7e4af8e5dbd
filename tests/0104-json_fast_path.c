/*
 * 0104-json_fast_path — the JsonConverter's fast paths (schemas/json_scan.c:
 * envelope spans found without parsing, a schema reused when its text equals
 * one seen before; then the payload read by jansson alone (REUSE) or
 * straight into the value by schemas/json_payload.c (DIRECT)) give exactly
 * what the full jansson path gives: the same values, the same errors. The
 * scanner's units (strings with escapes, nesting, truncation), then
 * differential runs of the three paths over every type and logical type,
 * changed schemas, escaped schema strings, and every truncation and byte
 * corruption of valid envelopes.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../schemas/converter.h"
#include "../schemas/json_converter.h"
#include "../schemas/json_scan.h"
#include "../schemas/value_json.h"
#include "lib/harness.h"

#include <stdlib.h>
#include <string.h>

static ks_arena_t *arena;

static ks_converter_t *mk(int path)
{
	ks_props_t *p = ks_props_new();
	char err[KS_ERRSTR_SIZE];
	ks_converter_t *c;

	if (!arena)
		arena = ks_arena_new(0);
	KS_CHECK(p && arena, "alloc");
	c = ks_converter_new("org.apache.kafka.connect.json.JsonConverter", p, 0, err, sizeof(err));
	ks_props_destroy(p);
	KS_CHECK(c, "%s", err);
	KS_CHECK(!ks_json_converter_set_path(c, path), "set_path");
	return c;
}

/* Skips text (exactly len bytes in their own heap block, so ASan sees any
 * read past them); returns the length skipped, -1 for NULL. */
static long skip(const char *text, size_t len, int depth)
{
	char *b = calloc(len ? len : 1, 1); /* zeroed: else GCC -O3 warns for len 0 */
	const char *e;
	long r;

	KS_CHECK(b, "alloc");
	memcpy(b, text, len);
	e = ks_json_skip_value(b, b + len, depth);
	r = e ? (long)(e - b) : -1;
	free(b);
	return r;
}

KS_TEST(skip_value)
{
	KS_CHECK_INT(skip("\"abc\",", 6, 10), 5);
	KS_CHECK_INT(skip("\"a\\\"b\"x", 7, 10), 6);    /* "a\"b" */
	KS_CHECK_INT(skip("\"a\\\\\"x", 6, 10), 5);     /* "a\\" ends at its quote */
	KS_CHECK_INT(skip("\"a\\\\\\\"\"x", 8, 10), 7); /* "a\\\"" */
	KS_CHECK_INT(skip("\"}]\\\"{[\"}", 9, 10), 8);  /* brackets inside a string */
	KS_CHECK_INT(skip("{\"a\":[1,{\"b\":\"]\"}]} ,", 21, 10), 19);
	KS_CHECK_INT(skip("[[[]]]", 6, 3), 6);
	KS_CHECK_INT(skip("[[[[]]]]", 8, 3), -1); /* deeper than max_depth */
	KS_CHECK_INT(skip("-12.5e3,", 8, 10), 7);
	KS_CHECK_INT(skip("true}", 5, 10), 4);
	KS_CHECK_INT(skip("null", 4, 10), 4);
	KS_CHECK_INT(skip("\"abc", 4, 10), -1);
	KS_CHECK_INT(skip("\"abc\\\"", 6, 10), -1);
	KS_CHECK_INT(skip("{\"a\":1", 6, 10), -1);
	KS_CHECK_INT(skip("{\"a\":\"}\"", 8, 10), -1);
	KS_CHECK_INT(skip("", 0, 10), -1);
	KS_CHECK_INT(skip(",", 1, 10), -1);
	KS_CHECK_INT(skip(" 1", 2, 10), -1);
}

static int scan(const char *text, const char **schema, const char **payload)
{
	static char s[256], p[256];
	size_t len = strlen(text);
	char *b = calloc(len ? len : 1, 1); /* zeroed: else GCC -O3 warns for len 0 */
	ks_json_span_t ss, ps;
	int rc;

	KS_CHECK(b, "alloc");
	memcpy(b, text, len);
	rc = ks_json_scan_envelope(b, len, NULL, NULL, 100, &ss, &ps);
	if (!rc) {
		snprintf(s, sizeof(s), "%.*s", (int)ss.len, ss.ptr);
		snprintf(p, sizeof(p), "%.*s", (int)ps.len, ps.ptr);
		*schema = s;
		*payload = p;
	}
	free(b);
	return rc;
}

KS_TEST(scan_envelope)
{
	const char *s, *p;
	const char *bad[] = {
	        "{\"schema\":{},\"payload\":1,\"x\":2}",     /* a third key */
	        "{\"schema\":{},\"schema\":{}}",             /* duplicate key */
	        "{\"sch\\u0065ma\":{},\"payload\":1}",       /* escaped key */
	        "{\"schema\":null,\"payload\":1}",           /* null schema: full path */
	        "{\"schema\":\"x\",\"payload\":1}",          /* not an object */
	        "{\"schema\":{},\"payload\":1}x",            /* trailing bytes */
	        "{\"schema\":{},\"payload\":1",              /* truncated */
	        "{\"schema\":{},\"payload\":}",              /* no value */
	        "{\"schema\":{};\"payload\":1}",             /* not a comma */
	        "\xef\xbb\xbf{\"schema\":{},\"payload\":1}", /* BOM */
	        "{\"schema\":{},\f\"payload\":1}",           /* not JSON whitespace */
	        "[\"schema\",{},\"payload\",1]",
	        "",
	};
	KS_CHECK_INT(scan("{\"schema\":{\"a\":\"}\"},\"payload\":[1,2]}", &s, &p), 0);
	KS_CHECK_STR(s, "{\"a\":\"}\"}");
	KS_CHECK_STR(p, "[1,2]");
	KS_CHECK_INT(scan(" \r\n{ \"payload\" :\t\"x\\\"\" ,\"schema\" : {} }\n", &s, &p), 0);
	KS_CHECK_STR(s, "{}");
	KS_CHECK_STR(p, "\"x\\\"\"");
	for (size_t i = 0; i < KS_ARRAY_SIZE(bad); i++)
		KS_CHECK(scan(bad[i], &s, &p) == -1, "case %zu accepted", i);
}

/* The three paths, the reference last. */
typedef struct paths {
	ks_converter_t *c[3];
} paths_t;

static paths_t mk3(void)
{
	paths_t p = {{mk(KS_JSON_PATH_DIRECT), mk(KS_JSON_PATH_REUSE), mk(KS_JSON_PATH_FULL)}};
	return p;
}

static void destroy3(paths_t *p)
{
	for (int i = 0; i < 3; i++)
		ks_converter_destroy(p->c[i]);
}

/* One decode by each path; all must agree with the full path on the result
 * code, the error text, the schema and the rendered value. */
static void same(const paths_t *ps, const char *text, size_t len, const char *what)
{
	char *b = calloc(len ? len : 1, 1); /* own block: ASan catches reads past len */
	const ks_schema_t *s[3];
	ks_value_t *v[3];
	char e[3][KS_ERRSTR_SIZE];
	ks_buf_t r[3] = {KS_BUF_INIT, KS_BUF_INIT, KS_BUF_INIT};
	ks_err_t rc[3];

	KS_CHECK(b, "alloc");
	memcpy(b, text, len);
	for (int i = 0; i < 3; i++) {
		e[i][0] = '\0';
		rc[i] = ks_converter_to_connect(ps->c[i], "t", b, len, arena, &s[i], &v[i], e[i],
		                                sizeof(e[i]));
		if (!rc[i])
			KS_CHECK(!ks_value_to_json(s[i], v[i], &r[i]), "render");
		ks_buf_append(&r[i], "", 1);
		KS_CHECK(!ks_buf_failed(&r[i]), "render");
	}
	for (int i = 0; i < 2; i++) {
		KS_CHECK(rc[i] == rc[2], "%s: path %d: %d (%s), full %d (%s)", what, i, rc[i], e[i],
		         rc[2], e[2]);
		if (rc[i]) {
			KS_CHECK(!strcmp(e[i], e[2]), "%s: path %d: errors differ:\n %s\n %s", what,
			         i, e[i], e[2]);
			KS_CHECK(!v[i], "%s: a value on error", what);
		} else {
			KS_CHECK((!s[i] && !s[2]) || (s[i] && s[2] && ks_schema_equal(s[i], s[2])),
			         "%s: path %d: schemas differ", what, i);
			KS_CHECK(!strcmp(r[i].data, r[2].data),
			         "%s: path %d: values differ: %s vs %s", what, i, r[i].data,
			         r[2].data);
		}
	}
	for (int i = 0; i < 3; i++)
		ks_buf_free(&r[i]);
	free(b);
	ks_arena_reset(arena);
}

/* Schemas and payloads: every primitive and logical type, nested containers,
 * escapes inside the schema's strings, defaults. */
static const char *const schemas[] = {
        "{\"type\":\"int8\"}",
        "{\"type\":\"int16\",\"optional\":true}",
        "{\"type\":\"int32\"}",
        "{\"type\":\"int64\"}",
        "{\"type\":\"float\"}",
        "{\"type\":\"double\"}",
        "{\"type\":\"boolean\"}",
        "{\"type\":\"string\",\"optional\":true,\"default\":\"d\"}",
        "{\"type\":\"bytes\"}",
        "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
        "\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"}}",
        "{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}",
        "{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\"}",
        "{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\"}",
        "{\"type\":\"int64\",\"name\":\"io.ksink.data.TimeMicros\"}",
        "{\"type\":\"int64\",\"name\":\"io.ksink.data.TimestampMicros\"}",
        "{\"type\":\"string\",\"name\":\"io.ksink.data.Uuid\"}",
        "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}}",
        "{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"double\"}}",
        "{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"string\"}}",
        "{\"type\":\"struct\",\"name\":\"a.\\\"B}\\\\\",\"doc\":\"x\\\\\\\"]}\\u0041\\n\","
        "\"fields\":[{\"field\":\"id\",\"type\":\"int64\"},"
        "{\"field\":\"q\\\"}\",\"type\":\"string\",\"optional\":true},"
        "{\"field\":\"n\",\"type\":\"int32\",\"optional\":true,\"default\":7},"
        "{\"field\":\"in\",\"type\":\"struct\",\"optional\":true,\"fields\":["
        "{\"field\":\"l\",\"type\":\"array\",\"items\":{\"type\":\"map\",\"keys\":"
        "{\"type\":\"string\"},\"values\":{\"type\":\"boolean\"}}}]}]}",
};

static const char *const payloads[] = {
        "0",
        "-128",
        "127",
        "128",
        "32767",
        "-2147483649",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "1.5",
        "1e400",
        "-0.0",
        "1E2",
        "true",
        "false",
        "null",
        "\"\"",
        "\"a\\\"b\\u00e9\\ud83d\\ude00\"",
        "\"AP8B\"",
        "\"AIA=\"",
        "\"!!\"",
        "-1.5",
        "12.345",
        "19000",
        "45296789",
        "86400000",
        "-1",
        "\"123e4567-e89b-12d3-a456-426614174000\"",
        "[[1,2],[],[3]]",
        "[1,null]",
        "{\"a\":1.5,\"b\":-2}",
        "[[1,\"x\"],[2,\"y\"]]",
        "{\"a\":\"x\"}",
        "{\"id\":42,\"q\\\"}\":\"v\",\"n\":null,\"in\":{\"l\":[{\"k\":true},{}]}}",
        "{\"id\":1}",
        "{\"id\":1,\"extra\":2}",
        "{\"id\":\"1\"}",
        "[]",
        "{}",
        /* objects: order, repeats, missing fields, whitespace */
        "{\"b\":1,\"a\":2,\"c\":3}",
        "{\"a\":1,\"a\":2}",
        "{\"n\":null,\"id\":5}",
        "{ \"in\" : null ,\r\n\"id\" :\t3 }",
        "{\"id\":1,\"id\":2}",
        "{\"in\":{\"l\":[{\"k\":true,\"k\":false}]},\"id\":9}",
        "{\"id\":1,}",
        "{,}",
        "[1,]",
        "[,]",
        "[[1,\"x\"],[1,\"y\"]]",
        "[[1,\"x\",3]]",
        "[[1]]",
        "[ [ 1 , \"x\" ] ]",
        /* numbers by JSON's grammar */
        "01",
        "-",
        "1.",
        "1e",
        "1.5e+3",
        "-0",
        "1e-400",
        "2.5E-3",
        "+1",
        ".5",
        "0x10",
        "1_0",
        "123456789012345678901234567890",
        "-9223372036854775809",
        "1.7976931348623157e308",
        /* strings: escapes, UTF-8, control bytes */
        "\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"",
        "\"\\u0000\"",
        "\"\\x\"",
        "\"caf\xc3\xa9\"",
        "\"\xc0\x80\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"a\tb\"",
        "\"\x7f\"",
        "{\"caf\xc3\xa9\":1}",
        "{\"\xff\":1}",
        "{\"a\\u0000\":1}",
        "{\"\\u0061\":1}",
        "\"AP8=\"",
        "\"AP8\"",
        "\"A P8B\"",
        "truex",
        "nul",
        "null ",
        "[1] ",
        "tru",
};

KS_TEST(every_type_both_paths)
{
	paths_t ps = mk3();
	char text[2048], what[64];

	for (size_t i = 0; i < KS_ARRAY_SIZE(schemas); i++)
		for (size_t j = 0; j < KS_ARRAY_SIZE(payloads); j++) {
			int n = snprintf(text, sizeof(text), "{\"schema\":%s,\"payload\":%s}",
			                 schemas[i], payloads[j]);
			KS_CHECK(n > 0 && (size_t)n < sizeof(text), "fits");
			snprintf(what, sizeof(what), "schema %zu payload %zu", i, j);
			/* twice: the second time the schema text is known */
			same(&ps, text, (size_t)n, what);
			same(&ps, text, (size_t)n, what);
		}
	destroy3(&ps);
}

KS_TEST(schema_reuse_and_change)
{
	ks_converter_t *c = mk(KS_JSON_PATH_DIRECT);
	const ks_schema_t *s1, *s2, *s3, *s4;
	ks_value_t *v;
	char err[KS_ERRSTR_SIZE];
	const char *a = "{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":1}";
	/* a changed schema after a known one: must not be taken for it */
	const char *b = "{\"schema\":{\"type\":\"int32\",\"optional\":true},\"payload\":null}";
	/* the known text followed by more text inside the value */
	const char *d = "{\"schema\":{\"type\":\"int32\",\"optional\":false,\"name\":\"x\"},"
	                "\"payload\":5}";

#define CONV(t, s) ks_converter_to_connect(c, "t", t, strlen(t), arena, &s, &v, err, sizeof(err))
	KS_CHECK_INT(CONV(a, s1), KS_OK);
	KS_CHECK_INT(v->u.i, 1);
	KS_CHECK_INT(CONV(a, s2), KS_OK);
	KS_CHECK(s1 == s2, "reused");
	KS_CHECK_INT(CONV(b, s3), KS_OK);
	KS_CHECK(s3 != s1 && s3->optional && !v, "changed schema read anew");
	KS_CHECK_INT(CONV(a, s2), KS_OK);
	KS_CHECK(s1 == s2 && !s2->optional && v && v->u.i == 1, "first schema again");
	KS_CHECK_INT(CONV(d, s4), KS_OK);
	KS_CHECK(s4 != s1 && s4->name && !strcmp(s4->name, "x") && v->u.i == 5, "longer schema");
	/* a known schema with a bad payload: the full path's error */
	KS_CHECK_INT(
	        CONV("{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":1x}", s2),
	        KS_ERR_RECORD);
	KS_CHECK(strstr(err, "invalid JSON at line 1 column") && !v, "%s", err);
	KS_CHECK_INT(
	        CONV("{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":null}", s2),
	        KS_ERR_RECORD);
	KS_CHECK(strstr(err, "payload is null"), "%s", err);
	/* more distinct schemas than remembered texts, round and round */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 20; i++) {
			char t[128];
			snprintf(t, sizeof(t),
			         "{\"schema\":{\"type\":\"int64\",\"version\":%d},\"payload\":%d}",
			         i, i);
			KS_CHECK_INT(CONV(t, s2), KS_OK);
			KS_CHECK(s2->version == i && v->u.i == i, "schema %d", i);
		}
#undef CONV
	ks_arena_reset(arena);
	ks_converter_destroy(c);
}

/* Every truncation and many single-byte corruptions of valid envelopes,
 * decoded by a fast converter that knows the schema and by a full one. */
KS_TEST(malformed_at_each_position)
{
	static const char bytes[] = {'}', ']', '{', '[', '"',  '\\',  ',',
	                             ':', ' ', 'x', '0', '\0', '\x80'};
	const char *docs[] = {
	        "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"a\\\"\",\"type\":"
	        "\"string\"},{\"field\":\"m\",\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
	        "\"values\":{\"type\":\"int64\"}}]},\"payload\":{\"a\\\"\":\"x\\\\\",\"m\":"
	        "{\"k\":[1]}}}",
	        "{ \"payload\" : [1, 2] , \"schema\" : {\"type\":\"array\",\"items\":"
	        "{\"type\":\"int8\"}} }",
	};

	for (size_t d = 0; d < KS_ARRAY_SIZE(docs); d++) {
		paths_t ps = mk3();
		size_t len = strlen(docs[d]);
		char *t = malloc(len);
		char what[64];
		KS_CHECK(t, "alloc");
		same(&ps, docs[d], len, "valid"); /* the fast one learns the schema */
		for (size_t n = 0; n < len; n++) {
			snprintf(what, sizeof(what), "doc %zu cut at %zu", d, n);
			same(&ps, docs[d], n, what);
		}
		for (size_t i = 0; i < len; i++)
			for (size_t k = 0; k < sizeof(bytes); k++) {
				memcpy(t, docs[d], len);
				t[i] = bytes[k];
				snprintf(what, sizeof(what), "doc %zu byte %zu = 0x%02x", d, i,
				         (unsigned char)bytes[k]);
				same(&ps, t, len, what);
				same(&ps, docs[d], len, "valid again");
			}
		free(t);
		destroy3(&ps);
	}
}
