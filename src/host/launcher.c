/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent's Keep launcher: the only process of the agent that opens
 * /dev/kvm and holds Keep memory. It reads typed messages from the network
 * process (lmsg.h), builds Keeps through keep sessions, relays the keep
 * protocol between the Keep and two pipes, and reports each Keep's end.
 * One thread (the parent of every nil Keep, so PDEATHSIG ties them to it),
 * one epoll loop; it dies with the network process (chan_fork's PDEATHSIG)
 * and kills its Keeps when the channel closes. */
#include "host/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "backend/backend.h"
#include "host/lmsg.h"
#include "keep/abi.h"
#include "keep/proto.h"
#include "keep/relay.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

#define L_OUT_MAX (16u << 20) /* frames waiting for the network process */
#define L_IN_MAX (KP_MAX_PAYLOAD + KP_HEADER_SIZE)

enum w_kind { W_CHAN, W_SESSION, W_IN, W_OUT };

struct lkeep;

/* What an epoll event points at. */
struct watch {
	enum w_kind kind;
	struct lkeep *k;
};

struct launcher;

struct lkeep {
	struct launcher *l;
	uint32_t slot;
	int fd[LM_NPIPES];
	struct keep_session *s;
	struct watch ws, win, wout;
	struct buf in, out;
	size_t out_off;
	int started, ended, out_armed, dropped, dead;
	struct keep_relay_curl relay; /* answers the Keep's HTTP_REQ */
	struct lkeep *next;
};

struct launcher {
	struct chan *c;
	int ep;
	unsigned max_pending;
	struct lkeep *keeps;
	struct lkeep *dead; /* dropped in this batch of events, freed after it */
	struct watch wchan;
};

static struct lkeep *find(struct launcher *l, uint32_t slot)
{
	for (struct lkeep *k = l->keeps; k; k = k->next)
		if (k->slot == slot)
			return k;
	return NULL;
}

static void close_fd(struct launcher *l, int *fd)
{
	if (*fd >= 0) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, *fd, NULL);
		close(*fd);
		*fd = -1;
	}
}

static void drop(struct launcher *l, struct lkeep *k)
{
	struct lkeep **p = &l->keeps;

	while (*p && *p != k)
		p = &(*p)->next;
	if (*p)
		*p = k->next;
	if (k->s)
		epoll_ctl(l->ep, EPOLL_CTL_DEL, keep_session_fd(k->s), NULL);
	keep_session_free(k->s);
	for (int i = 0; i < LM_NPIPES; i++)
		close_fd(l, &k->fd[i]);
	buf_free(&k->in, 0);
	buf_free(&k->out, 0);
	k->s = NULL;
	k->dead = 1;
	k->next = l->dead;
	l->dead = k;
}

static void reap(struct launcher *l)
{
	while (l->dead) {
		struct lkeep *k = l->dead;

		l->dead = k->next;
		xfree(k);
	}
}

static struct lkeep *get(struct launcher *l, uint32_t slot)
{
	struct lkeep *k = find(l, slot);
	unsigned n = 0;

	if (k)
		return k;
	for (k = l->keeps; k; k = k->next)
		n++;
	if (n >= l->max_pending || !(k = xcalloc(1, sizeof(*k))))
		return NULL;
	k->slot = slot;
	k->l = l;
	for (int i = 0; i < LM_NPIPES; i++)
		k->fd[i] = -1;
	k->ws = (struct watch){W_SESSION, k};
	k->win = (struct watch){W_IN, k};
	k->wout = (struct watch){W_OUT, k};
	k->next = l->keeps;
	l->keeps = k;
	return k;
}

/* ---- Keep -> network process: every frame, verbatim ---- */

static void out_flush(struct launcher *l, struct lkeep *k)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &k->wout};

	while (k->fd[LM_PROTO_OUT] >= 0 && k->out_off < k->out.len) {
		ssize_t n =
		    write(k->fd[LM_PROTO_OUT], k->out.data + k->out_off, k->out.len - k->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* the reader is gone: nothing more to relay */
			close_fd(l, &k->fd[LM_PROTO_OUT]);
			k->out_armed = 0;
			break;
		}
		k->out_off += (size_t)n;
	}
	if (k->out_off == k->out.len)
		k->out_off = k->out.len = 0;
	if (k->fd[LM_PROTO_OUT] < 0)
		return;
	if (k->out.len && !k->out_armed)
		k->out_armed = !epoll_ctl(l->ep, EPOLL_CTL_ADD, k->fd[LM_PROTO_OUT], &ev);
	else if (!k->out.len && k->out_armed) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, k->fd[LM_PROTO_OUT], NULL);
		k->out_armed = 0;
	}
	if (!k->out.len && k->ended)
		close_fd(l, &k->fd[LM_PROTO_OUT]);
}

