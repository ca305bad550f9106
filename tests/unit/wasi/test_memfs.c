/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the in-memory read-only preopen (wasi/memfs.h), through
 * wasi_call() on a plain memory image as a guest would use it: prestat,
 * path_open, fd_read/pread/seek/tell, filestat, readdir; writes, creates,
 * escapes and bad names refused; bytes wiped on free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "wasi/memfs.h"
#include "wasi/wasi.h"
#include "wasi/wasi_int.h"

#define MEMSZ 65536
#define PATH_AT 1024
#define OUT_AT 4096
#define BUF_AT 8192
#define IOV_AT 512
#define U(x) ((uint64_t)(x))

struct fx {
	struct wasi *w;
	struct wasi_memdir *d;
	int dirfd;
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

static uint32_t get32(const struct fx *f, size_t at)
{
	return get_u32(f->mem + at);
}

/* path_open(dirfd, path, oflags, base rights); the new fd at OUT_AT. */
static uint32_t open_at(struct fx *f, int dirfd, const char *path, uint64_t oflags, uint64_t base)
{
	memcpy(f->mem + PATH_AT, path, strlen(path));
	return call(f, "path_open", 9, U(dirfd), U(0), U(PATH_AT), U(strlen(path)), oflags, base,
	            U(W_R_ALL), U(0), U(OUT_AT));
}

static uint32_t read_into(struct fx *f, uint32_t fd, uint32_t len, uint32_t *got)
{
	uint32_t rc;

	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, len);
	rc = call(f, "fd_read", 4, U(fd), U(IOV_AT), U(1), U(OUT_AT + 8));
	*got = get32(f, OUT_AT + 8);
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->w = wasi_new();
	f->d = wasi_memdir_new();
	if (!f->w || !f->d || wasi_memdir_add(f->d, "token", "s3cret-token\n", 13) ||
	    wasi_memdir_add(f->d, "empty", "", 0))
		return -1;
	for (int i = 0; i < 3; i++)
		wasi_add_fd(f->w, WASI_FD_NULL, -1, NULL, 0);
	f->dirfd = wasi_add_memdir(f->w, "/secrets", f->d);
	*state = f;
	return f->dirfd == 3 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wasi_free(f->w);
	wasi_memdir_free(f->d);
	free(f);
	return 0;
}

static void test_prestat(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(f, "fd_prestat_get", 2, U(3), U(OUT_AT)), 0);
	assert_int_equal(get32(f, OUT_AT + 4), strlen("/secrets"));
	assert_int_equal(call(f, "fd_prestat_dir_name", 3, U(3), U(BUF_AT), U(8)), 0);
	assert_memory_equal(f->mem + BUF_AT, "/secrets", 8);
	assert_int_equal(call(f, "fd_fdstat_get", 2, U(3), U(OUT_AT)), 0);
	assert_int_equal(f->mem[OUT_AT], W_FT_DIR);
	assert_int_equal(wasi_memdir_count(f->d), 2);
}

static void test_open_read_seek(void **state)
{
	struct fx *f = *state;
	uint32_t fd, got;

	assert_int_equal(open_at(f, 3, "token", 0,
	                         W_R_FD_READ | W_R_FD_SEEK | W_R_FD_TELL | W_R_FD_FILESTAT_GET),
	                 0);
	fd = get32(f, OUT_AT);
	assert_int_equal(read_into(f, fd, 6, &got), 0);
	assert_int_equal(got, 6);
	assert_memory_equal(f->mem + BUF_AT, "s3cret", 6);
	assert_int_equal(read_into(f, fd, 100, &got), 0);
	assert_int_equal(got, 7);
	assert_memory_equal(f->mem + BUF_AT, "-token\n", 7);
	assert_int_equal(read_into(f, fd, 100, &got), 0);
	assert_int_equal(got, 0); /* the end */
	assert_int_equal(call(f, "fd_tell", 2, U(fd), U(OUT_AT + 16)), 0);
	assert_int_equal(get_u64(f->mem + OUT_AT + 16), 13);
	assert_int_equal(call(f, "fd_seek", 4, U(fd), U(-6), U(2), U(OUT_AT + 16)), 0);
	assert_int_equal(get_u64(f->mem + OUT_AT + 16), 7);
	assert_int_equal(call(f, "fd_seek", 4, U(fd), U(-100), U(1), U(OUT_AT + 16)), W_EINVAL);
	/* pread leaves the position alone */
	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, 2);
	assert_int_equal(call(f, "fd_pread", 5, U(fd), U(IOV_AT), U(1), U(1), U(OUT_AT + 8)), 0);
	assert_memory_equal(f->mem + BUF_AT, "3c", 2);
	assert_int_equal(read_into(f, fd, 5, &got), 0);
	assert_memory_equal(f->mem + BUF_AT, "token", 5);
	assert_int_equal(call(f, "fd_filestat_get", 2, U(fd), U(OUT_AT + 64)), 0);
	assert_int_equal(f->mem[OUT_AT + 64 + 16], W_FT_REG);
	assert_int_equal(get_u64(f->mem + OUT_AT + 64 + 32), 13);
	assert_int_equal(call(f, "fd_close", 1, U(fd)), 0);
	/* "./token" is the same file; the empty file reads nothing */
	assert_int_equal(open_at(f, 3, "./token", 0, W_R_FD_READ), 0);
	assert_int_equal(open_at(f, 3, "empty", 0, W_R_FD_READ), 0);
	assert_int_equal(read_into(f, get32(f, OUT_AT), 10, &got), 0);
	assert_int_equal(got, 0);
}

