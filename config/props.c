/*
 * props.c — ordered string map (see props.h). Linear lookup: configs have
 * tens of keys, and order must be kept for REST output.
 */
#include "props.h"

#include <stdlib.h>
#include <string.h>

struct ks_props {
	char **keys;
	char **vals;
	size_t n, cap;
};

ks_props_t *ks_props_new(void)
{
	return calloc(1, sizeof(ks_props_t));
}

void ks_props_destroy(ks_props_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->keys[i]);
		free(p->vals[i]);
	}
	free(p->keys);
	free(p->vals);
	free(p);
}

static long find(const ks_props_t *p, const char *key, size_t klen)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->keys[i]) == klen && !memcmp(p->keys[i], key, klen))
			return (long)i;
	return -1;
}

int ks_props_setn(ks_props_t *p, const char *key, size_t klen, const char *value, size_t vlen)
{
	long i = find(p, key, klen);
	char *v = strndup(value, vlen);

	if (!v)
		return -1;
	if (i >= 0) {
		free(p->vals[i]);
		p->vals[i] = v;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **k = realloc(p->keys, cap * sizeof(*k));
		if (!k)
			goto fail;
		p->keys = k;
		k = realloc(p->vals, cap * sizeof(*k));
		if (!k)
			goto fail;
		p->vals = k;
		p->cap = cap;
	}
	p->keys[p->n] = strndup(key, klen);
	if (!p->keys[p->n])
		goto fail;
	p->vals[p->n++] = v;
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
