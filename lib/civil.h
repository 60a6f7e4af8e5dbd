/*
 * civil.h — proleptic Gregorian calendar <-> days since 1970-01-01, and
 * floor division (for splitting negative epoch times into day + time).
 */
#ifndef KS_CIVIL_H
#define KS_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (month 1..12). */
int64_t ks_days_from_civil(int64_t y, int m, int d);
/* The date of a day number. */
void ks_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* a / b rounded toward negative infinity (b != 0). */
int64_t ks_floordiv(int64_t a, int64_t b);

#endif
