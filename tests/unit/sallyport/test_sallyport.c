/* SPDX-License-Identifier: Apache-2.0 */
/* Sallyport, both ends, each against a hostile peer: the host side gets
 * blocks with bad offsets, overflowing lengths, forbidden syscalls, foreign
 * descriptors and broken structure; the guest side talks to a host stub that
 * lies (oversized counts, impossible errnos, clobbered headers). The honest
 * paths run real syscalls on pipes, sockets and directories. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/err.h"
#include "sallyport/guest.h"
#include "sallyport/host.h"

/* ---- helpers: build blocks by hand, as a hostile guest would ----------- */

static uint8_t block[SP_BLOCK_SIZE] __attribute__((aligned(8)));

struct hs {
	struct sp_host *h;
	int p[2];   /* a pipe: guest fd 5 = write end, 6 = read end */
	int before; /* an fd number the host has open but the Keep does not own */
};

static int setup_host(void **state)
{
	struct hs *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(sp_host_new(&s->h), 0);
	assert_int_equal(pipe2(s->p, O_CLOEXEC), 0);
	assert_int_equal(sp_host_set_fd(s->h, 5, s->p[1], false), 0);
	assert_int_equal(sp_host_set_fd(s->h, 6, s->p[0], false), 0);
	int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->before = fcntl(dn, F_DUPFD_CLOEXEC, 100);
	close(dn);
	memset(block, 0, sizeof(block));
	*state = s;
	return 0;
}

static int teardown_host(void **state)
{
	struct hs *s = *state;
	sp_host_free(s->h);
	close(s->p[0]);
	close(s->p[1]);
	close(s->before);
	free(s);
	return 0;
}

/* Writes a syscall item at *off; returns a pointer to its payload. */
static uint8_t *put_syscall(size_t *off, uint64_t num, const uint64_t args[6], size_t data_len)
{
	size_t size = sizeof(struct sp_syscall) + ((data_len + 7) & ~(size_t)7);
	struct sp_header h = {.size = size, .kind = SP_ITEM_SYSCALL};
	struct sp_syscall sc = {.num = num};
	memcpy(sc.arg, args, sizeof(sc.arg));
	memcpy(block + *off, &h, sizeof(h));
	memcpy(block + *off + sizeof(h), &sc, sizeof(sc));
	uint8_t *payload = block + *off + sizeof(h);
	*off += sizeof(h) + size;
	return payload;
}

static void put_end(size_t off)
{
	struct sp_header h = {0, SP_ITEM_END};
	memcpy(block + off, &h, sizeof(h));
}

static int64_t ret_of(const uint8_t *payload)
{
	int64_t r;
	memcpy(&r, payload + offsetof(struct sp_syscall, ret), sizeof(r));
	return r;
}

static uint8_t *data_of(uint8_t *payload)
{
	return payload + sizeof(struct sp_syscall);
}

static int64_t one_call(struct hs *s, uint64_t num, const uint64_t a[6], const void *data,
                        size_t dlen, uint8_t **payload_out)
{
	size_t off = 0;
	uint8_t *p = put_syscall(&off, num, a, dlen);
	if (data)
		memcpy(data_of(p), data, dlen);
	put_end(off);
	assert_true(sp_host_handle(s->h, block, sizeof(block)) >= 0);
	if (payload_out)
		*payload_out = p;
	return ret_of(p);
}

/* ---- host: honest requests do real work -------------------------------- */

static void host_write_then_read(void **state)
{
	struct hs *s = *state;
	uint64_t w[6] = {5, 0, 5};
	assert_int_equal(one_call(s, SYS_write, w, "hello", 5, NULL), 5);
	uint8_t *p;
	uint64_t r[6] = {6, 8, 16};
	assert_int_equal(one_call(s, SYS_read, r, NULL, 24, &p), 5);
	assert_memory_equal(data_of(p) + 8, "hello", 5);
}

