/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation through one table so tests can make the Nth call fail
 * (SQLite's fault simulation). Library code calls xmalloc() and friends;
 * they return NULL on failure like malloc, never abort. */
#ifndef ENARX_LIB_ALLOC_H
#define ENARX_LIB_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* realloc of count*size with overflow check. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
void xfree(void *p);

/* Test hook: allocation number n (1-based, counted from this call) and all
 * after it fail; n = 0 switches failure injection off. Returns the number of
 * allocations made since the previous call. */
unsigned long alloc_fail_after(unsigned long n);

/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void secure_wipe(void *p, size_t n);

#endif
