/* SPDX-License-Identifier: Apache-2.0 */
/* fd_* functions: I/O through guest iovec arrays (copied into a heap array
 * of at most IOV_MAX entries after every range is checked), stat, seek,
 * flags, rights, readdir, renumber, prestat. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "wasi/wasi_int.h"

#define IOV_CAP 1024
#define IO_MAX 0x7ffff000u /* the most one call moves, as Linux does */

int wasi__load_iovs(const struct wmem *m, uint64_t addr, uint64_t n, struct iovec **out, int *cnt,
                    size_t *total)
{
	const uint8_t *arr = wptr(m, addr, n * 8);
	struct iovec *v;
	uint64_t i, use = n < IOV_CAP ? n : IOV_CAP;
	size_t sum = 0;
	int k = 0;

	if (n > UINT32_MAX || !arr)
		return W_EFAULT;
	v = xcalloc(use ? use : 1, sizeof(*v));
	if (!v)
		return W_ENOMEM;
	for (i = 0; i < use; i++) {
		uint32_t b = get_u32(arr + 8 * i), l = get_u32(arr + 8 * i + 4);
		uint8_t *p = wptr(m, b, l);

		if (!p) {
			xfree(v);
			return W_EFAULT;
		}
		if (l > IO_MAX - sum)
			l = (uint32_t)(IO_MAX - sum);
		v[k].iov_base = p;
		v[k].iov_len = l;
		k++;
		sum += l;
		if (sum >= IO_MAX)
			break;
	}
	*out = v;
	*cnt = k;
	*total = sum;
	return 0;
}

/* A WFD_STREAM: every iovec written; a read fills the first non-empty one
 * (as a short readv). */
static ssize_t stream_io(const struct wasi_stream *s, const struct iovec *v, int cnt, int write)
{
	ssize_t done = 0;
	long r;

	for (int i = 0; i < cnt; i++) {
		if (!v[i].iov_len)
			continue;
		r = write ? s->write(s->ctx, v[i].iov_base, v[i].iov_len)
		          : s->read(s->ctx, v[i].iov_base, v[i].iov_len);
		if (r < 0)
			return done ? done : -1;
		done += r;
		if (!write)
			break;
	}
	return done;
}

static int do_io(struct wasi *w, const struct wmem *m, const uint64_t *a, int write, int positional)
{
	uint64_t need = write ? W_R_FD_WRITE : W_R_FD_READ;
	uint64_t res_ptr = positional ? a[4] : a[3];
	struct iovec *v;
	struct wfd *e;
	size_t total;
	ssize_t n;
	int rc, cnt;

	if (positional)
		need |= W_R_FD_SEEK;
	rc = wfd_get(w, a[0], need, &e);
	if (rc)
		return rc;
	if (positional && a[3] > INT64_MAX)
		return W_EINVAL;
	rc = wasi__load_iovs(m, a[1], a[2], &v, &cnt, &total);
	if (rc)
		return rc;
	if (write && e->stdio && w->max_output && total > w->max_output - w->output) {
		xfree(v);
		snprintf(w->limit_msg, sizeof(w->limit_msg),
		         "output limit: the workload wrote more than %llu bytes to stdout and "
		         "stderr (--max-output, [limits] output)",
		         (unsigned long long)w->max_output);
		return W_LIMIT;
	}
	if (e->impl == WFD_NULL) {
		n = write ? (ssize_t)total : 0;
	} else if (wfd_stream(e)) {
		n = positional ? -ESPIPE
		    : write    ? e->ops->writev(e->obj, v, cnt, e->nonblock)
		               : e->ops->readv(e->obj, v, cnt, e->nonblock, 0);
		if (n < 0) {
			errno = (int)-n;
			n = -1;
		}
	} else if (e->impl == WFD_STREAM) {
		n = stream_io(e->stream, v, cnt, write);
		errno = EIO;
	} else if (positional) {
		n = write ? pwritev(e->host, v, cnt, (off_t)a[3])
		          : preadv(e->host, v, cnt, (off_t)a[3]);
	} else {
		n = write ? writev(e->host, v, cnt) : readv(e->host, v, cnt);
	}
	rc = n < 0 ? werrno(errno) : 0;
	if (write && e->stdio && n > 0)
		w->output += (uint64_t)n;
	xfree(v);
	if (rc)
		return rc;
	return wput32(m, res_ptr, (uint32_t)n);
}

