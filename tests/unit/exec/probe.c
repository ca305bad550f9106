/* SPDX-License-Identifier: Apache-2.0 */
/* A stand-in executor for test_sandbox: run by the nil backend in place of
 * enarx-exec, it looks at the sandbox it was given and writes one line per
 * check to fd 3 ("name ok", "name FAIL detail" or "name SKIP why"). Static,
 * like the real executor. argv: HOSTFILE HOSTPID PORT [jit]: a host file
 * outside every preopen, a host process, a TCP port listening on host
 * loopback, and "jit" when the Keep was started for the JIT. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec/seccomp.h"

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
	int n = strncmp(detail, "SKIP", 4) == 0
	            ? snprintf(line, sizeof(line), "%s %s\n", name, detail)
	            : snprintf(line, sizeof(line), "%s %s %s\n", name, ok ? "ok" : "FAIL", detail);

	if (n > 0 && write(3, line, (size_t)n) < 0)
		_exit(3);
}

static void expect_enosys(const char *name, long r)
{
	char d[64];

	snprintf(d, sizeof(d), "r=%ld errno=%d", r, errno);
	report(name, r == -1 && errno == ENOSYS, d);
}

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* The value of a "Name:\t..." line of /proc/self/status, or NULL. */
static const char *status_field(const char *status, const char *name)
{
	const char *p = strstr(status, name);

	return p ? p + strlen(name) : NULL;
}

/* What /proc says, where the Keep has one (not in the empty root). */
static void proc_checks(void)
{
	static const char *const need[][2] = {
	    {"no_new_privs", "NoNewPrivs:\t1"},
	    {"seccomp_filter", "Seccomp:\t2"},
	    {"cap_eff_zero", "CapEff:\t0000000000000000"},
	    {"cap_prm_zero", "CapPrm:\t0000000000000000"},
	    {"cap_amb_zero", "CapAmb:\t0000000000000000"},
	};
	char buf[4096] = "";
	const char *ns;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (n <= 0)
			report(need[i][0], 1, "SKIP no /proc");
		else
			report(need[i][0], strstr(buf, need[i][1]) != NULL, "");
	}
	if (n > 0)
		report("no_groups",
		       strstr(buf, "Groups:\t\n") != NULL || strstr(buf, "Groups:\t \n") != NULL,
		       "");
	if (n > 0)
		report("cap_bnd_zero", strstr(buf, "CapBnd:\t0000000000000000") != NULL, "");
	/* "NSpid:\t<host pid>\t1\n": two levels, and pid 1 in the inner one */
	ns = n > 0 ? status_field(buf, "NSpid:\t") : NULL;
	if (ns) {
		const char *tab = strchr(ns, '\t'), *nl = strchr(ns, '\n');

		report("pid_namespace_proc", tab && nl && tab < nl && strncmp(tab, "\t1\n", 3) == 0,
		       "");
	}
}

