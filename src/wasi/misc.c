/* SPDX-License-Identifier: Apache-2.0 */
/* args, environ, clocks, random, poll_oneoff, proc, sched and sock_*. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "wasi/wasi_int.h"

/* Sizes of a string vector: count and bytes including NULs. */
static int strv_sizes(const struct wmem *m, char **v, size_t n, uint64_t pc, uint64_t pb)
{
	uint64_t bytes = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(v[i]) + 1;
	if (bytes > UINT32_MAX)
		return W_EOVERFLOW;
	rc = wput32(m, pc, (uint32_t)n);
	return rc ? rc : wput32(m, pb, (uint32_t)bytes);
}

/* Writes n pointers at ptrs and the strings at buf. */
static int strv_get(const struct wmem *m, char **v, size_t n, uint64_t ptrs, uint64_t buf)
{
	uint64_t bytes = 0, off = 0;
	uint8_t *pp = wptr(m, ptrs, (uint64_t)n * 4), *bp;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(v[i]) + 1;
	bp = wptr(m, buf, bytes);
	if (!pp || !bp)
		return W_EFAULT;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		put_u32(pp + 4 * i, (uint32_t)(buf + off));
		memcpy(bp + off, v[i], l);
		off += l;
	}
	return 0;
}

WASI_FN(args_sizes_get)
{
	return strv_sizes(m, w->args, w->nargs, a[0], a[1]);
}
WASI_FN(args_get)
{
	return strv_get(m, w->args, w->nargs, a[0], a[1]);
}
WASI_FN(environ_sizes_get)
{
	return strv_sizes(m, w->env, w->nenv, a[0], a[1]);
}
WASI_FN(environ_get)
{
	return strv_get(m, w->env, w->nenv, a[0], a[1]);
}

static int host_clock(uint64_t id, clockid_t *out)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
	                                CLOCK_THREAD_CPUTIME_ID};

	if (id > 3)
		return W_EINVAL;
	*out = ids[id];
	return 0;
}

static uint64_t ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

WASI_FN(clock_res_get)
{
	struct timespec t;
	clockid_t c;
	int rc = host_clock(a[0], &c);

	(void)w;
	if (rc)
		return rc;
	if (clock_getres(c, &t))
		return werrno(errno);
	return wput64(m, a[1], ns(&t));
}

WASI_FN(clock_time_get)
{
	struct timespec t;
	clockid_t c;
	int rc = host_clock(a[0], &c);

	(void)w;
	if (rc)
		return rc;
	if (clock_gettime(c, &t))
		return werrno(errno);
	return wput64(m, a[2], ns(&t));
}

WASI_FN(random_get)
{
	uint8_t *p = wptr(m, a[0], a[1]);
	uint64_t done = 0;
	ssize_t n;

	(void)w;
	if (!p)
		return W_EFAULT;
	while (done < a[1]) {
		n = getrandom(p + done, a[1] - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return werrno(errno);
		}
		done += (uint64_t)n;
	}
	return 0;
}

WASI_FN(proc_exit)
{
	(void)m;
	w->exit_code = (uint32_t)a[0];
	return W_EXIT;
}

WASI_FN(proc_raise)
{
	(void)w, (void)m, (void)a;
	return W_ENOSYS; /* removed from WASI; no signals in a Keep */
}

WASI_FN(sched_yield)
{
	(void)w, (void)m, (void)a;
	sched_yield();
	return 0;
}

/* poll_oneoff layout: subscription 48 bytes, event 32 bytes. */
enum {
	SUB_SIZE = 48,
	EV_SIZE = 32,
	EV_CLOCK = 0,
	EV_READ = 1,
	EV_WRITE = 2,
	CLOCK_ABSTIME = 1,
	EV_HANGUP = 1
};

static void put_event(uint8_t *ev, uint64_t ud, uint16_t err, uint8_t type, uint64_t nbytes,
                      uint16_t flags)
{
	memset(ev, 0, EV_SIZE);
	put_u64(ev, ud);
	put_u16(ev + 8, err);
	ev[10] = type;
	put_u64(ev + 16, nbytes);
	put_u16(ev + 24, flags);
}

/* Nanoseconds from now until a clock subscription fires (0 if due). */
static int clock_wait(const uint8_t *s, uint64_t *wait)
{
	uint64_t timeout = get_u64(s + 24), now;
	struct timespec t;
	clockid_t c;
	int rc = host_clock(get_u32(s + 16), &c);

	if (rc)
		return rc;
	if (!(get_u16(s + 40) & CLOCK_ABSTIME)) {
		*wait = timeout;
		return 0;
	}
	if (clock_gettime(c, &t))
		return werrno(errno);
	now = ns(&t);
	*wait = timeout > now ? timeout - now : 0;
	return 0;
}

