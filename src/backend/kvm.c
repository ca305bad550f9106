/* SPDX-License-Identifier: Apache-2.0 */
/* The KVM backend: lays out a Keep's memory (boot info, boot page tables,
 * sallyport block, shim, executor), measures it (SHA-384 chain, see
 * docs/kvm-keep.md), creates the VM and its one vCPU in 64-bit mode, and
 * runs the exit loop: port I/O for the sallyport, everything else ends the
 * Keep with a clear error. The guest is hostile: its requests go through
 * src/sallyport/host.c, and nothing it wrote is trusted. */
#include "backend/kvm.h"
#include "backend/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/err.h"
#include "lib/log.h"
#include "sallyport/host.h"
#include "shim/kvm/boot.h"

extern const uint8_t enarx_shim_kvm_start[], enarx_shim_kvm_end[];

#define PG SHIM_PAGE_SIZE
#define PAGE_UP(x) (((x) + PG - 1) & ~(PG - 1))
#define MIB (1UL << 20)

/* Page types in the measurement. */
enum {
	PAGE_NORMAL = 1,   /* contents measured */
	PAGE_BOOTINFO = 2, /* contents measured */
	PAGE_TABLES = 3,   /* contents measured */
	PAGE_SHARED = 4,   /* sallyport: position only, contents not measured */
};

struct layout {
	uint8_t *mem;
	size_t mem_size;
	uint64_t entry;
	uint64_t shim_lo, shim_hi; /* GPA page range the shim occupies */
	uint64_t exec_end;         /* page-aligned end of the executor image */
};

