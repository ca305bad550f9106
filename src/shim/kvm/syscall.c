/* SPDX-License-Identifier: Apache-2.0 */
/* Linux x86-64 syscalls for the executor: memory, identity and time-free
 * calls are answered here; I/O goes to the host through the sallyport with
 * every user buffer checked against the address space first. Anything else
 * is ENOSYS, logged once per number. */
#include "shim.h"

#define EPERM 1
#define ENOENT 2
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define ENODEV 19
#define EINVAL 22
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38

#define BRK_MAX (1UL << 30)

uint64_t shim_brk_start, shim_brk_cur;
static uint8_t iobuf[SP_MAX_DATA]; /* bounce buffer for readv/writev */
static uint64_t logged_enosys[8];

void syscall_init(const struct exec_info *ei)
{
	shim_brk_start = shim_brk_cur = ei->brk;
}

/* ---- helpers ------------------------------------------------------------ */

static bool uin(uint64_t p, uint64_t n)
{
	return mm_user_ok(p, n, false);
}

static bool uout(uint64_t p, uint64_t n)
{
	return mm_user_ok(p, n, true);
}

static int64_t sp_call(uint64_t num, const struct sp_arg *a, unsigned n, uint64_t max)
{
	return sp_guest_syscall(&shim_sp, num, a, n, max);
}

#define V(x)                                         \
	{                                            \
		.kind = SP_VAL, .val = (uint64_t)(x) \
	}
#define B(k, p, l)                                                     \
	{                                                              \
		.kind = (k), .ptr = (void *)(uintptr_t)(p), .len = (l) \
	}

/* Host-created descriptors: a number, never more than the host allows. */
#define MAX_FD 1023

/* ---- memory --------------------------------------------------------------- */

static int64_t sys_brk(uint64_t addr)
{
	if (addr < shim_brk_start || addr > shim_brk_start + BRK_MAX)
		return (int64_t)shim_brk_cur;
	uint64_t old = PAGE_ALIGN_UP(shim_brk_cur), new = PAGE_ALIGN_UP(addr);
	if (new > old && mm_map(old, new - old, PROT_READ | PROT_WRITE))
		return (int64_t)shim_brk_cur;
	if (new < old)
		mm_unmap(new, old - new);
	shim_brk_cur = addr;
	return (int64_t)addr;
}

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000

static int64_t sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags)
{
	if (!len || len > USER_TOP || (prot & ~7UL))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return -ENODEV; /* no files in a Keep */
	len = PAGE_ALIGN_UP(len);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PAGE - 1))
			return -EINVAL;
		if ((flags & MAP_FIXED_NOREPLACE) && mm_find_gap(len, addr) != addr)
			return -17; /* EEXIST */
	} else {
		addr = mm_find_gap(len, PAGE_ALIGN_DOWN(addr));
		if (!addr)
			return -ENOMEM;
	}
	int e = mm_map(addr, len, (int)prot);
	if (e)
		return e;
	if ((flags & MAP_POPULATE) && prot)
		mm_populate(addr, len);
	return (int64_t)addr;
}

static int64_t sys_madvise(uint64_t addr, uint64_t len, uint64_t advice)
{
	if (addr & (PAGE - 1))
		return -EINVAL;
	if (advice == 4 /* DONTNEED */ || advice == 8 /* FREE */)
		return mm_discard(addr, len);
	return 0;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static int64_t sys_arch_prctl(uint64_t code, uint64_t addr)
{
	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= USER_TOP)
			return -EPERM;
		wrmsr(code == ARCH_SET_FS ? 0xC0000100 : 0xC0000101, addr);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		if (!uout(addr, 8))
			return -EFAULT;
		*(uint64_t *)addr = rdmsr(code == ARCH_GET_FS ? 0xC0000100 : 0xC0000101);
		return 0;
	default: return -EINVAL;
	}
}

/* ---- identity, time, randomness ------------------------------------------ */

static int64_t sys_uname(uint64_t buf)
{
	static const char f[6][65] = {"Linux",  "enarx",  "6.1.0-enarx",
	                              "#1 SMP", "x86_64", "(none)"};
	if (!uout(buf, sizeof(f)))
		return -EFAULT;
	memcpy((void *)buf, f, sizeof(f));
	return 0;
}

