/* SPDX-License-Identifier: Apache-2.0 */
/* Matrix work: 160x160 double matrix multiply (i-k-j order) on the heap,
 * then an integer checksum of the result. */
#include <stdlib.h>

#include "bench.h"

#define N 160

uint32_t run(uint32_t arg)
{
	double *a = malloc(sizeof(double) * N * N);
	double *b = malloc(sizeof(double) * N * N);
	double *c = calloc(N * N, sizeof(double));
	uint32_t sum = 0;

	if (!a || !b || !c)
		return 0;
	for (int i = 0; i < N * N; i++) {
		a[i] = (double)((i * 7 + (int)arg) % 13) - 6.0;
		b[i] = (double)((i * 5 + 3) % 11) * 0.5;
	}
	for (int rep = 0; rep < 10; rep++) {
		for (int i = 0; i < N; i++)
			for (int k = 0; k < N; k++) {
				double aik = a[i * N + k];
				for (int j = 0; j < N; j++)
					c[i * N + j] += aik * b[k * N + j];
			}
	}
	for (int i = 0; i < N * N; i++)
		sum = sum * 31 + (uint32_t)(int64_t)c[i];
	free(a);
	free(b);
	free(c);
	return sum;
}