WASI_FN(fd_read)
{
	return do_io(w, m, a, 0, 0);
}
WASI_FN(fd_write)
{
	return do_io(w, m, a, 1, 0);
}
WASI_FN(fd_pread)
{
	return do_io(w, m, a, 0, 1);
}
WASI_FN(fd_pwrite)
{
	return do_io(w, m, a, 1, 1);
}

WASI_FN(fd_close)
{
	struct wfd *e;
	int rc = wfd_get(w, a[0], 0, &e);

	if (rc)
		return rc;
	wfd_close(e);
	return 0;
}

static int host_op(struct wasi *w, uint64_t fd, uint64_t rights, int (*op)(int))
{
	struct wfd *e;
	int rc = wfd_get(w, fd, rights, &e);

	if (rc)
		return rc;
	if (e->impl != WFD_HOST)
		return 0;
	return op(e->host) ? werrno(errno) : 0;
}

WASI_FN(fd_datasync)
{
	(void)m;
	return host_op(w, a[0], W_R_FD_DATASYNC, fdatasync);
}
WASI_FN(fd_sync)
{
	(void)m;
	return host_op(w, a[0], W_R_FD_SYNC, fsync);
}

WASI_FN(fd_advise)
{
	struct wfd *e;
	int rc = wfd_get(w, a[0], W_R_FD_ADVISE, &e);

	if (rc)
		return rc;
	if (a[3] > 5 || a[1] > INT64_MAX || a[2] > INT64_MAX)
		return W_EINVAL;
	if (e->impl != WFD_HOST)
		return 0;
	/* WASI advice values 0..5 are POSIX_FADV_NORMAL..NOREUSE in order. */
	rc = posix_fadvise(e->host, (off_t)a[1], (off_t)a[2], (int)a[3]);
	return rc ? werrno(rc) : 0;
}

WASI_FN(fd_allocate)
{
	struct wfd *e;
	int rc = wfd_get(w, a[0], W_R_FD_ALLOCATE, &e);

	if (rc)
		return rc;
	if (a[1] > INT64_MAX || a[2] > INT64_MAX || a[2] == 0)
		return W_EINVAL;
	if (e->impl != WFD_HOST)
		return W_EBADF;
	rc = posix_fallocate(e->host, (off_t)a[1], (off_t)a[2]);
	return rc ? werrno(rc) : 0;
}

static uint16_t host_fdflags(const struct wfd *e)
{
	int fl;
	uint16_t r = 0;

	if (wfd_stream(e))
		return e->nonblock ? W_FDF_NONBLOCK : 0;
	if (e->impl != WFD_HOST || (fl = fcntl(e->host, F_GETFL)) < 0)
		return 0;
	if (fl & O_APPEND)
		r |= W_FDF_APPEND;
	if (fl & O_NONBLOCK)
		r |= W_FDF_NONBLOCK;
	if ((fl & O_SYNC) == O_SYNC)
		r |= W_FDF_SYNC | W_FDF_RSYNC;
	else if (fl & O_DSYNC)
		r |= W_FDF_DSYNC;
	return r;
}

WASI_FN(fd_fdstat_get)
{
	struct wfd *e;
	uint8_t *p = wptr(m, a[1], 24);
	int rc = wfd_get(w, a[0], 0, &e);

	if (rc)
		return rc;
	if (!p)
		return W_EFAULT;
	memset(p, 0, 24);
	p[0] = e->type;
	put_u16(p + 2, host_fdflags(e));
	put_u64(p + 8, e->base);
	put_u64(p + 16, e->inh);
	return 0;
}

WASI_FN(fd_fdstat_set_flags)
{
	struct wfd *e;
	int rc = wfd_get(w, a[0], W_R_FD_FDSTAT_SET_FLAGS, &e), fl;

	(void)m;
	if (rc)
		return rc;
	if (a[1] & ~(uint64_t)(W_FDF_APPEND | W_FDF_NONBLOCK))
		return W_ENOTSUP; /* the sync flags cannot change after open */
	if (e->impl != WFD_HOST)
		return 0;
	if (wfd_stream(e)) { /* the host fd stays non-blocking (wasi.h) */
		e->nonblock = (a[1] & W_FDF_NONBLOCK) != 0;
		return 0;
	}
	fl = fcntl(e->host, F_GETFL);
	if (fl < 0)
		return werrno(errno);
	fl &= ~(O_APPEND | O_NONBLOCK);
	if (a[1] & W_FDF_APPEND)
		fl |= O_APPEND;
	if (a[1] & W_FDF_NONBLOCK)
		fl |= O_NONBLOCK;
	return fcntl(e->host, F_SETFL, fl) ? werrno(errno) : 0;
}

