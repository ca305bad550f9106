/* SPDX-License-Identifier: Apache-2.0 */
/* WASI context: the fd table with its rights, host errno mapping, checked
 * guest stores, and the binding of every preview1 function to the engine. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"
#include "wasi/wasi_int.h"

/* Most descriptors a guest may hold (bounds the fd table). */
#define WASI_MAX_FDS 4096

const struct wasi_entry wasi__entries[] = {
#define X(name, sig) {#name, sig, wasi__##name},
    WASI_FUNCS
#undef X
};
#define NENTRIES (sizeof(wasi__entries) / sizeof(wasi__entries[0]))
#define entries wasi__entries
const size_t wasi__nentries = NENTRIES;

size_t wasi_func_count(void)
{
	return NENTRIES;
}

const char *wasi_func_name(size_t i)
{
	return i < NENTRIES ? entries[i].name : NULL;
}

int werrno(int e)
{
	switch (e) {
	case 0: return 0;
	case E2BIG: return 1;
	case EACCES: return 2;
	case EADDRINUSE: return 3;
	case EADDRNOTAVAIL: return 4;
	case EAFNOSUPPORT: return 5;
	case EAGAIN: return 6;
	case EALREADY: return 7;
	case EBADF: return 8;
	case EBADMSG: return 9;
	case EBUSY: return 10;
	case ECANCELED: return 11;
	case ECHILD: return 12;
	case ECONNABORTED: return 13;
	case ECONNREFUSED: return 14;
	case ECONNRESET: return 15;
	case EDEADLK: return 16;
	case EDESTADDRREQ: return 17;
	case EDOM: return 18;
	case EDQUOT: return 19;
	case EEXIST: return 20;
	case EFAULT: return 21;
	case EFBIG: return 22;
	case EHOSTUNREACH: return 23;
	case EIDRM: return 24;
	case EILSEQ: return 25;
	case EINPROGRESS: return 26;
	case EINTR: return 27;
	case EINVAL: return 28;
	case EIO: return 29;
	case EISCONN: return 30;
	case EISDIR: return 31;
	case ELOOP: return 32;
	case EMFILE: return 33;
	case EMLINK: return 34;
	case EMSGSIZE: return 35;
	case EMULTIHOP: return 36;
	case ENAMETOOLONG: return 37;
	case ENETDOWN: return 38;
	case ENETRESET: return 39;
	case ENETUNREACH: return 40;
	case ENFILE: return 41;
	case ENOBUFS: return 42;
	case ENODEV: return 43;
	case ENOENT: return 44;
	case ENOEXEC: return 45;
	case ENOLCK: return 46;
	case ENOLINK: return 47;
	case ENOMEM: return 48;
	case ENOMSG: return 49;
	case ENOPROTOOPT: return 50;
	case ENOSPC: return 51;
	case ENOSYS: return 52;
	case ENOTCONN: return 53;
	case ENOTDIR: return 54;
	case ENOTEMPTY: return 55;
	case ENOTRECOVERABLE: return 56;
	case ENOTSOCK: return 57;
	case ENOTSUP: return 58;
	case ENOTTY: return 59;
	case ENXIO: return 60;
	case EOVERFLOW: return 61;
	case EOWNERDEAD: return 62;
	case EPERM: return 63;
	case EPIPE: return 64;
	case ERANGE: return 65;
	case EROFS: return 66;
	case ESPIPE: return 67;
	case ESRCH: return 68;
	case ESTALE: return 69;
	case ETIMEDOUT: return 70;
	case ETXTBSY: return 71;
	case EXDEV: return 75;
	default: return W_EIO;
	}
}

int wput32(const struct wmem *m, uint64_t addr, uint32_t v)
{
	uint8_t *p = wptr(m, addr, 4);

	if (!p)
		return W_EFAULT;
	put_u32(p, v);
	return 0;
}

int wput64(const struct wmem *m, uint64_t addr, uint64_t v)
{
	uint8_t *p = wptr(m, addr, 8);

	if (!p)
		return W_EFAULT;
	put_u64(p, v);
	return 0;
}

uint8_t wfiletype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return W_FT_REG;
	case S_IFDIR: return W_FT_DIR;
	case S_IFCHR: return W_FT_CHAR;
	case S_IFBLK: return W_FT_BLOCK;
	case S_IFLNK: return W_FT_SYMLINK;
	case S_IFSOCK: return W_FT_STREAM;
	default: return W_FT_UNKNOWN;
	}
}

