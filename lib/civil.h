/*
 * civil.h — proleptic Gregorian calendar <-> days since 1970-01-01, and
 * floor division (for splitting negative epoch times into day + time).
 */
#ifndef KS_CIVIL_H
#define KS_CIVIL_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (month 1..12). */
int64_t ks_days_from_civil(int64_t y, int m, int d);
/* The date of a day number. */
void ks_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* a / b rounded toward negative infinity (b != 0). */
int64_t ks_floordiv(int64_t a, int64_t b);

/* An instant as a config value gives it (ksink.apply.until): epoch
 * milliseconds ("1765044000000") or ISO-8601 with a zone
 * ("2026-12-06T18:00:00Z", "2026-12-06T19:00:00.250+01:00"; seconds and
 * fraction optional, ' ' accepted for 'T'). 0 and *ms set, or -1. */
int ks_parse_instant(const char *s, int64_t *ms);
/* ms as "2026-12-06T18:00:00.250Z" into buf (at least 32 bytes). */
void ks_format_instant(int64_t ms, char *buf, size_t len);

#endif