static void host_several_items_in_order(void **state)
{
	struct hs *s = *state;
	size_t off = 0;
	uint64_t a[6] = {5, 0, 3}, b[6] = {5, 0, 3}, r[6] = {6, 0, 6};
	uint8_t *p1 = put_syscall(&off, SYS_write, a, 3);
	memcpy(data_of(p1), "abc", 3);
	uint8_t *p2 = put_syscall(&off, SYS_write, b, 3);
	memcpy(data_of(p2), "def", 3);
	uint8_t *p3 = put_syscall(&off, SYS_read, r, 6);
	put_end(off);
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), SP_HOST_CONTINUE);
	assert_int_equal(ret_of(p1), 3);
	assert_int_equal(ret_of(p2), 3);
	assert_int_equal(ret_of(p3), 6);
	assert_memory_equal(data_of(p3), "abcdef", 6);
	assert_int_equal(sp_host_items(s->h), 3);
}

static void host_exit_group_stops(void **state)
{
	struct hs *s = *state;
	size_t off = 0;
	uint64_t e[6] = {300}, w[6] = {5, 0, 1};
	put_syscall(&off, SYS_exit_group, e, 0);
	uint8_t *p = put_syscall(&off, SYS_write, w, 1);
	put_end(off);
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), SP_HOST_EXIT);
	assert_int_equal(sp_host_exit_code(s->h), 300 & 0xff);
	assert_int_equal(ret_of(p), 0); /* items after exit are not performed */
}

static void host_poll_translates_fds(void **state)
{
	struct hs *s = *state;
	assert_int_equal(write(s->p[1], "x", 1), 1);
	struct pollfd pf[3] = {
	    {.fd = 6, .events = POLLIN}, {.fd = 77, .events = POLLIN}, {.fd = -1}};
	uint8_t *p;
	uint64_t a[6] = {0, 3, 0};
	assert_int_equal(one_call(s, SYS_poll, a, pf, sizeof(pf), &p), 2);
	memcpy(pf, data_of(p), sizeof(pf));
	assert_true(pf[0].revents & POLLIN);
	assert_int_equal(pf[1].revents, POLLNVAL);
	assert_int_equal(pf[0].fd, 6); /* the guest's numbers, not the host's */
}

static void host_socket_gets_lowest_free_fd(void **state)
{
	struct hs *s = *state;
	uint64_t a[6] = {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0};
	int64_t fd = one_call(s, SYS_socket, a, NULL, 0, NULL);
	assert_int_equal(fd, 0);
	assert_true(sp_host_get_fd(s->h, 0) >= 0);
	uint64_t c[6] = {0};
	assert_int_equal(one_call(s, SYS_close, c, NULL, 0, NULL), 0);
	assert_int_equal(sp_host_get_fd(s->h, 0), -1);
}

static void host_tcp_loopback(void **state)
{
	struct hs *s = *state;
	struct sockaddr_storage ss;
	uint32_t len = sizeof(ss);
	uint64_t sock[6] = {AF_INET, SOCK_STREAM, 0};
	int64_t l = one_call(s, SYS_socket, sock, NULL, 0, NULL);
	assert_true(l >= 0);
	/* bind 127.0.0.1:0, listen, getsockname */
	uint8_t sin[16] = {2, 0, 0, 0, 127, 0, 0, 1};
	uint64_t b[6] = {(uint64_t)l, 0, 16};
	assert_int_equal(one_call(s, SYS_bind, b, sin, 16, NULL), 0);
	uint64_t li[6] = {(uint64_t)l, 4};
	assert_int_equal(one_call(s, SYS_listen, li, NULL, 0, NULL), 0);
	uint8_t buf[8 + 128] = {0};
	memcpy(buf, &len, 4);
	uint64_t g[6] = {(uint64_t)l, 8, 0};
	uint8_t *p;
	assert_int_equal(one_call(s, SYS_getsockname, g, buf, sizeof(buf), &p), 0);
	memcpy(&ss, data_of(p) + 8, sizeof(struct sockaddr_in));
	/* a real client on the host connects */
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	uint64_t ac[6] = {(uint64_t)l, SP_NULL, SP_NULL, SOCK_CLOEXEC};
	int64_t conn = one_call(s, SYS_accept4, ac, NULL, 0, NULL);
	assert_true(conn >= 0 && conn != l);
	assert_int_equal(write(c, "ping", 4), 4);
	uint64_t rf[6] = {(uint64_t)conn, 0, 16, 0, SP_NULL, SP_NULL};
	assert_int_equal(one_call(s, SYS_recvfrom, rf, NULL, 16, &p), 4);
	assert_memory_equal(data_of(p), "ping", 4);
	close(c);
}

