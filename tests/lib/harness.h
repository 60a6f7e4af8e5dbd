/*
 * harness.h — the C test harness. A test file defines cases with KS_TEST and
 * gets main() from harness.c. Each case prints one TAP-like line
 *   ok - name            /   not ok - name: file:line: what failed
 * which tests/run.sh counts. A case stops at its first failed KS_CHECK.
 *
 *   KS_TEST(parses_empty_file) {
 *       KS_CHECK(x == 1, "x was %d", x);
 *   }
 *
 * Integration cases read the local stack from the environment
 * (tests/stack.sh env): KSINK_PG_CONNINFO, KSINK_BOOTSTRAP, KSINK_REGISTRY_URL,
 * KSINK_BUILD (the build dir of the tools). KS_REQUIRE_ENV skips... no: a
 * missing stack is a failure, not a skip.
 */
#ifndef KS_HARNESS_H
#define KS_HARNESS_H

#include <setjmp.h>
#include <stdio.h>

typedef void (*ks_test_fn)(void);
void ks_test_register(const char *name, ks_test_fn fn);
void ks_test_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));
/* Failed KS_CHECK: cond is the condition's text (may contain '%'). */
void ks_test_failc(const char *file, int line, const char *cond, const char *fmt, ...)
        __attribute__((format(printf, 4, 5), noreturn));
/* Environment variable or a failed check. */
const char *ks_test_env(const char *name);
/* Polls cond_fn until it returns non-zero or timeout_ms passes; 1 when it did. */
int ks_test_wait(int (*cond_fn)(void *), void *opaque, int timeout_ms);

#define KS_TEST(name)                                                                              \
	static void test_##name(void);                                                             \
	__attribute__((constructor)) static void reg_##name(void)                                  \
	{                                                                                          \
		ks_test_register(#name, test_##name);                                              \
	}                                                                                          \
	static void test_##name(void)

#define KS_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ks_test_failc(__FILE__, __LINE__, #cond, __VA_ARGS__);                     \
	} while (0)

#define KS_CHECK_STR(a, b)                                                                         \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_))                                                  \
			ks_test_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #a,      \
			             a_ ? a_ : "(null)", b_ ? b_ : "(null)");                      \
	} while (0)

#define KS_CHECK_INT(a, b)                                                                         \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			ks_test_fail(__FILE__, __LINE__, "%s is %lld, expected %lld", #a, a_, b_); \
	} while (0)

#endif
