/* SPDX-License-Identifier: Apache-2.0 */
/* Floating point: Mandelbrot set membership on a 400x400 grid (tight
 * double multiply-add loop with a data-dependent exit). */
#include "bench.h"

uint32_t run(uint32_t arg)
{
	const int w = 400, h = 400, iters = 100 * (int)arg;
	uint32_t inside = 0, total = 0;

	for (int y = 0; y < h; y++) {
		double ci = 2.0 * y / h - 1.0;
		for (int x = 0; x < w; x++) {
			double cr = 2.0 * x / w - 1.5, zr = 0, zi = 0;
			int i = 0;
			while (i < iters && zr * zr + zi * zi <= 4.0) {
				double t = zr * zr - zi * zi + cr;
				zi = 2.0 * zr * zi + ci;
				zr = t;
				i++;
			}
			inside += i == iters;
			total += (uint32_t)i;
		}
	}
	return inside * 1000003u ^ total;
}
