/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for file_read_all(): regular, empty, appended, directory, FIFO
 * (must not block), device, oversize (by size and exactly at the limit),
 * missing; every error names the path. Files live in a fresh temp dir. */
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

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"

static char dir[64];

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *data, size_t len)
{
	char p[128];
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/enarx-test-file-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *names[] = {"reg", "empty", "big", "exact", "fifo", "sub"};
	char p[128];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_of(p, sizeof(p), names[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
	return rmdir(dir);
}

static void test_regular(void **state)
{
	struct buf b = {0};
	char p[128], err[256];

	(void)state;
	write_file("reg", "hello\0world", 11);
	path_of(p, sizeof(p), "reg");
	assert_int_equal(file_read_all(p, 100, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "hello\0world", 11);
	assert_string_equal(err, "");
	/* appends after what the buffer holds */
	assert_int_equal(file_read_all(p, 11, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, 22);
	assert_memory_equal(b.data + 11, "hello\0world", 11);
	buf_free(&b, 0);
}

static void test_empty(void **state)
{
	struct buf b = {0};
	char p[128], err[256];

	(void)state;
	write_file("empty", "", 0);
	path_of(p, sizeof(p), "empty");
	assert_int_equal(file_read_all(p, 0, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b, 0);
}

static void test_oversize(void **state)
{
	struct buf b = {0};
	char p[128], err[256];
	static char big[200000];

	(void)state;
	memset(big, 'x', sizeof(big));
	write_file("big", big, sizeof(big));
	path_of(p, sizeof(p), "big");
	assert_int_equal(buf_append(&b, "keep", 4), 0);
	assert_int_equal(file_read_all(p, sizeof(big) - 1, &b, err, sizeof(err)), ENARX_E_OVERFLOW);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "larger than 199999 bytes"));
	assert_int_equal(b.len, 4); /* the caller's bytes stay, nothing else */
	/* exactly max bytes is fine */
	write_file("exact", big, 70000);
	path_of(p, sizeof(p), "exact");
	b.len = 0;
	assert_int_equal(file_read_all(p, 70000, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, 70000);
	buf_free(&b, 0);
}

static void test_directory(void **state)
{
	struct buf b = {0};
	char p[128], err[256];

	(void)state;
	path_of(p, sizeof(p), "sub");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(file_read_all(p, 100, &b, err, sizeof(err)), ENARX_E_INVAL);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "is a directory"));
	assert_int_equal(b.len, 0);
	buf_free(&b, 0);
}

static void test_fifo_does_not_block(void **state)
{
	struct buf b = {0};
	char p[128], err[256];

	(void)state;
	path_of(p, sizeof(p), "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	/* no writer: a blocking open would hang here (the test's timeout) */
	assert_int_equal(file_read_all(p, 100, &b, err, sizeof(err)), ENARX_E_INVAL);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "is a FIFO"));
	buf_free(&b, 0);
}

static void test_device(void **state)
{
	struct buf b = {0};
	char err[256];

	(void)state;
	/* /dev/zero would never end if read; it must be refused before reading */
	assert_int_equal(file_read_all("/dev/zero", 100, &b, err, sizeof(err)), ENARX_E_INVAL);
	assert_string_equal(err, "/dev/zero is a device, not a regular file");
	assert_int_equal(b.len, 0);
	buf_free(&b, 0);
}

static void test_missing(void **state)
{
	struct buf b = {0};
	char p[128], err[256];

	(void)state;
	path_of(p, sizeof(p), "no-such-file");
	assert_int_equal(file_read_all(p, 100, &b, err, sizeof(err)), ENARX_E_NOTFOUND);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "No such file"));
	/* a zero-sized error buffer is allowed */
	assert_int_equal(file_read_all(p, 100, &b, NULL, 0), ENARX_E_NOTFOUND);
	buf_free(&b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regular),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_directory),
	    cmocka_unit_test(test_fifo_does_not_block),
	    cmocka_unit_test(test_device),
	    cmocka_unit_test(test_missing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