const void *kvm_shim_image(size_t *len)
{
	/* Two linker symbols around one blob: compare them as addresses. */
	*len = (size_t)((uintptr_t)enarx_shim_kvm_end - (uintptr_t)enarx_shim_kvm_start);
	return enarx_shim_kvm_start;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- layout --------------------------------------------------------------- */

/* Copies the shim's PT_LOAD segments to their p_paddr. The shim is our own
 * build, but it is parsed through the cursor all the same. */
static int load_shim(struct layout *l, const uint8_t *elf, size_t len)
{
	struct cursor c, ph;
	uint64_t entry, phoff;
	uint16_t phent, phnum;
	cursor_init(&c, elf, len);
	if (len < 64 || memcmp(elf, "\177ELF\2\1", 6))
		return ENARX_E_MALFORMED;
	if (cursor_skip(&c, 24) || cursor_u64le(&c, &entry) || cursor_u64le(&c, &phoff) ||
	    cursor_skip(&c, 14) || cursor_u16le(&c, &phent) || cursor_u16le(&c, &phnum))
		return ENARX_E_TRUNCATED;
	if (phent != 56 || phoff > len)
		return ENARX_E_MALFORMED;
	l->shim_lo = UINT64_MAX;
	l->shim_hi = 0;
	for (uint16_t i = 0; i < phnum; i++) {
		uint32_t type;
		uint64_t off, paddr, filesz, memsz;
		cursor_init(&ph, elf, len);
		if (cursor_skip(&ph, phoff + (size_t)i * 56) || cursor_u32le(&ph, &type) ||
		    cursor_skip(&ph, 4) || cursor_u64le(&ph, &off) || cursor_skip(&ph, 8) ||
		    cursor_u64le(&ph, &paddr) || cursor_u64le(&ph, &filesz) ||
		    cursor_u64le(&ph, &memsz))
			return ENARX_E_TRUNCATED;
		if (type != 1 /* PT_LOAD */)
			continue;
		if (!range_ok(off, filesz, len) || filesz > memsz || paddr < SHIM_GPA_IMAGE ||
		    !range_ok(paddr, memsz, SHIM_GPA_IMAGE_END))
			return ENARX_E_MALFORMED;
		memcpy(l->mem + paddr, elf + off, filesz);
		l->shim_lo = paddr < l->shim_lo ? paddr & ~(PG - 1) : l->shim_lo;
		l->shim_hi =
		    PAGE_UP(paddr + memsz) > l->shim_hi ? PAGE_UP(paddr + memsz) : l->shim_hi;
	}
	if (l->shim_hi == 0)
		return ENARX_E_MALFORMED;
	l->entry = entry;
	return 0;
}

/* Boot page tables: the kernel window (SHIM_KERNEL_BASE) maps the first GiB of RAM
 * with 2 MiB pages; the shim replaces them with its own at once. */
static void build_boot_tables(struct layout *l)
{
	uint64_t *pml4 = (uint64_t *)(l->mem + SHIM_GPA_BOOT_PT);
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;
	pml4[(SHIM_KERNEL_BASE >> 39) & 511] = (SHIM_GPA_BOOT_PT + PG) | 3;
	pdpt[(SHIM_KERNEL_BASE >> 30) & 511] = (SHIM_GPA_BOOT_PT + 2 * PG) | 3;
	for (uint64_t i = 0; i < 512 && i * 2 * MIB < l->mem_size; i++)
		pd[i] = (i * 2 * MIB) | 0x83; /* present, writable, 2 MiB */
}

static int build_boot_info(struct layout *l, const struct kvm_keep_opts *o)
{
	static const char *const def_argv[] = {"enarx-exec", NULL};
	const char *const *argv = o->argv ? o->argv : def_argv;
	struct shim_boot_info *bi = (struct shim_boot_info *)(l->mem + SHIM_GPA_BOOTINFO);
	bi->magic = SHIM_BOOT_MAGIC;
	bi->version = SHIM_BOOT_VERSION;
	bi->mem_size = l->mem_size;
	bi->exec_gpa = SHIM_GPA_EXEC;
	bi->exec_len = o->exec_len;
	bi->sp_gpa = SHIM_GPA_SALLYPORT;
	bi->sp_size = SP_BLOCK_SIZE;
	bi->free_gpa = l->exec_end;
	for (size_t i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (n > SHIM_BOOT_ARGS_MAX - bi->args_len || i >= 64)
			return ENARX_E_INVAL;
		memcpy(bi->args + bi->args_len, argv[i], n);
		bi->args_len += n;
		bi->argc++;
	}
	return 0;
}

static void layout_free(struct layout *l)
{
	if (l->mem && l->mem != MAP_FAILED)
		munmap(l->mem, l->mem_size);
	l->mem = NULL;
}

static int layout_build(struct layout *l, const struct kvm_keep_opts *o)
{
	size_t shim_len;
	const void *shim = o->shim ? o->shim : kvm_shim_image(&shim_len);
	if (o->shim)
		shim_len = o->shim_len;
	memset(l, 0, sizeof(*l));
	l->mem_size = o->mem_size ? o->mem_size : KVM_DEFAULT_MEM;
	if (l->mem_size % (2 * MIB) || l->mem_size < 32 * MIB || l->mem_size > (256UL << 30)) {
		log_error("kvm: memory size must be 32 MiB..256 GiB in 2 MiB steps");
		return ENARX_E_INVAL;
	}
	if (!o->exec || o->exec_len == 0 || o->exec_len > l->mem_size - SHIM_GPA_EXEC - 16 * MIB) {
		log_error("kvm: executor of %zu bytes does not fit in %zu bytes of Keep memory",
		          o->exec_len, l->mem_size);
		return ENARX_E_INVAL;
	}
	log_info("kvm: guest memory %zu MiB", l->mem_size / MIB);
	l->exec_end = PAGE_UP(SHIM_GPA_EXEC + o->exec_len);
	l->mem = mmap(NULL, l->mem_size, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l->mem == MAP_FAILED) {
		l->mem = NULL;
		return ENARX_E_NOMEM;
	}
	int rc = load_shim(l, shim, shim_len);
	if (rc) {
		log_error("kvm: shim image: %s", enarx_strerror(rc));
		goto fail;
	}
	memcpy(l->mem + SHIM_GPA_EXEC, o->exec, o->exec_len);
	build_boot_tables(l);
	if ((rc = build_boot_info(l, o))) {
		log_error("kvm: executor arguments too long");
		goto fail;
	}
	return 0;
fail:
	layout_free(l);
	return rc;
}

/* ---- measurement ------------------------------------------------------ */

struct measure {
	EVP_MD_CTX *ctx;
	uint8_t digest[KEEP_DIGEST_LEN];
};

/* digest = SHA-384(digest || "ENXKVMPG" || gpa || type || 0 || SHA-384(page)),
 * integers little-endian (u64 gpa, u32 type, u32 zero); pages without
 * measured contents use 48 zero bytes for the contents hash. */
static int measure_page(struct measure *m, const uint8_t *page, uint64_t gpa, uint32_t type)
{
	uint8_t info[8 + 8 + 4 + 4 + KEEP_DIGEST_LEN] = "ENXKVMPG";
	unsigned int n;
	for (int i = 0; i < 8; i++)
		info[8 + i] = (uint8_t)(gpa >> (8 * i));
	for (int i = 0; i < 4; i++)
		info[16 + i] = (uint8_t)(type >> (8 * i));
	if (page &&
	    (!EVP_DigestInit_ex2(m->ctx, EVP_sha384(), NULL) ||
	     !EVP_DigestUpdate(m->ctx, page, PG) || !EVP_DigestFinal_ex(m->ctx, info + 24, &n)))
		return ENARX_E_INTERNAL;
	if (!EVP_DigestInit_ex2(m->ctx, EVP_sha384(), NULL) ||
	    !EVP_DigestUpdate(m->ctx, m->digest, sizeof(m->digest)) ||
	    !EVP_DigestUpdate(m->ctx, info, sizeof(info)) ||
	    !EVP_DigestFinal_ex(m->ctx, m->digest, &n))
		return ENARX_E_INTERNAL;
	return 0;
}

static int measure_range(struct measure *m, const struct layout *l, uint64_t lo, uint64_t hi,
                         uint32_t type)
{
	for (uint64_t gpa = lo; gpa < hi; gpa += PG) {
		int rc = measure_page(m, type == PAGE_SHARED ? NULL : l->mem + gpa, gpa, type);
		if (rc)
			return rc;
	}
	return 0;
}

static int layout_measure(const struct layout *l, uint8_t out[KEEP_DIGEST_LEN])
{
	struct measure m = {.ctx = EVP_MD_CTX_new()};
	int rc = m.ctx ? 0 : ENARX_E_NOMEM;
	memset(m.digest, 0, sizeof(m.digest));
	if (!rc)
		rc = measure_range(&m, l, SHIM_GPA_BOOTINFO, SHIM_GPA_BOOTINFO + PG, PAGE_BOOTINFO);
	if (!rc)
		rc = measure_range(&m, l, SHIM_GPA_BOOT_PT, SHIM_GPA_BOOT_PT + 3 * PG, PAGE_TABLES);
	if (!rc)
		rc = measure_range(&m, l, SHIM_GPA_SALLYPORT,
		                   SHIM_GPA_SALLYPORT + PAGE_UP(SP_BLOCK_SIZE), PAGE_SHARED);
	if (!rc)
		rc = measure_range(&m, l, l->shim_lo, l->shim_hi, PAGE_NORMAL);
	if (!rc)
		rc = measure_range(&m, l, SHIM_GPA_EXEC, l->exec_end, PAGE_NORMAL);
	if (!rc)
		memcpy(out, m.digest, KEEP_DIGEST_LEN);
	EVP_MD_CTX_free(m.ctx);
	return rc;
}

int kvm_measure(const struct kvm_keep_opts *o, uint8_t digest[KEEP_DIGEST_LEN])
{
	struct layout l;
	int rc = layout_build(&l, o);
	if (!rc)
		rc = layout_measure(&l, digest);
	layout_free(&l);
	return rc;
}

/* ---- the VM ---------------------------------------------------------------- */

struct keep {
	struct layout l;
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	struct sp_host *sp;
	uint8_t digest[KEEP_DIGEST_LEN];
	bool faulted;
	int fault_signal;
	bool fault_in_shim;
	uint64_t t_start;
	atomic_bool stop; /* kill(): end at the next exit from KVM_RUN */
	uint64_t cpu_ms;  /* kvm_keep_opts.cpu_ms */
};

/* The calling thread's CPU time, in ms. */
static uint64_t thread_cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int kvm_fail(const char *what)
{
	log_error("kvm: %s: %s", what, strerror(errno));
	return ENARX_E_IO;
}

static int vm_create(struct keep *k)
{
	k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm < 0)
		return kvm_fail("open /dev/kvm");
	if (ioctl(k->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("kvm: unexpected KVM API version");
		return ENARX_E_NOTSUP;
	}
	k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
	if (k->vm < 0)
		return kvm_fail("KVM_CREATE_VM");
	if (ioctl(k->vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		return kvm_fail("KVM_SET_TSS_ADDR");
	struct kvm_userspace_memory_region r = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = k->l.mem_size,
	    .userspace_addr = (uint64_t)(uintptr_t)k->l.mem,
	};
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return kvm_fail("KVM_SET_USER_MEMORY_REGION");
	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	if (k->vcpu < 0)
		return kvm_fail("KVM_CREATE_VCPU");
	int sz = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return kvm_fail("KVM_GET_VCPU_MMAP_SIZE");
	k->run_size = (size_t)sz;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return kvm_fail("mmap kvm_run");
	}
	return 0;
}

/* The host's CPUID as KVM supports it, so the executor's libc picks the
 * same code paths as on the nil backend. */
static int vcpu_cpuid(struct keep *k)
{
	int n = 128, rc = ENARX_E_NOMEM;
	struct kvm_cpuid2 *c = xcalloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
	if (!c)
		return rc;
	c->nent = (uint32_t)n;
	if (ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, c) < 0)
		rc = kvm_fail("KVM_GET_SUPPORTED_CPUID");
	else if (ioctl(k->vcpu, KVM_SET_CPUID2, c) < 0)
		rc = kvm_fail("KVM_SET_CPUID2");
	else
		rc = 0;
	xfree(c);
	return rc;
}

