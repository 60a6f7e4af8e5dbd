/*
 * harness.c — runs the KS_TEST cases of one test program in order (or only
 * those whose name contains argv[1]) and prints one line per case; exits 1
 * when any case failed.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TESTS 512

static struct {
	const char *name;
	ks_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static jmp_buf jb;
static char failmsg[2048];

void ks_test_register(const char *name, ks_test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests++].fn = fn;
	}
}

void ks_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(failmsg, sizeof(failmsg), "%s:%d: ", file, line);

	va_start(ap, fmt);
	vsnprintf(failmsg + n, sizeof(failmsg) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(jb, 1);
}

void ks_test_failc(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(failmsg, sizeof(failmsg), "%s:%d: check failed: %s — ", file, line, cond);

	va_start(ap, fmt);
	vsnprintf(failmsg + n, sizeof(failmsg) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(jb, 1);
}

const char *ks_test_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		ks_test_fail(__FILE__, __LINE__,
		             "environment variable %s is not set "
		             "(run through tests/run.sh)",
		             name);
	return v;
}

int ks_test_wait(int (*cond_fn)(void *), void *opaque, int timeout_ms)
{
	struct timespec t0, now, pause = {0, 20 * 1000 * 1000};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (cond_fn(opaque))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    timeout_ms)
			return 0;
		nanosleep(&pause, NULL);
	}
}

/* One case; returns 0 when it passed. Kept apart from main's loop so no
 * loop variable lives across the longjmp. */
static int run_one(int i)
{
	if (setjmp(jb) == 0) {
		tests[i].fn();
		printf("ok - %s\n", tests[i].name);
		return 0;
	}
	printf("not ok - %s: %s\n", tests[i].name, failmsg);
	return 1;
}

int main(int argc, char **argv)
{
	int failed = 0, ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		ran++;
		failed += run_one(i);
		fflush(stdout);
	}
	if (!ran) {
		printf("not ok - no test case matched\n");
		return 1;
	}
	return failed ? 1 : 0;
}
