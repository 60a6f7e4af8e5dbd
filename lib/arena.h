/*
 * arena.h — a bump allocator for batch-scoped memory. The records of one
 * batch (their decoded values, copied strings, raw bytes) live in one arena
 * and are released together when the batch is committed: no per-value free,
 * no leaks on error paths. Not thread-safe: one arena per task thread.
 */
#ifndef KS_ARENA_H
#define KS_ARENA_H

#include "ks.h"

#include <stddef.h>

typedef struct ks_arena ks_arena_t;

ks_arena_t *ks_arena_new(size_t chunk_size); /* 0 = default (64 KiB) */
void ks_arena_destroy(ks_arena_t *a);        /* accepts NULL */
/* Frees everything allocated so far but keeps the first chunk for reuse. */
void ks_arena_reset(ks_arena_t *a);
/* 16-byte aligned allocation; NULL on allocation failure. */
void *ks_arena_alloc(ks_arena_t *a, size_t size) KS_WUR;
void *ks_arena_calloc(ks_arena_t *a, size_t n, size_t size) KS_WUR;
/* Copies len bytes and appends a NUL (so strings stay C strings). */
char *ks_arena_memdup(ks_arena_t *a, const void *p, size_t len) KS_WUR;
char *ks_arena_strdup(ks_arena_t *a, const char *s) KS_WUR;
/* Bytes handed out since the last reset (for batch byte limits). */
size_t ks_arena_used(const ks_arena_t *a);

#endif
