// SPDX-License-Identifier: Apache-2.0
// Copies stdin to stdout (echo of stdin) and reports the byte count on
// stderr.
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[4096];
	long total = 0;
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, (size_t)(n - off));

			if (w <= 0) {
				perror("write");
				return 1;
			}
			off += w;
		}
		total += n;
	}
	if (n < 0) {
		perror("read");
		return 1;
	}
	fprintf(stderr, "cat: %ld bytes\n", total);
	return 0;
}