static int64_t sys_getrandom(uint64_t buf, uint64_t len)
{
	if (len > 1 << 20)
		len = 1 << 20;
	if (!uout(buf, len))
		return -EFAULT;
	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t r;
		if (!cpu_random(&r))
			return i ? (int64_t)i : -EAGAIN;
		memcpy((void *)(buf + i), &r, len - i < 8 ? len - i : 8);
	}
	return (int64_t)len;
}

static int64_t sys_clock_gettime(uint64_t clk, uint64_t ts)
{
	uint64_t t[2];
	if (!uout(ts, 16))
		return -EFAULT;
	struct sp_arg a[2] = {V(clk), B(SP_OUT, t, 16)};
	int64_t r = sp_call(228, a, 2, 0);
	if (r == 0) {
		if (t[1] >= 1000000000UL)
			shim_sp.attacked(NULL, "clock_gettime: tv_nsec out of range");
		memcpy((void *)ts, t, 16);
	}
	return r;
}

/* time(2) from CLOCK_REALTIME (the host's clock, as clock_gettime). */
static int64_t sys_time(uint64_t tloc)
{
	uint64_t t[2];
	int64_t r;

	if (tloc && !uout(tloc, 8))
		return -EFAULT;
	struct sp_arg a[2] = {V(0), B(SP_OUT, t, 16)};
	r = sp_call(228, a, 2, 0);
	if (r)
		return r;
	if (t[1] >= 1000000000UL)
		shim_sp.attacked(NULL, "time: tv_nsec out of range");
	if (tloc)
		memcpy((void *)tloc, t, 8);
	return (int64_t)t[0];
}

static int64_t sys_nanosleep(uint64_t req, uint64_t rem)
{
	if (!uin(req, 16) || (rem && !uout(rem, 16)))
		return -EFAULT;
	struct sp_arg a[2] = {B(SP_IN, req, 16), B(SP_OUT, rem, rem ? 16 : 0)};
	return sp_call(35, a, 2, 0);
}

static int64_t sys_prlimit(uint64_t pid, uint64_t res, uint64_t newp, uint64_t oldp)
{
	if (pid != 0 && pid != 1)
		return -3; /* ESRCH */
	if (oldp) {
		if (!uout(oldp, 16))
			return -EFAULT;
		uint64_t v[2] = {UINT64_MAX, UINT64_MAX};
		if (res == 3 /* STACK */)
			v[0] = 8UL << 20;
		if (res == 7 /* NOFILE */)
			v[0] = v[1] = MAX_FD + 1;
		memcpy((void *)oldp, v, 16);
	}
	return newp ? -EPERM : 0;
}

/* SYS_GETATT: rdi nonce, rsi its length (<= 64), rdx buffer, r10 its length.
 * Returns the evidence length, technology 0 (KVM) in rdx. */
static int64_t sys_getatt(struct frame *f)
{
	struct keep_kvm_evidence ev;
	uint64_t nonce = f->rdi, nlen = f->rsi, buf = f->rdx, blen = f->r10;
	f->rdx = 0;
	if (!buf)
		return sizeof(ev);
	if (nlen > KEEP_KVM_EVIDENCE_NONCE || !uin(nonce, nlen))
		return -EINVAL;
	if (blen < sizeof(ev))
		return -ERANGE;
	if (!uout(buf, sizeof(ev)))
		return -EFAULT;
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.magic, KEEP_KVM_EVIDENCE_MAGIC, sizeof(ev.magic));
	ev.version = KEEP_KVM_EVIDENCE_VERSION;
	ev.flags = KEEP_KVM_EVIDENCE_FLAG_INSECURE;
	memcpy(ev.report_data, (const void *)nonce, nlen);
	int64_t r = sp_guest_enarxcall(&shim_sp, SP_ENARX_MEASUREMENT, SP_OUT, ev.measurement,
	                               sizeof(ev.measurement), 0, 0, sizeof(ev.measurement));
	if (r != (int64_t)sizeof(ev.measurement))
		return r < 0 ? r : -EINVAL;
	memcpy((void *)buf, &ev, sizeof(ev));
	return sizeof(ev);
}

/* ---- I/O through the sallyport ------------------------------------------- */

static int64_t sys_read(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (len > SP_MAX_DATA)
		len = SP_MAX_DATA;
	if (!uout(buf, len))
		return -EFAULT;
	return sp_guest_read(&shim_sp, (int)fd, (void *)buf, len);
}

