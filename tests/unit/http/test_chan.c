/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the privilege-separation channel: exact sizes, ranges,
 * truncated and oversized datagrams, unknown types, descriptor rules, fail
 * closed, and a forked child answering over the channel. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/chan.h"
#include "lib/err.h"

enum { T_PING = 1, T_NAME = 2, T_FILE = 3 };

struct ping {
	uint64_t seq;
};

static const struct chan_type types[] = {
    {T_PING, "ping", sizeof(struct ping), sizeof(struct ping), false},
    {T_NAME, "name", 1, 64, false},
    {T_FILE, "file", 0, 0, true},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

struct pair {
	struct chan *a, *b;
};

static int setup(void **state)
{
	static struct pair p;

	if (chan_pair(types, NTYPES, &p.a, &p.b) != 0)
		return -1;
	*state = &p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	chan_free(p->a);
	chan_free(p->b);
	return 0;
}

/* Sends raw bytes (header built by hand) past chan_send's own checks. */
static void raw_send(struct chan *c, uint32_t type, uint32_t len, uint32_t flags,
                     const void *payload, size_t n)
{
	uint8_t buf[512];
	uint32_t hdr[4] = {type, len, 7, flags};

	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, n);
	assert_int_equal(send(chan_fd(c), buf, sizeof(hdr) + n, 0), (ssize_t)(sizeof(hdr) + n));
}

static void test_fixed_roundtrip(void **state)
{
	struct pair *p = *state;
	struct ping in = {42}, out;
	struct chan_msg m;

	assert_int_equal(chan_send(p->a, T_PING, 9, &in, sizeof(in), -1), 0);
	assert_int_equal(chan_recv(p->b, &m), 0);
	assert_int_equal(m.type, T_PING);
	assert_int_equal(m.id, 9);
	assert_int_equal(m.len, sizeof(in));
	assert_int_equal(m.fd, -1);
	memcpy(&out, m.data, sizeof(out));
	assert_int_equal(out.seq, 42);
}

static void test_range_roundtrip(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	assert_int_equal(chan_send(p->a, T_NAME, 1, "keep-1", 6, -1), 0);
	assert_int_equal(chan_recv(p->b, &m), 0);
	assert_int_equal(m.len, 6);
	assert_memory_equal(m.data, "keep-1", 6);
}

static void test_send_refuses_bad_sizes(void **state)
{
	struct pair *p = *state;
	char big[65] = {0};

	assert_int_equal(chan_send(p->a, T_PING, 0, big, 7, -1), ENARX_E_INVAL);
	assert_int_equal(chan_send(p->a, T_NAME, 0, big, 0, -1), ENARX_E_INVAL);
	assert_int_equal(chan_send(p->a, T_NAME, 0, big, 65, -1), ENARX_E_INVAL);
	assert_int_equal(chan_send(p->a, 99, 0, big, 1, -1), ENARX_E_INVAL);
	assert_int_equal(chan_send(p->a, T_FILE, 0, NULL, 0, -1), ENARX_E_INVAL);
	assert_int_equal(chan_send(p->a, T_PING, 0, big, 8, 0), ENARX_E_INVAL);
	/* nothing went out, the channel still works */
	assert_int_equal(chan_send(p->a, T_NAME, 0, "x", 1, -1), 0);
}

static void test_wrong_size_fails_closed(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;
	uint8_t six[6] = {0};

	raw_send(p->a, T_PING, 6, 0, six, 6);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "must be exactly 8"));
	/* fail closed: a valid message afterwards is refused too */
	assert_int_equal(chan_send(p->a, T_NAME, 0, "x", 1, -1), 0);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
}

static void test_length_mismatch(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;
	uint8_t eight[8] = {0};

	raw_send(p->a, T_PING, 16, 0, eight, 8); /* header claims more than sent */
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "header says 16"));
}

static void test_short_header(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	assert_int_equal(send(chan_fd(p->a), "abc", 3, 0), 3);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "shorter than"));
}

static void test_oversized_truncated(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;
	uint8_t big[4096];

	memset(big, 'a', sizeof(big));
	assert_int_equal(send(chan_fd(p->a), big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "truncated"));
}

static void test_unknown_type(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	raw_send(p->a, 77, 1, 0, "x", 1);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "unknown message type 77"));
}

