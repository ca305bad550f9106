/* SPDX-License-Identifier: Apache-2.0 */
/* The first KVM guest: a static glibc program that exercises the syscalls
 * the shim must provide, one mode per argv[1]. Built with the host compiler
 * (-static) and run inside a Keep by test_kvm.c and kvm-bench. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("FAIL %s (errno %d)\n", what, errno);
	return 1;
}

static int mode_mem(void)
{
	/* brk and malloc. */
	char *small = malloc(100);
	char *big = malloc(1 << 20);
	if (!small || !big)
		return fail("malloc");
	memset(big, 0x5a, 1 << 20);
	if (big[(1 << 20) - 1] != 0x5a)
		return fail("malloc contents");
	free(big);
	/* A wasm-engine style reservation: 8 GiB PROT_NONE, open 64 MiB, touch
	 * every 64th page (page faults are costly where the shim is emulated). */
	size_t res = 8UL << 30;
	uint8_t *r = mmap(NULL, res, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return fail("mmap reserve");
	if (mprotect(r, 64 << 20, PROT_READ | PROT_WRITE))
		return fail("mprotect");
	for (size_t i = 0; i < (64 << 20); i += 4096 * 64)
		r[i] = (uint8_t)(i >> 18);
	for (size_t i = 0; i < (64 << 20); i += 4096 * 64)
		if (r[i] != (uint8_t)(i >> 18))
			return fail("reservation contents");
	/* DONTNEED gives zero pages back. */
	r[4096] = 9;
	if (madvise(r, 1 << 20, MADV_DONTNEED) || r[4096] != 0)
		return fail("madvise");
	/* Growing in place, like memory.grow. */
	if (mprotect(r + (64 << 20), 1 << 20, PROT_READ | PROT_WRITE))
		return fail("mprotect grow");
	r[(64 << 20) + 5] = 7;
	if (munmap(r, res))
		return fail("munmap");
	/* Many small mappings. */
	for (int i = 0; i < 100; i++) {
		void *p =
		    mmap(NULL, 12288, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return fail("mmap small");
		((char *)p)[i % 3 * 4096] = 1;
		if (munmap(p, 12288))
			return fail("munmap small");
	}
	printf("mem ok\n");
	return 0;
}

static int mode_misc(void)
{
	struct timespec a, b;
	uint8_t rnd[64] = {0}, zero[64] = {0};
	struct utsname u;
	if (clock_gettime(CLOCK_MONOTONIC, &a) || clock_gettime(CLOCK_MONOTONIC, &b))
		return fail("clock_gettime");
	if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec))
		return fail("clock went backwards");
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) || !memcmp(rnd, zero, sizeof(rnd)))
		return fail("getrandom");
	if (uname(&u))
		return fail("uname");
	errno = 0;
	if (syscall(999) != -1 || errno != ENOSYS)
		return fail("unknown syscall not ENOSYS");
	struct pollfd pf[2] = {{.fd = 1, .events = POLLOUT}, {.fd = 77, .events = POLLIN}};
	if (poll(pf, 2, 0) != 2 || !(pf[0].revents & POLLOUT) || pf[1].revents != POLLNVAL ||
	    pf[1].fd != 77)
		return fail("poll");
	printf("misc ok %s %s pid=%d\n", u.sysname, u.machine, (int)getpid());
	return 0;
}

static int mode_echo(void)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return fail("write");
	return n < 0 ? fail("read") : 0;
}

static int mode_writes(long n)
{
	for (long i = 0; i < n; i++)
		if (write(1, "x", 1) != 1)
			return fail("write");
	return 0;
}

static int mode_getatt(void)
{
	uint8_t nonce[64], ev[256];
	for (int i = 0; i < 64; i++)
		nonce[i] = (uint8_t)i;
	long size = syscall(0xEA01, nonce, 64, NULL, 0);
	long n = syscall(0xEA01, nonce, 64, ev, sizeof(ev));
	if (n < 0 || n != size)
		return fail("SYS_GETATT");
	printf("getatt %ld %.8s nonce-ok=%d digest=", n, (char *)ev, !memcmp(ev + 64, nonce, 64));
	for (int i = 0; i < 48; i++)
		printf("%02x", ev[16 + i]);
	printf("\n");
	return 0;
}

static volatile uint8_t *sig_page;
static volatile int sig_hits;
static sigjmp_buf sig_jb;

/* Fixes the fault and returns: rt_sigreturn resumes the faulting access. */
static void on_segv_fix(int sig, siginfo_t *si, void *uc)
{
	sig_hits +=
	    ((uintptr_t)si->si_addr & ~(uintptr_t)4095) == (uintptr_t)sig_page && sig == SIGSEGV;
	mprotect((void *)sig_page, 4096, PROT_READ | PROT_WRITE);
}

static void on_segv_jump(int sig, siginfo_t *si, void *uc)
{
	sig_hits++;
	siglongjmp(sig_jb, 1);
}