/* One subscription's state across the passes of poll_oneoff. */
struct psub {
	uint64_t wait; /* clock: ns after start; UINT64_MAX none */
	struct wfd *e; /* fd subscriptions, else NULL */
	uint16_t err;  /* fd subscriptions that fail at once */
	uint8_t done;  /* event written */
};

/* Checks every subscription (fills pf), then writes the events that are
 * already due; returns their number. */
static uint64_t poll_pre(const uint8_t *in, uint8_t *out, uint64_t n, struct psub *ps,
                         struct pollfd *pf)
{
	uint64_t nev = 0;

	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *s = in + i * SUB_SIZE;
		uint64_t avail = 0;
		short want = 0;

		pf[i].fd = -1;
		pf[i].revents = 0;
		if (s[8] == EV_CLOCK || ps[i].done)
			continue;
		if (ps[i].err || ps[i].e->impl == WFD_NULL || ps[i].e->impl == WFD_STREAM) {
			put_event(out + EV_SIZE * nev++, get_u64(s), ps[i].err, s[8], 0, 0);
			ps[i].done = 1;
			continue;
		}
		if (wfd_stream(ps[i].e)) {
			short ev = s[8] == EV_READ ? POLLIN : POLLOUT;

			if (ps[i].e->ops->ready(ps[i].e->obj, ev, &want, &avail)) {
				put_event(out + EV_SIZE * nev++, get_u64(s), 0, s[8], avail, 0);
				ps[i].done = 1;
				continue;
			}
			pf[i].fd = ps[i].e->host;
			pf[i].events = want;
			continue;
		}
		pf[i].fd = ps[i].e->host;
		pf[i].events = s[8] == EV_READ ? POLLIN : POLLOUT;
	}
	return nev;
}

/* Writes the events of what ppoll reported and the clocks that are due. */
static uint64_t poll_post(const uint8_t *in, uint8_t *out, uint64_t n, struct psub *ps,
                          struct pollfd *pf, uint64_t elapsed, uint64_t nev)
{
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *s = in + i * SUB_SIZE;
		uint64_t avail = 0;
		short want;
		int fionread = 0;

		if (ps[i].done)
			continue;
		if (s[8] == EV_CLOCK) {
			if (ps[i].wait != UINT64_MAX && elapsed >= ps[i].wait) {
				put_event(out + EV_SIZE * nev++, get_u64(s), 0, EV_CLOCK, 0, 0);
				ps[i].done = 1;
			}
			continue;
		}
		if (pf[i].fd < 0 || !pf[i].revents)
			continue;
		if (wfd_stream(ps[i].e)) {
			/* woken: ask again (a partial record is not readable yet) */
			if (ps[i].e->ops->ready(ps[i].e->obj, s[8] == EV_READ ? POLLIN : POLLOUT,
			                        &want, &avail) ||
			    (pf[i].revents & (POLLERR | POLLNVAL))) {
				put_event(out + EV_SIZE * nev++, get_u64(s), 0, s[8], avail, 0);
				ps[i].done = 1;
			}
			continue;
		}
		if (s[8] == EV_READ && ioctl(pf[i].fd, FIONREAD, &fionread) != 0)
			fionread = 0;
		put_event(out + EV_SIZE * nev++, get_u64(s),
		          (pf[i].revents & POLLNVAL) ? W_EBADF : 0, s[8],
		          fionread > 0 ? (uint64_t)fionread : 0,
		          (pf[i].revents & POLLHUP) ? EV_HANGUP : 0);
		ps[i].done = 1;
	}
	return nev;
}

/* Reads the subscriptions: clock deadlines, fd lookups. W_EINVAL for an
 * unknown tag. */
static int poll_subs(struct wasi *w, const uint8_t *in, uint64_t n, struct psub *ps)
{
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *s = in + i * SUB_SIZE;
		int err;

		ps[i].wait = UINT64_MAX;
		if (s[8] == EV_CLOCK) {
			err = clock_wait(s, &ps[i].wait);
			if (err) {
				ps[i].wait = UINT64_MAX;
				ps[i].err = (uint16_t)err;
			}
			continue;
		}
		if (s[8] != EV_READ && s[8] != EV_WRITE)
			return W_EINVAL;
		err = wfd_get(w, get_u32(s + 16), W_R_POLL_FD_READWRITE, &ps[i].e);
		ps[i].err = (uint16_t)err;
	}
	return 0;
}

