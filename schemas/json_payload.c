/*
 * json_payload.c — a schema-guided pull parser for JsonConverter payloads
 * (json_payload.h). Each reader either builds exactly the value
 * ks_value_from_json (value_json.c) would build from jansson's tree, or
 * gives up; giving up is always safe because the caller then parses the
 * payload with jansson. What it accepts is a subset of what jansson accepts:
 * numbers by JSON's grammar (integers within int64, reals through strtod as
 * jansson does, overflow refused), strings of valid UTF-8 without control
 * bytes and without \u escapes, objects without repeated keys.
 */
#include "json_payload.h"

#include "../lib/base64.h"
#include "../lib/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 100 /* ks_value_from_json's limit: deeper is its error */

typedef struct pp {
	const char *p, *end;
	ks_arena_t *a;
	int rnwd;
} pp_t;

static void ws(pp_t *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r'))
		x->p++;
}

static int lit(pp_t *x, const char *word, size_t n)
{
	if ((size_t)(x->end - x->p) < n || memcmp(x->p, word, n))
		return 0;
	x->p += n;
	return 1;
}

/* A string token at x->p into the arena (NUL-terminated). 0 = give up. */
static int str(pp_t *x, const char **out, size_t *outlen)
{
	const char *s, *q;
	char *d, *w;
	int esc = 0, high = 0;

	if (x->p >= x->end || *x->p != '"')
		return 0;
	s = ++x->p;
	for (q = s; q < x->end && *q != '"'; q++) {
		unsigned char c = (unsigned char)*q;
		if (c < 0x20)
			return 0;
		if (c >= 0x80)
			high = 1;
		if (c == '\\') {
			if (++q >= x->end)
				return 0;
			switch (*q) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				esc = 1;
				break;
			default: /* \u and anything invalid: jansson decides */
				return 0;
			}
		}
	}
	if (q >= x->end)
		return 0;
	x->p = q + 1;
	if (high && ks_utf8_valid_prefix(s, (size_t)(q - s)) != (size_t)(q - s))
		return 0;
	if (!esc) {
		if (!(d = ks_arena_memdup(x->a, s, (size_t)(q - s))))
			return 0;
		*out = d;
		*outlen = (size_t)(q - s);
		return 1;
	}
	if (!(d = ks_arena_alloc(x->a, (size_t)(q - s) + 1)))
		return 0;
	for (w = d; s < q; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		switch (*++s) {
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
			break;
		default: /* " \ / */
			*w++ = *s;
		}
	}
	*w = '\0';
	*out = d;
	*outlen = (size_t)(w - d);
	return 1;
}

/* A number token by JSON's grammar. *is_int: no fraction or exponent; then
 * *i holds it (0 when it does not fit int64: jansson's error), else *d. */
