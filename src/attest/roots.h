/* SPDX-License-Identifier: Apache-2.0 */
/* Pinned vendor roots (generated into roots.c by gen_roots.sh). */
#ifndef ENARX_ATTEST_ROOTS_H
#define ENARX_ATTEST_ROOTS_H
#include <stddef.h>

typedef struct {
	const unsigned char *der;
	size_t len;
} attest_blob;

typedef struct {
	const char *product;
	attest_blob ark, ask, asvk;
} attest_root_set;

extern const attest_root_set attest_pinned_amd[3];
extern const attest_blob attest_pinned_intel_root;
#endif
