/*
 * props.c — ordered string map (see props.h). Entries live in insertion
 * order in two arrays (REST output keeps that order); past PROPS_LINEAR
 * entries an open-addressing index (FNV-1a, linear probing) makes a lookup
 * O(1), so building, copying or checking a config is linear in its keys
 * (a 60,000-key connector config took 51 s with a linear lookup per key).
 */
#include "props.h"

#include "../lib/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROPS_LINEAR 16 /* below this many entries a scan is cheaper */

struct ks_props {
	char **keys;
	char **vals;
	size_t n, cap;
	size_t *slots; /* index + 1 of an entry, 0 = free; NULL while small */
	size_t nslots; /* power of two, > 2 n */
};

static size_t hash(const char *key, size_t klen)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return (size_t)(h ^ h >> 32);
}

static void slot_put(ks_props_t *p, size_t i)
{
	size_t m = p->nslots - 1, pos = hash(p->keys[i], strlen(p->keys[i])) & m;
	while (p->slots[pos])
		pos = (pos + 1) & m;
	p->slots[pos] = i + 1;
}

/* (Re)builds the index for at least want entries; -1 on allocation failure
 * (the map then stays without one: lookups scan, still correct). */
static int index_build(ks_props_t *p, size_t want)
{
	size_t ns = 64;
	size_t *sl;

	while (ns < want * 2 + 2)
		ns *= 2;
	sl = calloc(ns, sizeof(*sl));
	if (!sl)
		return -1;
	free(p->slots);
	p->slots = sl;
	p->nslots = ns;
	for (size_t i = 0; i < p->n; i++)
		slot_put(p, i);
	return 0;
}

ks_props_t *ks_props_new(void)
{
	return calloc(1, sizeof(ks_props_t));
}

void ks_props_destroy(ks_props_t *p)
{
	if (!p)
		return;
	ks_strv_free(p->keys, p->n);
	ks_strv_free(p->vals, p->n);
	free(p->slots);
	free(p);
}

static int key_is(const char *k, const char *key, size_t klen)
{
	return strlen(k) == klen && !memcmp(k, key, klen);
}

static long find(const ks_props_t *p, const char *key, size_t klen)
{
	if (p->slots) {
		size_t m = p->nslots - 1, pos = hash(key, klen) & m;
		for (; p->slots[pos]; pos = (pos + 1) & m)
			if (key_is(p->keys[p->slots[pos] - 1], key, klen))
				return (long)(p->slots[pos] - 1);
		return -1;
	}
	for (size_t i = 0; i < p->n; i++)
		if (key_is(p->keys[i], key, klen))
			return (long)i;
	return -1;
}

int ks_props_setn(ks_props_t *p, const char *key, size_t klen, const char *value, size_t vlen)
{
	long i = find(p, key, klen);
	char *v = strndup(value, vlen), **k;
	size_t kcap = p->cap, vcap = p->cap;

	if (!v)
		return -1;
	if (i >= 0) {
		free(p->vals[i]);
		p->vals[i] = v;
		return 0;
	}
	/* keys and vals share p->cap: it moves once both have grown */
	if (!(k = ks_grow(p->keys, &kcap, p->n, sizeof(*k), 16)))
		goto fail;
	p->keys = k;
	if (!(k = ks_grow(p->vals, &vcap, p->n, sizeof(*k), 16)))
		goto fail;
	p->vals = k;
	p->cap = kcap;
	p->keys[p->n] = strndup(key, klen);
	if (!p->keys[p->n])
		goto fail;
	p->vals[p->n++] = v;
	if (p->slots && p->n * 2 + 2 <= p->nslots)
		slot_put(p, p->n - 1);
	else if (p->n > PROPS_LINEAR && index_build(p, p->n) && p->slots) {
		free(p->slots); /* a stale index would miss the new key: scan instead */
		p->slots = NULL;
	}
	return 0;
fail:
	free(v);
	return -1;
}

int ks_props_set(ks_props_t *p, const char *key, const char *value)
{
	return ks_props_setn(p, key, strlen(key), value, strlen(value));
}

const char *ks_props_get(const ks_props_t *p, const char *key)
{
	long i;

	if (!p)
		return NULL;
	i = find(p, key, strlen(key));
	return i >= 0 ? p->vals[i] : NULL;
}

int ks_props_remove(ks_props_t *p, const char *key)
{
	long i = find(p, key, strlen(key));

	if (i < 0)
		return 0;
	free(p->keys[i]);
	free(p->vals[i]);
	memmove(p->keys + i, p->keys + i + 1, (p->n - (size_t)i - 1) * sizeof(char *));
	memmove(p->vals + i, p->vals + i + 1, (p->n - (size_t)i - 1) * sizeof(char *));
	p->n--;
	/* the entries after i moved down: re-index (O(n), as the memmove) */
	if (p->slots && index_build(p, p->n)) {
		free(p->slots);
		p->slots = NULL;
	}
	return 1;
}

size_t ks_props_count(const ks_props_t *p)
{
	return p ? p->n : 0;
}

const char *ks_props_key(const ks_props_t *p, size_t i)
{
	return p->keys[i];
}

const char *ks_props_value(const ks_props_t *p, size_t i)
{
	return p->vals[i];
}

ks_props_t *ks_props_subset(const ks_props_t *p, const char *prefix)
{
	ks_props_t *s = ks_props_new();
	size_t plen = strlen(prefix);

	if (!s)
		return NULL;
	for (size_t i = 0; p && i < p->n; i++) {
		if (strncmp(p->keys[i], prefix, plen) || !p->keys[i][plen])
			continue;
		if (ks_props_set(s, p->keys[i] + plen, p->vals[i])) {
			ks_props_destroy(s);
			return NULL;
		}
	}
	return s;
}

ks_props_t *ks_props_dup(const ks_props_t *p)
{
	return ks_props_subset(p, "");
}

int ks_props_merge(ks_props_t *dst, const ks_props_t *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		if (ks_props_set(dst, src->keys[i], src->vals[i]))
			return -1;
	return 0;
}
