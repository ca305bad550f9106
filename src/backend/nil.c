/* SPDX-License-Identifier: Apache-2.0 */
/* The nil backend: no TEE. The executor runs as a child process (watched
 * through a pidfd), started from the embedded image through a memfd, with
 * only fds 0-3, an empty environment, PR_SET_NO_NEW_PRIVS, and a seccomp
 * allow-list of the system calls the executor makes; anything else fails
 * with ENOSYS, as in a Keep shim (so the custom SYS_GETATT/SYS_GETKEY calls
 * report "no TEE"). */
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
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

#define EXEC_FD 4 /* the memfd, just above the keep fd, closed on exec */

static int nil_usable(char *why, size_t n)
{
	if (why && n)
		snprintf(why, n, "always available (no TEE: no confidentiality)");
	return 1;
}

/* The system calls the executor (static glibc + engine + WASI) makes. */
static const int allowed[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(preadv),
    SCMP_SYS(pwritev),
    SCMP_SYS(close),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(openat),
    SCMP_SYS(openat2),
    SCMP_SYS(getdents64),
    SCMP_SYS(mkdirat),
    SCMP_SYS(unlinkat),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(linkat),
    SCMP_SYS(symlinkat),
    SCMP_SYS(readlinkat),
    SCMP_SYS(utimensat),
    SCMP_SYS(fcntl),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fallocate),
    SCMP_SYS(fadvise64),
    SCMP_SYS(dup),
    SCMP_SYS(dup3),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(getrandom),
    SCMP_SYS(sched_yield),
    SCMP_SYS(ppoll),
    SCMP_SYS(poll),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(accept4),
    SCMP_SYS(connect),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(shutdown),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(tgkill),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(prlimit64),
    SCMP_SYS(arch_prctl),
    SCMP_SYS(set_tid_address),
    SCMP_SYS(uname),
    SCMP_SYS(readlink),
    SCMP_SYS(sysinfo),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(landlock_create_ruleset),
    SCMP_SYS(landlock_add_rule),
    SCMP_SYS(landlock_restrict_self),
    SCMP_SYS(getegid),
};

/* Builds the seccomp program in the parent. The child may only make
 * async-signal-safe calls between fork and exec (a host agent starts Keeps
 * from many threads, so a lock held at fork time, say in malloc, would never
 * be released), so it just installs this ready-made program. On success prog->filter is
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
	/* sockets: IPv4/IPv6 only */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		                      SCMP_A0(SCMP_CMP_EQ, AF_INET));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		                      SCMP_A0(SCMP_CMP_EQ, AF_INET6));
	/* ioctl: FIONREAD (poll_oneoff byte counts) and terminal queries only */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		                      SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		                      SCMP_A1(SCMP_CMP_EQ, TCGETS));
	/* starting the executor itself: execveat(EXEC_FD, "", ..., AT_EMPTY_PATH) */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2,
		                      SCMP_A0(SCMP_CMP_EQ, EXEC_FD),
		                      SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH));
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

/* In the child: arrange fds, drop privileges, exec. Never returns. Only
 * async-signal-safe calls: every source fd goes above 100 first (F_DUPFD
 * picks free numbers, so none is clobbered), then down to 0..4. */
