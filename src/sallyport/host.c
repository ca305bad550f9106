/* SPDX-License-Identifier: Apache-2.0 */
/* Host side of the sallyport (see host.h and docs/sallyport.md). One small
 * handler per allowed syscall; each reads its pointer arguments only through
 * arg_buf(), which checks the offset and length against the item's data
 * area, and its descriptors only through arg_fd(), which maps the Keep's
 * number to a host fd through the Keep's own table. */
#include "sallyport/host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/err.h"
#include "keep/abi.h"

struct sp_host {
	int fd[SP_HOST_MAX_FDS]; /* host fd, or -1 */
	bool owned[SP_HOST_MAX_FDS];
	sp_host_syscall_fn sys;
	void *sys_ctx;
	sp_host_enarxcall_fn ecall;
	void *ecall_ctx;
	int exit_code;
	uint64_t items, refused;
	char err[160];
};

/* One decoded request: arguments copied out of the block, the data area. */
struct req {
	struct sp_host *h;
	uint64_t a[6];
	uint8_t *data;
	size_t dlen;
};

static long real_syscall(void *ctx, long num, const long a[6])
{
	(void)ctx;
	long r = syscall(num, a[0], a[1], a[2], a[3], a[4], a[5]);
	return r < 0 ? -errno : r;
}

int sp_host_new(struct sp_host **out)
{
	struct sp_host *h = xcalloc(1, sizeof(*h));
	if (!h)
		return ENARX_E_NOMEM;
	for (size_t i = 0; i < SP_HOST_MAX_FDS; i++)
		h->fd[i] = -1;
	h->sys = real_syscall;
	*out = h;
	return 0;
}

void sp_host_free(struct sp_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < SP_HOST_MAX_FDS; i++)
		if (h->fd[i] >= 0 && h->owned[i])
			close(h->fd[i]);
	xfree(h);
}

int sp_host_set_fd(struct sp_host *h, int guest_fd, int host_fd, bool owned)
{
	if (guest_fd < 0 || guest_fd >= SP_HOST_MAX_FDS || host_fd < 0)
		return ENARX_E_INVAL;
	if (h->fd[guest_fd] >= 0)
		return ENARX_E_EXISTS;
	h->fd[guest_fd] = host_fd;
	h->owned[guest_fd] = owned;
	return 0;
}

int sp_host_get_fd(const struct sp_host *h, int guest_fd)
{
	if (guest_fd < 0 || guest_fd >= SP_HOST_MAX_FDS)
		return -1;
	return h->fd[guest_fd];
}

void sp_host_set_syscall(struct sp_host *h, sp_host_syscall_fn fn, void *ctx)
{
	h->sys = fn ? fn : real_syscall;
	h->sys_ctx = ctx;
}

void sp_host_set_enarxcall(struct sp_host *h, sp_host_enarxcall_fn fn, void *ctx)
{
	h->ecall = fn;
	h->ecall_ctx = ctx;
}

int sp_host_exit_code(const struct sp_host *h)
{
	return h->exit_code;
}

const char *sp_host_error(const struct sp_host *h)
{
	return h->err;
}

uint64_t sp_host_items(const struct sp_host *h)
{
	return h->items;
}

uint64_t sp_host_refused(const struct sp_host *h)
{
	return h->refused;
}

/* ---- argument access ------------------------------------------------- */

/* Pointer argument i as len bytes of the data area; -EFAULT when it does
 * not fit. SP_NULL gives NULL when nullable. */
static int arg_buf(const struct req *r, int i, uint64_t len, bool nullable, uint8_t **out)
{
	uint64_t off = r->a[i];
	if (off == SP_NULL && nullable) {
		*out = NULL;
		return 0;
	}
	if (!range_ok(off, len, r->dlen))
		return -EFAULT;
	*out = r->data + off;
	return 0;
}

static int arg_fd(const struct req *r, int i, int *host_fd)
{
	uint64_t v = r->a[i];
	if (v >= SP_HOST_MAX_FDS || r->h->fd[v] < 0)
		return -EBADF;
	*host_fd = r->h->fd[v];
	return 0;
}

