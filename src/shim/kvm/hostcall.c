/* SPDX-License-Identifier: Apache-2.0 */
/* The shim's end of the sallyport (src/sallyport/guest.c does the staging
 * and the reply checks) and the three ways out of a Keep: exit, fault,
 * panic. A host that lies ends the Keep; if it will not even let us exit,
 * the vCPU halts with interrupts off, forever. */
#include "shim.h"

struct sp_guest shim_sp;

static void sally(void *ctx)
{
	(void)ctx;
	outb(SHIM_PORT_SALLY, 0);
}

static NORETURN void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static NORETURN void attacked(void *ctx, const char *why)
{
	(void)ctx;
	shim_fault(KEEP_FAULT_VEC_SALLYPORT, KEEP_FAULT_SHIM, 0, 0, 0, why);
}

void hostcall_init(uint8_t *block)
{
	sp_guest_init(&shim_sp, block, sally, attacked, NULL);
}

void shim_log(const char *f, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, f);
	int n = vfmt(buf, sizeof(buf), f, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : ((size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	sp_guest_enarxcall(&shim_sp, SP_ENARX_LOG, SP_IN, buf, len, 0, 0, len);
}

NORETURN void shim_exit(int code)
{
	struct sp_arg a = {.kind = SP_VAL, .val = (uint64_t)code};
	sp_guest_syscall(&shim_sp, 231 /* exit_group */, &a, 1, 0);
	halt_forever();
}

static const char *vector_name(uint64_t v)
{
	static const char *const names[32] = {
	    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "-",   "#TS",
	    "#NP", "#SS", "#GP", "#PF", "-",   "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};
	return v < 32 && names[v] ? names[v] : "?";
}

NORETURN void shim_fault(uint64_t vector, enum keep_fault_origin origin, uint64_t rip,
                         uint64_t addr, uint64_t error, const char *where)
{
	char buf[256];
	int n;
	if (vector == KEEP_FAULT_VEC_SALLYPORT)
		n = fmt(buf, sizeof(buf), "sallyport: host reply rejected: %s", where);
	else if (vector == KEEP_FAULT_VEC_PANIC)
		n = fmt(buf, sizeof(buf), "shim: %s", where);
	else
		n = fmt(buf, sizeof(buf),
		        "fault in %s: vector %lu (%s) at rip=%016lx addr=%016lx error=%lx", where,
		        vector, vector_name(vector), rip, addr, error);
	size_t len = n < 0 ? 0 : ((size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	/* A fresh block: the current one may be what the host clobbered. */
	sp_guest_init(&shim_sp, shim_sp.block, sally, (void (*)(void *, const char *))halt_forever,
	              NULL);
	sp_guest_enarxcall(&shim_sp, SP_ENARX_FAULT, SP_IN, buf, len, vector, origin, UINT64_MAX);
	halt_forever();
}

NORETURN void shim_panic(const char *f, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, f);
	vfmt(buf, sizeof(buf), f, ap);
	va_end(ap);
	shim_fault(KEEP_FAULT_VEC_PANIC, KEEP_FAULT_SHIM, 0, 0, 0, buf);
}
