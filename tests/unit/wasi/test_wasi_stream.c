/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of embedder streams (wasi_add_stream, the path the Keep's TLS
 * takes) with a toy transform over a socketpair: bytes travel as frames
 * (u32 length, then data), so a partial frame has arrived but is not
 * readable, as a partial TLS record is. Checks fd_read/fd_write,
 * sock_recv (PEEK, WAITALL)/sock_send, the guest's NONBLOCK flag,
 * poll_oneoff asking the stream again when the host fd wakes early,
 * sock_accept on a listener, and that every object is freed once. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasi/wasi.h"
#include "wasi/wasi_int.h"

#define MEMSZ 65536
#define IOV_AT 512
#define OUT_AT 4096
#define BUF_AT 8192
#define SUB_AT 16384
#define EV_AT 20480
#define U(x) ((uint64_t)(x))

struct toy {
	int fd;       /* non-blocking */
	int listener; /* a listener object: accept makes streams */
	uint8_t in[4096];
	size_t in_len; /* raw bytes not yet decoded */
	uint8_t plain[4096];
	size_t plain_len;
};

static int frees;

/* Moves whole frames from in[] to plain[]. */
static void decode(struct toy *t)
{
	for (;;) {
		uint32_t n;

		if (t->in_len < 4)
			return;
		memcpy(&n, t->in, 4);
		if (t->in_len < 4 + n)
			return;
		memcpy(t->plain + t->plain_len, t->in + 4, n);
		t->plain_len += n;
		memmove(t->in, t->in + 4 + n, t->in_len - 4 - n);
		t->in_len -= 4 + n;
	}
}

static void pull(struct toy *t)
{
	ssize_t n = recv(t->fd, t->in + t->in_len, sizeof(t->in) - t->in_len, MSG_DONTWAIT);

	if (n > 0)
		t->in_len += (size_t)n;
	decode(t);
}

static long toy_readv(void *obj, const struct iovec *v, int cnt, int nonblock, int peek)
{
	struct toy *t = obj;
	size_t n;

	(void)cnt;
	pull(t);
	while (!t->plain_len) {
		struct pollfd p = {.fd = t->fd, .events = POLLIN};

		if (nonblock)
			return -EAGAIN;
		poll(&p, 1, -1);
		pull(t);
	}
	n = v[0].iov_len < t->plain_len ? v[0].iov_len : t->plain_len;
	memcpy(v[0].iov_base, t->plain, n);
	if (!peek) {
		memmove(t->plain, t->plain + n, t->plain_len - n);
		t->plain_len -= n;
	}
	return (long)n;
}

static long toy_writev(void *obj, const struct iovec *v, int cnt, int nonblock)
{
	struct toy *t = obj;
	uint32_t n = (uint32_t)v[0].iov_len;

	(void)cnt, (void)nonblock;
	if (send(t->fd, &n, 4, 0) != 4 || send(t->fd, v[0].iov_base, n, 0) != (ssize_t)n)
		return -errno;
	return (long)n;
}

static int toy_ready(void *obj, short ev, short *wait, uint64_t *avail)
{
	struct toy *t = obj;

	if (ev == POLLOUT)
		return 1;
	pull(t);
	*avail = t->plain_len;
	*wait = POLLIN;
	return t->plain_len > 0;
}

static int toy_shutdown(void *obj, int how)
{
	return shutdown(((struct toy *)obj)->fd, how) ? -errno : 0;
}

static void *toy_accept(void *obj, int fd)
{
	struct toy *t = calloc(1, sizeof(*t));

	assert_true(((struct toy *)obj)->listener);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK); /* wasi made it non-blocking */
	if (t)
		t->fd = fd;
	return t;
}

static void toy_free(void *obj)
{
	frees++;
	free(obj);
}

static const struct wasi_stream_ops toy_ops = {toy_readv,    toy_writev, toy_ready,
                                               toy_shutdown, toy_accept, toy_free};

