/*
 * avro_decode.c — Avro binary datum -> ks_value_t, walking the plan
 * (avro_plan.h) and the bytes together, writing straight into the batch
 * arena. The input is untrusted: every length and block count is bounded by
 * the bytes left, so a corrupt record costs an error naming the schema id
 * and byte offset, never a crash or a huge allocation; strings are checked
 * UTF-8 (lib/utf8.h).
 */
#include "avro_plan.h"

#include "../lib/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- decoding --- */

typedef struct rd {
	const unsigned char *start, *p, *end;
	size_t base; /* offset of start within the message */
	int id;
	ks_arena_t *arena;
	char *errstr;
	size_t errlen;
} rd_t;

static size_t pos(const rd_t *r)
{
	return r->base + (size_t)(r->p - r->start);
}

static ks_err_t rd_err(rd_t *r, const char *what)
{
	return ks_seterr(r->errstr, r->errlen, KS_ERR_RECORD,
	                 "Avro payload (schema id %d) is corrupt at byte %zu: %s", r->id, pos(r),
	                 what);
}

static ks_err_t oom(rd_t *r)
{
	return ks_seterr(r->errstr, r->errlen, KS_ERR_RETRIABLE, "out of memory");
}

static ks_err_t read_long(rd_t *r, int64_t *out)
{
	uint64_t u = 0;
	int shift = 0;

	for (;;) {
		unsigned char b;
		if (r->p >= r->end)
			return rd_err(r, "truncated (varint runs past the end)");
		b = *r->p++;
		if (shift == 63 && (b & 0x7e))
			return rd_err(r, "varint overflows 64 bits");
		u |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
		if (shift > 63)
			return rd_err(r, "varint longer than 10 bytes");
	}
	*out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return KS_OK;
}

static ks_err_t read_int(rd_t *r, int64_t *out)
{
	ks_err_t err = read_long(r, out);
	if (!err && (*out < INT32_MIN || *out > INT32_MAX))
		return rd_err(r, "int out of 32-bit range");
	return err;
}

static ks_err_t read_len(rd_t *r, size_t *len)
{
	int64_t n = 0;
	ks_err_t err = read_long(r, &n);
	if (err)
		return err;
	if (n < 0)
		return rd_err(r, "negative length");
	if ((uint64_t)n > (size_t)(r->end - r->p)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "truncated (length %lld, %zu bytes left)", (long long)n,
		         (size_t)(r->end - r->p));
		return rd_err(r, msg);
	}
	*len = (size_t)n;
	return KS_OK;
}

static ks_err_t decode(const av_node_t *n, rd_t *r, ks_value_t *v);

/* Block count of an array/map: 0 ends; bounded by the bytes left. */
static ks_err_t read_block(rd_t *r, size_t item_min, size_t total, size_t *count)
{
	int64_t c;
	ks_err_t err = read_long(r, &c);

	if (err)
		return err;
	if (c < 0) {
		int64_t bytes;
		if (c == INT64_MIN)
			return rd_err(r, "invalid block count");
		c = -c;
		if ((err = read_long(r, &bytes)))
			return err;
		if (bytes < 0)
			return rd_err(r, "negative block size");
	}
	if (item_min ? (uint64_t)c > (size_t)(r->end - r->p) / item_min
	             : (uint64_t)c + total > ZERO_SIZE_ITEMS_MAX)
		return rd_err(r, "block count larger than the bytes left");
	*count = (size_t)c;
	return KS_OK;
}

/* Grows an arena array of values to hold need items (copying). */
static ks_value_t *grow(ks_arena_t *a, ks_value_t *old, size_t n, size_t *cap, size_t need)
{
	ks_value_t *nv;
	size_t nc = *cap ? *cap : 4;

	if (need <= *cap)
		return old;
	while (nc < need)
		nc *= 2;
	if (!(nv = ks_arena_alloc(a, nc * sizeof(*nv))))
		return NULL;
	if (n)
		memcpy(nv, old, n * sizeof(*nv));
	*cap = nc;
	return nv;
}