static void host_openat_stays_beneath(void **state)
{
	struct hs *s = *state;
	char dir[] = "/tmp/sp-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/f", dir);
	int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	assert_int_equal(write(f, "data", 4), 4);
	close(f);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(sp_host_set_fd(s->h, 9, d, true), 0);
	uint64_t ok[6] = {9, 0, O_RDONLY, 0, 2};
	int64_t fd = one_call(s, SYS_openat, ok, "f", 2, NULL);
	assert_true(fd >= 0);
	uint64_t esc[6] = {9, 0, O_RDONLY, 0, 12};
	assert_true(one_call(s, SYS_openat, esc, "../../etc/p", 12, NULL) < 0);
	uint64_t abs[6] = {9, 0, O_RDONLY, 0, 12};
	assert_true(one_call(s, SYS_openat, abs, "/etc/passwd", 12, NULL) < 0);
	uint64_t cwd[6] = {(uint64_t)AT_FDCWD, 0, O_RDONLY, 0, 2};
	assert_int_equal(one_call(s, SYS_openat, cwd, "f", 2, NULL), -EBADF);
	uint64_t nonul[6] = {9, 0, O_RDONLY, 0, 1};
	assert_int_equal(one_call(s, SYS_openat, nonul, "f", 1, NULL), -EFAULT);
	unlink(path);
	rmdir(dir);
}

/* A directory with a file, a subdirectory and a symlink pointing out; the
 * Keep sees it as guest fd 9. */
struct box {
	char dir[32], secret[48];
};