static int64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (len > SP_MAX_DATA)
		len = SP_MAX_DATA;
	if (!uin(buf, len))
		return -EFAULT;
	return sp_guest_write(&shim_sp, (int)fd, (const void *)buf, len);
}

struct iovec_ {
	uint64_t base, len;
};

/* readv/writev: one host call through a bounce buffer (at most one block
 * of data, a short count as Linux allows). */
static int64_t sys_rwv(bool write, uint64_t fd, uint64_t iov, uint64_t cnt)
{
	struct iovec_ v[64];
	if (cnt > 1024)
		return -EINVAL;
	if (cnt > 64)
		cnt = 64;
	if (!uin(iov, cnt * sizeof(v[0])))
		return -EFAULT;
	memcpy(v, (const void *)iov, cnt * sizeof(v[0]));
	size_t total = 0;
	for (uint64_t i = 0; i < cnt && total < sizeof(iobuf); i++) {
		size_t n = v[i].len < sizeof(iobuf) - total ? v[i].len : sizeof(iobuf) - total;
		if (!mm_user_ok(v[i].base, n, !write))
			return -EFAULT;
		if (write)
			memcpy(iobuf + total, (const void *)v[i].base, n);
		total += n;
	}
	int64_t r = write ? sp_guest_write(&shim_sp, (int)fd, iobuf, total)
	                  : sp_guest_read(&shim_sp, (int)fd, iobuf, total);
	if (write || r <= 0)
		return r;
	size_t at = 0;
	for (uint64_t i = 0; i < cnt && at < (size_t)r; i++) {
		size_t n = v[i].len < (size_t)r - at ? v[i].len : (size_t)r - at;
		memcpy((void *)v[i].base, iobuf + at, n);
		at += n;
	}
	return r;
}

static int64_t sys_fd_only(uint64_t num, uint64_t fd, uint64_t a1, uint64_t a2, uint64_t max)
{
	struct sp_arg a[3] = {V(fd), V(a1), V(a2)};
	return sp_call(num, a, 3, max);
}

static int64_t sys_fstat(uint64_t fd, uint64_t st)
{
	if (!uout(st, 144))
		return -EFAULT;
	struct sp_arg a[2] = {V(fd), B(SP_OUT, st, 144)};
	return sp_call(5, a, 2, 0);
}

/* poll/ppoll: the pollfd array goes through a copy, and only revents come
 * back to the caller (the host cannot rewrite fd or events). */
static int64_t sys_poll(uint64_t num, uint64_t fds, uint64_t n, uint64_t t, uint64_t mask)
{
	static uint64_t pf[1024];
	if (n > 1024 || !uout(fds, n * 8))
		return -EFAULT;
	if (num == 271 && t && !uin(t, 16))
		return -EFAULT;
	memcpy(pf, (const void *)fds, n * 8);
	struct sp_arg a[4] = {B(SP_INOUT, n ? pf : 0, n * 8), V(n),
	                      num == 7 ? (struct sp_arg)V(t) : (struct sp_arg)B(SP_IN, t, 16),
	                      B(SP_IN, 0, 0)};
	(void)mask; /* signal masks are not forwarded */
	int64_t r = sp_call(num, a, num == 7 ? 3 : 4, n);
	for (uint64_t i = 0; r >= 0 && i < n; i++)
		memcpy((uint8_t *)fds + i * 8 + 6, (const uint8_t *)&pf[i] + 6, 2);
	return r;
}

static int64_t sys_ioctl(uint64_t fd, uint64_t req, uint64_t arg)
{
	if (req != 0x5421 /* FIONBIO */ && req != 0x541B /* FIONREAD */)
		return -25; /* ENOTTY */
	if (!uout(arg, 4))
		return -EFAULT;
	struct sp_arg a[3] = {V(fd), V(req), B(SP_INOUT, arg, 4)};
	return sp_call(16, a, 3, 0);
}

static int64_t sys_sockaddr_in(uint64_t num, uint64_t fd, uint64_t addr, uint64_t len)
{
	if (len > 128 || !uin(addr, len))
		return -EINVAL;
	struct sp_arg a[3] = {V(fd), B(SP_IN, addr, len), V(len)};
	return sp_call(num, a, 3, 0);
}