/* What the Keep says of its TEE, for inspect: TEE gives the kind, MEASURE
 * the Keep's own evidence with the launch digest. */
static void report_tee(struct lkeep *k, uint32_t type, const uint8_t *p, size_t len)
{
	struct lm_tee t = {0};
	char *note = NULL;

	if (type == KP_TEE) {
		if (kp_dec_tee(p, len, &t.kind, &note) != 0 || t.kind > KP_TEE_OTHER)
			t.kind = KP_TEE_NONE;
		xfree(note);
	} else if (lm_measurement(p, len, &t) != 0) {
		log_warn("host launcher: Keep %u: a MEASURE message that is not KVM evidence",
		         k->slot);
		return;
	}
	chan_send(k->l->c, LM_TEE, k->slot, &t, sizeof(t), -1);
}

static void on_frame(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct lkeep *k = ctx;
	uint8_t hdr[KP_HEADER_SIZE];

	if (type == KP_TEE || type == KP_MEASURE)
		report_tee(k, type, p, len);

	if (k->dropped || k->out.len + len + sizeof(hdr) > L_OUT_MAX) {
		if (!k->dropped)
			log_warn("host launcher: Keep %u: relay buffer full, frames dropped",
			         k->slot);
		k->dropped = 1;
		return;
	}
	kp_frame_header(hdr, type, len);
	if (buf_append(&k->out, hdr, sizeof(hdr)) || buf_append(&k->out, p, len))
		k->dropped = 1;
}

/* ---- network process -> Keep: frames checked and queued ---- */

static void in_read(struct launcher *l, struct lkeep *k)
{
	uint8_t tmp[65536];
	ssize_t n = read(k->fd[LM_PROTO_IN], tmp, sizeof(tmp));
	const uint8_t *payload;
	size_t off = 0, plen, used;
	uint32_t type;
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(l, &k->fd[LM_PROTO_IN]);
		return;
	}
	if (buf_append(&k->in, tmp, (size_t)n)) {
		close_fd(l, &k->fd[LM_PROTO_IN]);
		return;
	}
	while (!(rc = kp_frame_split(k->in.data + off, k->in.len - off, KP_MAX_PAYLOAD, &type,
	                             &payload, &plen, &used))) {
		if (k->s && keep_session_send(k->s, type, payload, plen) != 0)
			log_debug("host launcher: Keep %u no longer reads frames", k->slot);
		off += used;
	}
	if (rc == ENARX_E_OVERFLOW) {
		log_warn("host launcher: Keep %u: oversized frame from the network process",
		         k->slot);
		close_fd(l, &k->fd[LM_PROTO_IN]);
		off = k->in.len;
	}
	memmove(k->in.data, k->in.data + off, k->in.len - off);
	k->in.len -= off;
}

/* ---- Keep lifecycle ---- */

static void send_started(struct launcher *l, uint32_t slot, int rc, const char *be, uint64_t mem)
{
	struct lm_started m = {.rc = rc, .mem = mem};

	snprintf(m.backend, sizeof(m.backend), "%s", be ? be : "");
	chan_send(l->c, LM_STARTED, slot, &m, sizeof(m), -1);
}

/* The outcome as text: trap message and backtrace (as enarx run prints
 * it), or the executor's error. */
static size_t outcome_text(const struct keep_outcome *o, char *t, size_t n)
{
	size_t len = 0;

	if (o->result == KEEP_TRAPPED) {
		len = (size_t)snprintf(t, n, "%s%s", o->trap->message,
		                       o->trap->nframes ? "\nwasm backtrace:" : "");
		for (uint32_t i = 0; i < o->trap->nframes && len < n; i++) {
			const struct kp_frame *f = &o->trap->frames[i];

			len += (size_t)snprintf(t + len, n - len, "\n  %3u: 0x%06x - func[%u]%s%s",
			                        i, f->code_offset, f->func_index,
			                        f->name[0] ? " " : "", f->name);
		}
	} else if (o->result == KEEP_FAILED && o->error) {
		len = (size_t)snprintf(t, n, "%s", o->error);
	}
	return len < n ? len : n - 1;
}

