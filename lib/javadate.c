/*
 * javadate.c — a java.text.SimpleDateFormat subset in UTC: the patterns
 * TimestampRouter (timestamp.format) and TimestampConverter (format) take,
 * checked, formatted and parsed the way Java does (lenient parse, trailing
 * text ignored). Calendar arithmetic is lib/civil.c.
 * Unit test: tests/0001-lib.c (and the transforms' tests 0153).
 */
#include "javadate.h"

#include "civil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const month_long[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
static const char *const day_long[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};

/* One pattern element: a letter run or literal text. */
typedef struct dfmt_el {
	char letter; /* 0 = literal */
	int count;
	const char *lit;
	size_t litlen;
	int quoted; /* literal contains '' pairs to fold */
} dfmt_el_t;

/* Next element of pattern at *pp; 0 at the end, -1 on error. */
static int dfmt_next(const char **pp, dfmt_el_t *el, char *errstr, size_t errlen)
{
	const char *p = *pp;

	memset(el, 0, sizeof(*el));
	if (!*p)
		return 0;
	if (isalpha((unsigned char)*p)) {
		if (!strchr("GyYMLdDEuaHkKhmsSzZXw", *p))
			return ks_seterr(errstr, errlen, -1, "Illegal pattern character '%c'", *p);
		if (*p == 'w' || *p == 'Y')
			return ks_seterr(
			        errstr, errlen, -1,
			        "pattern letter '%c' (week dates) is not supported by ksink", *p);
		el->letter = *p;
		while (p[el->count] == *p)
			el->count++;
		*pp = p + el->count;
		return 1;
	}
	if (*p == '\'') {
		if (p[1] == '\'') { /* '' is a quote */
			el->lit = p;
			el->litlen = 1;
			*pp = p + 2;
			return 1;
		}
		el->lit = ++p;
		el->quoted = 1;
		while (*p && !(*p == '\'' && p[1] != '\''))
			p += *p == '\'' ? 2 : 1;
		if (!*p)
			return ks_seterr(errstr, errlen, -1, "Unterminated quote");
		el->litlen = (size_t)(p - el->lit);
		*pp = p + 1;
		return 1;
	}
	el->lit = p;
	while (*p && !isalpha((unsigned char)*p) && *p != '\'')
		p++;
	el->litlen = (size_t)(p - el->lit);
	*pp = p;
	return 1;
}

int ks_javadate_check(const char *pattern, char *errstr, size_t errlen)
{
	dfmt_el_t el;
	int r;

	while ((r = dfmt_next(&pattern, &el, errstr, errlen)) > 0)
		;
	return r;
}

static void put_lit(ks_buf_t *out, const dfmt_el_t *el)
{
	for (size_t i = 0; i < el->litlen; i++) {
		ks_buf_putc(out, el->lit[i]);
		if (el->quoted && el->lit[i] == '\'')
			i++;
	}
}

static void put_num(ks_buf_t *out, int64_t v, int width)
{
	ks_buf_printf(out, "%0*lld", width, (long long)v);
}

/* A text field: the full name from 4 letters on, else its 3-letter form. */
static void put_name(ks_buf_t *out, const char *name, int width)
{
	if (width >= 4)
		ks_buf_puts(out, name);
	else
		ks_buf_append(out, name, 3);
}

/* The pattern letters ks_javadate_format writes as a plain number. */
static const char num_letters[] = "dDuHkKhmsS";

void ks_javadate_format(const char *pattern, int64_t ms, ks_buf_t *out)
{
	int64_t days = ks_floordiv(ms, 86400000), y;
	int64_t tod = ms - days * 86400000;
	int m, d, h = (int)(tod / 3600000), mi = (int)(tod / 60000 % 60),
	          s = (int)(tod / 1000 % 60);
	int msec = (int)(tod % 1000);
	int dow = (int)(((days % 7) + 11) % 7); /* 0 = Sunday; 1970-01-01 was a Thursday */
	dfmt_el_t el;
	char err[64];

	ks_civil_from_days(days, &y, &m, &d);
	/* the fields that are a plain number, in the order of num_letters */
	const int64_t num[] = {
	        d,                                      /* d: day of month */
	        days - ks_days_from_civil(y, 1, 1) + 1, /* D: day of year */
	        dow ? dow : 7,                          /* u: day of week, Monday = 1 */
	        h,                                      /* H: hour 0-23 */
	        h ? h : 24,                             /* k: hour 1-24 */
	        h % 12,                                 /* K: hour 0-11 */
	        h % 12 ? h % 12 : 12,                   /* h: hour 1-12 */
	        mi,                                     /* m */
	        s,                                      /* s */
	        msec,                                   /* S */
	};
	while (dfmt_next(&pattern, &el, err, sizeof(err)) > 0) {
		const char *nl = el.letter ? strchr(num_letters, el.letter) : NULL;
		if (nl) {
			put_num(out, num[nl - num_letters], el.count);
			continue;
		}
		switch (el.letter) {
		case 0:
			put_lit(out, &el);
			break;
		case 'G':
			ks_buf_puts(out, y > 0 ? "AD" : "BC");
			break;
		case 'y':
			if (el.count == 2)
				put_num(out, (y % 100 + 100) % 100, 2);
			else
				put_num(out, y, el.count);
			break;
		case 'M':
		case 'L':
			if (el.count >= 3)
				put_name(out, month_long[m - 1], el.count);
			else
				put_num(out, m, el.count);
			break;
		case 'E':
			put_name(out, day_long[dow], el.count);
			break;
		case 'a':
			ks_buf_puts(out, h < 12 ? "AM" : "PM");
			break;
		case 'z':
			ks_buf_puts(out, el.count >= 4 ? "Coordinated Universal Time" : "UTC");
			break;
		case 'Z':
			ks_buf_puts(out, "+0000");
			break;
		case 'X':
			ks_buf_putc(out, 'Z');
			break;
		}
	}
}