/* A guest-supplied uint32 length living in the data area (socklen_t). */
static int arg_len32(const struct req *r, int i, uint8_t **at, uint32_t *v)
{
	int e = arg_buf(r, i, sizeof(uint32_t), true, at);
	if (e || !*at)
		return e;
	memcpy(v, *at, sizeof(*v));
	return 0;
}

static int new_guest_fd(struct sp_host *h)
{
	for (int i = 0; i < SP_HOST_MAX_FDS; i++)
		if (h->fd[i] < 0)
			return i;
	return -EMFILE;
}

/* Registers a host fd the Keep just created (owned); closes it when the
 * table is full. Returns the guest number or -errno. */
static int64_t adopt_fd(struct sp_host *h, long host_fd)
{
	if (host_fd < 0)
		return host_fd;
	int g = new_guest_fd(h);
	if (g < 0) {
		close((int)host_fd);
		return g;
	}
	h->fd[g] = (int)host_fd;
	h->owned[g] = true;
	return g;
}

static long sys(const struct req *r, long num, long a0, long a1, long a2, long a3, long a4, long a5)
{
	const long a[6] = {a0, a1, a2, a3, a4, a5};
	return r->h->sys(r->h->sys_ctx, num, a);
}

/* ---- handlers: each returns the result or -errno ---------------------- */

#define TRY(x)                     \
	do {                       \
		int e_ = (x);      \
		if (e_)            \
			return e_; \
	} while (0)

static int64_t h_read(const struct req *r, long num)
{
	int fd;
	uint8_t *p;
	TRY(arg_fd(r, 0, &fd));
	TRY(arg_buf(r, 1, r->a[2], false, &p));
	return sys(r, num, fd, (long)p, (long)r->a[2], 0, 0, 0);
}

static int64_t h_close(const struct req *r, long num)
{
	int fd;
	TRY(arg_fd(r, 0, &fd));
	uint64_t g = r->a[0];
	bool owned = r->h->owned[g];
	r->h->fd[g] = -1;
	r->h->owned[g] = false;
	return owned ? sys(r, num, fd, 0, 0, 0, 0, 0) : 0;
}

static int64_t h_fstat(const struct req *r, long num)
{
	int fd;
	uint8_t *p;
	TRY(arg_fd(r, 0, &fd));
	TRY(arg_buf(r, 1, sizeof(struct stat), false, &p));
	return sys(r, num, fd, (long)p, 0, 0, 0, 0);
}

/* poll and ppoll: the pollfd array is copied, its fds translated, and only
 * revents copied back. Unknown fds report POLLNVAL, as Linux does. */
static int64_t do_poll(const struct req *r, long num, long tsp)
{
	static struct pollfd pf[SP_HOST_MAX_FDS];
	static bool nval[SP_HOST_MAX_FDS];
	uint64_t n = r->a[1];
	uint8_t *p;
	if (n > SP_HOST_MAX_FDS)
		return -EINVAL;
	TRY(arg_buf(r, 0, n * sizeof(struct pollfd), n == 0, &p));
	int64_t bad = 0;
	for (uint64_t i = 0; i < n; i++) {
		memcpy(&pf[i], p + i * sizeof(struct pollfd), sizeof(pf[i]));
		int g = pf[i].fd;
		pf[i].revents = 0;
		nval[i] = false;
		if (g < 0)
			continue;
		if (g >= SP_HOST_MAX_FDS || r->h->fd[g] < 0) {
			pf[i].fd = -1; /* the kernel skips it; reported POLLNVAL below */
			nval[i] = true;
			bad++;
			continue;
		}
		pf[i].fd = r->h->fd[g];
	}
	long t = num == SYS_poll ? (long)r->a[2] : tsp;
	long ret = bad ? sys(r, num, (long)pf, (long)n,
	                     num == SYS_poll ? 0 : (long)&(struct timespec){0}, 0, 8, 0)
	               : sys(r, num, (long)pf, (long)n, t, 0, 8, 0);
	if (ret < 0)
		return ret;
	for (uint64_t i = 0; i < n; i++) {
		short rev = nval[i] ? POLLNVAL : pf[i].revents;
		memcpy(p + i * sizeof(struct pollfd) + offsetof(struct pollfd, revents), &rev,
		       sizeof(rev));
	}
	return ret + bad;
}

