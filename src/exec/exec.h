/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's session: receive the workload over the keep protocol,
 * set up WASI from Enarx.toml, run `_start`, report the outcome. */
#ifndef ENARX_EXEC_EXEC_H
#define ENARX_EXEC_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "keep/abi.h" /* KEEP_SYS_GETATT, KEEP_EXIT_TRAP, KEEP_PROTO_FD */

/* A package file (keep protocol FILE), named as Enarx.toml names it. */
struct exec_file {
	char *name;
	uint8_t *data; /* len bytes; wiped when freed (may hold a key) */
	size_t len;
};

struct exec_workload {
	uint8_t *wasm;
	size_t wasm_len;
	char *config; /* Enarx.toml text (NUL-terminated) or NULL */
	size_t config_len;
	char **args; /* extra arguments from the host */
	size_t nargs;
	uint32_t log_level;
	uint32_t engine;         /* enum kp_engine */
	struct exec_file *files; /* nfiles, in arrival order */
	size_t nfiles;
};

/* Reads HELLO, WASM, [CONFIG], [FILE...], [ARGS], RUN from fd in that order
 * (FILE may also come after ARGS).
 * Returns 0, or a negative ENARX_E_* with a message in err. */
int exec_receive(int fd, struct exec_workload *wl, char *err, size_t errlen);
void exec_workload_clear(struct exec_workload *wl);

/* Runs the workload and reports EXIT, TRAP or ERROR on fd. Returns the
 * process exit status the executor should end with. */
int exec_run(int fd, const struct exec_workload *wl);

#endif
