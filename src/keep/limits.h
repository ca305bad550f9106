/* SPDX-License-Identifier: Apache-2.0 */
/* The bounds of one Keep (docs/security.md "Limits"), as one struct that
 * every host of Keeps fills the same way: the parsed Enarx.toml's
 * `config.limits`, then keep_limits_merge() of the host's own (`enarx run`
 * options; a host agent's per-Keep settings) over it. A session
 * (keep/session.h) enforces them on both sides of the keep protocol: the
 * host stops a Keep past its wall time and sizes the Keep's process or VM
 * from `memory`; the executor gets them in the LIMITS message and caps the
 * engine, the WASI descriptor table and the workload's output. Header only:
 * plain data and the arithmetic both sides share. */
#ifndef ENARX_KEEP_LIMITS_H
#define ENARX_KEEP_LIMITS_H

#include <stdint.h>

/* Ranges accepted from users (Enarx.toml and `enarx run` options). */
#define KEEP_LIMIT_MEMORY_MIN (64ull << 10)               /* one wasm page */
#define KEEP_LIMIT_MEMORY_MAX (4ull << 30)                /* the wasm32 maximum (the default) */
#define KEEP_LIMIT_WALL_MS_MAX (30ull * 24 * 3600 * 1000) /* 30 days */
#define KEEP_LIMIT_CPU_MS_MAX KEEP_LIMIT_WALL_MS_MAX
#define KEEP_LIMIT_FDS_MIN 3u    /* stdio */
#define KEEP_LIMIT_FDS_MAX 4096u /* the WASI descriptor table's size (the default) */
#define KEEP_LIMIT_OUTPUT_MAX (1ull << 50)

/* What the Keep's process or VM may hold besides the workload's linear
 * memories: the executor, the engine (compiled code, tables, the 32 MiB value
 * stack, the module itself up to 100 MB). */
#define KEEP_LIMIT_HEADROOM (256ull << 20)

/* Exit status of `enarx run` when a Keep was stopped at its wall-time or
 * CPU-time limit (as timeout(1)). */
#define KEEP_EXIT_TIMEOUT 124

/* How long after `wall_ms` the host waits for the executor to stop the
 * workload itself (and say so) before it kills the Keep. */
#define KEEP_WALL_GRACE_MS 1000

/* Which limit stopped a workload (the LIMIT_HIT message, keep/proto.h). */
enum keep_limit_kind {
	KEEP_LIMIT_WALL = 1, /* wall_ms */
	KEEP_LIMIT_CPU = 2,  /* cpu_ms */
};

/* Every field: 0 = not set (no bound beyond the defaults above: memory 4 GiB,
 * fuel, wall and CPU time unlimited, 4096 descriptors, output unlimited). */
struct keep_limits {
	uint64_t memory;  /* bytes of all linear memories together (engine), and
			     with KEEP_LIMIT_HEADROOM the Keep's data (nil:
			     RLIMIT_DATA) or guest RAM (kvm) */
	uint64_t fuel;    /* engine fuel, about one unit per wasm instruction */
	uint64_t wall_ms; /* wall time from the start of the Keep: the executor
			     interrupts the workload then (where it has a
			     timer: nil), the host kills the Keep
			     KEEP_WALL_GRACE_MS later (KEEP_EXIT_TIMEOUT) */
	uint32_t fds;     /* WASI descriptors the workload may hold at once,
			     stdio and preopens included (nil: RLIMIT_NOFILE too) */
	uint64_t output;  /* bytes the workload may write to its stdio streams
			     (stdout and stderr together); past it, a trap */
	uint64_t cpu_ms;  /* CPU time of the Keep (ms): nil: the executor's
			     ITIMER_PROF, RLIMIT_CPU a second above; kvm: the
			     host's vCPU thread CPU clock (KEEP_EXIT_TIMEOUT) */
};

/* Sets in *dst every field that is set in *over (over wins). */
static inline void keep_limits_merge(struct keep_limits *dst, const struct keep_limits *over)
{
	if (over->memory)
		dst->memory = over->memory;
	if (over->fuel)
		dst->fuel = over->fuel;
	if (over->wall_ms)
		dst->wall_ms = over->wall_ms;
	if (over->fds)
		dst->fds = over->fds;
	if (over->output)
		dst->output = over->output;
	if (over->cpu_ms)
		dst->cpu_ms = over->cpu_ms;
}

/* 1 if any field is set. */
static inline int keep_limits_any(const struct keep_limits *l)
{
	return l->memory || l->fuel || l->wall_ms || l->fds || l->output || l->cpu_ms;
}

/* The memory of the Keep as a whole for a `memory` limit: the limit plus
 * KEEP_LIMIT_HEADROOM, rounded up to 2 MiB (a KVM guest's granule); 0 when
 * memory is not set (the backend's default). */
static inline uint64_t keep_limits_keep_mem(const struct keep_limits *l)
{
	const uint64_t g = 2ull << 20;

	if (!l->memory)
		return 0;
	return (l->memory + KEEP_LIMIT_HEADROOM + g - 1) / g * g;
}

#endif
