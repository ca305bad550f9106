/* SPDX-License-Identifier: Apache-2.0 */
/* The nil backend: no TEE. The executor runs as a child process (watched
 * through a pidfd), started from the embedded image through a memfd, in the
 * sandbox of nil_sandbox.c (namespaces, empty root, no capabilities; see
 * docs/security.md), with only fds 0-3, an empty environment,
 * PR_SET_NO_NEW_PRIVS, and a seccomp allow-list of the system calls the
 * executor makes; anything else fails with ENOSYS, as in a Keep shim (so
 * the custom SYS_GETATT/SYS_GETKEY calls report "no TEE"). */
#include <errno.h>
#include <inttypes.h>
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
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/nil_cgroup.h"
#include "backend/nil_sandbox.h"
#include "backend/platform.h"
#include "keep/abi.h"
#include "keep/limits.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

#define EXEC_FD (KEEP_PROTO_FD + 1) /* the memfd, just above the keep fd, closed on exec */
/* Fds are parked at or above this (F_DUPFD picks free numbers) while they
 * move down to 0..EXEC_FD, so no move can clobber another's source. */
#define PARK_FD_MIN 100
/* Descriptors the executor holds besides the workload's: 0-3, the Landlock
 * ruleset, the path resolver's (keep_launch.max_fds). */
#define EXEC_OWN_FDS 16

static void nil_probe(struct platform_backend *b, const struct platform_report *host)
{
	(void)host;
	platform_add(b, "always", true, "no hardware needed",
	             "runs the executor as a sandboxed process; no confidentiality");
	nil_sandbox_probe(b);
	nil_cgroup_probe(b);
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

/* The NIL_ARGS rows: each allowed only with these argument rules; exec_ok
 * says whether the Keep may map executable memory (prot_rules()). */
static int nil_args_socket(scmp_filter_ctx f, bool exec_ok)
{
	/* TCP over IPv4/IPv6 only (what the executor opens for listen and
	 * connect entries): no raw, packet (SOCK_PACKET), UDP or MPTCP
	 * sockets, whatever the flags in the type's high bits say. */
	static const int fams[] = {AF_INET, AF_INET6}, protos[] = {0, IPPROTO_TCP};
	const scmp_datum_t type_mask = ~(scmp_datum_t)(SOCK_NONBLOCK | SOCK_CLOEXEC) & 0xffffffffu;
	int rc = 0;

	(void)exec_ok;
	for (size_t i = 0; !rc && i < 2; i++)
		for (size_t j = 0; !rc && j < 2; j++)
			rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
			                      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fams[i]),
			                      SCMP_A1(SCMP_CMP_MASKED_EQ, type_mask, SOCK_STREAM),
			                      SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)protos[j]));
	return rc;
}

static int nil_args_prlimit64(scmp_filter_ctx f, bool exec_ok)
{
	(void)exec_ok;
	/* the Keep's own limits only (pid 0): never its parent's or a
	 * neighbour's */
	return seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, SCMP_A0(SCMP_CMP_EQ, 0));
}

static int nil_args_seccomp(scmp_filter_ctx f, bool exec_ok)
{
	(void)exec_ok;
	/* the executor's second filter (exec/seccomp.h) only narrows this one */
	return seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 1,
	                        SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER));
}

static int nil_args_ioctl(scmp_filter_ctx f, bool exec_ok)
{
	/* FIONREAD (poll_oneoff byte counts) and terminal queries only */
	int rc;

	(void)exec_ok;
	rc =
	    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		                      SCMP_A1(SCMP_CMP_EQ, TCGETS));
	return rc;
}

static int nil_args_execveat(scmp_filter_ctx f, bool exec_ok)
{
	(void)exec_ok;
	/* starting the executor itself: execveat(EXEC_FD, "", ..., AT_EMPTY_PATH) */
	return seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2,
	                        SCMP_A0(SCMP_CMP_EQ, EXEC_FD), SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH));
}

