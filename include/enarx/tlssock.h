/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLSSock: TLS and DTLS as a POSIX socket protocol (IPPROTO_TLS).
 *
 * A program asks for socket(AF_INET, SOCK_STREAM, IPPROTO_TLS) (or
 * SOCK_DGRAM for DTLS 1.2), configures it with setsockopt() at level
 * IPPROTO_TLS, and then uses connect/accept/read/write as usual.  The
 * descriptor is the real kernel TCP/UDP socket, so poll/select/epoll work on
 * it; see docs/tlssock-api.md for the readiness rules (tlssock_pending()).
 *
 * Two ways to use it:
 *  - link libenarx_tlssock and call the tlssock_* functions below (they have
 *    the POSIX signatures and semantics, errors in errno);
 *  - LD_PRELOAD=libtlssock-preload.so: the POSIX names themselves are
 *    interposed, so an unmodified program that asks for IPPROTO_TLS gets it.
 */
#ifndef ENARX_TLSSOCK_H
#define ENARX_TLSSOCK_H

#include <poll.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Protocol number.  Linux has no IPPROTO_TLS; 253 is one of the two IANA
 * numbers reserved for experimentation (RFC 3692), the value the original
 * TLSSock prototype used.  The kernel rejects it with EPROTONOSUPPORT, so a
 * program that asks for TLS without TLSSock loaded fails instead of silently
 * talking plain text.  Also used as the setsockopt() level.
 */
#ifndef IPPROTO_TLS
#define IPPROTO_TLS 253
#endif

/* Option names at level IPPROTO_TLS.  S = setsockopt, G = getsockopt. */
enum {
	/* S/G string: peer DNS name or IP literal.  Sent as SNI (names only)
	 * and checked against the peer certificate (clients). */
	TLS_PEER_NAME = 1,         /* G on a server: the name the client sent (SNI) */
	TLS_TRUST_FILE = 2,        /* S string: PEM CA bundle (replaces system store) */
	TLS_TRUST_DIR = 3,         /* S string: hashed CA directory */
	TLS_CERT_CHAIN_FILE = 4,   /* S string: own PEM certificate chain */
	TLS_PRIVATE_KEY_FILE = 5,  /* S string: own PEM private key */
	TLS_REQUIRE_PEER_CERT = 6, /* S/G int: servers demand a client cert */
	/* S string: comma-separated protocol list "h2,http/1.1".
	 * G string: the protocol the handshake selected ("" if none). */
	TLS_ALPN = 7,
	TLS_PSK_IDENTITY = 8, /* S/G string (1..128 bytes) */
	TLS_PSK_KEY = 9,      /* S bytes (16..64); never readable */
	/* S bytes: a session from an earlier G (client resumption).
	 * G bytes: the current session, serialised (contains secrets). */
	TLS_SESSION = 10,
	TLS_SESSION_REUSED = 11,       /* G int: 1 if the handshake resumed */
	TLS_SESSION_TICKETS = 12,      /* S/G int: server issues tickets (default 1) */
	TLS_PEER_CERT = 13,            /* G bytes: peer leaf certificate, DER */
	TLS_PROTOCOL_VERSION = 14,     /* G int: 0x0303 TLS1.2, 0x0304 TLS1.3, 0xfefd DTLS1.2 */
	TLS_CIPHER_SUITE = 15,         /* G string: IANA name of the negotiated suite */
	TLS_GROUP = 16,                /* G string: negotiated key-exchange group */
	TLS_ERROR = 17,                /* G string: reason of the last failure on this fd */
	TLS_MIN_PROTOCOL_VERSION = 18, /* S/G int: may only raise the policy minimum */
	TLS_GROUPS = 19,               /* S string "X25519:P-256": subset of the policy */
	TLS_SIGNATURE_ALGORITHMS = 20, /* S string: subset of the policy */
	TLS_CIPHER_SUITES = 21,        /* S string (TLS 1.3 suites): subset of the policy */
	TLS_HANDSHAKE = 22,            /* S (no value): drive the handshake now */
	TLS_HANDSHAKE_WANT = 23, /* G int: POLLIN/POLLOUT the handshake waits for, 0 when done */
	TLS_HANDSHAKE_TIMEOUT =
	    24,           /* S/G int milliseconds for blocking handshakes (default 30000) */
	TLS_KTLS = 25,    /* G int: bit 0 kernel TLS send, bit 1 receive */
	TLS_PENDING = 26, /* G int: decrypted bytes buffered in the library */
	/* G 32 bytes: RFC 9266 "tls-exporter" channel binding (exporter label
	 * "EXPORTER-Channel-Binding", no context) for GSS-API, SASL or an
	 * application protocol to bind its authentication to this channel. */
	TLS_CHANNEL_BINDING = 27,
	/* S bytes "name\0chain-file\0key-file": a server certificate for clients
	 * whose SNI is name ("*.example.org" matches one label); the main chain
	 * serves everyone else.  Up to 8 names per listener. */
	TLS_SNI_CERT = 28,
	/* S/G int: client resumes from a per-process session cache keyed by
	 * context, peer address and name (default 1).  TLS_SESSION, when set,
	 * takes precedence. */
	TLS_SESSION_CACHE = 29,
	/* S int: 1 disables certificate and host name verification.  Refused
	 * with EPERM when the system policy says allow-insecure = no. */
	TLS_INSECURE_NO_VERIFY = 100,
};

/* Values of TLS_HANDSHAKE for STARTTLS. */
#define TLS_ROLE_CLIENT 1
#define TLS_ROLE_SERVER 2

/* An existing, unconnected or connected, TCP or UDP socket becomes TLS with
 *   int p = IPPROTO_TLS; setsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, sizeof(p));
 * (Linux's SO_PROTOCOL is read-only, so the call is otherwise refused.) */

/* Library-mode entry points.  Same contracts as the POSIX calls of the same
 * name; on a non-TLS descriptor they simply call the kernel. */
int tlssock_socket(int domain, int type, int protocol);
int tlssock_connect(int fd, const struct sockaddr *addr, socklen_t len);
int tlssock_accept(int fd, struct sockaddr *addr, socklen_t *len);
int tlssock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t tlssock_read(int fd, void *buf, size_t len);
ssize_t tlssock_write(int fd, const void *buf, size_t len);
ssize_t tlssock_recv(int fd, void *buf, size_t len, int flags);
ssize_t tlssock_send(int fd, const void *buf, size_t len, int flags);
ssize_t tlssock_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                         socklen_t *alen);
ssize_t tlssock_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
                       socklen_t alen);
int tlssock_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int tlssock_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int tlssock_shutdown(int fd, int how);
int tlssock_close(int fd);

/* poll() that also counts decrypted data buffered inside the library as
 * readable and waits on the direction an unfinished handshake needs. */
int tlssock_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/* Decrypted bytes ready to read without touching the kernel (0 for non-TLS
 * descriptors).  A program that waits with plain poll/select/epoll on the
 * raw descriptor must drain reads until EAGAIN, or check this first. */
int tlssock_pending(int fd);

/* 1 if fd is a TLSSock descriptor, else 0. */
int tlssock_is_tls(int fd);

/* Copies the reason of the last failure on fd (NUL-terminated, truncated to
 * len) into buf; returns its length, or -1/EBADF for an unknown fd. */
int tlssock_strerror(int fd, char *buf, size_t len);

/* Path of the system policy file in use (ENARX_TLSSOCK_POLICY overrides the
 * default /etc/enarx/tlssock.conf unless the process is set-uid). */
const char *tlssock_policy_path(void);

#ifdef __cplusplus
}
#endif

#endif