static void seg64(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xFFFFFFFF;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

static int vcpu_setup(struct keep *k)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;
	int rc = vcpu_cpuid(k);
	if (rc)
		return rc;
	if (ioctl(k->vcpu, KVM_GET_SREGS, &sr) < 0)
		return kvm_fail("KVM_GET_SREGS");
	seg64(&sr.cs, 0x10, 0xB, true);
	seg64(&sr.ds, 0x18, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.cr0 = 0x80050033; /* PG, AM, WP, NE, ET, MP, PE */
	sr.cr3 = SHIM_GPA_BOOT_PT;
	sr.cr4 = 0x620;  /* OSXMMEXCPT, OSFXSR, PAE */
	sr.efer = 0xD01; /* NXE, LMA, LME, SCE */
	if (ioctl(k->vcpu, KVM_SET_SREGS, &sr) < 0)
		return kvm_fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = k->l.entry;
	regs.rdi = SHIM_GPA_BOOTINFO;
	regs.rflags = 2;
	if (ioctl(k->vcpu, KVM_SET_REGS, &regs) < 0)
		return kvm_fail("KVM_SET_REGS");
	return 0;
}

/* Keeps only printable ASCII from guest text. */
static void clean_text(char *dst, size_t dn, const uint8_t *src, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < dn; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[j] = 0;
}

static int64_t on_enarxcall(void *ctx, uint64_t num, const uint64_t arg[4], uint8_t *data,
                            size_t len)
{
	struct keep *k = ctx;
	char text[300];
	switch (num) {
	case SP_ENARX_MEASUREMENT:
		if (len < KEEP_DIGEST_LEN)
			return -EINVAL;
		memcpy(data, k->digest, KEEP_DIGEST_LEN);
		return KEEP_DIGEST_LEN;
	case SP_ENARX_LOG:
		clean_text(text, sizeof(text), data, len);
		log_warn("keep: %s", text);
		return (int64_t)len;
	case SP_ENARX_FAULT:
		clean_text(text, sizeof(text), data, len);
		log_error("keep: %s", text);
		k->faulted = true;
		/* arg2 the vector, arg3 the origin (keep/abi.h) */
		k->fault_in_shim = arg[3] != KEEP_FAULT_EXECUTOR || arg[2] >= 32;
		k->fault_signal = keep_fault_signal(arg[2]);
		return 0;
	default: return -ENOSYS;
	}
}

static void dump_regs(struct keep *k, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(k->vcpu, KVM_GET_REGS, &r) < 0 || ioctl(k->vcpu, KVM_GET_SREGS, &s) < 0) {
		log_error("kvm: %s", why);
		return;
	}
	log_error("kvm: %s: rip=%016llx rsp=%016llx cr2=%016llx cr3=%llx", why, r.rip, r.rsp, s.cr2,
	          s.cr3);
}

