/*
 * 0321-jdbc_encode_limits.c — the binary COPY encoder (connectors/jdbc/
 * copy.c) refuses, as a record-level error, every value Postgres cannot
 * hold instead of sending bytes that read back as another value: Decimals
 * past numeric's 131072 digits before the point (the int16 weight wrapped:
 * 0x7f ff.. of 64,000 bytes was stored as 0.00) or 16383 after it, or longer
 * than their precision; dates and timestamps outside Postgres' range (whose
 * edges INT32/INT64_MIN/MAX read back as -infinity/infinity); times and
 * JSON timestamps whose millisecond value overflows; text/bytea and arrays
 * over Postgres' field and array limits. The decimal conversion is
 * linear-ish: prints the time for 64 KB (refused from its length) and for
 * the largest value numeric can hold (~60 KB, converted). Pure unit test:
 * no server.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../connectors/jdbc/jdbc.h"
#include "lib/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCH_DAYS 10957             /* 1970-01-01 -> 2000-01-01 */
#define EPOCH_US   946684800000000LL /* same, in microseconds */

static char err[512];
static ks_buf_t out = KS_BUF_INIT;

/* Encodes v (type t, scalar) as schema s would map; the return code. */
static int enc(const ks_schema_t *s, const ks_value_t *v)
{
	ks_pgtype_t pt;
	char e[256];

	KS_CHECK(!ks_jdbc_pgtype(s, 1, 0, &pt, e, sizeof(e)), "%s", e);
	ks_buf_reset(&out);
	err[0] = '\0';
	return ks_jdbc_encode(&out, s, v, &pt, err, sizeof(err));
}

static int enc_int(ks_schema_t *s, int64_t i)
{
	ks_value_t v;

	memset(&v, 0, sizeof(v));
	v.type = s->type;
	v.u.i = i;
	return enc(s, &v);
}

static int enc_dec(int precision, int scale, const unsigned char *p, size_t n)
{
	ks_schema_t *s = ks_schema_decimal(precision, scale);
	ks_value_t v;
	int rc;

	KS_CHECK(s, "oom");
	memset(&v, 0, sizeof(v));
	v.type = KS_TYPE_BYTES;
	v.u.s.ptr = (char *)p;
	v.u.s.len = n;
	rc = enc(s, &v);
	ks_schema_unref(s);
	return rc;
}

/* Big-endian int16 / int32 at off of the encoded field. */
static long be(size_t off, int bytes)
{
	const unsigned char *c = (const unsigned char *)out.data + off;
	unsigned long u = 0;
	for (int i = 0; i < bytes; i++)
		u = u << 8 | c[i];
	if (bytes == 2)
		return (int16_t)u;
	return (int32_t)u;
}

static long long be64(size_t off)
{
	const unsigned char *c = (const unsigned char *)out.data + off;
	unsigned long long u = 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | c[i];
	return (long long)u;
}

KS_TEST(date_range)
{
	ks_schema_t *s = ks_schema_logical(KS_LOGICAL_DATE);

	KS_CHECK(s, "oom");
	/* 4714-11-24 BC, the first day Postgres has */
	KS_CHECK(!enc_int(s, -2451545LL + EPOCH_DAYS), "%s", err);
	KS_CHECK_INT(be(4, 4), -2451545);
	KS_CHECK(enc_int(s, -2451546LL + EPOCH_DAYS) != 0, "day before 4714-11-24 BC accepted");
	/* the last day (5874897-12-31) and the one after */
	KS_CHECK(!enc_int(s, 2145031948LL + EPOCH_DAYS), "%s", err);
	KS_CHECK_INT(be(4, 4), 2145031948);
	KS_CHECK(enc_int(s, 2145031949LL + EPOCH_DAYS) != 0, "5874898-01-01 accepted");
	/* what reads back as infinity / -infinity */
	KS_CHECK(enc_int(s, (int64_t)INT32_MAX + EPOCH_DAYS) != 0, "infinity written for a date");
	KS_CHECK(strstr(err, "out of Postgres' range"), "%s", err);
	KS_CHECK(enc_int(s, (int64_t)INT32_MIN + EPOCH_DAYS) != 0, "-infinity written for a date");
	ks_schema_unref(s);
}