WASI_FN(fd_fdstat_set_rights)
{
	struct wfd *e;
	int rc = wfd_get(w, a[0], 0, &e);

	(void)m;
	if (rc)
		return rc;
	/* Rights only ever shrink. */
	if ((a[1] & ~e->base) || (a[2] & ~e->inh))
		return W_ENOTCAPABLE;
	e->base = a[1];
	e->inh = a[2];
	return 0;
}

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

int wasi__put_filestat(const struct wmem *m, uint64_t addr, const struct stat *st)
{
	uint8_t *p = wptr(m, addr, 64);

	if (!p)
		return W_EFAULT;
	memset(p, 0, 64);
	put_u64(p, (uint64_t)st->st_dev);
	put_u64(p + 8, (uint64_t)st->st_ino);
	p[16] = wfiletype(st->st_mode);
	put_u64(p + 24, (uint64_t)st->st_nlink);
	put_u64(p + 32, (uint64_t)st->st_size);
	put_u64(p + 40, ts_ns(&st->st_atim));
	put_u64(p + 48, ts_ns(&st->st_mtim));
	put_u64(p + 56, ts_ns(&st->st_ctim));
	return 0;
}

WASI_FN(fd_filestat_get)
{
	struct wfd *e;
	struct stat st;
	int rc = wfd_get(w, a[0], W_R_FD_FILESTAT_GET, &e);

	if (rc)
		return rc;
	memset(&st, 0, sizeof(st));
	if (e->impl == WFD_NULL || e->impl == WFD_STREAM)
		st.st_mode = S_IFCHR | 0666;
	else if (fstat(e->host, &st))
		return werrno(errno);
	return wasi__put_filestat(m, a[1], &st);
}

WASI_FN(fd_filestat_set_size)
{
	struct wfd *e;
	int rc = wfd_get(w, a[0], W_R_FD_FILESTAT_SET_SIZE, &e);

	(void)m;
	if (rc)
		return rc;
	if (a[1] > INT64_MAX)
		return W_EINVAL;
	if (e->impl != WFD_HOST)
		return W_EINVAL;
	return ftruncate(e->host, (off_t)a[1]) ? werrno(errno) : 0;
}

int wasi__times(uint64_t atim, uint64_t mtim, uint64_t fl, struct timespec ts[2])
{
	uint64_t v[2] = {atim, mtim};

	if (fl & ~(uint64_t)15)
		return W_EINVAL;
	for (int i = 0; i < 2; i++) {
		uint64_t set = i ? W_FST_MTIM : W_FST_ATIM;
		uint64_t now = i ? W_FST_MTIM_NOW : W_FST_ATIM_NOW;

		if ((fl & set) && (fl & now))
			return W_EINVAL;
		ts[i].tv_sec = 0;
		if (fl & now) {
			ts[i].tv_nsec = UTIME_NOW;
		} else if (fl & set) {
			ts[i].tv_sec = (time_t)(v[i] / 1000000000u);
			ts[i].tv_nsec = (long)(v[i] % 1000000000u);
		} else {
			ts[i].tv_nsec = UTIME_OMIT;
		}
	}
	return 0;
}

WASI_FN(fd_filestat_set_times)
{
	struct wfd *e;
	struct timespec ts[2];
	int rc = wfd_get(w, a[0], W_R_FD_FILESTAT_SET_TIMES, &e);

	(void)m;
	if (rc)
		return rc;
	rc = wasi__times(a[1], a[2], a[3], ts);
	if (rc)
		return rc;
	if (e->impl != WFD_HOST)
		return 0;
	return futimens(e->host, ts) ? werrno(errno) : 0;
}

WASI_FN(fd_seek)
{
	static const int whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
	uint64_t need = W_R_FD_SEEK;
	struct wfd *e;
	off_t r;
	int rc;

	if (a[2] > 2)
		return W_EINVAL;
	if (a[2] == 1 && a[1] == 0)
		need = W_R_FD_TELL; /* a pure tell */
	rc = wfd_get(w, a[0], need, &e);
	if (rc)
		return rc;
	if (!wptr(m, a[3], 8))
		return W_EFAULT;
	if (e->impl == WFD_NULL)
		return wput64(m, a[3], 0); /* as lseek on /dev/null */
	if (e->impl != WFD_HOST)
		return W_ESPIPE;
	r = lseek(e->host, (off_t)(int64_t)a[1], whence[a[2]]);
	if (r < 0)
		return werrno(errno);
	return wput64(m, a[3], (uint64_t)r);
}

