/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's session: receive the workload over the keep protocol,
 * set up WASI from Enarx.toml, run `_start`, report the outcome. */
#ifndef ENARX_EXEC_EXEC_H
#define ENARX_EXEC_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "keep/abi.h" /* KEEP_SYS_GETATT, KEEP_EXIT_TRAP, KEEP_PROTO_FD */
#include "keep/limits.h"

struct wasi_stream; /* wasi/wasi.h */

/* Where a deployed workload's stdio and outcome go (exec/deploy.c): the
 * streams back the Enarx.toml stdin/stdout/stderr entries, and report()
 * gets each EXIT, TRAP or ERROR payload instead of the protocol fd. */
struct exec_io {
	const struct wasi_stream *in, *out, *err;
	void (*report)(void *ctx, uint32_t type, const uint8_t *p, size_t len);
	void *ctx;
};

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
	char *config_dir; /* from CONFDIR (absolute) or NULL */
	char **args;      /* extra arguments from the host */
	size_t nargs;
	uint32_t log_level;
	uint32_t engine;           /* enum kp_engine */
	struct keep_limits limits; /* from LIMITS; each field over Enarx.toml's */
	char **env;                /* extra "KEY=VALUE" entries (a package's env and secrets) */
	size_t nenv;
	const struct exec_io *io; /* NULL: fds 0-2 and reports on the protocol fd */
	struct exec_file *files;  /* FILE messages, in arrival order */
	size_t nfiles;
};

/* Reads HELLO, [LIMITS], WASM, [[CONFDIR], CONFIG], [FILE...], [ARGS], RUN
 * from fd in that order (FILE may also come after ARGS).
 * Returns 0, or a negative ENARX_E_* with a message in err. */
int exec_receive(int fd, struct exec_workload *wl, char *err, size_t errlen);
/* The same, with the first frame already read (type, p, len; p is taken). */
int exec_receive_first(int fd, uint32_t type, uint8_t *p, size_t len, struct exec_workload *wl,
                       char *err, size_t errlen);
void exec_workload_clear(struct exec_workload *wl);

/* Runs the workload and reports EXIT, TRAP or ERROR on fd. Returns the
 * process exit status the executor should end with. */
int exec_run(int fd, const struct exec_workload *wl);

/* SYS_GETATT with no buffer: returns the evidence size (or -errno: ENOSYS
 * on nil) and sets *tech to the shim's technology (0 = kvm). */
long exec_getatt_query(unsigned long *tech);

/* A deploy session (docs/keep-protocol.md "Deploy"), from its
 * DEPLOY_HELLO payload (taken): fresh keys, evidence, the sealed package,
 * the run with sealed stdio. Returns the executor's exit status: 0 once
 * the outcome went out sealed (the host must not learn the workload's
 * code), 1 when the session failed in the clear. */
int exec_deploy(int fd, uint8_t *hello, size_t hello_len);

#endif
