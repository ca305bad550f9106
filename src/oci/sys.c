/* SPDX-License-Identifier: Apache-2.0 */
/* Host plumbing of the OCI runtime: errors as the engines read them (--log
 * JSON lines), joining the container's cgroups on v1, v2 and hybrid hosts,
 * its network namespace, and the console (a pty whose master goes to the
 * engine over --console-socket). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/oci_int.h"

static char *log_path;
static int log_json = 1;
static int log_quiet;

void oci__log_quiet(int quiet)
{
	log_quiet = quiet;
}

void oci__log_open(const char *path, int json)
{
	free(log_path);
	log_path = path && *path ? strdup(path) : NULL;
	log_json = json;
}

__attribute__((format(printf, 2, 0))) static void log_line(const char *level, const char *fmt,
                                                           va_list ap)
{
	char msg[2048], when[64];
	struct tm tm;
	time_t now = time(NULL);
	FILE *f;

	if (log_quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "enarx-oci: %s%s\n", strcmp(level, "error") ? "warning: " : "", msg);
	if (!log_path)
		return;
	f = fopen(log_path, "ae");
	if (!f)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", when);
		char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (t)
			fprintf(f, "%s\n", t);
		free(t);
		json_decref(o);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	fclose(f);
}

void oci__error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}

void oci__warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning", fmt, ap);
	va_end(ap);
}

/* ---- cgroups ---------------------------------------------------------- */

/* systemd's "slice:prefix:name" as a cgroupfs path: "a-b.slice" expands
 * to /a.slice/a-b.slice, the unit is prefix-name.scope. */
static int systemd_path(const char *spec, char *out, size_t n)
{
	char slice[256], prefix[256];
	const char *name, *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t l = 0;

	if (!c2 || (size_t)(c1 - spec) >= sizeof(slice) || (size_t)(c2 - c1 - 1) >= sizeof(prefix))
		return -1;
	memcpy(slice, spec, (size_t)(c1 - spec));
	slice[c1 - spec] = 0;
	memcpy(prefix, c1 + 1, (size_t)(c2 - c1 - 1));
	prefix[c2 - c1 - 1] = 0;
	name = c2 + 1;
	out[0] = 0;
	if (!*slice)
		snprintf(slice, sizeof(slice), "system.slice");
	if (strcmp(slice, "-.slice") != 0) {
		const char *end = strstr(slice, ".slice");
		size_t stem = end ? (size_t)(end - slice) : strlen(slice);

		for (size_t i = 0; i <= stem; i++) {
			if (i == stem || slice[i] == '-') {
				l += (size_t)snprintf(out + l, n > l ? n - l : 0, "/%.*s.slice",
				                      (int)i, slice);
			}
		}
	}
	snprintf(out + l, n > l ? n - l : 0, "/%s%s%s.scope", prefix, *prefix ? "-" : "", name);
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, text, strlen(text));
	close(fd);
	return w == (ssize_t)strlen(text) ? 0 : -1;
}

/* A new v1 cpuset folder has no CPUs or memory nodes: copy the parent's. */
static void cpuset_inherit(const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char p[PATH_MAX + 32], parent[PATH_MAX], val[4096];

	for (size_t i = 0; i < 2; i++) {
		ssize_t n;
		int fd;

		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		n = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (n > 1)
			continue;
		snprintf(parent, sizeof(parent), "%s", dir);
		*strrchr(parent, '/') = 0;
		snprintf(p, sizeof(p), "%s/%s", parent, files[i]);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		n = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (n <= 0)
			return;
		val[n] = 0;
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		write_file(p, val);
	}
}

/* mkdir -p below the hierarchy's mount point, inheriting cpusets. */
static int mkdir_below(const char *mnt, const char *rel, char *full, size_t n)
{
	size_t l = (size_t)snprintf(full, n, "%s", mnt);
	const char *p = rel;

	while (*p) {
		size_t seg;

		while (*p == '/')
			p++;
		seg = strcspn(p, "/");
		if (!seg)
			break;
		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return -1; /* stays below the mount */
		l += (size_t)snprintf(full + l, n > l ? n - l : 0, "/%.*s", (int)seg, p);
		if (l >= n)
			return -1;
		if (mkdir(full, 0755) != 0 && errno != EEXIST)
			return -1;
		cpuset_inherit(full);
		p += seg;
	}
	return 0;
}