static ks_err_t decode(const av_node_t *n, rd_t *r, ks_value_t *v)
{
	ks_err_t err;
	size_t len;

	v->type = n->schema ? n->schema->type : KS_TYPE_STRING;
	v->is_null = 0;
	switch (n->kind) {
	case AV_NULL:
		v->is_null = 1;
		return KS_OK;
	case AV_BOOLEAN:
		if (r->p >= r->end)
			return rd_err(r, "truncated (boolean)");
		if (*r->p > 1)
			return rd_err(r, "invalid boolean byte");
		v->u.i = *r->p++;
		return KS_OK;
	case AV_INT:
		if ((err = read_int(r, &v->u.i)))
			return err;
		if (v->type == KS_TYPE_INT8)
			v->u.i = (int8_t)v->u.i;
		else if (v->type == KS_TYPE_INT16)
			v->u.i = (int16_t)v->u.i;
		return KS_OK;
	case AV_LONG:
		return read_long(r, &v->u.i);
	case AV_FLOAT: {
		uint32_t u = 0;
		float f;
		if (r->end - r->p < 4)
			return rd_err(r, "truncated (float)");
		for (int i = 3; i >= 0; i--)
			u = u << 8 | r->p[i];
		memcpy(&f, &u, 4);
		v->u.d = f;
		r->p += 4;
		return KS_OK;
	}
	case AV_DOUBLE: {
		uint64_t u = 0;
		if (r->end - r->p < 8)
			return rd_err(r, "truncated (double)");
		for (int i = 7; i >= 0; i--)
			u = u << 8 | r->p[i];
		memcpy(&v->u.d, &u, 8);
		r->p += 8;
		return KS_OK;
	}
	case AV_BYTES:
		if ((err = read_len(r, &len)))
			return err;
		if (!(v->u.s.ptr = ks_arena_memdup(r->arena, r->p, len)))
			return oom(r);
		v->u.s.len = len;
		r->p += len;
		return KS_OK;
	case AV_STRING:
		if ((err = read_len(r, &len)))
			return err;
		if (!(v->u.s.ptr = ks_utf8_copy(r->arena, (const char *)r->p, len, &v->u.s.len)))
			return oom(r);
		r->p += len;
		return KS_OK;
	case AV_FIXED:
		if ((size_t)(r->end - r->p) < (size_t)n->fixed_size)
			return rd_err(r, "truncated (fixed)");
		if (!(v->u.s.ptr = ks_arena_memdup(r->arena, r->p, (size_t)n->fixed_size)))
			return oom(r);
		v->u.s.len = (size_t)n->fixed_size;
		r->p += n->fixed_size;
		return KS_OK;
	case AV_ENUM: {
		int64_t i;
		if ((err = read_int(r, &i)))
			return err;
		if (i < 0 || (size_t)i >= n->nsymbols)
			return rd_err(r, "enum index out of range");
		v->u.s.ptr = n->symbols[i]; /* owned by the plan, lives with the converter */
		v->u.s.len = n->symlens[i];
		return KS_OK;
	}
	case AV_RECORD:
		if (!(v->u.st.fields = ks_arena_alloc(r->arena, (n->nkids ? n->nkids : 1) *
		                                                        sizeof(ks_value_t))))
			return oom(r);
		v->u.st.n = n->nkids;
		v->u.st.names = NULL;
		for (size_t i = 0; i < n->nkids; i++)
			if ((err = decode(n->kids[i], r, &v->u.st.fields[i])))
				return err;
		return KS_OK;
	case AV_ARRAY: {
		const av_node_t *it = n->kids[0];
		size_t total = 0, cap = 0, cnt;
		ks_value_t *items = NULL, *keys = NULL, *vals = NULL;
		size_t kcap = 0;
		for (;;) {
			if ((err = read_block(r, it->min_size, total, &cnt)))
				return err;
			if (!cnt)
				break;
			if (n->map_entries) {
				size_t c2 = cap;
				keys = grow(r->arena, keys, total, &kcap, total + cnt);
				vals = grow(r->arena, vals, total, &c2, total + cnt);
				cap = c2;
				if (!keys || !vals)
					return oom(r);
				for (size_t i = 0; i < cnt; i++, total++)
					if ((err = decode(it->kids[0], r, &keys[total])) ||
					    (err = decode(it->kids[1], r, &vals[total])))
						return err;
			} else {
				if (!(items = grow(r->arena, items, total, &cap, total + cnt)))
					return oom(r);
				for (size_t i = 0; i < cnt; i++, total++)
					if ((err = decode(it, r, &items[total])))
						return err;
			}
		}
		if (n->map_entries) {
			v->u.map.keys = keys, v->u.map.vals = vals, v->u.map.n = total;
		} else {
			v->u.arr.items = items, v->u.arr.n = total;
		}
		return KS_OK;
	}
	case AV_MAP: {
		size_t total = 0, kcap = 0, vcap = 0, cnt;
		ks_value_t *keys = NULL, *vals = NULL;
		for (;;) {
			if ((err = read_block(r, 1 + n->kids[0]->min_size, total, &cnt)))
				return err;
			if (!cnt)
				break;
			keys = grow(r->arena, keys, total, &kcap, total + cnt);
			vals = grow(r->arena, vals, total, &vcap, total + cnt);
			if (!keys || !vals)
				return oom(r);
			for (size_t i = 0; i < cnt; i++, total++) {
				ks_value_t *k = &keys[total];
				k->type = KS_TYPE_STRING;
				k->is_null = 0;
				if ((err = read_len(r, &len)))
					return err;
				if (!(k->u.s.ptr = ks_utf8_copy(r->arena, (const char *)r->p, len,
				                                &k->u.s.len)))
					return oom(r);
				r->p += len;
				if ((err = decode(n->kids[0], r, &vals[total])))
					return err;
			}
		}
		v->u.map.keys = keys, v->u.map.vals = vals, v->u.map.n = total;
		return KS_OK;
	}
	case AV_UNION: {
		int64_t b;
		const ks_schema_t *s = n->schema;
		if ((err = read_long(r, &b)))
			return err;
		if (b < 0 || (size_t)b >= n->nkids)
			return rd_err(r, "union branch index out of range");
		if (n->union_mode != U_STRUCT) {
			if ((err = decode(n->kids[b], r, v)))
				return err;
			v->type = s->type; /* a null branch takes the type of T */
			return KS_OK;
		}
		if (n->kids[b]->kind == AV_NULL) {
			v->is_null = 1;
			return KS_OK;
		}
		if (!(v->u.st.fields = ks_arena_calloc(r->arena, s->nfields, sizeof(ks_value_t))))
			return oom(r);
		v->u.st.n = s->nfields;
		v->u.st.names = NULL;
		for (size_t i = 0; i < s->nfields; i++) {
			v->u.st.fields[i].type = s->fields[i].schema->type;
			v->u.st.fields[i].is_null = 1;
		}
		return decode(n->kids[b], r, &v->u.st.fields[n->branch_field[b]]);
	}
	}
	return rd_err(r, "unknown node");
}

ks_err_t ks_av_decode(const av_node_t *root, int id, const void *data, size_t len, size_t base,
                      ks_arena_t *arena, ks_value_t *v, char *errstr, size_t errlen)
{
	rd_t r;
	ks_err_t err;

	r.start = r.p = data;
	r.end = r.p + len;
	r.base = base;
	r.id = id;
	r.arena = arena;
	r.errstr = errstr;
	r.errlen = errlen;
	if (root->kind == AV_BYTES) {
		/* a top-level "bytes" schema is the raw rest, no length (Confluent) */
		v->type = KS_TYPE_BYTES;
		v->is_null = 0;
		v->u.s.len = len;
		if (!(v->u.s.ptr = ks_arena_memdup(arena, r.p, len)))
			return oom(&r);
	} else {
		if ((err = decode(root, &r, v)))
			return err;
		if (r.p != r.end)
			return ks_seterr(
			        errstr, errlen, KS_ERR_RECORD,
			        "Avro payload (schema id %d) has %zu trailing byte(s) after "
			        "the datum at byte %zu",
			        id, (size_t)(r.end - r.p), pos(&r));
	}
	return KS_OK;
}
