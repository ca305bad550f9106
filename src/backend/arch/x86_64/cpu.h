/* SPDX-License-Identifier: Apache-2.0 */
/* x86-64 CPU identification used by the platform probes. */
#ifndef ENARX_BACKEND_ARCH_CPU_H
#define ENARX_BACKEND_ARCH_CPU_H

#include <stdint.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}

#endif
