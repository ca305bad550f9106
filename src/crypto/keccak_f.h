/* SPDX-License-Identifier: Apache-2.0 */
/* Keccak-f[1600] (FIPS 202 section 3) as a template: keccak.c includes this
 * with KF_NAME (the function), KF_ROUND (its round), KF_LANE (a 64-bit lane, or a GCC vector of
 * lanes of independent states), KF_ATTR (e.g. target("avx2")) and KF_ROL.
 * Lanes are a[x + 5y]. Each round reads one state and writes the other
 * (theta, rho and pi gathered per output plane, then chi), two rounds per
 * loop, so lanes stay in registers; loops over the constant tables are
 * unrolled so every rotation count is a constant. Nothing depends on the
 * state's value. */
KF_ATTR static inline void KF_ROUND(const KF_LANE *a, KF_LANE *e, uint64_t rc)
{
	/* rho offsets of lane x + 5y, and the source lane of each pi output */
	static const unsigned char rho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
	                                      25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};
	static const unsigned char src[25] = {0,  6,  12, 18, 24, 3,  9,  10, 16, 22, 1,  7, 13,
	                                      19, 20, 4,  5,  11, 17, 23, 2,  8,  14, 15, 21};
	KF_LANE c[5], d[5], b[5];

#pragma GCC unroll 5
	for (int x = 0; x < 5; x++)
		c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
#pragma GCC unroll 5
	for (int x = 0; x < 5; x++)
		d[x] = c[(x + 4) % 5] ^ KF_ROL(c[(x + 1) % 5], 1);
#pragma GCC unroll 5
	for (int y = 0; y < 5; y++) {
#pragma GCC unroll 5
		for (int x = 0; x < 5; x++) {
			int s = src[x + 5 * y];

			b[x] = KF_ROL(a[s] ^ d[s % 5], rho[s]);
		}
#pragma GCC unroll 5
		for (int x = 0; x < 5; x++)
			e[x + 5 * y] = b[x] ^ (~b[(x + 1) % 5] & b[(x + 2) % 5]);
	}
	e[0] ^= rc;
}

KF_ATTR static void KF_NAME(KF_LANE *a)
{
	KF_LANE e[25];

	for (int r = 0; r < 24; r += 2) {
		KF_ROUND(a, e, keccak_rc[r]);
		KF_ROUND(e, a, keccak_rc[r + 1]);
	}
}
