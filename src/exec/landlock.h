/* SPDX-License-Identifier: Apache-2.0 */
/* Defence in depth for the executor: once its preopened directories and
 * sockets are open, it gives up every other file-system and TCP access with
 * Landlock, so even a compromised executor cannot reach host files outside
 * the preopens. Best effort: where Landlock is missing (old kernels, a Keep
 * shim that does not offer it) the WASI layer's own confinement remains. */
#ifndef ENARX_EXEC_LANDLOCK_H
#define ENARX_EXEC_LANDLOCK_H

#include <stddef.h>

struct exec_dir {
	int fd;       /* an open directory */
	int readonly; /* 1: read access only */
};

/*
 * Restricts this process (and its future children) to the given
 * directories. Returns the Landlock ABI version applied (> 0), 0 if Landlock
 * is not available here, or a negative ENARX_E_* if it is available but
 * could not be applied.
 */
int exec_landlock(const struct exec_dir *dirs, size_t n);

#endif
