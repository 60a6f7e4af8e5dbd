/*
 * buf.h — a growable byte buffer, used to build SQL, COPY data, JSON and
 * HTTP bodies. The buffer owns its memory; ks_buf_free() releases it.
 * An allocation failure latches: every later append is a no-op and
 * ks_buf_failed() reports it, so callers check once at the end.
 */
#ifndef KS_BUF_H
#define KS_BUF_H

#include "ks.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct ks_buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	int failed;
} ks_buf_t;

#define KS_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void ks_buf_reset(ks_buf_t *b); /* len = 0, keeps memory */
void ks_buf_free(ks_buf_t *b);  /* releases memory, back to KS_BUF_INIT */
int ks_buf_reserve(ks_buf_t *b, size_t extra);
void ks_buf_append(ks_buf_t *b, const void *data, size_t len);
void ks_buf_puts(ks_buf_t *b, const char *s);
void ks_buf_putc(ks_buf_t *b, char c);
void ks_buf_printf(ks_buf_t *b, const char *fmt, ...) KS_PRINTF(2, 3);
void ks_buf_vprintf(ks_buf_t *b, const char *fmt, va_list ap);
static inline int ks_buf_failed(const ks_buf_t *b)
{
	return b->failed;
}
/* Takes the data out of the buffer (caller frees); the buffer is reset. */
char *ks_buf_steal(ks_buf_t *b);

#endif