/* Calls fn for each mounted cgroup hierarchy (mountinfo field 5). */
static int for_each_hierarchy(int (*fn)(const char *mnt, void *ctx), void *ctx)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int ok = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], fstype[64];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0)
			continue;
		if (fn(mnt, ctx) == 0)
			ok++;
	}
	fclose(f);
	return ok ? 0 : -1;
}

struct join_ctx {
	char rel[PATH_MAX];
	pid_t pid;
	int64_t mem, pids;
};

static void set_limit(const char *dir, const char *file, int64_t v)
{
	char p[PATH_MAX], val[32];

	if (v <= 0)
		return;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	snprintf(val, sizeof(val), "%lld", (long long)v);
	if (access(p, F_OK) == 0 && write_file(p, val) != 0)
		oci__warn("cannot set %s to %s: %s", p, val, strerror(errno));
}

static int join_one(const char *mnt, void *ctx)
{
	struct join_ctx *j = ctx;
	char dir[PATH_MAX], procs[PATH_MAX + 16], pid[32];

	if (mkdir_below(mnt, j->rel, dir, sizeof(dir)) != 0) {
		oci__warn("cgroup %s%s: %s", mnt, j->rel, strerror(errno));
		return -1;
	}
	set_limit(dir, "memory.limit_in_bytes", j->mem);
	set_limit(dir, "memory.max", j->mem);
	set_limit(dir, "pids.max", j->pids);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", (int)j->pid);
	if (write_file(procs, pid) != 0) {
		oci__warn("cannot join %s: %s", procs, strerror(errno));
		return -1;
	}
	return 0;
}

int oci__cgroup_rel(const char *path, char *out, size_t n)
{
	if (path[0] != '/' && strchr(path, ':'))
		return systemd_path(path, out, n);
	if ((size_t)snprintf(out, n, "%s%s", path[0] == '/' ? "" : "/", path) >= n)
		return -1;
	return 0;
}

int oci__cgroup_join(const char *path, pid_t pid, int64_t mem, int64_t pids)
{
	struct join_ctx j = {.pid = pid, .mem = mem, .pids = pids};

	if (oci__cgroup_rel(path, j.rel, sizeof(j.rel)) != 0) {
		oci__error("linux.cgroupsPath '%s' is not a path nor slice:prefix:name", path);
		return -1;
	}
	if (for_each_hierarchy(join_one, &j) != 0) {
		oci__error("cannot join cgroup %s in any mounted hierarchy", j.rel);
		return -1;
	}
	return 0;
}

static int remove_one(const char *mnt, void *ctx)
{
	char dir[2 * PATH_MAX];

	snprintf(dir, sizeof(dir), "%s%s", mnt, (const char *)ctx);
	return rmdir(dir);
}

void oci__cgroup_remove(const char *path)
{
	char rel[PATH_MAX];

	if (path && oci__cgroup_rel(path, rel, sizeof(rel)) == 0 && strstr(rel, "..") == NULL)
		for_each_hierarchy(remove_one, rel);
}

/* ---- network namespace ----------------------------------------------- */

static void loopback_up(void)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
			oci__warn("cannot bring up lo: %s", strerror(errno));
	}
	close(s);
}

int oci__netns_enter(const char *ns_path, int fresh)
{
	int fd;

	if (ns_path) {
		fd = open(ns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
			oci__error("cannot join network namespace %s: %s", ns_path,
			           strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (!fresh)
		return 0;
	if (unshare(CLONE_NEWNET) != 0) {
		oci__error("cannot make a network namespace: %s", strerror(errno));
		return -1;
	}
	loopback_up();
	return 0;
}

/* ---- console --------------------------------------------------------- */

static int send_fd(const char *sock, int fd, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int s, rc = -1;

	if (strlen(sock) >= sizeof(sa.sun_path)) {
		oci__error("--console-socket %s: path too long", sock);
		return -1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 && sendmsg(s, &m, 0) >= 0)
		rc = 0;
	else
		oci__error("cannot send the console to %s: %s", sock, strerror(errno));
	if (s >= 0)
		close(s);
	return rc;
}

int oci__console_setup(const char *sock)
{
	char name[64];
	int master, slave = -1, rc = -1;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0 ||
	    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		oci__error("cannot make a pty: %s", strerror(errno));
		goto out;
	}
	if (send_fd(sock, master, name) != 0)
		goto out;
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) != 0) {
		oci__error("cannot make %s the controlling terminal: %s", name, strerror(errno));
		goto out;
	}
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		goto out;
	rc = 0;
out:
	if (master >= 0)
		close(master);
	if (slave > 2)
		close(slave);
	return rc;
}
