/* SPDX-License-Identifier: Apache-2.0 */
/* In-memory read-only directories (memfs.h) and the WFD_MEM side of the
 * fd_* and path_* handlers: paths resolve in a flat table of names, reads
 * copy from the embedder's bytes, and nothing reaches a host call. */
#include "wasi/memfs.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wasi/wasi_int.h"

/* What the directory and its files allow: reading and looking only. */
#define MEM_RIGHTS_FILE                                                                  \
	(W_R_FD_READ | W_R_FD_SEEK | W_R_FD_TELL | W_R_FD_FILESTAT_GET | W_R_FD_ADVISE | \
	 W_R_FD_FDSTAT_SET_FLAGS)
#define MEM_RIGHTS_DIR                                                                  \
	(W_R_PATH_OPEN | W_R_FD_READDIR | W_R_PATH_FILESTAT_GET | W_R_FD_FILESTAT_GET | \
	 W_R_FD_FDSTAT_SET_FLAGS)
/* Rights a path_open may not ask for here (it gets EROFS). */
#define MEM_RIGHTS_WRITE \
	(W_R_FD_WRITE | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_SET_SIZE | W_R_FD_DATASYNC)
#define MEM_DEV 0x656e6d66u /* "enmf": a device number no host file has */

struct mfile {
	char *name;
	uint8_t *data;
	size_t len;
};

struct wasi_memdir {
	struct mfile *f;
	size_t n;
	struct timespec made; /* every time stamp */
};

struct wasi_memdir *wasi_memdir_new(void)
{
	struct wasi_memdir *d = xcalloc(1, sizeof(*d));

	if (d)
		clock_gettime(CLOCK_REALTIME, &d->made);
	return d;
}

void wasi_memdir_free(struct wasi_memdir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		if (d->f[i].data)
			explicit_bzero(d->f[i].data, d->f[i].len);
		xfree(d->f[i].data);
		xfree(d->f[i].name);
	}
	xfree(d->f);
	xfree(d);
}

size_t wasi_memdir_count(const struct wasi_memdir *d)
{
	return d ? d->n : 0;
}

/* The file called name[0..len), or -1. */
static long find(const struct wasi_memdir *d, const char *name, size_t len)
{
	for (size_t i = 0; i < d->n; i++) {
		if (strlen(d->f[i].name) == len && memcmp(d->f[i].name, name, len) == 0)
			return (long)i;
	}
	return -1;
}

int wasi_memdir_add(struct wasi_memdir *d, const char *name, const void *data, size_t len)
{
	size_t nl = name ? strlen(name) : 0;
	struct mfile *grown, f;

	if (!d || !nl || nl > WASI_MEMDIR_NAME_MAX || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || find(d, name, nl) >= 0)
		return ENARX_E_INVAL;
	f.name = xstrdup(name);
	f.data = xmalloc(len ? len : 1);
	f.len = len;
	grown = xreallocarray(d->f, d->n + 1, sizeof(*grown));
	if (!f.name || !f.data || !grown) {
		xfree(f.name);
		xfree(f.data);
		if (grown)
			d->f = grown;
		return ENARX_E_NOMEM;
	}
	if (len)
		memcpy(f.data, data, len);
	d->f = grown;
	d->f[d->n++] = f;
	return 0;
}

int wasi_add_memdir(struct wasi *w, const char *preopen, const struct wasi_memdir *d)
{
	struct wfd e;
	int fd;

	if (!d || !preopen || !*preopen)
		return ENARX_E_INVAL;
	memset(&e, 0, sizeof(e));
	e.impl = WFD_MEM;
	e.host = -1;
	e.type = W_FT_DIR;
	e.base = MEM_RIGHTS_DIR;
	e.inh = MEM_RIGHTS_DIR | MEM_RIGHTS_FILE;
	e.mdir = d;
	e.mnode = -1;
	e.preopen = xstrdup(preopen);
	if (!e.preopen)
		return ENARX_E_NOMEM;
	fd = wfd_alloc(w, &e);
	if (fd < 0) {
		xfree(e.preopen);
		return fd == -2 ? ENARX_E_OVERFLOW : ENARX_E_NOMEM;
	}
	return fd;
}

