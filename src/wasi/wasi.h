/* SPDX-License-Identifier: Apache-2.0 */
/* WASI preview1 (wasi_snapshot_preview1) for the executor: a capability-
 * based host on POSIX calls. The guest reaches only the descriptors it is
 * given (stdio, sockets, preopened directories) with the rights attached to
 * each; every fd lookup checks rights, every guest pointer and length is
 * checked against guest memory, and paths are resolved beneath their
 * directory (openat2 RESOLVE_BENEATH, or a component-wise resolver). */
#ifndef ENARX_WASI_WASI_H
#define ENARX_WASI_WASI_H

#include <stddef.h>
#include <stdint.h>

#include <enarx/wasm.h>

struct wasi;

/* Kinds of descriptor the embedder can hand to the guest. */
enum wasi_fd_kind {
	WASI_FD_STDIO,  /* a host stream (stdin/stdout/stderr or any fd) */
	WASI_FD_NULL,   /* reads EOF, swallows writes; no host fd */
	WASI_FD_LISTEN, /* a listening stream socket (sock_accept) */
	WASI_FD_STREAM, /* a connected stream socket */
	WASI_FD_DIR,    /* a preopened directory */
};

/* Creates an empty context (no args, env or fds). NULL on allocation
 * failure. Free with wasi_free(), which closes every host fd it owns. */
struct wasi *wasi_new(void);
void wasi_free(struct wasi *w);

/* Appends one argument / one "KEY=VALUE" environment entry (copied).
 * 0, ENARX_E_NOMEM, or ENARX_E_INVAL for a string with '=' missing. */
int wasi_push_arg(struct wasi *w, const char *arg);
int wasi_push_env(struct wasi *w, const char *entry);

/*
 * Gives the guest the next descriptor number. host_fd is taken (closed by
 * wasi_free) except for WASI_FD_NULL (pass -1). preopen is the guest path
 * of a WASI_FD_DIR (copied). readonly drops write and create rights.
 * Returns the guest fd number (>= 0) or a negative ENARX_E_*.
 */
int wasi_add_fd(struct wasi *w, enum wasi_fd_kind kind, int host_fd, const char *preopen,
                int readonly);

/* A stream the embedder implements (the executor's sealed stdio in a
 * deploy): read returns bytes read (0 at end) and write bytes written, or
 * -1 for an I/O error. Either may be NULL (the right is then not given). */
struct wasi_stream {
	long (*read)(void *ctx, uint8_t *p, size_t len);
	long (*write)(void *ctx, const uint8_t *p, size_t len);
	void *ctx;
};

/* Gives the guest the next descriptor as a character-device stream backed
 * by s (borrowed: it must outlive w). Returns the guest fd or ENARX_E_*. */
int wasi_add_stdio_stream(struct wasi *w, const struct wasi_stream *s);

/*
 * A host stream socket whose bytes the embedder transforms (the Keep's TLS,
 * src/exec/tls_stream.c): the guest reads and writes plaintext through the
 * usual calls (fd_read/fd_write, sock_recv/sock_send, poll_oneoff,
 * sock_accept on a listener). Every function gets the object given to
 * wasi_add_stream() or returned by accept. nonblock is the guest's view of
 * the descriptor (fdflags NONBLOCK); the host fd stays non-blocking and
 * the object waits itself when the guest's fd is blocking.
 */
struct iovec;
struct wasi_stream_ops {
	/* Like readv/writev: bytes moved (0 = end of stream for a read), or a
	 * negative errno (-EAGAIN when nonblock and nothing can move now).
	 * peek: leave the bytes there (MSG_PEEK). */
	long (*readv)(void *obj, const struct iovec *v, int cnt, int nonblock, int peek);
	long (*writev)(void *obj, const struct iovec *v, int cnt, int nonblock);
	/* For poll_oneoff: makes what progress it can without blocking, then
	 * returns 1 if ev (POLLIN or POLLOUT) would not block now (*avail:
	 * bytes readable, 0 if unknown), or 0 with *wait the host fd events
	 * to wait for before asking again. */
	int (*ready)(void *obj, short ev, short *wait, uint64_t *avail);
	int (*shutdown)(void *obj, int how); /* how: SHUT_*; 0 or -errno */
	/* Listeners: the object for host fd, just accepted (non-blocking) on
	 * the listener obj; NULL refuses the connection (wasi closes fd). */
	void *(*accept)(void *obj, int fd);
	void (*free)(void *obj); /* ends the object; the host fd is wasi's */
};

/*
 * As wasi_add_fd() for WASI_FD_LISTEN or WASI_FD_STREAM, with the guest's
 * bytes going through ops on obj (both borrowed by the fd; ops->free(obj)
 * when the guest fd is closed or the context freed). The host fd of a
 * stream must be non-blocking. Returns the guest fd or a negative
 * ENARX_E_* (obj is then not freed).
 */
int wasi_add_stream(struct wasi *w, enum wasi_fd_kind kind, int host_fd,
                    const struct wasi_stream_ops *ops, void *obj);

/* Defines every wasi_snapshot_preview1 function in linker. The context
 * must outlive the store the linker belongs to. */
int wasi_link(struct wasi *w, ewasm_linker *linker);

/* Exit code set by proc_exit (valid after a trap of kind EWASM_TRAP_EXIT). */
uint32_t wasi_exit_code(const struct wasi *w);

/* Bounds (keep/limits.h; 0 = none): at most max_fds descriptors at once
 * (opening more fails with ENFILE; the default and the most is 4096), and at
 * most max_output bytes written to WASI_FD_STDIO descriptors together: the
 * write that would pass it writes nothing and traps, naming the limit. */
void wasi_set_limits(struct wasi *w, uint32_t max_fds, uint64_t max_output);

/* Test hook: 1 forces the portable resolver instead of openat2. */
void wasi_set_no_openat2(struct wasi *w, int on);

/*
 * Calls WASI function `name` directly on a memory image (for tests and fuzz
 * targets): args are the parameters (i32 zero-extended), *ret gets the WASI
 * errno. Returns 0, ENARX_E_NOTFOUND for an unknown name, ENARX_E_INVAL for
 * a wrong argument count, 1 when the call asked to exit (proc_exit), or 2
 * when it hit a wasi_set_limits() bound (the guest would trap).
 */
int wasi_call(struct wasi *w, const char *name, uint8_t *mem, size_t mem_len, const uint64_t *args,
              size_t nargs, uint32_t *ret);

/* Number of functions implemented and the name of the i-th (NULL past the
 * end). */
size_t wasi_func_count(void);
const char *wasi_func_name(size_t i);

#endif
