/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's session: receive the workload over the keep protocol,
 * set up WASI from Enarx.toml, run `_start`, report the outcome. */
#ifndef ENARX_EXEC_EXEC_H
#define ENARX_EXEC_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "keep/abi.h" /* KEEP_SYS_GETATT, KEEP_EXIT_TRAP, KEEP_PROTO_FD */
#include "keep/limits.h"

struct exec_workload {
	uint8_t *wasm;
	size_t wasm_len;
	char *config; /* Enarx.toml text (NUL-terminated) or NULL */
	size_t config_len;
	char *config_dir; /* from CONFDIR (absolute) or NULL */
	char **args;      /* extra arguments from the host */
	size_t nargs;
	uint32_t log_level;
	uint32_t engine;           /* enum kp_engine */
	struct keep_limits limits; /* from LIMITS; each field over Enarx.toml's */
};

/* Reads HELLO, [LIMITS], WASM, [[CONFDIR], CONFIG], [ARGS], RUN from fd in
 * that order.
 * Returns 0, or a negative ENARX_E_* with a message in err. */
int exec_receive(int fd, struct exec_workload *wl, char *err, size_t errlen);
void exec_workload_clear(struct exec_workload *wl);

/* Runs the workload and reports EXIT, TRAP or ERROR on fd. Returns the
 * process exit status the executor should end with. */
int exec_run(int fd, const struct exec_workload *wl);

#endif