struct fx {
	struct wasi *w;
	int peer; /* the other end of fd 0 */
	uint8_t mem[MEMSZ];
};

static uint32_t call(struct fx *f, const char *name, size_t n, ...)
{
	uint64_t a[10];
	uint32_t ret = 0xffff;
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		a[i] = va_arg(ap, uint64_t);
	va_end(ap);
	assert_int_equal(wasi_call(f->w, name, f->mem, MEMSZ, a, n, &ret), 0);
	return ret;
}

static void frame(int fd, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);

	assert_int_equal(send(fd, &n, 4, 0), 4);
	assert_int_equal(send(fd, s, n, 0), (ssize_t)n);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct toy *t = calloc(1, sizeof(*t));
	int sv[2];

	if (!f || !t || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return -1;
	f->w = wasi_new();
	t->fd = sv[0];
	f->peer = sv[1];
	fcntl(f->peer, F_SETFL, 0);
	frees = 0;
	assert_int_equal(wasi_add_stream(f->w, WASI_FD_STREAM, sv[0], &toy_ops, t), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wasi_free(f->w);
	close(f->peer);
	free(f);
	return 0;
}

/* one iovec at IOV_AT for len bytes at BUF_AT */
static void iov(struct fx *f, uint32_t len)
{
	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, len);
}