/* mmap and mprotect: never writable and executable at once; executable at
 * all only when exec_ok (the JIT maps its code read-write, then turns it
 * read-execute). An interpreter Keep gets no new executable memory, so
 * native code injected into it has nowhere to run from. */
static int prot_rules(scmp_filter_ctx f, int sys, bool exec_ok)
{
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	int rc =
	    seccomp_rule_add(f, SCMP_ACT_ALLOW, sys, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));

	if (!rc && exec_ok)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, sys, 1,
		                      SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_EXEC));
	return rc;
}

static int nil_args_mmap(scmp_filter_ctx f, bool exec_ok)
{
	return prot_rules(f, SCMP_SYS(mmap), exec_ok);
}

static int nil_args_mprotect(scmp_filter_ctx f, bool exec_ok)
{
	return prot_rules(f, SCMP_SYS(mprotect), exec_ok);
}

/* Adds every NIL_ARGS row's rules; a row without its nil_args_<name>() fails
 * the build, and so does a function without a row (unused static). */
static int add_arg_rules(scmp_filter_ctx f, bool exec_ok)
{
	int rc = 0;
#define NIL_ALLOW(name)
#define NIL_ARGS(name) \
	if (!rc)       \
		rc = nil_args_##name(f, exec_ok);
#define NIL_DENY(name)
#define X(name, nr, nil, shim, host) nil(name)
#include "keep/syscalls.def"
#undef X
	return rc;
}

/* Builds the seccomp program in the parent. The child may only make
 * async-signal-safe calls between fork and exec (a host agent starts Keeps
 * from many threads, so a lock held at fork time, say in malloc, would never
 * be released), so it just installs this ready-made program. On success prog->filter is
 * allocated; the caller frees it. */
static int build_seccomp(struct sock_fprog *prog, bool exec_ok)
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
		rc = add_arg_rules(f, exec_ok);
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

/* In the child: sandbox, arrange fds (stdio, KEEP_PROTO_FD, EXEC_FD), drop
 * privileges, exec. Never returns; a failure goes to the parent through the
 * error pipe with its stage. Only async-signal-safe calls: every source fd
 * goes above PARK_FD_MIN first (F_DUPFD picks free numbers, so none is
 * clobbered, nor the error pipe), then down to 0..4. */
/* The Keep's process bounds (docs/security.md "Limits"): its data (heap,
 * mmap'd writable memory; wasm guard reservations are PROT_NONE and do not
 * count) at keep_launch.mem_size, or by default what the largest wasm32
 * memory and the engine need; its descriptors near max_fds. In the child:
 * async-signal-safe. */
static void set_rlimits(const struct keep_launch *l, bool dynamic, const struct nil_sandbox *sb)
{
	struct rlimit r;

	if (!dynamic) {
		r.rlim_cur = r.rlim_max =
		    l->mem_size ? l->mem_size : KEEP_LIMIT_MEMORY_MAX + KEEP_LIMIT_HEADROOM;
		if (setrlimit(RLIMIT_DATA, &r) != 0)
			nil_sandbox_fail(sb, NIL_STAGE_RLIMIT);
	}
	if (l->max_fds) {
		r.rlim_cur = r.rlim_max = (rlim_t)l->max_fds + EXEC_OWN_FDS;
		if (setrlimit(RLIMIT_NOFILE, &r) != 0)
			nil_sandbox_fail(sb, NIL_STAGE_RLIMIT);
	}
	/* CPU time: the executor's own timer stops the workload at cpu_ms and
	 * says so; SIGXCPU a second later, SIGKILL a second after that */
	if (l->cpu_ms) {
		r.rlim_cur = (rlim_t)((l->cpu_ms + 999) / 1000 + 1);
		r.rlim_max = r.rlim_cur + 1;
		if (setrlimit(RLIMIT_CPU, &r) != 0)
			nil_sandbox_fail(sb, NIL_STAGE_RLIMIT);
	}
	/* no core files of a Keep's memory */
	r.rlim_cur = r.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &r);
}

