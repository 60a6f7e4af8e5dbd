/*
 * arena.c — bump allocator (see arena.h). Chunks form a list; a request
 * larger than the chunk size gets a chunk of its own.
 */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct ks_arena {
	struct chunk *head;
	size_t chunk_size;
	size_t used;
};

ks_arena_t *ks_arena_new(size_t chunk_size)
{
	ks_arena_t *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
	return a;
}

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
}

void ks_arena_destroy(ks_arena_t *a)
{
	if (!a)
		return;
	free_chunks(a->head);
	free(a);
}

void ks_arena_reset(ks_arena_t *a)
{
	struct chunk *last;

	if (!a || !a->head)
		return;
	/* keep the oldest (tail) chunk if it has the standard size */
	last = a->head;
	while (last->next)
		last = last->next;
	if (last != a->head) {
		struct chunk *c = a->head;
		while (c->next != last)
			c = c->next;
		c->next = NULL;
		free_chunks(a->head);
	}
	if (last->size != a->chunk_size) {
		free(last);
		a->head = NULL;
	} else {
		last->used = 0;
		a->head = last;
	}
	a->used = 0;
}

void *ks_arena_alloc(ks_arena_t *a, size_t size)
{
	struct chunk *c = a->head;
	size_t need = (size + 15) & ~(size_t)15;

	if (!need)
		need = 16;
	if (!c || c->size - c->used < need) {
		size_t csize = need > a->chunk_size ? need : a->chunk_size;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->used = 0;
		if (csize > a->chunk_size && a->head) {
			/* oversized: put behind the current chunk so it keeps filling */
			c->next = a->head->next;
			a->head->next = c;
			c->used = need;
			a->used += need;
			return c->data;
		}
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	a->used += need;
	return c->data + c->used - need;
}

void *ks_arena_calloc(ks_arena_t *a, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = ks_arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *ks_arena_memdup(ks_arena_t *a, const void *p, size_t len)
{
	char *d = ks_arena_alloc(a, len + 1);

	if (!d)
		return NULL;
	if (len)
		memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

char *ks_arena_strdup(ks_arena_t *a, const char *s)
{
	return ks_arena_memdup(a, s, strlen(s));
}

size_t ks_arena_used(const ks_arena_t *a)
{
	return a->used;
}
