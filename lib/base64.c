/*
 * base64.c — the only base64 in ksink (RFC 4648 standard alphabet, padded
 * output): bytes in JSON (JsonConverter, value_json.c, the JDBC sink's JSON
 * columns), Cast to string, and HTTP Basic credentials (rest/auth.c, strict
 * as java.util.Base64's basic decoder). Unit test: tests/0001-lib.c.
 */
#include "base64.h"

#include <stdint.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ks_base64_encode(const void *data, size_t len, ks_buf_t *out)
{
	const unsigned char *p = data;
	char q[4];

	for (size_t i = 0; i < len; i += 3) {
		uint32_t n = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			n |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			n |= p[i + 2];
		q[0] = b64[(n >> 18) & 63];
		q[1] = b64[(n >> 12) & 63];
		q[2] = i + 1 < len ? b64[(n >> 6) & 63] : '=';
		q[3] = i + 2 < len ? b64[n & 63] : '=';
		ks_buf_append(out, q, 4);
	}
}

/* The 6-bit value of c, -1 when not base64; url: also - and _ (RFC 4648
 * base64url), as Jackson's decoder accepts them. */
static int b64val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || (url && c == '-'))
		return 62;
	if (c == '/' || (url && c == '_'))
		return 63;
	return -1;
}

int ks_base64_decode(const char *s, size_t len, ks_arena_t *arena, char **out, size_t *outlen)
{
	char *d;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (len && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	if (!(d = ks_arena_alloc(arena, len / 4 * 3 + 3)))
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i], 1);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[n++] = (char)(acc >> bits & 0xff);
		}
	}
	d[n] = '\0';
	*out = d;
	*outlen = n;
	return 0;
}

long ks_base64_decode_strict(const char *s, size_t len, unsigned char *out)
{
	size_t o = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64val(c, 0)) < 0) {
				return -1;
			}
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	return (long)o;
}
