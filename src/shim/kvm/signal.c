/* SPDX-License-Identifier: Apache-2.0 */
/* Synchronous signals for the executor: a fault in ring 3 that the process
 * has a handler for (the wasm engine catches SIGSEGV on its guard pages) is
 * delivered on the user stack, or the alternate stack, with the frame Linux
 * builds (rt_sigframe: return address, ucontext, siginfo, FXSAVE area), and
 * rt_sigreturn restores it. Nothing is delivered asynchronously. */
#include "shim.h"

#define SA_SIGINFO 0x4UL
#define SA_ONSTACK 0x08000000UL
#define SA_RESTORER 0x04000000UL
#define SA_NODEFER 0x40000000UL
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define FLAGS_USER 0x40DD5UL /* CF PF AF ZF SF TF DF OF AC */

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

struct sigcontext_ {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};

struct ucontext_ {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext_ mc;
	uint64_t sigmask;
};

struct siginfo_ {
	int32_t signo, errno_, code, pad;
	uint64_t addr;
	uint8_t rest[128 - 24];
};

struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext_ uc;
	struct siginfo_ info;
};

static struct ksigaction acts[65];
static uint64_t blocked;
static struct {
	uint64_t sp, size;
	int flags;
} alt = {0, 0, SS_DISABLE};
static unsigned nested; /* deliveries with no syscall in between */
static uint8_t fxbuf[512] __attribute__((aligned(16)));

void signal_note_syscall(void)
{
	nested = 0;
}

int64_t signal_action(uint64_t sig, uint64_t act, uint64_t old, uint64_t size)
{
	if (sig < 1 || sig > 64 || size != 8 || sig == 9 || sig == 19)
		return -22;
	if ((act && !mm_user_ok(act, 32, false)) || (old && !mm_user_ok(old, 32, true)))
		return -14;
	if (old)
		memcpy((void *)old, &acts[sig], 32);
	if (act)
		memcpy(&acts[sig], (const void *)act, 32);
	return 0;
}

int64_t signal_mask(uint64_t how, uint64_t set, uint64_t old, uint64_t size)
{
	if (size != 8 || how > 2)
		return -22;
	if ((set && !mm_user_ok(set, 8, false)) || (old && !mm_user_ok(old, 8, true)))
		return -14;
	if (old)
		memcpy((void *)old, &blocked, 8);
	if (set) {
		uint64_t s;
		memcpy(&s, (const void *)set, 8);
		blocked = how == 0 ? blocked | s : how == 1 ? blocked & ~s : s;
		blocked &= ~((1UL << 8) | (1UL << 18)); /* SIGKILL, SIGSTOP */
	}
	return 0;
}

int64_t signal_altstack(uint64_t ss, uint64_t old, const struct frame *f)
{
	bool on = alt.flags != SS_DISABLE && f->rsp - alt.sp < alt.size;
	if (old) {
		if (!mm_user_ok(old, 24, true))
			return -14;
		uint64_t o[3] = {alt.sp, (uint64_t)(on ? SS_ONSTACK : alt.flags), alt.size};
		memcpy((void *)old, o, sizeof(o));
	}
	if (ss) {
		uint64_t n[3];
		if (!mm_user_ok(ss, 24, false))
			return -14;
		if (on)
			return -1; /* EPERM */
		memcpy(n, (const void *)ss, sizeof(n));
		if ((n[1] & SS_DISABLE)) {
			alt.flags = SS_DISABLE;
		} else {
			if (n[2] < 2048)
				return -12; /* ENOMEM */
			alt.sp = n[0];
			alt.size = n[2];
			alt.flags = 0;
		}
	}
	return 0;
}

static void save_regs(struct sigcontext_ *mc, const struct frame *f)
{
	mc->r8 = f->r8, mc->r9 = f->r9, mc->r10 = f->r10, mc->r11 = f->r11;
	mc->r12 = f->r12, mc->r13 = f->r13, mc->r14 = f->r14, mc->r15 = f->r15;
	mc->rdi = f->rdi, mc->rsi = f->rsi, mc->rbp = f->rbp, mc->rbx = f->rbx;
	mc->rdx = f->rdx, mc->rax = f->rax, mc->rcx = f->rcx, mc->rsp = f->rsp;
	mc->rip = f->rip, mc->eflags = f->rflags;
	mc->cs = SEL_UCODE, mc->ss = SEL_UDATA;
}

