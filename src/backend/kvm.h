/* SPDX-License-Identifier: Apache-2.0 */
/* KVM Keeps (docs/kvm-keep.md): the launch layout and its SHA-384
 * measurement, and a Keep run with explicit stdio for tests and the bench.
 * backend_kvm (backend.h) is the same thing behind the common interface. */
#ifndef ENARX_BACKEND_KVM_H
#define ENARX_BACKEND_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keep/abi.h"

#define KVM_DEFAULT_MEM (1024UL << 20)

struct kvm_keep_opts {
	const void *shim; /* shim ELF; NULL = the embedded one */
	size_t shim_len;
	const void *exec; /* executor ELF (required) */
	size_t exec_len;
	size_t mem_size;         /* guest RAM; 0 = KVM_DEFAULT_MEM */
	const char *const *argv; /* NULL = {"enarx-exec", NULL}; part of the measurement */
	int stdio[3];            /* host fds seen as 0, 1, 2 in the Keep (dup'ed); -1 = none */
	int keep_fd;             /* seen as 3 (dup'ed, so the Keep may close it); -1 = none */
	uint64_t cpu_ms;         /* CPU time of the vCPU thread (guest and host calls);
				    past it the Keep ends with 128 + SIGXCPU; 0 = none */
	/* Test hook: performs the Keep's host syscalls instead of the kernel
	 * (a hostile host in tests); NULL = the real ones. */
	long (*host_syscall)(void *ctx, long num, const long arg[6]);
	void *host_syscall_ctx;
};

struct kvm_keep_stats {
	uint64_t build_ns; /* VM creation, layout and load */
	uint64_t run_ns;   /* first KVM_RUN to exit */
	uint64_t exits;    /* sallyport exits */
	uint64_t items;    /* sallyport items performed */
};

/* The shim embedded in this binary. */
const void *kvm_shim_image(size_t *len);

/* Launch digest of a Keep with these contents (no /dev/kvm needed).
 * Returns 0 or a negative ENARX_E_*. */
int kvm_measure(const struct kvm_keep_opts *o, uint8_t digest[KEEP_DIGEST_LEN]);

/* Builds and runs one Keep to completion: kvm_keep_start, _wait, _free.
 * Returns 0 with *exit_code (0..255, 128+signal when the executor faulted),
 * or a negative ENARX_E_* (the detail is logged). st may be NULL. */
int kvm_keep_run(const struct kvm_keep_opts *o, int *exit_code, struct kvm_keep_stats *st);

/* backend_kvm's start/fd/wait/kill/free (the contract is in backend.h),
 * with the KVM options. kvm_keep_start builds, measures and sets up the VM
 * in the caller's thread (o is borrowed for the call only), then runs the
 * vCPU in a thread of its own; kill makes that thread leave KVM_RUN (or a
 * blocking host call) and returns once it has finished. */
struct backend_keep;
int kvm_keep_start(const struct kvm_keep_opts *o, struct backend_keep **out);
int kvm_keep_fd(const struct backend_keep *k);
int kvm_keep_wait(struct backend_keep *k, int *exit_code);
int kvm_keep_kill(struct backend_keep *k);
void kvm_keep_free(struct backend_keep *k);

/* True if this host can run a KVM Keep (/dev/kvm works; kvm_pvm counts);
 * otherwise false with the first failed check in why. The host half of the
 * backend's probe(): unlike backend_usable(&backend_kvm, ...), it does not
 * look at the embedded executor, so tests with their own static guest can
 * run in sanitizer builds too. */
int kvm_host_usable(char *why, size_t n);

#endif