/* A path beneath the directory: -1 for the directory itself, a file's
 * index, or -(WASI errno). Flat: only "", "." and a name, in any
 * combination that stays at the top and ends at most at one file. */
static long resolve(const struct wasi_memdir *d, const char *p, size_t len)
{
	long at = -1; /* where the walk is: the directory or a file */
	size_t i = 0;

	if (!len)
		return -W_ENOENT;
	if (p[0] == '/')
		return -W_ENOTCAPABLE; /* absolute: outside the preopen */
	while (i < len) {
		size_t k = i;

		while (k < len && p[k] != '/')
			k++;
		if (k == i || (k - i == 1 && p[i] == '.')) {
			if (at >= 0)
				return -W_ENOTDIR; /* "file/" or "file/." */
		} else if (k - i == 2 && p[i] == '.' && p[i + 1] == '.') {
			return at >= 0 ? -W_ENOTDIR : -W_ENOTCAPABLE; /* up: out of it */
		} else {
			if (at >= 0)
				return -W_ENOTDIR;
			at = find(d, p + i, k - i);
			if (at < 0)
				return -W_ENOENT;
		}
		i = k + 1;
		if (k < len && k + 1 == len && at >= 0)
			return -W_ENOTDIR; /* a trailing '/' after a file */
	}
	return at;
}

static void node_stat(const struct wasi_memdir *d, long node, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = MEM_DEV;
	st->st_ino = (ino_t)(node + 2);
	st->st_mode = node < 0 ? S_IFDIR | 0500 : S_IFREG | 0400;
	st->st_nlink = node < 0 ? 2 : 1;
	st->st_size = node < 0 ? 0 : (off_t)d->f[node].len;
	st->st_atim = st->st_mtim = st->st_ctim = d->made;
}

long wasi__mem_read(struct wfd *e, const struct iovec *v, int cnt, int64_t off)
{
	const struct mfile *f;
	uint64_t pos = off < 0 ? e->mpos : (uint64_t)off;
	size_t done = 0;

	if (e->mnode < 0)
		return -W_EISDIR;
	f = &e->mdir->f[e->mnode];
	for (int i = 0; i < cnt && pos < f->len; i++) {
		size_t n = f->len - pos < v[i].iov_len ? f->len - (size_t)pos : v[i].iov_len;

		memcpy(v[i].iov_base, f->data + pos, n);
		pos += n;
		done += n;
	}
	if (off < 0)
		e->mpos = pos;
	return (long)done;
}

int wasi__mem_seek(struct wfd *e, const struct wmem *m, int64_t delta, uint64_t whence,
                   uint64_t out)
{
	int64_t base;

	if (e->mnode < 0)
		return W_EISDIR;
	base = whence == 0 ? 0 : whence == 1 ? (int64_t)e->mpos : (int64_t)e->mdir->f[e->mnode].len;
	if ((delta < 0 && base + delta < 0) || (delta > 0 && delta > INT64_MAX - base))
		return W_EINVAL;
	e->mpos = (uint64_t)(base + delta);
	return wput64(m, out, e->mpos);
}

int wasi__mem_filestat(const struct wfd *e, const struct wmem *m, uint64_t out)
{
	struct stat st;

	node_stat(e->mdir, e->mnode, &st);
	return wasi__put_filestat(m, out, &st);
}

