/* SPDX-License-Identifier: Apache-2.0 */
/* The sandboxes around the executor: the nil backend (fds, environment,
 * no_new_privs, seccomp: checked from inside by a probe run in place of the
 * executor) and the executor's own Landlock ruleset (checked in a child). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "exec/landlock.h"
#include "lib/buf.h"

static const char *probe_path;

static void read_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	for (;;) {
		assert_int_equal(buf_reserve(b, 65536), 0);
		n = read(fd, b->data + b->len, 65536);
		assert_true(n >= 0);
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	close(fd);
}

static void test_nil_sandbox_from_inside(void **state)
{
	static const char *const checks[] = {
	    "fd3_socket",    "no_other_fds",        "empty_environment",
	    "no_new_privs",  "seccomp_filter",      "getatt_enosys",
	    "getkey_enosys", "unix_socket_denied",  "netlink_socket_denied",
	    "ptrace_denied", "mount_denied",        "execve_denied",
	    "kill_denied",   "inet_socket_allowed",
	};
	struct keep_launch kl;
	struct buf img = {0}, out = {0};
	int sv[2], code = -1, extra = open("/dev/null", O_RDONLY);
	ssize_t n;

	(void)state;
	read_file(probe_path, &img);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(&kl, 0, sizeof(kl));
	kl.exec = img.data;
	kl.exec_len = img.len;
	kl.keep_fd = sv[1];
	assert_int_equal(backend_run(&backend_nil, &kl, &code), 0);
	assert_int_equal(code, 0);
	close(sv[1]);
	for (;;) {
		assert_int_equal(buf_reserve(&out, 4096), 0);
		n = read(sv[0], out.data + out.len, 4096);
		if (n <= 0)
			break;
		out.len += (size_t)n;
	}
	buf_append_u8(&out, 0);
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s ok", checks[i]);
		if (!strstr((char *)out.data, want))
			print_error("probe said:\n%s\nmissing: %s\n", (char *)out.data, want);
		assert_non_null(strstr((char *)out.data, want));
	}
	close(sv[0]);
	close(extra);
	buf_free(&img, 0);
	buf_free(&out, 0);
}

/* In a child: Landlock to `allowed` (read-only or not), then try things.
 * Exit status bit i is set when check i failed. */
static int landlock_child(const char *allowed, const char *outside, int readonly)
{
	struct exec_dir d;
	int st, bits = 0, fd, rc;
	pid_t pid = fork();

	if (pid == 0) {
		d.fd = open(allowed, O_RDONLY | O_DIRECTORY);
		d.readonly = readonly;
		rc = exec_landlock(&d, 1);
		if (rc == 0)
			_exit(100); /* no Landlock here */
		if (rc < 0)
			_exit(101);
		fd = openat(d.fd, "inside.txt", O_RDONLY);
		bits |= fd < 0 ? 1 : 0;
		fd = open(outside, O_RDONLY);
		bits |= (fd >= 0 || errno != EACCES) ? 2 : 0;
		fd = open("/etc/hostname", O_RDONLY);
		bits |= (fd >= 0) ? 4 : 0;
		fd = openat(d.fd, "new.txt", O_WRONLY | O_CREAT, 0644);
		bits |= readonly ? (fd >= 0 ? 8 : 0) : (fd < 0 ? 8 : 0);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		bits |= fd < 0 ? 16 : 0; /* sockets may be made, not bound */
		_exit(bits);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_landlock(void **state)
{
	char root[] = "/tmp/enarx-landlock-XXXXXX", in[64], out[64], p[96];
	int rc;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(in, sizeof(in), "%s/in", root);
	snprintf(out, sizeof(out), "%s/secret", root);
	mkdir(in, 0755);
	snprintf(p, sizeof(p), "%s/inside.txt", in);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	close(open(out, O_WRONLY | O_CREAT, 0644));
	rc = landlock_child(in, out, 0);
	if (rc == 100) {
		skip();
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(landlock_child(in, out, 1), 0);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nil_sandbox_from_inside),
	    cmocka_unit_test(test_landlock),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: test_sandbox PROBE\n");
		return 2;
	}
	probe_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
