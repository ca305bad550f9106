/* SPDX-License-Identifier: Apache-2.0 */
/* Path resolution beneath a directory. The fast way is openat2() with
 * RESOLVE_BENEATH, where the kernel refuses "..", absolute paths and
 * symlinks that would leave the directory. Where openat2 is missing (old
 * kernels, or a Keep shim that does not forward it) a portable resolver
 * walks one component at a time with O_NOFOLLOW, keeps its own stack of
 * directories for "..", and expands symlinks itself, refusing absolute
 * targets and any climb above the start. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "wasi/wasi_int.h"

#define MAX_SYMLINKS 40
#define MAX_DEPTH 4096

static int try_openat2(int dirfd, const char *path, int flags, mode_t mode, int follow)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (flags & O_CREAT)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	do {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	} while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	return fd < 0 ? -errno : (int)fd;
}

/* Directory stack of the portable resolver (heap-grown, never guest-sized
 * on the stack). The bottom is the start directory, which is not ours. */
struct walk {
	int *fds;
	size_t n, cap;
};

static int walk_push(struct walk *wk, int fd)
{
	int *g;

	if (wk->n >= MAX_DEPTH)
		return -ENAMETOOLONG;
	if (wk->n == wk->cap) {
		g = xreallocarray(wk->fds, wk->cap ? wk->cap * 2 : 16, sizeof(int));
		if (!g)
			return -ENOMEM;
		wk->fds = g;
		wk->cap = wk->cap ? wk->cap * 2 : 16;
	}
	wk->fds[wk->n++] = fd;
	return 0;
}

static void walk_free(struct walk *wk)
{
	for (size_t i = 1; i < wk->n; i++)
		close(wk->fds[i]);
	xfree(wk->fds);
}

/* Replaces the resolver's remaining path with target + "/" + rest. */
static int path_splice(char **rem, const char *target, const char *rest)
{
	size_t tl = strlen(target), rl = strlen(rest);
	char *s;

	if (target[0] == '/')
		return -EXDEV; /* absolute symlink: would leave the sandbox */
	s = xmalloc(tl + rl + 2);
	if (!s)
		return -ENOMEM;
	memcpy(s, target, tl);
	s[tl] = rl ? '/' : 0; /* no rest: the link target is the last part */
	memcpy(s + tl + (rl ? 1 : 0), rest, rl + 1);
	xfree(*rem);
	*rem = s;
	return 0;
}

/* Reads the symlink dir/name into a heap string; -EINVAL if not a link. */
static int read_link(int dir, const char *name, char **out)
{
	size_t cap = 256;
	char *b = NULL, *g;
	ssize_t n;

	for (;;) {
		g = xrealloc(b, cap);
		if (!g) {
			xfree(b);
			return -ENOMEM;
		}
		b = g;
		n = readlinkat(dir, name, b, cap);
		if (n < 0) {
			xfree(b);
			return -errno;
		}
		if ((size_t)n < cap)
			break;
		if (cap >= 65536) {
			xfree(b);
			return -ENAMETOOLONG;
		}
		cap *= 2;
	}
	b[n] = 0;
	*out = b;
	return 0;
}

static int portable_open(int dirfd, const char *path, int flags, mode_t mode, int follow)
{
	struct walk wk = {0};
	char *rem = xstrdup(path), *comp, *slash, *target = NULL;
	int links = 0, fd = -1, rc, cur, last, want_dir = 0;
	size_t len;

	if (!rem)
		return -ENOMEM;
	if (path[0] == '/') {
		rc = -EXDEV;
		goto out;
	}
	rc = walk_push(&wk, dirfd);
	if (rc)
		goto out;
	comp = rem;
	for (;;) {
		while (*comp == '/')
			comp++;
		slash = strchr(comp, '/');
		if (slash)
			*slash = 0;
		len = strlen(comp);
		/* the last component: nothing but slashes after it */
		last = 1;
		if (slash) {
			for (char *q = slash + 1; *q; q++)
				if (*q != '/') {
					last = 0;
					break;
				}
			if (last)
				want_dir = 1;
		}
		cur = wk.fds[wk.n - 1];
		if (len == 0 || strcmp(comp, ".") == 0) {
			if (last) {
				fd = openat(cur, ".", flags | O_CLOEXEC, mode);
				rc = fd < 0 ? -errno : 0;
				goto out;
			}
			comp = slash + 1;
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			if (wk.n == 1) {
				rc = -EXDEV; /* would climb above the start */
				goto out;
			}
			close(wk.fds[--wk.n]);
			if (last) {
				fd = openat(wk.fds[wk.n - 1], ".", flags | O_CLOEXEC, mode);
				rc = fd < 0 ? -errno : 0;
				goto out;
			}
			comp = slash + 1;
			continue;
		}
		if (!last || follow) {
			rc = read_link(cur, comp, &target);
			if (rc == 0) {
				if (++links > MAX_SYMLINKS) {
					xfree(target);
					rc = -ELOOP;
					goto out;
				}
				rc = path_splice(&rem, target,
				                 last ? (want_dir ? "/" : "") : slash + 1);
				xfree(target);
				if (rc)
					goto out;
				comp = rem;
				continue;
			}
		}
		if (last) {
			fd = openat(cur, comp,
			            flags | O_CLOEXEC | O_NOFOLLOW | (want_dir ? O_DIRECTORY : 0),
			            mode);
			rc = fd < 0 ? -errno : 0;
			goto out;
		}
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			goto out;
		}
		rc = walk_push(&wk, fd);
		if (rc) {
			close(fd);
			fd = -1;
			goto out;
		}
		fd = -1;
		comp = slash + 1;
	}
out:
	walk_free(&wk);
	xfree(rem);
	return rc ? rc : fd;
}

/* Host error of a resolution -> WASI errno: an escape is "not capable". */
static int resolve_errno(int neg)
{
	return neg == -EXDEV ? W_ENOTCAPABLE : werrno(-neg);
}

int wpath_open(struct wasi *w, int dirfd, const char *path, int flags, mode_t mode, int follow)
{
	int fd = -ENOSYS;

	if (path[0] == '/')
		return -W_ENOTCAPABLE;
	if (!w->no_openat2) {
		fd = try_openat2(dirfd, path, flags, mode, follow);
		if (fd == -ENOSYS)
			w->no_openat2 = 1;
	}
	if (w->no_openat2)
		fd = portable_open(dirfd, path, flags, mode, follow);
	return fd >= 0 ? fd : -resolve_errno(fd);
}

int wpath_parent(struct wasi *w, int dirfd, char *path, const char **last)
{
	size_t n = strlen(path);
	char *slash;
	int fd;

	while (n > 1 && path[n - 1] == '/')
		path[--n] = 0;
	if (n == 0)
		return -W_ENOENT;
	if (path[0] == '/')
		return -W_ENOTCAPABLE;
	slash = strrchr(path, '/');
	if (strcmp(slash ? slash + 1 : path, "..") == 0) {
		/* "x/..": refuse if the whole path climbs out of dirfd. */
		fd = wpath_open(w, dirfd, path, O_PATH | O_DIRECTORY, 0, 1);
		if (fd == -W_ENOTCAPABLE)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	if (!slash) {
		*last = path;
		return wpath_open(w, dirfd, ".", O_PATH | O_DIRECTORY, 0, 0);
	}
	*slash = 0;
	*last = slash + 1;
	fd = wpath_open(w, dirfd, path, O_PATH | O_DIRECTORY, 0, 1);
	return fd;
}
