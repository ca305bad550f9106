/* SPDX-License-Identifier: Apache-2.0 */
/* The nil backend: no TEE. The executor runs as a child process, started
 * from the embedded image through a memfd, with only fds 0-3, an empty
 * environment, PR_SET_NO_NEW_PRIVS, and a seccomp allow-list of the system
 * calls the executor makes; anything else fails with ENOSYS, as in a Keep
 * shim (so the custom SYS_GETATT/SYS_GETKEY calls report "no TEE"). */
#include <errno.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/platform.h"
#include "keep/abi.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

#define EXEC_FD (KEEP_PROTO_FD + 1) /* the memfd, just above the keep fd, closed on exec */
/* Parking spots while fds are moved to KEEP_PROTO_FD and EXEC_FD: above
 * anything the child inherits, so neither move can clobber the other. */
#define PARK_EXEC_FD 100
#define PARK_KEEP_FD 101

static void nil_probe(struct platform_backend *b, const struct platform_report *host)
{
	(void)host;
	platform_add(b, "always", true, "no hardware needed",
	             "runs the executor as a sandboxed process; no confidentiality");
}

/* The system calls the executor (static glibc + engine + WASI) makes: the
 * NIL_ALLOW rows of keep/syscalls.def, by name so libseccomp maps them. */
#define NIL_ALLOW(name) SCMP_SYS(name),
#define NIL_ARGS(name)
#define NIL_DENY(name)
static const int allowed[] = {
#define X(name, nr, nil, shim, host) nil(name)
#include "keep/syscalls.def"
#undef X
};
#undef NIL_ALLOW
#undef NIL_ARGS
#undef NIL_DENY

/* The NIL_ARGS rows: each allowed only with these argument rules. */
static int nil_args_socket(scmp_filter_ctx f)
{
	/* IPv4/IPv6 only */
	int rc =
	    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		                      SCMP_A0(SCMP_CMP_EQ, AF_INET6));
	return rc;
}

static int nil_args_ioctl(scmp_filter_ctx f)
{
	/* FIONREAD (poll_oneoff byte counts) and terminal queries only */
	int rc =
	    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		                      SCMP_A1(SCMP_CMP_EQ, TCGETS));
	return rc;
}

static int nil_args_execveat(scmp_filter_ctx f)
{
	/* starting the executor itself: execveat(EXEC_FD, "", ..., AT_EMPTY_PATH) */
	return seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2,
	                        SCMP_A0(SCMP_CMP_EQ, EXEC_FD), SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH));
}

/* Adds every NIL_ARGS row's rules; a row without its nil_args_<name>() fails
 * the build, and so does a function without a row (unused static). */
static int add_arg_rules(scmp_filter_ctx f)
{
	int rc = 0;
#define NIL_ALLOW(name)
#define NIL_ARGS(name) \
	if (!rc)       \
		rc = nil_args_##name(f);
#define NIL_DENY(name)
#define X(name, nr, nil, shim, host) nil(name)
#include "keep/syscalls.def"
#undef X
	return rc;
}

/* Builds the seccomp program in the parent. The child may only make
 * async-signal-safe calls between fork and exec (enarx run has an I/O thread,
 * so a lock held at fork time, say in malloc, would never be released), so
 * it just installs this ready-made program. On success prog->filter is
 * allocated; the caller frees it. */
static int build_seccomp(struct sock_fprog *prog)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	struct sock_filter *insns = NULL;
	size_t i;
	off_t n;
	int rc = 0, fd = -1;

	if (!f)
		return -1;
	for (i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	if (!rc)
		rc = add_arg_rules(f);
	if (!rc) {
		fd = memfd_create("enarx-seccomp", MFD_CLOEXEC);
		rc = fd < 0 ? -1 : seccomp_export_bpf(f, fd);
	}
	if (!rc) {
		n = lseek(fd, 0, SEEK_END);
		if (n <= 0 || n % (off_t)sizeof(*insns) != 0 ||
		    n / (off_t)sizeof(*insns) > USHRT_MAX)
			rc = -1;
	}
	if (!rc) {
		insns = xmalloc((size_t)n);
		if (!insns || pread(fd, insns, (size_t)n, 0) != (ssize_t)n)
			rc = -1;
	}
	if (!rc) {
		prog->filter = insns;
		prog->len = (unsigned short)(n / (off_t)sizeof(*insns));
		insns = NULL;
	}
	xfree(insns);
	if (fd >= 0)
		close(fd);
	seccomp_release(f);
	return rc;
}

/* In the child: arrange fds, drop privileges, exec. Never returns. */
static void child(const struct keep_launch *l, int memfd, const struct sock_fprog *prog)
{
	static char *const envp[] = {NULL};
	static const char *const dflt_argv[] = {"enarx-exec", NULL};
	const char *const *argv = l->exec_argv ? l->exec_argv : dflt_argv;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (dup2(memfd, PARK_EXEC_FD) < 0 || dup2(l->keep_fd, PARK_KEEP_FD) < 0 ||
	    dup2(PARK_EXEC_FD, EXEC_FD) < 0 || dup2(PARK_KEEP_FD, KEEP_PROTO_FD) < 0)
		_exit(126);
	fcntl(EXEC_FD, F_SETFD, FD_CLOEXEC);
	if (syscall(SYS_close_range, EXEC_FD + 1, ~0U, 0) != 0) {
		for (int fd = EXEC_FD + 1; fd < 1024; fd++)
			close(fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(126);
	if (prog->filter && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog) != 0)
		_exit(126);
	syscall(SYS_execveat, EXEC_FD, "", (char *const *)argv, envp, AT_EMPTY_PATH);
	_exit(127);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t r;

	while (n) {
		r = write(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int nil_run(const struct keep_launch *l, int *exit_code)
{
	struct sock_fprog prog = {0};
	int memfd, status;
	pid_t pid, w;

	if (!l->exec || !l->exec_len) {
		log_error("nil: no executor image in this build");
		return ENARX_E_NOTSUP;
	}
	memfd = memfd_create("enarx-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || write_all(memfd, l->exec, l->exec_len) != 0) {
		log_error("nil: memfd for the executor: %s", strerror(errno));
		if (memfd >= 0)
			close(memfd);
		return ENARX_E_IO;
	}
	fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	if (getenv("ENARX_NIL_NO_SECCOMP") == NULL && build_seccomp(&prog) != 0) {
		log_error("nil: cannot build the seccomp filter");
		close(memfd);
		return ENARX_E_INTERNAL;
	}
	pid = fork();
	if (pid < 0) {
		log_error("nil: fork: %s", strerror(errno));
		xfree(prog.filter);
		close(memfd);
		return ENARX_E_IO;
	}
	if (pid == 0)
		child(l, memfd, &prog);
	xfree(prog.filter);
	close(memfd);
	do {
		w = waitpid(pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		log_error("nil: waitpid: %s", strerror(errno));
		return ENARX_E_IO;
	}
	if (WIFEXITED(status))
		*exit_code = WEXITSTATUS(status);
	else
		*exit_code = 128 + WTERMSIG(status);
	if (WIFEXITED(status) && (*exit_code == 126 || *exit_code == 127))
		log_debug("nil: executor setup failed (status %d)", *exit_code);
	return 0;
}

const struct backend backend_nil = {
    .name = "nil",
    .probe = nil_probe,
    .run = nil_run,
};
