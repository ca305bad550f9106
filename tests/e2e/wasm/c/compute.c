/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure compute functions compiled twice: natively into compute_test and with
 * clang --target=wasm32 -nostdlib into compute.wasm. compute_test calls both
 * with the same inputs and demands bit-identical results, so clang's code
 * generation for wasm exercises the engine on real compiler output
 * (br_table from switches, call_indirect from function pointers, i64 and
 * float arithmetic, loops over linear memory).
 */
#include <stdint.h>

#if defined(__wasm__)
#define EXPORT(name) __attribute__((export_name(#name)))
#else
#define EXPORT(name) static
#endif

EXPORT(c_gcd) uint32_t c_gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

EXPORT(c_mulhi) uint64_t c_mulhi(uint64_t a, uint64_t b)
{
	uint64_t al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
	uint64_t mid = ah * bl + ((al * bl) >> 32);
	uint64_t mid2 = al * bh + (mid & 0xffffffff);

	return ah * bh + (mid >> 32) + (mid2 >> 32);
}

EXPORT(c_divmix) int32_t c_divmix(int32_t a, int32_t b)
{
	if (b == 0 || (a == INT32_MIN && b == -1))
		return 0x7eadbeef;
	/* the sum in unsigned arithmetic: no signed overflow on either side */
	return (int32_t)((uint32_t)(a / b) * 31u + (uint32_t)(a % b) - (uint32_t)a / (uint32_t)b);
}

EXPORT(c_bits) uint32_t c_bits(uint32_t x)
{
	return (uint32_t)__builtin_popcount(x) * 1000 + (x ? (uint32_t)__builtin_clz(x) : 32) * 10 +
	       (x ? (uint32_t)__builtin_ctz(x) % 10 : 9) + ((x << 7) | (x >> 25)) * 3u;
}

EXPORT(c_i64mix) int64_t c_i64mix(int64_t a, int64_t b)
{
	/* unsigned arithmetic: no signed overflow, the same on both sides */
	uint64_t r = (uint64_t)a * 6364136223846793005ull + (uint64_t)b;
	r ^= r >> 29;
	if (b != 0 && !(a == INT64_MIN && b == -1))
		r += (uint64_t)(a / b - a % b);
	return (int64_t)(r + (uint64_t)(int64_t)(int8_t)a + (uint64_t)(int64_t)(int16_t)b +
	                 (uint64_t)(int64_t)(int32_t)(a >> 7));
}

EXPORT(c_poly) double c_poly(double x)
{
	/* Horner with a data-dependent branch; all operations exactly rounded */
	double r = 0.0;
	static const double k[] = {1.5, -2.25, 0.125, 3.0, -0.0625, 7.75};

	for (int i = 0; i < 6; i++)
		r = r * x + k[i];
	return r < 0 ? -r / (x * x + 1.0) : r;
}

EXPORT(c_fmix) float c_fmix(float a, float b)
{
	float m = a < b ? a : b;
	return m * 0.5f + (a - b) / 3.0f + __builtin_sqrtf(a * a + b * b);
}

EXPORT(c_f2i) int32_t c_f2i(double x)
{
	/* the in-range checks a C compiler needs before a trapping trunc */
	if (!(x > -2147483649.0 && x < 2147483648.0))
		return x != x ? -1 : (x > 0 ? 0x7fffffff : (int32_t)0x80000000);
	return (int32_t)x / 2 + (int32_t)(float)(x / 4);
}

EXPORT(c_i2f) double c_i2f(int64_t a, uint32_t b)
{
	return (double)a + (double)(uint64_t)a * 0.5 + (float)b + (double)(int32_t)b;
}

static int32_t op_add(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a + (uint32_t)b);
}
static int32_t op_sub(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a - (uint32_t)b);
}
static int32_t op_xor(int32_t a, int32_t b)
{
	return a ^ b;
}
static int32_t op_shl(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a << (b & 31));
}
static int32_t (*const ops[4])(int32_t, int32_t) = {op_add, op_sub, op_xor, op_shl};

EXPORT(c_indirect) int32_t c_indirect(uint32_t sel, int32_t a, int32_t b)
{
	int32_t r = 0;

	for (uint32_t i = 0; i < 8; i++)
		r = ops[(sel >> (2 * i)) & 3](r, (int32_t)((uint32_t)a + i * (uint32_t)b));
	return r;
}

EXPORT(c_switch) uint32_t c_switch(uint32_t x)
{
	uint32_t acc = 0;

	for (int i = 0; i < 8; i++, x >>= 4) {
		switch (x & 15) {
		case 0: acc += 3; break;
		case 1: acc ^= 0x55; break;
		case 2: acc *= 7; break;
		case 3: acc -= 11; break;
		case 4: acc = acc << 3 | acc >> 29; break;
		case 5: acc += x; break;
		case 6: acc = ~acc; break;
		case 7: acc /= 3; break;
		case 9: acc += 1000; break;
		default: acc += (x & 15) * 17;
		}
	}
	return acc;
}

static uint32_t arr[256];

EXPORT(c_sort_sum) uint32_t c_sort_sum(uint32_t seed, uint32_t n)
{
	uint32_t h = 0;

	n = n % 256 + 1;
	for (uint32_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		arr[i] = seed >> 8;
	}
	for (uint32_t i = 1; i < n; i++) { /* insertion sort in linear memory */
		uint32_t v = arr[i], j = i;
		while (j > 0 && arr[j - 1] > v) {
			arr[j] = arr[j - 1];
			j--;
		}
		arr[j] = v;
	}
	for (uint32_t i = 0; i < n; i++)
		h = h * 31 + arr[i];
	return h;
}

EXPORT(c_ackermann) uint32_t c_ackermann(uint32_t m, uint32_t n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return c_ackermann(m - 1, 1);
	return c_ackermann(m - 1, c_ackermann(m, n - 1));
}
