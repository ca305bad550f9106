// SPDX-License-Identifier: Apache-2.0
// Fetches a page over a `connect` socket from Enarx.toml and prints the
// response on stdout. With `prot = "tls"` the Keep has already made the TLS
// session (and checked the server against the entry's trust anchors), so
// this is plain HTTP/1.0 through WASI sockets.
// argv[1]: the socket's name in FD_NAMES (default "upstream"), argv[2]: the
// Host header and argv[3] the path (defaults "localhost" and "/").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int find_fd(const char *want)
{
	const char *names = getenv("FD_NAMES");
	int fd = 0;

	for (const char *p = names ? names : ""; *p; fd++) {
		size_t n = strcspn(p, ":");

		if (n == strlen(want) && strncmp(p, want, n) == 0)
			return fd;
		p += n;
		if (*p == ':')
			p++;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "upstream";
	const char *host = argc > 2 ? argv[2] : "localhost";
	const char *path = argc > 3 ? argv[3] : "/";
	int fd = find_fd(name);
	char req[512], buf[4096];
	ssize_t n;
	int len;

	if (fd < 0) {
		fprintf(stderr, "https_fetch: no socket named %s in FD_NAMES\n", name);
		return 1;
	}
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (send(fd, req, (size_t)len, 0) != len) {
		perror("https_fetch: send");
		return 1;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0) {
		perror("https_fetch: recv");
		return 1;
	}
	return 0;
}
