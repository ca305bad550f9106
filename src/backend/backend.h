/* SPDX-License-Identifier: Apache-2.0 */
/* One interface for every backend (nil, kvm, later sev, sgx, tdx). The host
 * side of a backend builds a Keep, loads the executor ELF into it and starts
 * it; the caller polls for its end, waits for its status or kills it
 * (src/keep/session.h drives this for enarx run). Inside every Keep: fds 0,
 * 1, 2 are the host's stdin, stdout and stderr (or the fds the launch
 * names), fd 3 is the keep-protocol socket (docs/keep-protocol.md); the
 * executor opens sockets and preopened directories itself through ordinary
 * system calls (which a VM shim forwards to the host). */
#ifndef ENARX_BACKEND_BACKEND_H
#define ENARX_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keep/usage.h"

struct platform_backend;
struct platform_report;

/* A host directory a Keep may open, as Enarx.toml names it. */
struct keep_dir {
	const char *path; /* relative paths are relative to the current directory */
	int readonly;
};

/* Everything a backend needs to start one Keep. All fields are borrowed for
 * the duration of start() only: the backend copies the image and argv and
 * duplicates the descriptors it keeps. */
struct keep_launch {
	const void *exec;             /* the executor: a static x86-64 ELF image */
	size_t exec_len;              /* its length in bytes */
	int keep_fd;                  /* host end stays with the caller; this end
				 becomes fd 3 inside the Keep */
	size_t mem_size;              /* memory budget of the Keep in bytes (0 = the
				 backend's default): kvm's guest RAM (2 MiB
				 steps; default 1 GiB); nil's RLIMIT_DATA
				 (default 4 GiB + 256 MiB; static executors
				 only: a sanitizer build's shadow memory
				 would not fit) */
	unsigned max_fds;             /* descriptors the workload may hold (0 = no
				 bound): nil sets RLIMIT_NOFILE a little
				 above it, for the executor's own */
	const char *const *exec_argv; /* argv for the executor (may be NULL:
				 {"enarx-exec", NULL}) */
	const struct keep_dir *dirs;  /* host directories the workload may
				 open (Enarx.toml `dir` entries); under nil
				 the only ones the Keep can see */
	size_t ndirs;
	int net;          /* 1 if the workload has sockets (listen/connect entries):
		    nil then keeps the host's network namespace */
	int jit;          /* 1 if the Keep compiles wasm to machine code (the
		    JIT): nil then allows executable mappings, never
		    writable and executable at once (W^X); 0: none at all */
	const int *stdio; /* 3 host fds seen as 0, 1, 2 inside the
				 Keep; NULL = the host's own 0, 1, 2 */
	uint64_t cpu_ms;  /* CPU time of the Keep in ms (0 = no bound): nil
			     sets RLIMIT_CPU a second above it (the executor's
			     own timer stops the workload at cpu_ms); kvm stops
			     the vCPU thread at cpu_ms of its CPU time and ends
			     with status 128 + SIGXCPU */
};

/* One started Keep, private to the backend that started it. */
struct backend_keep;

/* A Keep's life through the table below:
 *
 *   start() --> [running] --fd() readable--> wait() --> free()
 *                   \--kill()--> [stopping] --/
 *
 * Calls on one handle must not overlap (the caller serialises them; a
 * keep_session does); different handles are independent, so a host agent may
 * hold any number of Keeps in any threads. No call installs a signal handler
 * that assumes a single Keep. */
struct backend {
	const char *name; /* "nil", "kvm", ... */
	/* The one place that decides whether this backend can run on this
	 * host: adds its checks to b with platform_add() (b->usable stays true
	 * only if every one passes; b->auto_select and b->note may be set to
	 * keep a usable backend from being picked automatically). host holds
	 * the CPU vendor and model. `enarx platform info` prints the checks;
	 * backend_usable() and auto-selection read the verdict. */
	void (*probe)(struct platform_backend *b, const struct platform_report *host);
	/* Builds and starts one Keep and returns at once with *out, a new
	 * handle (release with free()). start() and the four below are NULL
	 * for a backend this build can probe but not launch yet (sgx, sev,
	 * tdx). Returns a negative ENARX_E_* if the
	 * Keep could not be built or started (nothing is left running or
	 * open; the backend logs the detail). */
	int (*start)(const struct keep_launch *launch, struct backend_keep **out);
	/* A descriptor that polls readable (POLLIN) once the Keep has ended,
	 * for poll/epoll loops. Borrowed: valid until free(); never read it. */
	int (*fd)(const struct backend_keep *k);
	/* Blocks until the Keep has ended. Returns 0 with *exit_code set to
	 * the executor's exit status (0..255; 128+N when it was killed by
	 * signal N or, in a VM, faulted as signal N; 128+9 when kill() stopped
	 * it), or a negative ENARX_E_* if the Keep broke down (e.g.
	 * ENARX_E_KEEP_FAULT when a VM's shim faulted; logged). Once it has
	 * returned, later calls return the same result at once. */
	int (*wait)(struct backend_keep *k, int *exit_code);
	/* Stops the Keep without its cooperation: its workload gets no chance
	 * to run further (nil: SIGKILL through the pidfd; kvm: the vCPU thread
	 * is made to leave KVM_RUN or a blocking host call, and kill returns
	 * once it has). Returns 0 (also when the Keep had already ended) or
	 * ENARX_E_IO if it could not be signalled. wait() then returns soon;
	 * free() still has to be called. */
	int (*kill)(struct backend_keep *k);
	/* Kills the Keep if it still runs, reaps it and releases everything
	 * (no process, thread or descriptor outlives it). Accepts NULL. */
	void (*free)(struct backend_keep *k);
	/* Optional (NULL = not measured): what the Keep used, valid once
	 * wait() has returned 0 (keep/usage.h). Returns 0 with *u filled, or
	 * ENARX_E_BUSY before the end. */
	int (*usage)(const struct backend_keep *k, struct keep_usage *u);
};

/* Runs one Keep to completion on be: start(), wait(), free(). Returns what
 * start() or wait() returned, with *exit_code as wait() sets it. */
int backend_run(const struct backend *be, const struct keep_launch *launch, int *exit_code);

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

/* True if the ELF image `elf` has a PT_INTERP (a dynamically linked
 * executor, as sanitizer builds make): a VM Keep cannot load it, and the nil
 * sandbox cannot give it an empty root. */
bool backend_exec_is_dynamic(const uint8_t *elf, size_t len);

/* The executor embedded in this binary (src/exec, linked in at build time). */
const void *backend_exec_image(size_t *len);

#endif