static void send_ended(struct launcher *l, struct lkeep *k, int wrc)
{
	struct {
		struct lm_ended h;
		char text[LM_TEXT_MAX + 1];
	} m;
	struct keep_outcome o = {0};
	size_t tl = 0;

	memset(&m, 0, sizeof(m));
	if (wrc < 0 || keep_session_outcome(k->s, &o) != 0) {
		m.h.result = KEEP_NO_RESULT;
		m.h.status = wrc < 0 ? wrc : -1;
		tl = (size_t)snprintf(m.text, sizeof(m.text), "%s", enarx_strerror(wrc));
	} else {
		m.h.result = o.result;
		m.h.status = o.status;
		m.h.killed = o.killed ? 1 : 0;
		m.h.exit_code = o.exit_code;
		m.h.nframes = o.trap ? o.trap->nframes : 0;
		/* the host's wall-time kill, or the Keep's own stop at a time limit */
		m.h.timed_out = o.timed_out || o.limit_hit || o.cpu_out ? 1 : 0;
		m.h.usage = o.usage.valid ? 1 : 0;
		m.h.user_us = o.usage.user_us;
		m.h.system_us = o.usage.system_us;
		m.h.wall_us = o.usage.wall_us;
		m.h.maxrss_kb = o.usage.maxrss_kb;
		tl = outcome_text(&o, m.text, sizeof(m.text));
	}
	for (size_t i = 0; i < tl; i++) /* the decoder refuses NUL */
		if (!m.text[i])
			m.text[i] = '?';
	chan_send(l->c, LM_ENDED, k->slot, &m, sizeof(m.h) + tl, -1);
}

static void session_event(struct launcher *l, struct lkeep *k)
{
	int rc = keep_session_pump(k->s);

	out_flush(l, k);
	if (rc == 0)
		return;
	send_ended(l, k, rc < 0 ? rc : 0);
	k->ended = 1;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, keep_session_fd(k->s), NULL);
	/* Freeing the session closes the backend's copies of the stdio pipes,
	 * so the network process sees end of file on stdout and stderr. */
	keep_session_free(k->s);
	k->s = NULL;
	close_fd(l, &k->fd[LM_PROTO_IN]);
	out_flush(l, k);
	if (k->fd[LM_PROTO_OUT] < 0)
		drop(l, k);
}

static int add_watch(struct launcher *l, int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) ? ENARX_E_IO : 0;
}

static int start(struct launcher *l, struct lkeep *k, const struct lm_create *m,
                 const struct backend **bep)
{
	const struct backend *be = m->backend[0] ? backend_find(m->backend) : backend_default();
	struct keep_session_opts so = {0};
	char why[256];
	int rc;

	*bep = be;
	for (int i = 0; i < LM_NPIPES; i++)
		if (k->fd[i] < 0)
			return ENARX_E_INVAL;
	if (!be)
		return ENARX_E_NOTFOUND;
	if (!backend_usable(be, why, sizeof(why))) {
		log_warn("host launcher: backend %s not usable: %s", be->name, why);
		return ENARX_E_BACKEND;
	}
	so.backend = be;
	so.exec = backend_exec_image(&so.exec_len);
	so.mem_size = m->mem;
	so.stdio = k->fd; /* LM_STDIN, LM_STDOUT, LM_STDERR are 0, 1, 2 */
	so.net = (int)m->net;
	so.limits.memory = m->lim_memory;
	so.limits.fuel = m->lim_fuel;
	so.limits.wall_ms = m->lim_wall_ms;
	so.limits.fds = m->lim_fds;
	so.limits.output = m->lim_output;
	so.on_message = on_frame;
	so.ctx = k;
	keep_relay_curl_init(&k->relay);
	so.relay = &k->relay.base;
	if ((rc = keep_session_new(&so, &k->s)) || (rc = keep_session_start(k->s)))
		return rc;
	/* the backend holds its own copies of the Keep's stdio now */
	for (int i = LM_STDIN; i <= LM_STDERR; i++)
		close_fd(l, &k->fd[i]);
	fcntl(k->fd[LM_PROTO_IN], F_SETFL, O_NONBLOCK);
	fcntl(k->fd[LM_PROTO_OUT], F_SETFL, O_NONBLOCK);
	if ((rc = add_watch(l, keep_session_fd(k->s), EPOLLIN, &k->ws)) ||
	    (rc = add_watch(l, k->fd[LM_PROTO_IN], EPOLLIN, &k->win)))
		return rc;
	k->started = 1;
	return 0;
}