static void child(const struct keep_launch *l, int memfd, const struct sock_fprog *prog,
                  const struct nil_sandbox *sb, const struct nil_cgroup *cg, bool dynamic)
{
	static const char *const dflt_argv[] = {"enarx-exec", NULL};
	const char *const *argv = l->exec_argv ? l->exec_argv : dflt_argv;
	int src[EXEC_FD + 1], tmp[EXEC_FD + 1], i;
	sigset_t none;

	/* No orphans: the parent-death signal, then the parent re-checked.
	 * The "parent" is the thread that cloned: a host agent must start
	 * Keeps from a thread that outlives them. */
	nil_sandbox_enter(sb);
	/* the caller's blocked signals (enarx run blocks SIGINT and SIGTERM
	 * while it waits) are not the executor's */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (nil_cgroup_join(cg) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_CGROUP);
	for (i = 0; i < 3; i++)
		src[i] = l->stdio ? l->stdio[i] : i;
	src[KEEP_PROTO_FD] = l->keep_fd;
	src[EXEC_FD] = memfd;
	for (i = 0; i <= EXEC_FD; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD, PARK_FD_MIN)) < 0)
			nil_sandbox_fail(sb, NIL_STAGE_FDS);
	for (i = 0; i <= EXEC_FD; i++)
		if (dup2(tmp[i], i) < 0)
			nil_sandbox_fail(sb, NIL_STAGE_FDS);
	fcntl(EXEC_FD, F_SETFD, FD_CLOEXEC);
	nil_sandbox_close_from(sb, EXEC_FD);
	set_rlimits(l, dynamic, sb);
	nil_sandbox_drop_caps(sb);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_NNP);
	if (prog->filter && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_SECCOMP);
	syscall(SYS_execveat, EXEC_FD, "", (char *const *)argv, sb->envp, AT_EMPTY_PATH);
	nil_sandbox_fail(sb, NIL_STAGE_EXEC);
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
	struct nil_cgroup cg; /* the Keep's own groups (maybe none) */
	int done;             /* reaped: rc and code are final */
	int rc, code;
	struct rusage ru; /* the Keep's, from wait4 */
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

/* ENARX_NIL_CGROUP_MEMORY=BYTES (tests only: a cap below the engine's own
 * limit, so the kernel's OOM killer is what stops the Keep). */
static uint64_t cgroup_memory_override(uint64_t mem)
{
	const char *v = getenv("ENARX_NIL_CGROUP_MEMORY");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return mem;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < (1u << 20)) {
		log_warn("nil: ENARX_NIL_CGROUP_MEMORY=%s ignored (bytes, at least 1 MiB)", v);
		return mem;
	}
	return n;
}

/* Clones the sandboxed child and waits until it has exec'd the executor;
 * without the empty root once if it cannot be built here. Returns the pid,
 * or -1 (logged; nothing left running). */
static pid_t spawn(const struct keep_launch *l, int memfd, const struct sock_fprog *prog,
                   const struct nil_cgroup *cg)
{
	static int no_root; /* the empty root failed once: do not try again */
	bool static_exec = !backend_exec_is_dynamic(l->exec, l->exec_len);
	struct nil_sandbox sb;
	pid_t pid = -1;
	int rc = 1;

	for (int attempt = 0; rc == 1 && attempt < 2; attempt++) {
		bool root = static_exec && !__atomic_load_n(&no_root, __ATOMIC_RELAXED);

		if (nil_sandbox_prepare(&sb, l, root) != 0) {
			nil_sandbox_release(&sb);
			return -1;
		}
		pid = nil_sandbox_clone(&sb);
		if (pid == 0)
			child(l, memfd, prog, &sb, cg, !static_exec);
		if (pid < 0) {
			log_error("cannot start the Keep: clone: %s", strerror(errno));
			nil_sandbox_release(&sb);
			return -1;
		}
		rc = nil_sandbox_started(&sb);
		nil_sandbox_release(&sb);
		if (rc != 0) {
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			pid = -1;
		}
		if (rc == 1)
			__atomic_store_n(&no_root, 1, __ATOMIC_RELAXED);
	}
	return pid;
}