static int64_t h_poll(const struct req *r, long num)
{
	return do_poll(r, num, 0);
}

static int64_t h_ppoll(const struct req *r, long num)
{
	uint8_t *t;
	static struct timespec ts;
	if (r->a[3] != SP_NULL)
		return -EINVAL; /* signal masks do not cross the sallyport */
	TRY(arg_buf(r, 2, sizeof(ts), true, &t));
	if (t)
		memcpy(&ts, t, sizeof(ts));
	return do_poll(r, num, t ? (long)&ts : 0);
}

static int64_t h_lseek(const struct req *r, long num)
{
	int fd;
	TRY(arg_fd(r, 0, &fd));
	return sys(r, num, fd, (long)r->a[1], (long)r->a[2], 0, 0, 0);
}

static int64_t h_ioctl(const struct req *r, long num)
{
	int fd;
	uint8_t *p;
	TRY(arg_fd(r, 0, &fd));
	if (r->a[1] != FIONBIO && r->a[1] != FIONREAD)
		return -ENOTTY;
	TRY(arg_buf(r, 2, sizeof(int), false, &p));
	int v;
	memcpy(&v, p, sizeof(v));
	long ret = sys(r, num, fd, (long)r->a[1], (long)&v, 0, 0, 0);
	memcpy(p, &v, sizeof(v));
	return ret;
}

static int64_t h_nanosleep(const struct req *r, long num)
{
	uint8_t *req, *rem;
	struct timespec a, b = {0};
	TRY(arg_buf(r, 0, sizeof(a), false, &req));
	TRY(arg_buf(r, 1, sizeof(b), true, &rem));
	memcpy(&a, req, sizeof(a));
	long ret = sys(r, num, (long)&a, (long)&b, 0, 0, 0, 0);
	if (rem)
		memcpy(rem, &b, sizeof(b));
	return ret;
}

static int64_t h_socket(const struct req *r, long num)
{
	uint64_t dom = r->a[0];
	if (dom != AF_INET && dom != AF_INET6)
		return -EAFNOSUPPORT;
	if (new_guest_fd(r->h) < 0)
		return -EMFILE;
	return adopt_fd(r->h, sys(r, num, (long)dom, (long)r->a[1], (long)r->a[2], 0, 0, 0));
}

/* connect, bind: fd, sockaddr in, its length. */
static int64_t h_sockaddr_in(const struct req *r, long num)
{
	int fd;
	uint8_t *p;
	TRY(arg_fd(r, 0, &fd));
	if (r->a[2] > sizeof(struct sockaddr_storage))
		return -EINVAL;
	TRY(arg_buf(r, 1, r->a[2], false, &p));
	return sys(r, num, fd, (long)p, (long)r->a[2], 0, 0, 0);
}

/* An optional (sockaddr out, socklen inout) pair at args i, i+1. */
static int addr_out(const struct req *r, int i, uint8_t **addr, uint8_t **lenp, uint32_t *len)
{
	*len = 0;
	TRY(arg_len32(r, i + 1, lenp, len));
	if (!*lenp) {
		*addr = NULL;
		return r->a[i] == SP_NULL ? 0 : -EFAULT;
	}
	return arg_buf(r, i, *len, false, addr);
}

static int64_t h_accept(const struct req *r, long num)
{
	int fd;
	uint8_t *addr, *lenp;
	uint32_t len;
	TRY(arg_fd(r, 0, &fd));
	TRY(addr_out(r, 1, &addr, &lenp, &len));
	if (new_guest_fd(r->h) < 0)
		return -EMFILE;
	long flags = num == SYS_accept4 ? (long)r->a[3] : 0;
	long ret = sys(r, SYS_accept4, fd, (long)addr, lenp ? (long)&len : 0, flags, 0, 0);
	if (ret >= 0 && lenp)
		memcpy(lenp, &len, sizeof(len));
	return adopt_fd(r->h, ret);
}

