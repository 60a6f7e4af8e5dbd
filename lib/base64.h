/*
 * base64.h — RFC 4648 base64: encode (padded), a lenient decoder (padding
 * optional, base64url characters accepted, as Jackson reads JSON bytes) and
 * a strict one (padding required, standard alphabet only, as
 * java.util.Base64.getDecoder()).
 */
#ifndef KS_BASE64_H
#define KS_BASE64_H

#include "arena.h"
#include "buf.h"
#include "ks.h"

/* Appends the standard base64 of data (with padding). */
void ks_base64_encode(const void *data, size_t len, ks_buf_t *out);
/* Lenient decode into arena; -1 on invalid input. *out is NUL-terminated. */
int ks_base64_decode(const char *s, size_t len, ks_arena_t *arena, char **out,
                     size_t *outlen) KS_WUR;
/* Strict decode into out (room for len / 4 * 3 bytes): the decoded length,
 * or -1 when s is not padded standard base64. */
long ks_base64_decode_strict(const char *s, size_t len, unsigned char *out) KS_WUR;

#endif
