/* SPDX-License-Identifier: Apache-2.0 */
/* Sorting: libc qsort (indirect comparator calls) and an own heap sort on
 * 200,000 pseudo-random 32-bit keys each. */
#include <stdlib.h>

#include "bench.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void sift(uint32_t *v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[root] >= v[c])
			return;
		uint32_t t = v[root];
		v[root] = v[c];
		v[c] = t;
		root = c;
	}
}

static void heap_sort(uint32_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift(v, 0, end);
	}
}

static uint32_t check(const uint32_t *v, size_t n)
{
	uint32_t h = 0;

	for (size_t i = 0; i < n; i++) {
		if (i && v[i - 1] > v[i])
			return 0; /* not sorted: a wrong checksum on purpose */
		h = h * 16777619u ^ v[i];
	}
	return h;
}

uint32_t run(uint32_t arg)
{
	const size_t n = 200000;
	uint32_t *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	uint32_t x = arg * 2654435761u, h;

	if (!a || !b)
		return 0;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		a[i] = b[i] = x;
	}
	qsort(a, n, sizeof(*a), cmp_u32);
	heap_sort(b, n);
	h = check(a, n) ^ (check(b, n) * 3);
	free(a);
	free(b);
	return h;
}
