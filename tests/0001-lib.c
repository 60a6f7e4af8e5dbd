/*
 * 0001-lib.c — the shared helpers: growable buffer, batch arena, log levels,
 * base64, Connect Decimal text (decimal.c), calendar (civil.c), Java regexes (javaregex.c), SimpleDateFormat
 * (javadate.c), whole-file reads (file.c), UTF-8 (utf8.c).
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../lib/arena.h"
#include "../lib/base64.h"
#include "../lib/buf.h"
#include "../lib/civil.h"
#include "../lib/decimal.h"
#include "../lib/file.h"
#include "../lib/javadate.h"
#include "../lib/javaregex.h"
#include "../lib/log.h"
#include "../lib/utf8.h"
#include "lib/harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

KS_TEST(buf_grows_and_formats)
{
	ks_buf_t b = KS_BUF_INIT;
	char *s;

	for (int i = 0; i < 1000; i++)
		ks_buf_printf(&b, "%d,", i);
	KS_CHECK(!ks_buf_failed(&b), "failed");
	KS_CHECK(!strncmp(b.data, "0,1,2,", 6), "%s", b.data);
	KS_CHECK_INT(b.len, strlen(b.data));
	ks_buf_reset(&b);
	KS_CHECK_INT(b.len, 0);
	ks_buf_append(&b, "a\0b", 3);
	KS_CHECK_INT(b.len, 3);
	s = ks_buf_steal(&b);
	KS_CHECK(s && s[0] == 'a' && s[1] == '\0' && s[2] == 'b', "binary data");
	KS_CHECK(b.data == NULL && b.len == 0, "steal resets");
	free(s);
	ks_buf_free(&b);
}

KS_TEST(arena_alignment_reuse_and_large_blocks)
{
	ks_arena_t *a = ks_arena_new(1024);
	void *big;
	char *s;

	KS_CHECK(a != NULL, "alloc");
	for (int i = 0; i < 500; i++) {
		void *p = ks_arena_alloc(a, (size_t)(i % 37) + 1);
		KS_CHECK(p && ((uintptr_t)p % 16) == 0, "alignment");
		memset(p, 0xAB, (size_t)(i % 37) + 1);
	}
	big = ks_arena_alloc(a, 100000);
	KS_CHECK(big != NULL, "large block");
	memset(big, 1, 100000);
	s = ks_arena_memdup(a, "hello", 5);
	KS_CHECK_STR(s, "hello");
	KS_CHECK(ks_arena_used(a) > 100000, "used");
	ks_arena_reset(a);
	KS_CHECK_INT(ks_arena_used(a), 0);
	s = ks_arena_strdup(a, "again");
	KS_CHECK_STR(s, "again");
	KS_CHECK(ks_arena_calloc(a, SIZE_MAX / 2, 4) == NULL, "overflow refused");
	ks_arena_destroy(a);
	ks_arena_destroy(NULL);
}

KS_TEST(log_levels_per_logger)
{
	KS_CHECK_INT(ks_log_level_parse("warn"), KS_LOG_WARN);
	KS_CHECK_INT(ks_log_level_parse("Debug"), KS_LOG_DEBUG);
	KS_CHECK_INT(ks_log_level_parse("loud"), -1);
	ks_log_set_root_level(KS_LOG_INFO);
	KS_CHECK(ks_log_enabled(KS_LOG_INFO, "jdbc|sink-0"), "root INFO");
	KS_CHECK(!ks_log_enabled(KS_LOG_DEBUG, "jdbc|sink-0"), "root INFO hides DEBUG");
	KS_CHECK_INT(ks_log_set_level("jdbc", KS_LOG_DEBUG), 0);
	KS_CHECK(ks_log_enabled(KS_LOG_DEBUG, "jdbc|sink-0"), "logger override by prefix");
	KS_CHECK(!ks_log_enabled(KS_LOG_DEBUG, "jdbcx"), "not a prefix match");
	KS_CHECK_INT(ks_log_get_level("jdbc"), KS_LOG_DEBUG);
	KS_CHECK_INT(ks_log_set_level("jdbc", -1), 0);
	KS_CHECK_INT(ks_log_get_level("jdbc"), KS_LOG_INFO);
	ks_log_set_level("quiet", KS_LOG_OFF);
	KS_CHECK(!ks_log_enabled(KS_LOG_ERROR, "quiet"), "OFF silences errors");
}

KS_TEST(log_escape)
{
	char big[64], out[16];
	ks_log_escape("ab\ncd\\", 6, big, sizeof(big));
	KS_CHECK_STR(big, "ab\\x0acd\\x5c");
	ks_log_escape(NULL, 0, out, sizeof(out));
	KS_CHECK_STR(out, "null");
	ks_log_escape("0123456789abcdefghij", 20, out, sizeof(out));
	KS_CHECK_STR(out, "01234567...");
	ks_log_escape("\xff", 1, out, sizeof(out));
	KS_CHECK_STR(out, "\\xff");
}

KS_TEST(error_names)
{
	KS_CHECK_STR(ks_err_name(KS_ERR_RETRIABLE), "RETRIABLE");
	KS_CHECK_STR(ks_err_name(KS_ERR_RECORD), "RECORD");
}

KS_TEST(civil_days_round_trip)
{
	int64_t y;
	int m, d;

	KS_CHECK_INT(ks_days_from_civil(1970, 1, 1), 0);
	KS_CHECK_INT(ks_days_from_civil(2000, 3, 1), 11017);
	KS_CHECK_INT(ks_days_from_civil(1969, 12, 31), -1);
	for (int64_t z = -800000; z < 800000; z += 997) {
		ks_civil_from_days(z, &y, &m, &d);
		KS_CHECK(ks_days_from_civil(y, m, d) == z, "day %lld", (long long)z);
	}
	ks_civil_from_days(-719528, &y, &m, &d); /* 0000-01-01 */
	KS_CHECK(y == 0 && m == 1 && d == 1, "%lld-%d-%d", (long long)y, m, d);
	KS_CHECK_INT(ks_floordiv(-1, 86400000), -1);
	KS_CHECK_INT(ks_floordiv(86400000, 86400000), 1);
	KS_CHECK_INT(ks_floordiv(7, -2), -4);
}

