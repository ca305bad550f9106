/* SPDX-License-Identifier: Apache-2.0 */
/* A stand-in executor for test_sandbox: run by the nil backend in place of
 * enarx-exec, it looks at the sandbox it was given and writes one line per
 * check to fd 3 ("name ok" or "name FAIL detail"). Static, like the real
 * executor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROBE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PROBE_ASAN 1
#endif
#ifdef PROBE_ASAN
/* Sanitizer builds: LeakSanitizer cannot work under the seccomp filter. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static void report(const char *name, int ok, const char *detail)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s %s %s\n", name, ok ? "ok" : "FAIL", detail);

	if (n > 0 && write(3, line, (size_t)n) < 0)
		_exit(3);
}

static void expect_enosys(const char *name, long r)
{
	char d[64];

	snprintf(d, sizeof(d), "r=%ld errno=%d", r, errno);
	report(name, r == -1 && errno == ENOSYS, d);
}

int main(void)
{
	struct stat st;
	char buf[4096] = "";
	int fd, ok = 1;
	ssize_t n;

	report("fd3_socket", fstat(3, &st) == 0 && S_ISSOCK(st.st_mode), "");
	for (int i = 4; i < 64; i++)
		if (fcntl(i, F_GETFD) != -1)
			ok = 0;
	report("no_other_fds", ok, "");
	report("empty_environment", environ == NULL || environ[0] == NULL, "");
	fd = open("/proc/self/status", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n > 0)
		buf[n] = 0;
	report("no_new_privs", strstr(buf, "NoNewPrivs:\t1") != NULL, "");
	report("seccomp_filter", strstr(buf, "Seccomp:\t2") != NULL, "");
	expect_enosys("getatt_enosys", syscall(0xEA01, 0, 0, 0, 0));
	expect_enosys("getkey_enosys", syscall(0xEA02, 0, 0));
	expect_enosys("unix_socket_denied", socket(AF_UNIX, SOCK_STREAM, 0));
	expect_enosys("netlink_socket_denied", socket(AF_NETLINK, SOCK_RAW, 0));
	/* A target that does not exist: harmless even if the filter is off
	 * (never mount over a real directory from a test). */
	expect_enosys("mount_denied",
	              syscall(SYS_mount, "none", "/nonexistent-enarx-probe", "tmpfs", 0, NULL));
	static char arg0[] = "true";
	char *const args[] = {arg0, NULL};

	expect_enosys("execve_denied", execve("/bin/true", args, environ));
	/* after execve: a traced process that execs would stop for its tracer */
	expect_enosys("ptrace_denied", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	expect_enosys("kill_denied", syscall(SYS_kill, 1, 0)); /* signal 0: a probe */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	report("inet_socket_allowed", fd >= 0, "");
	return 0;
}