KS_TEST(timestamp_range)
{
	ks_schema_t *us = ks_schema_logical(KS_LOGICAL_TIMESTAMP_MICROS);
	ks_schema_t *ms = ks_schema_logical(KS_LOGICAL_TIMESTAMP);

	KS_CHECK(us && ms, "oom");
	KS_CHECK(!enc_int(us, 0), "%s", err);
	KS_CHECK_INT(be64(4), -EPOCH_US);
	/* INT64_MIN after the epoch shift is -infinity in Postgres */
	KS_CHECK(enc_int(us, INT64_MIN + EPOCH_US) != 0, "-infinity written for a timestamp");
	KS_CHECK(strstr(err, "out of Postgres' range"), "%s", err);
	/* 4714-11-24 BC 00:00 is the first instant; one microsecond before is out */
	KS_CHECK(!enc_int(us, -211813488000000000LL + EPOCH_US), "%s", err);
	KS_CHECK(enc_int(us, -211813488000000001LL + EPOCH_US) != 0, "before 4714 BC accepted");
	/* the end, 294277-01-01, lies past INT64_MAX us from 1970: the largest
	 * int64 is a valid instant (294247) and is written as it is */
	KS_CHECK(!enc_int(us, INT64_MAX), "%s", err);
	KS_CHECK_INT(be64(4), INT64_MAX - EPOCH_US);
	KS_CHECK(!enc_int(ms, INT64_MAX / 1000), "%s", err);
	KS_CHECK(enc_int(ms, INT64_MAX / 1000 + 1) != 0, "overflowing ms accepted");
	KS_CHECK(!enc_int(ms, -1), "%s", err);
	KS_CHECK_INT(be64(4), -EPOCH_US - 1000);
	ks_schema_unref(us);
	ks_schema_unref(ms);
}

KS_TEST(time_of_day_range)
{
	ks_schema_t *ms = ks_schema_logical(KS_LOGICAL_TIME);

	KS_CHECK(ms, "oom");
	KS_CHECK(!enc_int(ms, 86400000), "24:00:00 is a Postgres time: %s", err);
	KS_CHECK(enc_int(ms, 86400001) != 0, "24:00:00.001 accepted");
	/* *1000 would overflow (undefined) before the range check */
	KS_CHECK(enc_int(ms, INT64_MAX / 100) != 0, "overflowing time accepted");
	KS_CHECK(enc_int(ms, -1) != 0, "negative time accepted");
	ks_schema_unref(ms);
}

