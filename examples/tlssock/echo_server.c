/* SPDX-License-Identifier: Apache-2.0 */
/* Example: a TLS echo server written against TLSSock only.  One thread,
 * non-blocking sockets and a poll() loop, the way an event-driven server is
 * written with plain TCP: the handshake of each client runs inside its
 * first read, and tlssock_poll() also wakes for data TLSSock has already
 * decrypted.
 *
 *   echo_server PORT CERT_CHAIN KEY [CLIENTS]
 *
 * Prints "listening on PORT" once ready; exits after CLIENTS clients have
 * come and gone (default: runs forever). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/tlssock.h>

#define MAX_FDS 64

static int listen_tls(int port, const char *cert, const char *key)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1;
	int fd = tlssock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS);

	if (fd < 0 || tlssock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_CERT_CHAIN_FILE, cert,
	                       (socklen_t)strlen(cert)) != 0 ||
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PRIVATE_KEY_FILE, key,
	                       (socklen_t)strlen(key)) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("echo_server: listen");
		exit(1);
	}
	printf("listening on %u\n", ntohs(a.sin_port));
	fflush(stdout);
	return fd;
}

/* Echoes what is readable on fd; returns -1 when the client is done. */
static int echo(int fd)
{
	char buf[16384];

	for (;;) {
		ssize_t n = tlssock_read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EAGAIN)
			return 0; /* handshake or data still on its way */
		if (n <= 0) {
			if (n < 0) {
				char why[256];

				tlssock_strerror(fd, why, sizeof(why));
				fprintf(stderr, "echo_server: client dropped: %s (%s)\n",
				        strerror(errno), why);
			}
			return -1;
		}
		/* Small answers on loopback: a blocking-style retry is enough. */
		for (ssize_t off = 0; off < n;) {
			ssize_t w = tlssock_write(fd, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};

				tlssock_poll(&p, 1, 1000);
				continue;
			}
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

int main(int argc, char **argv)
{
	struct pollfd fds[MAX_FDS];
	int n = 1, served = 0, max_clients;

	if (argc < 4) {
		fprintf(stderr, "usage: echo_server PORT CERT_CHAIN KEY [CLIENTS]\n");
		return 2;
	}
	max_clients = argc > 4 ? (int)strtol(argv[4], NULL, 10) : -1;
	fds[0] = (struct pollfd){.fd = listen_tls((int)strtol(argv[1], NULL, 10), argv[2], argv[3]),
	                         .events = POLLIN};
	while (max_clients < 0 || served < max_clients) {
		if (tlssock_poll(fds, (nfds_t)n, -1) < 0 && errno != EINTR)
			return 1;
		if ((fds[0].revents & POLLIN) && n < MAX_FDS) {
			int c = tlssock_accept4(fds[0].fd, NULL, NULL, SOCK_NONBLOCK);

			if (c >= 0)
				fds[n++] = (struct pollfd){.fd = c, .events = POLLIN};
		}
		for (int i = 1; i < n; i++) {
			if (!fds[i].revents || echo(fds[i].fd) == 0)
				continue;
			tlssock_close(fds[i].fd);
			fds[i--] = fds[--n];
			served++;
		}
	}
	tlssock_close(fds[0].fd);
	return 0;
}
