/* SPDX-License-Identifier: Apache-2.0 */
/* Typed, size-checked messages over a SOCK_SEQPACKET socketpair with
 * SCM_RIGHTS descriptor passing, and the fork helper for the privileged or
 * unprivileged half of a daemon. See chan.h for the contract. */
#include "http/chan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/err.h"
#include "lib/log.h"

struct chan {
	int fd;
	const struct chan_type *types;
	size_t ntypes;
	uint8_t *buf;
	size_t bufcap; /* header + largest declared payload + 1 */
	int dead;      /* 0, or the error every later call returns */
	char err[160];
};

static const struct chan_type *chan__find(const struct chan_type *types, size_t n, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

int chan_decode(const struct chan_type *types, size_t ntypes, const uint8_t *buf, size_t len,
                bool has_fd, struct chan_msg *out, char *why, size_t whylen)
{
	struct cursor c;
	uint32_t type, plen, id, flags;
	const struct chan_type *t;

	cursor_init(&c, buf, len);
	if (cursor_copy(&c, &type, 4) || cursor_copy(&c, &plen, 4) || cursor_copy(&c, &id, 4) ||
	    cursor_copy(&c, &flags, 4)) {
		snprintf(why, whylen, "message of %zu bytes is shorter than the %u-byte header",
		         len, CHAN_HDR_SIZE);
		return ENARX_E_CHAN_MSG;
	}
	if ((t = chan__find(types, ntypes, type)) == NULL) {
		snprintf(why, whylen, "unknown message type %u", type);
		return ENARX_E_CHAN_MSG;
	}
	if (plen != cursor_left(&c)) {
		snprintf(why, whylen, "%s: header says %u payload bytes, datagram has %zu", t->name,
		         plen, cursor_left(&c));
		return ENARX_E_CHAN_MSG;
	}
	if (plen < t->min_len || plen > t->max_len) {
		if (t->min_len == t->max_len)
			snprintf(why, whylen, "%s: payload is %u bytes, must be exactly %u",
			         t->name, plen, t->min_len);
		else
			snprintf(why, whylen, "%s: payload is %u bytes, must be %u..%u", t->name,
			         plen, t->min_len, t->max_len);
		return ENARX_E_CHAN_MSG;
	}
	if ((flags & ~CHAN_F_FD) != 0) {
		snprintf(why, whylen, "%s: unknown flags 0x%x", t->name, flags);
		return ENARX_E_CHAN_MSG;
	}
	if (!!(flags & CHAN_F_FD) != t->fd || has_fd != t->fd) {
		snprintf(why, whylen, "%s: %s a descriptor, %s", t->name,
		         t->fd ? "needs" : "must not carry", has_fd ? "one came" : "none came");
		return ENARX_E_CHAN_MSG;
	}
	out->type = type;
	out->id = id;
	out->len = plen;
	out->fd = -1;
	if (cursor_bytes(&c, plen, &out->data))
		out->data = NULL;
	return 0;
}

int chan_new(int fd, const struct chan_type *types, size_t ntypes, struct chan **out)
{
	struct chan *c;
	size_t maxlen = 0;

	*out = NULL;
	for (size_t i = 0; i < ntypes; i++) {
		if (types[i].min_len > types[i].max_len || types[i].max_len > CHAN_MAX_PAYLOAD) {
			close(fd);
			return ENARX_E_INVAL;
		}
		if (types[i].max_len > maxlen)
			maxlen = types[i].max_len;
	}
	if ((c = xcalloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return ENARX_E_NOMEM;
	}
	c->fd = fd;
	c->types = types;
	c->ntypes = ntypes;
	c->bufcap = CHAN_HDR_SIZE + maxlen + 1;
	if ((c->buf = xmalloc(c->bufcap)) == NULL) {
		chan_free(c);
		return ENARX_E_NOMEM;
	}
	*out = c;
	return 0;
}

int chan_pair(const struct chan_type *types, size_t ntypes, struct chan **a, struct chan **b)
{
	int sv[2], rc;

	*a = *b = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return ENARX_E_IO;
	if ((rc = chan_new(sv[0], types, ntypes, a)) != 0) {
		close(sv[1]);
		return rc;
	}
	if ((rc = chan_new(sv[1], types, ntypes, b)) != 0) {
		chan_free(*a);
		*a = NULL;
	}
	return rc;
}

void chan_free(struct chan *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->buf != NULL)
		secure_wipe(c->buf, c->bufcap);
	xfree(c->buf);
	xfree(c);
}

int chan_fd(const struct chan *c)
{
	return c->fd;
}

const char *chan_error(const struct chan *c)
{
	return c->err;
}

static int chan__fail(struct chan *c, int rc)
{
	c->dead = rc;
	log_warn("privsep channel: %s", c->err);
	return rc;
}

int chan_send(struct chan *c, uint32_t type, uint32_t id, const void *data, size_t len, int fd)
{
	const struct chan_type *t = chan__find(c->types, c->ntypes, type);
	uint32_t hdr[4] = {type, (uint32_t)len, id, fd >= 0 ? CHAN_F_FD : 0};
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	ssize_t n;

	if (c->dead)
		return c->dead;
	if (t == NULL || len < t->min_len || len > t->max_len || (fd >= 0) != t->fd)
		return ENARX_E_INVAL;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.b;
		m.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	do
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(hdr) + len)) {
		snprintf(c->err, sizeof(c->err), "send %s: %s", t->name,
		         n < 0 ? strerror(errno) : "short write");
		return chan__fail(c, ENARX_E_CHAN_CLOSED);
	}
	return 0;
}

