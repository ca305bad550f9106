/* SPDX-License-Identifier: Apache-2.0 */
/* The hello-world workload timed end to end (wasm32-wasi and native). */
#include <stdio.h>

int main(void)
{
	printf("Hello, world!\n");
	return 0;
}
