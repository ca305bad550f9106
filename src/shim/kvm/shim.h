/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces of the KVM shim: the saved register frame, console,
 * memory management, the ELF loader, the sallyport client and the syscall
 * layer. Freestanding: nothing here comes from a host header. */
#ifndef ENARX_SHIM_KVM_SHIM_H
#define ENARX_SHIM_KVM_SHIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "keep/abi.h"
#include "sallyport/guest.h"

/* Everything is linked into one image: no GOT indirection for addresses
 * (the shim is position-dependent code compiled with -fpie for its address
 * range, not relocatable). */
#pragma GCC visibility push(hidden)

#define PAGE 4096UL
#define PAGE_ALIGN_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PAGE_ALIGN_DOWN(x) ((x) & ~(PAGE - 1))
#define NORETURN __attribute__((noreturn))

/* GDT selectors (syscall/sysret layout). */
#define SEL_KCODE 0x10
#define SEL_KDATA 0x18
#define SEL_UDATA 0x2b
#define SEL_UCODE 0x33
#define SEL_TSS 0x40

/* Register frame pushed by entry.S; order matches the pushes. */
struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* entry.S */
void syscall_entry(void);
NORETURN void enter_frame(struct frame *f);
extern const uint64_t isr_table[32];
extern uint8_t kstack_end[], ist_stack_end[];

/* util.c */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int vfmt(char *buf, size_t n, const char *fmt, va_list ap);
int fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* cpu.c */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(sub));
}
void cpu_init(void);
bool cpu_random(uint64_t *v); /* RDSEED, else RDRAND; false if neither works */
uint64_t cpu_tsc(void);

/* hostcall.c: the sallyport client and the ways out of the Keep. */
extern struct sp_guest shim_sp;
void hostcall_init(uint8_t *block);
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
NORETURN void shim_exit(int code);
/* Ends the Keep: tells the host the vector (or KEEP_FAULT_VEC_*), where it
 * happened (origin decides the exit status) and a line of text. */
NORETURN void shim_fault(uint64_t vector, enum keep_fault_origin origin, uint64_t rip,
                         uint64_t addr, uint64_t error, const char *where);
NORETURN void shim_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mm.c */
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define USER_TOP SHIM_USER_TOP
void mm_init(const struct shim_boot_info *bi);
void *phys_to_virt(uint64_t pa);
uint64_t mm_alloc_page(void); /* zeroed; 0 when out of memory */
void mm_free_page(uint64_t pa);
uint64_t mm_free_pages(void);
/* User address space: virtual memory areas with lazy population. */
int mm_map(uint64_t start, uint64_t len, int prot); /* 0 or -errno */
int mm_unmap(uint64_t start, uint64_t len);
int mm_protect(uint64_t start, uint64_t len, int prot);
int mm_discard(uint64_t start, uint64_t len);      /* MADV_DONTNEED */
uint64_t mm_find_gap(uint64_t len, uint64_t hint); /* 0 if none */
int mm_populate(uint64_t start, uint64_t len);     /* fault pages in now */
/* Maps RAM page pa at user page va (inside an area, with its protection). */
int mm_map_page(uint64_t va, uint64_t pa);
/* Maps n consecutive RAM pages from pa at va (one area, its protection). */
int mm_map_pages(uint64_t va, uint64_t pa, uint64_t n);
bool mm_present(uint64_t va);
bool mm_user_ok(uint64_t addr, uint64_t len, bool write);
/* Handles a page fault at addr; true if resolved. */
bool mm_fault(uint64_t addr, uint64_t error);

/* elf.c */
struct exec_info {
	uint64_t entry, phdr, phnum, phent, base, brk;
};
int elf_load(const uint8_t *img, uint64_t img_gpa, uint64_t len, struct exec_info *out);

/* signal.c */
int64_t signal_action(uint64_t sig, uint64_t act, uint64_t old, uint64_t size);
int64_t signal_mask(uint64_t how, uint64_t set, uint64_t old, uint64_t size);
int64_t signal_altstack(uint64_t ss, uint64_t old, const struct frame *f);
/* Delivers sig for a fault in ring 3 if the executor handles it; false when
 * the Keep must end instead. */
bool signal_deliver(struct frame *f, int sig, int code, uint64_t addr);
int64_t signal_return(struct frame *f);
void signal_note_syscall(void);

/* syscall.c */
void syscall_init(const struct exec_info *ei);
void syscall_dispatch(struct frame *f);
void trap_dispatch(struct frame *f);
extern uint64_t shim_brk_start, shim_brk_cur;

#pragma GCC visibility pop

#endif