/* The shim's own stack (sys_msg passes a socklen from there). */
static bool kstack_ptr(uint64_t p)
{
	return p >= (uint64_t)kstack_end - 65536 && p + 4 <= (uint64_t)kstack_end;
}

/* (sockaddr out, socklen inout) pairs: the buffer size is the caller's
 * socklen, read once. */
static int addr_pair(uint64_t addr, uint64_t lenp, uint32_t *len)
{
	*len = 0;
	if (!lenp)
		return addr ? -EFAULT : 0;
	if (!uout(lenp, 4) && !kstack_ptr(lenp))
		return -EFAULT;
	memcpy(len, (const void *)lenp, 4);
	if (*len > 128)
		*len = 128;
	return addr && !uout(addr, *len) ? -EFAULT : 0;
}

static int64_t sys_accept(uint64_t num, uint64_t fd, uint64_t addr, uint64_t lenp, uint64_t flags)
{
	uint32_t len;
	int e = addr_pair(addr, lenp, &len);
	if (e)
		return e;
	struct sp_arg a[4] = {V(fd), B(SP_OUT, lenp ? addr : 0, len), B(SP_INOUT, lenp, 4),
	                      V(flags)};
	return sp_call(num, a, 4, MAX_FD);
}

static int64_t sys_sockname(uint64_t num, uint64_t fd, uint64_t addr, uint64_t lenp)
{
	uint32_t len;
	int e = addr_pair(addr, lenp, &len);
	if (e || !lenp)
		return e ? e : -EFAULT;
	struct sp_arg a[3] = {V(fd), B(SP_OUT, addr, len), B(SP_INOUT, lenp, 4)};
	return sp_call(num, a, 3, 0);
}

static bool kbuf(uint64_t p)
{
	return p >= (uint64_t)iobuf && p < (uint64_t)iobuf + sizeof(iobuf);
}

static int64_t sys_sendto(uint64_t fd, uint64_t buf, uint64_t len, uint64_t flags, uint64_t addr,
                          uint64_t alen)
{
	if (len > SP_MAX_DATA - 256)
		len = SP_MAX_DATA - 256;
	if ((!kbuf(buf) && !uin(buf, len)) || alen > 128 || (addr && !uin(addr, alen)))
		return -EFAULT;
	struct sp_arg a[6] = {V(fd),
	                      B(SP_IN, buf, len),
	                      V(len),
	                      V(flags),
	                      B(SP_IN, addr, addr ? alen : 0),
	                      V(addr ? alen : 0)};
	return sp_call(44, a, 6, len);
}

static int64_t sys_recvfrom(uint64_t fd, uint64_t buf, uint64_t len, uint64_t flags, uint64_t addr,
                            uint64_t lenp)
{
	uint32_t alen;
	if (len > SP_MAX_DATA - 256)
		len = SP_MAX_DATA - 256;
	if (!kbuf(buf) && !uout(buf, len))
		return -EFAULT;
	int e = addr_pair(addr, lenp, &alen);
	if (e)
		return e;
	struct sp_arg a[6] = {V(fd),    B(SP_OUT_RET, buf, len),          V(len),
	                      V(flags), B(SP_OUT, lenp ? addr : 0, alen), B(SP_INOUT, lenp, 4)};
	return sp_call(45, a, 6, len);
}

static int64_t sys_setsockopt(uint64_t fd, uint64_t lvl, uint64_t name, uint64_t val, uint64_t len)
{
	if (len > 256 || !uin(val, len))
		return -EFAULT;
	struct sp_arg a[5] = {V(fd), V(lvl), V(name), B(SP_IN, val, len), V(len)};
	return sp_call(54, a, 5, 0);
}

static int64_t sys_getsockopt(uint64_t fd, uint64_t lvl, uint64_t name, uint64_t val, uint64_t lenp)
{
	uint32_t len;
	int e = addr_pair(val, lenp, &len);
	if (e || !lenp)
		return e ? e : -EFAULT;
	struct sp_arg a[5] = {V(fd), V(lvl), V(name), B(SP_OUT, val, len), B(SP_INOUT, lenp, 4)};
	return sp_call(55, a, 5, 0);
}

/* Copies a NUL-terminated user path; returns its length with the NUL. */
static int64_t user_path(uint64_t path, char *buf, size_t size)
{
	for (size_t n = 0; n < size; n++) {
		if (!uin(path + n, 1))
			return -EFAULT;
		buf[n] = *(const char *)(path + n);
		if (!buf[n])
			return (int64_t)n + 1;
	}
	return -ENAMETOOLONG;
}

