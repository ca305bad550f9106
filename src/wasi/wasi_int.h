/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the WASI host: preview1 constants (from the witx spec), the
 * fd table, checked guest-memory access and the handler signature. */
#ifndef ENARX_WASI_WASI_INT_H
#define ENARX_WASI_WASI_INT_H

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "wasi/wasi.h"

/* errno values (subset used by name; host errno maps in errno.c) */
enum {
	W_ESUCCESS = 0,
	W_E2BIG = 1,
	W_EACCES = 2,
	W_EAGAIN = 6,
	W_EBADF = 8,
	W_EEXIST = 20,
	W_EFAULT = 21,
	W_EINVAL = 28,
	W_EIO = 29,
	W_EISDIR = 31,
	W_ELOOP = 32,
	W_EMFILE = 33,
	W_ENAMETOOLONG = 37,
	W_ENOENT = 44,
	W_ENOMEM = 48,
	W_ENOSYS = 52,
	W_ENOTDIR = 54,
	W_ENOTEMPTY = 55,
	W_ENOTSOCK = 57,
	W_ENOTSUP = 58,
	W_EOVERFLOW = 61,
	W_EPERM = 63,
	W_ESPIPE = 67,
	W_EXDEV = 75,
	W_ENOTCAPABLE = 76,
};

/* handler results beyond errno */
#define W_EXIT (-1)  /* proc_exit: w->exit_code holds the code */
#define W_LIMIT (-2) /* a wasi_set_limits() bound: trap with w->limit_msg */

enum {
	W_FT_UNKNOWN = 0,
	W_FT_BLOCK = 1,
	W_FT_CHAR = 2,
	W_FT_DIR = 3,
	W_FT_REG = 4,
	W_FT_DGRAM = 5,
	W_FT_STREAM = 6,
	W_FT_SYMLINK = 7,
};

/* rights */
#define R(bit) ((uint64_t)1 << (bit))
#define W_R_FD_DATASYNC R(0)
#define W_R_FD_READ R(1)
#define W_R_FD_SEEK R(2)
#define W_R_FD_FDSTAT_SET_FLAGS R(3)
#define W_R_FD_SYNC R(4)
#define W_R_FD_TELL R(5)
#define W_R_FD_WRITE R(6)
#define W_R_FD_ADVISE R(7)
#define W_R_FD_ALLOCATE R(8)
#define W_R_PATH_CREATE_DIRECTORY R(9)
#define W_R_PATH_CREATE_FILE R(10)
#define W_R_PATH_LINK_SOURCE R(11)
#define W_R_PATH_LINK_TARGET R(12)
#define W_R_PATH_OPEN R(13)
#define W_R_FD_READDIR R(14)
#define W_R_PATH_READLINK R(15)
#define W_R_PATH_RENAME_SOURCE R(16)
#define W_R_PATH_RENAME_TARGET R(17)
#define W_R_PATH_FILESTAT_GET R(18)
#define W_R_PATH_FILESTAT_SET_SIZE R(19)
#define W_R_PATH_FILESTAT_SET_TIMES R(20)
#define W_R_FD_FILESTAT_GET R(21)
#define W_R_FD_FILESTAT_SET_SIZE R(22)
#define W_R_FD_FILESTAT_SET_TIMES R(23)
#define W_R_PATH_SYMLINK R(24)
#define W_R_PATH_REMOVE_DIRECTORY R(25)
#define W_R_PATH_UNLINK_FILE R(26)
#define W_R_POLL_FD_READWRITE R(27)
#define W_R_SOCK_SHUTDOWN R(28)
#define W_R_SOCK_ACCEPT R(29)
#define W_R_ALL (R(30) - 1)

/* Rights of a regular file, of a directory, of a stream (tty/pipe/socket). */
#define W_RIGHTS_FILE                                                                          \
	(W_R_FD_DATASYNC | W_R_FD_READ | W_R_FD_SEEK | W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_SYNC | \
	 W_R_FD_TELL | W_R_FD_WRITE | W_R_FD_ADVISE | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_GET |  \
	 W_R_FD_FILESTAT_SET_SIZE | W_R_FD_FILESTAT_SET_TIMES | W_R_POLL_FD_READWRITE)
