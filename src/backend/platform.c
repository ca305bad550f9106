/* SPDX-License-Identifier: Apache-2.0 */
/* Runs every backend's probe() (backend.c's table) into a report, plus the
 * probes of the TEE backends this build cannot launch yet. Each check
 * records what it found so `enarx platform info` can say why a backend is
 * or is not usable. */
#include "backend/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend/arch/x86_64/cpu.h"
#include "backend/backend.h"

/* This build verifies SNP, SGX and TDX evidence but cannot launch those
 * Keeps yet, so those backends are never usable. */
#define TEE_LAUNCH_SUPPORTED false

void platform_add(struct platform_backend *b, const char *name, bool ok, const char *title,
                  const char *fmt, ...)
{
	struct platform_check *c;
	va_list ap;

	if (!ok)
		b->usable = false;
	if (b->nchecks >= PLATFORM_MAX_CHECKS)
		return;
	c = &b->checks[b->nchecks++];
	c->name = name;
	c->ok = ok;
	snprintf(c->title, sizeof(c->title), "%s", title);
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

/* Reads the first line of a sysfs/procfs file; false if unreadable. */
static bool read_line(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "re");
	bool ok = false;

	if (!f)
		return false;
	if (fgets(out, (int)n, f)) {
		out[strcspn(out, "\n")] = '\0';
		ok = true;
	}
	fclose(f);
	return ok;
}

static void check_dev(struct platform_backend *b, const char *name, const char *path)
{
	char title[80];
	int fd = open(path, O_RDWR | O_CLOEXEC);

	snprintf(title, sizeof(title), "%s can be opened", path);
	if (fd >= 0) {
		close(fd);
		platform_add(b, name, true, title, "opened read-write");
	} else {
		platform_add(b, name, false, title, "%s", strerror(errno));
	}
}

/* A kernel module parameter that must read "Y" or "1". */
static void check_param(struct platform_backend *b, const char *name, const char *path,
                        const char *title)
{
	char v[32];

	if (!read_line(path, v, sizeof(v)))
		platform_add(b, name, false, title, "%s is missing: %s", path, strerror(errno));
	else if (strcmp(v, "Y") == 0 || strcmp(v, "1") == 0)
		platform_add(b, name, true, title, "%s = %s", path, v);
	else
		platform_add(b, name, false, title, "%s = %s", path, v);
}

static void check_vendor(struct platform_backend *b, const struct platform_report *r,
                         const char *want)
{
	bool ok = strcmp(r->cpu_vendor, want) == 0;

	if (ok)
		platform_add(b, "cpu_vendor", true, "CPU vendor", "%s", r->cpu_vendor);
	else
		platform_add(b, "cpu_vendor", false, "CPU vendor", "found %s, need %s",
		             r->cpu_vendor, want);
}

static void check_bit(struct platform_backend *b, const char *name, const char *title,
                      uint32_t leaf, uint32_t sub, const char *reg, uint32_t value, int bit)
{
	bool ok = (value >> bit) & 1;

	platform_add(b, name, ok, title, "CPUID 0x%x.%u %s bit %d = %d", leaf, sub, reg, bit, ok);
}

static uint32_t max_leaf(uint32_t base)
{
	return cpu_cpuid(base, 0).eax;
}

bool platform_kvm_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* kvm_pvm works but emulates the shim (about 1 ms per syscall, a second to
 * start), so it is used when named, and picked automatically only on request. */
/* ENARX_KVM_ALLOW_PVM set to anything but "" or "0". */
bool platform_kvm_pvm_allowed(void)
{
	const char *allow = getenv("ENARX_KVM_ALLOW_PVM");

	return allow && *allow && strcmp(allow, "0") != 0;
}

static void probe_sev(struct platform_backend *b, const struct platform_report *r)
{
	struct cpuid_regs c;

	check_vendor(b, r, "AuthenticAMD");
	if (max_leaf(0x80000000) < 0x8000001f) {
		platform_add(b, "cpuid_8000001f", false, "CPUID leaf 0x8000001F present",
		             "highest extended leaf is 0x%x", max_leaf(0x80000000));
	} else {
		c = cpu_cpuid(0x8000001f, 0);
		check_bit(b, "cpuid_sev", "SEV supported", 0x8000001f, 0, "EAX", c.eax, 1);
		check_bit(b, "cpuid_sev_es", "SEV-ES supported", 0x8000001f, 0, "EAX", c.eax, 3);
		check_bit(b, "cpuid_sev_snp", "SEV-SNP supported", 0x8000001f, 0, "EAX", c.eax, 4);
	}
	check_dev(b, "dev_sev", "/dev/sev");
	check_param(b, "kvm_amd_sev_snp", "/sys/module/kvm_amd/parameters/sev_snp",
	            "kvm_amd sev_snp parameter enabled");
	check_dev(b, "dev_kvm", "/dev/kvm");
	platform_add(b, "launch", TEE_LAUNCH_SUPPORTED, "launch support in this build",
	             "not implemented yet: SNP evidence verification only");
}

