// SPDX-License-Identifier: Apache-2.0
/*
 * POSIX implementation of mem.h: mmap reservations with guard pages,
 * mprotect to grow, and the SIGSEGV/SIGBUS handler that turns faults in the
 * running wasm memory into traps. Everything else in src/wasm is OS-free.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/alloc.h"
#include "wasm/mem.h"

#define RESERVE ((uint64_t)8 << 30 | (uint64_t)EWASM_PAGE_SIZE)

_Thread_local ewasm_memory *mem__active;
_Thread_local struct mem_recovery *mem__recovery;

static struct sigaction old_segv, old_bus;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	ewasm_memory *m = mem__active;
	struct mem_recovery *r = mem__recovery;
	uintptr_t a = (uintptr_t)si->si_addr;
	if (r && m && m->reserved && a >= (uintptr_t)m->base &&
	    a - (uintptr_t)m->base < m->reserved)
		siglongjmp(r->jb, 1);
	/* Not ours: hand over to whoever was there before. */
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
	} else if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		sigaction(sig, old, NULL); /* the access faults again, fatally */
	} else {
		old->sa_handler(sig);
	}
}

static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

void mem__install_handler(void)
{
	pthread_once(&once, install);
}

bool mem__guard_supported(void)
{
	static atomic_int probed; /* 0 unknown, 1 yes, 2 no */
	if (!atomic_load(&probed)) {
		void *p = mmap(NULL, RESERVE, PROT_NONE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED || sizeof(void *) < 8) {
			atomic_store(&probed, 2);
		} else {
			munmap(p, RESERVE);
			atomic_store(&probed, 1);
		}
	}
	return atomic_load(&probed) == 1;
}

int mem__alloc(ewasm_memory *m, uint32_t pages, bool guard)
{
	uint64_t bytes = (uint64_t)pages * EWASM_PAGE_SIZE;
	if (guard) {
		void *p = mmap(NULL, RESERVE, PROT_NONE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return EWASM_ERR_NOMEM;
		if (bytes && mprotect(p, bytes, PROT_READ | PROT_WRITE)) {
			munmap(p, RESERVE);
			return EWASM_ERR_NOMEM;
		}
		m->base = p;
		m->reserved = RESERVE;
		mem__install_handler();
	} else {
		m->base = xcalloc(bytes ? bytes : 1, 1);
		if (!m->base)
			return EWASM_ERR_NOMEM;
		m->reserved = 0;
	}
	m->size = bytes;
	m->pages = pages;
	return 0;
}

int mem__resize(ewasm_memory *m, uint32_t pages)
{
	uint64_t bytes = (uint64_t)pages * EWASM_PAGE_SIZE;
	if (m->reserved) {
		if (bytes > m->size &&
		    mprotect(m->base + m->size, bytes - m->size, PROT_READ | PROT_WRITE))
			return EWASM_ERR_NOMEM;
	} else {
		uint8_t *p = xrealloc(m->base, bytes ? bytes : 1);
		if (!p)
			return EWASM_ERR_NOMEM;
		if (bytes > m->size)
			memset(p + m->size, 0, bytes - m->size);
		m->base = p;
	}
	m->size = bytes;
	m->pages = pages;
	return 0;
}

void mem__free(ewasm_memory *m)
{
	if (!m->base)
		return;
	if (m->reserved)
		munmap(m->base, m->reserved);
	else
		xfree(m->base);
	m->base = NULL;
}

void mem__ensure_handler(void)
{
	struct sigaction cur;
	mem__install_handler();
	if (sigaction(SIGSEGV, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == on_fault)
		return;
	/* someone replaced it (a test framework, a runtime): chain to them */
	pthread_mutex_lock(&handler_lock);
	if (sigaction(SIGSEGV, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == on_fault) {
		pthread_mutex_unlock(&handler_lock);
		return;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	pthread_mutex_unlock(&handler_lock);
}
