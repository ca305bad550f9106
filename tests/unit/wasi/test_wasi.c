/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the WASI host through wasi_call() on a plain memory image:
 * the sandbox (.., absolute paths, symlinks out of a preopen: refused) with
 * both resolvers (openat2 and the portable one), rights on every fd lookup,
 * guest pointer checks, and the behaviour of the fd/path/misc calls on a
 * real temporary directory tree. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/err.h"
#include "wasi/wasi.h"
#include "wasi/wasi_int.h"

#define MEMSZ 65536
#define PATH_AT 1024 /* where paths go in guest memory */
#define OUT_AT 4096  /* result slots */
#define BUF_AT 8192  /* data buffers */
#define IOV_AT 512

struct fx {
	char root[64]; /* temp dir: root/secret, root/box/... */
	char box[96];
	struct wasi *w;
	uint8_t mem[MEMSZ];
	int portable;
};

static uint32_t call(struct fx *f, const char *name, size_t n, ...)
{
	uint64_t a[10];
	uint32_t ret = 0xffff;
	va_list ap;
	int rc;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		a[i] = va_arg(ap, uint64_t);
	va_end(ap);
	rc = wasi_call(f->w, name, f->mem, MEMSZ, a, n, &ret);
	assert_int_equal(rc, 0);
	return ret;
}

#define U(x) ((uint64_t)(x))

static void put_path(struct fx *f, const char *p)
{
	memcpy(f->mem + PATH_AT, p, strlen(p));
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int setup(void **state, int portable)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[200];
	int fd;

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/enarx-wasi-XXXXXX");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	snprintf(f->box, sizeof(f->box), "%s/box", f->root);
	mkdir(f->box, 0755);
	snprintf(p, sizeof(p), "%s/secret", f->root);
	write_file(p, "TOP SECRET");
	snprintf(p, sizeof(p), "%s/file.txt", f->box);
	write_file(p, "hello");
	snprintf(p, sizeof(p), "%s/sub", f->box);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/esc", f->box);
	symlink("../secret", p);
	snprintf(p, sizeof(p), "%s/abs", f->box);
	{
		char t[120];

		snprintf(t, sizeof(t), "%s/secret", f->root);
		symlink(t, p);
	}
	snprintf(p, sizeof(p), "%s/ok", f->box);
	symlink("file.txt", p);
	snprintf(p, sizeof(p), "%s/sub/up", f->box);
	symlink("../file.txt", p);
	snprintf(p, sizeof(p), "%s/sub/out", f->box);
	symlink("../../secret", p);
	f->w = wasi_new();
	f->portable = portable;
	wasi_set_no_openat2(f->w, portable);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wasi_add_fd(f->w, WASI_FD_NULL, -1, NULL, 0), i);
	fd = open(f->box, O_RDONLY | O_DIRECTORY);
	assert_int_equal(wasi_add_fd(f->w, WASI_FD_DIR, fd, "/box", 0), 3);
	fd = open(f->box, O_RDONLY | O_DIRECTORY);
	assert_int_equal(wasi_add_fd(f->w, WASI_FD_DIR, fd, "/ro", 1), 4);
	wasi_push_arg(f->w, "main.wasm");
	wasi_push_arg(f->w, "-x");
	wasi_push_env(f->w, "A=1");
	*state = f;
	return 0;
}

