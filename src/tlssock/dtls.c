/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS 1.2 accept(): a datagram socket has no connections, so accept()
 * waits on the bound socket for a ClientHello carrying a valid cookie
 * (stateless HelloVerifyRequest, RFC 6347 4.2.1), then opens a new UDP
 * socket bound to the same local address and connected to that client, and
 * finishes the handshake there.  The kernel delivers the client's further
 * datagrams to the connected socket, so each accepted fd behaves like a
 * connected one.  Both sockets carry SO_REUSEPORT (set at socket() time). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/err.h>

#include "tlssock/internal.h"
#include <enarx/tlssock.h>

/* Opens the per-client socket: same local address, connected to peer. */
static int client_socket(struct ts_sock *l, const struct sockaddr_storage *peer, int flags)
{
	const struct ts_sys *sys = ts__sys();
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	socklen_t plen =
	    peer->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1, fd, e;

	if (getsockname(l->fd, (struct sockaddr *)&local, &llen) != 0)
		return -1;
	fd = sys->socket(l->domain, SOCK_DGRAM | (flags & (SOCK_NONBLOCK | SOCK_CLOEXEC)),
	                 IPPROTO_UDP);
	if (fd < 0)
		return -1;
	ts__forget(fd);
	if (sys->setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&local, llen) != 0 ||
	    sys->connect(fd, (const struct sockaddr *)peer, plen) != 0) {
		e = errno;
		sys->close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Waits for a ClientHello with a valid cookie.  Returns the SSL (owned by
 * the caller) with the peer address in *peer, or NULL with errno set. */
static SSL *listen_one(struct ts_sock *l, SSL_CTX *ctx, struct sockaddr_storage *peer)
{
	SSL *ssl = SSL_new(ctx);
	BIO *b = BIO_new_dgram(l->fd, BIO_NOCLOSE);
	BIO_ADDR *from = BIO_ADDR_new();
	int r;

	if (!ssl || !b || !from) {
		SSL_free(ssl);
		BIO_free(b);
		BIO_ADDR_free(from);
		errno = ENOMEM;
		return NULL;
	}
	SSL_set_bio(ssl, b, b);
	SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
	do {
		ERR_clear_error();
		r = DTLSv1_listen(ssl, from);
		if (r == 0 && ts__fd_nonblock(l->fd)) {
			errno = EAGAIN;
			break;
		}
	} while (r == 0);
	BIO_ADDR_free(from);
	if (r <= 0) {
		if (r < 0)
			errno = EPROTO;
		SSL_free(ssl);
		return NULL;
	}
	memset(peer, 0, sizeof(*peer));
	BIO_dgram_get_peer(b, peer);
	return ssl;
}

static int adopt(struct ts_sock *l, SSL *ssl, int nfd, const struct sockaddr_storage *peer)
{
	struct ts_sock *s = ts__sock_new(nfd, l->domain, SOCK_DGRAM, ts__conf_ref(l->conf));

	if (!s) {
		ts__conf_unref(l->conf);
		return -1;
	}
	s->ssl = ssl;
	s->server = true;
	SSL_set_ex_data(ssl, ts__ex_index(), s);
	BIO_set_fd(SSL_get_rbio(ssl), nfd, BIO_NOCLOSE);
	BIO_ctrl(SSL_get_rbio(ssl), BIO_CTRL_DGRAM_SET_CONNECTED, 0, (void *)peer);
	ts__fill_peer(s);
	s->state = TS_HANDSHAKE;
	s->want = POLLIN;
	if (ts__put(s) != 0) {
		s->ssl = NULL;
		ts__sock_free(s);
		return -1;
	}
	return 0;
}

int ts__dtls_accept(struct ts_sock *l, unsigned long lgen, struct sockaddr *addr, socklen_t *len,
                    int flags)
{
	struct sockaddr_storage peer;
	unsigned long gen = 0;
	SSL_CTX *ctx;
	SSL *ssl;
	int nfd, e;

	if (ts__lock(l, lgen) != 0)
		return -1;
	l->state = TS_LISTEN;
	ctx = ts__conf_ctx(l, true, true);
	if (ctx)
		SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&l->lock);
	if (!ctx)
		return -1;
	ssl = listen_one(l, ctx, &peer);
	SSL_CTX_free(ctx);
	if (!ssl)
		return -1;
	nfd = client_socket(l, &peer, flags);
	if (nfd < 0 || adopt(l, ssl, nfd, &peer) != 0) {
		e = errno;
		SSL_free(ssl);
		if (nfd >= 0)
			ts__sys()->close(nfd);
		errno = e;
		return -1;
	}
	if (addr && len) {
		socklen_t n = peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                         : sizeof(struct sockaddr_in);

		memcpy(addr, &peer, n < *len ? n : *len);
		*len = n;
	}
	if ((flags & SOCK_NONBLOCK) ||
	    (ts__get_gen(nfd, &gen) && ts__handshake(ts__get(nfd), gen, false) == 0))
		return nfd;
	e = errno;
	tlssock_close(nfd);
	errno = e;
	return -1;
}
