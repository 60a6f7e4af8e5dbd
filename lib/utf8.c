/*
 * utf8.c — UTF-8 validation and replacement (see utf8.h). Follows the
 * Unicode "maximal subpart" practice: a truncated or broken sequence is
 * replaced by one U+FFFD and decoding resumes at the offending byte.
 * Used by the Avro decoder, the StringConverter and the REST server (request
 * text must be UTF-8 before jansson sees it). Unit test: tests/0001-lib.c.
 */
#include "utf8.h"

#include <string.h>

/* Bytes of the valid sequence at s (0 = invalid); *bad = bytes to replace. */
static size_t seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*bad = 1;
		return 0;
	}
	for (i = 1; i < need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80, hi = 0xbf;
	}
	return need;
}

size_t ks_utf8_valid_prefix(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, bad;

	while (i < len) {
		size_t k;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (!(k = seq(s + i, len - i, &bad)))
			return i;
		i += k;
	}
	return len;
}

char *ks_utf8_copy(ks_arena_t *a, const char *p, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t ok = ks_utf8_valid_prefix(p, len), i, o;
	char *d;

	if (ok == len) {
		*outlen = len;
		return ks_arena_memdup(a, p, len);
	}
	/* worst case: every byte becomes a 3-byte U+FFFD */
	if (len > ((size_t)-1 - 1) / 3 || !(d = ks_arena_alloc(a, len * 3 + 1)))
		return NULL;
	memcpy(d, p, ok);
	for (i = o = ok; i < len;) {
		size_t bad = 0, k = seq(s + i, len - i, &bad);
		if (k) {
			memcpy(d + o, s + i, k);
			o += k, i += k;
		} else {
			memcpy(d + o, "\xef\xbf\xbd", 3);
			o += 3, i += bad;
		}
	}
	d[o] = '\0';
	*outlen = o;
	return d;
}
