/* SPDX-License-Identifier: Apache-2.0 */
/* What this host offers each backend (nil, kvm, sev, sgx, tdx): a checklist
 * per backend, each line with the reason, as `enarx platform info` shows. */
#ifndef ENARX_BACKEND_PLATFORM_H
#define ENARX_BACKEND_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#define PLATFORM_MAX_CHECKS 12
#define PLATFORM_NBACKENDS 5

struct platform_check {
	const char *name; /* short, stable: "dev_kvm", "cpuid_snp", ... */
	char title[80];   /* human text: "/dev/kvm can be opened" */
	bool ok;
	char detail[192]; /* why: what was found */
};

struct platform_backend {
	const char *name; /* "sgx", "sev", "tdx", "kvm", "nil" */
	bool usable;      /* every check ok */
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

/* Probes the host. Never fails: a check that cannot be made is "not ok"
 * with the reason. */
void platform_probe(struct platform_report *r);

/* The backend auto-selection would pick: the first usable one. */
const struct platform_backend *platform_default(const struct platform_report *r);

/* Looks up a backend's entry by name; NULL if unknown. */
const struct platform_backend *platform_find(const struct platform_report *r, const char *name);

#endif