bool signal_deliver(struct frame *f, int sig, int code, uint64_t addr)
{
	struct ksigaction *a = &acts[sig];
	if (a->handler <= 1 || !(a->flags & SA_RESTORER) || (blocked & (1UL << (sig - 1))) ||
	    ++nested > 8)
		return false;
	uint64_t sp = f->rsp - 128; /* the red zone */
	if ((a->flags & SA_ONSTACK) && alt.flags != SS_DISABLE && f->rsp - alt.sp >= alt.size)
		sp = alt.sp + alt.size;
	uint64_t fx = (sp - sizeof(fxbuf)) & ~63UL;
	uint64_t fr = ((fx - sizeof(struct rt_sigframe)) & ~15UL) - 8;
	if (!mm_user_ok(fr, sp - fr, true))
		return false;
	struct rt_sigframe frame;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = a->restorer;
	frame.uc.ss_sp = alt.sp;
	frame.uc.ss_size = alt.size;
	frame.uc.ss_flags = alt.flags;
	save_regs(&frame.uc.mc, f);
	frame.uc.mc.err = f->error;
	frame.uc.mc.trapno = f->vector;
	frame.uc.mc.cr2 = addr;
	frame.uc.mc.oldmask = blocked;
	frame.uc.mc.fpstate = fx;
	frame.uc.sigmask = blocked;
	frame.info.signo = sig;
	frame.info.code = code;
	frame.info.addr = addr;
	__asm__ volatile("fxsave64 %0" : "=m"(fxbuf));
	memcpy((void *)fx, fxbuf, sizeof(fxbuf));
	memcpy((void *)fr, &frame, sizeof(frame));
	blocked |= a->mask;
	if (!(a->flags & SA_NODEFER))
		blocked |= 1UL << (sig - 1);
	f->rip = a->handler;
	f->rsp = fr;
	f->rdi = (uint64_t)sig;
	f->rsi = fr + offsetof(struct rt_sigframe, info);
	f->rdx = fr + offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~(0x100UL | 0x400UL); /* TF, DF */
	return true;
}

/* rt_sigreturn: the ucontext sits where the handler's return left rsp. */
int64_t signal_return(struct frame *f)
{
	struct ucontext_ uc;
	uint64_t at = f->rsp;
	if (!mm_user_ok(at, sizeof(uc), false))
		shim_fault(13, KEEP_FAULT_EXECUTOR, f->rip, at, 0,
		           "the executor (ring 3): bad rt_sigreturn frame");
	memcpy(&uc, (const void *)at, sizeof(uc));
	const struct sigcontext_ *mc = &uc.mc;
	if (mc->rip >= USER_TOP || mc->rsp >= USER_TOP)
		shim_fault(13, KEEP_FAULT_EXECUTOR, mc->rip, mc->rsp, 0,
		           "the executor (ring 3): rt_sigreturn to the shim");
	if (mc->fpstate) {
		if ((mc->fpstate & 15) || !mm_user_ok(mc->fpstate, sizeof(fxbuf), false))
			shim_fault(13, KEEP_FAULT_EXECUTOR, f->rip, mc->fpstate, 0,
			           "the executor (ring 3): bad FP state");
		memcpy(fxbuf, (const void *)mc->fpstate, sizeof(fxbuf));
		uint32_t mxcsr;
		memcpy(&mxcsr, fxbuf + 24, 4);
		mxcsr &= 0xFFBF; /* reserved bits would fault the restore */
		memcpy(fxbuf + 24, &mxcsr, 4);
		__asm__ volatile("fxrstor64 %0" : : "m"(fxbuf));
	}
	f->r8 = mc->r8, f->r9 = mc->r9, f->r10 = mc->r10, f->r11 = mc->r11;
	f->r12 = mc->r12, f->r13 = mc->r13, f->r14 = mc->r14, f->r15 = mc->r15;
	f->rdi = mc->rdi, f->rsi = mc->rsi, f->rbp = mc->rbp, f->rbx = mc->rbx;
	f->rdx = mc->rdx, f->rcx = mc->rcx, f->rsp = mc->rsp, f->rip = mc->rip;
	f->rflags = (f->rflags & ~FLAGS_USER) | (mc->eflags & FLAGS_USER) | 0x202;
	blocked = uc.sigmask & ~((1UL << 8) | (1UL << 18));
	return (int64_t)mc->rax;
}