static int mode_signal(void)
{
	static uint8_t alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv_fix;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (sigaltstack(&ss, NULL) || sigaction(SIGSEGV, &sa, NULL))
		return fail("sigaction");
	sig_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double x = 1.5;
	sig_page[10] = 42; /* faults once, handler opens the page, store retried */
	x *= 3.0;          /* FP state survives the handler */
	if (sig_page[10] != 42 || sig_hits != 1 || x != 4.5)
		return fail("signal return");
	sa.sa_sigaction = on_segv_jump;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(sig_jb, 1) == 0) {
		*(volatile int *)24 = 1;
		return fail("no fault");
	}
	printf("signal ok hits=%d\n", sig_hits);
	return 0;
}

/* Hostile arguments: shim addresses, huge lengths, random memory calls.
 * Every one must fail cleanly or succeed; the shim itself must never fault
 * and must never hand out its own memory. */
static int mode_chaos(long rounds)
{
	static const uintptr_t shim[] = {0x00007F8000100000UL, 0x0000700000000000UL,
	                                 0xFFFFFFFF80000000UL, 0x00007FFFFFFFF000UL};
	struct timespec ts;
	for (size_t i = 0; i < sizeof(shim) / sizeof(shim[0]); i++) {
		void *k = (void *)shim[i];
		errno = 0;
		if (write(1, k, 16) != -1 || errno != EFAULT)
			return fail("write from shim memory");
		if (read(0, k, 16) != -1 || errno != EFAULT)
			return fail("read into shim memory");
		if (uname(k) == 0 || clock_gettime(CLOCK_MONOTONIC, k) == 0)
			return fail("shim memory as output");
		if (getrandom(k, 8, 0) != -1)
			return fail("getrandom into shim memory");
		if (mmap(k, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    MAP_FAILED)
			return fail("MAP_FIXED over the shim");
		if (mprotect(k, 4096, PROT_READ | PROT_WRITE) == 0 || munmap(k, 4096) == 0)
			return fail("mprotect/munmap of the shim");
	}
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return fail("clock_gettime");
	uint64_t x = (uint64_t)ts.tv_nsec | 1;
	for (long i = 0; i < rounds; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uintptr_t a = (x & 0x3) ? (x & 0x00007FFFFFFFF000UL) : (uintptr_t)(x >> 3) << 12;
		size_t len = (size_t)((x >> 20) & 0xFFFFF) * ((x & 8) ? 4096 : 1);
		int prot = (int)((x >> 40) & 7);
		switch ((x >> 50) % 6) {
		case 0:
			mmap((void *)a, len, prot,
			     MAP_PRIVATE | MAP_ANONYMOUS | ((x & 16) ? MAP_FIXED : 0), -1, 0);
			break;
		case 1: munmap((void *)a, len); break;
		case 2: mprotect((void *)a, len, prot); break;
		case 3: madvise((void *)a, len, MADV_DONTNEED); break;
		case 4: syscall(SYS_brk, a); break;
		default: write(1, (void *)a, len & 63); break;
		}
	}
	printf("chaos ok\n");
	return 0;
}

static long spin(long n)
{
	volatile long acc = 0;
	for (long i = 0; i < n; i++)
		acc += i * i % 7;
	return acc;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "hello";
	if (!strcmp(m, "hello")) {
		printf("hello from the keep\n");
		return 0;
	}
	if (!strcmp(m, "exit"))
		return argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0;
	if (!strcmp(m, "mem"))
		return mode_mem();
	if (!strcmp(m, "misc"))
		return mode_misc();
	if (!strcmp(m, "echo"))
		return mode_echo();
	if (!strcmp(m, "writes"))
		return mode_writes(argc > 2 ? strtol(argv[2], NULL, 10) : 1);
	if (!strcmp(m, "chaos"))
		return mode_chaos(argc > 2 ? strtol(argv[2], NULL, 10) : 500);
	if (!strcmp(m, "signal"))
		return mode_signal();
	if (!strcmp(m, "getatt"))
		return mode_getatt();
	if (!strcmp(m, "spin"))
		return (int)(spin(argc > 2 ? strtol(argv[2], NULL, 10) : 1000) & 0);
	if (!strcmp(m, "segv")) {
		fflush(stdout);
		*(volatile int *)16 = 1;
		return 0;
	}
	if (!strcmp(m, "guard")) { /* a PROT_NONE guard page must fault */
		volatile uint8_t *g =
		    mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fflush(stdout);
		return g == MAP_FAILED ? 3 : g[4096];
	}
	if (!strcmp(m, "outb")) /* port I/O from ring 3 */
		__asm__ volatile("outb %%al, $0xff" : : "a"(0));
	if (!strcmp(m, "ud2"))
		__asm__ volatile("ud2");
	if (!strcmp(m, "align")) { /* EFLAGS.AC + a misaligned load: #AC */
		static uint64_t buf[2];
		uint32_t v;
		fflush(stdout);
		__asm__ volatile("pushf; orl $0x40000, (%%rsp); popf; movl (%1), %0"
		                 : "=r"(v)
		                 : "r"((uint8_t *)buf + 1)
		                 : "memory", "cc");
		return (int)v;
	}
	if (!strcmp(m, "kernel")) /* touch the shim's memory from ring 3 */
		return *(volatile int *)0x00007F8000100000UL;
	printf("unknown mode %s\n", m);
	return 2;
}
