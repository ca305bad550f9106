/* SPDX-License-Identifier: Apache-2.0 */
/* Example: an HTTPS client written against TLSSock only (no TLS library
 * calls).  Fetches a URL and writes the response body to stdout.
 *
 *   https_get https://host[:port]/path [CA_FILE]
 *
 * Without CA_FILE the system trust store is used.  Exit status: 0 for an
 * HTTP 200 answer, 1 for another status, 2 for a connection or TLS error
 * (the reason TLSSock gives is printed). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/tlssock.h>

struct url {
	char host[256];
	char port[8];
	char path[1024];
};

static int parse_url(const char *s, struct url *u)
{
	const char *h, *slash, *colon;
	size_t hl;

	if (strncmp(s, "https://", 8) != 0)
		return -1;
	h = s + 8;
	slash = strchr(h, '/');
	if (!slash)
		slash = h + strlen(h);
	colon = memchr(h, ':', (size_t)(slash - h));
	hl = (size_t)((colon ? colon : slash) - h);
	if (hl == 0 || hl >= sizeof(u->host))
		return -1;
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	snprintf(u->port, sizeof(u->port), "%.*s", colon ? (int)(slash - colon - 1) : 3,
	         colon ? colon + 1 : "443");
	snprintf(u->path, sizeof(u->path), "%s", *slash ? slash : "/");
	return 0;
}

static int tls_fail(int fd, const char *what)
{
	char reason[256] = "";
	int e = errno;

	if (fd >= 0)
		tlssock_strerror(fd, reason, sizeof(reason));
	fprintf(stderr, "https_get: %s: %s%s%s\n", what, strerror(e), *reason ? ": " : "", reason);
	if (fd >= 0)
		tlssock_close(fd);
	return 2;
}

/* Opens a verified TLS connection to u; returns the fd or -1. */
static int open_tls(const struct url *u, const char *ca)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL, *a;
	int fd = -1;

	if (getaddrinfo(u->host, u->port, &hints, &ai) != 0) {
		fprintf(stderr, "https_get: cannot resolve %s\n", u->host);
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		fd = tlssock_socket(a->ai_family, SOCK_STREAM, IPPROTO_TLS);
		if (fd < 0)
			continue;
		/* The host name is both SNI and what the certificate must match. */
		if (tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, u->host,
		                       (socklen_t)strlen(u->host)) != 0 ||
		    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_ALPN, "http/1.1", 8) != 0 ||
		    (ca && tlssock_setsockopt(fd, IPPROTO_TLS, TLS_TRUST_FILE, ca,
		                              (socklen_t)strlen(ca)) != 0)) {
			tls_fail(fd, "setsockopt");
			fd = -1;
			break;
		}
		if (tlssock_connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		tls_fail(fd, "connect");
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int main(int argc, char **argv)
{
	static char resp[1 << 20];
	char req[1400];
	struct url u;
	size_t used = 0;
	ssize_t n;
	char *body;
	int fd, status = 0;

	if (argc < 2 || parse_url(argv[1], &u) != 0) {
		fprintf(stderr, "usage: https_get https://host[:port]/path [CA_FILE]\n");
		return 2;
	}
	fd = open_tls(&u, argc > 2 ? argv[2] : NULL);
	if (fd < 0)
		return 2;
	snprintf(req, sizeof(req),
	         "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlssock-example\r\n"
	         "Connection: close\r\n\r\n",
	         u.path, u.host);
	if (tlssock_write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return tls_fail(fd, "write");
	while (used < sizeof(resp) - 1 &&
	       (n = tlssock_read(fd, resp + used, sizeof(resp) - 1 - used)) > 0)
		used += (size_t)n;
	if (n < 0 && used == 0)
		return tls_fail(fd, "read");
	resp[used] = '\0';
	tlssock_close(fd);
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "https_get: not an HTTP response\n");
		return 2;
	}
	body = strstr(resp, "\r\n\r\n");
	if (body)
		fwrite(body + 4, 1, used - (size_t)(body + 4 - resp), stdout);
	return status == 200 ? 0 : 1;
}
