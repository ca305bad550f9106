/* SPDX-License-Identifier: Apache-2.0 */
/* Allow-list seccomp filters for the host agent's two processes
 * (sandbox.h). Each list is what the process was seen to make under the
 * e2e suites (strace -f of e2e-host-*, e2e-deploy-host), grouped by what
 * needs it, plus the neighbours glibc, libevent, OpenSSL and SQLite reach
 * for on other versions (the *at and 64-bit variants, poll flavours). A
 * call not listed fails with ENOSYS, which glibc treats as "not on this
 * kernel" and falls back from (clone3, statx, faccessat2, close_range,
 * rseq); `--no-sandbox` turns the filters off to find a missing one,
 * ENARX_HOST_SECCOMP=kill makes one fatal (the tests run that way). */
#include "host/sandbox.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "keep/abi.h" /* KEEP_SYS_GETATT, KEEP_SYS_GETKEY for syscalls.def */
#include "lib/err.h"
#include "lib/log.h"
#include "lib/sanitize.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>

/* Both processes: memory, descriptors, files, time, signals, exit. */
static const int common[] = {
    /* memory */
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    /* descriptors and I/O */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(close),
    SCMP_SYS(close_range),
    SCMP_SYS(dup),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(fcntl),
    SCMP_SYS(ioctl),
    SCMP_SYS(lseek),
    SCMP_SYS(pipe2),
    SCMP_SYS(socketpair),
    SCMP_SYS(shutdown),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(eventfd2),
    SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    /* waiting */
    SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(select),
    SCMP_SYS(pselect6),
    SCMP_SYS(futex),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(sched_yield),
    /* files (state, certificates, /proc) */
    SCMP_SYS(openat),
    SCMP_SYS(open),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(stat),
    SCMP_SYS(lstat),
    SCMP_SYS(statx),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(readlink),
    SCMP_SYS(getcwd),
    SCMP_SYS(getdents64),
    SCMP_SYS(fstatfs),
    /* identity, time, limits */
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getppid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(uname),
    SCMP_SYS(sysinfo),
    SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(prlimit64),
    SCMP_SYS(getrlimit),
    SCMP_SYS(getrusage),
    /* threads' bookkeeping, signals, the end */
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(tgkill),
    SCMP_SYS(wait4),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

/* The network process, once it listens: TLS over accepted sockets,
 * SQLite in the state directory (WAL: fsync, truncate, unlink), and
 * nothing that makes processes, threads or programs. */
static const int network[] = {
    SCMP_SYS(accept),     SCMP_SYS(accept4),    SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(fsync),       SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate),  SCMP_SYS(fallocate),  SCMP_SYS(unlink),      SCMP_SYS(unlinkat),
    SCMP_SYS(rename),     SCMP_SYS(renameat),   SCMP_SYS(fchown),      SCMP_SYS(fchmod),
    SCMP_SYS(umask),      SCMP_SYS(flock),
};

/* The launcher: keep sessions (epoll, timers, pidfds), the kvm backend
 * (ioctls on /dev/kvm, vCPU threads and their kick signal), the nil
 * backend's start of a Keep (clone into namespaces; the child, under this
 * filter, sets up its root, Landlock, rlimits and its own seccomp filter,
 * then execveat()s the sealed executor memfd). */
static const int launcher[] = {
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(execveat),
    SCMP_SYS(memfd_create),
    SCMP_SYS(pidfd_open),
    SCMP_SYS(pidfd_send_signal),
    SCMP_SYS(waitid),
    SCMP_SYS(kill),
    SCMP_SYS(tkill),
    SCMP_SYS(prctl),
    SCMP_SYS(seccomp),
    SCMP_SYS(landlock_create_ruleset),
    SCMP_SYS(landlock_add_rule),
    SCMP_SYS(landlock_restrict_self),
    SCMP_SYS(capget),
    SCMP_SYS(capset),
    SCMP_SYS(chdir),
    SCMP_SYS(fchdir),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(setrlimit),
    SCMP_SYS(setgroups),
    SCMP_SYS(setresuid),
    SCMP_SYS(setresgid),
    SCMP_SYS(fstat),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
};

/* What the executor of a nil Keep and the sallyport host of a kvm Keep
 * make on the Keep's behalf (keep/syscalls.def, every row): nil Keeps
 * inherit the launcher's filter and add their own, tighter one; kvm
 * Keeps' calls are made by the launcher's vCPU threads. By number:
 * the Enarx calls (getatt, getkey) have no libseccomp name. */
#define X(name, nr, nil, shim, host) nr,
static const int keeps[] = {
#include "keep/syscalls.def"
};
#undef X

#ifdef ENARX_ASAN
/* Sanitizer builds only: LeakSanitizer's exit-time check (lib/sanitize.h). */
static const int lsan[] = {ENARX_LSAN_SYSCALLS};
#endif

/* ENARX_HOST_SECCOMP=kill: an unlisted call kills the process instead of
 * failing, so a test suite run that way shows every missing entry (the
 * e2e-host tests do). */
static int strict(void)
{
	const char *v = getenv("ENARX_HOST_SECCOMP");

	return v && strcmp(v, "kill") == 0;
}

static int allow(scmp_filter_ctx f, const int *nr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr[i], 0);

		if (rc != 0 && rc != -EEXIST)
			return -1;
	}
	return 0;
}

static int apply(const char *who, int network_process)
{
	scmp_filter_ctx f = seccomp_init(strict() ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(ENOSYS));
	int rc = f ? allow(f, common, sizeof(common) / sizeof(common[0])) : -1;

	if (!rc && network_process)
		rc = allow(f, network, sizeof(network) / sizeof(network[0]));
	if (!rc && !network_process)
		rc = allow(f, launcher, sizeof(launcher) / sizeof(launcher[0]));
	if (!rc && !network_process)
		rc = allow(f, keeps, sizeof(keeps) / sizeof(keeps[0]));
#ifdef ENARX_ASAN
	if (!rc)
		rc = allow(f, lsan, sizeof(lsan) / sizeof(lsan[0]));
#endif
	if (!rc)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc) {
		log_error("host: %s: cannot install the seccomp filter", who);
		return ENARX_E_PERM;
	}
	return 0;
}
#else
static int apply(const char *who, int network_process)
{
	log_warn("host: %s: built without libseccomp: no system call filter", who);
	(void)network_process;
	return 0;
}
#endif

int host_sandbox_network(void)
{
	return apply("network process", 1);
}

int host_sandbox_launcher(void)
{
	return apply("launcher", 0);
}
