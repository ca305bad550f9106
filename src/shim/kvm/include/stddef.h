/* SPDX-License-Identifier: Apache-2.0 */
/* Freestanding <stddef.h> for the shim. */
#ifndef SHIM_STDDEF_H
#define SHIM_STDDEF_H
typedef unsigned long size_t;
typedef long ptrdiff_t;
#define NULL ((void *)0)
#define offsetof(t, m) __builtin_offsetof(t, m)
#endif