static int setup_openat2(void **state)
{
	return setup(state, 0);
}
static int setup_portable(void **state)
{
	return setup(state, 1);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	wasi_free(f->w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* path_open(dir, follow?, path, oflags, rights) -> errno; fd in *out */
static uint32_t popen_(struct fx *f, uint32_t dir, int follow, const char *path, uint32_t oflags,
                       uint64_t rights, uint32_t *out)
{
	uint32_t r;

	put_path(f, path);
	r = call(f, "path_open", 9, U(dir), U(follow), U(PATH_AT), U(strlen(path)), U(oflags),
	         rights, rights, U(0), U(OUT_AT));
	if (r == 0 && out)
		*out = get_u32(f->mem + OUT_AT);
	return r;
}

static uint32_t read_fd(struct fx *f, uint32_t fd, char *dst, size_t n)
{
	uint32_t r;

	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, (uint32_t)n);
	r = call(f, "fd_read", 4, U(fd), U(IOV_AT), U(1), U(OUT_AT + 8));
	if (r == 0) {
		uint32_t got = get_u32(f->mem + OUT_AT + 8);

		memcpy(dst, f->mem + BUF_AT, got);
		dst[got] = 0;
	}
	return r;
}

static void test_open_and_read_inside(void **state)
{
	struct fx *f = *state;
	char buf[64];
	uint32_t fd = 0;

	assert_int_equal(popen_(f, 3, 1, "file.txt", 0, W_R_FD_READ, &fd), 0);
	assert_int_equal(read_fd(f, fd, buf, 32), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(popen_(f, 3, 1, "sub/../file.txt", 0, W_R_FD_READ, &fd), 0);
	assert_int_equal(popen_(f, 3, 1, "./sub/./../file.txt", 0, W_R_FD_READ, &fd), 0);
	assert_int_equal(popen_(f, 3, 1, "ok", 0, W_R_FD_READ, &fd), 0);
	assert_int_equal(read_fd(f, fd, buf, 32), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(popen_(f, 3, 1, "sub/up", 0, W_R_FD_READ, &fd), 0);
	assert_int_equal(popen_(f, 3, 1, "missing", 0, W_R_FD_READ, &fd), W_ENOENT);
}

static void test_escapes_refused(void **state)
{
	struct fx *f = *state;
	uint32_t fd = 0;
	char abs[128];

	snprintf(abs, sizeof(abs), "%s/secret", f->root);
	assert_int_equal(popen_(f, 3, 1, "../secret", 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, "sub/../../secret", 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, abs, 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, "/etc/passwd", 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, "esc", 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, "abs", 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, "sub/out", 0, W_R_FD_READ, &fd), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 3, 1, "..", W_O_DIRECTORY, W_R_FD_READDIR, &fd), W_ENOTCAPABLE);
	/* without follow, a final symlink is not opened at all */
	assert_int_equal(popen_(f, 3, 0, "esc", 0, W_R_FD_READ, &fd), W_ELOOP);
	/* creating through an escaping path is refused and creates nothing */
	assert_int_equal(popen_(f, 3, 1, "../created", W_O_CREAT, W_R_FD_WRITE, &fd),
	                 W_ENOTCAPABLE);
	snprintf(abs, sizeof(abs), "%s/created", f->root);
	assert_int_equal(access(abs, F_OK), -1);
}

static void test_path_ops_escapes_refused(void **state)
{
	struct fx *f = *state;
	char p[128];

	put_path(f, "../newdir");
	assert_int_equal(call(f, "path_create_directory", 3, U(3), U(PATH_AT), U(9)),
	                 W_ENOTCAPABLE);
	put_path(f, "../secret");
	assert_int_equal(call(f, "path_unlink_file", 3, U(3), U(PATH_AT), U(9)), W_ENOTCAPABLE);
	put_path(f, "sub/../../secret");
	assert_int_equal(call(f, "path_unlink_file", 3, U(3), U(PATH_AT), U(16)), W_ENOTCAPABLE);
	/* the symlink esc itself may be stat'ed, but not followed */
	put_path(f, "esc");
	assert_int_equal(call(f, "path_filestat_get", 5, U(3), U(0), U(PATH_AT), U(3), U(OUT_AT)),
	                 0);
	assert_int_equal(f->mem[OUT_AT + 16], W_FT_SYMLINK);
	assert_int_equal(call(f, "path_filestat_get", 5, U(3), U(1), U(PATH_AT), U(3), U(OUT_AT)),
	                 W_ENOTCAPABLE);
	/* rename into the parent, link out, ".." as the last component */
	put_path(f, "file.txt../x");
	assert_int_equal(
	    call(f, "path_rename", 6, U(3), U(PATH_AT), U(8), U(3), U(PATH_AT + 8), U(4)),
	    W_ENOTCAPABLE);
	assert_int_equal(
	    call(f, "path_link", 7, U(3), U(0), U(PATH_AT), U(8), U(3), U(PATH_AT + 8), U(4)),
	    W_ENOTCAPABLE);
	put_path(f, "..");
	assert_int_equal(call(f, "path_remove_directory", 3, U(3), U(PATH_AT), U(2)),
	                 W_ENOTCAPABLE);
	/* the secret is still there */
	snprintf(p, sizeof(p), "%s/secret", f->root);
	assert_int_equal(access(p, F_OK), 0);
}

static void test_rights_enforced(void **state)
{
	struct fx *f = *state;
	uint32_t fd = 0;

	/* read-only preopen: no create, no mkdir, no write */
	assert_int_equal(popen_(f, 4, 1, "new.txt", W_O_CREAT, W_R_FD_WRITE, &fd), W_ENOTCAPABLE);
	put_path(f, "d");
	assert_int_equal(call(f, "path_create_directory", 3, U(4), U(PATH_AT), U(1)),
	                 W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 4, 1, "file.txt", 0, W_R_FD_READ | W_R_FD_WRITE, &fd), 0);
	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, 1);
	assert_int_equal(call(f, "fd_write", 4, U(fd), U(IOV_AT), U(1), U(OUT_AT)), W_ENOTCAPABLE);
	/* dropping a right is final */
	assert_int_equal(popen_(f, 3, 1, "file.txt", 0, W_R_FD_READ | W_R_FD_SEEK, &fd), 0);
	assert_int_equal(call(f, "fd_fdstat_set_rights", 3, U(fd), U(W_R_FD_SEEK), U(0)), 0);
	put_u32(f->mem + IOV_AT + 4, 4);
	assert_int_equal(call(f, "fd_read", 4, U(fd), U(IOV_AT), U(1), U(OUT_AT)), W_ENOTCAPABLE);
	assert_int_equal(
	    call(f, "fd_fdstat_set_rights", 3, U(fd), U(W_R_FD_SEEK | W_R_FD_READ), U(0)),
	    W_ENOTCAPABLE);
	/* a file is not a directory; fds that do not exist */
	assert_int_equal(popen_(f, fd, 1, "x", 0, W_R_FD_READ, NULL), W_ENOTCAPABLE);
	assert_int_equal(popen_(f, 77, 1, "x", 0, W_R_FD_READ, NULL), W_EBADF);
	/* readdir needs the right; stdio (null) has no path rights */
	assert_int_equal(popen_(f, 1, 1, "x", 0, W_R_FD_READ, NULL), W_ENOTCAPABLE);
}

