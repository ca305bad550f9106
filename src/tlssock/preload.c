/* SPDX-License-Identifier: Apache-2.0 */
/* LD_PRELOAD mode: defines the POSIX socket calls themselves so that an
 * unmodified program asking for IPPROTO_TLS gets TLSSock.  Each wrapper
 * forwards to the tlssock_* function, which calls the next definition
 * (dlsym(RTLD_NEXT), see sys.c) for descriptors that are not TLS.  A
 * per-thread depth counter sends calls made from inside the library (OpenSSL
 * reading a CA file, the datagram BIO) straight to the kernel. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "tlssock/internal.h"
#include <enarx/tlssock.h>

#define EXPORT __attribute__((visibility("default")))

static __thread int depth;

/* True when the call must go to the kernel untouched. */
static inline int passthrough(int fd)
{
	return depth > 0 || !ts__get(fd);
}

#define ENTER() (depth++)
#define LEAVE(r)                \
	do {                    \
		int e_ = errno; \
		depth--;        \
		errno = e_;     \
		return (r);     \
	} while (0)

EXPORT int socket(int domain, int type, int protocol)
{
	int r;

	if (depth > 0)
		return ts__sys()->socket(domain, type, protocol);
	ENTER();
	r = tlssock_socket(domain, type, protocol);
	LEAVE(r);
}

EXPORT int connect(int fd, const struct sockaddr *a, socklen_t l)
{
	int r;

	if (passthrough(fd))
		return ts__sys()->connect(fd, a, l);
	ENTER();
	r = tlssock_connect(fd, a, l);
	LEAVE(r);
}

EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
	int r;

	if (depth > 0)
		return ts__sys()->accept4(fd, a, l, flags);
	ENTER();
	r = tlssock_accept4(fd, a, l, flags);
	LEAVE(r);
}

EXPORT int accept(int fd, struct sockaddr *a, socklen_t *l)
{
	return accept4(fd, a, l, 0);
}

EXPORT ssize_t read(int fd, void *b, size_t n)
{
	ssize_t r;

	if (passthrough(fd))
		return ts__sys()->read(fd, b, n);
	ENTER();
	r = tlssock_read(fd, b, n);
	LEAVE(r);
}

EXPORT ssize_t write(int fd, const void *b, size_t n)
{
	ssize_t r;

	if (passthrough(fd))
		return ts__sys()->write(fd, b, n);
	ENTER();
	r = tlssock_write(fd, b, n);
	LEAVE(r);
}

EXPORT ssize_t recv(int fd, void *b, size_t n, int f)
{
	ssize_t r;

	if (passthrough(fd))
		return ts__sys()->recv(fd, b, n, f);
	ENTER();
	r = tlssock_recv(fd, b, n, f);
	LEAVE(r);
}

EXPORT ssize_t send(int fd, const void *b, size_t n, int f)
{
	ssize_t r;

	if (passthrough(fd))
		return ts__sys()->send(fd, b, n, f);
	ENTER();
	r = tlssock_send(fd, b, n, f);
	LEAVE(r);
}

EXPORT ssize_t recvfrom(int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l)
{
	ssize_t r;

	if (passthrough(fd))
		return ts__sys()->recvfrom(fd, b, n, f, a, l);
	ENTER();
	r = tlssock_recvfrom(fd, b, n, f, a, l);
	LEAVE(r);
}

EXPORT ssize_t sendto(int fd, const void *b, size_t n, int f, const struct sockaddr *a, socklen_t l)
{
	ssize_t r;

	if (passthrough(fd))
		return ts__sys()->sendto(fd, b, n, f, a, l);
	ENTER();
	r = tlssock_sendto(fd, b, n, f, a, l);
	LEAVE(r);
}

/* msghdr calls: data only, one iovec at a time; control messages and
 * addresses have no meaning on a TLS channel. */
EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int f)
{
	static ssize_t (*next)(int, struct msghdr *, int);
	ssize_t total = 0;

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "recvmsg");
	if (passthrough(fd))
		return next(fd, m, f);
	ENTER();
	m->msg_controllen = 0;
	m->msg_flags = 0;
	m->msg_namelen = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
		ssize_t r = tlssock_recv(fd, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len,
		                         i ? f | MSG_DONTWAIT : f);

		if (r < 0) {
			if (total)
				break;
			LEAVE(-1);
		}
		total += r;
		if ((size_t)r < m->msg_iov[i].iov_len)
			break;
	}
	LEAVE(total);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int f)
{
	static ssize_t (*next)(int, const struct msghdr *, int);
	ssize_t total = 0;

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "sendmsg");
	if (passthrough(fd))
		return next(fd, m, f);
	ENTER();
	if (m->msg_name || m->msg_controllen) {
		errno = EOPNOTSUPP;
		LEAVE(-1);
	}
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
		ssize_t r = tlssock_send(fd, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len, f);

		if (r < 0) {
			if (total)
				break;
			LEAVE(-1);
		}
		total += r;
		if ((size_t)r < m->msg_iov[i].iov_len)
			break;
	}
	LEAVE(total);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*next)(int, const struct iovec *, int);
	struct msghdr m;

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "readv");
	if (passthrough(fd))
		return next(fd, iov, cnt);
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = (size_t)cnt;
	return recvmsg(fd, &m, 0);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*next)(int, const struct iovec *, int);
	struct msghdr m;

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "writev");
	if (passthrough(fd))
		return next(fd, iov, cnt);
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = (size_t)cnt;
	return sendmsg(fd, &m, 0);
}

