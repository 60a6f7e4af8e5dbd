/*
 * utf8.h — UTF-8 checking for strings coming off the wire. Java decodes
 * Avro strings and StringConverter bytes with replacement (each malformed
 * sequence becomes U+FFFD), so a Java worker writes such a row instead of
 * failing; we do the same, so Postgres never sees invalid UTF-8.
 */
#ifndef KS_UTF8_H
#define KS_UTF8_H

#include "arena.h"

#include <stddef.h>

/* Length of the valid UTF-8 prefix of p[0..len) (len when all valid). */
size_t ks_utf8_valid_prefix(const char *p, size_t len);

/*
 * Copies p[0..len) into arena (NUL-terminated), replacing each maximal
 * invalid subpart with U+FFFD. *outlen gets the new length. NULL on OOM.
 */
char *ks_utf8_copy(ks_arena_t *a, const char *p, size_t len, size_t *outlen) KS_WUR;

#endif
