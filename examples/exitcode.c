// SPDX-License-Identifier: Apache-2.0
// Exits with the code given as first argument (default 42), through exit()
// (WASI proc_exit).
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long code = 42;

	if (argc > 1)
		code = strtol(argv[1], NULL, 10);
	printf("exiting with %ld\n", code);
	fflush(stdout);
	exit((int)code);
}