static void probe_sgx(struct platform_backend *b, const struct platform_report *r)
{
	struct cpuid_regs c;

	check_vendor(b, r, "GenuineIntel");
	if (max_leaf(0) < 0x12) {
		platform_add(b, "cpuid_12", false, "CPUID leaf 0x12 present",
		             "highest basic leaf is 0x%x", max_leaf(0));
	} else {
		c = cpu_cpuid(7, 0);
		check_bit(b, "cpuid_sgx", "SGX supported", 7, 0, "EBX", c.ebx, 2);
		check_bit(b, "cpuid_sgx_lc", "SGX flexible launch control", 7, 0, "ECX", c.ecx, 30);
		c = cpu_cpuid(0x12, 0);
		check_bit(b, "cpuid_sgx2", "SGX2 instructions", 0x12, 0, "EAX", c.eax, 1);
	}
	check_dev(b, "dev_sgx_enclave", "/dev/sgx_enclave");
	check_dev(b, "dev_sgx_provision", "/dev/sgx_provision");
	platform_add(b, "launch", TEE_LAUNCH_SUPPORTED, "launch support in this build",
	             "not implemented yet: SGX evidence verification only");
}

static void probe_tdx(struct platform_backend *b, const struct platform_report *r)
{
	struct cpuid_regs c;

	check_vendor(b, r, "GenuineIntel");
	c = cpu_cpuid(1, 0);
	check_bit(b, "cpuid_vmx", "VMX supported", 1, 0, "ECX", c.ecx, 5);
	check_param(b, "kvm_intel_tdx", "/sys/module/kvm_intel/parameters/tdx",
	            "kvm_intel tdx parameter enabled");
	check_dev(b, "dev_kvm", "/dev/kvm");
	platform_add(b, "launch", TEE_LAUNCH_SUPPORTED, "launch support in this build",
	             "not implemented yet: TDX evidence verification only");
}

static void probe_host(struct platform_report *r)
{
	struct cpuid_regs c = cpu_cpuid(0, 0);
	struct utsname u;
	uint32_t words[12];

	memcpy(r->cpu_vendor, &c.ebx, 4);
	memcpy(r->cpu_vendor + 4, &c.edx, 4);
	memcpy(r->cpu_vendor + 8, &c.ecx, 4);
	r->cpu_vendor[12] = '\0';
	r->cpu_model[0] = '\0';
	if (max_leaf(0x80000000) >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			c = cpu_cpuid(0x80000002 + i, 0);
			words[4 * i] = c.eax;
			words[4 * i + 1] = c.ebx;
			words[4 * i + 2] = c.ecx;
			words[4 * i + 3] = c.edx;
		}
		memcpy(r->cpu_model, words, 48);
		r->cpu_model[48] = '\0';
	}
	if (uname(&u) == 0)
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	else
		snprintf(r->kernel, sizeof(r->kernel), "unknown");
}

/* probe() for the TEE backends: this build verifies SNP, SGX and TDX
 * evidence but cannot launch those Keeps yet (run is NULL). */
const struct backend backend_sgx = {.name = "sgx", .probe = probe_sgx};
const struct backend backend_sev = {.name = "sev", .probe = probe_sev};
const struct backend backend_tdx = {.name = "tdx", .probe = probe_tdx};

static void probe_backend(const struct backend *be, struct platform_backend *b,
                          const struct platform_report *host)
{
	memset(b, 0, sizeof(*b));
	b->name = be->name;
	b->usable = true;
	b->auto_select = true;
	be->probe(b, host);
	b->auto_select &= b->usable;
}

void platform_probe(struct platform_report *r)
{
	memset(r, 0, sizeof(*r));
	probe_host(r);
	for (size_t i = 0; i < PLATFORM_NBACKENDS && backend_all(i); i++)
		probe_backend(backend_all(i), &r->backends[i], r);
}

void platform_probe_one(const struct backend *be, struct platform_backend *out)
{
	struct platform_report host;

	memset(&host, 0, sizeof(host));
	probe_host(&host);
	probe_backend(be, out, &host);
}

void platform_why_not(const struct platform_backend *b, char *why, size_t n)
{
	why[0] = '\0';
	for (size_t i = 0; i < b->nchecks; i++) {
		if (!b->checks[i].ok) {
			snprintf(why, n, "check '%s' failed: %s", b->checks[i].title,
			         b->checks[i].detail);
			return;
		}
	}
}

const struct platform_backend *platform_default(const struct platform_report *r)
{
	for (int i = 0; i < PLATFORM_NBACKENDS; i++) {
		if (r->backends[i].auto_select)
			return &r->backends[i];
	}
	return &r->backends[PLATFORM_NBACKENDS - 1];
}

const struct platform_backend *platform_find(const struct platform_report *r, const char *name)
{
	for (int i = 0; i < PLATFORM_NBACKENDS; i++) {
		if (strcmp(r->backends[i].name, name) == 0)
			return &r->backends[i];
	}
	return NULL;
}

const char *platform_default_name(void)
{
	struct platform_report r;

	/* Nothing the full probe finds can change the answer here: the TEE
	 * backends cannot launch and kvm is skipped, so spare enarx run the
	 * probe's KVM_CREATE_VM (about 1 ms). */
	if (!TEE_LAUNCH_SUPPORTED && platform_kvm_is_pvm() && !platform_kvm_pvm_allowed())
		return "nil";
	platform_probe(&r);
	return platform_default(&r)->name;
}