static void make_box(struct hs *s, struct box *b)
{
	char p[96];
	snprintf(b->dir, sizeof(b->dir), "/tmp/sp-box-XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	snprintf(b->secret, sizeof(b->secret), "%s.secret", b->dir);
	int f = open(b->secret, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	close(f);
	snprintf(p, sizeof(p), "%s/sub", b->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/out", b->dir);
	assert_int_equal(symlink(b->secret, p), 0);
	int d = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(sp_host_set_fd(s->h, 9, d, true), 0);
}

static void drop_box(struct box *b)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", b->dir, b->secret);
	assert_int_equal(system(cmd), 0);
}

static int64_t path_call(struct hs *s, uint64_t num, uint64_t a2, uint64_t a3, const char *path)
{
	uint64_t a[6] = {9, 0, a2, a3, 0, strlen(path) + 1};
	return one_call(s, num, a, path, strlen(path) + 1, NULL);
}

static void host_file_calls_stay_beneath(void **state)
{
	struct hs *s = *state;
	struct box b;
	char p[96];
	struct stat st;
	make_box(s, &b);
	assert_int_equal(path_call(s, SYS_mkdirat, 0700, 0, "sub/new"), 0);
	snprintf(p, sizeof(p), "%s/sub/new", b.dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(path_call(s, SYS_mkdirat, 0700, 0, "../escaped"), -EXDEV);
	assert_int_equal(path_call(s, SYS_mkdirat, 0700, 0, "/tmp/abs"), -EXDEV);
	assert_true(path_call(s, SYS_mkdirat, 0700, 0, "out/x") < 0); /* parent is a link out */
	/* through the symlink that points out: never followed */
	assert_true(path_call(s, SYS_unlinkat, 0, 0, "out/..") < 0);
	assert_int_equal(path_call(s, SYS_unlinkat, 0, 0, ".."), -EXDEV);
	assert_int_equal(path_call(s, SYS_unlinkat, 0, 0, "out"), 0); /* removes the link itself */
	assert_int_equal(access(b.secret, F_OK), 0);
	assert_int_equal(path_call(s, SYS_unlinkat, AT_REMOVEDIR, 0, "sub/new"), 0);
	drop_box(&b);
}

static void host_fstatat_does_not_follow_out(void **state)
{
	struct hs *s = *state;
	struct box b;
	make_box(s, &b);
	uint8_t buf[sizeof(struct stat)];
	uint64_t a[6] = {9, 0, 8, 0, 0, 4};
	uint8_t data[8 + sizeof(struct stat)];
	memcpy(data, "out", 4);
	assert_int_equal(one_call(s, SYS_newfstatat, a, data, sizeof(data), NULL), -EXDEV);
	a[3] = AT_SYMLINK_NOFOLLOW; /* the link itself is fine */
	uint8_t *p;
	assert_int_equal(one_call(s, SYS_newfstatat, a, data, sizeof(data), &p), 0);
	memcpy(buf, data_of(p) + 8, sizeof(buf));
	assert_true(S_ISLNK(((struct stat *)buf)->st_mode));
	memcpy(data, "sub", 4);
	a[3] = 0;
	assert_int_equal(one_call(s, SYS_newfstatat, a, data, sizeof(data), NULL), 0);
	drop_box(&b);
}

static void host_rename_and_link_confined(void **state)
{
	struct hs *s = *state;
	struct box b;
	make_box(s, &b);
	char data[32] = "sub";
	memcpy(data + 8, "moved", 6);
	uint64_t a[6] = {9, 0, 9, 8, 0, 4 | (6ULL << 32)};
	assert_int_equal(one_call(s, SYS_renameat2, a, data, sizeof(data), NULL), 0);
	memcpy(data + 8, "../gone", 8); /* old "../gone", new "sub" */
	memcpy(data, "sub", 4);
	uint64_t c[6] = {9, 8, 9, 0, 0, 8 | (4ULL << 32)};
	assert_int_equal(one_call(s, SYS_renameat2, c, data, sizeof(data), NULL), -EXDEV);
	uint64_t l[6] = {9, 0, 9, 8, AT_SYMLINK_FOLLOW, 4 | (6ULL << 32)};
	memcpy(data, "out", 4);
	memcpy(data + 8, "hard", 5);
	assert_int_equal(one_call(s, SYS_linkat, l, data, sizeof(data), NULL), -EINVAL);
	drop_box(&b);
}

static void host_openat2_resolve_forced(void **state)
{
	struct hs *s = *state;
	struct box b;
	make_box(s, &b);
	/* The guest asks for no resolve restrictions: the host adds BENEATH. */
	uint8_t data[40] = "out";
	uint64_t how[3] = {O_RDONLY, 0, 0};
	memcpy(data + 8, how, sizeof(how));
	uint64_t a[6] = {9, 0, 8, 24, 0, 4};
	assert_true(one_call(s, SYS_openat2, a, data, sizeof(data), NULL) < 0);
	memcpy(data, "sub", 4);
	assert_true(one_call(s, SYS_openat2, a, data, sizeof(data), NULL) >= 0);
	/* absolute paths: only read-only directory opens */
	uint8_t abs[48] = "/tmp";
	uint64_t d[6] = {(uint64_t)AT_FDCWD, 0, O_RDONLY | O_DIRECTORY, 0, 5};
	assert_true(one_call(s, SYS_openat, d, abs, sizeof(abs), NULL) >= 0);
	d[2] = O_RDWR | O_DIRECTORY;
	assert_int_equal(one_call(s, SYS_openat, d, abs, sizeof(abs), NULL), -EACCES);
	memcpy(abs, "/etc/passwd", 12);
	d[2] = O_RDONLY;
	d[4] = 12;
	assert_int_equal(one_call(s, SYS_openat, d, abs, sizeof(abs), NULL), -EACCES);
	drop_box(&b);
}

/* ---- host: hostile requests are refused -------------------------------- */

static void host_refuses_offset_outside_item(void **state)
{
	struct hs *s = *state;
	uint64_t a[6] = {5, 4, 8}; /* 8 bytes at 4 in an 8-byte data area */
	assert_int_equal(one_call(s, SYS_write, a, "12345678", 8, NULL), -EFAULT);
	uint64_t b[6] = {5, SP_BLOCK_SIZE * 2, 1};
	assert_int_equal(one_call(s, SYS_write, b, "11111111", 8, NULL), -EFAULT);
	uint64_t c[6] = {5, SP_NULL, 1};
	assert_int_equal(one_call(s, SYS_write, c, "11111111", 8, NULL), -EFAULT);
	assert_true(sp_host_refused(s->h) >= 3);
	/* nothing reached the pipe */
	int n = 0;
	assert_int_equal(ioctl(s->p[0], FIONREAD, &n), 0);
	assert_int_equal(n, 0);
}

static void host_refuses_overflowing_length(void **state)
{
	struct hs *s = *state;
	uint64_t a[6] = {6, 8, UINT64_MAX - 4};
	assert_int_equal(one_call(s, SYS_read, a, NULL, 16, NULL), -EFAULT);
	uint64_t p[6] = {0, UINT64_MAX / 8 + 1, 0}; /* nfds * 8 overflows */
	assert_int_equal(one_call(s, SYS_poll, p, NULL, 16, NULL), -EINVAL);
}

static void host_refuses_forbidden_syscalls(void **state)
{
	struct hs *s = *state;
	static const uint64_t bad[] = {SYS_execve, SYS_kill, SYS_ptrace, SYS_mmap, SYS_open,
	                               SYS_unlink, SYS_fork, SYS_mount,  9999};
	uint64_t a[6] = {0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(one_call(s, bad[i], a, NULL, 0, NULL), -ENOSYS);
	assert_true(sp_host_refused(s->h) >= sizeof(bad) / sizeof(bad[0]));
	uint64_t u[6] = {AF_UNIX, SOCK_STREAM, 0};
	assert_int_equal(one_call(s, SYS_socket, u, NULL, 0, NULL), -EAFNOSUPPORT);
	uint64_t f[6] = {5, F_DUPFD, 0};
	assert_int_equal(one_call(s, SYS_fcntl, f, NULL, 0, NULL), -EINVAL);
	uint64_t io[6] = {5, 0x5401 /* TCGETS */, 0};
	assert_int_equal(one_call(s, SYS_ioctl, io, NULL, 8, NULL), -ENOTTY);
	uint64_t pp[6] = {0, 0, SP_NULL, 0 /* a signal mask */, 8};
	assert_int_equal(one_call(s, SYS_ppoll, pp, NULL, 8, NULL), -EINVAL);
}

static void host_refuses_foreign_fds(void **state)
{
	struct hs *s = *state;
	/* A real host fd number the Keep was never given. */
	uint64_t a[6] = {(uint64_t)s->before, 0, 1};
	assert_int_equal(one_call(s, SYS_write, a, "xxxxxxxx", 8, NULL), -EBADF);
	uint64_t b[6] = {SP_HOST_MAX_FDS + 5, 0, 1};
	assert_int_equal(one_call(s, SYS_write, b, "xxxxxxxx", 8, NULL), -EBADF);
	uint64_t c[6] = {(uint64_t)-1, 0, 1};
	assert_int_equal(one_call(s, SYS_write, c, "xxxxxxxx", 8, NULL), -EBADF);
	uint64_t d[6] = {0}; /* 0 was never registered in this test */
	assert_int_equal(one_call(s, SYS_close, d, NULL, 0, NULL), -EBADF);
}

static void host_close_of_borrowed_fd_keeps_it_open(void **state)
{
	struct hs *s = *state;
	uint64_t c[6] = {5};
	assert_int_equal(one_call(s, SYS_close, c, NULL, 0, NULL), 0);
	assert_int_equal(sp_host_get_fd(s->h, 5), -1);
	assert_int_equal(fcntl(s->p[1], F_GETFD), FD_CLOEXEC); /* still open */
	uint64_t w[6] = {5, 0, 1};
	assert_int_equal(one_call(s, SYS_write, w, "xxxxxxxx", 8, NULL), -EBADF);
}

static void host_rejects_broken_blocks(void **state)
{
	struct hs *s = *state;
	struct sp_header h;
	/* size not a multiple of 8 */
	h = (struct sp_header){.size = 77, .kind = SP_ITEM_SYSCALL};
	memcpy(block, &h, sizeof(h));
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), ENARX_E_MALFORMED);
	assert_non_null(strstr(sp_host_error(s->h), "multiple of 8"));
	/* item runs past the block */
	h = (struct sp_header){.size = SP_BLOCK_SIZE, .kind = SP_ITEM_SYSCALL};
	memcpy(block, &h, sizeof(h));
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), ENARX_E_MALFORMED);
	/* huge size that would wrap */
	h = (struct sp_header){.size = UINT64_MAX - 7, .kind = SP_ITEM_SYSCALL};
	memcpy(block, &h, sizeof(h));
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), ENARX_E_MALFORMED);
	/* syscall item too short for its fixed part */
	h = (struct sp_header){.size = 16, .kind = SP_ITEM_SYSCALL};
	memcpy(block, &h, sizeof(h));
	put_end(32);
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), ENARX_E_MALFORMED);
	/* no END: a block full of unknown items */
	for (size_t off = 0; off + 16 <= sizeof(block); off += 16) {
		h = (struct sp_header){.size = 0, .kind = 7};
		memcpy(block + off, &h, sizeof(h));
	}
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), ENARX_E_MALFORMED);
	assert_non_null(strstr(sp_host_error(s->h), "END"));
	/* a block shorter than a header */
	assert_int_equal(sp_host_handle(s->h, block, 8), ENARX_E_MALFORMED);
}