int wfd_get(struct wasi *w, uint64_t fd, uint64_t rights, struct wfd **out)
{
	struct wfd *e;

	if (fd >= w->nfds || w->fds[fd].impl == WFD_FREE)
		return W_EBADF;
	e = &w->fds[fd];
	if ((e->base & rights) != rights)
		return W_ENOTCAPABLE;
	*out = e;
	return 0;
}

int wfd_alloc(struct wasi *w, const struct wfd *e)
{
	uint32_t i;
	struct wfd *grown;

	for (i = 0; i < w->nfds; i++)
		if (w->fds[i].impl == WFD_FREE)
			break;
	if (i == w->nfds) {
		if (w->nfds >= (w->max_fds ? w->max_fds : WASI_MAX_FDS))
			return -2;
		grown = xreallocarray(w->fds, w->nfds + 1, sizeof(*grown));
		if (!grown)
			return -1;
		w->fds = grown;
		w->nfds++;
	}
	w->fds[i] = *e;
	return (int)i;
}

void wfd_close(struct wfd *e)
{
	if (e->ops && e->obj)
		e->ops->free(e->obj);
	if (e->impl == WFD_HOST && e->host >= 0)
		close(e->host);
	xfree(e->preopen);
	memset(e, 0, sizeof(*e));
	e->host = -1;
}

int wpath_dup(const struct wmem *m, uint64_t addr, uint64_t len, char **out)
{
	uint8_t *p = wptr(m, addr, len);
	char *s;

	if (!p)
		return W_EFAULT;
	if (len > 65536)
		return W_ENAMETOOLONG;
	if (memchr(p, 0, len))
		return W_EINVAL;
	s = xmalloc(len + 1);
	if (!s)
		return W_ENOMEM;
	memcpy(s, p, len);
	s[len] = 0;
	*out = s;
	return 0;
}

struct wasi *wasi_new(void)
{
	return xcalloc(1, sizeof(struct wasi));
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xfree(v[i]);
	xfree(v);
}

void wasi_free(struct wasi *w)
{
	if (!w)
		return;
	for (uint32_t i = 0; i < w->nfds; i++)
		wfd_close(&w->fds[i]);
	xfree(w->fds);
	free_strv(w->args, w->nargs);
	free_strv(w->env, w->nenv);
	xfree(w->binds);
	xfree(w);
}

static int push(char ***v, size_t *n, const char *s)
{
	char **grown = xreallocarray(*v, *n + 1, sizeof(char *));

	if (!grown)
		return ENARX_E_NOMEM;
	*v = grown;
	grown[*n] = xstrdup(s);
	if (!grown[*n])
		return ENARX_E_NOMEM;
	(*n)++;
	return 0;
}

int wasi_push_arg(struct wasi *w, const char *arg)
{
	return push(&w->args, &w->nargs, arg);
}

int wasi_push_env(struct wasi *w, const char *entry)
{
	if (!strchr(entry, '='))
		return ENARX_E_INVAL;
	return push(&w->env, &w->nenv, entry);
}

/* Rights of a host stream, from what it is. */
static void stream_rights(struct wfd *e)
{
	struct stat st;

	e->type = W_FT_UNKNOWN;
	e->base = W_RIGHTS_STREAM;
	if (fstat(e->host, &st) != 0)
		return;
	e->type = wfiletype(st.st_mode);
	if (e->type == W_FT_REG)
		e->base = W_RIGHTS_FILE;
	else if (e->type == W_FT_STREAM)
		e->base = W_RIGHTS_SOCK;
	else if (e->type == W_FT_SYMLINK || e->type == W_FT_DIR)
		e->type = W_FT_UNKNOWN;
	else if (e->type == W_FT_CHAR && !isatty(e->host))
		e->base |= W_RIGHTS_CHAR_NOTTY;
}

int wasi_add_stream(struct wasi *w, enum wasi_fd_kind kind, int host_fd,
                    const struct wasi_stream_ops *ops, void *obj)
{
	int fd;

	if ((kind != WASI_FD_LISTEN && kind != WASI_FD_STREAM) || !ops || !obj)
		return ENARX_E_INVAL;
	fd = wasi_add_fd(w, kind, host_fd, NULL, 0);
	if (fd >= 0) {
		w->fds[fd].ops = ops;
		w->fds[fd].obj = obj;
	}
	return fd;
}

