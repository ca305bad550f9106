/* SPDX-License-Identifier: Apache-2.0 */
/*
 * native_main: times a benchmark program built natively (gcc -O2).
 * usage: NAME RUNS  -> prints "<median ms> <checksum>" of RUNS calls of
 * run(1), the same protocol as wasm_bench and node_bench.js.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "programs/bench.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
	double t[101];
	uint32_t sum = 0;
	volatile uint32_t arg = 1; /* keeps the compiler from folding run() */

	if (runs < 1 || runs > 101)
		runs = 5;
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		uint32_t s = run(arg);
		t[i] = now_ms() - t0;
		if (i && s != sum) {
			fprintf(stderr, "checksum changed between runs\n");
			return 1;
		}
		sum = s;
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	printf("%.3f %u\n", t[runs / 2], sum);
	return 0;
}
