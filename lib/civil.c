/*
 * civil.c — the proleptic Gregorian calendar as day numbers (days since
 * 1970-01-01, Howard Hinnant's algorithms) and floor division, for every
 * place that turns Connect's Date/Timestamp integers into calendar text or
 * back: value_json.c, the JDBC encoder (connectors/jdbc/sql.c), the
 * transforms and lib/javadate.c. Unit test: tests/0001-lib.c.
 */
#include "civil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t ks_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ks_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t ks_floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* n digits at *p into *v (advances *p); 0 ok, -1 not n digits. */
static int digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

int ks_parse_instant(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h, mi, sec = 0, frac = 0, zh = 0, zm = 0, sign = 0;
	int64_t v;

	if (!s || !*s)
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) { /* epoch milliseconds */
		if (strlen(s) > 15)
			return -1;
		*ms = strtoll(s, NULL, 10);
		return 0;
	}
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' ') || !*p++ ||
	    digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec))
			return -1;
		if (*p == '.' || *p == ',') {
			int scale = 100, n = 0;
			for (p++; *p >= '0' && *p <= '9'; p++, n++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
			if (!n || n > 9)
				return -1;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &zh) || (*p == ':' && !p++) || digits(&p, 2, &zm) || zh > 18 ||
		    zm > 59)
			return -1;
	} else
		return -1; /* an instant needs its zone */
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	{
		int64_t dd = ks_days_from_civil(y, mo, 1) + d - 1;
		int64_t ny;
		int nm, nd;
		ks_civil_from_days(dd, &ny, &nm, &nd);
		if (nm != mo) /* 31 February */
			return -1;
	}
	v = (ks_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 + frac;
	v -= (int64_t)sign * (zh * 3600 + zm * 60) * 1000;
	if (v < 0)
		return -1;
	*ms = v;
	return 0;
}

void ks_format_instant(int64_t ms, char *buf, size_t len)
{
	int64_t days = ks_floordiv(ms, 86400000), y;
	int64_t rem = ms - days * 86400000;
	int m, d;

	ks_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
	         (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
	         (int)(rem % 1000));
}
