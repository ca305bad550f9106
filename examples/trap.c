// SPDX-License-Identifier: Apache-2.0
// Traps on purpose, a few calls deep, so `enarx run` shows the trap and a
// wasm backtrace with function names. Argument: "unreachable" (default),
// "divide" or "memory".
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static int divide(volatile int a, volatile int b)
{
	return a / b;
}

__attribute__((noinline)) static int poke(volatile uint32_t addr)
{
	return *(volatile int *)(uintptr_t)addr;
}

__attribute__((noinline)) static void inner_fault(const char *how)
{
	if (strcmp(how, "divide") == 0)
		printf("%d\n", divide(1, 0));
	else if (strcmp(how, "memory") == 0)
		printf("%d\n", poke(0xfffffff0u));
	else
		__builtin_trap();
}

__attribute__((noinline)) static void outer_fault(const char *how)
{
	inner_fault(how);
	puts("not reached");
}

int main(int argc, char **argv)
{
	puts("about to trap");
	fflush(stdout);
	outer_fault(argc > 1 ? argv[1] : "unreachable");
	return 0;
}
