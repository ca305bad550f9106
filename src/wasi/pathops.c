/* SPDX-License-Identifier: Apache-2.0 */
/* path_* functions. Each resolves its path beneath the directory fd it was
 * given (path.c) and then acts on the last component with an *at() call
 * that does not follow symlinks, so nothing outside a preopen is touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "wasi/wasi_int.h"

/* A resolved "parent dir + last component" of a guest path. */
struct wparent {
	char *path;       /* heap copy of the guest path */
	const char *last; /* into path */
	int dir;          /* host O_PATH fd of the parent, or -1 */
};

static void parent_free(struct wparent *p)
{
	if (p->dir >= 0)
		close(p->dir);
	xfree(p->path);
}

/* Looks up fd with `rights`, copies the path and resolves its parent. */
static int parent_get(struct wasi *w, const struct wmem *m, uint64_t fd, uint64_t rights,
                      uint64_t addr, uint64_t len, struct wparent *out)
{
	struct wfd *e;
	int rc = wfd_get(w, fd, rights, &e);

	out->path = NULL;
	out->dir = -1;
	if (rc)
		return rc;
	if (e->type != W_FT_DIR || e->impl != WFD_HOST)
		return W_ENOTDIR;
	rc = wpath_dup(m, addr, len, &out->path);
	if (rc)
		return rc;
	out->dir = wpath_parent(w, e->host, out->path, &out->last);
	if (out->dir < 0) {
		rc = -out->dir;
		out->dir = -1;
		parent_free(out);
		return rc;
	}
	return 0;
}

/* Opens the whole path beneath fd (for stat-like calls). */
static int open_beneath(struct wasi *w, const struct wmem *m, uint64_t fd, uint64_t rights,
                        uint64_t addr, uint64_t len, int flags, int follow, int *out)
{
	struct wfd *e;
	char *path;
	int rc = wfd_get(w, fd, rights, &e);

	if (rc)
		return rc;
	if (e->type != W_FT_DIR || e->impl != WFD_HOST)
		return W_ENOTDIR;
	rc = wpath_dup(m, addr, len, &path);
	if (rc)
		return rc;
	if (!path[0]) {
		xfree(path);
		return W_ENOENT;
	}
	*out = wpath_open(w, e->host, path, flags, 0, follow);
	xfree(path);
	return *out < 0 ? -*out : 0;
}

WASI_FN(path_create_directory)
{
	struct wparent p;
	int rc = parent_get(w, m, a[0], W_R_PATH_CREATE_DIRECTORY, a[1], a[2], &p);

	if (rc)
		return rc;
	rc = mkdirat(p.dir, p.last, 0777) ? werrno(errno) : 0;
	parent_free(&p);
	return rc;
}

WASI_FN(path_remove_directory)
{
	struct wparent p;
	int rc = parent_get(w, m, a[0], W_R_PATH_REMOVE_DIRECTORY, a[1], a[2], &p);

	if (rc)
		return rc;
	rc = unlinkat(p.dir, p.last, AT_REMOVEDIR) ? werrno(errno) : 0;
	parent_free(&p);
	return rc;
}

WASI_FN(path_unlink_file)
{
	struct wparent p;
	size_t n;
	int rc;

	rc = parent_get(w, m, a[0], W_R_PATH_UNLINK_FILE, a[1], a[2], &p);
	if (rc)
		return rc;
	/* "file/" names a directory: unlink must fail as POSIX says. */
	n = a[2];
	if (n && wptr(m, a[1], n)[n - 1] == '/') {
		struct stat st;

		if (fstatat(p.dir, p.last, &st, AT_SYMLINK_NOFOLLOW) == 0)
			rc = S_ISDIR(st.st_mode) ? W_EISDIR : W_ENOTDIR;
		else
			rc = werrno(errno);
	} else {
		rc = unlinkat(p.dir, p.last, 0) ? werrno(errno) : 0;
	}
	parent_free(&p);
	return rc;
}

WASI_FN(path_filestat_get)
{
	struct stat st;
	struct wfd *e;
	int fd, rc;

	if (wfd_get(w, a[0], W_R_PATH_FILESTAT_GET, &e) == 0 && e->impl == WFD_MEM)
		return wasi__mem_path_filestat(e, m, a);
	rc = open_beneath(w, m, a[0], W_R_PATH_FILESTAT_GET, a[2], a[3], O_PATH,
	                  (a[1] & W_LOOKUP_SYMLINK_FOLLOW) != 0, &fd);
	if (rc)
		return rc;
	rc = fstat(fd, &st) ? werrno(errno) : wasi__put_filestat(m, a[4], &st);
	close(fd);
	return rc;
}