/* Collects the descriptors of one received message: returns how many
 * arrived, storing the first in *fd and closing any others. */
static int chan__take_fds(struct msghdr *m, int *fd)
{
	int count = 0;

	*fd = -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h != NULL; h = CMSG_NXTHDR(m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			if (count++ == 0)
				*fd = f;
			else
				close(f);
		}
	}
	return count;
}

int chan_recv(struct chan *c, struct chan_msg *out)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct iovec iov = {c->buf, c->bufcap};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
	ssize_t n;
	int fd = -1, nfd, rc;

	if (c->dead)
		return c->dead;
	do
		n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return ENARX_E_AGAIN;
	nfd = n < 0 ? 0 : chan__take_fds(&m, &fd);
	if (n <= 0) {
		snprintf(c->err, sizeof(c->err), "%s", n == 0 ? "peer closed" : strerror(errno));
		return chan__fail(c, ENARX_E_CHAN_CLOSED);
	}
	if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n >= c->bufcap) {
		snprintf(c->err, sizeof(c->err), "message truncated: larger than %zu bytes%s",
		         c->bufcap - 1,
		         (m.msg_flags & MSG_CTRUNC) ? " or too many descriptors" : "");
		rc = ENARX_E_CHAN_MSG;
	} else if (nfd > 1) {
		snprintf(c->err, sizeof(c->err), "message carries %d descriptors, at most 1", nfd);
		rc = ENARX_E_CHAN_MSG;
	} else {
		rc = chan_decode(c->types, c->ntypes, c->buf, (size_t)n, nfd == 1, out, c->err,
		                 sizeof(c->err));
	}
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		return chan__fail(c, rc);
	}
	out->fd = fd;
	return 0;
}

/* Closes every descriptor above 2 except those listed (in the child). */
static void chan__close_others(int keep0, const int *keep, size_t nkeep)
{
	int lo = 3;

	for (;;) {
		int next = -1; /* smallest kept fd >= lo */
		if (keep0 >= lo)
			next = keep0;
		for (size_t i = 0; i < nkeep; i++)
			if (keep[i] >= lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0) {
			close_range((unsigned)lo, ~0u, 0);
			return;
		}
		if (next > lo)
			close_range((unsigned)lo, (unsigned)next - 1, 0);
		lo = next + 1;
	}
}

static void chan__child_reset(pid_t parent)
{
	sigset_t all;
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127); /* the parent already died: do not run orphaned */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(127);
}

int chan_fork(const struct chan_child *child, struct chan **parent, pid_t *pid)
{
	struct chan *a, *b;
	pid_t me = getpid(), p;
	int rc;

	*parent = NULL;
	if ((rc = chan_pair(child->types, child->ntypes, &a, &b)) != 0)
		return rc;
	fflush(NULL);
	if ((p = fork()) < 0) {
		chan_free(a);
		chan_free(b);
		return ENARX_E_IO;
	}
	if (p == 0) {
		close(a->fd);
		a->fd = -1;
		chan__close_others(b->fd, child->keep_fds, child->nkeep);
		chan__child_reset(me);
		rc = child->main(b, child->arg);
		chan_free(b);
		_exit(rc);
	}
	log_debug("privsep: started %s as pid %d", child->name, (int)p);
	chan_free(b);
	*parent = a;
	*pid = p;
	return 0;
}