WASI_FN(fd_tell)
{
	struct wfd *e;
	off_t r;
	int rc = wfd_get(w, a[0], W_R_FD_TELL, &e);

	if (rc)
		return rc;
	if (e->impl == WFD_NULL)
		return wput64(m, a[1], 0);
	if (e->impl != WFD_HOST)
		return W_ESPIPE;
	r = lseek(e->host, 0, SEEK_CUR);
	if (r < 0)
		return werrno(errno);
	return wput64(m, a[1], (uint64_t)r);
}

WASI_FN(fd_prestat_get)
{
	struct wfd *e;
	uint8_t *p = wptr(m, a[1], 8);
	int rc = wfd_get(w, a[0], 0, &e);

	if (rc)
		return rc;
	if (!e->preopen)
		return W_EBADF;
	if (!p)
		return W_EFAULT;
	memset(p, 0, 8);
	put_u32(p + 4, (uint32_t)strlen(e->preopen));
	return 0;
}

WASI_FN(fd_prestat_dir_name)
{
	struct wfd *e;
	size_t n;
	uint8_t *p;
	int rc = wfd_get(w, a[0], 0, &e);

	if (rc)
		return rc;
	if (!e->preopen)
		return W_EBADF;
	n = strlen(e->preopen);
	if (a[2] < n)
		return W_ENAMETOOLONG;
	p = wptr(m, a[1], n);
	if (!p)
		return W_EFAULT;
	memcpy(p, e->preopen, n);
	return 0;
}

WASI_FN(fd_renumber)
{
	struct wfd *from, *to;
	int rc = wfd_get(w, a[0], 0, &from);

	(void)m;
	if (rc)
		return rc;
	rc = wfd_get(w, a[1], 0, &to);
	if (rc)
		return rc;
	if (from == to)
		return 0;
	wfd_close(to);
	*to = *from;
	memset(from, 0, sizeof(*from));
	from->host = -1;
	return 0;
}

/* Linux struct linux_dirent64 */
struct host_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static uint8_t dtype(unsigned char t)
{
	switch (t) {
	case DT_REG: return W_FT_REG;
	case DT_DIR: return W_FT_DIR;
	case DT_CHR: return W_FT_CHAR;
	case DT_BLK: return W_FT_BLOCK;
	case DT_LNK: return W_FT_SYMLINK;
	case DT_SOCK: return W_FT_STREAM;
	default: return W_FT_UNKNOWN;
	}
}

/* Appends bytes to the guest buffer as far as they fit. */
static void emit(uint8_t *buf, uint64_t len, uint64_t *used, const void *src, size_t n)
{
	uint64_t room = len - *used;

	if (n > room)
		n = (size_t)room;
	memcpy(buf + *used, src, n);
	*used += n;
}

WASI_FN(fd_readdir)
{
	enum { BUFSZ = 32768 };
	uint8_t *buf = wptr(m, a[1], a[2]), hdr[24];
	uint64_t used = 0, len = a[2];
	struct wfd *e;
	char *hb = NULL;
	long n;
	int rc = wfd_get(w, a[0], W_R_FD_READDIR, &e);

	if (rc)
		return rc;
	if (!buf || !wptr(m, a[4], 4))
		return W_EFAULT;
	if (e->impl != WFD_HOST || e->type != W_FT_DIR)
		return W_ENOTDIR;
	if (a[3] > INT64_MAX)
		return W_EINVAL;
	if (lseek(e->host, (off_t)a[3], SEEK_SET) < 0)
		return werrno(errno);
	hb = xmalloc(BUFSZ);
	if (!hb)
		return W_ENOMEM;
	while (used < len) {
		n = syscall(SYS_getdents64, e->host, hb, BUFSZ);
		if (n < 0) {
			rc = werrno(errno);
			goto out;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n && used < len;) {
			struct host_dirent *d = (struct host_dirent *)(hb + off);
			size_t nl = strlen(d->d_name);

			put_u64(hdr, (uint64_t)d->d_off);
			put_u64(hdr + 8, d->d_ino);
			put_u32(hdr + 16, (uint32_t)nl);
			memset(hdr + 20, 0, 4);
			hdr[20] = dtype(d->d_type);
			emit(buf, len, &used, hdr, sizeof(hdr));
			emit(buf, len, &used, d->d_name, nl);
			off += d->d_reclen;
		}
	}
	rc = 0;
out:
	xfree(hb);
	return rc ? rc : wput32(m, a[4], (uint32_t)used);
}
