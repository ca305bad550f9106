/* SPDX-License-Identifier: Apache-2.0 */
/* One interface for every backend (nil, kvm, later sev, sgx, tdx). The host
 * side of a backend builds a Keep, loads the executor ELF into it and runs it
 * until it exits. Inside every Keep: fds 0, 1, 2 are the host's stdin, stdout
 * and stderr, fd 3 is the keep-protocol socket (docs/keep-protocol.md); the
 * executor opens sockets and preopened directories itself through ordinary
 * system calls (which a VM shim forwards to the host). */
#ifndef ENARX_BACKEND_BACKEND_H
#define ENARX_BACKEND_BACKEND_H

#include <stddef.h>

struct platform_backend;
struct platform_report;

/* Everything a backend needs to start one Keep. All fields are borrowed for
 * the duration of run(). */
struct keep_launch {
	const void *exec;             /* the executor: a static x86-64 ELF image */
	size_t exec_len;              /* its length in bytes */
	int keep_fd;                  /* host end stays with the caller; this end
				 becomes fd 3 inside the Keep */
	size_t mem_size;              /* memory budget of the Keep in bytes (0 = the
				 backend's default) */
	const char *const *exec_argv; /* argv for the executor (may be NULL:
				 {"enarx-exec", NULL}) */
};

struct backend {
	const char *name; /* "nil", "kvm", ... */
	/* The one place that decides whether this backend can run on this
	 * host: adds its checks to b with platform_add() (b->usable stays true
	 * only if every one passes; b->auto_select and b->note may be set to
	 * keep a usable backend from being picked automatically). host holds
	 * the CPU vendor and model. `enarx platform info` prints the checks;
	 * backend_usable() and auto-selection read the verdict. */
	void (*probe)(struct platform_backend *b, const struct platform_report *host);
	/* Runs one Keep to completion; NULL for a backend this build can probe
	 * but not launch yet (sgx, sev, tdx). On success returns 0 and sets
	 * *exit_code to the executor's exit status (0..255; 128+N when it was
	 * killed by signal N). Returns a negative ENARX_E_* if the Keep could
	 * not be built or run; the backend logs the detail. */
	int (*run)(const struct keep_launch *launch, int *exit_code);
};

/* Backends compiled in, in auto-pick order (sgx, sev, tdx, kvm, nil). */
extern const struct backend backend_sgx; /* probe only (platform.c) */
extern const struct backend backend_sev; /* probe only (platform.c) */
extern const struct backend backend_tdx; /* probe only (platform.c) */
extern const struct backend backend_kvm;
extern const struct backend backend_nil;

/* Every backend in auto-pick order, the probe-only ones included (NULL past
 * the end): what `enarx platform info` lists. */
const struct backend *backend_all(size_t i);

/* 1 if be can run a Keep on this host, 0 if not, with the first failed
 * check of be->probe() (platform_why_not()) written to why[0..n) when why
 * is not NULL. */
int backend_usable(const struct backend *be, char *why, size_t n);

/* Returns the backend called name that this build can run, or NULL if
 * there is none. */
const struct backend *backend_find(const char *name);

/* Returns the first usable backend in auto-pick order (never NULL: nil is
 * always usable). */
const struct backend *backend_default(void);

/* Number of backends this build can run and the i-th one (NULL past the
 * end), for messages such as "this build has: kvm, nil". */
size_t backend_count(void);
const struct backend *backend_at(size_t i);

/* The executor embedded in this binary (src/exec, linked in at build time). */
const void *backend_exec_image(size_t *len);

#endif
