// SPDX-License-Identifier: Apache-2.0
// TCP echo server on a `listen` socket from Enarx.toml. It finds the socket
// by name in FD_NAMES (default name "echo"), accepts connections one at a
// time, echoes every byte back until the peer closes, and exits after the
// number of connections given as first argument (default: serve forever).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

static int find_fd(const char *want)
{
	const char *names = getenv("FD_NAMES");
	int fd = 0;

	if (!names)
		return -1;
	for (const char *p = names; *p; fd++) {
		size_t n = strcspn(p, ":");

		if (n == strlen(want) && strncmp(p, want, n) == 0)
			return fd;
		p += n;
		if (*p == ':')
			p++;
	}
	return -1;
}

static void serve(int conn)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(conn, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = send(conn, buf + off, (size_t)(n - off), 0);

			if (w <= 0)
				return;
			off += w;
		}
	}
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : -1;
	const char *name = argc > 2 ? argv[2] : "echo";
	int lfd = find_fd(name);

	if (lfd < 0) {
		fprintf(stderr, "echo_server: no socket named %s in FD_NAMES\n", name);
		return 1;
	}
	printf("echo_server: listening on fd %d\n", lfd);
	fflush(stdout);
	for (long i = 0; count < 0 || i < count; i++) {
		__wasi_fd_t conn;
		__wasi_errno_t e = __wasi_sock_accept((__wasi_fd_t)lfd, 0, &conn);

		if (e != 0) {
			fprintf(stderr, "echo_server: accept: error %d\n", e);
			return 1;
		}
		serve((int)conn);
		shutdown((int)conn, SHUT_RDWR);
		close((int)conn);
	}
	return 0;
}
