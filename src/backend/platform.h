/* SPDX-License-Identifier: Apache-2.0 */
/* What this host offers each backend (nil, kvm, sev, sgx, tdx): a checklist
 * per backend, each line with the reason, as `enarx platform info` shows.
 * The backends themselves say what to check (struct backend's probe()). */
#ifndef ENARX_BACKEND_PLATFORM_H
#define ENARX_BACKEND_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

struct backend;

#define PLATFORM_MAX_CHECKS 12
#define PLATFORM_NBACKENDS 5 /* the size of backend.c's table */

struct platform_check {
	const char *name; /* short, stable: "dev_kvm", "cpuid_snp", ... */
	char title[80];   /* human text: "/dev/kvm can be opened" */
	bool ok;
	char detail[192]; /* why: what was found */
};

struct platform_backend {
	const char *name; /* "sgx", "sev", "tdx", "kvm", "nil" */
	bool usable;      /* every check ok */
	bool auto_select; /* picked when no backend is named (usable, not slow) */
	char note[192];   /* why a usable backend is not auto-selected, or "" */
	size_t nchecks;
	struct platform_check checks[PLATFORM_MAX_CHECKS];
};

struct platform_report {
	char cpu_vendor[13];
	char cpu_model[49];
	char kernel[65];
	/* In auto-selection order: sgx, sev, tdx, kvm, nil. */
	struct platform_backend backends[PLATFORM_NBACKENDS];
};

/* Probes the host and every backend (backend_all()). Never fails: a check
 * that cannot be made is "not ok" with the reason. */
void platform_probe(struct platform_report *r);

/* Probes one backend into *out, as platform_probe() would. */
void platform_probe_one(const struct backend *be, struct platform_backend *out);

/* For probe() functions: adds one check to b and clears b->usable if !ok. */
void platform_add(struct platform_backend *b, const char *name, bool ok, const char *title,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes "check 'title' failed: detail" for b's first failed check to
 * why[0..n), or "" when every check passed. */
void platform_why_not(const struct platform_backend *b, char *why, size_t n);

/* The backend auto-selection picks: the first usable one that is not marked
 * as slow (kvm on a kvm_pvm host unless ENARX_KVM_ALLOW_PVM=1). */
const struct platform_backend *platform_default(const struct platform_report *r);

/* The name of the backend platform_default() picks after a full
 * platform_probe() (a static string), skipping probes that cannot change it.
 * enarx run uses this, so it always agrees with `enarx platform info`. */
const char *platform_default_name(void);

/* True on a host whose /dev/kvm is kvm_pvm: KVM without hardware
 * virtualization, where the guest kernel is emulated. */
bool platform_kvm_is_pvm(void);

/* True when ENARX_KVM_ALLOW_PVM lets auto-selection pick kvm on kvm_pvm. */
bool platform_kvm_pvm_allowed(void);

/* Looks up a backend's entry by name; NULL if unknown. */
const struct platform_backend *platform_find(const struct platform_report *r, const char *name);

#endif
