// SPDX-License-Identifier: Apache-2.0
/*
 * isatty: prints "isatty 0=A 1=B 2=C" for stdin, stdout and stderr on
 * stderr (stdout may be redirected away). tests/e2e/run/test_isatty.sh
 * checks it against the host's own answer: /dev/null is no terminal, a pty
 * is one.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	fprintf(stderr, "isatty 0=%d 1=%d 2=%d\n", isatty(0), isatty(1), isatty(2));
	return 0;
}