/* One dirent (24-byte header, then the name) as far as it fits. */
static void put_dirent(uint8_t *buf, uint64_t len, uint64_t *used, uint64_t next, uint64_t ino,
                       uint8_t type, const char *name)
{
	uint8_t h[24];
	size_t nl = strlen(name), k;

	memset(h, 0, sizeof(h));
	put_u64(h, next);
	put_u64(h + 8, ino);
	put_u32(h + 16, (uint32_t)nl);
	h[20] = type;
	k = len - *used < sizeof(h) ? (size_t)(len - *used) : sizeof(h);
	memcpy(buf + *used, h, k);
	*used += k;
	k = len - *used < nl ? (size_t)(len - *used) : nl;
	memcpy(buf + *used, name, k);
	*used += k;
}

/* fd_readdir(fd, buf, len, cookie, *used): ".", "..", then the files;
 * entry i has cookie i + 1. */
int wasi__mem_readdir(const struct wfd *e, const struct wmem *m, const uint64_t *a)
{
	uint8_t *buf = wptr(m, a[1], a[2]);
	uint64_t used = 0;

	if (!buf || !wptr(m, a[4], 4))
		return W_EFAULT;
	if (e->mnode >= 0)
		return W_ENOTDIR;
	for (uint64_t i = a[3]; i < e->mdir->n + 2 && used < a[2]; i++) {
		if (i < 2)
			put_dirent(buf, a[2], &used, i + 1, 1, W_FT_DIR, i ? ".." : ".");
		else
			put_dirent(buf, a[2], &used, i + 1, i, W_FT_REG, e->mdir->f[i - 2].name);
	}
	return wput32(m, a[4], (uint32_t)used);
}

/* The node a path_* call names: dir fd a[0], path a[2], a[3]. */
static long path_node(const struct wfd *dir, const struct wmem *m, uint64_t addr, uint64_t len)
{
	const uint8_t *p = wptr(m, addr, len);

	if (!p)
		return -W_EFAULT;
	if (memchr(p, 0, len))
		return -W_EINVAL;
	return resolve(dir->mdir, (const char *)p, len);
}

/* path_open(fd, lookup, path, len, oflags, base, inh, fdflags, *fd). The
 * caller checked the rights for CREAT and TRUNC, which a memdir lacks. */
int wasi__mem_open(struct wasi *w, const struct wmem *m, const struct wfd *dir, const uint64_t *a)
{
	struct wfd e;
	long node;
	int nfd;

	if (dir->mnode >= 0)
		return W_ENOTDIR;
	if (!wptr(m, a[8], 4))
		return W_EFAULT;
	if ((a[5] & MEM_RIGHTS_WRITE) || (a[7] & (W_FDF_APPEND | W_FDF_DSYNC | W_FDF_SYNC)))
		return W_EROFS;
	node = path_node(dir, m, a[2], a[3]);
	if (node < -1)
		return (int)-node;
	if (node >= 0 && (a[4] & W_O_DIRECTORY))
		return W_ENOTDIR;
	if (a[4] & W_O_EXCL)
		return W_EEXIST; /* it exists, and nothing can be made here */
	memset(&e, 0, sizeof(e));
	e.impl = WFD_MEM;
	e.host = -1;
	e.mdir = dir->mdir;
	e.mnode = node;
	e.type = node < 0 ? W_FT_DIR : W_FT_REG;
	e.base = a[5] & dir->inh & (node < 0 ? MEM_RIGHTS_DIR : MEM_RIGHTS_FILE);
	e.inh = node < 0 ? a[6] & dir->inh : 0;
	nfd = wfd_alloc(w, &e);
	if (nfd < 0)
		return nfd == -2 ? W_EMFILE : W_ENOMEM;
	return wput32(m, a[8], (uint32_t)nfd);
}

/* path_filestat_get(fd, lookup, path, len, *filestat). */
int wasi__mem_path_filestat(const struct wfd *dir, const struct wmem *m, const uint64_t *a)
{
	struct stat st;
	long node;

	if (dir->mnode >= 0)
		return W_ENOTDIR;
	node = path_node(dir, m, a[2], a[3]);
	if (node < -1)
		return (int)-node;
	node_stat(dir->mdir, node, &st);
	return wasi__put_filestat(m, a[4], &st);
}