static int64_t h_sockname(const struct req *r, long num)
{
	int fd;
	uint8_t *addr, *lenp;
	uint32_t len;
	TRY(arg_fd(r, 0, &fd));
	TRY(addr_out(r, 1, &addr, &lenp, &len));
	if (!lenp)
		return -EFAULT;
	long ret = sys(r, num, fd, (long)addr, (long)&len, 0, 0, 0);
	if (ret >= 0)
		memcpy(lenp, &len, sizeof(len));
	return ret;
}

static int64_t h_sendto(const struct req *r, long num)
{
	int fd;
	uint8_t *buf, *addr;
	TRY(arg_fd(r, 0, &fd));
	TRY(arg_buf(r, 1, r->a[2], false, &buf));
	if (r->a[5] > sizeof(struct sockaddr_storage))
		return -EINVAL;
	TRY(arg_buf(r, 4, r->a[5], true, &addr));
	return sys(r, num, fd, (long)buf, (long)r->a[2], (long)r->a[3], (long)addr,
	           addr ? (long)r->a[5] : 0);
}

static int64_t h_recvfrom(const struct req *r, long num)
{
	int fd;
	uint8_t *buf, *addr, *lenp;
	uint32_t len;
	TRY(arg_fd(r, 0, &fd));
	TRY(arg_buf(r, 1, r->a[2], false, &buf));
	TRY(addr_out(r, 4, &addr, &lenp, &len));
	long ret = sys(r, num, fd, (long)buf, (long)r->a[2], (long)r->a[3], (long)addr,
	               lenp ? (long)&len : 0);
	if (ret >= 0 && lenp)
		memcpy(lenp, &len, sizeof(len));
	return ret;
}

/* listen, shutdown: fd and one integer. */
static int64_t h_fd_int(const struct req *r, long num)
{
	int fd;
	TRY(arg_fd(r, 0, &fd));
	return sys(r, num, fd, (long)r->a[1], 0, 0, 0, 0);
}

static int64_t h_setsockopt(const struct req *r, long num)
{
	int fd;
	uint8_t *p;
	TRY(arg_fd(r, 0, &fd));
	if (r->a[4] > 256)
		return -EINVAL;
	TRY(arg_buf(r, 3, r->a[4], false, &p));
	return sys(r, num, fd, (long)r->a[1], (long)r->a[2], (long)p, (long)r->a[4], 0);
}

static int64_t h_getsockopt(const struct req *r, long num)
{
	int fd;
	uint8_t *val, *lenp;
	uint32_t len;
	TRY(arg_fd(r, 0, &fd));
	TRY(addr_out(r, 3, &val, &lenp, &len));
	if (!lenp)
		return -EFAULT;
	long ret = sys(r, num, fd, (long)r->a[1], (long)r->a[2], (long)val, (long)&len, 0);
	if (ret >= 0)
		memcpy(lenp, &len, sizeof(len));
	return ret;
}

static int64_t h_fcntl(const struct req *r, long num)
{
	int fd;
	TRY(arg_fd(r, 0, &fd));
	switch (r->a[1]) {
	case F_GETFD:
	case F_SETFD:
	case F_GETFL:
	case F_SETFL: return sys(r, num, fd, (long)r->a[1], (long)r->a[2], 0, 0, 0);
	default: return -EINVAL;
	}
}

static int64_t h_clock(const struct req *r, long num)
{
	uint8_t *p;
	TRY(arg_buf(r, 1, sizeof(struct timespec), num == SYS_clock_getres, &p));
	return sys(r, num, (long)r->a[0], (long)p, 0, 0, 0, 0);
}