static int is_numeric_letter(char c)
{
	return c && strchr("yMLdDuHkKhmsS", c);
}

/* Reads digits (exactly width when width > 0, else up to 10). */
static int parse_num(const char **tp, int width, int64_t *v)
{
	const char *t = *tp;
	int n = 0, neg = 0;

	if (width <= 0 && (*t == '-' || *t == '+'))
		neg = *t == '-', t++;
	*v = 0;
	while (isdigit((unsigned char)*t) && (width > 0 ? n < width : n < 10)) {
		*v = *v * 10 + (*t - '0');
		t++, n++;
	}
	if (!n || (width > 0 && n < width))
		return -1;
	if (neg)
		*v = -*v;
	*tp = t;
	return 0;
}

static int parse_name(const char **tp, const char *const *names, int nnames, int *idx)
{
	for (int i = 0; i < nnames; i++) {
		size_t l = strlen(names[i]);
		if (!strncasecmp(*tp, names[i], l)) {
			*tp += l, *idx = i;
			return 0;
		}
	}
	for (int i = 0; i < nnames; i++)
		if (!strncasecmp(*tp, names[i], 3)) {
			*tp += 3, *idx = i;
			return 0;
		}
	return -1;
}

int ks_javadate_parse(const char *pattern, const char *text, int64_t *ms)
{
	int64_t y = 1970, mo = 1, d = 1, doy = -1, h = 0, mi = 0, s = 0, msec = 0, off = 0;
	int pm = -1, hour12 = 0, yy = 0;
	const char *t = text, *p = pattern;
	dfmt_el_t el, next;
	char err[64];

	while (dfmt_next(&p, &el, err, sizeof(err)) > 0) {
		const char *peek = p;
		int64_t v;
		int width = 0, idx;

		if (!el.letter) {
			for (size_t i = 0; i < el.litlen; i++) {
				char c = el.lit[i];
				if (el.quoted && c == '\'')
					i++;
				if (*t != c)
					return -1;
				t++;
			}
			continue;
		}
		/* abutting numeric fields read fixed widths (yyyyMMdd) */
		if (is_numeric_letter(el.letter) && dfmt_next(&peek, &next, err, sizeof(err)) > 0 &&
		    is_numeric_letter(next.letter))
			width = el.count;
		switch (el.letter) {
		case 'y':
			if (parse_num(&t, width, &v))
				return -1;
			y = v;
			yy = el.count <= 2 && v < 100 && v >= 0;
			break;
		case 'M':
		case 'L':
			if (el.count >= 3) {
				if (parse_name(&t, month_long, 12, &idx))
					return -1;
				mo = idx + 1;
			} else if (parse_num(&t, width, &mo))
				return -1;
			break;
		case 'E':
			if (parse_name(&t, day_long, 7, &idx))
				return -1;
			break;
		case 'a':
			if (!strncasecmp(t, "AM", 2))
				pm = 0;
			else if (!strncasecmp(t, "PM", 2))
				pm = 1;
			else
				return -1;
			t += 2;
			break;
		case 'G':
			if (!strncasecmp(t, "AD", 2))
				t += 2;
			else
				return -1;
			break;
		case 'z':
		case 'Z':
		case 'X':
			if (*t == 'Z') {
				t++;
			} else if (!strncmp(t, "UTC", 3) || !strncmp(t, "GMT", 3)) {
				t += 3;
				if (*t == '+' || *t == '-')
					goto numeric_offset;
			} else if (*t == '+' || *t == '-') {
			numeric_offset : {
				int sign = *t == '-' ? -1 : 1;
				int64_t oh = 0, om = 0;
				t++;
				if (parse_num(&t, 2, &oh))
					return -1;
				if (*t == ':')
					t++;
				if (isdigit((unsigned char)*t) && parse_num(&t, 2, &om))
					return -1;
				off = sign * (oh * 60 + om) * 60000;
			}
			} else {
				return -1;
			}
			break;
		default:
			if (parse_num(&t, width, &v))
				return -1;
			switch (el.letter) {
			case 'd':
				d = v;
				break;
			case 'D':
				doy = v;
				break;
			case 'H':
				h = v;
				break;
			case 'k':
				h = v == 24 ? 0 : v;
				break;
			case 'K':
				h = v, hour12 = 1;
				break;
			case 'h':
				h = v == 12 ? 0 : v, hour12 = 1;
				break;
			case 'm':
				mi = v;
				break;
			case 's':
				s = v;
				break;
			case 'S':
				msec = v;
				break;
			default: /* u */
				break;
			}
		}
	}
	if (yy) { /* SimpleDateFormat: within 80 years before and 20 after now */
		int64_t now = ks_wall_ms(), cy;
		int cm, cd;
		ks_civil_from_days(ks_floordiv(now, 86400000), &cy, &cm, &cd);
		y += (cy - 80) / 100 * 100;
		if (y < cy - 80)
			y += 100;
	}
	if (pm == 1 && (hour12 || h < 12))
		h += 12;
	/* lenient: out-of-range fields roll over */
	y += ks_floordiv(mo - 1, 12);
	mo = mo - 1 - ks_floordiv(mo - 1, 12) * 12 + 1;
	{
		int64_t days = doy >= 0 ? ks_days_from_civil(y, 1, 1) + doy - 1
		                        : ks_days_from_civil(y, (int)mo, 1) + d - 1;
		*ms = days * 86400000 + h * 3600000 + mi * 60000 + s * 1000 + msec - off;
	}
	return 0;
}