KS_TEST(json_timestamp_overflow)
{
	ks_schema_t *ms = ks_schema_logical(KS_LOGICAL_TIMESTAMP);
	ks_value_t v;
	ks_buf_t b = KS_BUF_INIT;

	KS_CHECK(ms, "oom");
	memset(&v, 0, sizeof(v));
	v.type = KS_TYPE_INT64;
	v.u.i = 0;
	KS_CHECK(!ks_jdbc_json(&b, ms, &v, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(b.data, "\"1970-01-01T00:00:00.000000Z\"");
	ks_buf_reset(&b);
	v.u.i = INT64_MAX / 10;
	KS_CHECK(ks_jdbc_json(&b, ms, &v, err, sizeof(err)) != 0, "overflowing ms written: %s",
	         b.data);
	ks_buf_free(&b);
	ks_schema_unref(ms);
}

/* 0x7f then n-1 times 0xff: the value of the issue */
static unsigned char *huge(size_t n)
{
	unsigned char *p = malloc(n);
	KS_CHECK(p, "oom");
	memset(p, 0xff, n);
	p[0] = 0x7f;
	return p;
}

KS_TEST(numeric_weight_never_wraps)
{
	unsigned char *p = huge(64000);
	int64_t t0;

	/* NUMERIC(10,2): refused from its length (precision), no arithmetic */
	t0 = ks_now_us();
	KS_CHECK(enc_dec(10, 2, p, 64000) != 0, "64,000-byte decimal encoded (weight %ld)",
	         be(6, 2));
	printf("# 64 KB decimal (precision 10) refused in %.3f s: %s\n",
	       (double)(ks_now_us() - t0) / 1e6, err);
	KS_CHECK(strstr(err, "precision"), "%s", err);
	/* no precision: numeric's 131072 digits before the point */
	t0 = ks_now_us();
	KS_CHECK(enc_dec(-1, 2, p, 64000) != 0, "64,000-byte decimal encoded (weight %ld)",
	         be(6, 2));
	printf("# 64 KB decimal (no precision) refused in %.3f s: %s\n",
	       (double)(ks_now_us() - t0) / 1e6, err);
	KS_CHECK(strstr(err, "131072"), "%s", err);
	/* the same with 65,536 bytes and the largest scale numeric has */
	free(p);
	p = huge(65536);
	KS_CHECK(enc_dec(-1, 16383, p, 65536) != 0, "65,536-byte decimal encoded (weight %ld)",
	         be(6, 2));
	free(p);
}

KS_TEST(numeric_digit_limits)
{
	const unsigned char one[] = {0x01}, m1[] = {0xff};

	/* 1E131071: 131072 digits before the point, weight 32767 */
	KS_CHECK(!enc_dec(-1, -131071, one, 1), "%s", err);
	KS_CHECK_INT(be(4, 2), 1);     /* ndigits */
	KS_CHECK_INT(be(6, 2), 32767); /* weight */
	KS_CHECK_INT(be(12, 2), 1000); /* 1000 * 10000^32767 */
	/* one more digit: weight 32768 would wrap to -32768 */
	KS_CHECK(enc_dec(-1, -131072, one, 1) != 0, "1E131072 encoded (weight %ld)", be(6, 2));
	KS_CHECK(enc_dec(-1, -1000000, m1, 1) != 0, "-1E1000000 encoded (weight %ld)", be(6, 2));
	KS_CHECK(enc_dec(-1, INT32_MIN, one, 1) != 0, "scale INT_MIN encoded");
	/* zero stays zero whatever the scale */
	KS_CHECK(!enc_dec(-1, -1000000, (const unsigned char *)"\0", 1), "%s", err);
	KS_CHECK_INT(be(4, 2), 0);
	/* 16383 digits after the point is the most dscale holds */
	KS_CHECK(!enc_dec(-1, 16383, m1, 1), "%s", err);
	KS_CHECK_INT(be(8, 2), 0x4000); /* negative */
	KS_CHECK_INT(be(10, 2), 16383);
	KS_CHECK(enc_dec(-1, 16384, one, 1) != 0, "scale 16384 encoded (dscale %ld)", be(10, 2));
	/* non-minimal encodings (sign extension) are not mistaken for long ones */
	{
		unsigned char pad[4000];
		memset(pad, 0, sizeof(pad));
		pad[sizeof(pad) - 1] = 0x05;
		KS_CHECK(!enc_dec(3, 0, pad, sizeof(pad)), "5 with 3999 zero bytes: %s", err);
		KS_CHECK_INT(be(12, 2), 5);
		memset(pad, 0xff, sizeof(pad));
		KS_CHECK(!enc_dec(3, 0, pad, sizeof(pad)), "-1 with 3999 0xff bytes: %s", err);
		KS_CHECK_INT(be(8, 2), 0x4000);
		KS_CHECK_INT(be(12, 2), 1);
	}
}

/* The reference conversion (the old one: divide the whole number by 10 per
 * digit), for values small enough. */
static void ref_text(ks_buf_t *b, const unsigned char *p, size_t len, int scale)
{
	unsigned char *mag = malloc(len);
	char *dg = malloc(len * 3 + 2);
	size_t nd = 0;
	int neg = p[0] & 0x80;

	KS_CHECK(mag && dg, "oom");
	memcpy(mag, p, len);
	if (neg) {
		for (size_t i = 0; i < len; i++)
			mag[i] = (unsigned char)~mag[i];
		for (size_t i = len; i-- > 0;)
			if (++mag[i] != 0)
				break;
	}
	for (int nz = 1; nz;) {
		unsigned rem = 0;
		nz = 0;
		for (size_t i = 0; i < len; i++) {
			unsigned cur = rem * 256 + mag[i];
			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			nz |= mag[i];
		}
		dg[nd++] = (char)('0' + rem);
	}
	while (nd > 1 && dg[nd - 1] == '0')
		nd--;
	if (neg && !(nd == 1 && dg[0] == '0'))
		ks_buf_putc(b, '-');
	if (scale <= 0) {
		for (size_t i = nd; i-- > 0;)
			ks_buf_putc(b, dg[i]);
		if (!(nd == 1 && dg[0] == '0'))
			for (int i = 0; i < -scale; i++)
				ks_buf_putc(b, '0');
	} else if (nd <= (size_t)scale) {
		ks_buf_puts(b, "0.");
		for (size_t i = nd; i < (size_t)scale; i++)
			ks_buf_putc(b, '0');
		for (size_t i = nd; i-- > 0;)
			ks_buf_putc(b, dg[i]);
	} else {
		for (size_t i = nd; i-- > (size_t)scale;)
			ks_buf_putc(b, dg[i]);
		ks_buf_putc(b, '.');
		for (size_t i = (size_t)scale; i-- > 0;)
			ks_buf_putc(b, dg[i]);
	}
	free(dg);
	free(mag);
}

KS_TEST(decimal_text_matches_reference)
{
	unsigned char p[700];
	unsigned seed = 12345;
	int n = 0;

	for (size_t len = 1; len <= sizeof(p); len += len < 40 ? 1 : 37) {
		for (int k = 0; k < 4; k++) {
			int scale = k == 0 ? 0 : k == 1 ? 3 : k == 2 ? -7 : (int)len * 3;
			ks_schema_t *s = ks_schema_decimal(-1, scale);
			ks_value_t v;
			ks_buf_t got = KS_BUF_INIT, want = KS_BUF_INIT;

			KS_CHECK(s, "oom");
			for (size_t i = 0; i < len; i++)
				p[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
			if (k == 3) /* runs of 0x00 / 0xff words */
				memset(p + len / 2, len & 1 ? 0xff : 0x00, len / 3);
			memset(&v, 0, sizeof(v));
			v.type = KS_TYPE_BYTES;
			v.u.s.ptr = (char *)p;
			v.u.s.len = len;
			KS_CHECK(!ks_jdbc_json(&got, s, &v, err, sizeof(err)), "%s", err);
			ref_text(&want, p, len, scale);
			KS_CHECK(!strcmp(got.data, want.data),
			         "%zu bytes, scale %d: %s, expected %s", len, scale, got.data,
			         want.data);
			ks_buf_free(&got);
			ks_buf_free(&want);
			ks_schema_unref(s);
			n++;
		}
	}
	printf("# %d random decimals (1-700 bytes) match the reference conversion\n", n);
}

KS_TEST(largest_numeric_converts_quickly)
{
	/* 60,000 bytes ~ 144,500 digits: with 16383 of them after the point the
	 * rest (~128,100) fits numeric, so this one is converted */
	size_t n = 60000;
	unsigned char *p = huge(n);
	int64_t t0 = ks_now_us();

	KS_CHECK(!enc_dec(-1, 16383, p, n), "%s", err);
	printf("# 60,000-byte decimal (%ld base-10000 digits, weight %ld) encoded in %.3f s\n",
	       be(4, 2) & 0xffff, be(6, 2), (double)(ks_now_us() - t0) / 1e6);
	KS_CHECK((be(4, 2) & 0xffff) > 32768, "ndigits %ld", be(4, 2) & 0xffff);
	KS_CHECK(be(6, 2) > 30000 && be(6, 2) <= 32767, "weight %ld", be(6, 2));
	KS_CHECK_INT(be(10, 2), 16383);
	free(p);
}

KS_TEST(field_and_array_limits)
{
	ks_schema_t *txt = ks_schema_new(KS_TYPE_STRING);
	ks_schema_t *arr = ks_schema_new(KS_TYPE_ARRAY);
	ks_value_t v, item;

	KS_CHECK(txt && arr, "oom");
	arr->value_schema = ks_schema_new(KS_TYPE_INT32);
	KS_CHECK(arr->value_schema, "oom");
	/* lengths only: the encoder must refuse before reading the bytes */
	memset(&v, 0, sizeof(v));
	v.type = KS_TYPE_STRING;
	v.u.s.ptr = "x";
	v.u.s.len = 0x40000000u;
	KS_CHECK(enc(txt, &v) != 0, "1 GB text accepted");
	KS_CHECK(strstr(err, "1 GB"), "%s", err);
	memset(&item, 0, sizeof(item));
	item.type = KS_TYPE_INT32;
	memset(&v, 0, sizeof(v));
	v.type = KS_TYPE_ARRAY;
	v.u.arr.items = &item;
	v.u.arr.n = 134217728u; /* MaxArraySize + 1 */
	KS_CHECK(enc(arr, &v) != 0, "array over MaxArraySize accepted");
	v.u.arr.n = 1;
	KS_CHECK(!enc(arr, &v), "%s", err);
	ks_schema_unref(txt);
	ks_schema_unref(arr);
	ks_buf_free(&out);
}
