/* SPDX-License-Identifier: Apache-2.0 */
/* CPU state the shim owns: GDT with ring-3 segments, TSS (kernel stack for
 * ring 3 -> 0, IST for double faults), IDT for the 32 exceptions, the
 * `syscall` MSRs, SSE/AVX enablement (XCR0) and the hardware RNG. */
#include "shim.h"

#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_SFMASK 0xC0000084
#define EFER_SCE (1UL << 0)
#define EFER_NXE (1UL << 11)

struct tss {
	uint32_t rsv0;
	uint64_t rsp[3];
	uint64_t rsv1;
	uint64_t ist[7];
	uint64_t rsv2;
	uint16_t rsv3;
	uint16_t iomap;
} __attribute__((packed));

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, rsv;
} __attribute__((packed));

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct tss tss __attribute__((aligned(16)));
/* The Linux layout (PVM runs ring 3 on the host's own user selectors, so
 * they must be the same numbers there: 0x23, 0x2b, 0x33). */
static uint64_t gdt[10] __attribute__((aligned(16))) = {
    0,
    0x00CF9A000000FFFFULL, /* 0x08 kernel code, 32-bit (unused) */
    0x00AF9A000000FFFFULL, /* 0x10 kernel code, 64-bit */
    0x00CF92000000FFFFULL, /* 0x18 kernel data */
    0x00CFFA000000FFFFULL, /* 0x23 user code, 32-bit (sysret layout only) */
    0x00CFF2000000FFFFULL, /* 0x2b user data */
    0x00AFFA000000FFFFULL, /* 0x33 user code, 64-bit */
    0,
    0,
    0, /* 0x40 TSS (16 bytes) */
};
static struct idt_gate idt[256] __attribute__((aligned(16)));

static bool have_rdrand, have_rdseed;

static void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	tss.rsp[0] = (uint64_t)kstack_end;
	tss.ist[0] = (uint64_t)ist_stack_end;
	tss.iomap = sizeof(tss); /* no I/O bitmap: ring 3 has no port access */
	gdt[8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
	         (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt[9] = base >> 32;
	struct dtr d = {sizeof(gdt) - 1, (uint64_t)gdt};
	__asm__ volatile("lgdt %0\n\t"
	                 "pushq $0x10\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "movw $0x18, %%ax\n\t"
	                 "movw %%ax, %%ds\n\t"
	                 "movw %%ax, %%es\n\t"
	                 "movw %%ax, %%ss\n\t"
	                 "xorl %%eax, %%eax\n\t"
	                 "movw %%ax, %%fs\n\t"
	                 "movw %%ax, %%gs\n\t"
	                 "movw $0x40, %%ax\n\t"
	                 "ltr %%ax"
	                 :
	                 : "m"(d)
	                 : "rax", "memory");
}

static void idt_init(void)
{
	for (int v = 0; v < 32; v++) {
		uint64_t a = isr_table[v];
		idt[v].off0 = a & 0xFFFF;
		idt[v].sel = SEL_KCODE;
		/* NMI, double fault, machine check run on their own stack. */
		idt[v].ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
		idt[v].type = 0x8E; /* present, DPL 0, interrupt gate */
		idt[v].off1 = (a >> 16) & 0xFFFF;
		idt[v].off2 = a >> 32;
	}
	struct dtr d = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* CR4 and XCR0: SSE is on from boot (host sets CR4.OSFXSR); AVX and
 * AVX-512 need CR4.OSXSAVE and XCR0, which only the guest can set; SMEP when
 * the CPU has it. */
static void fpu_init(void)
{
	uint32_t r[4];
	uint64_t cr4;
	cpuid(1, 0, r);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1UL << 9) | (1UL << 10); /* OSFXSR, OSXMMEXCPT */
	bool xsave = r[2] & (1U << 26);
	if (xsave)
		cr4 |= 1UL << 18; /* OSXSAVE */
	cpuid(0, 0, r);
	if (r[0] >= 7) {
		uint32_t f[4];
		cpuid(7, 0, f);
		if (f[1] & (1U << 7))
			cr4 |= 1UL << 20; /* SMEP: the shim never runs user pages */
	}
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	if (!xsave)
		return;
	cpuid(0xD, 0, r);
	uint64_t mask = r[0] & 0x7; /* x87, SSE, AVX */
	if ((r[0] & 0xE0) == 0xE0 && (mask & 4))
		mask |= 0xE0; /* AVX-512 state */
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)));
}

void cpu_init(void)
{
	uint32_t r[4];
	gdt_init();
	idt_init();
	fpu_init();
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE | EFER_NXE);
	wrmsr(MSR_STAR, ((uint64_t)0x23 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Clear TF, IF, DF, AC, NT on entry. */
	wrmsr(MSR_SFMASK, 0x100 | 0x200 | 0x400 | 0x4000 | 0x40000);
	cpuid(1, 0, r);
	have_rdrand = r[2] & (1U << 30);
	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		have_rdseed = r[1] & (1U << 18);
	}
}

bool cpu_random(uint64_t *v)
{
	uint8_t ok;
	for (int i = 0; have_rdseed && i < 64; i++) {
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	for (int i = 0; have_rdrand && i < 64; i++) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

uint64_t cpu_tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
