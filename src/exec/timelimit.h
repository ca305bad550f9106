/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's own time limits (docs/security.md "Limits"): the wall time
 * and CPU time of keep/limits.h, as interval timers (ITIMER_REAL and
 * ITIMER_PROF) whose signals interrupt the running store, so the Keep stops
 * the workload itself and names the limit ("wall time limit 2.000 s
 * reached") rather than being killed without a word. Where the Keep has no
 * timers (a VM's shim answers ENOSYS) the host enforces both alone. */
#ifndef ENARX_EXEC_TIMELIMIT_H
#define ENARX_EXEC_TIMELIMIT_H

#include <stddef.h>

#include <enarx/wasm.h>

#include "keep/limits.h"

/* Arms the timers for l's wall_ms and cpu_ms (either may be 0: not set),
 * counted from now. Returns 0, 1 when this Keep has no timers (logged at
 * debug level; the host's limits hold), or -1 (logged). */
int exec_time_limits_arm(const struct keep_limits *l);

/* The store a timer interrupts (NULL: none); interrupted at once if a
 * limit was already reached. */
void exec_time_limits_watch(ewasm_store *st);

/* Stops the timers and forgets the store. */
void exec_time_limits_disarm(void);

/* Which limit fired (enum keep_limit_kind), or 0. When one did, writes the
 * trap message naming it ("wall time limit 2.000 s reached") to msg. */
int exec_time_limit_hit(const struct keep_limits *l, char *msg, size_t n);

#endif
