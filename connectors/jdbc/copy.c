/*
 * copy.c — encodes record values in PostgreSQL's binary COPY format (the
 * fast path: no text formatting, no escaping, values never touch SQL text):
 * per field an int32 length (-1 = NULL) and the type's binary send format,
 * all big-endian. Also the decimal text of Connect Decimals and the JSON text
 * used for STRUCT/MAP values in JSONB columns (ksink.struct.mode=jsonb).
 */
#include "jdbc.h"

#include "../../lib/base64.h"
#include "../../lib/decimal.h"
#include "../../schemas/value_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_EPOCH_DAYS 10957             /* 1970-01-01 -> 2000-01-01 */
#define PG_EPOCH_US   946684800000000LL /* same, in microseconds */

/* The ranges date_recv and timestamp(tz)_recv accept, relative to
 * 2000-01-01 (datatype/timestamp.h): 4714-11-24 BC up to, not including,
 * 5874898-01-01 for dates and 294277-01-01 for timestamps. The values just
 * outside (INT32_MIN/MAX, INT64_MIN/MAX) are -infinity/infinity there, so
 * they are checked here rather than left to the server. */
#define PG_DATE_MIN    (-2451545LL)
#define PG_DATE_END    2145031949LL
#define PG_TS_MIN      (-211813488000000000LL)
#define PG_TS_END      9223371331200000000LL
#define PG_FIELD_MAX   0x3FFFFFFBu /* MaxAllocSize - VARHDRSZ: one field */
#define PG_ARRAY_ITEMS 134217727u  /* MaxArraySize (MaxAllocSize / Datum) */

unsigned ks_jdbc_pgk_oid(ks_pgk_t k, int array);

/* Appends n (small) bytes: the common case, room in the buffer, inline
 * (these run several times per column of every row). */