static char pathbuf[2][4096];

static int64_t sys_openat(uint64_t dfd, uint64_t path, uint64_t flags, uint64_t mode)
{
	int64_t n = user_path(path, pathbuf[0], sizeof(pathbuf[0]));
	if (n < 0)
		return n;
	struct sp_arg a[5] = {V(dfd), B(SP_IN, pathbuf[0], n), V(flags), V(mode), V(n)};
	return sp_call(257, a, 5, MAX_FD);
}

static int64_t sys_openat2(uint64_t dfd, uint64_t path, uint64_t how, uint64_t size)
{
	uint64_t h[3];
	if (size < sizeof(h) || size > 4096)
		return -EINVAL;
	if (!uin(how, size))
		return -EFAULT;
	for (uint64_t i = sizeof(h); i < size; i++)
		if (((const uint8_t *)how)[i])
			return -7; /* E2BIG: unknown extensions */
	memcpy(h, (const void *)how, sizeof(h));
	int64_t n = user_path(path, pathbuf[0], sizeof(pathbuf[0]));
	if (n < 0)
		return n;
	struct sp_arg a[6] = {
	    V(dfd), B(SP_IN, pathbuf[0], n), B(SP_IN, h, sizeof(h)), V(sizeof(h)), V(0), V(n)};
	return sp_call(437, a, 6, MAX_FD);
}

/* *at calls with one path: (dfd, path, x, y); the path length goes in arg 5. */
static int64_t sys_path1(uint64_t num, uint64_t dfd, uint64_t path, struct sp_arg a2,
                         struct sp_arg a3)
{
	int64_t n = user_path(path, pathbuf[0], sizeof(pathbuf[0]));
	if (n < 0)
		return n;
	struct sp_arg a[6] = {V(dfd), B(SP_IN, pathbuf[0], n), a2, a3, V(0), V(n)};
	return sp_call(num, a, 6, num == 267 ? a3.val : 0);
}

/* renameat2, linkat: (odfd, old, ndfd, new, flags). */
static int64_t sys_path2(uint64_t num, uint64_t odfd, uint64_t old, uint64_t ndfd, uint64_t nw,
                         uint64_t flags)
{
	int64_t n1 = user_path(old, pathbuf[0], sizeof(pathbuf[0]));
	int64_t n2 = user_path(nw, pathbuf[1], sizeof(pathbuf[1]));
	if (n1 < 0 || n2 < 0)
		return n1 < 0 ? n1 : n2;
	struct sp_arg a[6] = {V(odfd),  B(SP_IN, pathbuf[0], n1),
	                      V(ndfd),  B(SP_IN, pathbuf[1], n2),
	                      V(flags), V((uint64_t)n1 | (uint64_t)n2 << 32)};
	return sp_call(num, a, 6, 0);
}

static int64_t sys_symlinkat(uint64_t target, uint64_t ndfd, uint64_t link)
{
	int64_t n1 = user_path(target, pathbuf[0], sizeof(pathbuf[0]));
	int64_t n2 = user_path(link, pathbuf[1], sizeof(pathbuf[1]));
	if (n1 < 0 || n2 < 0)
		return n1 < 0 ? n1 : n2;
	struct sp_arg a[6] = {B(SP_IN, pathbuf[0], n1),
	                      V(ndfd),
	                      B(SP_IN, pathbuf[1], n2),
	                      V(0),
	                      V(0),
	                      V((uint64_t)n1 | (uint64_t)n2 << 32)};
	return sp_call(266, a, 6, 0);
}

static int64_t sys_readlinkat(uint64_t dfd, uint64_t path, uint64_t buf, uint64_t size)
{
	if (size > SP_MAX_DATA - 8192)
		size = SP_MAX_DATA - 8192;
	if (!uout(buf, size))
		return -EFAULT;
	return sys_path1(267, dfd, path, (struct sp_arg)B(SP_OUT_RET, buf, size),
	                 (struct sp_arg)V(size));
}

static int64_t sys_fstatat(uint64_t dfd, uint64_t path, uint64_t st, uint64_t flags)
{
	if (!uout(st, 144))
		return -EFAULT;
	return sys_path1(262, dfd, path, (struct sp_arg)B(SP_OUT, st, 144),
	                 (struct sp_arg)V(flags));
}