WASI_FN(path_filestat_set_times)
{
	struct timespec ts[2];
	struct wparent p;
	int rc = wasi__times(a[4], a[5], a[6], ts), fd;

	if (rc)
		return rc;
	if (a[1] & W_LOOKUP_SYMLINK_FOLLOW) {
		rc = open_beneath(w, m, a[0], W_R_PATH_FILESTAT_SET_TIMES, a[2], a[3],
		                  O_RDONLY | O_NONBLOCK, 1, &fd);
		if (rc)
			return rc;
		rc = futimens(fd, ts) ? werrno(errno) : 0;
		close(fd);
		return rc;
	}
	rc = parent_get(w, m, a[0], W_R_PATH_FILESTAT_SET_TIMES, a[2], a[3], &p);
	if (rc)
		return rc;
	rc = utimensat(p.dir, p.last, ts, AT_SYMLINK_NOFOLLOW) ? werrno(errno) : 0;
	parent_free(&p);
	return rc;
}

WASI_FN(path_readlink)
{
	struct wparent p;
	uint8_t *buf = wptr(m, a[3], a[4]);
	uint64_t cap;
	char *tmp;
	ssize_t n;
	int rc;

	if (!buf || !wptr(m, a[5], 4))
		return W_EFAULT;
	rc = parent_get(w, m, a[0], W_R_PATH_READLINK, a[1], a[2], &p);
	if (rc)
		return rc;
	/* Read into a heap buffer one byte larger, to see truncation; link
	 * targets are at most PATH_MAX, so the guest's size is capped (it may
	 * be 4 GiB). */
	cap = a[4] < 65536 ? a[4] : 65536;
	tmp = xmalloc(cap + 1);
	if (!tmp) {
		parent_free(&p);
		return W_ENOMEM;
	}
	n = readlinkat(p.dir, p.last, tmp, cap + 1);
	if (n < 0) {
		rc = werrno(errno);
	} else {
		if ((uint64_t)n > cap)
			n = (ssize_t)cap;
		memcpy(buf, tmp, (size_t)n);
		rc = wput32(m, a[5], (uint32_t)n);
	}
	xfree(tmp);
	parent_free(&p);
	return rc;
}

/* A new name with a trailing '/' cannot be a link: EEXIST if something is
 * there, else ENOENT (as Linux answers). 0 if the name has no slash. */
static int new_name_slash(const struct wmem *m, uint64_t addr, uint64_t len,
                          const struct wparent *p)
{
	struct stat st;

	if (!len || wptr(m, addr, len)[len - 1] != '/')
		return 0;
	return fstatat(p->dir, p->last, &st, AT_SYMLINK_NOFOLLOW) == 0 ? W_EEXIST : W_ENOENT;
}

WASI_FN(path_symlink)
{
	struct wparent p;
	char *target;
	int rc = wpath_dup(m, a[0], a[1], &target);

	if (rc)
		return rc;
	/* An absolute target can never resolve inside the sandbox. */
	if (target[0] == '/') {
		xfree(target);
		return W_EPERM;
	}
	rc = parent_get(w, m, a[2], W_R_PATH_SYMLINK, a[3], a[4], &p);
	if (!rc) {
		rc = new_name_slash(m, a[3], a[4], &p);
		if (!rc)
			rc = symlinkat(target, p.dir, p.last) ? werrno(errno) : 0;
		parent_free(&p);
	}
	xfree(target);
	return rc;
}