static int num(pp_t *x, int *is_int, int64_t *i, double *d)
{
	const char *s = x->p, *q = x->p;
	char buf[64];

	if (q < x->end && *q == '-')
		q++;
	if (q >= x->end || *q < '0' || *q > '9')
		return 0;
	if (*q == '0')
		q++;
	else
		while (q < x->end && *q >= '0' && *q <= '9')
			q++;
	*is_int = 1;
	if (q < x->end && *q == '.') {
		*is_int = 0;
		if (++q >= x->end || *q < '0' || *q > '9')
			return 0;
		while (q < x->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < x->end && (*q == 'e' || *q == 'E')) {
		*is_int = 0;
		if (++q < x->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= x->end || *q < '0' || *q > '9')
			return 0;
		while (q < x->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - s) >= sizeof(buf))
		return 0; /* long numbers: jansson */
	memcpy(buf, s, (size_t)(q - s));
	buf[q - s] = '\0';
	errno = 0;
	if (*is_int) {
		long long v = strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			return 0;
		*i = v;
	} else {
		*d = strtod(buf, NULL);
		if ((*d == HUGE_VAL || *d == -HUGE_VAL) && errno == ERANGE)
			return 0;
	}
	x->p = q;
	return 1;
}

static int value(pp_t *x, const ks_schema_t *s, ks_value_t *v, int depth);

/* ks_value_from_json on a JSON null or an absent field. */
static int null_value(pp_t *x, const ks_schema_t *s, ks_value_t *v)
{
	if (s->default_value && x->rnwd) {
		*v = *s->default_value; /* borrowed from the schema, as value_json.c does */
		return 1;
	}
	if (!s->optional)
		return 0;
	v->is_null = 1;
	return 1;
}

/* Grows an arena array of values to hold n + 1. */
static int grow(pp_t *x, ks_value_t **items, size_t n, size_t *cap)
{
	ks_value_t *nv;

	if (n < *cap)
		return 1;
	if (!(nv = ks_arena_calloc(x->a, *cap * 2, sizeof(ks_value_t))))
		return 0;
	memcpy(nv, *items, n * sizeof(ks_value_t));
	*items = nv;
	*cap *= 2;
	return 1;
}

/* At an object's { or an array's [ (close: its } or ]): 1 when members
 * follow, 0 when it is empty (and consumed). */
static int first_item(pp_t *x, char close)
{
	x->p++;
	ws(x);
	if (x->p < x->end && *x->p == close) {
		x->p++;
		return 0;
	}
	return 1;
}

/* After a member: 1 more follow, 0 done (close consumed), -1 give up. */
static int next_item(pp_t *x, char close)
{
	ws(x);
	if (x->p >= x->end)
		return -1;
	if (*x->p == close) {
		x->p++;
		return 0;
	}
	if (*x->p++ != ',')
		return -1;
	ws(x);
	return 1;
}

static int array(pp_t *x, const ks_schema_t *es, ks_value_t **items, size_t *count, int depth)
{
	size_t n = 0, cap = 4;
	int more;

	if (!(*items = ks_arena_calloc(x->a, cap, sizeof(ks_value_t))))
		return 0;
	for (more = first_item(x, ']'); more > 0; more = next_item(x, ']'))
		if (!grow(x, items, n, &cap) || !value(x, es, &(*items)[n++], depth))
			return 0;
	*count = n;
	return more == 0;
}

/* An object key and its colon; the key is borrowed from the input. */
static int key(pp_t *x, const char **k, size_t *klen)
{
	const char *q;

	if (x->p >= x->end || *x->p != '"')
		return 0;
	for (q = x->p + 1; q < x->end && *q != '"'; q++)
		if ((unsigned char)*q < 0x20 || *q == '\\')
			return 0; /* escaped or control bytes: jansson */
	if (q >= x->end)
		return 0;
	*k = x->p + 1;
	*klen = (size_t)(q - *k);
	if (ks_utf8_valid_prefix(*k, *klen) != *klen)
		return 0;
	x->p = q + 1;
	ws(x);
	if (x->p >= x->end || *x->p++ != ':')
		return 0;
	ws(x);
	return 1;
}

static int structure(pp_t *x, const ks_schema_t *s, ks_value_t *v, int depth)
{
	uint64_t seen = 0;
	size_t hint = 0;
	int more;

	if (s->nfields > 64)
		return 0;
	if (!(v->u.st.fields =
	              ks_arena_calloc(x->a, s->nfields ? s->nfields : 1, sizeof(ks_value_t))))
		return 0;
	v->u.st.n = s->nfields;
	more = first_item(x, '}');
	while (more > 0) {
		const char *k;
		size_t klen, f = 0, i;
		if (!key(x, &k, &klen))
			return 0;
		/* fields usually come in schema order: try the next one first */
		for (i = 0; i < s->nfields; i++) {
			f = (hint + i) % s->nfields;
			if (!strncmp(s->fields[f].name, k, klen) && !s->fields[f].name[klen])
				break;
		}
		if (i == s->nfields || (seen & (1ull << f)))
			return 0; /* unknown (jansson validates it) or repeated key */
		seen |= 1ull << f;
		hint = f + 1;
		if (!value(x, s->fields[f].schema, &v->u.st.fields[f], depth))
			return 0;
		if ((more = next_item(x, '}')) < 0)
			return 0;
	}
	for (size_t f = 0; f < s->nfields; f++)
		if (!(seen & (1ull << f))) {
			ks_value_t *fv = &v->u.st.fields[f];
			fv->type = s->fields[f].schema->type;
			if (!null_value(x, s->fields[f].schema, fv))
				return 0;
		}
	return 1;
}

static int string_map(pp_t *x, const ks_schema_t *s, ks_value_t *v, int depth)
{
	size_t n = 0, cap = 4;
	int more;

	v->u.map.keys = ks_arena_calloc(x->a, cap, sizeof(ks_value_t));
	v->u.map.vals = ks_arena_calloc(x->a, cap, sizeof(ks_value_t));
	if (!v->u.map.keys || !v->u.map.vals)
		return 0;
	more = first_item(x, '}');
	while (more > 0) {
		const char *k;
		size_t klen, c2 = cap;
		char *kc;
		if (n >= 256 || !key(x, &k, &klen))
			return 0; /* big maps: jansson (the repeated-key check is quadratic) */
		for (size_t i = 0; i < n; i++) /* repeated keys: jansson's rules */
			if (v->u.map.keys[i].u.s.len == klen &&
			    !memcmp(v->u.map.keys[i].u.s.ptr, k, klen))
				return 0;
		if (!grow(x, &v->u.map.keys, n, &cap) || !grow(x, &v->u.map.vals, n, &c2))
			return 0;
		if (!(kc = ks_arena_memdup(x->a, k, klen)))
			return 0;
		v->u.map.keys[n].type = KS_TYPE_STRING;
		v->u.map.keys[n].u.s.ptr = kc;
		v->u.map.keys[n].u.s.len = klen;
		if (!value(x, s->value_schema, &v->u.map.vals[n], depth))
			return 0;
		n++;
		if ((more = next_item(x, '}')) < 0)
			return 0;
	}
	v->u.map.n = n;
	return 1;
}

static int pair_map(pp_t *x, const ks_schema_t *s, ks_value_t *v, int depth)
{
	size_t n = 0, cap = 4, c2 = 4;
	int more;

	v->u.map.keys = ks_arena_calloc(x->a, cap, sizeof(ks_value_t));
	v->u.map.vals = ks_arena_calloc(x->a, cap, sizeof(ks_value_t));
	if (!v->u.map.keys || !v->u.map.vals)
		return 0;
	for (more = first_item(x, ']'); more > 0; more = next_item(x, ']')) {
		if (x->p >= x->end || *x->p++ != '[') /* one [key, value] pair */
			return 0;
		ws(x);
		if (!grow(x, &v->u.map.keys, n, &cap) || !grow(x, &v->u.map.vals, n, &c2) ||
		    !value(x, s->key_schema, &v->u.map.keys[n], depth))
			return 0;
		ws(x);
		if (x->p >= x->end || *x->p++ != ',')
			return 0;
		ws(x);
		if (!value(x, s->value_schema, &v->u.map.vals[n], depth))
			return 0;
		n++;
		ws(x);
		if (x->p >= x->end || *x->p++ != ']')
			return 0;
	}
	v->u.map.n = n;
	return more == 0;
}

/* One value at x->p (no leading whitespace) for schema s into v. */
static int value(pp_t *x, const ks_schema_t *s, ks_value_t *v, int depth)
{
	int is_int;
	int64_t i;
	double d;

	memset(v, 0, sizeof(*v));
	v->type = s->type;
	if (depth > MAX_DEPTH || x->p >= x->end)
		return 0;
	if (*x->p == 'n')
		return lit(x, "null", 4) && null_value(x, s, v);
	switch (s->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		if (!num(x, &is_int, &i, &d) || !is_int ||
		    (s->type == KS_TYPE_INT8 && (i < INT8_MIN || i > INT8_MAX)) ||
		    (s->type == KS_TYPE_INT16 && (i < INT16_MIN || i > INT16_MAX)) ||
		    (s->type == KS_TYPE_INT32 && (i < INT32_MIN || i > INT32_MAX)))
			return 0;
		v->u.i = i;
		return 1;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		if (!num(x, &is_int, &i, &d))
			return 0;
		v->u.d = is_int ? (double)i : d; /* json_number_value */
		return 1;
	case KS_TYPE_BOOLEAN:
		if (lit(x, "true", 4))
			v->u.i = 1;
		else if (!lit(x, "false", 5))
			return 0;
		return 1;
	case KS_TYPE_STRING:
		return str(x, &v->u.s.ptr, &v->u.s.len);
	case KS_TYPE_BYTES: {
		const char *b64;
		size_t n;
		char *out;
		/* decimals given as numbers: value_json.c's rounding, via jansson */
		if (!str(x, &b64, &n) || ks_base64_decode(b64, n, x->a, &out, &v->u.s.len))
			return 0;
		v->u.s.ptr = out;
		return 1;
	}
	case KS_TYPE_ARRAY:
		if (*x->p != '[')
			return 0;
		return array(x, s->value_schema, &v->u.arr.items, &v->u.arr.n, depth + 1);
	case KS_TYPE_MAP:
		if (s->key_schema->type == KS_TYPE_STRING)
			return *x->p == '{' && string_map(x, s, v, depth + 1);
		return *x->p == '[' && pair_map(x, s, v, depth + 1);
	case KS_TYPE_STRUCT:
		return *x->p == '{' && structure(x, s, v, depth + 1);
	default:
		return 0;
	}
}

int ks_json_payload_read(const ks_schema_t *s, const char *p, size_t len, int rnwd, ks_arena_t *a,
                         ks_value_t **out)
{
	pp_t x = {p, p + len, a, rnwd};
	ks_value_t *v;

	if (!len || *p == 'n' || !(v = ks_arena_alloc(a, sizeof(*v))))
		return 0;
	if (!value(&x, s, v, 0) || x.p != x.end)
		return 0;
	*out = v;
	return 1;
}
