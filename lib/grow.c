/*
 * grow.c — doubling growth of plain arrays; see grow.h.
 */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *ks_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : first;
	if (ncap < n + 1 || ncap > SIZE_MAX / elem || !(p = realloc(arr, ncap * elem)))
		return NULL;
	*cap = ncap;
	return p;
}