static int64_t ecall(void *ctx, uint64_t num, const uint64_t arg[4], uint8_t *data, size_t len)
{
	if (num != SP_ENARX_MEASUREMENT || len < 48)
		return -EINVAL;
	memset(data, 0xAB, 48);
	return 48;
}

static void host_enarxcall_window_checked(void **state)
{
	struct hs *s = *state;
	sp_host_set_enarxcall(s->h, ecall, NULL);
	struct sp_header h = {.size = sizeof(struct sp_enarxcall) + 48, .kind = SP_ITEM_ENARXCALL};
	struct sp_enarxcall ec = {.num = SP_ENARX_MEASUREMENT, .arg = {0, 48}};
	memcpy(block, &h, sizeof(h));
	memcpy(block + 16, &ec, sizeof(ec));
	put_end(16 + h.size);
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), SP_HOST_CONTINUE);
	int64_t r;
	memcpy(&r, block + 16 + offsetof(struct sp_enarxcall, ret), 8);
	assert_int_equal(r, 48);
	assert_int_equal(block[16 + sizeof(ec)], 0xAB);
	/* window past the item */
	ec.arg[0] = 8;
	memcpy(block + 16, &ec, sizeof(ec));
	assert_int_equal(sp_host_handle(s->h, block, sizeof(block)), SP_HOST_CONTINUE);
	memcpy(&r, block + 16 + offsetof(struct sp_enarxcall, ret), 8);
	assert_int_equal(r, -EFAULT);
}

