/* SPDX-License-Identifier: Apache-2.0 */
/* The nil backend's process sandbox (see nil_sandbox.h and docs/security.md):
 * which namespaces this host allows (found once per process, falling back
 * flag by flag), the empty root, the capability drop, the parent-death
 * guard and the error pipe. Child-side functions run between clone and
 * exec in a copy of a possibly multi-threaded process: they use only
 * system calls and stack buffers. */
#include "backend/nil_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/platform.h"
#include "keep/abi.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

#define ALL_NS (CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWNET)
#define FIRST_FREE_FD (KEEP_PROTO_FD + 2) /* above the keep fd and the memfd */

/* What the child writes to the error pipe when it cannot go on. */
struct nil_report {
	int32_t stage;
	int32_t err;
};

static const char *const stage_names[] = {
    [NIL_STAGE_PARENT] = "the parent ended while the Keep was starting",
    [NIL_STAGE_CGROUP] = "joining the Keep's cgroups",
    [NIL_STAGE_USERNS] = "user namespace id maps",
    [NIL_STAGE_MOUNTNS] = "private mount namespace",
    [NIL_STAGE_ROOT] = "empty root",
    [NIL_STAGE_FDS] = "moving descriptors",
    [NIL_STAGE_RLIMIT] = "memory and descriptor limits",
    [NIL_STAGE_CAPS] = "dropping capabilities",
    [NIL_STAGE_UID] = "becoming ENARX_KEEP_UID",
    [NIL_STAGE_NNP] = "no_new_privs",
    [NIL_STAGE_SECCOMP] = "seccomp filter",
    [NIL_STAGE_EXEC] = "executing the executor",
};

/* ---- which namespaces this host gives (parent) ------------------------- */

static int ns_wanted(void)
{
	return ALL_NS | (geteuid() != 0 ? CLONE_NEWUSER : 0);
}

/* 0 if a child can be cloned with flags (it exits at once), else errno. */
static int try_clone(int flags)
{
	pid_t pid =
	    (pid_t)syscall(SYS_clone, (unsigned long)(SIGCHLD | flags), NULL, NULL, NULL, NULL);

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static const struct {
	int flag;
	const char *name;
	const char *fallback;
} ns_names[] = {
    {CLONE_NEWUSER, "user", "no user namespace: the Keep keeps the caller's uid"},
    {CLONE_NEWPID, "pid", "host processes stay visible by pid"},
    {CLONE_NEWIPC, "ipc", "host System V IPC stays reachable"},
    {CLONE_NEWUTS, "uts", "the host name is shared"},
    {CLONE_NEWNS, "mount", "no empty root: the host file system stays visible"},
    {CLONE_NEWNET, "net", "host network namespace even without sockets"},
};

static int ns_cache = -1; /* available flags, once known */
static int ns_errno[sizeof(ns_names) / sizeof(ns_names[0])];

/* The subset of ns_wanted() this host allows; found once, logged once. */
static int ns_available(void)
{
	int want = ns_wanted(), got, base = 0;
	int cached = __atomic_load_n(&ns_cache, __ATOMIC_ACQUIRE);

	if (cached >= 0)
		return cached;
	if (try_clone(want) == 0) {
		got = want;
	} else {
		if ((want & CLONE_NEWUSER) && try_clone(CLONE_NEWUSER) == 0)
			base = CLONE_NEWUSER;
		got = base;
		for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
			int f = ns_names[i].flag;

			if (!(want & f) || f == CLONE_NEWUSER)
				continue;
			ns_errno[i] = try_clone(base | f);
			if (ns_errno[i] == 0)
				got |= f;
			else
				log_info("nil: no %s namespace here (%s): %s", ns_names[i].name,
				         strerror(ns_errno[i]), ns_names[i].fallback);
		}
	}
	__atomic_store_n(&ns_cache, got, __ATOMIC_RELEASE);
	return got;
}

/* ---- planning (parent) ------------------------------------------------- */