static int nil_start(const struct keep_launch *l, struct backend_keep **out)
{
	struct sock_fprog prog = {0};
	struct backend_keep *k = NULL;
	uint64_t cg_mem;
	int memfd, rc = ENARX_E_IO;
	bool exec_ok;

	*out = NULL;
	if (!l->exec || !l->exec_len) {
		log_error("nil: no executor image in this build");
		return ENARX_E_NOTSUP;
	}
	memfd = exec_memfd(l);
	if (memfd < 0)
		return ENARX_E_IO;
	if (backend_exec_is_dynamic(l->exec, l->exec_len))
		log_info("nil: dynamically linked executor (a sanitizer build): no RLIMIT_DATA "
		         "(its shadow memory would not fit); the engine's memory limit holds");
	/* executable memory: the JIT's, or a dynamic executor's libraries
	 * (sanitizer builds: the loader maps them after the filter is on) */
	exec_ok = l->jit || backend_exec_is_dynamic(l->exec, l->exec_len);
	if (getenv("ENARX_NIL_NO_SECCOMP") == NULL && build_seccomp(&prog, exec_ok) != 0) {
		log_error("nil: cannot build the seccomp filter");
		rc = ENARX_E_INTERNAL;
		goto out;
	}
	k = xcalloc(1, sizeof(*k));
	if (!k) {
		rc = ENARX_E_NOMEM;
		goto out;
	}
	/* its memory as RLIMIT_DATA's (none for a sanitizer build) */
	cg_mem = l->mem_size ? l->mem_size : KEEP_LIMIT_MEMORY_MAX + KEEP_LIMIT_HEADROOM;
	cg_mem = cgroup_memory_override(cg_mem);
	nil_cgroup_create(&k->cg, backend_exec_is_dynamic(l->exec, l->exec_len) ? 0 : cg_mem);
	k->pid = spawn(l, memfd, &prog, &k->cg);
	nil_cgroup_close(&k->cg);
	if (k->pid < 0) {
		nil_cgroup_destroy(&k->cg);
		goto out;
	}
	/* Until it is reaped, the child's pid cannot be reused: safe to open. */
	k->pidfd = (int)syscall(SYS_pidfd_open, k->pid, 0);
	if (k->pidfd < 0) {
		log_error("nil: pidfd_open: %s", strerror(errno));
		kill(k->pid, SIGKILL);
		waitpid(k->pid, NULL, 0);
		nil_cgroup_destroy(&k->cg);
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
		w = wait4(k->pid, &status, 0, &k->ru);
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
	/* the kernel, not the engine, stopped it: say which limit */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && nil_cgroup_oom_kills(&k->cg))
		log_error("nil: the kernel killed the Keep: out of memory at its cgroup's cap of "
		          "%" PRIu64 " MiB (the Keep's memory limit and the executor's headroom)",
		          k->cg.memory >> 20);
	*exit_code = k->code;
	return 0;
}

static int nil_kill(struct backend_keep *k)
{
	if (k->done)
		return 0;
	/* the Keep as a unit where it has a v2 group, then its pid */
	nil_cgroup_kill(&k->cg);
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
	nil_cgroup_destroy(&k->cg);
	xfree(k);
}

static int nil_usage(const struct backend_keep *k, struct keep_usage *u)
{
	if (!k->done || k->rc)
		return ENARX_E_BUSY;
	u->valid = 1;
	u->user_us = (uint64_t)k->ru.ru_utime.tv_sec * 1000000u + (uint64_t)k->ru.ru_utime.tv_usec;
	u->system_us =
	    (uint64_t)k->ru.ru_stime.tv_sec * 1000000u + (uint64_t)k->ru.ru_stime.tv_usec;
	u->maxrss_kb = k->ru.ru_maxrss > 0 ? (uint64_t)k->ru.ru_maxrss : 0;
	return 0;
}

const struct backend backend_nil = {
    .name = "nil",
    .probe = nil_probe,
    .start = nil_start,
    .fd = nil_fd,
    .wait = nil_wait,
    .kill = nil_kill,
    .free = nil_free,
    .usage = nil_usage,
};