static void test_guest_pointers_checked(void **state)
{
	struct fx *f = *state;

	/* iovec array past the end; buffer past the end; huge count */
	assert_int_equal(call(f, "fd_write", 4, U(1), U(MEMSZ - 4), U(1), U(OUT_AT)), W_EFAULT);
	put_u32(f->mem + IOV_AT, MEMSZ - 2);
	put_u32(f->mem + IOV_AT + 4, 8);
	assert_int_equal(call(f, "fd_write", 4, U(1), U(IOV_AT), U(1), U(OUT_AT)), W_EFAULT);
	assert_int_equal(call(f, "fd_write", 4, U(1), U(IOV_AT), U(0x7fffffff), U(OUT_AT)),
	                 W_EFAULT);
	put_u32(f->mem + IOV_AT, 0xfffffff0u);
	put_u32(f->mem + IOV_AT + 4, 0x20);
	assert_int_equal(call(f, "fd_read", 4, U(0), U(IOV_AT), U(1), U(OUT_AT)), W_EFAULT);
	/* result pointer out of range */
	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, 3);
	assert_int_equal(call(f, "fd_write", 4, U(1), U(IOV_AT), U(1), U(MEMSZ - 3)), W_EFAULT);
	/* path beyond memory, path with a NUL */
	assert_int_equal(call(f, "path_open", 9, U(3), U(0), U(MEMSZ - 2), U(10), U(0),
	                      U(W_R_FD_READ), U(0), U(0), U(OUT_AT)),
	                 W_EFAULT);
	memcpy(f->mem + PATH_AT, "a\0b", 3);
	assert_int_equal(call(f, "path_open", 9, U(3), U(0), U(PATH_AT), U(3), U(0), U(W_R_FD_READ),
	                      U(0), U(0), U(OUT_AT)),
	                 W_EINVAL);
	assert_int_equal(call(f, "random_get", 2, U(MEMSZ - 8), U(16)), W_EFAULT);
	assert_int_equal(call(f, "args_get", 2, U(MEMSZ - 4), U(BUF_AT)), W_EFAULT);
	assert_int_equal(call(f, "poll_oneoff", 4, U(MEMSZ - 40), U(BUF_AT), U(1), U(OUT_AT)),
	                 W_EFAULT);
}