static inline void put_small(ks_buf_t *b, const unsigned char *c, size_t n)
{
	if (b->cap - b->len > n) {
		memcpy(b->data + b->len, c, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else {
		ks_buf_append(b, c, n);
	}
}

static inline void be32(unsigned char *c, uint32_t v)
{
	c[0] = (unsigned char)(v >> 24);
	c[1] = (unsigned char)(v >> 16);
	c[2] = (unsigned char)(v >> 8);
	c[3] = (unsigned char)v;
}

static void put32(ks_buf_t *b, uint32_t v)
{
	unsigned char c[4];
	be32(c, v);
	put_small(b, c, 4);
}

static void put16(ks_buf_t *b, uint16_t v)
{
	unsigned char c[2] = {(unsigned char)(v >> 8), (unsigned char)v};
	put_small(b, c, 2);
}

static void put64(ks_buf_t *b, uint64_t v)
{
	unsigned char c[8];
	be32(c, (uint32_t)(v >> 32));
	be32(c + 4, (uint32_t)v);
	put_small(b, c, 8);
}

/* A length word and a 4- or 8-byte big-endian value in one append. */
static void put_len_val(ks_buf_t *b, uint32_t len, uint64_t v)
{
	unsigned char c[12];
	be32(c, len);
	if (len == 8) {
		be32(c + 4, (uint32_t)(v >> 32));
		be32(c + 8, (uint32_t)v);
	} else {
		be32(c + 4, (uint32_t)v);
	}
	put_small(b, c, 4 + len);
}

/* Patches a 4-byte length at off with the bytes written since off+4. */
static void patch_len(ks_buf_t *b, size_t off)
{
	uint32_t n = (uint32_t)(b->len - off - 4);

	if (b->failed)
		return;
	b->data[off] = (char)(n >> 24);
	b->data[off + 1] = (char)(n >> 16);
	b->data[off + 2] = (char)(n >> 8);
	b->data[off + 3] = (char)n;
}

/* Postgres' numeric limits (numeric.c): a weight of at most 32767 base-10000
 * groups, so 131072 digits before the point, and a display scale of at most
 * 16383 digits after it. Past them numeric_recv would store a different
 * number (the int16 weight wraps), so such a value is a record error here. */
#define PG_NUMERIC_INT_DIGITS 131072
#define PG_NUMERIC_DSCALE_MAX 16383

int ks_jdbc_decimal_text(ks_buf_t *b, const unsigned char *p, size_t len, int scale, int precision,
                         char *errstr, size_t errlen)
{
	const ks_decimal_limits_t pg = {precision, PG_NUMERIC_INT_DIGITS, PG_NUMERIC_DSCALE_MAX,
	                                "Postgres numeric"};

	return ks_decimal_text(b, p, len, scale, &pg, errstr, errlen);
}

/* numeric binary: int16 ndigits, int16 weight, uint16 sign, int16 dscale,
 * then base-10000 digits, from the decimal text. */
static int put_numeric(ks_buf_t *b, const unsigned char *p, size_t len, int scale, int precision,
                       char *errstr, size_t errlen)
{
	ks_buf_t t = KS_BUF_INIT;
	const char *s, *dot;
	int neg, dscale = scale > 0 ? scale : 0;
	size_t nint, nfrac, ngr, gi = 0;
	int16_t *gr;
	int weight;

	if (ks_jdbc_decimal_text(&t, p, len, scale, precision, errstr, errlen)) {
		ks_buf_free(&t);
		return -1;
	}
	if (ks_buf_failed(&t)) {
		ks_buf_free(&t);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	s = t.data;
	neg = *s == '-';
	if (neg)
		s++;
	dot = strchr(s, '.');
	nint = dot ? (size_t)(dot - s) : strlen(s);
	nfrac = dot ? strlen(dot + 1) : 0;
	ngr = (nint + 3) / 4 + (nfrac + 3) / 4;
	gr = calloc(ngr + 1, sizeof(*gr));
	if (!gr) {
		ks_buf_free(&t);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	/* integer part: groups aligned from the right */
	{
		size_t first = nint % 4 ? nint % 4 : 4;
		size_t i = 0;
		while (i < nint) {
			size_t n = gi == 0 ? first : 4;
			int v = 0;
			for (size_t k = 0; k < n; k++)
				v = v * 10 + (s[i + k] - '0');
			gr[gi++] = (int16_t)v;
			i += n;
		}
	}
	weight = (int)gi - 1;
	for (size_t i = 0; i < nfrac; i += 4) {
		int v = 0;
		for (size_t k = 0; k < 4; k++)
			v = v * 10 + (i + k < nfrac ? dot[1 + i + k] - '0' : 0);
		gr[gi++] = (int16_t)v;
	}
	/* strip leading and trailing zero groups */
	size_t start = 0, end = gi;
	while (start < end && gr[start] == 0)
		start++, weight--;
	while (end > start && gr[end - 1] == 0)
		end--;
	if (start == end) {
		weight = 0;
		neg = 0;
	}
	/* the header's fields are 16 bits wide: never let one wrap (the digit
	 * limits checked above keep them in range; this is the last guard) */
	if (weight > INT16_MAX || weight < INT16_MIN || end - start > UINT16_MAX ||
	    dscale > PG_NUMERIC_DSCALE_MAX) {
		free(gr);
		ks_buf_free(&t);
		return ks_seterr(errstr, errlen, -1,
		                 "Decimal value out of range for Postgres numeric (weight %d, "
		                 "%zu groups, scale %d)",
		                 weight, end - start, dscale);
	}
	put32(b, (uint32_t)(8 + 2 * (end - start)));
	put16(b, (uint16_t)(end - start));
	put16(b, (uint16_t)(int16_t)weight);
	put16(b, neg ? 0x4000 : 0x0000);
	put16(b, (uint16_t)dscale);
	for (size_t i = start; i < end; i++)
		put16(b, (uint16_t)gr[i]);
	free(gr);
	ks_buf_free(&t);
	return 0;
}

int ks_jdbc_json(ks_buf_t *b, const ks_schema_t *s, const ks_value_t *v, char *errstr,
                 size_t errlen)
{
	const ks_decimal_limits_t pg = {0, PG_NUMERIC_INT_DIGITS, PG_NUMERIC_DSCALE_MAX,
	                                "Postgres numeric"};
	const ks_json_opts_t o = {KS_JSON_PG, &pg};

	return ks_value_to_json_opts(s, v, &o, b, errstr, errlen);
}

/* Encodes one non-null scalar of kind k (no length prefix for fixed-size
 * kinds is handled by the caller: this writes length + data). */
static int put_scalar(ks_buf_t *b, const ks_schema_t *s, const ks_value_t *v, ks_pgk_t k,
                      char *errstr, size_t errlen)
{
	int64_t i = v->u.i;
	int micros = s && (s->logical == KS_LOGICAL_TIME_MICROS ||
	                   s->logical == KS_LOGICAL_TIMESTAMP_MICROS);

	switch (k) {
	case KS_PGK_INT2:
		if (i < INT16_MIN || i > INT16_MAX)
			return ks_seterr(errstr, errlen, -1, "value %lld out of range for smallint",
			                 (long long)i);
		put32(b, 2);
		put16(b, (uint16_t)(int16_t)i);
		return 0;
	case KS_PGK_INT4:
		if (i < INT32_MIN || i > INT32_MAX)
			return ks_seterr(errstr, errlen, -1, "value %lld out of range for int",
			                 (long long)i);
		put_len_val(b, 4, (uint32_t)(int32_t)i);
		return 0;
	case KS_PGK_INT8:
		put_len_val(b, 8, (uint64_t)i);
		return 0;
	case KS_PGK_FLOAT4: {
		float f = (float)v->u.d;
		uint32_t u;
		memcpy(&u, &f, 4);
		put_len_val(b, 4, u);
		return 0;
	}
	case KS_PGK_FLOAT8: {
		uint64_t u;
		memcpy(&u, &v->u.d, 8);
		put_len_val(b, 8, u);
		return 0;
	}
	case KS_PGK_BOOL: {
		unsigned char c[5] = {0, 0, 0, 1, v->u.i ? 1 : 0};
		put_small(b, c, 5);
	}
		return 0;
	case KS_PGK_TEXT:
	case KS_PGK_BYTEA:
		if (v->type != KS_TYPE_STRING && v->type != KS_TYPE_BYTES)
			return ks_seterr(errstr, errlen, -1, "%s value for a %s column",
			                 ks_type_name(v->type),
			                 k == KS_PGK_TEXT ? "text" : "bytea");
		if (v->u.s.len > PG_FIELD_MAX)
			return ks_seterr(errstr, errlen, -1,
			                 "value of %zu bytes is over Postgres' field limit (1 GB)",
			                 v->u.s.len);
		put32(b, (uint32_t)v->u.s.len);
		put_small(b, (const unsigned char *)v->u.s.ptr, v->u.s.len);
		return 0;
	case KS_PGK_NUMERIC:
		if (v->type != KS_TYPE_BYTES)
			return ks_seterr(errstr, errlen, -1, "Decimal value is not BYTES");
		return put_numeric(b, (const unsigned char *)v->u.s.ptr, v->u.s.len,
		                   s ? s->scale : 0, s ? s->precision : -1, errstr, errlen);
	case KS_PGK_DATE:
		if (i < PG_DATE_MIN + PG_EPOCH_DAYS || i >= PG_DATE_END + PG_EPOCH_DAYS)
			return ks_seterr(errstr, errlen, -1,
			                 "date %lld days from 1970-01-01 out of Postgres' range",
			                 (long long)i);
		put32(b, 4);
		put32(b, (uint32_t)(int32_t)(i - PG_EPOCH_DAYS));
		return 0;
	case KS_PGK_TIME: {
		int64_t us;
		if (!micros && (i < 0 || i > 86400000))
			return ks_seterr(errstr, errlen, -1, "time of day %lld ms out of range",
			                 (long long)i);
		us = micros ? i : i * 1000;
		if (us < 0 || us > 86400000000LL)
			return ks_seterr(errstr, errlen, -1, "time of day %lld us out of range",
			                 (long long)us);
		put32(b, 8);
		put64(b, (uint64_t)us);
		return 0;
	}
	case KS_PGK_TIMESTAMPTZ: {
		int64_t us;
		if (!micros && (i > INT64_MAX / 1000 || i < INT64_MIN / 1000))
			return ks_seterr(errstr, errlen, -1, "timestamp out of range");
		us = micros ? i : i * 1000;
		if (us < PG_TS_MIN + PG_EPOCH_US || us - PG_EPOCH_US >= PG_TS_END)
			return ks_seterr(errstr, errlen, -1,
			                 "timestamp %lld us from 1970-01-01 out of Postgres' range",
			                 (long long)us);
		put_len_val(b, 8, (uint64_t)(us - PG_EPOCH_US));
		return 0;
	}
	case KS_PGK_JSONB: {
		size_t off = b->len;
		put32(b, 0);
		ks_buf_putc(b, 1); /* jsonb binary format version */
		if (ks_jdbc_json(b, s, v, errstr, errlen))
			return -1;
		if (b->len - off - 4 > PG_FIELD_MAX)
			return ks_seterr(
			        errstr, errlen, -1,
			        "JSON text of %zu bytes is over Postgres' field limit (1 GB)",
			        b->len - off - 4);
		patch_len(b, off);
		return 0;
	}
	default:
		return ks_seterr(errstr, errlen, -1, "unsupported column kind %d", (int)k);
	}
}

int ks_jdbc_encode(ks_buf_t *b, const ks_schema_t *s, const ks_value_t *v, const ks_pgtype_t *t,
                   char *errstr, size_t errlen)
{
	if (!v || v->is_null) {
		put32(b, (uint32_t)-1);
		return 0;
	}
	if (!t->array || t->kind == KS_PGK_JSONB)
		return put_scalar(b, s, v, t->kind, errstr, errlen);
	if (v->type != KS_TYPE_ARRAY)
		return ks_seterr(errstr, errlen, -1, "%s value for an array column",
		                 ks_type_name(v->type));
	/* array: ndim, has-null flag, element OID, [dim, lower bound], elements */
	size_t off = b->len;
	int hasnull = 0;
	const ks_schema_t *es = s ? s->value_schema : NULL;

	if (v->u.arr.n > PG_ARRAY_ITEMS)
		return ks_seterr(errstr, errlen, -1,
		                 "array of %zu elements is over Postgres' limit of %u", v->u.arr.n,
		                 PG_ARRAY_ITEMS);
	for (size_t i = 0; i < v->u.arr.n; i++)
		hasnull |= v->u.arr.items[i].is_null;
	put32(b, 0);
	put32(b, v->u.arr.n ? 1 : 0);
	put32(b, (uint32_t)hasnull);
	put32(b, ks_jdbc_pgk_oid(t->kind, 0));
	if (v->u.arr.n) {
		put32(b, (uint32_t)v->u.arr.n);
		put32(b, 1);
	}
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const ks_value_t *e = &v->u.arr.items[i];
		if (e->is_null)
			put32(b, (uint32_t)-1);
		else if (put_scalar(b, es, e, t->kind, errstr, errlen))
			return -1;
	}
	if (b->len - off - 4 > PG_FIELD_MAX)
		return ks_seterr(errstr, errlen, -1,
		                 "array of %zu bytes is over Postgres' field limit (1 GB)",
		                 b->len - off - 4);
	patch_len(b, off);
	return 0;
}