KS_TEST(civil_instants)
{
	int64_t ms = 0;
	char buf[40];

	KS_CHECK(ks_parse_instant("1765044000000", &ms) == 0 && ms == 1765044000000LL, "epoch ms");
	KS_CHECK(ks_parse_instant("2025-12-06T18:00:00Z", &ms) == 0 && ms == 1765044000000LL,
	         "Z: %lld", (long long)ms);
	KS_CHECK(ks_parse_instant("2025-12-06T19:00:00.250+01:00", &ms) == 0 &&
	                 ms == 1765044000250LL,
	         "offset: %lld", (long long)ms);
	KS_CHECK(ks_parse_instant("2025-12-06 18:00Z", &ms) == 0 && ms == 1765044000000LL,
	         "no seconds");
	KS_CHECK(ks_parse_instant("2025-12-06T13:00:00-0500", &ms) == 0 && ms == 1765044000000LL,
	         "-0500");
	KS_CHECK(ks_parse_instant("2025-12-06T18:00:00", &ms) == -1, "no zone");
	KS_CHECK(ks_parse_instant("2025-02-31T18:00:00Z", &ms) == -1, "31 February");
	KS_CHECK(ks_parse_instant("yesterday", &ms) == -1, "words");
	KS_CHECK(ks_parse_instant("", &ms) == -1, "empty");
	KS_CHECK(ks_parse_instant("-5", &ms) == -1, "negative");
	ks_format_instant(1765044000250LL, buf, sizeof(buf));
	KS_CHECK_STR(buf, "2025-12-06T18:00:00.250Z");
}

KS_TEST(javaregex_whole_match_groups_and_posix)
{
	ks_javaregex_t rx;
	regmatch_t g[3];
	ks_buf_t b = KS_BUF_INIT;
	char err[256], *posix;

	KS_CHECK(!ks_javaregex_compile(&rx, "(\\w+)-(?:x|y)(\\d*)", err, sizeof(err)), "%s", err);
	KS_CHECK_INT(rx.ngroups, 2);
	KS_CHECK(ks_javaregex_matches(&rx, "ab-x12", g), "matches");
	KS_CHECK(!ks_javaregex_matches(&rx, "ab-x12!", NULL), "whole string only");
	ks_javaregex_expand(&rx, "$2:$1\\$", "ab-x12", g, &b);
	KS_CHECK_STR(b.data, "12:ab$");
	KS_CHECK(ks_javaregex_check_replacement(&rx, "$3", err, sizeof(err)), "no group 3");
	ks_javaregex_free(&rx);
	ks_buf_free(&b);
	KS_CHECK(ks_javaregex_compile(&rx, "a(?=b)", err, sizeof(err)) == -1, "lookahead refused");
	posix = ks_javaregex_posix("\\Qa.b\\E|c", err, sizeof(err));
	KS_CHECK_STR(posix, "^(a\\.b|c)$");
	free(posix);
}

KS_TEST(javadate_format_and_parse)
{
	ks_buf_t b = KS_BUF_INIT;
	char err[256];
	int64_t ms;

	KS_CHECK(!ks_javadate_check("yyyy-MM-dd'T'HH:mm:ss.SSS", err, sizeof(err)), "%s", err);
	KS_CHECK(ks_javadate_check("yyyy-MM-dd'T", err, sizeof(err)) == -1, "unclosed quote");
	ks_javadate_format("yyyy-MM-dd HH:mm:ss.SSS", 86400000LL * 11017 + 3723004, &b);
	KS_CHECK_STR(b.data, "2000-03-01 01:02:03.004");
	KS_CHECK(!ks_javadate_parse("yyyy-MM-dd HH:mm:ss.SSS", b.data, &ms), "parses");
	KS_CHECK_INT(ms, 86400000LL * 11017 + 3723004);
	ks_buf_free(&b);
}