static int on_io(struct keep *k, int *exit_code)
{
	struct kvm_run *run = k->run;
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != SHIM_PORT_SALLY) {
		log_error("kvm: unexpected port I/O (port %#x, %s)", run->io.port,
		          run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in");
		return ENARX_E_KEEP_FAULT;
	}
	int rc = sp_host_handle(k->sp, k->l.mem + SHIM_GPA_SALLYPORT, SP_BLOCK_SIZE);
	if (rc < 0) {
		log_error("kvm: %s", sp_host_error(k->sp));
		return rc;
	}
	if (rc == SP_HOST_EXIT && k->faulted) {
		if (k->fault_in_shim)
			return ENARX_E_KEEP_FAULT;
		*exit_code = 128 + k->fault_signal;
		return 1;
	}
	if (rc == SP_HOST_EXIT) {
		*exit_code = sp_host_exit_code(k->sp);
		return 1;
	}
	return 0;
}

static int vm_loop(struct keep *k, int *exit_code, struct kvm_keep_stats *st)
{
	for (;;) {
		if (ioctl(k->vcpu, KVM_RUN, 0) < 0) {
			if ((errno == EINTR || errno == EAGAIN) && atomic_load(&k->stop)) {
				*exit_code = 128 + SIGKILL;
				return 0;
			}
			/* the CPU-time timer's kick (vcpu_thread) */
			if (errno == EINTR && k->cpu_ms && thread_cpu_ms() >= k->cpu_ms) {
				log_info(
				    "kvm: CPU-time limit of %llu ms reached; stopping the Keep",
				    (unsigned long long)k->cpu_ms);
				*exit_code = 128 + SIGXCPU;
				return 0;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return kvm_fail("KVM_RUN");
		}
		int rc;
		switch (k->run->exit_reason) {
		case KVM_EXIT_IO:
			if (st)
				st->exits++;
			log_trace("kvm: sallyport exit at %.3f ms",
			          (double)(now_ns() - k->t_start) / 1e6);
			rc = on_io(k, exit_code);
			if (rc)
				return rc > 0 ? 0 : rc;
			break;
		case KVM_EXIT_HLT:
			dump_regs(k, "the shim halted (it could not start or report)");
			return ENARX_E_KEEP_FAULT;
		case KVM_EXIT_SHUTDOWN:
			dump_regs(k, "triple fault: the guest shut down");
			return ENARX_E_KEEP_FAULT;
		case KVM_EXIT_FAIL_ENTRY:
			log_error(
			    "kvm: VM entry failed (reason %#llx)",
			    (unsigned long long)k->run->fail_entry.hardware_entry_failure_reason);
			return ENARX_E_KEEP_FAULT;
		case KVM_EXIT_MMIO:
			log_error("kvm: guest touched unmapped physical address %#llx",
			          (unsigned long long)k->run->mmio.phys_addr);
			return ENARX_E_KEEP_FAULT;
		default:
			dump_regs(k, "unexpected VM exit");
			log_error("kvm: exit reason %u", k->run->exit_reason);
			return ENARX_E_KEEP_FAULT;
		}
	}
}

/* The Keep gets its own duplicate of each host fd, so a started Keep does
 * not depend on the caller keeping its descriptors open. */
static int give_fd(struct keep *k, int guest_fd, int host_fd)
{
	int rc, fd = fcntl(host_fd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return kvm_fail("dup a Keep fd");
	if ((rc = sp_host_set_fd(k->sp, guest_fd, fd, true)))
		close(fd);
	return rc;
}

static int setup_fds(struct keep *k, const struct kvm_keep_opts *o)
{
	int rc = sp_host_new(&k->sp);
	if (rc)
		return rc;
	sp_host_set_enarxcall(k->sp, on_enarxcall, k);
	if (o->host_syscall)
		sp_host_set_syscall(k->sp, o->host_syscall, o->host_syscall_ctx);
	for (int i = 0; i < 3; i++)
		if (o->stdio[i] >= 0 && (rc = give_fd(k, i, o->stdio[i])))
			return rc;
	if (o->keep_fd >= 0)
		return give_fd(k, KEEP_PROTO_FD, o->keep_fd);
	return 0;
}

static void keep_close(struct keep *k)
{
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu >= 0)
		close(k->vcpu);
	if (k->vm >= 0)
		close(k->vm);
	if (k->kvm >= 0)
		close(k->kvm);
	sp_host_free(k->sp);
	layout_free(&k->l);
}

/* A started KVM Keep: the VM and its vCPU thread, which writes done_fd when
 * the exit loop ends. */
struct backend_keep {
	struct keep k;
	struct kvm_keep_stats st;
	struct rusage ru; /* the vCPU thread's, at its end */
	pthread_t thread;
	bool started; /* the thread exists (join it) */
	bool joined;  /* rc and code are final */
	int done_fd;  /* eventfd: readable once the thread has finished */
	int rc, code;
};

/* kill() interrupts KVM_RUN (or a host syscall the vCPU thread is blocked
 * in) with this signal; its handler does nothing, so any number of Keeps
 * share it. SIGRTMIN is free in glibc programs; installed once, no
 * SA_RESTART. */
static pthread_once_t kick_once = PTHREAD_ONCE_INIT;

static void kick_handler(int sig)
{
	(void)sig;
}

static void kick_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
}