static int64_t sys_utimensat(uint64_t dfd, uint64_t path, uint64_t times, uint64_t flags)
{
	if (times && !uin(times, 32))
		return -EFAULT;
	struct sp_arg t = B(SP_IN, times, times ? 32 : 0);
	if (!path) {
		struct sp_arg a[6] = {V(dfd), B(SP_IN, 0, 0), t, V(flags), V(0), V(0)};
		return sp_call(280, a, 6, 0);
	}
	return sys_path1(280, dfd, path, t, (struct sp_arg)V(flags));
}

static int64_t sys_prw(uint64_t num, uint64_t fd, uint64_t buf, uint64_t len, uint64_t off)
{
	if (len > SP_MAX_DATA)
		len = SP_MAX_DATA;
	if (!mm_user_ok(buf, len, num == 17))
		return -EFAULT;
	struct sp_arg a[4] = {V(fd), B(num == 17 ? SP_OUT_RET : SP_IN, buf, len), V(len), V(off)};
	return sp_call(num, a, 4, len);
}

struct msghdr_ {
	uint64_t name;
	uint32_t namelen, pad;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad2;
};

/* sendmsg/recvmsg as one sendto/recvfrom through the bounce buffer; no
 * control messages cross the sallyport. */
static int64_t sys_msg(bool send, uint64_t fd, uint64_t msg, uint64_t flags)
{
	struct msghdr_ m;
	struct iovec_ v[64];
	if (!mm_user_ok(msg, sizeof(m), !send))
		return -EFAULT;
	memcpy(&m, (const void *)msg, sizeof(m));
	if (m.iovlen > 1024 || (send && m.controllen))
		return -EINVAL;
	size_t cnt = m.iovlen > 64 ? 64 : m.iovlen, total = 0, cap = SP_MAX_DATA - 512;
	if (!uin(m.iov, cnt * sizeof(v[0])))
		return -EFAULT;
	memcpy(v, (const void *)m.iov, cnt * sizeof(v[0]));
	for (size_t i = 0; i < cnt && total < cap; i++) {
		size_t n = v[i].len < cap - total ? v[i].len : cap - total;
		if (!mm_user_ok(v[i].base, n, !send))
			return -EFAULT;
		if (send)
			memcpy(iobuf + total, (const void *)v[i].base, n);
		total += n;
	}
	if (send)
		return sys_sendto(fd, (uint64_t)iobuf, total, flags, m.name,
		                  m.name ? m.namelen : 0);
	uint32_t nl = m.namelen;
	int64_t r =
	    sys_recvfrom(fd, (uint64_t)iobuf, total, flags, m.name, m.name ? (uint64_t)&nl : 0);
	if (r < 0)
		return r;
	size_t at = 0;
	for (size_t i = 0; i < cnt && at < (size_t)r; i++) {
		size_t n = v[i].len < (size_t)r - at ? v[i].len : (size_t)r - at;
		memcpy((void *)v[i].base, iobuf + at, n);
		at += n;
	}
	m.namelen = m.name ? nl : 0;
	m.controllen = 0;
	m.flags = 0;
	memcpy((void *)msg, &m, sizeof(m));
	return r;
}

static int64_t sys_getdents(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (len > SP_MAX_DATA)
		len = SP_MAX_DATA;
	if (!uout(buf, len))
		return -EFAULT;
	struct sp_arg a[3] = {V(fd), B(SP_OUT_RET, buf, len), V(len)};
	return sp_call(217, a, 3, len);
}

static int64_t sys_unknown(uint64_t num)
{
	if (num < 512 && !(logged_enosys[num / 64] & (1UL << (num % 64)))) {
		logged_enosys[num / 64] |= 1UL << (num % 64);
		shim_log("unsupported syscall %lu: ENOSYS", num);
	} else if (num >= 512) {
		shim_log("unsupported syscall %lu: ENOSYS", num);
	}
	return -ENOSYS;
}

/* ---- dispatch: one sh_<name> per SHIM_FWD or SHIM_OWN row of
 * keep/syscalls.def (a row without one fails the build, and so does one
 * without a row: it is an unused static function) ---------------------- */

