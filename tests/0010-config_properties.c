/*
 * 0010-config_properties.c — the Java .properties parser: the forms a
 * worker.properties file uses, escapes, continuations, and malformed input.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../config/config.h"
#include "lib/harness.h"

#include <stdlib.h>
#include <string.h>

static ks_props_t *parse(const char *text)
{
	char errstr[256];
	ks_props_t *p = ks_props_new();

	KS_CHECK(p != NULL, "alloc");
	if (ks_properties_parse(text, strlen(text), p, errstr, sizeof(errstr))) {
		ks_props_destroy(p);
		ks_test_fail(__FILE__, __LINE__, "parse failed: %s", errstr);
	}
	return p;
}

KS_TEST(separators)
{
	ks_props_t *p = parse("a=1\nb: 2\nc 3\nd\t=\t4\ne=\n  f  =  six  \n");
	KS_CHECK_STR(ks_props_get(p, "a"), "1");
	KS_CHECK_STR(ks_props_get(p, "b"), "2");
	KS_CHECK_STR(ks_props_get(p, "c"), "3");
	KS_CHECK_STR(ks_props_get(p, "d"), "4");
	KS_CHECK_STR(ks_props_get(p, "e"), "");
	KS_CHECK_STR(ks_props_get(p, "f"), "six  "); /* trailing blanks are kept, as Java */
	KS_CHECK_INT(ks_props_count(p), 6);
	ks_props_destroy(p);
}

KS_TEST(comments_and_blank_lines)
{
	ks_props_t *p =
	        parse("# comment=1\n! bang comment\n\n   \n  # indented\nkey=v # not a comment\n");
	KS_CHECK_INT(ks_props_count(p), 1);
	KS_CHECK_STR(ks_props_get(p, "key"), "v # not a comment");
	ks_props_destroy(p);
}

KS_TEST(line_continuation)
{
	ks_props_t *p = parse("plugin.path=/a,\\\n    /b,\\\n\t/c\nnext=1\n");
	KS_CHECK_STR(ks_props_get(p, "plugin.path"), "/a,/b,/c");
	KS_CHECK_STR(ks_props_get(p, "next"), "1");
	ks_props_destroy(p);
}

KS_TEST(even_backslashes_do_not_continue)
{
	ks_props_t *p = parse("path=C:\\\\\nnext=2\n");
	KS_CHECK_STR(ks_props_get(p, "path"), "C:\\");
	KS_CHECK_STR(ks_props_get(p, "next"), "2");
	ks_props_destroy(p);
}

KS_TEST(escapes)
{
	ks_props_t *p = parse("k\\=ey\\:x\\ y=a\\tb\\nc\\u00e9\\u20AC\\q\nemoji=\\uD83D\\uDE00\n");
	KS_CHECK_STR(ks_props_get(p, "k=ey:x y"), "a\tb\nc\xc3\xa9\xe2\x82\xacq");
	KS_CHECK_STR(ks_props_get(p, "emoji"), "\xf0\x9f\x98\x80");
	ks_props_destroy(p);
}

KS_TEST(crlf_and_cr_line_endings)
{
	ks_props_t *p = parse("a=1\r\nb=2\rc=3");
	KS_CHECK_STR(ks_props_get(p, "a"), "1");
	KS_CHECK_STR(ks_props_get(p, "b"), "2");
	KS_CHECK_STR(ks_props_get(p, "c"), "3");
	ks_props_destroy(p);
}

KS_TEST(last_duplicate_wins_order_kept)
{
	ks_props_t *p = parse("x=1\ny=2\nx=3\n");
	KS_CHECK_INT(ks_props_count(p), 2);
	KS_CHECK_STR(ks_props_key(p, 0), "x");
	KS_CHECK_STR(ks_props_get(p, "x"), "3");
	ks_props_destroy(p);
}

KS_TEST(malformed_unicode_escape_is_an_error_with_line)
{
	char errstr[256] = "";
	ks_props_t *p = ks_props_new();
	int r = ks_properties_parse("ok=1\nbad=\\u12G4\n", 16, p, errstr, sizeof(errstr));

	KS_CHECK(r != 0, "expected an error");
	KS_CHECK(strstr(errstr, "line 2") != NULL, "errstr: %s", errstr);
	ks_props_destroy(p);
}

KS_TEST(load_missing_file_names_it)
{
	char errstr[256] = "";
	ks_props_t *p = ks_props_new();
	int r = ks_properties_load("/nonexistent/worker.properties", p, errstr, sizeof(errstr));

	KS_CHECK(r != 0, "expected an error");
	KS_CHECK(strstr(errstr, "/nonexistent/worker.properties") != NULL, "errstr: %s", errstr);
	ks_props_destroy(p);
}

KS_TEST(props_subset_strips_prefix)
{
	ks_props_t *p = parse("value.converter=x\nvalue.converter.schema.registry.url=http://r\n"
	                      "value.converter.schemas.enable=false\nkey.converter=y\n");
	ks_props_t *s = ks_props_subset(p, "value.converter.");
	KS_CHECK_INT(ks_props_count(s), 2);
	KS_CHECK_STR(ks_props_get(s, "schema.registry.url"), "http://r");
	KS_CHECK(ks_props_get(s, "key.converter") == NULL, "leak of other keys");
	ks_props_destroy(s);
	ks_props_destroy(p);
}
