/*
 * 0001-lib.c — the shared helpers: growable buffer, batch arena, log levels.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/log.h"
#include "lib/harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
