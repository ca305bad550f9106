/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: WASI argument decoding. The input picks a function, its
 * parameters and the guest memory image; the call runs against a real
 * sandbox (a temporary directory preopened as fd 3, null stdio), so guest
 * pointers, lengths, iovec arrays, paths and flags are all fuzzed. Clock
 * timeouts are clamped so poll_oneoff cannot sleep; proc_exit is skipped. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "wasi/wasi.h"

#define MEMSZ 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void make_root(void)
{
	if (root[0])
		return;
	memcpy(root, "/tmp/enarx-fuzz-wasi-XXXXXX", 28);
	if (!mkdtemp(root))
		abort();
}

static uint64_t take(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && *n; i++, (*p)++, (*n)--)
		v |= (uint64_t) * *p << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t mem[MEMSZ];
	uint64_t args[10];
	const char *name;
	struct wasi *w;
	uint32_t ret;
	int dfd;

	if (size < 1)
		return 0;
	make_root();
	name = wasi_func_name(data[0] % wasi_func_count());
	data++, size--;
	if (strcmp(name, "proc_exit") == 0)
		return 0;
	for (int i = 0; i < 10; i++) {
		args[i] = take(&data, &size);
		/* keep addresses mostly inside memory so deeper code runs */
		if (args[i] >> 63)
			args[i] %= MEMSZ + 64;
	}
	memset(mem, 0, sizeof(mem));
	memcpy(mem, data, size < MEMSZ ? size : MEMSZ);
	if (strcmp(name, "poll_oneoff") == 0) {
		/* clamp every clock subscription to 1 ns, relative, so that
		 * nothing sleeps; subscriptions start at args[0] */
		uint64_t in = (uint32_t)args[0], n = (uint32_t)args[2];

		for (uint64_t i = 0; i < n && in + 48 * (i + 1) <= MEMSZ; i++) {
			uint8_t *sub = mem + in + 48 * i;

			memset(sub + 24, 0, 8);
			sub[24] = 1;
			sub[40] = 0;
		}
	}
	if (strcmp(name, "fd_allocate") == 0) {
		/* real disk blocks: keep them small */
		args[1] %= 1u << 20;
		args[2] %= 1u << 20;
	}
	w = wasi_new();
	if (!w)
		return 0;
	wasi_add_fd(w, WASI_FD_NULL, -1, NULL, 0);
	wasi_add_fd(w, WASI_FD_NULL, -1, NULL, 0);
	wasi_add_fd(w, WASI_FD_NULL, -1, NULL, 0);
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		wasi_add_fd(w, WASI_FD_DIR, dfd, "/fuzz", 0);
	wasi_set_no_openat2(w, args[9] & 1);
	/* the argument count must match: try the function's own count */
	for (size_t n = 0; n <= 9; n++)
		if (wasi_call(w, name, mem, MEMSZ, args, n, &ret) != ENARX_E_INVAL)
			break;
	wasi_free(w);
	return 0;
}
