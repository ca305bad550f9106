// SPDX-License-Identifier: Apache-2.0
// A small HTTP server for a Keep, written against WASI sockets only. With
// Enarx.toml `prot = "tls"` on its listen socket the Keep terminates TLS, so
// this same code serves HTTPS: it sees plain text. One thread, non-blocking
// sockets and poll() (WASI poll_oneoff), so a slow or silent client never
// holds up the others.
//   GET /          a small HTML page
//   GET /bytes/N   N bytes of 'x' (for throughput measurements)
//   GET /quit      answers, then the server exits 0
// argv[1]: the name of the listen socket in FD_NAMES (default "web").
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

#define MAX_CONN 64
#define REQ_MAX 8192

struct conn {
	int fd;            // -1: free slot
	char req[REQ_MAX]; // request head received so far
	size_t req_len;
	char head[512]; // response head
	size_t head_len, head_off;
	unsigned long long body_left; // body bytes still to send
	const char *body;             // fixed body (page) or NULL: 'x' bytes
	size_t body_off;
	int quit;
};

static const char page[] = "<!DOCTYPE html><html><head><title>Enarx Keep</title></head><body>"
                           "<h1 id=\"keep\">Hello from an Enarx Keep over TLS</h1></body></html>\n";
static char xs[65536];

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

static void drop(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

// A whole request head is in: choose the response.
static void respond(struct conn *c)
{
	const char *status = "200 OK", *type = "text/html";
	char path[256] = "";

	c->body = NULL;
	if (sscanf(c->req, "GET %255s", path) != 1) {
		status = "400 Bad Request";
		c->body = "bad request\n";
	} else if (strncmp(path, "/bytes/", 7) == 0) {
		type = "application/octet-stream";
		c->body_left = strtoull(path + 7, NULL, 10);
	} else if (strcmp(path, "/quit") == 0) {
		c->body = "bye\n";
		c->quit = 1;
	} else if (strcmp(path, "/") == 0) {
		c->body = page;
	} else {
		status = "404 Not Found";
		c->body = "not found\n";
	}
	if (c->body)
		c->body_left = strlen(c->body);
	c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
	                               "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n"
	                               "Connection: close\r\n\r\n",
	                               status, type, c->body_left);
	c->head_off = c->body_off = 0;
}

// Reads what is there; 1 when the head is complete, -1 to drop.
static int on_readable(struct conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->req_len, REQ_MAX - 1 - c->req_len, 0);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0 || (c->req_len += (size_t)n) >= REQ_MAX - 1)
		return -1;
	c->req[c->req_len] = 0;
	if (!strstr(c->req, "\r\n\r\n"))
		return 0;
	respond(c);
	return 1;
}

// Sends what the socket takes; 1 when all is sent, -1 to drop.
static int on_writable(struct conn *c)
{
	while (c->head_off < c->head_len || c->body_left) {
		const char *p;
		size_t len;
		ssize_t n;

		if (c->head_off < c->head_len) {
			p = c->head + c->head_off;
			len = c->head_len - c->head_off;
		} else {
			p = c->body ? c->body + c->body_off : xs;
			len = c->body_left < sizeof(xs) ? (size_t)c->body_left : sizeof(xs);
		}
		n = send(c->fd, p, len, 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (c->head_off < c->head_len) {
			c->head_off += (size_t)n;
		} else {
			c->body_off += (size_t)n;
			c->body_left -= (unsigned long long)n;
		}
	}
	return 1;
}

static void accept_all(int lfd, struct conn *conns)
{
	for (;;) {
		__wasi_fd_t fd;
		int i;

		if (__wasi_sock_accept((__wasi_fd_t)lfd, __WASI_FDFLAGS_NONBLOCK, &fd) != 0)
			return;
		for (i = 0; i < MAX_CONN && conns[i].fd >= 0; i++)
			;
		if (i == MAX_CONN) {
			close((int)fd);
			continue;
		}
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].fd = (int)fd;
	}
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "web";
	int lfd = find_fd(name), quit = 0;
	static struct conn conns[MAX_CONN];
	struct pollfd pf[MAX_CONN + 1];

	if (lfd < 0) {
		fprintf(stderr, "https_server: no socket named %s in FD_NAMES\n", name);
		return 1;
	}
	// the listener too: accept_all() takes connections until none is left
	if (fcntl(lfd, F_SETFL, O_NONBLOCK) != 0) {
		perror("https_server: fcntl");
		return 1;
	}
	memset(xs, 'x', sizeof(xs));
	for (int i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;
	printf("https_server: serving on fd %d\n", lfd);
	fflush(stdout);
	while (!quit) {
		int n = 0, map[MAX_CONN + 1];

		pf[n].fd = lfd;
		pf[n].events = POLLIN;
		map[n++] = -1;
		for (int i = 0; i < MAX_CONN; i++) {
			if (conns[i].fd < 0)
				continue;
			pf[n].fd = conns[i].fd;
			pf[n].events = conns[i].head_len ? POLLOUT : POLLIN;
			map[n++] = i;
		}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			perror("https_server: poll");
			return 1;
		}
		for (int k = 0; k < n; k++) {
			struct conn *c = map[k] < 0 ? NULL : &conns[map[k]];
			int r = 0;

			if (!pf[k].revents)
				continue;
			if (!c) {
				accept_all(lfd, conns);
				continue;
			}
			if (!c->head_len)
				r = on_readable(c);
			if (r >= 0 && c->head_len)
				r = on_writable(c);
			if (r == 1 && c->quit)
				quit = 1;
			if (r != 0)
				drop(c);
		}
	}
	return 0;
}
