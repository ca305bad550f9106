/* SPDX-License-Identifier: Apache-2.0 */
/* Integer calls: naive recursive Fibonacci (call/return and branch heavy). */
#include "bench.h"

static uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

uint32_t run(uint32_t arg)
{
	return fib(34 + arg);
}
