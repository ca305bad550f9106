/* SPDX-License-Identifier: Apache-2.0 */
/* A cgroup per nil Keep (docs/security.md "nil sandbox"): on a host with the
 * memory and pids controllers (cgroup v1 hierarchies, or v2 with them
 * delegated) each Keep gets its own group below the caller's, with the
 * Keep's memory (limit + 256 MiB) and a process cap, and in the unified (v2)
 * hierarchy one more that kills the Keep as a unit (cgroup.kill). The
 * parent creates them, the child joins them (writes 0 to cgroup.procs
 * descriptors opened for it) before it starts, the parent removes them
 * once the Keep is reaped; groups left by an `enarx` that was killed are
 * removed by the next one. Where none can be made (no privilege, no
 * controllers) the Keep runs without, with one notice. Internal to
 * src/backend. */
#ifndef ENARX_BACKEND_NIL_CGROUP_H
#define ENARX_BACKEND_NIL_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

struct platform_backend;

#define NIL_CG_MAX 3                /* memory (v1), pids (v1), unified (v2) */
#define NIL_CG_PIDS 32              /* processes and threads of one Keep */
#define NIL_CG_PREFIX "enarx-keep-" /* + owner pid + '-' + serial */

enum {
	NIL_CG_MEMORY = 1, /* the Keep's memory is capped */
	NIL_CG_PROCS = 2,  /* its processes and threads are capped */
	NIL_CG_KILL = 4,   /* it can be killed as a unit */
};

struct nil_cgroup {
	int n;                  /* groups made */
	char *dirs[NIL_CG_MAX]; /* their paths */
	int procs[NIL_CG_MAX];  /* their cgroup.procs, open for writing */
	int unified;            /* index of the v2 group, or -1 */
	unsigned got;           /* NIL_CG_* achieved */
	uint64_t memory;        /* the memory cap set, bytes (NIL_CG_MEMORY) */
};

/* Parent: makes the Keep's groups with memory (bytes; 0 = leave memory
 * unbounded, as for a sanitizer build) and NIL_CG_PIDS. Returns 0, also
 * when none could be made (cg->n == 0; a notice is logged once per
 * process). Release with nil_cgroup_destroy(). */
int nil_cgroup_create(struct nil_cgroup *cg, uint64_t memory);

/* Child, before anything else: joins every group. 0, or -1 with errno. */
int nil_cgroup_join(const struct nil_cgroup *cg);

/* Closes the cgroup.procs descriptors (parent, once the child has joined
 * or died). */
void nil_cgroup_close(struct nil_cgroup *cg);

/* Kills every process in the Keep's unified group (cgroup.kill); 0, or -1
 * if it has none. */
int nil_cgroup_kill(const struct nil_cgroup *cg);

/* Parent, after the Keep ended by SIGKILL: how many of its processes the
 * kernel's OOM killer killed at its memory cap (v1 memory.oom_control,
 * v2 memory.events, "oom_kill N"); 0 when none or not known. */
unsigned long nil_cgroup_oom_kills(const struct nil_cgroup *cg);

/* Parent, after the Keep is reaped: kills what is left, removes the
 * groups, frees cg. Accepts a zeroed struct. */
void nil_cgroup_destroy(struct nil_cgroup *cg);

/* platform info: what a Keep gets here. */
void nil_cgroup_probe(struct platform_backend *b);

#endif