int wasi_add_fd(struct wasi *w, enum wasi_fd_kind kind, int host_fd, const char *preopen,
                int readonly)
{
	struct wfd e;
	int fd;

	memset(&e, 0, sizeof(e));
	e.impl = WFD_HOST;
	e.host = host_fd;
	switch (kind) {
	case WASI_FD_NULL:
		e.impl = WFD_NULL;
		e.host = -1;
		e.type = W_FT_CHAR;
		e.base = W_RIGHTS_STREAM | W_RIGHTS_CHAR_NOTTY;
		break;
	case WASI_FD_STDIO:
		stream_rights(&e);
		e.stdio = 1;
		break;
	case WASI_FD_LISTEN:
		e.type = W_FT_STREAM;
		e.listening = 1;
		e.base = W_R_FD_READ | W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_FILESTAT_GET |
		         W_R_POLL_FD_READWRITE | W_R_SOCK_ACCEPT | W_R_SOCK_SHUTDOWN;
		break;
	case WASI_FD_STREAM:
		e.type = W_FT_STREAM;
		e.base = W_RIGHTS_SOCK;
		break;
	case WASI_FD_DIR:
		if (!preopen)
			return ENARX_E_INVAL;
		e.type = W_FT_DIR;
		e.base = W_RIGHTS_DIR;
		e.inh = W_RIGHTS_DIR | W_RIGHTS_FILE;
		if (readonly) {
			e.base &= ~W_RIGHTS_MODIFY;
			e.inh &= ~W_RIGHTS_MODIFY;
		}
		e.preopen = xstrdup(preopen);
		if (!e.preopen)
			return ENARX_E_NOMEM;
		break;
	}
	if (readonly)
		e.base &= ~W_RIGHTS_MODIFY;
	fd = wfd_alloc(w, &e);
	if (fd < 0) {
		xfree(e.preopen);
		return fd == -2 ? ENARX_E_OVERFLOW : ENARX_E_NOMEM;
	}
	return fd;
}

uint32_t wasi_exit_code(const struct wasi *w)
{
	return w->exit_code;
}

void wasi_set_limits(struct wasi *w, uint32_t max_fds, uint64_t max_output)
{
	w->max_fds = max_fds && max_fds < WASI_MAX_FDS ? max_fds : 0;
	w->max_output = max_output;
}

void wasi_set_no_openat2(struct wasi *w, int on)
{
	w->no_openat2 = on;
}

int wasi__invoke(struct wasi *w, const struct wasi_entry *e, const struct wmem *m,
                 const uint64_t *a)
{
	int r = e->fn(w, m, a);

	log_trace("wasi: %s -> %d", e->name, r);
	return r;
}

int wasi_call(struct wasi *w, const char *name, uint8_t *mem, size_t mem_len, const uint64_t *args,
              size_t nargs, uint32_t *ret)
{
	struct wmem m = {mem, mem_len};
	uint64_t a[10] = {0};
	int r;

	for (size_t i = 0; i < NENTRIES; i++) {
		if (strcmp(entries[i].name, name) != 0)
			continue;
		if (nargs != strlen(entries[i].sig))
			return ENARX_E_INVAL;
		for (size_t j = 0; j < nargs; j++)
			a[j] = entries[i].sig[j] == 'i' ? (uint32_t)args[j] : args[j];
		r = wasi__invoke(w, &entries[i], &m, a);
		if (r == W_EXIT)
			return 1;
		if (r == W_LIMIT)
			return 2;
		*ret = (uint32_t)r;
		return 0;
	}
	return ENARX_E_NOTFOUND;
}

int wasi_add_stdio_stream(struct wasi *w, const struct wasi_stream *s)
{
	struct wfd e;
	int fd;

	if (!s || (!s->read && !s->write))
		return ENARX_E_INVAL;
	memset(&e, 0, sizeof(e));
	e.impl = WFD_STREAM;
	e.host = -1;
	e.stream = s;
	e.type = W_FT_CHAR;
	/* like a pipe: not a terminal (seek/tell rights, which fail with
	 * ESPIPE), readable and/or writable as the embedder gives */
	e.base = (W_RIGHTS_STREAM | W_RIGHTS_CHAR_NOTTY) & ~(s->read ? 0 : W_R_FD_READ) &
	         ~(s->write ? 0 : W_R_FD_WRITE);
	fd = wfd_alloc(w, &e);
	return fd < 0 ? ENARX_E_NOMEM : fd;
}
