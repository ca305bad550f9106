/* SPDX-License-Identifier: Apache-2.0 */
/* A cgroup per nil Keep (nil_cgroup.h). Where this process's groups are
 * comes from /proc/self/cgroup and /proc/self/mountinfo, found once; a
 * Keep's groups are named NIL_CG_PREFIX<owner pid>-<serial> beside nothing
 * but themselves, so a group whose owner is gone can be recognised and
 * removed by any later `enarx`. */
#include "backend/nil_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/platform.h"
#include "lib/alloc.h"
#include "lib/log.h"

#define STR_(x) #x
#define STR(x) STR_(x)

enum { H_MEMORY, H_PIDS, H_UNIFIED, H_COUNT };

static const char *const h_names[H_COUNT] = {"memory", "pids", ""};

/* This process's group directory in each hierarchy ("" = none), found once. */
static char h_dir[H_COUNT][PATH_MAX];
static const char *notice; /* why a Keep gets no group, once found */
static unsigned long serial;

/* true if the comma-separated list has word */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && strncmp(p, word, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* The mount of hierarchy h: its mount point and root, from mountinfo. */
static bool find_mount(int h, char *mnt, size_t mn, char *root, size_t rn)
{
	char line[4096], r[PATH_MAX], m[PATH_MAX], fstype[64], super[1024], *dash;
	bool ok = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (h == H_UNIFIED ? strcmp(fstype, "cgroup2") == 0
		                   : strcmp(fstype, "cgroup") == 0 && has_word(super, h_names[h])) {
			ok = (size_t)snprintf(mnt, mn, "%s", m) < mn &&
			     (size_t)snprintf(root, rn, "%s", r) < rn;
		}
	}
	fclose(f);
	return ok;
}

/* Fills h_dir[] from /proc/self/cgroup and the mounts. */
static void find_groups(void)
{
	char line[4096], mnt[PATH_MAX], root[PATH_MAX];
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *path;
		size_t rl;

		if (!c2)
			continue;
		*c2 = 0;
		path = c2 + 1;
		path[strcspn(path, "\n")] = 0;
		for (int h = 0; h < H_COUNT; h++) {
			bool match = h == H_UNIFIED ? c1 == line + 1 && line[0] == '0' && c1[1] == 0
			                            : has_word(c1 + 1, h_names[h]);

			if (!match || h_dir[h][0] ||
			    !find_mount(h, mnt, sizeof(mnt), root, sizeof(root)))
				continue;
			/* the path is relative to the hierarchy's root; the mount
			 * may show a subtree of it */
			rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
			if (rl && strncmp(path, root, rl) != 0)
				continue;
			if ((size_t)snprintf(h_dir[h], sizeof(h_dir[h]), "%s%s", mnt,
			                     strcmp(path + rl, "/") == 0 ? "" : path + rl) >=
			    sizeof(h_dir[h]))
				h_dir[h][0] = 0;
		}
	}
	if (f)
		fclose(f);
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char p[PATH_MAX + 64];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, file) >= sizeof(p))
		return -1;
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* The group's cgroup.procs, open for writing (the child joins through it). */
static int open_procs(const char *dir)
{
	char p[PATH_MAX + 128];

	if ((size_t)snprintf(p, sizeof(p), "%s/cgroup.procs", dir) >= sizeof(p))
		return -1;
	return open(p, O_WRONLY | O_CLOEXEC);
}

static bool file_exists(const char *dir, const char *file)
{
	char p[PATH_MAX + 64];

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, file) >= sizeof(p))
		return false;
	return access(p, F_OK) == 0;
}

/* rmdir, retried briefly: a group empties a moment after its last task is
 * reaped. */