/* A table of one-line handlers, kept one per line. */
/* clang-format off */
#define SH(name) static int64_t sh_##name(struct frame *f)
#define A0 f->rdi
#define A1 f->rsi
#define A2 f->rdx
#define A3 f->r10
#define A4 f->r8
#define A5 f->r9

SH(read) { return sys_read(A0, A1, A2); }
SH(write) { return sys_write(A0, A1, A2); }
SH(close) { return sys_fd_only(3, A0, 0, 0, 0); }
SH(fstat) { return sys_fstat(A0, A1); }
SH(poll) { return sys_poll(7, A0, A1, A2, 0); }
SH(lseek) { return sys_fd_only(8, A0, A1, A2, INT64_MAX); }
SH(ioctl) { return sys_ioctl(A0, A1, A2); }
SH(pread64) { return sys_prw(17, A0, A1, A2, A3); }
SH(pwrite64) { return sys_prw(18, A0, A1, A2, A3); }
SH(readv) { return sys_rwv(false, A0, A1, A2); }
SH(writev) { return sys_rwv(true, A0, A1, A2); }
SH(dup) { return sys_fd_only(32, A0, 0, 0, MAX_FD); }
SH(fcntl) { return sys_fd_only(72, A0, A1, A2, INT64_MAX); }
SH(fsync) { return sys_fd_only(74, A0, 0, 0, 0); }
SH(fdatasync) { return sys_fd_only(75, A0, 0, 0, 0); }
SH(ftruncate) { return sys_fd_only(77, A0, A1, 0, 0); }
SH(getdents64) { return sys_getdents(A0, A1, A2); }
SH(ppoll) { return sys_poll(271, A0, A1, A2, A3); }
SH(readlink) { return -ENOENT; /* no /proc */ }
SH(openat) { return sys_openat(A0, A1, A2, A3); }
SH(mkdirat) { return sys_path1(258, A0, A1, (struct sp_arg)V(A2), (struct sp_arg)V(0)); }
SH(newfstatat) { return sys_fstatat(A0, A1, A2, A3); }
SH(unlinkat) { return sys_path1(263, A0, A1, (struct sp_arg)V(A2), (struct sp_arg)V(0)); }
SH(renameat) { return sys_path2(316, A0, A1, A2, A3, 0); /* as renameat2 */ }
SH(linkat) { return sys_path2(265, A0, A1, A2, A3, A4); }
SH(symlinkat) { return sys_symlinkat(A0, A1, A2); }
SH(readlinkat) { return sys_readlinkat(A0, A1, A2, A3); }
SH(utimensat) { return sys_utimensat(A0, A1, A2, A3); }
SH(renameat2) { return sys_path2(316, A0, A1, A2, A3, A4); }
SH(openat2) { return sys_openat2(A0, A1, A2, A3); }
SH(socket) { return sys_fd_only(41, A0, A1, A2, MAX_FD); }
SH(connect) { return sys_sockaddr_in(42, A0, A1, A2); }
SH(accept) { return sys_accept(43, A0, A1, A2, 0); }
SH(sendto) { return sys_sendto(A0, A1, A2, A3, A4, A5); }
SH(recvfrom) { return sys_recvfrom(A0, A1, A2, A3, A4, A5); }
SH(sendmsg) { return sys_msg(true, A0, A1, A2); }
SH(recvmsg) { return sys_msg(false, A0, A1, A2); }
SH(shutdown) { return sys_fd_only(48, A0, A1, 0, 0); }
SH(bind) { return sys_sockaddr_in(49, A0, A1, A2); }
SH(listen) { return sys_fd_only(50, A0, A1, 0, 0); }
SH(getsockname) { return sys_sockname(51, A0, A1, A2); }
SH(getpeername) { return sys_sockname(52, A0, A1, A2); }
SH(setsockopt) { return sys_setsockopt(A0, A1, A2, A3, A4); }
SH(getsockopt) { return sys_getsockopt(A0, A1, A2, A3, A4); }
SH(accept4) { return sys_accept(288, A0, A1, A2, A3); }
SH(mmap) { return sys_mmap(A0, A1, A2, A3); }
SH(mprotect) { return mm_protect(A0, A1, (int)A2); }
SH(munmap) { return mm_unmap(A0, A1); }
SH(brk) { return sys_brk(A0); }
SH(mremap) { return -ENOMEM; /* callers fall back */ }
SH(madvise) { return sys_madvise(A0, A1, A2); }
SH(rt_sigaction) { return signal_action(A0, A1, A2, A3); }
SH(rt_sigprocmask) { return signal_mask(A0, A1, A2, A3); }
SH(rt_sigreturn) { return signal_return(f); }
SH(sigaltstack) { return signal_altstack(A0, A1, f); }
SH(nanosleep) { return sys_nanosleep(A0, A1); }
SH(clock_gettime) { return sys_clock_gettime(A0, A1); }
SH(time) { return sys_time(A0); }
SH(clock_nanosleep) { return A1 ? -EINVAL : sys_nanosleep(A2, A3); }
SH(sched_yield) { return 0; }
SH(getpid) { return 1; }
SH(exit) { shim_exit((int)A0); }
SH(uname) { return sys_uname(A0); }
SH(getuid) { return 1000; }
SH(getgid) { return 1000; }
SH(geteuid) { return 1000; }
SH(getegid) { return 1000; }
SH(getppid) { return 0; }
SH(arch_prctl) { return sys_arch_prctl(A0, A1); }
SH(gettid) { return 1; }
SH(futex) { return (A1 & 127) == 1 ? 0 : -EAGAIN; /* FUTEX_WAKE: one thread */ }
SH(sched_getaffinity)
{
	if (A1 < 8 || !uout(A2, 8))
		return -EINVAL;
	*(uint64_t *)A2 = 1;
	return 8;
}
SH(set_tid_address) { return 1; }
SH(exit_group) { shim_exit((int)A0); }
SH(set_robust_list) { return 0; }
SH(prlimit64) { return sys_prlimit(A0, A1, A2, A3); }
SH(getrandom) { return sys_getrandom(A0, A1); }
SH(getatt) { return sys_getatt(f); }

