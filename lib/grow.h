/*
 * grow.h — the one way ksink grows a plain C array before appending to it:
 * capacity doubles (from a first size), so n appends cost O(n). For arrays
 * of structs or pointers kept with a count and a capacity; bytes go in a
 * ks_buf_t (buf.h) instead.
 */
#ifndef KS_GROW_H
#define KS_GROW_H

#include "ks.h"

#include <stddef.h>

/*
 * Makes room for one more element in arr (n used of *cap, each elem bytes;
 * first is the capacity of an empty array). Returns the array to use from
 * now on (arr itself when there was room) and updates *cap; NULL when out of
 * memory, arr and *cap untouched (arr is still the caller's to free).
 */
void *ks_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first) KS_WUR;

#endif
