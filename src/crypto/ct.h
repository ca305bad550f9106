/* SPDX-License-Identifier: Apache-2.0 */
/* Constant-time helpers (compare, select) and the ctgrind hook: under
 * valgrind memcheck, secrets are marked undefined, and ct_declassify() marks
 * a value derived from a secret as public where the algorithm publishes it
 * (rho, the public key, the ciphertext). Outside valgrind it costs a few
 * instructions; without valgrind's header it is empty. */
#ifndef ENARX_CRYPTO_CT_H
#define ENARX_CRYPTO_CT_H

#include <stddef.h>
#include <stdint.h>

#if defined(ENARX_HAVE_MEMCHECK_H) && ENARX_HAVE_MEMCHECK_H
#include <valgrind/memcheck.h>
#define ct_declassify(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#define ct_poison(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#else
#define ct_declassify(p, n) ((void)(p), (void)(n))
#define ct_poison(p, n) ((void)(p), (void)(n))
#endif

/* Hides v from the optimiser so that mask arithmetic is not turned back
 * into a branch. */
static inline uint32_t ct_barrier(uint32_t v)
{
	__asm__("" : "+r"(v));
	return v;
}

/* 0xFF..FF if a and b (n bytes each) differ, else 0; no early exit. */
static inline uint8_t ct_neq_mask(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= (uint32_t)(a[i] ^ b[i]);
	/* acc in [0, 255]: (0 - acc) has the top bit set iff acc != 0 */
	acc = ct_barrier(acc);
	return (uint8_t)(0 - ((0 - acc) >> 31));
}

/* dst = mask ? src : dst, byte by byte (mask is 0 or 0xFF). */
static inline void ct_select(uint8_t *dst, const uint8_t *src, size_t n, uint8_t mask)
{
	mask = (uint8_t)ct_barrier(mask);
	for (size_t i = 0; i < n; i++)
		dst[i] ^= (uint8_t)(mask & (dst[i] ^ src[i]));
}

#endif