#define W_RIGHTS_DIR                                                                            \
	(W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_SYNC | W_R_FD_DATASYNC | W_R_PATH_CREATE_DIRECTORY |  \
	 W_R_PATH_CREATE_FILE | W_R_PATH_LINK_SOURCE | W_R_PATH_LINK_TARGET | W_R_PATH_OPEN |   \
	 W_R_FD_READDIR | W_R_PATH_READLINK | W_R_PATH_RENAME_SOURCE | W_R_PATH_RENAME_TARGET | \
	 W_R_PATH_FILESTAT_GET | W_R_PATH_FILESTAT_SET_SIZE | W_R_PATH_FILESTAT_SET_TIMES |     \
	 W_R_FD_FILESTAT_GET | W_R_FD_FILESTAT_SET_TIMES | W_R_PATH_SYMLINK |                   \
	 W_R_PATH_REMOVE_DIRECTORY | W_R_PATH_UNLINK_FILE)
#define W_RIGHTS_STREAM                                                               \
	(W_R_FD_READ | W_R_FD_WRITE | W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_FILESTAT_GET | \
	 W_R_POLL_FD_READWRITE)
#define W_RIGHTS_SOCK (W_RIGHTS_STREAM | W_R_SOCK_SHUTDOWN)
/* Added to a character device that is not a terminal (ioctl TCGETS fails
 * on the host), such as /dev/null, and to `kind = "null"`: wasi-libc's
 * isatty() is "character device without seek/tell rights", so a
 * non-terminal must have them (as in wasmtime and Node). */
#define W_RIGHTS_CHAR_NOTTY (W_R_FD_SEEK | W_R_FD_TELL)
/* What a read-only directory preopen keeps. */
#define W_RIGHTS_DIR_RO                                                                  \
	(W_R_FD_READDIR | W_R_PATH_OPEN | W_R_PATH_READLINK | W_R_PATH_FILESTAT_GET |    \
	 W_R_FD_FILESTAT_GET | W_R_FD_READ | W_R_FD_SEEK | W_R_FD_TELL | W_R_FD_ADVISE | \
	 W_R_POLL_FD_READWRITE | W_R_FD_FDSTAT_SET_FLAGS)
/* Rights that modify things (dropped from read-only preopens). */
#define W_RIGHTS_MODIFY                                                                          \
	(W_R_FD_WRITE | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_SET_SIZE | W_R_FD_FILESTAT_SET_TIMES | \
	 W_R_FD_DATASYNC | W_R_FD_SYNC | W_R_PATH_CREATE_DIRECTORY | W_R_PATH_CREATE_FILE |      \
	 W_R_PATH_LINK_SOURCE | W_R_PATH_LINK_TARGET | W_R_PATH_RENAME_SOURCE |                  \
	 W_R_PATH_RENAME_TARGET | W_R_PATH_FILESTAT_SET_SIZE | W_R_PATH_FILESTAT_SET_TIMES |     \
	 W_R_PATH_SYMLINK | W_R_PATH_REMOVE_DIRECTORY | W_R_PATH_UNLINK_FILE)