static void test_refused(void **state)
{
	struct fx *f = *state;
	uint32_t fd;

	/* writing, creating, truncating: a read-only directory */
	assert_int_equal(open_at(f, 3, "token", 0, W_R_FD_READ | W_R_FD_WRITE), W_EROFS);
	assert_int_equal(open_at(f, 3, "new", W_O_CREAT, W_R_FD_READ), W_ENOTCAPABLE);
	assert_int_equal(open_at(f, 3, "token", W_O_TRUNC, W_R_FD_READ), W_ENOTCAPABLE);
	/* names that are not there, or lead out of the directory */
	assert_int_equal(open_at(f, 3, "none", 0, W_R_FD_READ), W_ENOENT);
	assert_int_equal(open_at(f, 3, "..", 0, W_R_FD_READ), W_ENOTCAPABLE);
	assert_int_equal(open_at(f, 3, "../etc/passwd", 0, W_R_FD_READ), W_ENOTCAPABLE);
	assert_int_equal(open_at(f, 3, "/etc/passwd", 0, W_R_FD_READ), W_ENOTCAPABLE);
	assert_int_equal(open_at(f, 3, "token/", 0, W_R_FD_READ), W_ENOTDIR);
	assert_int_equal(open_at(f, 3, "token/x", 0, W_R_FD_READ), W_ENOTDIR);
	assert_int_equal(open_at(f, 3, "token", W_O_DIRECTORY, W_R_FD_READ), W_ENOTDIR);
	assert_int_equal(open_at(f, 3, "", 0, W_R_FD_READ), W_ENOENT);
	/* an opened file cannot be written, even by asking for no rights */
	assert_int_equal(open_at(f, 3, "token", 0, W_R_FD_READ), 0);
	fd = get32(f, OUT_AT);
	put_u32(f->mem + IOV_AT, BUF_AT);
	put_u32(f->mem + IOV_AT + 4, 4);
	assert_int_equal(call(f, "fd_write", 4, U(fd), U(IOV_AT), U(1), U(OUT_AT + 8)),
	                 W_ENOTCAPABLE);
	assert_int_equal(call(f, "fd_readdir", 5, U(fd), U(BUF_AT), U(100), U(0), U(OUT_AT)),
	                 W_ENOTCAPABLE);
	/* path calls that change things */
	memcpy(f->mem + PATH_AT, "token", 5);
	assert_int_equal(call(f, "path_unlink_file", 3, U(3), U(PATH_AT), U(5)), W_ENOTCAPABLE);
	assert_int_equal(call(f, "path_create_directory", 3, U(3), U(PATH_AT), U(5)),
	                 W_ENOTCAPABLE);
	/* memdir names */
	assert_int_equal(wasi_memdir_add(f->d, "a/b", "x", 1), ENARX_E_INVAL);
	assert_int_equal(wasi_memdir_add(f->d, "..", "x", 1), ENARX_E_INVAL);
	assert_int_equal(wasi_memdir_add(f->d, "", "x", 1), ENARX_E_INVAL);
	assert_int_equal(wasi_memdir_add(f->d, "token", "x", 1), ENARX_E_INVAL);
}

static void test_stat_and_readdir(void **state)
{
	struct fx *f = *state;
	char names[64] = "";
	uint32_t used, off = 0;

	memcpy(f->mem + PATH_AT, "token", 5);
	assert_int_equal(call(f, "path_filestat_get", 5, U(3), U(0), U(PATH_AT), U(5), U(OUT_AT)),
	                 0);
	assert_int_equal(f->mem[OUT_AT + 16], W_FT_REG);
	assert_int_equal(get_u64(f->mem + OUT_AT + 32), 13);
	memcpy(f->mem + PATH_AT, ".", 1);
	assert_int_equal(call(f, "path_filestat_get", 5, U(3), U(0), U(PATH_AT), U(1), U(OUT_AT)),
	                 0);
	assert_int_equal(f->mem[OUT_AT + 16], W_FT_DIR);
	assert_int_equal(call(f, "fd_readdir", 5, U(3), U(BUF_AT), U(4096), U(0), U(OUT_AT)), 0);
	used = get32(f, OUT_AT);
	while (off + 24 <= used) {
		uint32_t nl = get32(f, BUF_AT + off + 16);

		size_t at = strlen(names);

		snprintf(names + at, sizeof(names) - at, "%.*s ", (int)nl,
		         (const char *)f->mem + BUF_AT + off + 24);
		off += 24 + nl;
	}
	assert_string_equal(names, ". .. token empty ");
	/* from a cookie: the entries after it */
	assert_int_equal(call(f, "fd_readdir", 5, U(3), U(BUF_AT), U(4096), U(3), U(OUT_AT)), 0);
	assert_int_equal(get32(f, OUT_AT), 24 + 5);
	assert_memory_equal(f->mem + BUF_AT + 24, "empty", 5);
	/* a small buffer is filled, no more */
	assert_int_equal(call(f, "fd_readdir", 5, U(3), U(BUF_AT), U(10), U(0), U(OUT_AT)), 0);
	assert_int_equal(get32(f, OUT_AT), 10);
	/* "." opens the directory again */
	assert_int_equal(open_at(f, 3, ".", W_O_DIRECTORY, W_R_FD_READDIR), 0);
	assert_int_equal(
	    call(f, "fd_readdir", 5, U(get32(f, OUT_AT)), U(BUF_AT), U(4096), U(0), U(OUT_AT + 8)),
	    0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prestat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_read_seek, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat_and_readdir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
