/* SPDX-License-Identifier: Apache-2.0 */
/* Host capability probes for every backend. Each check records what it found
 * so `enarx platform info` can say why a backend is or is not usable. */
#include "backend/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend/arch/x86_64/cpu.h"
#include "backend/backend.h"
#include "backend/kvm.h"

/* This build verifies SNP, SGX and TDX evidence but cannot launch those
 * Keeps yet, so those backends are never usable. */
#define TEE_LAUNCH_SUPPORTED false

static void add(struct platform_backend *b, const char *name, bool ok, const char *title,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct platform_backend *b, const char *name, bool ok, const char *title,
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
		add(b, name, true, title, "opened read-write");
	} else {
		add(b, name, false, title, "%s", strerror(errno));
	}
}

/* A kernel module parameter that must read "Y" or "1". */
static void check_param(struct platform_backend *b, const char *name, const char *path,
                        const char *title)
{
	char v[32];

	if (!read_line(path, v, sizeof(v)))
		add(b, name, false, title, "%s is missing: %s", path, strerror(errno));
	else if (strcmp(v, "Y") == 0 || strcmp(v, "1") == 0)
		add(b, name, true, title, "%s = %s", path, v);
	else
		add(b, name, false, title, "%s = %s", path, v);
}

static void check_vendor(struct platform_backend *b, const struct platform_report *r,
                         const char *want)
{
	bool ok = strcmp(r->cpu_vendor, want) == 0;

	if (ok)
		add(b, "cpu_vendor", true, "CPU vendor", "%s", r->cpu_vendor);
	else
		add(b, "cpu_vendor", false, "CPU vendor", "found %s, need %s", r->cpu_vendor, want);
}

static void check_bit(struct platform_backend *b, const char *name, const char *title,
                      uint32_t leaf, uint32_t sub, const char *reg, uint32_t value, int bit)
{
	bool ok = (value >> bit) & 1;

	add(b, name, ok, title, "CPUID 0x%x.%u %s bit %d = %d", leaf, sub, reg, bit, ok);
}

static uint32_t max_leaf(uint32_t base)
{
	return cpu_cpuid(base, 0).eax;
}