/* true if path is mnt or below it */
static bool is_under(const char *path, const char *mnt)
{
	size_t n = strlen(mnt);

	return strncmp(path, mnt, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* A directory to mount the new root's tmpfs on that hides none of the
 * directories to bind (by their path and by where it resolves). */
static const char *pick_mnt(char *const *targets, size_t n)
{
	static const char *const cands[] = {"/tmp", "/mnt", "/run",  "/media", "/srv",
	                                    "/opt", "/var", "/home", "/boot",  "/usr"};
	char real[PATH_MAX];
	struct stat st;

	for (size_t c = 0; c < sizeof(cands) / sizeof(cands[0]); c++) {
		bool ok = stat(cands[c], &st) == 0 && S_ISDIR(st.st_mode);

		for (size_t i = 0; ok && i < n; i++) {
			if (is_under(targets[i], cands[c]) ||
			    (realpath(targets[i], real) && is_under(real, cands[c])))
				ok = false;
		}
		if (ok)
			return cands[c];
	}
	return NULL;
}

static char *abs_path(const char *cwd, const char *p)
{
	size_t n = strlen(cwd) + strlen(p) + 2;
	char *s = xmalloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", p[0] == '/' ? "" : cwd, p[0] == '/' ? "" : "/", p);
	return s;
}

/* Shorter paths first, so a directory preopened inside another is bound on
 * top of it, not hidden by it; a path named twice is bound once, read-only
 * only if every entry says so. */
static void order_binds(struct nil_sandbox *sb)
{
	for (size_t i = 1; i < sb->ndirs; i++) {
		for (size_t j = i; j > 0 && strlen(sb->targets[j]) < strlen(sb->targets[j - 1]);
		     j--) {
			char *t = sb->targets[j];
			int r = sb->ro[j];

			sb->targets[j] = sb->targets[j - 1];
			sb->ro[j] = sb->ro[j - 1];
			sb->targets[j - 1] = t;
			sb->ro[j - 1] = r;
		}
	}
	for (size_t i = 0; i < sb->ndirs; i++) {
		for (size_t j = 0; j < i; j++) {
			if (sb->ro[j] >= 0 && strcmp(sb->targets[i], sb->targets[j]) == 0) {
				sb->ro[j] &= sb->ro[i];
				sb->ro[i] = -1; /* bound already */
				break;
			}
		}
	}
}

/* Fills sb->targets with absolute paths; sb->root stays true only if an
 * empty root can hold them (none is "/" and a tmpfs mountpoint exists). */
static int plan_root(struct nil_sandbox *sb, const struct keep_launch *l)
{
	char real[PATH_MAX];
	const char *mnt;

	sb->targets = xcalloc(l->ndirs ? l->ndirs : 1, sizeof(*sb->targets));
	sb->ro = xcalloc(l->ndirs ? l->ndirs : 1, sizeof(*sb->ro));
	if (!sb->targets || !sb->ro)
		return ENARX_E_NOMEM;
	for (size_t i = 0; i < l->ndirs; i++) {
		sb->targets[i] = abs_path(sb->cwd, l->dirs[i].path);
		if (!sb->targets[i])
			return ENARX_E_NOMEM;
		sb->ro[i] = l->dirs[i].readonly ? 1 : 0;
		sb->ndirs = i + 1;
		if (realpath(sb->targets[i], real) && strcmp(real, "/") == 0) {
			log_info("nil: '/' is preopened: no empty root");
			sb->root = false;
		}
	}
	order_binds(sb);
	mnt = sb->root ? pick_mnt(sb->targets, sb->ndirs) : NULL;
	if (sb->root && !mnt) {
		log_info("nil: no directory to build the empty root on: no empty root");
		sb->root = false;
	}
	if (mnt && !(sb->mnt = xstrdup(mnt)))
		return ENARX_E_NOMEM;
	return 0;
}

/* The error pipe's write end must survive the child's moves to 0..4. */
static int pipe_above(int p[2])
{
	int fd;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if (p[1] >= FIRST_FREE_FD)
		return 0;
	fd = fcntl(p[1], F_DUPFD_CLOEXEC, FIRST_FREE_FD);
	close(p[1]);
	p[1] = fd;
	if (fd < 0)
		close(p[0]);
	return fd < 0 ? -1 : 0;
}

/* May uid/gid search (x) every directory above path and use path itself
 * (r and x, w too unless read-only)? Only the owner, group and other bits:
 * the Keep has no supplementary groups and no capabilities. */
static bool usable_by(const char *path, uid_t uid, gid_t gid, bool write)
{
	char p[PATH_MAX];
	struct stat st;
	size_t n;

	if (!realpath(path, p))
		return true; /* missing: the executor's own open names it */
	n = strlen(p);
	for (size_t i = 1; i <= n; i++) {
		bool last = i == n;
		unsigned need = last ? (write ? 7u : 5u) : 1u, have;
		char c = p[i];

		if (c != '/' && !last)
			continue;
		p[i] = 0;
		if (stat(p, &st) != 0)
			return false;
		p[i] = c;
		have = st.st_uid == uid   ? (st.st_mode >> 6) & 7u
		       : st.st_gid == gid ? (st.st_mode >> 3) & 7u
		                          : st.st_mode & 7u;
		if ((have & need) != need)
			return false;
	}
	return true;
}

/* ENARX_KEEP_UID=UID:GID (default 65534:65534), or 0 to keep uid 0. */
static bool keep_ids(uid_t *uid, gid_t *gid)
{
	const char *s = getenv("ENARX_KEEP_UID");
	unsigned long u, g;
	char *end;

	*uid = 65534;
	*gid = 65534;
	if (!s || !*s)
		return true;
	if (strcmp(s, "0") == 0)
		return false;
	u = strtoul(s, &end, 10);
	if (end == s || *end != ':' || u == 0 || u > 0x7fffffff)
		goto bad;
	s = end + 1;
	g = strtoul(s, &end, 10);
	if (end == s || *end || g == 0 || g > 0x7fffffff)
		goto bad;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return true;
bad:
	log_warn("nil: ENARX_KEEP_UID is not UID:GID (nor 0): the Keep runs as uid 65534");
	return true;
}

/* Root: which uid the executor becomes once its preopens are open; it stays
 * uid 0 (without capabilities) where a preopened directory would be out of
 * that uid's reach, with a notice naming it. */
static void plan_identity(struct nil_sandbox *sb, const struct keep_launch *l)
{
	uid_t uid;
	gid_t gid;

	if (sb->uid != 0 || !keep_ids(&uid, &gid))
		return;
	for (size_t i = 0; i < l->ndirs; i++) {
		if (!usable_by(l->dirs[i].path, uid, gid, !l->dirs[i].readonly)) {
			log_info(
			    "nil: the preopened directory '%s' is out of reach of uid %u, gid %u: "
			    "the Keep stays uid 0 (without capabilities); make it %s to them or "
			    "set ENARX_KEEP_UID (docs/security.md)",
			    l->dirs[i].path, (unsigned)uid, (unsigned)gid,
			    l->dirs[i].readonly ? "readable" : "writable");
			return;
		}
	}
	sb->drop_uid = true;
	sb->keep_uid = uid;
	sb->keep_gid = gid;
}

int nil_sandbox_prepare(struct nil_sandbox *sb, const struct keep_launch *l, bool static_exec)
{
	int cached = __atomic_load_n(&ns_cache, __ATOMIC_ACQUIRE);
	int wanted = cached >= 0 ? cached : ns_wanted(), p[2], rc;

	memset(sb, 0, sizeof(*sb));
	sb->errfd = sb->readfd = -1;
	if (l->net)
		wanted &= ~CLONE_NEWNET;
	sb->flags = wanted;
	sb->uid = geteuid();
	sb->gid = getegid();
	sb->ppid = getpid();
	sb->root = (wanted & CLONE_NEWNS) && static_exec && !getenv("ENARX_NIL_NO_ROOT");
	sb->cwd = getcwd(NULL, 0);
	if (!sb->cwd && !(sb->cwd = xstrdup("/")))
		return ENARX_E_NOMEM;
	rc = plan_root(sb, l);
	if (rc)
		return rc;
	plan_identity(sb, l);
	if (pipe_above(p) != 0) {
		log_error("nil: cannot start the Keep: pipe: %s", strerror(errno));
		return ENARX_E_IO;
	}
	sb->readfd = p[0];
	sb->errfd = p[1];
	return 0;
}

pid_t nil_sandbox_clone(struct nil_sandbox *sb)
{
	/* fork(2) semantics plus namespaces: no new stack, SIGCHLD at exit.
	 * Optimistic: every namespace is asked for at once, and only a host
	 * that refuses is probed flag by flag (once). */
	pid_t pid =
	    (pid_t)syscall(SYS_clone, (unsigned long)(SIGCHLD | sb->flags), NULL, NULL, NULL, NULL);

	if (pid < 0 && sb->flags && __atomic_load_n(&ns_cache, __ATOMIC_ACQUIRE) < 0) {
		sb->flags &= ns_available();
		pid = (pid_t)syscall(SYS_clone, (unsigned long)(SIGCHLD | sb->flags), NULL, NULL,
		                     NULL, NULL);
	}
	return pid;
}

void nil_sandbox_release(struct nil_sandbox *sb)
{
	for (size_t i = 0; sb->targets && i < sb->ndirs; i++)
		xfree(sb->targets[i]);
	xfree(sb->targets);
	xfree(sb->ro);
	xfree(sb->mnt);
	free(sb->cwd); /* from getcwd */
	if (sb->readfd >= 0)
		close(sb->readfd);
	if (sb->errfd >= 0)
		close(sb->errfd);
	memset(sb, 0, sizeof(*sb));
	sb->errfd = sb->readfd = -1;
}

int nil_sandbox_started(struct nil_sandbox *sb)
{
	static int root_logged;
	struct nil_report r;
	struct rlimit rl;
	ssize_t n;

	close(sb->errfd);
	sb->errfd = -1;
	do {
		n = read(sb->readfd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0; /* closed on exec */
	if (n != (ssize_t)sizeof(r) || r.stage < 0 || r.stage > NIL_STAGE_EXEC) {
		log_error("cannot start the Keep: its start-up failed without a reason");
		return ENARX_E_IO;
	}
	if (r.stage == NIL_STAGE_ROOT) {
		if (!__atomic_exchange_n(&root_logged, 1, __ATOMIC_RELAXED))
			log_info("nil: cannot build the empty root here (%s): the host file system "
			         "stays visible to the Keep (Landlock only)",
			         strerror(r.err));
		return 1;
	}
	if ((r.err == EMFILE || r.err == EBADF) && r.stage == NIL_STAGE_FDS &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_error("cannot start the Keep: too many open files (RLIMIT_NOFILE %llu)",
		          (unsigned long long)rl.rlim_cur);
	else if (r.stage == NIL_STAGE_PARENT)
		log_error("cannot start the Keep: %s", stage_names[r.stage]);
	else
		log_error("cannot start the Keep: %s: %s", stage_names[r.stage], strerror(r.err));
	return ENARX_E_IO;
}

/* ---- child side -------------------------------------------------------- */

void nil_sandbox_fail(const struct nil_sandbox *sb, enum nil_stage stage)
{
	struct nil_report r = {(int32_t)stage, (int32_t)errno};

	if (write(sb->errfd, &r, sizeof(r)) < 0)
		_exit(126);
	_exit(126);
}

/* The parent's pid as the host sees it: getppid() says 0 in a new pid
 * namespace, but the host's /proc (still mounted here) tells. -1 if it
 * cannot be read. */
static pid_t host_ppid(const struct nil_sandbox *sb)
{
	char buf[512], *p;
	ssize_t n;
	long v = 0;
	int fd;

	if (!(sb->flags & CLONE_NEWPID))
		return getppid();
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* "pid (comm) S ppid ..." */
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -1;
	for (p += 4; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return (pid_t)v;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Maps the caller's own uid and gid into the new user namespace (the one
 * mapping an unprivileged process may write for itself). */
static void userns_maps(const struct nil_sandbox *sb)
{
	char m[64];

	if (write_file("/proc/self/setgroups", "deny") != 0)
		nil_sandbox_fail(sb, NIL_STAGE_USERNS);
	snprintf(m, sizeof(m), "%u %u 1", (unsigned)sb->uid, (unsigned)sb->uid);
	if (write_file("/proc/self/uid_map", m) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_USERNS);
	snprintf(m, sizeof(m), "%u %u 1", (unsigned)sb->gid, (unsigned)sb->gid);
	if (write_file("/proc/self/gid_map", m) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_USERNS);
}

/* mkdir -p of base + path (path absolute), in a fixed buffer. */
static int mkdir_under(const char *base, const char *path, char *out, size_t n)
{
	size_t bl = strlen(base), pl = strlen(path);

	if (bl + pl + 1 > n)
		return -1;
	memcpy(out, base, bl);
	memcpy(out + bl, path, pl + 1);
	for (size_t i = bl + 1; i <= bl + pl; i++) {
		if (out[i] != '/' && out[i] != 0)
			continue;
		char c = out[i];

		out[i] = 0;
		if (mkdir(out, 0755) != 0 && errno != EEXIST)
			return -1;
		out[i] = c;
	}
	return 0;
}

/* Binds one host directory at the same path in the new root: nosuid,
 * nodev, read-only if asked, keeping the flags the source mount has (a
 * user namespace may not clear them). A missing source is skipped: the
 * executor's own open then names it. */
static int bind_dir(const struct nil_sandbox *sb, size_t i)
{
	unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
	char to[PATH_MAX];
	struct statfs sf;

	if (statfs(sb->targets[i], &sf) != 0)
		return 0;
	if (mkdir_under(sb->mnt, sb->targets[i], to, sizeof(to)) != 0 ||
	    mount(sb->targets[i], to, NULL, MS_BIND | MS_REC, NULL) != 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	fl |= (unsigned long)sf.f_flags & (MS_RDONLY | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
	                                   MS_RELATIME | MS_NOSUID | MS_NODEV);
	if (sb->ro[i])
		fl |= MS_RDONLY;
	return mount(NULL, to, NULL, fl, NULL);
}

/* A tmpfs on sb->mnt holding only the preopened directories (and the
 * current directory, so relative paths still resolve), made the root; the
 * old root is detached and the new one made read-only. */
static int empty_root(const struct nil_sandbox *sb)
{
	char p[PATH_MAX];

	if (mount("enarx-keep", sb->mnt, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "mode=0755,size=64k") != 0)
		return -1;
	for (size_t i = 0; i < sb->ndirs; i++)
		if (sb->ro[i] >= 0 && bind_dir(sb, i) != 0)
			return -1;
	if (mkdir_under(sb->mnt, sb->cwd, p, sizeof(p)) != 0 ||
	    mkdir_under(sb->mnt, "/.old-root", p, sizeof(p)) != 0 ||
	    syscall(SYS_pivot_root, sb->mnt, p) != 0 || chdir("/") != 0 ||
	    umount2("/.old-root", MNT_DETACH) != 0 || rmdir("/.old-root") != 0 ||
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          NULL) != 0)
		return -1;
	if (chdir(sb->cwd) != 0 && chdir("/") != 0)
		return -1;
	return 0;
}

void nil_sandbox_enter(const struct nil_sandbox *sb)
{
	/* No orphans: armed first, then the parent checked; if it died before
	 * the arming, its pid is no longer our parent's. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || host_ppid(sb) != sb->ppid) {
		errno = ESRCH;
		nil_sandbox_fail(sb, NIL_STAGE_PARENT);
	}
	if (sb->flags & CLONE_NEWUSER)
		userns_maps(sb);
	if (!(sb->flags & CLONE_NEWNS))
		return;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_MOUNTNS);
	if (sb->root && empty_root(sb) != 0) {
		/* Not fatal: the parent logs it and the Keep runs without the
		 * empty root, as on a host without mount namespaces. */
		struct nil_report r = {NIL_STAGE_ROOT, errno};

		if (write(sb->errfd, &r, sizeof(r)) < 0)
			_exit(126);
		_exit(125);
	}
}

void nil_sandbox_close_from(const struct nil_sandbox *sb, int last)
{
	int e = sb->errfd;

	if (e > last + 1)
		syscall(SYS_close_range, last + 1, e - 1, 0);
	syscall(SYS_close_range, e > last ? e + 1 : last + 1, ~0U, 0);
}

void nil_sandbox_drop_caps(const struct nil_sandbox *sb)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	struct pollfd p = {.fd = sb->errfd, .events = POLLOUT};

	memset(d, 0, sizeof(d));
	/* The bounding set needs CAP_SETPCAP: a caller without it (not root,
	 * no user namespace) has no capabilities to drop anyway, and
	 * no_new_privs keeps exec from granting any. */
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			break;
	/* uid 0 gains nothing from exec or setuid fix-ups, for good */
	prctl(PR_SET_SECUREBITS,
	      SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	          SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	          SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
	      0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (sb->drop_uid) {
		if (syscall(SYS_setgroups, 0, NULL) != 0 ||
		    syscall(SYS_setresgid, sb->keep_gid, sb->keep_gid, sb->keep_gid) != 0 ||
		    syscall(SYS_setresuid, sb->keep_uid, sb->keep_uid, sb->keep_uid) != 0)
			nil_sandbox_fail(sb, NIL_STAGE_UID);
		/* a new uid cleared the parent-death signal: armed again, then
		 * the parent checked through the error pipe it reads (no
		 * reader left: it died) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || poll(&p, 1, 0) < 0 ||
		    (p.revents & POLLERR)) {
			errno = ESRCH;
			nil_sandbox_fail(sb, NIL_STAGE_PARENT);
		}
	}
	if (syscall(SYS_capset, &h, d) != 0)
		nil_sandbox_fail(sb, NIL_STAGE_CAPS);
}

/* ---- platform info ----------------------------------------------------- */

/* Appends name to list[0..n) as ", name" (or just name when first). */
static void list_add(char *list, size_t n, const char *name)
{
	size_t len = strlen(list);

	snprintf(list + len, n - len, "%s%s", len ? ", " : "", name);
}

/* Landlock as the executor will find it (exec/landlock.c): its ABI decides
 * what it can confine. Not a requirement: the empty root and seccomp stand
 * without it. */
static void probe_landlock(struct platform_backend *b)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 1)
		platform_add(b, "sandbox_landlock", true, "sandbox: landlock", "not available (%s)",
		             strerror(errno));
	else
		platform_add(b, "sandbox_landlock", true, "sandbox: landlock",
		             "ABI %ld: files beneath the preopens only%s", abi,
		             abi >= 4 ? "; TCP bind and connect denied" : "");
}

void nil_sandbox_probe(struct platform_backend *b)
{
	int got = ns_available(), want = ns_wanted();
	char have[96] = "", miss[96] = "";

	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		if (!(want & ns_names[i].flag))
			continue;
		if (got & ns_names[i].flag)
			list_add(have, sizeof(have), ns_names[i].name);
		else
			list_add(miss, sizeof(miss), ns_names[i].name);
	}
	platform_add(b, "sandbox_namespaces", true, "sandbox: namespaces", "%s%s%s%s",
	             have[0] ? have : "none",
	             (got & CLONE_NEWNET) ? " (net when no socket is configured)" : "",
	             miss[0] ? "; not available: " : "", miss);
	platform_add(b, "sandbox_root", true, "sandbox: empty root", "%s",
	             (got & CLONE_NEWNS)
	                 ? "a read-only tmpfs holding only the preopened directories "
	                   "(static executor)"
	                 : "no: the host file system stays visible (Landlock only)");
	platform_add(b, "sandbox_identity", true, "sandbox: identity",
	             geteuid() == 0 ? "uid 65534 (ENARX_KEEP_UID) with no capabilities and no "
	                              "groups (uid 0 without capabilities where a preopen is "
	                              "out of its reach); securebits locked, no_new_privs"
	             : (got & CLONE_NEWUSER)
	                 ? "the caller's uid in a user namespace, no capabilities, no_new_privs"
	                 : "the caller's uid, no capabilities, no_new_privs");
	platform_add(b, "sandbox_seccomp", true, "sandbox: seccomp",
	             "allow-list with argument filters; sockets, bind, listen, connect and "
	             "execveat removed once the configured sockets are open");
	platform_add(b, "sandbox_exec_memory", true, "sandbox: executable memory",
	             "none for the interpreter; W^X (never writable and executable) for the "
	             "JIT");
	probe_landlock(b);
	platform_add(b, "sandbox_limits", true, "sandbox: limits",
	             "RLIMIT_DATA from the memory limit (+256 MiB), RLIMIT_NOFILE from "
	             "open_files, RLIMIT_CPU from cpu_time (+1 s), the executor's wall and CPU "
	             "timers, a wall-time kill by the host 1 s later");
}
