/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numeric helpers with the spec's exact semantics (rotations, the engine's
 * NaN-payload rule, min/max, saturating truncation), shared by the
 * interpreter (interp.c) and the compiled code's runtime (jit_rt.c) so both
 * give bit-identical results.
 */
#ifndef ENARX_WASM_NUMERIC_H
#define ENARX_WASM_NUMERIC_H

#include <stdint.h>

#include "wasm/wasm_int.h"

static inline uint32_t rotl32(uint32_t x, uint32_t k)
{
	k &= 31;
	return (x << k) | (x >> ((32 - k) & 31));
}

static inline uint32_t rotr32(uint32_t x, uint32_t k)
{
	k &= 31;
	return (x >> k) | (x << ((32 - k) & 31));
}

static inline uint64_t rotl64(uint64_t x, uint64_t k)
{
	k &= 63;
	return (x << k) | (x >> ((64 - k) & 63));
}

static inline uint64_t rotr64(uint64_t x, uint64_t k)
{
	k &= 63;
	return (x >> k) | (x << ((64 - k) & 63));
}

/*
 * NaN results with the same bits whichever handler computes them: with two
 * NaN operands x86 keeps the payload of the one in the destination register,
 * which the C compiler picks per handler, so plain and fused code could
 * disagree. Rule: the first NaN operand, quieted; else the second; else (a
 * NaN made from numbers, like inf - inf) the hardware's default NaN. The
 * spec allows any of these; fixing one keeps every mode bit-identical.
 */
__attribute__((noinline, cold, unused)) static double nan64(double a, double b, double r)
{
	union {
		double f;
		uint64_t u;
	} x = {a}, y = {b};
	if (a != a) {
		x.u |= 0x0008000000000000ull;
		return x.f;
	}
	if (b != b) {
		y.u |= 0x0008000000000000ull;
		return y.f;
	}
	return r;
}

__attribute__((noinline, cold, unused)) static float nan32(float a, float b, float r)
{
	union {
		float f;
		uint32_t u;
	} x = {a}, y = {b};
	if (a != a) {
		x.u |= 0x00400000u;
		return x.f;
	}
	if (b != b) {
		y.u |= 0x00400000u;
		return y.f;
	}
	return r;
}

/* a OP b for f64/f32 with the NaN rule above (one predictable branch). */
#define FOP64(a, o, b)                                        \
	({                                                    \
		double fa_ = (a), fb_ = (b), fr_ = fa_ o fb_; \
		if (UNLIKELY(fr_ != fr_))                     \
			fr_ = nan64(fa_, fb_, fr_);           \
		fr_;                                          \
	})
#define FOP32(a, o, b)                                       \
	({                                                   \
		float fa_ = (a), fb_ = (b), fr_ = fa_ o fb_; \
		if (UNLIKELY(fr_ != fr_))                    \
			fr_ = nan32(fa_, fb_, fr_);          \
		fr_;                                         \
	})

/* min/max: NaN if either is NaN; -0 < +0. */
static inline float fmin32(float a, float b)
{
	if (a != a || b != b)
		return nan32(a, b, a);
	if (a == b) {
		union {
			float f;
			uint32_t u;
		} x = {a}, y = {b};
		x.u |= y.u;
		return x.f;
	}
	return a < b ? a : b;
}

static inline float fmax32(float a, float b)
{
	if (a != a || b != b)
		return nan32(a, b, a);
	if (a == b) {
		union {
			float f;
			uint32_t u;
		} x = {a}, y = {b};
		x.u &= y.u;
		return x.f;
	}
	return a > b ? a : b;
}

static inline double fmin64(double a, double b)
{
	if (a != a || b != b)
		return nan64(a, b, a);
	if (a == b) {
		union {
			double f;
			uint64_t u;
		} x = {a}, y = {b};
		x.u |= y.u;
		return x.f;
	}
	return a < b ? a : b;
}

static inline double fmax64(double a, double b)
{
	if (a != a || b != b)
		return nan64(a, b, a);
	if (a == b) {
		union {
			double f;
			uint64_t u;
		} x = {a}, y = {b};
		x.u &= y.u;
		return x.f;
	}
	return a > b ? a : b;
}

static inline int32_t sat_i32_f64(double x)
{
	if (x != x)
		return 0;
	if (x <= -2147483648.0)
		return INT32_MIN;
	if (x >= 2147483647.0)
		return INT32_MAX;
	return (int32_t)x;
}

static inline uint32_t sat_u32_f64(double x)
{
	if (x != x || x <= 0)
		return 0;
	if (x >= 4294967295.0)
		return UINT32_MAX;
	return (uint32_t)x;
}

static inline int64_t sat_i64_f64(double x)
{
	if (x != x)
		return 0;
	if (x <= -9223372036854775808.0)
		return INT64_MIN;
	if (x >= 9223372036854775808.0)
		return INT64_MAX;
	return (int64_t)x;
}

static inline uint64_t sat_u64_f64(double x)
{
	if (x != x || x <= 0)
		return 0;
	if (x >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)x;
}

#endif
