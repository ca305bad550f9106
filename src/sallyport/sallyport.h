/* SPDX-License-Identifier: Apache-2.0 */
/* The sallyport request block shared by a Keep's shim (guest) and the host
 * (docs/sallyport.md). A block is a sequence of 8-byte aligned items, each a
 * header {size, kind} followed by size bytes of payload: a fixed part
 * (syscall number, arguments, results) and a data area. Pointer arguments are
 * byte offsets into the item's data area (SP_NULL for NULL), never guest
 * addresses. Freestanding-safe: only <stdint.h> types, no functions. */
#ifndef ENARX_SALLYPORT_SALLYPORT_H
#define ENARX_SALLYPORT_SALLYPORT_H

#include <stdint.h>

#define SP_VERSION 1

/* 17 pages: a 64 KiB data area plus item headers fit in one block. */
#define SP_BLOCK_SIZE 69632u
#define SP_ALIGN 8u

#define SP_ITEM_END 0u       /* size 0; ends the block */
#define SP_ITEM_SYSCALL 1u   /* struct sp_syscall + data */
#define SP_ITEM_ENARXCALL 3u /* struct sp_enarxcall + data */

#define SP_NULL UINT64_MAX

struct sp_header {
	uint64_t size; /* payload bytes after this header, multiple of 8 */
	uint64_t kind; /* SP_ITEM_* */
};

struct sp_syscall {
	uint64_t num;    /* Linux x86-64 syscall number */
	uint64_t arg[6]; /* integers, or data-area offsets for pointers */
	uint64_t ret[2]; /* ret[0]: result or -errno, written by the host */
};

struct sp_enarxcall {
	uint64_t num; /* SP_ENARX_* */
	uint64_t arg[4];
	uint64_t ret; /* result or -errno */
};

/* Enarx calls: requests to the host that are not Linux syscalls. In every
 * one, arg0/arg1 are the offset and length of its data window (the host
 * checks them before the call is looked at). */
#define SP_ENARX_MEASUREMENT 0x100u /* window >= KEEP_DIGEST_LEN: launch digest out */
#define SP_ENARX_LOG 0x101u         /* window: a line of text from the shim */
/* window: text; arg2 the vector, arg3 the enum keep_fault_origin
 * (keep/abi.h): the Keep faulted and ends */
#define SP_ENARX_FAULT 0x102u

/* Largest data area one syscall item can carry in an otherwise empty block. */
#define SP_MAX_DATA (SP_BLOCK_SIZE - 2u * sizeof(struct sp_header) - sizeof(struct sp_syscall))

#endif