/* The shim column of each row, as a case of the dispatch switch. */
#define SHIM_FWD(name, nr) case nr: return sh_##name(f);
#define SHIM_OWN(name, nr) case nr: return sh_##name(f);
#define SHIM_ENOSYS(name, nr) case nr: return -ENOSYS;
#define SHIM_NONE(name, nr)
/* clang-format on */

static int64_t dispatch(struct frame *f)
{
	switch (f->rax) {
#define X(name, nr, nil, shim, host) shim(name, nr)
#include "keep/syscalls.def"
#undef X
	default: return sys_unknown(f->rax);
	}
}

void syscall_dispatch(struct frame *f)
{
	signal_note_syscall();
	f->rax = (uint64_t)dispatch(f);
}

/* Delivers the signal Linux would send for a ring-3 exception (the table
 * in keep/abi.h, which the host also uses); false if the executor has no
 * handler for it. */
static bool user_signal(struct frame *f, uint64_t addr)
{
	int code, sig = keep_vector_signal(f->vector, &code);
	if (!sig)
		return false;
	if (f->vector == 14 && (f->error & 1))
		code = 2; /* SEGV_ACCERR: the page was present */
	bool at_addr = sig == KEEP_SIGSEGV || sig == KEEP_SIGBUS;
	return signal_deliver(f, sig, code, at_addr ? addr : f->rip);
}

void trap_dispatch(struct frame *f)
{
	/* PVM (kvm_pvm) delivers a ring-3 SYSCALL as a jump to LSTAR without
	 * leaving ring 3; the fetch faults and arrives here with the syscall
	 * state intact (rcx = return address, r11 = flags). */
	if (f->vector == 14 && (f->cs & 3) == 3 && f->rip == (uint64_t)syscall_entry &&
	    read_cr2() == f->rip && f->rcx < USER_TOP) {
		/* A ring-3 jump to LSTAR looks the same: rcx and r11 are then the
		 * caller's, so the return address must be user space and the
		 * flags only those ring 3 may set (never IOPL or NT). */
		f->rip = f->rcx;
		f->rflags = (f->r11 & 0x40DD5) | 0x202;
		syscall_dispatch(f);
		return;
	}
	uint64_t addr = f->vector == 14 ? read_cr2() : 0;
	if (f->vector == 14 && mm_fault(addr, f->error))
		return;
	bool user = (f->cs & 3) == 3;
	if (user && user_signal(f, addr))
		return;
	shim_fault(f->vector, user ? KEEP_FAULT_EXECUTOR : KEEP_FAULT_SHIM, f->rip, addr, f->error,
	           user ? "the executor (ring 3)" : "the shim");
}
