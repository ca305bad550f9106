/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP relay end to end in one process: a "Keep" thread (thread backend
 * below) calls the executor's exec_http() on its keep-protocol socket; a
 * real keep_session with the libcurl relay (keep/relay.h) answers it from a
 * loopback HTTP server run by the test. Checks the exchange, the refusals
 * (plain http, other schemes, no relay), the size cap and the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/backend.h"
#include "exec/relay.h"
#include "keep/relay.h"
#include "keep/session.h"
#include "lib/buf.h"
#include "lib/err.h"

/* ---- the Keep: a thread running exec_http --------------------------------- */

struct keep_req {
	const char *method, *url, *ctype, *accept, *body;
};

static struct keep_req next_req;
static struct exec_http_resp got;
static int got_rc;
static char got_err[512];

struct backend_keep {
	pthread_t t;
	int fd, efd;
	struct keep_req req;
};

static void *keep_main(void *arg)
{
	struct backend_keep *k = arg;
	uint64_t one = 1;

	got_rc =
	    exec_http(k->fd, k->req.method, k->req.url, k->req.ctype, k->req.accept, k->req.body,
	              k->req.body ? strlen(k->req.body) : 0, &got, got_err, sizeof(got_err));
	close(k->fd);
	if (write(k->efd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

static int t_start(const struct keep_launch *l, struct backend_keep **out)
{
	struct backend_keep *k = calloc(1, sizeof(*k));

	k->req = next_req;
	k->fd = dup(l->keep_fd);
	k->efd = eventfd(0, EFD_CLOEXEC);
	pthread_create(&k->t, NULL, keep_main, k);
	*out = k;
	return 0;
}

static int t_fd(const struct backend_keep *k)
{
	return k->efd;
}

static int t_wait(struct backend_keep *k, int *status)
{
	pthread_join(k->t, NULL);
	k->t = 0;
	*status = 0;
	return 0;
}

static int t_kill(struct backend_keep *k)
{
	(void)k;
	return 0;
}

static void t_free(struct backend_keep *k)
{
	if (!k)
		return;
	if (k->t)
		pthread_join(k->t, NULL);
	close(k->efd);
	free(k);
}

static const struct backend thread_backend = {
    .name = "thread", .start = t_start, .fd = t_fd, .wait = t_wait, .kill = t_kill, .free = t_free};

/* ---- a loopback HTTP server answering one request -------------------------- */

enum srv_mode { SRV_ECHO, SRV_BIG, SRV_SILENT };

struct srv {
	int lfd, port;
	enum srv_mode mode;
	pthread_t t;
	char seen[4096]; /* the request head and body */
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	int c = accept(s->lfd, NULL, NULL);
	size_t n = 0;
	ssize_t r;
	char head[512];

	if (c < 0)
		return NULL;
	/* read until the head and a body of Content-Length are in */
	while (n < sizeof(s->seen) - 1 && (r = read(c, s->seen + n, sizeof(s->seen) - 1 - n)) > 0) {
		char *end, *cl;

		n += (size_t)r;
		s->seen[n] = 0;
		end = strstr(s->seen, "\r\n\r\n");
		cl = strcasestr(s->seen, "Content-Length: ");
		if (end && (!cl || (size_t)(s->seen + n - (end + 4)) >= strtoul(cl + 16, NULL, 10)))
			break;
	}
	if (s->mode == SRV_SILENT) {
		sleep(3);
	} else if (s->mode == SRV_BIG) {
		static char blob[1 << 16];
		size_t total = (2u << 20), sent = 0;

		memset(blob, 'x', sizeof(blob));
		snprintf(head, sizeof(head),
		         "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
		         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		         total);
		if (write(c, head, strlen(head)) < 0)
			goto out;
		while (sent < total && (r = write(c, blob, sizeof(blob))) > 0)
			sent += (size_t)r;
	} else {
		snprintf(head, sizeof(head),
		         "HTTP/1.1 201 Created\r\nContent-Type: text/x-echo\r\n"
		         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		         n);
		if (write(c, head, strlen(head)) < 0 || write(c, s->seen, n) < 0)
			goto out;
	}
out:
	close(c);
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	pthread_create(&s->t, NULL, srv_main, s);
}

static void srv_stop(struct srv *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	close(s->lfd);
	pthread_join(s->t, NULL);
}

/* ---- one session ------------------------------------------------------------ */

static void run(const struct keep_http_relay *relay, const struct keep_req *q)
{
	struct keep_session_opts so = {.backend = &thread_backend, .relay = relay};
	struct keep_session *s;

	next_req = *q;
	exec_http_resp_clear(&got);
	got_err[0] = 0;
	assert_int_equal(keep_session_new(&so, &s), 0);
	assert_int_equal(keep_session_start(s), 0);
	assert_int_equal(keep_session_wait(s), 0);
	keep_session_free(s);
}

static void test_exchange(void **state)
{
	struct keep_relay_curl rc;
	struct srv s;
	char url[128];

	(void)state;
	srv_start(&s, SRV_ECHO);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/thing", s.port);
	keep_relay_curl_init(&rc);
	rc.allow_loopback_http = 1;
	run(&rc.base, &(struct keep_req){"POST", url, "application/pkcs10",
	                                 "application/pem-certificate-chain", "csr-bytes"});
	srv_stop(&s);
	assert_int_equal(got_rc, 0);
	assert_int_equal(got.status, 201);
	assert_string_equal(got.ctype, "text/x-echo");
	/* what the server saw is what the Keep asked */
	assert_non_null(strstr((char *)got.body, "POST /v1/thing HTTP/1.1"));
	assert_non_null(strstr((char *)got.body, "Content-Type: application/pkcs10"));
	assert_non_null(strstr((char *)got.body, "Accept: application/pem-certificate-chain"));
	assert_non_null(strstr((char *)got.body, "\r\n\r\ncsr-bytes"));
	exec_http_resp_clear(&got);
}

static void test_plain_http_refused(void **state)
{
	struct keep_relay_curl rc;
	struct srv s;
	char url[128];

	(void)state;
	srv_start(&s, SRV_ECHO);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	keep_relay_curl_init(&rc); /* https only */
	run(&rc.base, &(struct keep_req){"GET", url, NULL, NULL, NULL});
	assert_int_equal(got_rc, ENARX_E_IO);
	assert_non_null(strstr(got_err, "plain http to 127.0.0.1 refused"));
	/* with the loopback flag, still not to another host */
	rc.allow_loopback_http = 1;
	run(&rc.base, &(struct keep_req){"GET", "http://192.0.2.1/", NULL, NULL, NULL});
	assert_int_equal(got_rc, ENARX_E_IO);
	assert_non_null(strstr(got_err, "plain http to 192.0.2.1 refused"));
	/* nor another scheme, which the Keep's own encoder already refuses */
	run(&rc.base, &(struct keep_req){"GET", "ftp://127.0.0.1/", NULL, NULL, NULL});
	assert_int_equal(got_rc, ENARX_E_IO);
	assert_non_null(strstr(got_err, "not sendable"));
	/* unblock the server, which no request reached */
	rc.allow_loopback_http = 1;
	run(&rc.base, &(struct keep_req){"GET", url, NULL, NULL, NULL});
	assert_int_equal(got.status, 201);
	srv_stop(&s);
}

static void test_oversize(void **state)
{
	struct keep_relay_curl rc;
	struct srv s;
	char url[128];

	(void)state;
	srv_start(&s, SRV_BIG);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	keep_relay_curl_init(&rc);
	rc.allow_loopback_http = 1;
	run(&rc.base, &(struct keep_req){"GET", url, NULL, NULL, NULL});
	srv_stop(&s);
	assert_int_equal(got_rc, ENARX_E_IO);
	assert_non_null(strstr(got_err, "answer larger than 1048576 bytes"));
}

static void test_timeout(void **state)
{
	struct keep_relay_curl rc;
	struct srv s;
	char url[128];

	(void)state;
	srv_start(&s, SRV_SILENT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	keep_relay_curl_init(&rc);
	rc.allow_loopback_http = 1;
	rc.timeout_ms = 300;
	run(&rc.base, &(struct keep_req){"GET", url, NULL, NULL, NULL});
	srv_stop(&s);
	assert_int_equal(got_rc, ENARX_E_IO);
	assert_non_null(strstr(got_err, "no answer within 300 ms"));
}

static void test_no_relay(void **state)
{
	(void)state;
	run(NULL, &(struct keep_req){"GET", "https://steward.example/", NULL, NULL, NULL});
	assert_int_equal(got_rc, ENARX_E_IO);
	assert_non_null(strstr(got_err, "this host relays no HTTP requests"));
}

static void test_url_check(void **state)
{
	struct keep_relay_curl rc;
	char err[256];

	(void)state;
	keep_relay_curl_init(&rc);
	assert_int_equal(
	    keep_relay_url_check(&rc, "https://steward.example:8443/", err, sizeof(err)), 0);
	assert_int_equal(keep_relay_url_check(&rc, "http://localhost/", err, sizeof(err)),
	                 ENARX_E_PERM);
	assert_int_equal(keep_relay_url_check(&rc, "file:///etc/passwd", err, sizeof(err)),
	                 ENARX_E_PERM);
	assert_non_null(strstr(err, "scheme file refused"));
	rc.allow_loopback_http = 1;
	assert_int_equal(keep_relay_url_check(&rc, "http://[::1]:80/", err, sizeof(err)), 0);
	assert_int_equal(keep_relay_url_check(&rc, "http://127.0.0.2/", err, sizeof(err)),
	                 ENARX_E_PERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exchange), cmocka_unit_test(test_plain_http_refused),
	    cmocka_unit_test(test_oversize), cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_no_relay), cmocka_unit_test(test_url_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
