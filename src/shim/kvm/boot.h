/* SPDX-License-Identifier: Apache-2.0 */
/* The contract between the KVM host (src/backend/kvm.c) and the shim: guest
 * physical layout, the boot-info page and the I/O ports. Included by both
 * sides, so only <stdint.h> types (the shim supplies its own freestanding
 * <stdint.h>). The shim treats every field as hostile and checks it. */
#ifndef ENARX_SHIM_KVM_BOOT_H
#define ENARX_SHIM_KVM_BOOT_H

#include <stdint.h>

#define SHIM_PAGE_SIZE 4096ULL

/* Guest physical layout (docs/kvm-keep.md). */
#define SHIM_GPA_BOOTINFO 0x1000ULL    /* one page, struct shim_boot_info */
#define SHIM_GPA_BOOT_PT 0x2000ULL     /* host boot page tables: PML4, PDPT, PD */
#define SHIM_GPA_SALLYPORT 0x10000ULL  /* the sallyport block */
#define SHIM_GPA_IMAGE 0x100000ULL     /* shim ELF segments are loaded at p_paddr >= this */
#define SHIM_GPA_IMAGE_END 0x400000ULL /* ... and below this */
#define SHIM_GPA_EXEC 0x400000ULL      /* executor ELF bytes, verbatim */

/* Shim virtual layout: all in the lower half, above the user space, so the
 * same shim runs under hardware KVM and under PVM (which confines a guest,
 * its kernel included, to the lower half; docs/kvm-keep.md). Supervisor-only
 * pages (U=0) keep the executor out. */
#define SHIM_KERNEL_BASE 0x00007F8000000000ULL /* VA = GPA + base, first 1 GiB */
#define SHIM_DIRECT_MAP 0x0000700000000000ULL  /* all RAM, built by the shim */
#define SHIM_USER_TOP 0x0000700000000000ULL    /* user space is below this */

/* I/O ports (OUT from the shim; the value written is ignored). */
#define SHIM_PORT_SALLY 0x00FF /* the block holds requests: perform them */

#define SHIM_BOOT_MAGIC 0x4942204d564b4e45ULL /* "ENKVM BI" */
#define SHIM_BOOT_VERSION 1
#define SHIM_BOOT_ARGS_MAX 2048

/* The boot-info page. Measured, so everything here is part of the launch
 * digest (memory size included). */
struct shim_boot_info {
	uint64_t magic;
	uint64_t version;
	uint64_t mem_size; /* bytes of RAM at GPA 0 */
	uint64_t exec_gpa; /* executor ELF image */
	uint64_t exec_len;
	uint64_t sp_gpa; /* sallyport block */
	uint64_t sp_size;
	uint64_t free_gpa; /* first page the shim may allocate */
	uint64_t argc;     /* argv strings for the executor, NUL-separated */
	uint64_t args_len;
	char args[SHIM_BOOT_ARGS_MAX];
};

/* The evidence SYS_GETATT returns, the syscall numbers, fault origins and
 * the digest length are in keep/abi.h, shared with the executor and the
 * verifier. */

#endif