static void child(const struct keep_launch *l, int memfd, const struct sock_fprog *prog)
{
	static char *const envp[] = {NULL};
	static const char *const dflt_argv[] = {"enarx-exec", NULL};
	const char *const *argv = l->exec_argv ? l->exec_argv : dflt_argv;
	int src[EXEC_FD + 1], tmp[EXEC_FD + 1], i;

	/* No orphans. The "parent" here is the thread that forked: a host
	 * agent must start Keeps from a thread that outlives them. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < 3; i++)
		src[i] = l->stdio ? l->stdio[i] : i;
	src[3] = l->keep_fd;
	src[EXEC_FD] = memfd;
	for (i = 0; i <= EXEC_FD; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD, 100)) < 0)
			_exit(126);
	for (i = 0; i <= EXEC_FD; i++)
		if (dup2(tmp[i], i) < 0)
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

/* A nil Keep is a child process, watched through a pidfd: it polls readable
 * when the child exits, and signals sent through it can never hit a recycled
 * pid. */
struct backend_keep {
	pid_t pid;
	int pidfd;
	int done; /* reaped: rc and code are final */
	int rc, code;
};

/* The executor image in a sealed memfd, ready for execveat. */
static int exec_memfd(const struct keep_launch *l)
{
	int memfd = memfd_create("enarx-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (memfd < 0 || write_all(memfd, l->exec, l->exec_len) != 0) {
		log_error("nil: memfd for the executor: %s", strerror(errno));
		if (memfd >= 0)
			close(memfd);
		return -1;
	}
	fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	return memfd;
}

static int nil_start(const struct keep_launch *l, struct backend_keep **out)
{
	struct sock_fprog prog = {0};
	struct backend_keep *k = NULL;
	int memfd, rc = ENARX_E_IO;

	*out = NULL;
	if (!l->exec || !l->exec_len) {
		log_error("nil: no executor image in this build");
		return ENARX_E_NOTSUP;
	}
	memfd = exec_memfd(l);
	if (memfd < 0)
		return ENARX_E_IO;
	if (getenv("ENARX_NIL_NO_SECCOMP") == NULL && build_seccomp(&prog) != 0) {
		log_error("nil: cannot build the seccomp filter");
		rc = ENARX_E_INTERNAL;
		goto out;
	}
	k = xcalloc(1, sizeof(*k));
	if (!k) {
		rc = ENARX_E_NOMEM;
		goto out;
	}
	k->pid = fork();
	if (k->pid < 0) {
		log_error("nil: fork: %s", strerror(errno));
		goto out;
	}
	if (k->pid == 0)
		child(l, memfd, &prog);
	/* Until it is reaped, the child's pid cannot be reused: safe to open. */
	k->pidfd = (int)syscall(SYS_pidfd_open, k->pid, 0);
	if (k->pidfd < 0) {
		log_error("nil: pidfd_open: %s", strerror(errno));
		kill(k->pid, SIGKILL);
		waitpid(k->pid, NULL, 0);
		goto out;
	}
	*out = k;
	k = NULL;
	rc = 0;
out:
	xfree(k);
	xfree(prog.filter);
	close(memfd);
	return rc;
}

static int nil_fd(const struct backend_keep *k)
{
	return k->pidfd;
}

static int nil_wait(struct backend_keep *k, int *exit_code)
{
	int status;
	pid_t w;

	if (k->done) {
		*exit_code = k->code;
		return k->rc;
	}
	do {
		w = waitpid(k->pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	k->done = 1;
	if (w < 0) {
		log_error("nil: waitpid: %s", strerror(errno));
		k->rc = ENARX_E_IO;
		return k->rc;
	}
	if (WIFEXITED(status))
		k->code = WEXITSTATUS(status);
	else
		k->code = 128 + WTERMSIG(status);
	if (WIFEXITED(status) && (k->code == 126 || k->code == 127))
		log_debug("nil: executor setup failed (status %d)", k->code);
	*exit_code = k->code;
	return 0;
}

static int nil_kill(struct backend_keep *k)
{
	if (k->done)
		return 0;
	if (syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0) != 0 && errno != ESRCH) {
		log_error("nil: kill: %s", strerror(errno));
		return ENARX_E_IO;
	}
	return 0;
}

static void nil_free(struct backend_keep *k)
{
	int code;

	if (!k)
		return;
	if (!k->done) {
		nil_kill(k);
		nil_wait(k, &code);
	}
	close(k->pidfd);
	xfree(k);
}

const struct backend backend_nil = {
    .name = "nil",
    .usable = nil_usable,
    .start = nil_start,
    .fd = nil_fd,
    .wait = nil_wait,
    .kill = nil_kill,
    .free = nil_free,
};