static void *vcpu_thread(void *arg)
{
	struct backend_keep *bk = arg;
	uint64_t one = 1;
	sigset_t set;

	/* The starter may block signals (a daemon with a signalfd does). */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* The Keep writing to a socket whose peer is gone must get EPIPE, not
	 * kill the host: SIGPIPE goes to the writing thread, so block it here. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* CPU time: a timer on this thread's CPU clock kicks KVM_RUN (the
	 * kick signal), and vm_loop() checks the clock */
	timer_t cpu_timer;
	bool have_timer = false;

	if (bk->k.cpu_ms) {
		struct sigevent sev;
		struct itimerspec its;

		memset(&sev, 0, sizeof(sev));
		memset(&its, 0, sizeof(its));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = SIGRTMIN;
		sev._sigev_un._tid = (pid_t)gettid();
		its.it_value.tv_sec = (time_t)(bk->k.cpu_ms / 1000);
		its.it_value.tv_nsec = (long)(bk->k.cpu_ms % 1000) * 1000000L;
		its.it_interval.tv_nsec = 10000000L; /* again, until the loop sees it */
		have_timer = timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &cpu_timer) == 0 &&
		             timer_settime(cpu_timer, 0, &its, NULL) == 0;
		if (!have_timer)
			log_warn("kvm: no CPU-time timer (%s): only the wall time bounds this Keep",
			         strerror(errno));
	}
	bk->k.t_start = now_ns();
	bk->rc = vm_loop(&bk->k, &bk->code, &bk->st);
	if (have_timer)
		timer_delete(cpu_timer);
	bk->st.run_ns = now_ns() - bk->k.t_start;
	bk->st.items = sp_host_items(bk->k.sp);
	getrusage(RUSAGE_THREAD, &bk->ru); /* this vCPU thread's CPU time */
	while (write(bk->done_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

int kvm_keep_start(const struct kvm_keep_opts *o, struct backend_keep **out)
{
	struct backend_keep *bk = xcalloc(1, sizeof(*bk));
	uint64_t t0 = now_ns();
	int rc;

	*out = NULL;
	if (!bk)
		return ENARX_E_NOMEM;
	bk->k.kvm = bk->k.vm = bk->k.vcpu = -1;
	bk->done_fd = eventfd(0, EFD_CLOEXEC);
	if (bk->done_fd < 0) {
		rc = kvm_fail("eventfd");
		goto fail;
	}
	pthread_once(&kick_once, kick_install);
	bk->k.cpu_ms = o->cpu_ms;
	if ((rc = layout_build(&bk->k.l, o)) || (rc = layout_measure(&bk->k.l, bk->k.digest)) ||
	    (rc = setup_fds(&bk->k, o)) || (rc = vm_create(&bk->k)) || (rc = vcpu_setup(&bk->k)))
		goto fail;
	bk->st.build_ns = now_ns() - t0;
	if ((errno = pthread_create(&bk->thread, NULL, vcpu_thread, bk)) != 0) {
		rc = kvm_fail("cannot start the vCPU thread");
		goto fail;
	}
	bk->started = true;
	*out = bk;
	return 0;
fail:
	kvm_keep_free(bk);
	return rc;
}

int kvm_keep_fd(const struct backend_keep *bk)
{
	return bk->done_fd;
}

int kvm_keep_wait(struct backend_keep *bk, int *exit_code)
{
	if (!bk->joined) {
		pthread_join(bk->thread, NULL);
		bk->joined = true;
	}
	if (!bk->rc)
		*exit_code = bk->code;
	return bk->rc;
}

/* Asks the exit loop to stop, then kicks the vCPU thread until it has: a
 * kick that lands just before KVM_RUN (or a blocking host call) is lost, but
 * immediate_exit and the next kick catch it. */
int kvm_keep_kill(struct backend_keep *bk)
{
	struct pollfd p = {.fd = bk->done_fd, .events = POLLIN};

	if (bk->joined)
		return 0;
	atomic_store(&bk->k.stop, true);
	__atomic_store_n(&bk->k.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	while (poll(&p, 1, 0) == 0 || (p.revents & POLLIN) == 0) {
		int err = pthread_kill(bk->thread, SIGRTMIN);

		if (err && err != ESRCH) {
			log_error("kvm: kill: %s", strerror(err));
			return ENARX_E_IO;
		}
		poll(&p, 1, 10);
		if (p.revents & POLLIN)
			break;
	}
	return 0;
}

void kvm_keep_free(struct backend_keep *bk)
{
	int code;

	if (!bk)
		return;
	if (bk->started && !bk->joined) {
		kvm_keep_kill(bk);
		kvm_keep_wait(bk, &code);
	}
	keep_close(&bk->k);
	if (bk->done_fd >= 0)
		close(bk->done_fd);
	xfree(bk);
}

int kvm_keep_run(const struct kvm_keep_opts *o, int *exit_code, struct kvm_keep_stats *st)
{
	struct backend_keep *bk;
	int rc = kvm_keep_start(o, &bk);

	if (rc)
		return rc;
	rc = kvm_keep_wait(bk, exit_code);
	if (st)
		*st = bk->st;
	kvm_keep_free(bk);
	return rc;
}

/* ---- backend interface ------------------------------------------------- */

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

		platform_add(b, caps[i].name, v > 0, caps[i].title, "KVM_CHECK_EXTENSION = %d", v);
	}
}

/* PVM (kvm_pvm) offers /dev/kvm without hardware virtualization: it
 * emulates the shim instruction by instruction, so a Keep works but starts in
 * about a second and pays milliseconds per syscall and page fault. It is used
 * when named with --backend kvm; auto-selection skips it unless
 * ENARX_KVM_ALLOW_PVM=1 (platform.c, docs/kvm-keep.md). */
static void probe_kvm_flavour(struct platform_backend *b)
{
	if (!platform_kvm_is_pvm()) {
		platform_add(b, "kvm_flavour", true, "KVM flavour", "hardware-assisted");
		return;
	}
	platform_add(b, "kvm_flavour", true, "KVM flavour",
	             "kvm_pvm: paravirtual, no hardware virtualization; the shim is emulated "
	             "(slow start, about 1 ms per syscall)");
	if (!platform_kvm_pvm_allowed()) {
		b->auto_select = false;
		snprintf(b->note, sizeof(b->note),
		         "kvm_pvm is not picked automatically: pass --backend kvm or set "
		         "ENARX_KVM_ALLOW_PVM=1");
	}
}

/* The host half of kvm's probe: /dev/kvm, its API version, the
 * capabilities a Keep uses, the flavour (kvm_pvm is not auto-selected) and
 * a VM can be created. False when /dev/kvm cannot be opened at all. */
static bool kvm_probe_host(struct platform_backend *b)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int api, vm;

	if (fd < 0) {
		platform_add(b, "dev_kvm", false, "/dev/kvm can be opened", "%s", strerror(errno));
		return false;
	}
	platform_add(b, "dev_kvm", true, "/dev/kvm can be opened", "opened read-write");
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	platform_add(b, "kvm_api_version", api == KVM_API_VERSION, "KVM API version 12",
	             "KVM_GET_API_VERSION = %d", api);
	probe_kvm_caps(b, fd);
	probe_kvm_flavour(b);
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		platform_add(b, "kvm_create_vm", true, "a VM can be created",
		             "KVM_CREATE_VM succeeded");
		close(vm);
	} else {
		platform_add(b, "kvm_create_vm", false, "a VM can be created", "KVM_CREATE_VM: %s",
		             strerror(errno));
	}
	close(fd);
	return true;
}

