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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/platform.h"
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

/* What this host's nil sandbox has, from the backend's own probe. */
static int has_ns(const char *name)
{
	struct platform_backend pb;

	platform_probe_one(&backend_nil, &pb);
	for (size_t i = 0; i < pb.nchecks; i++) {
		if (strcmp(pb.checks[i].name, "sandbox_namespaces") == 0) {
			const char *miss = strstr(pb.checks[i].detail, "not available");

			return !miss || !strstr(miss, name);
		}
	}
	return 0;
}

/* Runs the probe under the nil backend (with ENARX_NIL_NO_ROOT=no_root; as
 * for the JIT when jit) and returns what it wrote to fd 3, NUL-terminated. */
static void run_probe_as(int no_root, int jit, struct buf *out)
{
	char tmpl[] = "/tmp/enarx-probe-XXXXXX", pid[24], port[16];
	const char *argv[] = {"probe", tmpl, pid, port, jit ? "jit" : "interp", NULL};
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct keep_launch kl;
	struct buf img = {0};
	struct stat before, after;
	int sv[2], code = -1, extra = open("/dev/null", O_RDONLY);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), hf = mkstemp(tmpl);
	ssize_t n;

	assert_true(hf >= 0 && lfd >= 0);
	close(hf);
	assert_int_equal(stat(tmpl, &before), 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	read_file(probe_path, &img);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(&kl, 0, sizeof(kl));
	kl.exec = img.data;
	kl.exec_len = img.len;
	kl.keep_fd = sv[1];
	kl.exec_argv = argv;
	kl.jit = jit;
	if (no_root)
		setenv("ENARX_NIL_NO_ROOT", "1", 1);
	assert_int_equal(backend_run(&backend_nil, &kl, &code), 0);
	unsetenv("ENARX_NIL_NO_ROOT");
	assert_int_equal(code, 0);
	close(sv[1]);
	for (;;) {
		assert_int_equal(buf_reserve(out, 4096), 0);
		n = read(sv[0], out->data + out->len, 4096);
		if (n <= 0)
			break;
		out->len += (size_t)n;
	}
	buf_append_u8(out, 0);
	/* the probe's utimensat did not reach the host file (empty root) */
	assert_int_equal(stat(tmpl, &after), 0);
	if (!no_root && has_ns("mount") && !backend_exec_is_dynamic(img.data, img.len))
		assert_int_equal(after.st_mtime, before.st_mtime);
	unlink(tmpl);
	close(sv[0]);
	close(lfd);
	close(extra);
	buf_free(&img, 0);
}

static void run_probe(int no_root, struct buf *out)
{
	run_probe_as(no_root, 0, out);
}

static void expect(const struct buf *out, const char *const *checks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s ok", checks[i]);
		if (!strstr((char *)out->data, want))
			print_error("probe said:\n%s\nmissing: %s\n", (char *)out->data, want);
		assert_non_null(strstr((char *)out->data, want));
	}
}

#define EXPECT(out, list) expect(out, list, sizeof(list) / sizeof(list[0]))

/* Seccomp and descriptors: the same on every host. */
static void test_nil_sandbox_from_inside(void **state)
{
	static const char *const checks[] = {
	    "fd3_socket",
	    "no_other_fds",
	    "empty_environment",
	    "getatt_enosys",
	    "getkey_enosys",
	    "unix_socket_denied",
	    "netlink_socket_denied",
	    "ptrace_denied",
	    "mount_denied",
	    "execve_denied",
	    "kill_denied",
	    "inet_socket_allowed",
	    "prlimit_self_allowed",
	    "prlimit_other_denied",
	    "raw_socket_denied",
	    "raw6_socket_denied",
	    "sock_packet_denied",
	    "packet_socket_denied",
	    "mptcp_socket_denied",
	    "udp_socket_denied",
	    "tcp_socket_allowed",
	    "second_filter_installed",
	    "listen_after_lock_denied",
	    "bind_after_lock_denied",
	    "connect_after_lock_denied",
	    "socket_after_lock_denied",
	    "execveat_after_lock_denied",
	    "uid_unprivileged",
	};
	struct buf out = {0};

	(void)state;
	run_probe(0, &out);
	EXPECT(&out, checks);
	buf_free(&out, 0);
}

/* PROT_EXEC (issue 19): an interpreter Keep can map no executable memory;
 * a JIT Keep can, but never writable and executable at once. A dynamic
 * (sanitizer) probe needs its loader's executable mappings: only W^X. */
static void test_nil_prot_exec(void **state)
{
	static const char *const wx[] = {"rw_mmap_allowed", "wx_mmap_denied", "wx_mprotect_denied"};
	static const char *const interp[] = {"exec_mmap_denied", "exec_mprotect_denied"};
	static const char *const jit[] = {
	    "exec_mmap_allowed",           "exec_mprotect_allowed",
	    "exec_seal_installed",         "exec_mprotect_after_seal_denied",
	    "exec_mmap_after_seal_denied", "rw_mprotect_after_seal_allowed"};
	struct buf out = {0}, img = {0};
	int dyn;

	(void)state;
	read_file(probe_path, &img);
	dyn = backend_exec_is_dynamic(img.data, img.len);
	buf_free(&img, 0);
	run_probe_as(0, 0, &out);
	EXPECT(&out, wx);
	if (!dyn)
		EXPECT(&out, interp);
	else
		print_message("# dynamic probe: PROT_EXEC allowed for its loader\n");
	out.len = 0;
	run_probe_as(0, 1, &out);
	EXPECT(&out, wx);
	EXPECT(&out, jit);
	buf_free(&out, 0);
}

/* Namespaces and the empty root, where this host gives them. */
static void test_nil_sandbox_namespaces(void **state)
{
	static const char *const pid[] = {"pid_1"};
	static const char *const net[] = {"host_loopback_unreachable"};
	static const char *const root[] = {"host_pid_invisible", "utimensat_outside_denied",
	                                   "stat_outside_denied"};
	struct buf out = {0}, img = {0};
	int dyn;

	(void)state;
	read_file(probe_path, &img);
	dyn = backend_exec_is_dynamic(img.data, img.len);
	buf_free(&img, 0);
	if (!has_ns("pid") && !has_ns("net") && (!has_ns("mount") || dyn)) {
		print_message("# no pid, net or mount namespace here\n");
		skip();
		return;
	}
	run_probe(0, &out);
	if (has_ns("pid"))
		EXPECT(&out, pid);
	if (has_ns("net"))
		EXPECT(&out, net);
	if (has_ns("mount") && !dyn)
		EXPECT(&out, root);
	buf_free(&out, 0);
}

/* Without the empty root /proc is the host's: it shows no capability, an
 * empty bounding set, no_new_privs, the filter, and a second pid level. */
static void test_nil_sandbox_proc_view(void **state)
{
	static const char *const checks[] = {
	    "no_new_privs", "seccomp_filter", "cap_eff_zero", "cap_prm_zero",
	    "cap_amb_zero", "cap_bnd_zero",   "no_groups",
	};
	static const char *const pidns[] = {"pid_namespace_proc"};
	struct buf out = {0};

	(void)state;
	run_probe(1, &out);
	EXPECT(&out, checks);
	if (has_ns("pid"))
		EXPECT(&out, pidns);
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
	    cmocka_unit_test(test_nil_prot_exec),
	    cmocka_unit_test(test_nil_sandbox_namespaces),
	    cmocka_unit_test(test_nil_sandbox_proc_view),
	    cmocka_unit_test(test_landlock),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: test_sandbox PROBE\n");
		return 2;
	}
	probe_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
