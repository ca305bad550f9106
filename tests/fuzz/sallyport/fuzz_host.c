/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the host side of the sallyport, fed arbitrary blocks as a
 * hostile guest would write them. No real syscall runs: a stub stands in
 * for the kernel and writes through every buffer the decoder hands it, so a
 * pointer outside the block shows up under ASan. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sallyport/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The output buffer each call gets, if any: (argument index, length source). */
static long fake_syscall(void *ctx, long num, const long a[6])
{
	switch (num) {
	case SYS_read:
	case SYS_getdents64:
	case SYS_recvfrom: memset((void *)a[1], 0x5A, (size_t)a[2]); return a[2] > 3 ? 3 : a[2];
	case SYS_write:
	case SYS_sendto: {
		volatile uint8_t sink = 0;
		for (long i = 0; i < a[2]; i++)
			sink ^= ((const uint8_t *)a[1])[i];
		(void)sink;
		return a[2];
	}
	case SYS_fstat: memset((void *)a[1], 0, sizeof(struct stat)); return 0;
	case SYS_getsockname:
	case SYS_getpeername: memset((void *)a[1], 0, *(uint32_t *)a[2]); return 0;
	case SYS_socket: return 900; /* never an open fd here: closing it is harmless */
	case SYS_openat2: return strlen((const char *)a[1]) ? 901 : -ENOENT;
	default: return -ENOSYS;
	}
}

static int64_t fake_enarxcall(void *ctx, uint64_t num, const uint64_t arg[4], uint8_t *d,
                              size_t len)
{
	memset(d, 0x33, len);
	return (int64_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t block[SP_BLOCK_SIZE] __attribute__((aligned(8)));
	struct sp_host *h;
	if (size > sizeof(block))
		size = sizeof(block);
	memcpy(block, data, size);
	if (sp_host_new(&h))
		return 0;
	sp_host_set_syscall(h, fake_syscall, NULL);
	sp_host_set_enarxcall(h, fake_enarxcall, NULL);
	for (int i = 0; i < 4; i++)
		sp_host_set_fd(h, i, 1000 + i, false); /* numbers only: never closed */
	/* The decoder sees exactly the bytes given, not the zero padding. */
	sp_host_handle(h, block, size);
	sp_host_free(h);
	return 0;
}