WASI_FN(path_link)
{
	struct wparent s, d;
	struct stat st;
	int rc;

	rc = parent_get(w, m, a[0], W_R_PATH_LINK_SOURCE, a[2], a[3], &s);
	if (rc)
		return rc;
	rc = parent_get(w, m, a[4], W_R_PATH_LINK_TARGET, a[5], a[6], &d);
	if (rc) {
		parent_free(&s);
		return rc;
	}
	/* Following a symlink source could link a file from outside the
	 * sandbox: that case is refused (EINVAL, as the testsuite accepts). */
	rc = new_name_slash(m, a[5], a[6], &d);
	if (rc)
		;
	else if ((a[1] & W_LOOKUP_SYMLINK_FOLLOW) &&
	         fstatat(s.dir, s.last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		rc = W_EINVAL;
	else
		rc = linkat(s.dir, s.last, d.dir, d.last, 0) ? werrno(errno) : 0;
	parent_free(&d);
	parent_free(&s);
	return rc;
}

WASI_FN(path_rename)
{
	struct wparent s, d;
	int rc;

	rc = parent_get(w, m, a[0], W_R_PATH_RENAME_SOURCE, a[1], a[2], &s);
	if (rc)
		return rc;
	rc = parent_get(w, m, a[3], W_R_PATH_RENAME_TARGET, a[4], a[5], &d);
	if (rc) {
		parent_free(&s);
		return rc;
	}
	rc = renameat(s.dir, s.last, d.dir, d.last) ? werrno(errno) : 0;
	parent_free(&d);
	parent_free(&s);
	return rc;
}

/* open(2) access mode from the rights asked for. */
static int access_mode(uint64_t base, int *is_write)
{
	const uint64_t rd = W_R_FD_READ | W_R_FD_READDIR;
	const uint64_t wr = W_R_FD_WRITE | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_SET_SIZE;
	int r = (base & rd) != 0, wt = (base & wr) != 0;

	*is_write = wt;
	if (r && wt)
		return O_RDWR;
	if (wt)
		return O_WRONLY;
	return O_RDONLY;
}

WASI_FN(path_open)
{
	uint64_t oflags = a[4], base = a[5], inh = a[6], fdflags = a[7];
	uint64_t need = W_R_PATH_OPEN;
	struct wfd *dir, e;
	struct stat st;
	char *path;
	int flags, hfd, nfd, rc, wr;

	if (oflags & ~(uint64_t)15 || fdflags & ~(uint64_t)31)
		return W_EINVAL;
	if (oflags & W_O_CREAT)
		need |= W_R_PATH_CREATE_FILE;
	if (oflags & W_O_TRUNC)
		need |= W_R_PATH_FILESTAT_SET_SIZE;
	rc = wfd_get(w, a[0], need, &dir);
	if (rc)
		return rc;
	if (dir->impl == WFD_MEM)
		return wasi__mem_open(w, m, dir, a);
	if (dir->type != W_FT_DIR || dir->impl != WFD_HOST)
		return W_ENOTDIR;
	if (!wptr(m, a[8], 4))
		return W_EFAULT;
	flags = access_mode(base & dir->inh, &wr);
	if (oflags & W_O_DIRECTORY)
		flags |= O_DIRECTORY; /* with write access the host says EISDIR */
	if ((oflags & W_O_TRUNC) && !wr)
		flags = (flags & ~O_ACCMODE) | O_WRONLY;
	if (oflags & W_O_CREAT)
		flags |= O_CREAT;
	if (oflags & W_O_EXCL)
		flags |= O_EXCL;
	if (oflags & W_O_TRUNC)
		flags |= O_TRUNC;
	if (fdflags & W_FDF_APPEND)
		flags |= O_APPEND;
	if (fdflags & W_FDF_NONBLOCK)
		flags |= O_NONBLOCK;
	if (fdflags & W_FDF_DSYNC)
		flags |= O_DSYNC;
	if (fdflags & (W_FDF_SYNC | W_FDF_RSYNC))
		flags |= O_SYNC;
	rc = wpath_dup(m, a[2], a[3], &path);
	if (rc)
		return rc;
	hfd = path[0] ? wpath_open(w, dir->host, path, flags, 0666,
	                           (a[1] & W_LOOKUP_SYMLINK_FOLLOW) != 0)
	              : -W_ENOENT;
	xfree(path);
	if (hfd < 0)
		return -hfd;
	if (fstat(hfd, &st)) {
		rc = werrno(errno);
		close(hfd);
		return rc;
	}
	memset(&e, 0, sizeof(e));
	e.impl = WFD_HOST;
	e.host = hfd;
	e.type = wfiletype(st.st_mode);
	e.base = base & dir->inh;
	e.inh = inh & dir->inh;
	if (e.type == W_FT_DIR) {
		e.base &= W_RIGHTS_DIR;
	} else {
		e.base &= W_RIGHTS_FILE;
		e.inh = 0;
		if (e.type != W_FT_REG)
			e.base &= ~(W_R_FD_SEEK | W_R_FD_TELL);
	}
	nfd = wfd_alloc(w, &e);
	if (nfd < 0) {
		close(hfd);
		return nfd == -2 ? W_EMFILE : W_ENOMEM;
	}
	return wput32(m, a[8], (uint32_t)nfd);
}
