/*
 * ks.c — shared helpers declared in ks.h: clocks, string helpers (string
 * arrays, whole-string numbers, hex digits, wiping secrets), errstr.
 */
#include "ks.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *ks_err_name(ks_err_t err)
{
	switch (err) {
	case KS_OK:
		return "OK";
	case KS_ERR_RETRIABLE:
		return "RETRIABLE";
	case KS_ERR_RECORD:
		return "RECORD";
	case KS_ERR_FATAL:
		return "FATAL";
	case KS_ERR_INVALID:
		return "INVALID";
	case KS_ERR_NOTFOUND:
		return "NOTFOUND";
	case KS_ERR_EXISTS:
		return "EXISTS";
	case KS_ERR_FORBIDDEN:
		return "FORBIDDEN";
	case KS_ERR_FENCED:
		return "FENCED";
	case KS_ERR_CONFLICT:
		return "CONFLICT";
	}
	return "UNKNOWN";
}

int64_t ks_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ks_now_ms(void)
{
	return ks_now_us() / 1000;
}

int64_t ks_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *ks_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void ks_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int ks_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ks_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ks_free_wiped(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
	free(p);
}

void ks_str_free_wiped(char *s)
{
	ks_free_wiped(s, s ? strlen(s) : 0);
}

char *ks_strndup(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

int ks_strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcasecmp(a, b) == 0;
}

int ks_seterr(char *errstr, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!errstr || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(errstr, errlen, fmt, ap);
	va_end(ap);
	return ret;
}
