/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation wrappers with failure injection for tests; see alloc.h. */
#include "lib/alloc.h"

#include <stdlib.h>
#include <string.h>

static unsigned long fail_at; /* 0 = never fail */
static unsigned long count;

static int should_fail(void)
{
	count++;
	return fail_at != 0 && count >= fail_at;
}

unsigned long alloc_fail_after(unsigned long n)
{
	unsigned long made = count;

	fail_at = n;
	count = 0;
	return made;
}

void *xmalloc(size_t n)
{
	return should_fail() ? NULL : malloc(n ? n : 1);
}

void *xcalloc(size_t nmemb, size_t size)
{
	return should_fail() ? NULL : calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *xrealloc(void *p, size_t n)
{
	return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n))
		return NULL;
	return xrealloc(p, n);
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xmalloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void xfree(void *p)
{
	free(p);
}

void secure_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
	__asm__ __volatile__("" : : "r"(p) : "memory");
}