static int64_t h_dup(const struct req *r, long num)
{
	int fd;
	TRY(arg_fd(r, 0, &fd));
	if (new_guest_fd(r->h) < 0)
		return -EMFILE;
	return adopt_fd(r->h, sys(r, SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0, 0, 0, 0));
}

/* A NUL-terminated relative path in the data area: no absolute paths, no
 * "..": resolution stays beneath the Keep's directory fd (RESOLVE_BENEATH
 * enforces it again in the kernel, symlinks included). */
static int arg_path(const struct req *r, int i, uint64_t len, const char **out)
{
	uint8_t *p;
	if (len == 0 || len > 4096)
		return -ENAMETOOLONG;
	TRY(arg_buf(r, i, len, false, &p));
	if (!memchr(p, 0, len))
		return -EFAULT;
	*out = (const char *)p;
	return 0;
}

/* A host directory named by absolute path, for a preopen: read-only
 * directory opens only (what the Keep may then reach beneath it is confined
 * by RESOLVE_BENEATH on every later call). */
static int64_t open_abs_dir(const struct req *r, const char *path)
{
	uint64_t fl = r->a[2];
	bool dir_only = (fl & O_DIRECTORY) && (fl & O_TMPFILE) != O_TMPFILE;
	if ((fl & O_ACCMODE) != O_RDONLY || !dir_only || (fl & (O_CREAT | O_TRUNC)))
		return -EACCES;
	if (new_guest_fd(r->h) < 0)
		return -EMFILE;
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_NO_MAGICLINKS};
	return adopt_fd(r->h,
	                sys(r, SYS_openat2, AT_FDCWD, (long)path, (long)&how, sizeof(how), 0, 0));
}

