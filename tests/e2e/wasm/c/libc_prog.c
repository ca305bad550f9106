/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A C program that leans on libc, built with clang --target=wasm32-wasi
 * against Debian's wasi-libc (a reactor: no WASI calls are needed, so it
 * runs on the bare engine) and natively into libc_test. run(seed) uses
 * malloc/realloc/free, qsort, snprintf (integers, strings, hex, %f
 * rounding), strtoul/strtoull, string functions, memmove and sqrt/floor,
 * and returns a hash of everything it produced; both builds must agree.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__wasm__)
#define EXPORT __attribute__((export_name("run")))
uint32_t run(uint32_t seed) EXPORT;
#else
static uint32_t run(uint32_t seed);
#endif

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

uint32_t run(uint32_t seed)
{
	uint32_t h = 2166136261u, x = seed * 2654435761u + 1;
	size_t n = 300, cap = 4, len = 0;
	char **words = malloc(n * sizeof(*words));
	char *text = malloc(cap), buf[128];

	if (!words || !text)
		return 0;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		double d = (double)(int32_t)x / 977.0;
		int k = snprintf(buf, sizeof(buf), "%u:%x:%.3f:%s:%-5d|%e", x >> 3, x, d,
		                 i % 2 ? "odd" : "even", (int)(x % 1000) - 500,
		                 sqrt(fabs(d)) + floor(d));
		words[i] = malloc((size_t)k + 1);
		if (!words[i])
			return 0;
		memcpy(words[i], buf, (size_t)k + 1);
		while (len + (size_t)k + 1 > cap) { /* grow with realloc */
			char *t = realloc(text, cap * 2);
			if (!t)
				return 0;
			text = t;
			cap *= 2;
		}
		memcpy(text + len, buf, (size_t)k);
		len += (size_t)k;
		text[len++] = '\n';
	}
	qsort(words, n, sizeof(*words), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *end;
		unsigned long long v = strtoull(words[i], &end, 10);
		unsigned long w = strtoul(end + 1, NULL, 16); /* fits 32 bits */
		h = fnv(h, words[i], strlen(words[i]));
		h ^= (uint32_t)v + (uint32_t)w + (uint32_t)(strchr(words[i], '.') - words[i]);
		free(words[i]);
	}
	memmove(text + 1, text, len / 2);
	h = fnv(h, text, len);
	h ^= (uint32_t)len;
	free(words);
	free(text);
	return h;
}

#if !defined(__wasm__)
/* compiled natively inside libc_test.c */
static uint32_t native_run(uint32_t seed)
{
	return run(seed);
}
#endif