static void probe_kvm_caps(struct platform_backend *b, int fd)
{
	static const struct {
		const char *name;
		int cap;
		const char *title;
	} caps[] = {
	    {"kvm_cap_user_memory", KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {"kvm_cap_ext_cpuid", KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	    {"kvm_cap_immediate_exit", KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	    {"kvm_cap_set_tss_addr", KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int v = ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap);

		add(b, caps[i].name, v > 0, caps[i].title, "KVM_CHECK_EXTENSION = %d", v);
	}
}

bool platform_kvm_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* kvm_pvm works but emulates the shim (about 1 ms per syscall, a second to
 * start), so it is used when named, and picked automatically only on request. */
/* ENARX_KVM_ALLOW_PVM set to anything but "" or "0". */
static bool pvm_allowed(void)
{
	const char *allow = getenv("ENARX_KVM_ALLOW_PVM");

	return allow && *allow && strcmp(allow, "0") != 0;
}

static void probe_kvm_flavour(struct platform_backend *b)
{

	if (!platform_kvm_is_pvm()) {
		add(b, "kvm_flavour", true, "KVM flavour", "hardware-assisted");
		return;
	}
	add(b, "kvm_flavour", true, "KVM flavour",
	    "kvm_pvm: paravirtual, no hardware virtualization; the shim is emulated "
	    "(slow start, about 1 ms per syscall)");
	if (!pvm_allowed()) {
		b->auto_select = false;
		snprintf(b->note, sizeof(b->note),
		         "kvm_pvm is not picked automatically: pass --backend kvm or set "
		         "ENARX_KVM_ALLOW_PVM=1");
	}
}

static void probe_kvm(struct platform_backend *b)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int api, vm;

	if (fd < 0) {
		add(b, "dev_kvm", false, "/dev/kvm can be opened", "%s", strerror(errno));
		return;
	}
	add(b, "dev_kvm", true, "/dev/kvm can be opened", "opened read-write");
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	add(b, "kvm_api_version", api == KVM_API_VERSION, "KVM API version 12",
	    "KVM_GET_API_VERSION = %d", api);
	probe_kvm_caps(b, fd);
	probe_kvm_flavour(b);
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		add(b, "kvm_create_vm", true, "a VM can be created", "KVM_CREATE_VM succeeded");
		close(vm);
	} else {
		add(b, "kvm_create_vm", false, "a VM can be created", "KVM_CREATE_VM: %s",
		    strerror(errno));
	}
	close(fd);
	/* the same rule enarx run applies (kvm.c): a sanitizer build's
	 * executor is dynamically linked and cannot run in a Keep */
	size_t exec_len;
	const void *exec = backend_exec_image(&exec_len);
	if (exec) {
		bool dyn = kvm_exec_is_dynamic(exec, exec_len);
		add(b, "static_executor", !dyn, "the executor can run in a Keep",
		    dyn ? "dynamically linked (sanitizer build); a Keep loads only a static one"
		        : "statically linked");
	}
}

static void probe_sev(struct platform_backend *b, const struct platform_report *r)
{
	struct cpuid_regs c;

	check_vendor(b, r, "AuthenticAMD");
	if (max_leaf(0x80000000) < 0x8000001f) {
		add(b, "cpuid_8000001f", false, "CPUID leaf 0x8000001F present",
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
	add(b, "launch", TEE_LAUNCH_SUPPORTED, "launch support in this build",
	    "not implemented yet: SNP evidence verification only");
}

static void probe_sgx(struct platform_backend *b, const struct platform_report *r)
{
	struct cpuid_regs c;

	check_vendor(b, r, "GenuineIntel");
	if (max_leaf(0) < 0x12) {
		add(b, "cpuid_12", false, "CPUID leaf 0x12 present", "highest basic leaf is 0x%x",
		    max_leaf(0));
	} else {
		c = cpu_cpuid(7, 0);
		check_bit(b, "cpuid_sgx", "SGX supported", 7, 0, "EBX", c.ebx, 2);
		check_bit(b, "cpuid_sgx_lc", "SGX flexible launch control", 7, 0, "ECX", c.ecx, 30);
		c = cpu_cpuid(0x12, 0);
		check_bit(b, "cpuid_sgx2", "SGX2 instructions", 0x12, 0, "EAX", c.eax, 1);
	}
	check_dev(b, "dev_sgx_enclave", "/dev/sgx_enclave");
	check_dev(b, "dev_sgx_provision", "/dev/sgx_provision");
	add(b, "launch", TEE_LAUNCH_SUPPORTED, "launch support in this build",
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
	add(b, "launch", TEE_LAUNCH_SUPPORTED, "launch support in this build",
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

void platform_probe(struct platform_report *r)
{
	static const char *const order[PLATFORM_NBACKENDS] = {"sgx", "sev", "tdx", "kvm", "nil"};

	memset(r, 0, sizeof(*r));
	probe_host(r);
	for (int i = 0; i < PLATFORM_NBACKENDS; i++) {
		r->backends[i].name = order[i];
		r->backends[i].usable = true;
		r->backends[i].auto_select = true;
	}
	probe_sgx(&r->backends[0], r);
	probe_sev(&r->backends[1], r);
	probe_tdx(&r->backends[2], r);
	probe_kvm(&r->backends[3]);
	add(&r->backends[4], "always", true, "no hardware needed",
	    "runs the executor as a sandboxed process; no confidentiality");
	for (int i = 0; i < PLATFORM_NBACKENDS; i++)
		r->backends[i].auto_select &= r->backends[i].usable;
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
	if (!TEE_LAUNCH_SUPPORTED && platform_kvm_is_pvm() && !pvm_allowed())
		return "nil";
	platform_probe(&r);
	return platform_default(&r)->name;
}