static void test_null_fd_many_iovs(void **state)
{
	struct fx *f = *state;

	/* 3000 iovecs (more than IOV_MAX): handled without guest-sized arrays */
	for (int i = 0; i < 3000; i++) {
		put_u32(f->mem + 16384 + 8 * i, BUF_AT);
		put_u32(f->mem + 16384 + 8 * i + 4, 2);
	}
	assert_int_equal(call(f, "fd_write", 4, U(1), U(16384), U(3000), U(OUT_AT)), 0);
	assert_true(get_u32(f->mem + OUT_AT) >= 2048);
	assert_int_equal(call(f, "fd_read", 4, U(0), U(16384), U(3000), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 0);
}

static void test_file_lifecycle(void **state)
{
	struct fx *f = *state;
	uint32_t fd = 0;
	char buf[64];

	assert_int_equal(
	    popen_(f, 3, 1, "sub/new.txt", W_O_CREAT | W_O_EXCL,
	           W_R_FD_WRITE | W_R_FD_READ | W_R_FD_SEEK | W_R_FD_TELL | W_R_FD_FILESTAT_GET,
	           &fd),
	    0);
	memcpy(f->mem + BUF_AT, "abcdef", 6);
	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, 6);
	assert_int_equal(call(f, "fd_write", 4, U(fd), U(IOV_AT), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 6);
	assert_int_equal(call(f, "fd_tell", 2, U(fd), U(OUT_AT)), 0);
	assert_int_equal(get_u64(f->mem + OUT_AT), 6);
	assert_int_equal(call(f, "fd_seek", 4, U(fd), U(2), U(0), U(OUT_AT)), 0);
	assert_int_equal(read_fd(f, fd, buf, 10), 0);
	assert_string_equal(buf, "cdef");
	assert_int_equal(call(f, "fd_filestat_get", 2, U(fd), U(OUT_AT)), 0);
	assert_int_equal(get_u64(f->mem + OUT_AT + 32), 6);
	assert_int_equal(f->mem[OUT_AT + 16], W_FT_REG);
	assert_int_equal(popen_(f, 3, 1, "sub/new.txt", W_O_CREAT | W_O_EXCL, W_R_FD_WRITE, NULL),
	                 W_EEXIST);
	assert_int_equal(call(f, "fd_close", 1, U(fd)), 0);
	assert_int_equal(call(f, "fd_close", 1, U(fd)), W_EBADF);
	put_path(f, "sub/new.txtsub/renamed");
	assert_int_equal(
	    call(f, "path_rename", 6, U(3), U(PATH_AT), U(11), U(3), U(PATH_AT + 11), U(11)), 0);
	put_path(f, "sub/renamed");
	assert_int_equal(call(f, "path_unlink_file", 3, U(3), U(PATH_AT), U(11)), 0);
	put_path(f, "dir2");
	assert_int_equal(call(f, "path_create_directory", 3, U(3), U(PATH_AT), U(4)), 0);
	assert_int_equal(call(f, "path_create_directory", 3, U(3), U(PATH_AT), U(4)), W_EEXIST);
	assert_int_equal(call(f, "path_remove_directory", 3, U(3), U(PATH_AT), U(4)), 0);
	/* symlink + readlink */
	memcpy(f->mem + BUF_AT, "file.txt", 8);
	put_path(f, "lnk");
	assert_int_equal(call(f, "path_symlink", 5, U(BUF_AT), U(8), U(3), U(PATH_AT), U(3)), 0);
	assert_int_equal(
	    call(f, "path_readlink", 6, U(3), U(PATH_AT), U(3), U(BUF_AT + 100), U(64), U(OUT_AT)),
	    0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 8);
	assert_memory_equal(f->mem + BUF_AT + 100, "file.txt", 8);
}

static void test_readdir(void **state)
{
	struct fx *f = *state;
	uint32_t used, off = 0;
	int seen_file = 0, seen_sub = 0;

	assert_int_equal(call(f, "fd_readdir", 5, U(3), U(BUF_AT), U(8192), U(0), U(OUT_AT)), 0);
	used = get_u32(f->mem + OUT_AT);
	assert_true(used > 24);
	while (off + 24 <= used) {
		uint32_t nl = get_u32(f->mem + BUF_AT + off + 16);
		const char *name = (const char *)f->mem + BUF_AT + off + 24;

		if (nl == 8 && memcmp(name, "file.txt", 8) == 0)
			seen_file = f->mem[BUF_AT + off + 20] == W_FT_REG;
		if (nl == 3 && memcmp(name, "sub", 3) == 0)
			seen_sub = f->mem[BUF_AT + off + 20] == W_FT_DIR;
		off += 24 + nl;
	}
	assert_true(seen_file);
	assert_true(seen_sub);
	/* a tiny buffer is filled completely (the guest then retries bigger) */
	assert_int_equal(call(f, "fd_readdir", 5, U(3), U(BUF_AT), U(10), U(0), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 10);
}

static void test_args_env_prestat(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, "args_sizes_get", 2, U(OUT_AT), U(OUT_AT + 4)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 2);
	assert_int_equal(get_u32(f->mem + OUT_AT + 4), 13);
	assert_int_equal(call(f, "args_get", 2, U(OUT_AT), U(BUF_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT + 4), BUF_AT + 10);
	assert_string_equal((char *)f->mem + BUF_AT + 10, "-x");
	assert_int_equal(call(f, "environ_sizes_get", 2, U(OUT_AT), U(OUT_AT + 4)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 1);
	assert_int_equal(call(f, "fd_prestat_get", 2, U(3), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT + 4), 4);
	assert_int_equal(call(f, "fd_prestat_dir_name", 3, U(3), U(BUF_AT), U(4)), 0);
	assert_memory_equal(f->mem + BUF_AT, "/box", 4);
	assert_int_equal(call(f, "fd_prestat_get", 2, U(1), U(OUT_AT)), W_EBADF);
	assert_int_equal(call(f, "fd_prestat_get", 2, U(5), U(OUT_AT)), W_EBADF);
}

static void test_clock_random_poll(void **state)
{
	struct fx *f = *state;
	uint8_t *s = f->mem + BUF_AT;

	assert_int_equal(call(f, "clock_time_get", 3, U(1), U(0), U(OUT_AT)), 0);
	assert_true(get_u64(f->mem + OUT_AT) > 0);
	assert_int_equal(call(f, "clock_time_get", 3, U(9), U(0), U(OUT_AT)), W_EINVAL);
	memset(f->mem + BUF_AT, 0, 64);
	assert_int_equal(call(f, "random_get", 2, U(BUF_AT), U(64)), 0);
	assert_true(memcmp(f->mem + BUF_AT, f->mem + BUF_AT + 32, 32) != 0);
	/* one 1 ms relative clock subscription */
	memset(s, 0, 48);
	put_u64(s, 42);
	s[8] = 0;
	put_u32(s + 16, 1);
	put_u64(s + 24, 1000000);
	assert_int_equal(call(f, "poll_oneoff", 4, U(BUF_AT), U(BUF_AT + 100), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u32(f->mem + OUT_AT), 1);
	assert_int_equal(get_u64(f->mem + BUF_AT + 100), 42);
	/* an fd subscription on a bad fd reports the error in the event */
	s[8] = 1;
	put_u32(s + 16, 99);
	assert_int_equal(call(f, "poll_oneoff", 4, U(BUF_AT), U(BUF_AT + 100), U(1), U(OUT_AT)), 0);
	assert_int_equal(get_u16(f->mem + BUF_AT + 108), W_EBADF);
	assert_int_equal(call(f, "poll_oneoff", 4, U(BUF_AT), U(BUF_AT + 100), U(0), U(OUT_AT)),
	                 W_EINVAL);
}

static void test_renumber_exit_table(void **state)
{
	struct fx *f = *state;
	uint32_t fd = 0, ret;
	uint64_t a = 7;

	assert_int_equal(popen_(f, 3, 1, "file.txt", 0, W_R_FD_READ, &fd), 0);
	assert_int_equal(call(f, "fd_renumber", 2, U(fd), U(1)), 0);
	assert_int_equal(call(f, "fd_fdstat_get", 2, U(1), U(OUT_AT)), 0);
	assert_int_equal(f->mem[OUT_AT], W_FT_REG);
	assert_int_equal(call(f, "fd_fdstat_get", 2, U(fd), U(OUT_AT)), W_EBADF);
	assert_int_equal(call(f, "fd_renumber", 2, U(1), U(50)), W_EBADF);
	assert_int_equal(wasi_call(f->w, "proc_exit", f->mem, MEMSZ, &a, 1, &ret), 1);
	assert_int_equal(wasi_exit_code(f->w), 7);
	assert_int_equal(wasi_call(f->w, "nope", f->mem, MEMSZ, &a, 1, &ret), ENARX_E_NOTFOUND);
	assert_int_equal(wasi_call(f->w, "fd_close", f->mem, MEMSZ, &a, 0, &ret), ENARX_E_INVAL);
	assert_int_equal(wasi_func_count(), 46);
}

#define T(fn)                                                         \
	cmocka_unit_test_setup_teardown(fn, setup_openat2, teardown), \
	    cmocka_unit_test_setup_teardown(fn, setup_portable, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_open_and_read_inside),     T(test_escapes_refused),
	    T(test_path_ops_escapes_refused), T(test_rights_enforced),
	    T(test_guest_pointers_checked),   T(test_null_fd_many_iovs),
	    T(test_file_lifecycle),           T(test_readdir),
	    T(test_args_env_prestat),         T(test_clock_random_poll),
	    T(test_renumber_exit_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
