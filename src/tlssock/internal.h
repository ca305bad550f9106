/* SPDX-License-Identifier: Apache-2.0 */
/* TLSSock internals shared by the library's files: the per-descriptor state
 * table, the configuration an fd carries before and after the handshake, the
 * system policy, and the table of real system calls (libc in library mode,
 * dlsym(RTLD_NEXT) in LD_PRELOAD mode). */
#ifndef ENARX_TLSSOCK_INTERNAL_H
#define ENARX_TLSSOCK_INTERNAL_H

#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "tlssock/policy.h"

#define TS_SNI_MAX 8 /* TLS_SNI_CERT entries per listener */

/* The real calls.  Everything the library does to a kernel descriptor goes
 * through this table so the preload build never re-enters itself. */
struct ts_sys {
	int (*socket)(int, int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*poll)(struct pollfd *, nfds_t, int);
};

/* Returns the table (never NULL). */
const struct ts_sys *ts__sys(void);

enum ts_state {
	TS_NEW = 0,   /* socket() done, not connected */
	TS_LISTEN,    /* listening socket: accepted fds inherit its config */
	TS_HANDSHAKE, /* connected, handshake not finished */
	TS_OPEN,      /* handshake done: data flows */
	TS_FAILED,    /* handshake failed: every call gives err_errno */
};

/* Options set with setsockopt before the handshake.  Reference counted:
 * accepted sockets share their listener's; a change to a shared one copies
 * it first (ts__conf_own).  Secrets are wiped when the last reference goes. */
struct ts_conf {
	atomic_int refs;
	char *peer_name;
	char *trust_file;
	char *trust_dir;
	char *cert_file;
	char *key_file;
	int require_peer_cert;
	unsigned char *alpn; /* wire format: len-prefixed names */
	size_t alpn_len;
	char *psk_identity;
	unsigned char psk_key[64];
	size_t psk_key_len;
	unsigned char *session; /* DER SSL_SESSION for resumption (secret) */
	size_t session_len;
	int tickets;
	int session_cache; /* client: resume from the process-wide cache */
	int min_version;
	char *groups;
	char *sigalgs;
	char *suites13;
	char *ciphers12;
	/* TLS_SNI_CERT entries: chain and key served to clients asking for
	 * sni_name[i] (exact, or "*.suffix"); the main chain otherwise. */
	unsigned n_sni;
	char *sni_name[TS_SNI_MAX];
	char *sni_cert[TS_SNI_MAX];
	char *sni_key[TS_SNI_MAX];
	int insecure_no_verify;
	int timeout_ms;
	SSL_CTX *ctx; /* built on first handshake, then frozen */
	bool ctx_server;
};

/* Socket state.  The memory is type-stable: a closed socket's struct goes
 * to a free list and is reused, never returned to malloc, so a thread that
 * still holds the pointer (it was waiting in poll() while another thread
 * closed the fd) can always take the lock and find out: each reuse bumps
 * gen, and ts__lock() refuses a struct whose gen moved on. */
struct ts_sock {
	pthread_mutex_t lock;
	atomic_ulong gen;
	bool closed;
	struct ts_sock *next_free;
	int fd;
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	int domain;
	bool server;
	bool wr_shut; /* close_notify sent: no more writes */
	enum ts_state state;
	int want; /* POLLIN/POLLOUT the handshake waits for */
	struct ts_conf *conf;
	SSL *ssl;
	int err_errno;
	char err[256];
	char peer[64];      /* "addr:port" for log lines */
	char peer_host[48]; /* address literal: default name to verify */
};

/* fd table (table.c).  ts__get returns the entry or NULL (not TLS). */
struct ts_sock *ts__get(int fd);
/* Same, and the generation to pass to ts__lock(). */
struct ts_sock *ts__get_gen(int fd, unsigned long *gen);
/* Locks s if it is still the socket of generation gen; else -1/EBADF. */
int ts__lock(struct ts_sock *s, unsigned long gen);
int ts__put(struct ts_sock *s);   /* -1/EMFILE if fd is out of range */
struct ts_sock *ts__take(int fd); /* removes and returns */
/* The kernel just handed out fd for a new object: any TLS state still filed
 * under that number belongs to a descriptor closed behind TLSSock's back
 * (fclose, close_range, a raw system call) and is dropped. */