static void on_create(struct launcher *l, const struct chan_msg *msg)
{
	struct lkeep *k = find(l, msg->id);
	const struct backend *be = NULL;
	struct lm_create m;
	char why[128];
	int rc;

	if (!k || k->started) {
		send_started(l, msg->id, ENARX_E_INVAL, NULL, 0);
		return;
	}
	rc = lm_dec_create(msg->data, msg->len, &m, why, sizeof(why));
	if (rc)
		log_warn("host launcher: %s", why);
	else
		rc = start(l, k, &m, &be);
	send_started(l, msg->id, rc, be ? be->name : m.backend, m.mem);
	if (rc)
		drop(l, k);
	else
		log_debug("host launcher: Keep %u started on %s", k->slot, be->name);
}

static void on_fd(struct launcher *l, struct chan_msg *msg)
{
	struct lkeep *k = get(l, msg->id);
	uint32_t which;
	char why[128];

	if (!k || k->started || lm_dec_fd(msg->data, msg->len, &which, why, sizeof(why)) ||
	    k->fd[which] >= 0) {
		log_warn("host launcher: descriptor for Keep %u refused", msg->id);
		close(msg->fd);
		return;
	}
	k->fd[which] = msg->fd;
}

/* Returns 0, or non-zero when the channel is gone (the launcher ends). */
static int chan_event(struct launcher *l)
{
	struct chan_msg msg;
	struct lkeep *k;
	int rc;

	while ((rc = chan_recv(l->c, &msg)) == 0) {
		switch (msg.type) {
		case LM_FD: on_fd(l, &msg); break;
		case LM_CREATE: on_create(l, &msg); break;
		case LM_KILL:
			if ((k = find(l, msg.id)) && k->s)
				keep_session_kill(k->s);
			break;
		default: /* a type only we send: the peer is broken */
			log_error("host launcher: unexpected message %u", msg.type);
			if (msg.fd >= 0)
				close(msg.fd);
			return ENARX_E_CHAN_MSG;
		}
	}
	if (rc == ENARX_E_AGAIN)
		return 0;
	if (rc != ENARX_E_CHAN_CLOSED)
		log_error("host launcher: %s", chan_error(l->c));
	return rc;
}

static void dispatch(struct launcher *l, struct watch *w, int *stop)
{
	if (w->k && w->k->dead)
		return;
	switch (w->kind) {
	case W_CHAN: *stop = chan_event(l) != 0; break;
	case W_SESSION: session_event(l, w->k); break;
	case W_IN: in_read(l, w->k); break;
	case W_OUT:
		out_flush(l, w->k);
		if (w->k->ended && w->k->fd[LM_PROTO_OUT] < 0)
			drop(l, w->k);
		break;
	}
}

int host_launcher_main(struct chan *c, void *arg)
{
	const struct host_launcher_conf *conf = arg;
	struct launcher l = {.c = c, .max_pending = conf->max_pending};
	struct epoll_event evs[32];
	int stop = 0;

	signal(SIGPIPE, SIG_IGN);
	l.wchan = (struct watch){W_CHAN, NULL};
	fcntl(chan_fd(c), F_SETFL, O_NONBLOCK);
	if ((l.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    add_watch(&l, chan_fd(c), EPOLLIN, &l.wchan)) {
		log_error("host launcher: epoll: %s", strerror(errno));
		return 1;
	}
	if (conf->sandbox && conf->sandbox() != 0)
		return 1;
	while (!stop) {
		int n = epoll_wait(l.ep, evs, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n && !stop; i++)
			dispatch(&l, evs[i].data.ptr, &stop);
		reap(&l);
	}
	while (l.keeps) /* the network process is gone: no Keep outlives it */
		drop(&l, l.keeps);
	reap(&l);
	close(l.ep);
	return 0;
}