/* Raw, packet, UDP and MPTCP sockets are never allowed; TCP is. */
static void socket_checks(void)
{
	int fd;

	expect_enosys("raw_socket_denied", socket(AF_INET, SOCK_RAW, IPPROTO_TCP));
	expect_enosys("raw6_socket_denied", socket(AF_INET6, SOCK_RAW, IPPROTO_UDP));
	expect_enosys("sock_packet_denied", socket(AF_INET, SOCK_PACKET, 0));
	expect_enosys("packet_socket_denied", socket(AF_PACKET, SOCK_RAW, 0));
	expect_enosys("mptcp_socket_denied", socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
	expect_enosys("udp_socket_denied", socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	report("tcp_socket_allowed", fd >= 0, "");
	if (fd >= 0)
		close(fd);
}

/* The host's loopback listener is out of reach in the Keep's own network
 * namespace. */
static void net_check(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char d[64];
	int r;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = fd >= 0 ? connect(fd, (struct sockaddr *)&a, sizeof(a)) : -2;
	snprintf(d, sizeof(d), "connect=%d errno=%d", r, errno);
	report("host_loopback_unreachable", r == -1, d);
	if (fd >= 0)
		close(fd);
}

/* After the executor's second filter: no new sockets, binds, listens,
 * connects or execveat, even on a socket made before. */
static void lock_checks(void)
{
	static char arg0[] = "x";
	char *const args[] = {arg0, NULL};
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	report("second_filter_installed", exec_seccomp_lock() == 0, "");
	expect_enosys("listen_after_lock_denied", listen(fd, 1));
	expect_enosys("bind_after_lock_denied", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	expect_enosys("connect_after_lock_denied", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	expect_enosys("socket_after_lock_denied", socket(AF_INET, SOCK_STREAM, 0));
	expect_enosys("execveat_after_lock_denied",
	              syscall(SYS_execveat, 4, "", args, environ, AT_EMPTY_PATH));
}

/* Executable memory (W^X): never writable and executable at once; for an
 * interpreter Keep never executable at all. */
static void prot_exec_checks(int jit)
{
	const int rw = PROT_READ | PROT_WRITE, rx = PROT_READ | PROT_EXEC;
	void *p = mmap(NULL, 4096, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *q;

	report("rw_mmap_allowed", p != MAP_FAILED, "");
	q = mmap(NULL, 4096, rw | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect_enosys("wx_mmap_denied", q == MAP_FAILED ? -1 : 0);
	expect_enosys("wx_mprotect_denied", mprotect(p, 4096, rw | PROT_EXEC));
	q = mmap(NULL, 4096, rx, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit) {
		report("exec_mmap_allowed", q != MAP_FAILED, "");
		report("exec_mprotect_allowed", mprotect(p, 4096, rx) == 0, "");
		/* the executor's seal once the module is compiled */
		report("exec_seal_installed", exec_seccomp_seal_exec() == 0, "");
		expect_enosys("exec_mprotect_after_seal_denied", mprotect(p, 4096, rx));
		q = mmap(NULL, 4096, rx, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		expect_enosys("exec_mmap_after_seal_denied", q == MAP_FAILED ? -1 : 0);
		report("rw_mprotect_after_seal_allowed", mprotect(p, 4096, rw) == 0, "");
	} else {
		expect_enosys("exec_mmap_denied", q == MAP_FAILED ? -1 : 0);
		expect_enosys("exec_mprotect_denied", mprotect(p, 4096, rx));
	}
}

int main(int argc, char **argv)
{
	const char *hostfile = argc > 1 ? argv[1] : "/etc/hostname";
	long hostpid = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	int port = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 9;
	struct timespec old[2] = {{0, 0}, {0, 0}};
	struct rlimit rl;
	struct stat st;
	char path[64];
	int fd, ok = 1;

	prot_exec_checks(argc > 4 && strcmp(argv[4], "jit") == 0);
	report("fd3_socket", fstat(3, &st) == 0 && S_ISSOCK(st.st_mode), "");
	for (int i = 4; i < 64; i++)
		if (fcntl(i, F_GETFD) != -1)
			ok = 0;
	report("no_other_fds", ok, "");
	report("empty_environment", environ == NULL || environ[0] == NULL, "");
	report("pid_1", getpid() == 1, "");
	snprintf(path, sizeof(path), "/proc/%ld", hostpid);
	report("host_pid_invisible", stat(path, &st) != 0, path);
	report("prlimit_self_allowed", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0,
	       "");
	expect_enosys("prlimit_other_denied",
	              syscall(SYS_prlimit64, hostpid, RLIMIT_NOFILE, NULL, &rl));
	report("utimensat_outside_denied", utimensat(AT_FDCWD, hostfile, old, 0) != 0, hostfile);
	report("stat_outside_denied", stat(hostfile, &st) != 0, hostfile);
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
	socket_checks();
	net_check(port);
	lock_checks();
	/* never uid 0 (root starts it as ENARX_KEEP_UID, 65534) */
	report("uid_unprivileged", getuid() != 0 && geteuid() != 0 && getgid() != 0, "");
	proc_checks();
	return 0;
}