WASI_FN(poll_oneoff)
{
	uint64_t n = a[2], i, wait_min, start, nev = 0, elapsed = 0;
	uint8_t *in = wptr(m, a[0], n * SUB_SIZE), *out = wptr(m, a[1], n * EV_SIZE);
	struct pollfd *pf = NULL;
	struct psub *ps = NULL;
	struct timespec t0, t1, to;
	int rc = 0, ready;

	if (n == 0)
		return W_EINVAL;
	if (n > 65536 || !in || !out || !wptr(m, a[3], 4))
		return n > 65536 ? W_EINVAL : W_EFAULT;
	pf = xcalloc(n, sizeof(*pf));
	ps = xcalloc(n, sizeof(*ps));
	if (!pf || !ps) {
		rc = W_ENOMEM;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	start = ns(&t0);
	rc = poll_subs(w, in, n, ps);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) { /* a clock that cannot be read fires at once */
		if (in[i * SUB_SIZE + 8] == EV_CLOCK && ps[i].err) {
			put_event(out + EV_SIZE * nev++, get_u64(in + i * SUB_SIZE), ps[i].err,
			          EV_CLOCK, 0, 0);
			ps[i].done = 1;
		}
	}
	/* Passes: an embedder stream (TLS) may wake without being ready (a
	 * partial record); then wait again for what is left of the time. */
	do {
		nev += poll_pre(in, out + EV_SIZE * nev, n, ps, pf);
		wait_min = UINT64_MAX;
		for (i = 0; i < n; i++) {
			uint64_t left;

			if (ps[i].done || ps[i].wait == UINT64_MAX)
				continue;
			left = ps[i].wait > elapsed ? ps[i].wait - elapsed : 0;
			if (left < wait_min)
				wait_min = left;
		}
		if (nev)
			wait_min = 0; /* something is already there: just look */
		if (wait_min != UINT64_MAX) {
			to.tv_sec = (time_t)(wait_min / 1000000000u);
			to.tv_nsec = (long)(wait_min % 1000000000u);
		}
		do
			ready = ppoll(pf, n, wait_min == UINT64_MAX ? NULL : &to, NULL);
		while (ready < 0 && errno == EINTR);
		if (ready < 0) {
			rc = werrno(errno);
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		elapsed = ns(&t1) - start;
		nev = poll_post(in, out, n, ps, pf, elapsed, nev);
	} while (nev == 0);
	rc = wput32(m, a[3], (uint32_t)nev);
out:
	xfree(pf);
	xfree(ps);
	return rc;
}

WASI_FN(sock_accept)
{
	struct wfd *e, ne;
	int fd, nfd, rc = wfd_get(w, a[0], W_R_SOCK_ACCEPT, &e);

	if (rc)
		return rc;
	if (a[1] & ~(uint64_t)W_FDF_NONBLOCK)
		return W_EINVAL;
	if (!wptr(m, a[2], 4))
		return W_EFAULT;
	if (e->impl != WFD_HOST)
		return W_ENOTSOCK;
	fd = accept4(e->host, NULL, NULL,
	             SOCK_CLOEXEC | ((a[1] & W_FDF_NONBLOCK) || e->ops ? SOCK_NONBLOCK : 0));
	if (fd < 0)
		return werrno(errno);
	memset(&ne, 0, sizeof(ne));
	ne.impl = WFD_HOST;
	ne.host = fd;
	ne.type = W_FT_STREAM;
	ne.base = W_RIGHTS_SOCK;
	if (e->ops) { /* the session starts; its handshake runs on first use */
		ne.ops = e->ops;
		ne.nonblock = (a[1] & W_FDF_NONBLOCK) != 0;
		ne.obj = e->ops->accept(e->obj, fd);
		if (!ne.obj) {
			close(fd);
			return W_ENOMEM;
		}
	}
	nfd = wfd_alloc(w, &ne);
	if (nfd < 0) {
		if (ne.obj)
			ne.ops->free(ne.obj);
		close(fd);
		return nfd == -2 ? W_EMFILE : W_ENOMEM;
	}
	return wput32(m, a[2], (uint32_t)nfd);
}

/* sock_recv on an embedder stream: PEEK, and WAITALL as a loop until the
 * buffers are full, the stream ends, or (non-blocking) nothing more is
 * there. Bytes or -errno. */
static long ops_recv(struct wfd *e, struct iovec *v, int cnt, size_t total, uint64_t fl)
{
	size_t got = 0;
	long r;

	if (!(fl & 2) || (fl & 1))
		return e->ops->readv(e->obj, v, cnt, e->nonblock, (fl & 1) != 0);
	while (got < total) {
		r = e->ops->readv(e->obj, v, cnt, e->nonblock, 0);
		if (r <= 0)
			return got ? (long)got : r;
		got += (size_t)r;
		for (size_t left = (size_t)r; left && cnt;) { /* step past what arrived */
			size_t k = left < v->iov_len ? left : v->iov_len;

			v->iov_base = (uint8_t *)v->iov_base + k;
			v->iov_len -= k;
			left -= k;
			if (!v->iov_len) {
				v++;
				cnt--;
			}
		}
	}
	return (long)got;
}

WASI_FN(sock_recv)
{
	struct msghdr mh;
	struct iovec *v;
	struct wfd *e;
	size_t total;
	ssize_t n;
	int rc = wfd_get(w, a[0], W_R_FD_READ, &e), cnt, fl = 0;

	if (rc)
		return rc;
	if (a[3] & ~(uint64_t)3)
		return W_EINVAL;
	if (!wptr(m, a[4], 4) || !wptr(m, a[5], 2))
		return W_EFAULT;
	if (e->impl != WFD_HOST || e->type != W_FT_STREAM)
		return W_ENOTSOCK;
	rc = wasi__load_iovs(m, a[1], a[2], &v, &cnt, &total);
	if (rc)
		return rc;
	if (wfd_stream(e)) {
		n = ops_recv(e, v, cnt, total, a[3]);
		xfree(v);
		if (n < 0)
			return werrno((int)-n);
		put_u16(wptr(m, a[5], 2), 0);
		return wput32(m, a[4], (uint32_t)n);
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = v;
	mh.msg_iovlen = (size_t)cnt;
	if (a[3] & 1)
		fl |= MSG_PEEK;
	if (a[3] & 2)
		fl |= MSG_WAITALL;
	n = recvmsg(e->host, &mh, fl);
	rc = n < 0 ? werrno(errno) : 0;
	xfree(v);
	if (rc)
		return rc;
	put_u16(wptr(m, a[5], 2), (mh.msg_flags & MSG_TRUNC) ? 1 : 0);
	return wput32(m, a[4], (uint32_t)n);
}

WASI_FN(sock_send)
{
	struct msghdr mh;
	struct iovec *v;
	struct wfd *e;
	size_t total;
	ssize_t n;
	int rc = wfd_get(w, a[0], W_R_FD_WRITE, &e), cnt;

	if (rc)
		return rc;
	if (a[3] != 0)
		return W_EINVAL;
	if (!wptr(m, a[4], 4))
		return W_EFAULT;
	if (e->impl != WFD_HOST || e->type != W_FT_STREAM)
		return W_ENOTSOCK;
	rc = wasi__load_iovs(m, a[1], a[2], &v, &cnt, &total);
	if (rc)
		return rc;
	if (wfd_stream(e)) {
		n = e->ops->writev(e->obj, v, cnt, e->nonblock);
		xfree(v);
		if (n < 0)
			return werrno((int)-n);
		return wput32(m, a[4], (uint32_t)n);
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = v;
	mh.msg_iovlen = (size_t)cnt;
	n = sendmsg(e->host, &mh, MSG_NOSIGNAL);
	rc = n < 0 ? werrno(errno) : 0;
	xfree(v);
	if (rc)
		return rc;
	return wput32(m, a[4], (uint32_t)n);
}

WASI_FN(sock_shutdown)
{
	static const int how[] = {0, SHUT_RD, SHUT_WR, SHUT_RDWR};
	struct wfd *e;
	int rc = wfd_get(w, a[0], 0, &e);

	(void)m;
	if (rc)
		return rc;
	if (e->impl != WFD_HOST || e->type != W_FT_STREAM)
		return W_ENOTSOCK;
	rc = wfd_get(w, a[0], W_R_SOCK_SHUTDOWN, &e);
	if (rc)
		return rc;
	if (a[1] < 1 || a[1] > 3)
		return W_EINVAL;
	if (wfd_stream(e)) {
		rc = e->ops->shutdown(e->obj, how[a[1]]);
		return rc < 0 ? werrno(-rc) : 0;
	}
	return shutdown(e->host, how[a[1]]) ? werrno(errno) : 0;
}