static int remove_group(const char *dir)
{
	const struct timespec ms = {0, 1000000};

	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* Removes the groups in parent left by an owner that is gone (an `enarx`
 * killed before it could): its Keep died with it (the parent-death signal),
 * so they are empty; one that is not (an owner in another pid namespace
 * whose pid means nothing here) stays: rmdir refuses, nothing is killed. */
static void sweep(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	char p[PATH_MAX + 300];

	while (d && (e = readdir(d))) {
		long owner;
		char *end;

		if (strncmp(e->d_name, NIL_CG_PREFIX, strlen(NIL_CG_PREFIX)) != 0)
			continue;
		owner = strtol(e->d_name + strlen(NIL_CG_PREFIX), &end, 10);
		if (owner <= 0 || *end != '-' || owner == (long)getpid() ||
		    kill((pid_t)owner, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", parent, e->d_name) >= sizeof(p))
			continue;
		if (rmdir(p) == 0)
			log_debug("nil: removed the stale cgroup %s", p);
	}
	if (d)
		closedir(d);
}

static void once(void)
{
	static const char *const why[] = {
	    "no cgroup hierarchy with the memory or pids controller, nor cgroup v2, here",
	    "cannot create a cgroup here (no privilege over this process's cgroups)",
	};

	find_groups();
	notice = why[0];
	for (int h = 0; h < H_COUNT; h++) {
		char p[PATH_MAX + 64];

		if (!h_dir[h][0])
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s%ld-probe", h_dir[h], NIL_CG_PREFIX,
		                     (long)getpid()) >= sizeof(p))
			continue;
		if (mkdir(p, 0755) == 0) {
			rmdir(p);
			sweep(h_dir[h]);
			notice = NULL;
		} else {
			h_dir[h][0] = 0;
			if (notice == why[0])
				notice = why[1];
		}
	}
}

static pthread_once_t once_ctl = PTHREAD_ONCE_INIT;

int nil_cgroup_create(struct nil_cgroup *cg, uint64_t memory)
{
	static int noticed;
	unsigned long s = __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);
	char val[32], dir[PATH_MAX + 96];

	memset(cg, 0, sizeof(*cg));
	cg->unified = -1;
	pthread_once(&once_ctl, once);
	/* tests and measurements: a Keep without cgroups, as on a host
	 * without them */
	if (getenv("ENARX_NIL_NO_CGROUP"))
		return 0;
	for (int h = 0; h < H_COUNT && cg->n < NIL_CG_MAX; h++) {
		int fd;

		if (!h_dir[h][0])
			continue;
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s%ld-%lu", h_dir[h], NIL_CG_PREFIX,
		                     (long)getpid(), s) >= sizeof(dir) ||
		    mkdir(dir, 0755) != 0) {
			log_debug("nil: cgroup %s: %s", dir, strerror(errno));
			continue;
		}
		fd = open_procs(dir);
		if (fd < 0) {
			rmdir(dir);
			continue;
		}
		cg->dirs[cg->n] = xstrdup(dir);
		cg->procs[cg->n] = fd;
		if (!cg->dirs[cg->n]) {
			close(fd);
			rmdir(dir);
			continue;
		}
		/* v1 memory, or v2 where the parent delegates memory */
		snprintf(val, sizeof(val), "%" PRIu64, memory);
		if (memory && (write_str(dir, "memory.limit_in_bytes", val) == 0 ||
		               write_str(dir, "memory.max", val) == 0)) {
			cg->got |= NIL_CG_MEMORY;
			cg->memory = memory;
			write_str(dir, "memory.memsw.limit_in_bytes",
			          val); /* swap too, if accounted */
			write_str(dir, "memory.swap.max", "0");
		}
		snprintf(val, sizeof(val), "%d", NIL_CG_PIDS);
		if (write_str(dir, "pids.max", val) == 0)
			cg->got |= NIL_CG_PROCS;
		if (h == H_UNIFIED && file_exists(dir, "cgroup.kill")) {
			cg->unified = cg->n;
			cg->got |= NIL_CG_KILL;
		}
		cg->n++;
	}
	if (!cg->n && notice && !__atomic_exchange_n(&noticed, 1, __ATOMIC_RELAXED))
		log_info("nil: no cgroup per Keep: %s; RLIMIT_DATA and the parent-death signal "
		         "bound it instead",
		         notice);
	return 0;
}

int nil_cgroup_join(const struct nil_cgroup *cg)
{
	for (int i = 0; i < cg->n; i++)
		if (write(cg->procs[i], "0", 1) != 1)
			return -1;
	return 0;
}

void nil_cgroup_close(struct nil_cgroup *cg)
{
	for (int i = 0; i < cg->n; i++) {
		if (cg->procs[i] >= 0)
			close(cg->procs[i]);
		cg->procs[i] = -1;
	}
}

int nil_cgroup_kill(const struct nil_cgroup *cg)
{
	if (cg->unified < 0 || cg->unified >= cg->n)
		return -1;
	return write_str(cg->dirs[cg->unified], "cgroup.kill", "1");
}

/* "oom_kill N" in a memory controller's counters file, or 0. */
static unsigned long oom_kill_count(const char *dir, const char *file)
{
	char path[PATH_MAX + 128], line[128];
	unsigned long n = 0, v;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %lu", &v) == 1)
			n = v;
	fclose(f);
	return n;
}

unsigned long nil_cgroup_oom_kills(const struct nil_cgroup *cg)
{
	unsigned long n = 0;

	if (!(cg->got & NIL_CG_MEMORY))
		return 0;
	for (int i = 0; i < cg->n; i++)
		n += oom_kill_count(cg->dirs[i],
		                    i == cg->unified ? "memory.events" : "memory.oom_control");
	return n;
}

void nil_cgroup_destroy(struct nil_cgroup *cg)
{
	nil_cgroup_close(cg);
	nil_cgroup_kill(cg);
	for (int i = 0; i < cg->n; i++) {
		if (remove_group(cg->dirs[i]) != 0)
			log_warn("nil: cannot remove the Keep's cgroup %s: %s", cg->dirs[i],
			         strerror(errno));
		xfree(cg->dirs[i]);
	}
	memset(cg, 0, sizeof(*cg));
	cg->unified = -1;
}

void nil_cgroup_probe(struct platform_backend *b)
{
	struct nil_cgroup cg;
	char what[1024] = "";

	nil_cgroup_create(&cg, 1ull << 30);
	if (!cg.n) {
		platform_add(b, "sandbox_cgroup", true, "sandbox: cgroup", "none: %s",
		             notice ? notice : "no group could be made");
		nil_cgroup_destroy(&cg);
		return;
	}
	snprintf(what, sizeof(what), "one per Keep (%s%s%s)",
	         (cg.got & NIL_CG_MEMORY) ? "memory: the limit + 256 MiB" : "memory: not capped",
	         (cg.got & NIL_CG_PROCS) ? ", at most " STR(NIL_CG_PIDS) " tasks" : "",
	         (cg.got & NIL_CG_KILL) ? ", killed as a unit by cgroup.kill" : "");
	for (int i = 0; i < cg.n; i++) {
		size_t l = strlen(what);
		const char *name = strrchr(cg.dirs[i], '/');

		/* the hierarchy: the group's parent, shown as the mount's name */
		snprintf(what + l, sizeof(what) - l, "%s%s", i ? ", " : "; in ",
		         i == cg.unified                 ? "v2"
		         : strstr(cg.dirs[i], "/memory") ? "v1 memory"
		                                         : "v1 pids");
		(void)name;
	}
	platform_add(b, "sandbox_cgroup", true, "sandbox: cgroup", "%s", what);
	nil_cgroup_destroy(&cg);
}
