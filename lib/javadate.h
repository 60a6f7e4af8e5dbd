/*
 * javadate.h — java.text.SimpleDateFormat patterns (a subset, UTC):
 * G y M L d D E u a H k K h m s S z Z X, literals and quotes, as Connect's
 * TimestampRouter and TimestampConverter use them.
 */
#ifndef KS_JAVADATE_H
#define KS_JAVADATE_H

#include "buf.h"

#include <stdint.h>

/* Checks a pattern; 0 ok, -1 with the reason. */
int ks_javadate_check(const char *pattern, char *errstr, size_t errlen);
/* Formats ms since the epoch. */
void ks_javadate_format(const char *pattern, int64_t ms, ks_buf_t *out);
/* Parses text with pattern into ms since the epoch (lenient, like
 * SimpleDateFormat.parse: trailing text ignored); 0 ok, -1 no match. */
int ks_javadate_parse(const char *pattern, const char *text, int64_t *ms);

#endif
