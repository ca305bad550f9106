/* SPDX-License-Identifier: Apache-2.0 */
/* Shim boot: check the boot-info page the host wrote, take over the CPU
 * (GDT/IDT/TSS, syscall MSRs) and memory (own page tables), load the
 * executor and enter it in ring 3 with the initial stack Linux would build
 * (argc, argv, envp, auxv). */
#include "shim.h"

#define STACK_TOP (SHIM_USER_TOP - 0x1000)
#define STACK_SIZE (8UL << 20)
#define MIN_MEM (16UL << 20)
#define MAX_MEM (256UL << 30)

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31

static struct shim_boot_info boot; /* our copy: the host's page is not read again */

static NORETURN void die_early(void)
{
	/* Nothing to report through yet: halting is the only safe exit. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

static bool boot_info_ok(const struct shim_boot_info *b)
{
	if (b->magic != SHIM_BOOT_MAGIC || b->version != SHIM_BOOT_VERSION)
		return false;
	if (b->mem_size < MIN_MEM || b->mem_size > MAX_MEM || (b->mem_size & ((2UL << 20) - 1)))
		return false;
	if (b->sp_gpa != SHIM_GPA_SALLYPORT || b->sp_size != SP_BLOCK_SIZE)
		return false;
	if (b->exec_gpa != SHIM_GPA_EXEC || b->exec_len > b->mem_size - b->exec_gpa)
		return false;
	if ((b->free_gpa & (PAGE - 1)) || b->free_gpa < PAGE_ALIGN_UP(b->exec_gpa + b->exec_len) ||
	    b->free_gpa >= b->mem_size)
		return false;
	if (b->args_len > SHIM_BOOT_ARGS_MAX || b->argc > 64)
		return false;
	uint64_t strings = 0;
	for (uint64_t i = 0; i < b->args_len; i++)
		strings += b->args[i] == 0;
	return strings == b->argc && (b->args_len == 0 || b->args[b->args_len - 1] == 0);
}

/* Pushes n bytes onto the user stack being built; returns their address. */
static uint64_t push(uint64_t *sp, const void *src, size_t n)
{
	*sp -= n;
	memcpy((void *)*sp, src, n);
	return *sp;
}

static uint64_t build_stack(const struct exec_info *ei)
{
	uint64_t sp = STACK_TOP, rnd[2], argv[65], auxv[40];
	uint32_t r[4];
	if (mm_map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE) ||
	    mm_populate(STACK_TOP - 64 * 1024, 64 * 1024))
		shim_panic("cannot map the initial stack");
	for (int i = 0; i < 2; i++)
		if (!cpu_random(&rnd[i]))
			shim_panic("no hardware random number generator (RDRAND/RDSEED)");
	uint64_t at_random = push(&sp, rnd, sizeof(rnd));
	uint64_t platform = push(&sp, "x86_64", 7);
	uint64_t argc = 0;
	for (uint64_t off = 0; off < boot.args_len; argc++) {
		size_t n = strlen(&boot.args[off]) + 1;
		argv[argc] = off;
		off += n;
	}
	uint64_t strings = push(&sp, boot.args, boot.args_len);
	for (uint64_t i = 0; i < argc; i++)
		argv[i] += strings;
	argv[argc] = 0;
	uint64_t execfn = argc ? argv[0] : platform;
	cpuid(1, 0, r);
	int n = 0;
#define AUX(k, v) (auxv[n++] = (k), auxv[n++] = (v))
	AUX(AT_PHDR, ei->phdr);
	AUX(AT_PHENT, ei->phent);
	AUX(AT_PHNUM, ei->phnum);
	AUX(AT_PAGESZ, PAGE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, ei->entry);
	AUX(AT_UID, 1000);
	AUX(AT_EUID, 1000);
	AUX(AT_GID, 1000);
	AUX(AT_EGID, 1000);
	AUX(AT_PLATFORM, platform);
	AUX(AT_HWCAP, r[3]);
	AUX(AT_HWCAP2, 0);
	AUX(AT_CLKTCK, 100);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, at_random);
	AUX(AT_EXECFN, execfn);
	AUX(AT_NULL, 0);
#undef AUX
	/* argc, argv[], NULL, envp (empty) NULL, auxv: rsp 16-byte aligned. */
	uint64_t words = 1 + (argc + 1) + 1 + (uint64_t)n;
	sp &= ~15UL;
	if (words & 1)
		sp -= 8;
	push(&sp, auxv, (size_t)n * 8);
	uint64_t zero = 0;
	push(&sp, &zero, 8);
	push(&sp, argv, (argc + 1) * 8);
	push(&sp, &argc, 8);
	return sp;
}

NORETURN void shim_main(uint64_t boot_gpa);
NORETURN void shim_main(uint64_t boot_gpa)
{
	static struct frame user;
	struct exec_info ei;
	if (boot_gpa != SHIM_GPA_BOOTINFO)
		die_early();
	memcpy(&boot, (const void *)(SHIM_KERNEL_BASE + boot_gpa), sizeof(boot));
	if (!boot_info_ok(&boot))
		die_early();
	hostcall_init((uint8_t *)(SHIM_KERNEL_BASE + boot.sp_gpa));
	cpu_init();
	mm_init(&boot);
	int rc = elf_load(phys_to_virt(boot.exec_gpa), boot.exec_gpa, boot.exec_len, &ei);
	if (rc)
		shim_panic("executor is not a loadable static x86-64 ELF (error %d)", rc);
	syscall_init(&ei);
	memset(&user, 0, sizeof(user));
	user.rip = ei.entry;
	user.cs = SEL_UCODE;
	user.rflags = 0x202;
	user.rsp = build_stack(&ei);
	user.ss = SEL_UDATA;
	enter_frame(&user);
}