static void test_unknown_flags(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	raw_send(p->a, T_NAME, 1, 0x80, "x", 1);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
}

static void test_fd_passing(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;
	int fds[2];
	char got[6] = {0};

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(chan_send(p->a, T_FILE, 3, NULL, 0, fds[1]), 0);
	close(fds[1]);
	assert_int_equal(chan_recv(p->b, &m), 0);
	assert_true(m.fd >= 0);
	assert_true(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(m.fd, "hello", 5), 5);
	close(m.fd);
	assert_int_equal(read(fds[0], got, 5), 5);
	assert_string_equal(got, "hello");
	close(fds[0]);
}

/* Sends a message with a descriptor attached by hand. */
static void raw_send_fd(struct chan *c, uint32_t type, uint32_t flags, const void *pl, uint32_t n,
                        int fd)
{
	uint32_t hdr[4] = {type, n, 0, flags};
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)pl, n}};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = {.msg_iov = iov,
	                     .msg_iovlen = n ? 2 : 1,
	                     .msg_control = cm.b,
	                     .msg_controllen = sizeof(cm.b)};

	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	assert_true(sendmsg(chan_fd(c), &msg, 0) > 0);
}

static void test_unexpected_fd_closed(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;
	int fds[2];
	char b;

	assert_int_equal(pipe(fds), 0);
	raw_send_fd(p->a, T_NAME, CHAN_F_FD, "x", 1, fds[1]);
	close(fds[1]);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "must not carry"));
	/* the stray descriptor was closed: the pipe's write side is gone */
	assert_int_equal(read(fds[0], &b, 1), 0);
	close(fds[0]);
}

static void test_missing_fd(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	raw_send(p->a, T_FILE, 0, CHAN_F_FD, "", 0);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_MSG);
	assert_non_null(strstr(chan_error(p->b), "needs a descriptor"));
}

static void test_peer_closed(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	chan_free(p->a);
	p->a = NULL;
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_CHAN_CLOSED);
	assert_int_equal(chan_send(p->b, T_NAME, 0, "x", 1, -1), ENARX_E_CHAN_CLOSED);
}

static void test_nonblocking_again(void **state)
{
	struct pair *p = *state;
	struct chan_msg m;

	fcntl(chan_fd(p->b), F_SETFL, O_NONBLOCK);
	assert_int_equal(chan_recv(p->b, &m), ENARX_E_AGAIN);
	assert_int_equal(chan_send(p->a, T_NAME, 0, "y", 1, -1), 0);
	assert_int_equal(chan_recv(p->b, &m), 0);
}

/* The child doubles ping.seq and reports how many fds it has open. */
static int child_main(struct chan *c, void *arg)
{
	struct chan_msg m;
	struct ping pg;
	int open_fds = 0;

	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			open_fds++;
	while (chan_recv(c, &m) == 0) {
		memcpy(&pg, m.data, sizeof(pg));
		pg.seq = pg.seq * 2 + (uint64_t)open_fds * 1000000;
		if (chan_send(c, T_PING, m.id, &pg, sizeof(pg), -1) != 0)
			return 1;
	}
	return 0;
}

static void test_fork_child(void **state)
{
	struct chan *c;
	struct chan_msg m;
	struct ping pg = {21};
	pid_t pid;
	int status, extra = open("/dev/null", O_RDONLY); /* must not reach the child */
	struct chan_child child = {"test-child", types, NTYPES, NULL, 0, child_main, NULL};

	(void)state;
	assert_true(extra > 2);
	assert_int_equal(chan_fork(&child, &c, &pid), 0);
	assert_int_equal(chan_send(c, T_PING, 5, &pg, sizeof(pg), -1), 0);
	assert_int_equal(chan_recv(c, &m), 0);
	assert_int_equal(m.id, 5);
	memcpy(&pg, m.data, sizeof(pg));
	/* 42, and the child had exactly 0-2 plus its channel end open */
	assert_int_equal(pg.seq % 1000000, 42);
	assert_int_equal(pg.seq / 1000000, 4);
	chan_free(c); /* the child sees the end and exits 0 */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(extra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fixed_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_refuses_bad_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_size_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_length_mismatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unexpected_fd_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonblocking_again, setup, teardown),
	    cmocka_unit_test(test_fork_child),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