KS_TEST(base64_lenient_and_strict)
{
	ks_arena_t *a = ks_arena_new(256);
	ks_buf_t b = KS_BUF_INIT;
	unsigned char raw[16];
	char *out;
	size_t n;

	ks_base64_encode("foob", 4, &b);
	KS_CHECK_STR(b.data, "Zm9vYg==");
	KS_CHECK(!ks_base64_decode("Zm9vYg", 6, a, &out, &n) && n == 4 && !memcmp(out, "foob", 4),
	         "lenient: padding optional");
	KS_CHECK(!ks_base64_decode("-_8", 3, a, &out, &n) && n == 2, "lenient: base64url");
	KS_CHECK_INT(ks_base64_decode_strict("Zm9vYg==", 8, raw), 4);
	KS_CHECK_INT(ks_base64_decode_strict("Zm9vYg", 6, raw), -1);
	KS_CHECK_INT(ks_base64_decode_strict("-_8A", 4, raw), -1);
	KS_CHECK_INT(ks_base64_decode_strict("Zg=a", 4, raw), -1);
	ks_buf_free(&b);
	ks_arena_destroy(a);
}

static void dec_check(const unsigned char *p, size_t n, int scale, const char *plain,
                      const char *java)
{
	ks_buf_t b = KS_BUF_INIT;
	char err[256];

	KS_CHECK(!ks_decimal_text(&b, p, n, scale, NULL, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(b.data, plain);
	ks_buf_reset(&b);
	KS_CHECK(!ks_decimal_java_string(&b, p, n, scale), "java string");
	KS_CHECK_STR(b.data, java);
	ks_buf_free(&b);
}

KS_TEST(decimal_text_plain_java_and_limits)
{
	const unsigned char pos[] = {0x30, 0x39}, neg[] = {0xcf, 0xc7}, zero[] = {0};
	const ks_decimal_limits_t lim = {2, 0, 10, "the test"}; /* checked from the length */
	ks_buf_t b = KS_BUF_INIT;
	char err[256];

	dec_check(pos, 2, 2, "123.45", "123.45");
	dec_check(neg, 2, 3, "-12.345", "-12.345");
	dec_check(pos, 2, 9, "0.000012345", "0.000012345");
	dec_check(pos, 2, 11, "0.00000012345", "1.2345E-7");
	dec_check(pos, 2, -2, "1234500", "1.2345E+6");
	dec_check(zero, 1, 2, "0.00", "0.00");
	KS_CHECK(ks_decimal_text(&b, pos, 2, 2, &lim, err, sizeof(err)) == -1, "precision");
	KS_CHECK(ks_decimal_text(&b, pos, 2, 11, &lim, err, sizeof(err)) == -1 &&
	                 strstr(err, "the test"),
	         "%s", err);
	ks_buf_free(&b);
}

KS_TEST(file_read_whole_and_missing)
{
	char path[] = "/tmp/ks0001-XXXXXX", err[256];
	ks_buf_t b = KS_BUF_INIT;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	KS_CHECK(f != NULL, "temp file");
	for (int i = 0; i < 5000; i++) /* more than one read chunk */
		fprintf(f, "%04d", i % 10000);
	fclose(f);
	KS_CHECK(!ks_file_read(path, &b, err, sizeof(err)), "%s", err);
	KS_CHECK_INT(b.len, 20000);
	KS_CHECK(!strncmp(b.data, "000000010002", 12), "contents");
	unlink(path);
	KS_CHECK(ks_file_read(path, &b, err, sizeof(err)) == -1, "missing file");
	KS_CHECK(strstr(err, "cannot read") && strstr(err, path), "%s", err);
	ks_buf_free(&b);
}

KS_TEST(utf8_prefix_and_replacement)
{
	ks_arena_t *a = ks_arena_new(256);
	size_t n;
	char *s;

	KS_CHECK_INT(ks_utf8_valid_prefix("a\xc3\xa9"
	                                  "b",
	                                  4),
	             4);
	KS_CHECK_INT(ks_utf8_valid_prefix("ab\xc0\xaf"
	                                  "c",
	                                  5),
	             2);                                              /* overlong */
	KS_CHECK_INT(ks_utf8_valid_prefix("a\xed\xa0\x80", 4), 1);    /* surrogate */
	KS_CHECK_INT(ks_utf8_valid_prefix("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	s = ks_utf8_copy(a,
	                 "a\xff"
	                 "b",
	                 3, &n);
	KS_CHECK(s && n == 5 &&
	                 !memcmp(s,
	                         "a\xef\xbf\xbd"
	                         "b",
	                         5),
	         "U+FFFD");
	ks_arena_destroy(a);
}
