/* SPDX-License-Identifier: Apache-2.0 */
/* What one Keep used, as its backend measured it once it ended: the CPU
 * time of the Keep's process (nil, from wait4's rusage) or of its vCPU
 * thread (kvm, RUSAGE_THREAD at the thread's end), the Keep's peak
 * resident set where the backend can tell it apart, and its wall time
 * from start to end as the session saw it. Plain data. */
#ifndef ENARX_KEEP_USAGE_H
#define ENARX_KEEP_USAGE_H

#include <stdint.h>

struct keep_usage {
	int valid;          /* the backend measured the fields below */
	uint64_t user_us;   /* CPU time in user mode, microseconds */
	uint64_t system_us; /* CPU time in the kernel, microseconds */
	uint64_t wall_us;   /* start to end, microseconds (the session's clock) */
	uint64_t maxrss_kb; /* peak resident set in KiB; 0 = not known apart
			       from the host process (kvm: the guest's RAM
			       lives in the launcher's address space) */
};

#endif