/* kvm's probe(): the host, then the executor: a sanitizer build's is
 * dynamically linked and cannot run in a Keep. */
static void kvm_probe(struct platform_backend *b, const struct platform_report *host)
{
	(void)host;
	if (!kvm_probe_host(b))
		return;
	size_t exec_len;
	const void *exec = backend_exec_image(&exec_len);
	if (exec) {
		bool dyn = backend_exec_is_dynamic(exec, exec_len);
		platform_add(
		    b, "static_executor", !dyn, "the executor can run in a Keep",
		    dyn ? "dynamically linked (sanitizer build); a Keep loads only a static one"
		        : "statically linked");
	}
}

int kvm_host_usable(char *why, size_t n)
{
	struct platform_backend b = {.name = "kvm", .usable = true};

	kvm_probe_host(&b);
	if (why && n)
		platform_why_not(&b, why, n);
	return b.usable;
}

static int kvm_start_backend(const struct keep_launch *launch, struct backend_keep **out)
{
	static const int host_stdio[3] = {0, 1, 2};
	const int *stdio = launch->stdio ? launch->stdio : host_stdio;

	if (platform_kvm_is_pvm())
		log_info("kvm: /dev/kvm is kvm_pvm (no hardware virtualization): the shim is "
		         "emulated, so this Keep starts and makes syscalls slowly");

	struct kvm_keep_opts o = {
	    .exec = launch->exec,
	    .exec_len = launch->exec_len,
	    .mem_size = launch->mem_size,
	    .argv = launch->exec_argv,
	    .stdio = {stdio[0], stdio[1], stdio[2]},
	    .keep_fd = launch->keep_fd,
	    .cpu_ms = launch->cpu_ms,
	};
	return kvm_keep_start(&o, out);
}

/* The vCPU thread's CPU time; the guest's RAM is mapped in this process,
 * so no resident set of the Keep's own (maxrss_kb 0). */
static int kvm_keep_usage(const struct backend_keep *bk, struct keep_usage *u)
{
	if (!bk->joined)
		return ENARX_E_BUSY;
	u->valid = 1;
	u->user_us =
	    (uint64_t)bk->ru.ru_utime.tv_sec * 1000000u + (uint64_t)bk->ru.ru_utime.tv_usec;
	u->system_us =
	    (uint64_t)bk->ru.ru_stime.tv_sec * 1000000u + (uint64_t)bk->ru.ru_stime.tv_usec;
	u->maxrss_kb = 0;
	return 0;
}

const struct backend backend_kvm = {
    .name = "kvm",
    .probe = kvm_probe,
    .start = kvm_start_backend,
    .fd = kvm_keep_fd,
    .wait = kvm_keep_wait,
    .kill = kvm_keep_kill,
    .free = kvm_keep_free,
    .usage = kvm_keep_usage,
};
