/*
 * buf.c — growable byte buffer (see buf.h).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ks_buf_reset(ks_buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void ks_buf_free(ks_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

int ks_buf_reserve(ks_buf_t *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void ks_buf_append(ks_buf_t *b, const void *data, size_t len)
{
	if (ks_buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void ks_buf_puts(ks_buf_t *b, const char *s)
{
	ks_buf_append(b, s, strlen(s));
}

void ks_buf_putc(ks_buf_t *b, char c)
{
	ks_buf_append(b, &c, 1);
}

void ks_buf_vprintf(ks_buf_t *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || ks_buf_reserve(b, (size_t)n)) {
		b->failed = 1;
		return;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ks_buf_printf(ks_buf_t *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *ks_buf_steal(ks_buf_t *b)
{
	char *p;

	if (b->failed) {
		ks_buf_free(b);
		return NULL;
	}
	if (!b->data && ks_buf_reserve(b, 0))
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