/* fdflags, oflags, lookupflags, fstflags */
enum { W_FDF_APPEND = 1, W_FDF_DSYNC = 2, W_FDF_NONBLOCK = 4, W_FDF_RSYNC = 8, W_FDF_SYNC = 16 };
enum { W_O_CREAT = 1, W_O_DIRECTORY = 2, W_O_EXCL = 4, W_O_TRUNC = 8 };
enum { W_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { W_FST_ATIM = 1, W_FST_ATIM_NOW = 2, W_FST_MTIM = 4, W_FST_MTIM_NOW = 8 };

enum wfd_impl { WFD_FREE = 0, WFD_HOST, WFD_NULL, WFD_STREAM /* wasi_add_stdio_stream */ };

struct wfd {
	enum wfd_impl impl;
	int host;                         /* host descriptor (WFD_HOST) */
	uint8_t type;                     /* W_FT_* */
	uint8_t listening;                /* a listening socket */
	uint8_t stdio;                    /* a WASI_FD_STDIO stream: writes count as output */
	uint64_t base;                    /* rights_base */
	uint64_t inh;                     /* rights_inheriting */
	char *preopen;                    /* guest path of a preopened dir, else NULL */
	const struct wasi_stream *stream; /* WFD_STREAM (wasi_add_stdio_stream) */
	/* a host stream the embedder transforms (wasi_add_stream), else NULL */
	const struct wasi_stream_ops *ops;
	void *obj;
	uint8_t nonblock; /* ops streams: the guest's NONBLOCK flag */
};

/* The embedder's ops of a connected stream (not of a listener), or NULL. */
static inline const struct wasi_stream_ops *wfd_stream(const struct wfd *e)
{
	return e->listening ? NULL : e->ops;
}

struct wasi;
struct wmem;
typedef int (*wasi_fn)(struct wasi *w, const struct wmem *m, const uint64_t *a);

struct wasi_entry {
	const char *name;
	const char *sig;
	wasi_fn fn;
};
extern const struct wasi_entry wasi__entries[];
extern const size_t wasi__nentries;

struct wasi_bind {
	struct wasi *w;
	const struct wasi_entry *e;
};

struct wasi {
	struct wfd *fds;
	uint32_t nfds; /* slots in fds (free ones have impl WFD_FREE) */
	char **args;
	size_t nargs;
	char **env;
	size_t nenv;
	uint32_t exit_code;
	int no_openat2;      /* 1: use the portable resolver */
	uint32_t max_fds;    /* 0: WASI_MAX_FDS */
	uint64_t max_output; /* 0: unlimited */
	uint64_t output;     /* bytes written to WASI_FD_STDIO fds so far */
	char limit_msg[160]; /* the trap message when W_LIMIT is returned */
	struct wasi_bind *binds;
};

/* A view of guest memory for one call. */
struct wmem {
	uint8_t *base;
	uint64_t size;
};

/* Checked guest range: pointer to [addr, addr+len) or NULL. */
static inline uint8_t *wptr(const struct wmem *m, uint64_t addr, uint64_t len)
{
	if (!m->base || addr > m->size || len > m->size - addr)
		return NULL;
	return m->base + addr;
}

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Stores a u32/u64 result at guest address addr; W_EFAULT if out of range. */
int wput32(const struct wmem *m, uint64_t addr, uint32_t v);
int wput64(const struct wmem *m, uint64_t addr, uint64_t v);

/* Host errno -> WASI errno. */
int werrno(int host_errno);

/* Looks up guest fd with all of `rights` in its base rights.
 * W_EBADF if not open, W_ENOTCAPABLE if a right is missing. */
int wfd_get(struct wasi *w, uint64_t fd, uint64_t rights, struct wfd **out);

/* Allocates the lowest free guest fd for e (copied); -1 if the table is
 * full or allocation fails. */
int wfd_alloc(struct wasi *w, const struct wfd *e);

/* Closes a slot (its host fd too). */
void wfd_close(struct wfd *e);

/* WASI filetype of a host stat mode. */
uint8_t wfiletype(mode_t mode);

/* Copies a guest path into a new NUL-terminated heap string.
 * W_EFAULT (out of range), W_EINVAL (NUL inside), W_ENOMEM. */
int wpath_dup(const struct wmem *m, uint64_t addr, uint64_t len, char **out);

/* Opens path beneath directory dirfd (never escaping it through "..",
 * absolute paths or symlinks). flags are open(2) flags; follow: follow a
 * symlink in the last component. Returns a host fd or -(WASI errno). */
int wpath_open(struct wasi *w, int dirfd, const char *path, int flags, mode_t mode, int follow);

/* Opens the directory holding the last component of path beneath dirfd;
 * *last points into path at the last component (trailing '/' removed).
 * Returns a host fd (O_PATH) or -(WASI errno). path is modified. */
int wpath_parent(struct wasi *w, int dirfd, char *path, const char **last);

/* Shared by the fd_* and path_* handlers (defined in fd.c). */
struct iovec;
struct stat;
struct timespec;

/* Loads n guest iovecs at addr into a new host array (*out, freed by the
 * caller); *cnt gets how many were used (fewer if the total would pass the
 * per-call cap) and *total their byte count. W_EFAULT if the array or any
 * buffer used lies outside memory. */
int wasi__load_iovs(const struct wmem *m, uint64_t addr, uint64_t n, struct iovec **out, int *cnt,
                    size_t *total);

/* Writes a 64-byte WASI filestat for st at addr; W_EFAULT if out of bounds. */
int wasi__put_filestat(const struct wmem *m, uint64_t addr, const struct stat *st);

/* Turns WASI (atim, mtim, fst_flags) into utimensat times; W_EINVAL on an
 * unknown flag bit. */
int wasi__times(uint64_t atim, uint64_t mtim, uint64_t fl, struct timespec ts[2]);

/* Runs one entry (with trace logging); returns a WASI errno or W_EXIT. */
int wasi__invoke(struct wasi *w, const struct wasi_entry *e, const struct wmem *m,
                 const uint64_t *a);

#define WASI_FN(name) int wasi__##name(struct wasi *w, const struct wmem *m, const uint64_t *a)
#include "wasi/funcs.def"
#define X(name, sig) WASI_FN(name);
WASI_FUNCS
#undef X

#endif