static long failing_sys(void *ctx, long num, const long a[6])
{
	(*(int *)ctx)++;
	return -EIO;
}

static void host_injected_failure_propagates(void **state)
{
	struct hs *s = *state;
	int calls = 0;
	sp_host_set_syscall(s->h, failing_sys, &calls);
	uint64_t w[6] = {5, 0, 1};
	assert_int_equal(one_call(s, SYS_write, w, "xxxxxxxx", 8, NULL), -EIO);
	assert_int_equal(calls, 1);
	/* refused requests never reach the host syscall */
	uint64_t bad[6] = {5, 64, 1};
	assert_int_equal(one_call(s, SYS_write, bad, "xxxxxxxx", 8, NULL), -EFAULT);
	assert_int_equal(calls, 1);
}

/* ---- guest: against a host stub that lies -------------------------------- */

enum lie { HONEST, TOO_MANY, BAD_ERRNO, HUGE, CLOBBER_HEADER, SCRIBBLE, REAL };

struct stub {
	enum lie lie;
	jmp_buf jb;
	const char *why;
	struct sp_host *real;
};

static void stub_sally(void *ctx)
{
	struct stub *st = ctx;
	if (st->lie == REAL) {
		assert_true(sp_host_handle(st->real, block, sizeof(block)) >= 0);
		return;
	}
	/* One syscall item at offset 0: answer it. */
	struct sp_header h;
	struct sp_syscall sc;
	memcpy(&h, block, sizeof(h));
	memcpy(&sc, block + 16, sizeof(sc));
	int64_t ret = (int64_t)sc.arg[2]; /* "everything was done" */
	uint8_t *data = block + 16 + sizeof(sc);
	switch (st->lie) {
	case TOO_MANY: ret = (int64_t)sc.arg[2] + 1; break;
	case BAD_ERRNO: ret = -5000; break;
	case HUGE: ret = INT64_MAX; break;
	case CLOBBER_HEADER:
		h.size = 8;
		h.kind = 99;
		memcpy(block, &h, sizeof(h));
		break;
	case SCRIBBLE:
		ret = 2;
		memset(data, 'Z', h.size - sizeof(sc));
		break;
	default: break;
	}
	if (st->lie != CLOBBER_HEADER && sc.num == SYS_read)
		memset(data, 'R', ret > 0 && ret < 4096 ? (size_t)ret : 0);
	memcpy(block + 16 + offsetof(struct sp_syscall, ret), &ret, 8);
}

