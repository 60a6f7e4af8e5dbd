/*
 * decimal.c — Connect Decimal (unscaled big-endian two's-complement bytes +
 * scale) as decimal text: the one conversion for the JDBC sink (numeric
 * columns, COPY numeric, JSON), value_json.c and the Cast transform.
 * Linear-ish and bounded: the digit count is estimated from the length and
 * checked against the caller's limits before any arithmetic, then 32-bit
 * words are folded into base-1e9 limbs. And the way back, text to the
 * unscaled bytes (ks_decimal_parse: MaskField, Script). Unit tests: tests/0001-lib.c,
 * tests/0300-jdbc_units.c (decimal_text).
 */
#include "decimal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ks_decimal_digits(const unsigned char *p, size_t len, int scale, const ks_decimal_limits_t *lim,
                      char **out, size_t *nd, int *neg, char *errstr, size_t errlen)
{
	static const ks_decimal_limits_t none = {0};
	int precision;
	unsigned char *mag;
	uint32_t *lb;
	size_t nl = 0, cap, n = 0, first;
	char *dg;

	if (!lim)
		lim = &none;
	precision = lim->precision;
	*out = NULL;
	*nd = 0;
	*neg = len && (p[0] & 0x80);
	if (lim->max_scale > 0 && scale > lim->max_scale)
		return ks_seterr(errstr, errlen, -1,
		                 "Decimal scale %d is beyond the %d digits after the point of %s",
		                 scale, lim->max_scale, lim->target);
	/* drop sign-extension bytes: the rest is the minimal encoding */
	while (len > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80))))
		p++, len--;
	if (len > 1) {
		/* minimal: |value| >= 2^(8 len - 9), so at least this many digits */
		long long lo = (long long)((8.0 * (double)len - 9.0) * 0.30102999) + 1;
		if (precision > 0 && lo > precision)
			return ks_seterr(
			        errstr, errlen, -1,
			        "Decimal value of %zu bytes has at least %lld digits, more "
			        "than its precision %d",
			        len, lo, precision);
		if (lim->max_int_digits > 0 && lo - scale > lim->max_int_digits)
			return ks_seterr(errstr, errlen, -1,
			                 "Decimal value of %zu bytes has more than the %ld digits "
			                 "before the point of %s",
			                 len, lim->max_int_digits, lim->target);
	}
	mag = malloc(len ? len : 1);
	cap = len * 2409 / 9000 + 2; /* 8 log10(2) = 2.4082 digits a byte */
	lb = malloc(cap * sizeof(*lb));
	if (!mag || !lb) {
		free(mag);
		free(lb);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	if (len)
		memcpy(mag, p, len);
	if (*neg) { /* two's complement -> magnitude */
		for (size_t i = 0; i < len; i++)
			mag[i] = (unsigned char)~mag[i];
		for (size_t i = len; i-- > 0;)
			if (++mag[i] != 0)
				break;
	}
	/* Horner: limbs = limbs * 2^32 + word, most significant word first
	 * (limb < 1e9 and carry < 2^33 keep each step within 64 bits) */
	first = len % 4 ? len % 4 : 4;
	for (size_t i = 0; i < len;) {
		size_t k = i == 0 ? first : 4;
		uint64_t carry = 0;
		for (size_t j = 0; j < k; j++)
			carry = carry << 8 | mag[i + j];
		i += k;
		for (size_t j = 0; j < nl; j++) {
			uint64_t x = ((uint64_t)lb[j] << 32) + carry;
			lb[j] = (uint32_t)(x % 1000000000u);
			carry = x / 1000000000u;
		}
		while (carry) {
			lb[nl++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	free(mag);
	dg = malloc(nl * 9 + 2);
	if (!dg) {
		free(lb);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	if (nl == 0) {
		dg[n++] = '0';
		*neg = 0;
	} else {
		char tmp[10];
		int m = snprintf(tmp, sizeof(tmp), "%u", (unsigned)lb[nl - 1]);
		memcpy(dg, tmp, (size_t)m);
		n = (size_t)m;
		for (size_t j = nl - 1; j-- > 0;) {
			uint32_t v = lb[j];
			for (int d = 8; d >= 0; d--, v /= 10)
				dg[n + (size_t)d] = (char)('0' + v % 10);
			n += 9;
		}
	}
	dg[n] = '\0';
	free(lb);
	if (nl && lim->max_int_digits > 0 && (long long)n - scale > lim->max_int_digits) {
		free(dg);
		return ks_seterr(errstr, errlen, -1,
		                 "Decimal value has %lld digits before the point, more than the "
		                 "%ld of %s",
		                 (long long)n - scale, lim->max_int_digits, lim->target);
	}
	*out = dg;
	*nd = n;
	return 0;
}

int ks_decimal_text(ks_buf_t *b, const unsigned char *p, size_t len, int scale,
                    const ks_decimal_limits_t *lim, char *errstr, size_t errlen)
{
	char *dg;
	size_t nd;
	int neg;

	if (ks_decimal_digits(p, len, scale, lim, &dg, &nd, &neg, errstr, errlen))
		return -1;
	if (neg)
		ks_buf_putc(b, '-');
	if (scale <= 0) {
		ks_buf_append(b, dg, nd);
		if (!(nd == 1 && dg[0] == '0'))
			for (long long i = 0; i < -(long long)scale; i++)
				ks_buf_putc(b, '0');
	} else if (nd <= (size_t)scale) {
		ks_buf_puts(b, "0.");
		for (size_t i = nd; i < (size_t)scale; i++)
			ks_buf_putc(b, '0');
		ks_buf_append(b, dg, nd);
	} else {
		ks_buf_append(b, dg, nd - (size_t)scale);
		ks_buf_putc(b, '.');
		ks_buf_append(b, dg + nd - (size_t)scale, (size_t)scale);
	}
	free(dg);
	return 0;
}

int ks_decimal_java_string(ks_buf_t *b, const unsigned char *p, size_t len, int scale)
{
	char *dg, err[8];
	size_t nd;
	int neg;
	long long adjusted;

	if (ks_decimal_digits(p, len, scale, NULL, &dg, &nd, &neg, err, sizeof(err)))
		return -1;
	if (neg)
		ks_buf_putc(b, '-');
	adjusted = -(long long)scale + (long long)nd - 1;
	if (scale >= 0 && adjusted >= -6) {
		if (scale == 0) {
			ks_buf_append(b, dg, nd);
		} else if (nd > (size_t)scale) {
			ks_buf_append(b, dg, nd - (size_t)scale);
			ks_buf_putc(b, '.');
			ks_buf_append(b, dg + nd - (size_t)scale, (size_t)scale);
		} else {
			ks_buf_puts(b, "0.");
			for (size_t i = nd; i < (size_t)scale; i++)
				ks_buf_putc(b, '0');
			ks_buf_append(b, dg, nd);
		}
	} else {
		ks_buf_putc(b, dg[0]);
		if (nd > 1) {
			ks_buf_putc(b, '.');
			ks_buf_append(b, dg + 1, nd - 1);
		}
		ks_buf_printf(b, "E%s%lld", adjusted >= 0 ? "+" : "", adjusted);
	}
	free(dg);
	return 0;
}

/* mag (big-endian, n bytes) = mag * 10 + digit: 0, or -1 when it overflows. */
static int mul10_add(unsigned char *mag, size_t n, int digit)
{
	int carry = digit;

	for (size_t i = n; i-- > 0;) {
		int v = mag[i] * 10 + carry;
		mag[i] = (unsigned char)v;
		carry = v >> 8;
	}
	return carry ? -1 : 0;
}

int ks_decimal_parse(const char *txt, int scale, int lenient, unsigned char *out, size_t cap)
{
	int neg = 0, frac = -1, any = 0;
	size_t n = cap;

	memset(out, 0, cap);
	while (lenient && *txt == ' ')
		txt++;
	if (*txt == '-' || *txt == '+')
		neg = *txt++ == '-';
	for (; *txt; txt++) {
		if (*txt == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*txt < '0' || *txt > '9')
			break;
		if (frac >= 0 && frac >= scale) {
			if (!lenient || *txt != '0')
				return -1;
			continue;
		}
		if (frac >= 0)
			frac++;
		any = 1;
		if (mul10_add(out, cap, *txt - '0'))
			return -1;
	}
	while (lenient && *txt == ' ')
		txt++;
	if (*txt || !any)
		return -1;
	for (int k = frac < 0 ? 0 : frac; k < scale; k++) /* pad to the scale */
		if (mul10_add(out, cap, 0))
			return -1;
	if (out[0] & 0x80) /* no room for the sign bit */
		return -1;
	if (neg) {
		int carry = 1;
		for (size_t i = cap; i-- > 0;) {
			int v = (unsigned char)~out[i] + carry;
			out[i] = (unsigned char)v;
			carry = v >> 8;
		}
	}
	/* minimal two's complement: drop sign-extension bytes */
	while (n > 1 && ((out[cap - n] == 0x00 && !(out[cap - n + 1] & 0x80)) ||
	                 (out[cap - n] == 0xff && (out[cap - n + 1] & 0x80))))
		n--;
	memmove(out, out + cap - n, n);
	return (int)n;
}