EXPORT int setsockopt(int fd, int level, int name, const void *v, socklen_t l)
{
	int r;

	/* SO_PROTOCOL = IPPROTO_TLS turns a plain socket into a TLS one. */
	if (passthrough(fd) && !(depth == 0 && level == SOL_SOCKET && name == SO_PROTOCOL))
		return ts__sys()->setsockopt(fd, level, name, v, l);
	ENTER();
	r = tlssock_setsockopt(fd, level, name, v, l);
	LEAVE(r);
}

EXPORT int getsockopt(int fd, int level, int name, void *v, socklen_t *l)
{
	int r;

	if (passthrough(fd))
		return ts__sys()->getsockopt(fd, level, name, v, l);
	ENTER();
	r = tlssock_getsockopt(fd, level, name, v, l);
	LEAVE(r);
}

EXPORT int shutdown(int fd, int how)
{
	int r;

	if (passthrough(fd))
		return ts__sys()->shutdown(fd, how);
	ENTER();
	r = tlssock_shutdown(fd, how);
	LEAVE(r);
}

EXPORT int close(int fd)
{
	int r;

	if (passthrough(fd))
		return ts__sys()->close(fd);
	ENTER();
	r = tlssock_close(fd);
	LEAVE(r);
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int r;

	if (depth > 0)
		return ts__sys()->poll(fds, n, timeout);
	ENTER();
	r = tlssock_poll(fds, n, timeout);
	LEAVE(r);
}

/* select() on TLS descriptors goes through tlssock_poll. */
EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	static int (*next)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	struct pollfd *p;
	int any = 0, n = 0, r, t;

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "select");
	for (int fd = 0; fd < nfds && !any; fd++)
		any = ts__get(fd) && ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)));
	if (depth > 0 || !any || nfds > FD_SETSIZE)
		return next(nfds, rd, wr, ex, tv);
	p = xcalloc((size_t)nfds, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) |
		                   (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
		                   (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));

		if (ev)
			p[n++] = (struct pollfd){.fd = fd, .events = ev};
	}
	t = tv ? (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000) : -1;
	ENTER();
	r = tlssock_poll(p, (nfds_t)n, t);
	depth--;
	if (r >= 0) {
		r = 0;
		for (int i = 0; i < n; i++) {
			int fd = p[i].fd;
			short re = p[i].revents;

			if (rd && FD_ISSET(fd, rd) && !(re & (POLLIN | POLLHUP | POLLERR)))
				FD_CLR(fd, rd);
			if (wr && FD_ISSET(fd, wr) && !(re & (POLLOUT | POLLERR)))
				FD_CLR(fd, wr);
			if (ex && FD_ISSET(fd, ex) && !(re & POLLPRI))
				FD_CLR(fd, ex);
			r += (rd && FD_ISSET(fd, rd)) + (wr && FD_ISSET(fd, wr)) +
			     (ex && FD_ISSET(fd, ex));
		}
	}
	xfree(p);
	return r;
}

/* Duplicating a TLS descriptor would give a second fd that bypasses the
 * TLS state (plain text on the wire); refuse rather than leak. */
EXPORT int dup(int fd)
{
	static int (*next)(int);

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "dup");
	if (passthrough(fd))
		return next(fd);
	errno = EOPNOTSUPP;
	return -1;
}

EXPORT int dup2(int fd, int nfd)
{
	static int (*next)(int, int);

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "dup2");
	if (passthrough(fd) && (depth > 0 || !ts__get(nfd)))
		return next(fd, nfd);
	errno = EOPNOTSUPP;
	return -1;
}

/* Declared here: <sys/sendfile.h> renames sendfile under _FILE_OFFSET_BITS. */
ssize_t sendfile(int out, int in, off_t *off, size_t count);
ssize_t sendfile64(int out, int in, off_t *off, size_t count);

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	static ssize_t (*next)(int, int, off_t *, size_t);
	char buf[16384];
	ssize_t r, got;

	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "sendfile");
	if (passthrough(out))
		return next(out, in, off, count);
	/* The kernel would send the file in clear: copy through TLS instead. */
	if (count > sizeof(buf))
		count = sizeof(buf);
	r = off ? pread(in, buf, count, *off) : ts__sys()->read(in, buf, count);
	if (r <= 0)
		return r;
	got = r;
	ENTER();
	r = tlssock_write(out, buf, (size_t)got);
	depth--;
	if (r > 0 && off)
		*off += r;
	else if (!off && r < got)
		lseek(in, (r > 0 ? r : 0) - got, SEEK_CUR);
	return r;
}

EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return sendfile(out, in, off, count);
}