static void stub_attacked(void *ctx, const char *why)
{
	struct stub *st = ctx;
	st->why = why;
	longjmp(st->jb, 1);
}

static void guest_honest_host(void **state)
{
	struct stub st = {.lie = HONEST};
	struct sp_guest g;
	char buf[16];
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	assert_int_equal(sp_guest_write(&g, 1, "hello", 5), 5);
	assert_int_equal(sp_guest_read(&g, 0, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, "RRRRRRRRRRRRRRRR", 16);
}

static void expect_attack(enum lie lie, const char *needle)
{
	struct stub st = {.lie = lie};
	struct sp_guest g;
	char buf[32];
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	if (setjmp(st.jb) == 0) {
		sp_guest_read(&g, 0, buf, sizeof(buf));
		fail_msg("host lie %d was accepted", lie);
	}
	assert_non_null(st.why);
	assert_non_null(strstr(st.why, needle));
}

static void guest_rejects_oversized_count(void **state)
{
	expect_attack(TOO_MANY, "larger than the request");
	expect_attack(HUGE, "larger than the request");
}

static void guest_rejects_impossible_errno(void **state)
{
	expect_attack(BAD_ERRNO, "impossible errno");
}

static void guest_ignores_clobbered_header(void **state)
{
	struct stub st = {.lie = CLOBBER_HEADER};
	struct sp_guest g;
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	/* The result word is found from the guest's own record. */
	assert_int_equal(sp_guest_write(&g, 1, "abc", 3), 3);
}

static void guest_copies_only_what_was_returned(void **state)
{
	struct stub st = {.lie = SCRIBBLE};
	struct sp_guest g;
	char buf[16];
	memset(buf, '.', sizeof(buf));
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	assert_int_equal(sp_guest_read(&g, 0, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "RR..............", 16);
}

static void guest_output_untouched_on_error(void **state)
{
	struct stub st = {.lie = BAD_ERRNO};
	struct sp_guest g;
	uint8_t out[8];
	memset(out, 0x11, sizeof(out));
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	st.lie = HONEST;
	/* a host answering -EBADF: SP_OUT buffers are not copied */
	struct sp_arg a[3] = {{.kind = SP_VAL, .val = 1},
	                      {.kind = SP_OUT, .ptr = out, .len = 8},
	                      {.kind = SP_VAL, .val = (uint64_t)-EBADF}};
	assert_int_equal(sp_guest_syscall(&g, SYS_fstat, a, 3, 0), -EBADF);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x11);
}

static void guest_too_big_is_e2big(void **state)
{
	struct stub st = {.lie = HONEST};
	struct sp_guest g;
	static uint8_t big[SP_BLOCK_SIZE];
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	struct sp_arg a[2] = {{.kind = SP_IN, .ptr = big, .len = SP_MAX_DATA},
	                      {.kind = SP_IN, .ptr = big, .len = 16}};
	assert_int_equal(sp_guest_syscall(&g, SYS_write, a, 2, 0), -E2BIG);
	/* read/write clamp to one block: a short count, as Linux allows */
	assert_int_equal(sp_guest_write(&g, 1, big, sizeof(big)), SP_MAX_DATA);
}

static void guest_and_real_host_round_trip(void **state)
{
	struct hs *s = *state;
	struct stub st = {.lie = REAL, .real = s->h};
	struct sp_guest g;
	char buf[8] = {0};
	sp_guest_init(&g, block, stub_sally, stub_attacked, &st);
	assert_int_equal(sp_guest_write(&g, 5, "round", 5), 5);
	assert_int_equal(sp_guest_read(&g, 6, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "round", 5);
	assert_int_equal(sp_guest_write(&g, 42, "x", 1), -EBADF);
	struct stat stt;
	struct sp_arg a[2] = {{.kind = SP_VAL, .val = 6},
	                      {.kind = SP_OUT, .ptr = &stt, .len = sizeof(stt)}};
	assert_int_equal(sp_guest_syscall(&g, SYS_fstat, a, 2, 0), 0);
	assert_true(S_ISFIFO(stt.st_mode));
}

#define HT(f) cmocka_unit_test_setup_teardown(f, setup_host, teardown_host)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    HT(host_write_then_read),
	    HT(host_several_items_in_order),
	    HT(host_exit_group_stops),
	    HT(host_poll_translates_fds),
	    HT(host_socket_gets_lowest_free_fd),
	    HT(host_tcp_loopback),
	    HT(host_openat_stays_beneath),
	    HT(host_file_calls_stay_beneath),
	    HT(host_fstatat_does_not_follow_out),
	    HT(host_rename_and_link_confined),
	    HT(host_openat2_resolve_forced),
	    HT(host_refuses_offset_outside_item),
	    HT(host_refuses_overflowing_length),
	    HT(host_refuses_forbidden_syscalls),
	    HT(host_refuses_foreign_fds),
	    HT(host_close_of_borrowed_fd_keeps_it_open),
	    HT(host_rejects_broken_blocks),
	    HT(host_enarxcall_window_checked),
	    HT(host_injected_failure_propagates),
	    cmocka_unit_test(guest_honest_host),
	    cmocka_unit_test(guest_rejects_oversized_count),
	    cmocka_unit_test(guest_rejects_impossible_errno),
	    cmocka_unit_test(guest_ignores_clobbered_header),
	    cmocka_unit_test(guest_copies_only_what_was_returned),
	    cmocka_unit_test(guest_output_untouched_on_error),
	    cmocka_unit_test(guest_too_big_is_e2big),
	    HT(guest_and_real_host_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