static int64_t h_openat(const struct req *r, long num)
{
	int dfd;
	const char *path;
	/* arg 4 carries the path's length in the block (not a Linux arg). */
	if ((int)r->a[0] == AT_FDCWD) {
		TRY(arg_path(r, 1, r->a[4], &path));
		return path[0] == '/' ? open_abs_dir(r, path) : -EBADF;
	}
	TRY(arg_fd(r, 0, &dfd));
	TRY(arg_path(r, 1, r->a[4], &path));
	if (new_guest_fd(r->h) < 0)
		return -EMFILE;
	struct open_how how = {
	    .flags = r->a[2] | O_CLOEXEC,
	    .mode = (r->a[2] & (O_CREAT | O_TMPFILE)) ? r->a[3] & 07777 : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return adopt_fd(r->h, sys(r, SYS_openat2, dfd, (long)path, (long)&how, sizeof(how), 0, 0));
}

/* (dirfd, relative path) -> (parent dir fd opened beneath dirfd, last
 * component). The parent is resolved with RESOLVE_BENEATH, so symlinks and
 * ".." in the path cannot leave dirfd; the last component is a plain name
 * the *at call acts on without following it out. Closes nothing on error;
 * *parent must be closed by the caller on success. */
static int beneath(const struct req *r, int dfd_arg, int path_arg, uint64_t plen, int *parent,
                   char *base, size_t base_size)
{
	int dfd;
	const char *path;
	char dir[4096];
	TRY(arg_fd(r, dfd_arg, &dfd));
	TRY(arg_path(r, path_arg, plen, &path));
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--; /* "a/b/" names b */
	if (n == 0 || path[0] == '/')
		return -EXDEV;
	const char *slash = memrchr(path, '/', n);
	size_t blen = slash ? n - (size_t)(slash + 1 - path) : n;
	if (blen == 0 || blen >= base_size)
		return -ENAMETOOLONG;
	memcpy(base, slash ? slash + 1 : path, blen);
	base[blen] = 0;
	if (!strcmp(base, "..") || !strcmp(base, "."))
		return -EXDEV;
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	if (dlen == 0) {
		memcpy(dir, ".", 2);
	} else {
		memcpy(dir, path, dlen);
		dir[dlen] = 0;
	}
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	long fd = sys(r, SYS_openat2, dfd, (long)dir, (long)&how, sizeof(how), 0, 0);
	if (fd < 0)
		return (int)fd;
	*parent = (int)fd;
	return 0;
}

/* Path lengths ride in argument 5 (two of them packed as lo | hi << 32). */
static uint64_t plen_lo(const struct req *r)
{
	return r->a[5] & 0xffffffff;
}

static uint64_t plen_hi(const struct req *r)
{
	return r->a[5] >> 32;
}

static int64_t h_mkdirat(const struct req *r, long num)
{
	int p;
	char base[256];
	TRY(beneath(r, 0, 1, plen_lo(r), &p, base, sizeof(base)));
	long ret = sys(r, num, p, (long)base, (long)(r->a[2] & 07777), 0, 0, 0);
	close(p);
	return ret;
}

static int64_t h_unlinkat(const struct req *r, long num)
{
	int p;
	char base[256];
	if (r->a[2] & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	TRY(beneath(r, 0, 1, plen_lo(r), &p, base, sizeof(base)));
	long ret = sys(r, num, p, (long)base, (long)r->a[2], 0, 0, 0);
	close(p);
	return ret;
}

/* renameat2 and linkat: (olddfd, old, newdfd, new, flags). */
static int64_t h_two_paths(const struct req *r, long num)
{
	int p1, p2;
	char b1[256], b2[256];
	uint64_t fl = r->a[4];
	if (num == SYS_linkat ? fl != 0 : (fl & ~(uint64_t)(RENAME_NOREPLACE | RENAME_EXCHANGE)))
		return -EINVAL; /* no following links out, no AT_EMPTY_PATH */
	TRY(beneath(r, 0, 1, plen_lo(r), &p1, b1, sizeof(b1)));
	int e = beneath(r, 2, 3, plen_hi(r), &p2, b2, sizeof(b2));
	if (e) {
		close(p1);
		return e;
	}
	long ret = num == SYS_linkat
	               ? sys(r, num, p1, (long)b1, p2, (long)b2, 0, 0)
	               : sys(r, SYS_renameat2, p1, (long)b1, p2, (long)b2, (long)fl, 0);
	close(p1);
	close(p2);
	return ret;
}

/* symlinkat(target, newdfd, linkpath): the target is only stored, never
 * resolved here; every later host lookup stays beneath its directory. */
static int64_t h_symlinkat(const struct req *r, long num)
{
	const char *target;
	int p;
	char base[256];
	TRY(arg_path(r, 0, plen_lo(r), &target));
	TRY(beneath(r, 1, 2, plen_hi(r), &p, base, sizeof(base)));
	long ret = sys(r, num, (long)target, p, (long)base, 0, 0, 0);
	close(p);
	return ret;
}

static int64_t h_readlinkat(const struct req *r, long num)
{
	int p;
	char base[256];
	uint8_t *buf;
	TRY(arg_buf(r, 2, r->a[3], false, &buf));
	TRY(beneath(r, 0, 1, plen_lo(r), &p, base, sizeof(base)));
	long ret = sys(r, num, p, (long)base, (long)buf, (long)r->a[3], 0, 0);
	close(p);
	return ret;
}

/* newfstatat: the last component is followed only through openat2 beneath
 * dirfd; AT_EMPTY_PATH with "" is fstat of dirfd. */
static int64_t h_fstatat(const struct req *r, long num)
{
	int dfd, p;
	uint8_t *st;
	const char *path;
	char base[256];
	TRY(arg_fd(r, 0, &dfd));
	TRY(arg_buf(r, 2, sizeof(struct stat), false, &st));
	TRY(arg_path(r, 1, plen_lo(r), &path));
	if (!path[0])
		return (r->a[3] & AT_EMPTY_PATH) ? sys(r, SYS_fstat, dfd, (long)st, 0, 0, 0, 0)
		                                 : -ENOENT;
	if (r->a[3] & AT_SYMLINK_NOFOLLOW) {
		TRY(beneath(r, 0, 1, plen_lo(r), &p, base, sizeof(base)));
		long ret = sys(r, num, p, (long)base, (long)st, AT_SYMLINK_NOFOLLOW, 0, 0);
		close(p);
		return ret;
	}
	if (path[0] == '/')
		return -EXDEV;
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	long fd = sys(r, SYS_openat2, dfd, (long)path, (long)&how, sizeof(how), 0, 0);
	if (fd < 0)
		return fd;
	long ret = sys(r, SYS_fstat, fd, (long)st, 0, 0, 0, 0);
	close((int)fd);
	return ret;
}

static int64_t h_utimensat(const struct req *r, long num)
{
	int dfd, p;
	uint8_t *times;
	char base[256];
	TRY(arg_fd(r, 0, &dfd));
	TRY(arg_buf(r, 2, 2 * sizeof(struct timespec), true, &times));
	if (r->a[1] == SP_NULL)
		return sys(r, num, dfd, 0, (long)times, 0, 0, 0);
	TRY(beneath(r, 0, 1, plen_lo(r), &p, base, sizeof(base)));
	long ret = sys(r, num, p, (long)base, (long)times, AT_SYMLINK_NOFOLLOW, 0, 0);
	close(p);
	return ret;
}

/* pread64/pwrite64: read's shape plus an offset. */
static int64_t h_pread(const struct req *r, long num)
{
	int fd;
	uint8_t *p;
	TRY(arg_fd(r, 0, &fd));
	TRY(arg_buf(r, 1, r->a[2], false, &p));
	return sys(r, num, fd, (long)p, (long)r->a[2], (long)r->a[3], 0, 0);
}

/* openat2: the Keep's own resolve flags plus RESOLVE_BENEATH, always. */
static int64_t h_openat2(const struct req *r, long num)
{
	int dfd;
	const char *path;
	uint8_t *hw;
	struct open_how how;
	TRY(arg_buf(r, 2, sizeof(how), false, &hw));
	memcpy(&how, hw, sizeof(how));
	TRY(arg_path(r, 1, plen_lo(r), &path));
	if ((int)r->a[0] == AT_FDCWD) {
		struct req q = *r;
		q.a[2] = how.flags;
		return path[0] == '/' ? open_abs_dir(&q, path) : -EBADF;
	}
	TRY(arg_fd(r, 0, &dfd));
	if (new_guest_fd(r->h) < 0)
		return -EMFILE;
	how.flags |= O_CLOEXEC;
	how.mode = (how.flags & (O_CREAT | O_TMPFILE)) ? how.mode & 07777 : 0;
	how.resolve |= RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return adopt_fd(r->h, sys(r, num, dfd, (long)path, (long)&how, sizeof(how), 0, 0));
}

static int64_t h_getdents(const struct req *r, long num)
{
	return h_read(r, num);
}

static int64_t h_exit_group(const struct req *r, long num)
{
	r->h->exit_code = (int)(r->a[0] & 0xff);
	return 0;
}

typedef int64_t (*handler_fn)(const struct req *r, long num);

/* The HOST_DO rows of keep/syscalls.def, each served by h_<name>; rows of
 * the same shape share a handler. A row without a handler fails the build,
 * and so does a handler without a row (an unused static function). */
#define h_write h_read /* fd, buffer of a[2] bytes, count */
#define h_connect h_sockaddr_in
#define h_bind h_sockaddr_in
#define h_accept4 h_accept
#define h_getsockname h_sockname
#define h_getpeername h_sockname
#define h_listen h_fd_int
#define h_shutdown h_fd_int
#define h_fsync h_fd_int
#define h_fdatasync h_fd_int
#define h_ftruncate h_fd_int
#define h_clock_gettime h_clock
#define h_clock_getres h_clock
#define h_getdents64 h_getdents
#define h_pread64 h_pread
#define h_pwrite64 h_pread
#define h_renameat2 h_two_paths
#define h_linkat h_two_paths
#define h_newfstatat h_fstatat

/* The host column of each row, as a case of the switch below. */
/* clang-format off */
#define HOST_DO(name, nr) case nr: return h_##name;
#define HOST_NO(name, nr)
/* clang-format on */

static handler_fn handler_for(uint64_t num)
{
	switch (num) {
#define X(name, nr, nil, shim, host) host(name, nr)
#include "keep/syscalls.def"
#undef X
	default: return NULL;
	}
}

/* ---- block walking ------------------------------------------------------ */

static int bad_block(struct sp_host *h, size_t off, const char *what)
{
	snprintf(h->err, sizeof(h->err), "sallyport block: %s at offset %zu", what, off);
	return ENARX_E_MALFORMED;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int do_syscall_item(struct sp_host *h, uint8_t *payload, size_t size)
{
	struct sp_syscall sc;
	memcpy(&sc, payload, sizeof(sc)); /* read once: the guest may not change it later */
	struct req r = {.h = h, .data = payload + sizeof(sc), .dlen = size - sizeof(sc)};
	memcpy(r.a, sc.arg, sizeof(r.a));
	handler_fn fn = handler_for(sc.num);
	int64_t ret = fn ? fn(&r, (long)sc.num) : -ENOSYS;
	if (!fn || ret == -EFAULT || ret == -EBADF || ret == -EAFNOSUPPORT)
		h->refused++;
	put_u64(payload + offsetof(struct sp_syscall, ret), (uint64_t)ret);
	put_u64(payload + offsetof(struct sp_syscall, ret) + 8, 0);
	return sc.num == SYS_exit_group ? SP_HOST_EXIT : SP_HOST_CONTINUE;
}

static int do_enarxcall_item(struct sp_host *h, uint8_t *payload, size_t size)
{
	struct sp_enarxcall ec;
	memcpy(&ec, payload, sizeof(ec));
	uint8_t *data = payload + sizeof(ec);
	size_t dlen = size - sizeof(ec);
	int64_t ret = -ENOSYS;
	if (h->ecall) {
		/* The data-area window of arg0/arg1 is validated here, once. */
		if (range_ok(ec.arg[0], ec.arg[1], dlen))
			ret = h->ecall(h->ecall_ctx, ec.num, ec.arg, data + ec.arg[0], ec.arg[1]);
		else
			ret = -EFAULT;
	}
	if (ret == -ENOSYS || ret == -EFAULT)
		h->refused++;
	put_u64(payload + offsetof(struct sp_enarxcall, ret), (uint64_t)ret);
	return ec.num == SP_ENARX_FAULT && ret >= 0 ? SP_HOST_EXIT : SP_HOST_CONTINUE;
}

int sp_host_handle(struct sp_host *h, uint8_t *block, size_t len)
{
	size_t off = 0;
	h->err[0] = 0;
	for (;;) {
		struct sp_header hd;
		if (!range_ok(off, sizeof(hd), len))
			return bad_block(h, off, "no END item");
		memcpy(&hd, block + off, sizeof(hd));
		off += sizeof(hd);
		if (hd.kind == SP_ITEM_END)
			return SP_HOST_CONTINUE;
		if (hd.size % SP_ALIGN)
			return bad_block(h, off, "item size not a multiple of 8");
		if (!range_ok(off, hd.size, len))
			return bad_block(h, off, "item runs past the block");
		uint8_t *payload = block + off;
		int rc = SP_HOST_CONTINUE;
		if (hd.kind == SP_ITEM_SYSCALL) {
			if (hd.size < sizeof(struct sp_syscall))
				return bad_block(h, off, "syscall item too short");
			rc = do_syscall_item(h, payload, hd.size);
		} else if (hd.kind == SP_ITEM_ENARXCALL) {
			if (hd.size < sizeof(struct sp_enarxcall))
				return bad_block(h, off, "enarx call item too short");
			rc = do_enarxcall_item(h, payload, hd.size);
		} else {
			h->refused++; /* unknown kinds are skipped by size */
		}
		h->items++;
		if (rc != SP_HOST_CONTINUE)
			return rc;
		off += hd.size;
	}
}