void ts__forget(int fd);
struct ts_sock *ts__sock_new(int fd, int domain, int type, struct ts_conf *conf);
void ts__sock_free(struct ts_sock *s);

/* configuration (conf.c) */
struct ts_conf *ts__conf_new(void);
struct ts_conf *ts__conf_ref(struct ts_conf *c);
void ts__conf_unref(struct ts_conf *c);
int ts__conf_own(struct ts_sock *s); /* make s->conf private; -1/ENOMEM */
/* Builds (once) the SSL_CTX for this config.  NULL on error with the reason
 * in s->err and errno set. */
SSL_CTX *ts__conf_ctx(struct ts_sock *s, bool server, bool dtls);
/* Client session cache: takes (removes) the session stored for s's peer
 * and context, or NULL.  TLS 1.3 tickets are single use, so a session is
 * handed out once; the resumed connection's new tickets refill the cache. */
SSL_SESSION *ts__session_take(struct ts_sock *s, SSL_CTX *ctx);
/* SSL ex_data slot that points back at the ts_sock. */
int ts__ex_index(void);

/* options (opts.c) */
int ts__setopt(struct ts_sock *s, unsigned long gen, int name, const void *val, socklen_t len);
int ts__getopt(struct ts_sock *s, unsigned long gen, int name, void *val, socklen_t *len);
/* Parses "h2,http/1.1" into ALPN wire format in out (at most cap bytes).
 * Returns the wire length, or -1 for a malformed list. */
int ts__alpn_parse(const char *s, size_t n, unsigned char *out, size_t cap);

/* handshake and errors (sock.c) */
/* Creates the TLS session of a connected socket in the given role. */
int ts__setup(struct ts_sock *s, unsigned long gen, bool server);
/* SO_PROTOCOL = IPPROTO_TLS on an existing TCP/UDP socket: start tracking
 * it (configuration as for a new socket).  0 or -1 with errno. */
int ts__upgrade(int fd);
int ts__handshake(struct ts_sock *s, unsigned long gen, bool nonblock);
/* Records a failure on s: errno value e and a reason built from fmt plus
 * the OpenSSL error queue.  Returns -1 with errno = e. */
int ts__fail(struct ts_sock *s, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* errno + reason for a failed handshake or I/O call (sslerr from
 * SSL_get_error, sys_errno the errno right after the call).  Returns -1. */
int ts__map_error(struct ts_sock *s, int sslerr, int sys_errno);
bool ts__fd_nonblock(int fd);
/* Creates s->ssl from ctx (borrowed) with the BIO for s->fd. */
int ts__ssl_make(struct ts_sock *s, SSL_CTX *ctx, bool server);
void ts__fill_peer(struct ts_sock *s);
void ts__log_failure(struct ts_sock *s, const char *what);
/* Waits for ev on fd up to timeout_ms (-1 forever).  1 ready, 0 timeout,
 * -1 error. */
int ts__wait(int fd, short ev, int timeout_ms);

/* DTLS (dtls.c) */
/* accept() on a bound DTLS listener l (lgen from ts__get_gen()): waits for
 * a ClientHello with a valid cookie, returns a new connected fd (peer address
 * in addr/len) or -1 with errno. */
int ts__dtls_accept(struct ts_sock *l, unsigned long lgen, struct sockaddr *addr, socklen_t *len,
                    int flags);

/* policy (policy_apply.c) */
const struct ts_policy *ts__policy(void); /* NULL if the file was bad */
const char *ts__policy_error(void);
int ts__policy_allows(const struct ts_list *allowed, const char *list, char *bad, size_t badlen);

/* Key material wipe. */
void ts__wipe(void *p, size_t n);

#endif