static void test_read_write_plain(void **state)
{
	struct fx *f = *state;
	uint8_t raw[64];

	memcpy(f->mem + BUF_AT, "hello", 5);
	iov(f, 5);
	assert_int_equal(call(f, "fd_write", 4, U(0), U(IOV_AT), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 5);
	assert_int_equal(recv(f->peer, raw, sizeof(raw), 0), 9); /* framed on the wire */
	assert_memory_equal(raw + 4, "hello", 5);
	frame(f->peer, "world");
	iov(f, 100);
	assert_int_equal(call(f, "fd_read", 4, U(0), U(IOV_AT), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 5);
	assert_memory_equal(f->mem + BUF_AT, "world", 5);
	/* positional I/O on a stream */
	assert_int_equal(call(f, "fd_pread", 5, U(0), U(IOV_AT), U(1), U(0), U(OUT_AT)),
	                 W_ENOTCAPABLE);
}

static void test_sock_recv_peek_waitall_send(void **state)
{
	struct fx *f = *state;
	uint8_t raw[64];

	frame(f->peer, "abc");
	frame(f->peer, "def");
	iov(f, 2);
	assert_int_equal(
	    call(f, "sock_recv", 6, U(0), U(IOV_AT), U(1), U(1), U(OUT_AT), U(OUT_AT + 8)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 2); /* PEEK: still there */
	iov(f, 6);
	assert_int_equal(
	    call(f, "sock_recv", 6, U(0), U(IOV_AT), U(1), U(2), U(OUT_AT), U(OUT_AT + 8)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 6); /* WAITALL: both frames */
	assert_memory_equal(f->mem + BUF_AT, "abcdef", 6);
	memcpy(f->mem + BUF_AT, "xyz", 3);
	iov(f, 3);
	assert_int_equal(call(f, "sock_send", 5, U(0), U(IOV_AT), U(1), U(0), U(OUT_AT)), 0);
	assert_int_equal(recv(f->peer, raw, sizeof(raw), 0), 7);
	assert_int_equal(call(f, "sock_shutdown", 2, U(0), U(2)), 0);
	assert_int_equal(recv(f->peer, raw, sizeof(raw), 0), 0);
}

static void test_nonblock_is_the_guests(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, "fd_fdstat_get", 2, U(0), U(OUT_AT)), 0);
	assert_int_equal(get_u16(f->mem + OUT_AT + 2), 0); /* blocking for the guest */
	assert_int_equal(call(f, "fd_fdstat_set_flags", 2, U(0), U(W_FDF_NONBLOCK)), 0);
	assert_int_equal(call(f, "fd_fdstat_get", 2, U(0), U(OUT_AT)), 0);
	assert_int_equal(get_u16(f->mem + OUT_AT + 2), W_FDF_NONBLOCK);
	iov(f, 10);
	assert_int_equal(call(f, "fd_read", 4, U(0), U(IOV_AT), U(1), U(OUT_AT)), W_EAGAIN);
	/* half a frame: the host fd is readable, the stream is not */
	assert_int_equal(send(f->peer, "\x05\0\0\0he", 6, 0), 6);
	assert_int_equal(call(f, "fd_read", 4, U(0), U(IOV_AT), U(1), U(OUT_AT)), W_EAGAIN);
}

/* subscription i: fd read on 0, or a relative clock of ns */
static void sub_read(struct fx *f, int i, uint64_t ud)
{
	uint8_t *s = f->mem + SUB_AT + 48 * i;

	memset(s, 0, 48);
	put_u64(s, ud);
	s[8] = 1;
	put_u32(s + 16, 0);
}

static void sub_clock(struct fx *f, int i, uint64_t ud, uint64_t ns)
{
	uint8_t *s = f->mem + SUB_AT + 48 * i;

	memset(s, 0, 48);
	put_u64(s, ud);
	s[8] = 0;
	put_u32(s + 16, 1); /* monotonic */
	put_u64(s + 24, ns);
}

static void test_poll_asks_the_stream_again(void **state)
{
	struct fx *f = *state;

	sub_read(f, 0, 11);
	sub_clock(f, 1, 22, 200u * 1000 * 1000);
	/* half a frame wakes the host fd at once, but only the clock fires */
	assert_int_equal(send(f->peer, "\x05\0\0\0he", 6, 0), 6);
	assert_int_equal(call(f, "poll_oneoff", 4, U(SUB_AT), U(EV_AT), U(2), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 1);
	assert_int_equal(get_u64(f->mem + EV_AT), 22);
	/* the rest of the frame: readable, with the decoded byte count */
	assert_int_equal(send(f->peer, "llo", 3, 0), 3);
	assert_int_equal(call(f, "poll_oneoff", 4, U(SUB_AT), U(EV_AT), U(2), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 1);
	assert_int_equal(get_u64(f->mem + EV_AT), 11);
	assert_int_equal(get_u64(f->mem + EV_AT + 16), 5);
}

static void test_accept_and_free(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct toy *l = calloc(1, sizeof(*l));
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	uint32_t nfd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	getsockname(lfd, (struct sockaddr *)&a, &al);
	l->listener = 1;
	l->fd = lfd;
	assert_int_equal(wasi_add_stream(f->w, WASI_FD_LISTEN, lfd, &toy_ops, l), 1);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	/* a listener is polled on its host fd (its object has no ready()) */
	sub_read(f, 0, 5);
	put_u32(f->mem + SUB_AT + 16, 1);
	assert_int_equal(call(f, "poll_oneoff", 4, U(SUB_AT), U(EV_AT), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 1);
	assert_int_equal(call(f, "sock_accept", 3, U(1), U(0), U(OUT_AT)), 0);
	nfd = get_u32(f->mem + OUT_AT);
	frame(c, "via accept");
	iov(f, 100);
	assert_int_equal(call(f, "fd_read", 4, U(nfd), U(IOV_AT), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 10);
	assert_int_equal(call(f, "fd_close", 1, U(nfd)), 0);
	assert_int_equal(frees, 1);
	assert_int_equal(call(f, "fd_close", 1, U(1)), 0); /* the listener */
	assert_int_equal(frees, 2);
	wasi_free(f->w); /* the stream at fd 0 */
	assert_int_equal(frees, 3);
	f->w = wasi_new();
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_write_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sock_recv_peek_waitall_send, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonblock_is_the_guests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_poll_asks_the_stream_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accept_and_free, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
