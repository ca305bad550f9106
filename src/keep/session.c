/* SPDX-License-Identifier: Apache-2.0 */
/* The host half of a Keep session (session.h): a socketpair whose far end
 * becomes fd 3 in the Keep, a non-blocking pump over its near end, the
 * backend handle, and the outcome decoded from the Keep's messages. One
 * mutex per session; nothing global. */
#include "keep/session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend/backend.h"
#include "keep/relay.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

#define READ_CHUNK 65536
#define READS_PER_PUMP 16 /* a chatty Keep cannot starve the others */

/* One HTTP_REQ being answered on its own thread. */
struct relay_job {
	struct keep_session *s;
	pthread_t t;
	struct kp_http_req req;
	uint8_t *body; /* the request body (req.body points here) */
	int done;      /* the thread has queued its answer (under s->lock) */
	struct relay_job *next;
};

struct keep_session {
	pthread_mutex_t lock;
	struct relay_job *jobs; /* HTTP_REQ answers under way or done */
	volatile int relay_cancel;
	struct keep_session_opts o;
	const struct backend *be;
	struct backend_keep *keep; /* NULL until started */
	int sock;                  /* our end of the keep socket (non-blocking) */
	int keep_end;              /* the Keep's end until start hands it over */
	int epfd;
	int timer; /* timerfd for limits.wall_ms, or -1 */
	int started, ended, rc;
	struct timespec t_start; /* CLOCK_MONOTONIC at start, for usage.wall_us */
	int sock_closed;         /* the Keep closed its end or broke the protocol */
	int want_out;            /* EPOLLOUT is in the epoll set */
	int close_input;         /* shut our writing side once out has drained */
	struct buf out;          /* bytes queued for the Keep, from out_off */
	size_t out_off;
	struct buf in; /* bytes from the Keep not yet a whole frame */
	struct keep_outcome res;
	int got_exit, got_trap, got_error;
	int jit; /* the workload fed runs on the JIT (keep_launch.jit) */
	struct kp_trap trap;
	char *error, *tee_note;
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

static int ep_set(struct keep_session *s, int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(s->epfd, op, fd, &ev);
}

int keep_session_new(const struct keep_session_opts *o, struct keep_session **out)
{
	struct keep_session *s;
	int sv[2];

	*out = NULL;
	if (!o || !o->backend)
		return ENARX_E_INVAL;
	s = xcalloc(1, sizeof(*s));
	if (!s)
		return ENARX_E_NOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->o = *o;
	s->be = o->backend;
	s->sock = s->keep_end = s->timer = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_error("keep session: %s: %s", s->epfd < 0 ? "epoll_create1" : "socketpair",
		          strerror(errno));
		keep_session_free(s);
		return ENARX_E_IO;
	}
	s->sock = sv[0];
	s->keep_end = sv[1];
	if (set_nonblock(s->sock) != 0 || ep_set(s, EPOLL_CTL_ADD, s->sock, EPOLLIN) != 0) {
		log_error("keep session: keep socket: %s", strerror(errno));
		keep_session_free(s);
		return ENARX_E_IO;
	}
	*out = s;
	return 0;
}

static void relay_jobs_join(struct keep_session *s, int all);

void keep_session_free(struct keep_session *s)
{
	if (!s)
		return;
	s->relay_cancel = 1;
	relay_jobs_join(s, 1); /* they lock s: not under the lock */
	if (s->keep)
		s->be->free(s->keep); /* kills and reaps a running Keep */
	if (s->sock >= 0)
		close(s->sock);
	if (s->keep_end >= 0)
		close(s->keep_end);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->timer >= 0)
		close(s->timer);
	buf_free(&s->out, 0);
	buf_free(&s->in, 0);
	kp_trap_clear(&s->trap);
	xfree(s->error);
	xfree(s->tee_note);
	pthread_mutex_destroy(&s->lock);
	xfree(s);
}

/* ---- host -> Keep ------------------------------------------------------- */

/* The Keep will read no more: drop what is queued. */
static void sock_close(struct keep_session *s)
{
	if (s->sock_closed)
		return;
	s->sock_closed = 1;
	/* A Keep still writing gets EPIPE rather than blocking on a full socket. */
	shutdown(s->sock, SHUT_RDWR);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->sock, NULL);
	s->out.len = s->out_off = 0;
}

/* Writes from iov without blocking; returns bytes written, or -1 when the
 * Keep has closed its end. */
static ssize_t send_some(struct keep_session *s, struct iovec *iov, int n)
{
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	ssize_t r;

	do {
		r = sendmsg(s->sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (r < 0 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	log_debug("keep session: the Keep stopped reading: %s", strerror(errno));
	sock_close(s);
	return -1;
}

/* Sends queued bytes and keeps EPOLLOUT in the set exactly while some wait. */
static void flush_out(struct keep_session *s)
{
	while (!s->sock_closed && s->out_off < s->out.len) {
		struct iovec v = {s->out.data + s->out_off, s->out.len - s->out_off};
		ssize_t r = send_some(s, &v, 1);

		if (r <= 0)
			break;
		s->out_off += (size_t)r;
	}
	if (s->out_off == s->out.len)
		s->out.len = s->out_off = 0;
	if (s->sock_closed)
		return;
	if (s->close_input == 1 && !s->out.len) {
		shutdown(s->sock, SHUT_WR);
		s->close_input = 2;
	}
	if (!s->want_out != !s->out.len) {
		s->want_out = s->out.len != 0;
		ep_set(s, EPOLL_CTL_MOD, s->sock, EPOLLIN | (s->want_out ? EPOLLOUT : 0));
	}
}

/* Writes a frame straight through when nothing is queued; copies the rest. */
static int send_locked(struct keep_session *s, uint32_t type, const void *p, size_t len)
{
	uint8_t hdr[KP_HEADER_SIZE];
	struct iovec v[2];
	size_t done = 0;
	ssize_t r;
	int rc = 0;

	if (len > KP_MAX_PAYLOAD)
		return ENARX_E_OVERFLOW;
	if (s->ended || s->sock_closed || s->close_input)
		return ENARX_E_IO;
	kp_frame_header(hdr, type, len);
	if (s->out.len == s->out_off) {
		v[0] = (struct iovec){hdr, sizeof(hdr)};
		v[1] = (struct iovec){(void *)p, len};
		r = send_some(s, v, len ? 2 : 1);
		if (r < 0)
			return ENARX_E_IO;
		done = (size_t)r;
	}
	if (done < sizeof(hdr))
		rc = buf_append(&s->out, hdr + done, sizeof(hdr) - done);
	if (!rc && len && done < sizeof(hdr) + len) {
		size_t skip = done > sizeof(hdr) ? done - sizeof(hdr) : 0;

		rc = buf_append(&s->out, (const uint8_t *)p + skip, len - skip);
	}
	flush_out(s);
	return rc;
}

int keep_session_send(struct keep_session *s, uint32_t type, const void *payload, size_t len)
{
	uint32_t version, level, engine;
	int rc;

	pthread_mutex_lock(&s->lock);
	/* a relayed HELLO says whether the Keep needs executable memory */
	if (type == KP_HELLO && kp_dec_hello(payload, len, &version, &level, &engine) == 0)
		s->jit = engine == KP_ENGINE_JIT;
	rc = send_locked(s, type, payload, len);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void keep_session_close_input(struct keep_session *s)
{
	pthread_mutex_lock(&s->lock);
	if (!s->close_input)
		s->close_input = 1;
	flush_out(s);
	pthread_mutex_unlock(&s->lock);
}

int keep_session_feed(struct keep_session *s, const struct keep_workload *w)
{
	struct buf b = {0};
	int rc = kp_enc_hello(&b, w->log_level, w->engine);

	pthread_mutex_lock(&s->lock);
	s->jit = w->engine == KP_ENGINE_JIT;
	if (!rc)
		rc = send_locked(s, KP_HELLO, b.data, b.len);
	if (!rc && keep_limits_any(&s->o.limits)) {
		b.len = 0;
		rc = kp_enc_limits(&b, &s->o.limits);
		if (!rc)
			rc = send_locked(s, KP_LIMITS, b.data, b.len);
	}
	if (!rc)
		rc = send_locked(s, KP_WASM, w->wasm, w->wasm_len);
	if (!rc && w->config && w->config_dir) {
		b.len = 0;
		rc = kp_enc_string(&b, w->config_dir);
		if (!rc)
			rc = send_locked(s, KP_CONFDIR, b.data, b.len);
	}
	if (!rc && w->config)
		rc = send_locked(s, KP_CONFIG, w->config, w->config_len);
	for (size_t i = 0; !rc && i < w->nfiles; i++) {
		b.len = 0;
		rc = kp_enc_file(&b, w->files[i].name, w->files[i].data, w->files[i].len);
		if (!rc)
			rc = send_locked(s, KP_FILE, b.data, b.len);
	}
	if (!rc && w->nargs) {
		b.len = 0;
		rc = kp_enc_args(&b, w->args, w->nargs);
		if (!rc)
			rc = send_locked(s, KP_ARGS, b.data, b.len);
	}
	if (!rc)
		rc = send_locked(s, KP_RUN, NULL, 0);
	pthread_mutex_unlock(&s->lock);
	buf_free(&b, 0);
	return rc;
}

/* ---- Keep -> host ------------------------------------------------------- */

/* ---- HTTP relay (keep/relay.h) ----------------------------------------- */

static void relay_answer(struct keep_session *s, uint32_t id, const struct keep_http_answer *a)
{
	struct kp_http_resp r = {.id = id, .status = a->status, .ctype = (char *)a->ctype};
	struct buf b = {0};

	r.body = a->body.data;
	r.body_len = a->body.len;
	if (kp_enc_http_resp(&b, &r) == 0)
		send_locked(s, KP_HTTP_RESP, b.data, b.len);
	else
		log_warn("keep: HTTP answer %u could not be encoded", id);
	buf_free(&b, 0);
}

static void *relay_thread(void *arg)
{
	struct relay_job *j = arg;
	struct keep_http_answer a;

	memset(&a, 0, sizeof(a));
	j->s->o.relay->fetch(j->s->o.relay, &j->req, &j->s->relay_cancel, &a);
	log_info("keep: relayed %s %s: %u%s%.*s", j->req.method, j->req.url, a.status,
	         a.status ? "" : " ", a.status ? 0 : (int)(a.body.len > 200 ? 200 : a.body.len),
	         a.body.data ? (const char *)a.body.data : "");
	pthread_mutex_lock(&j->s->lock);
	relay_answer(j->s, j->req.id, &a);
	j->done = 1;
	pthread_mutex_unlock(&j->s->lock);
	buf_free(&a.body, 0);
	return NULL;
}

/* Joins the finished jobs (all of them when all is set: not under lock).
 * Returns how many remain. */
static size_t relay_jobs_reap(struct keep_session *s, int all)
{
	struct relay_job **pp = &s->jobs, *j;
	size_t left = 0;

	while ((j = *pp) != NULL) {
		if (!all && !j->done) {
			left++;
			pp = &j->next;
			continue;
		}
		pthread_join(j->t, NULL);
		*pp = j->next;
		kp_http_req_clear(&j->req);
		xfree(j->body);
		xfree(j);
	}
	return left;
}

static void relay_jobs_join(struct keep_session *s, int all)
{
	relay_jobs_reap(s, all);
}

static void relay_refuse(struct keep_session *s, uint32_t id, const char *why)
{
	struct keep_http_answer a;

	memset(&a, 0, sizeof(a));
	buf_append(&a.body, why, strlen(why));
	relay_answer(s, id, &a);
	buf_free(&a.body, 0);
}

/* An HTTP_REQ: refused at once, or handed to a new thread. */
static void relay_start(struct keep_session *s, const uint8_t *p, size_t len)
{
	struct relay_job *j;
	int rc;

	j = xcalloc(1, sizeof(*j));
	if (!j || (rc = kp_dec_http_req(p, len, &j->req)) != 0) {
		log_warn("keep: malformed HTTP_REQ message");
		xfree(j);
		return;
	}
	if (!s->o.relay) {
		relay_refuse(s, j->req.id, "this host relays no HTTP requests");
	} else if (relay_jobs_reap(s, 0) >= KEEP_RELAY_MAX_INFLIGHT) {
		relay_refuse(s, j->req.id, "too many HTTP requests under way (at most 4)");
	} else {
		j->s = s;
		j->body = j->req.body_len ? xmalloc(j->req.body_len) : NULL;
		if (j->body)
			memcpy(j->body, j->req.body, j->req.body_len);
		j->req.body = j->body;
		if ((!j->body && j->req.body_len) ||
		    pthread_create(&j->t, NULL, relay_thread, j) != 0) {
			relay_refuse(s, j->req.id, "the host cannot start the request");
		} else {
			j->next = s->jobs;
			s->jobs = j;
			return;
		}
		xfree(j->body);
	}
	kp_http_req_clear(&j->req);
	xfree(j);
}

/* Decodes one message into the outcome; a malformed one is logged and
 * ignored, as an unknown type is. */
static void on_message(struct keep_session *s, uint32_t type, const uint8_t *p, size_t len)
{
	uint32_t kind;
	int rc = 0;

	switch (type) {
	case KP_TEE:
		xfree(s->tee_note);
		rc = kp_dec_tee(p, len, &kind, &s->tee_note);
		if (!rc)
			log_info("keep: %s", s->tee_note);
		break;
	case KP_TLS_CERT: break; /* for on_message (enarx run prints it) */
	case KP_HTTP_REQ: relay_start(s, p, len); return;
	case KP_EXIT:
		rc = kp_dec_u32(p, len, &s->res.exit_code);
		s->got_exit = !rc;
		break;
	case KP_TRAP:
		kp_trap_clear(&s->trap);
		rc = kp_dec_trap(p, len, &s->trap);
		s->got_trap = !rc;
		break;
	case KP_LIMIT_HIT:
		rc = kp_dec_u32(p, len, &kind);
		if (!rc && (kind == KEEP_LIMIT_WALL || kind == KEEP_LIMIT_CPU))
			s->res.limit_hit = (int)kind;
		break;
	case KP_ERROR:
		xfree(s->error);
		rc = kp_dec_string(p, len, &s->error);
		s->got_error = !rc;
		break;
	case KP_MEASURE: /* for the observer (a host agent records it) */
	case KP_EVIDENCE:
	case KP_OUT_HEAD:
	case KP_SEALED_OUT: break; /* a deploy: for the observer (the client) only */
	default: log_warn("keep: ignoring unknown message type %u", type); break;
	}
	if (rc)
		log_warn("keep: malformed %s message: %s", kp_type_name(type), enarx_strerror(rc));
	if (s->o.on_message)
		s->o.on_message(s->o.ctx, type, p, len);
}

/* Handles every whole frame in s->in and keeps the partial rest. */
static void parse_in(struct keep_session *s)
{
	const uint8_t *payload;
	size_t off = 0, plen, used;
	uint32_t type;
	int rc;

	while (!(rc = kp_frame_split(s->in.data + off, s->in.len - off, KEEP_SESSION_MSG_MAX, &type,
	                             &payload, &plen, &used))) {
		on_message(s, type, payload, plen);
		off += used;
	}
	if (rc == ENARX_E_OVERFLOW) {
		log_warn("keep: message of more than %u bytes; no longer reading the Keep",
		         KEEP_SESSION_MSG_MAX);
		sock_close(s);
		off = s->in.len;
	}
	memmove(s->in.data, s->in.data + off, s->in.len - off);
	s->in.len -= off;
}

/* Reads what is there (all of it when drain is set: the Keep has ended). */
static void read_in(struct keep_session *s, int drain)
{
	for (int i = 0; !s->sock_closed && (drain || i < READS_PER_PUMP); i++) {
		ssize_t r;

		if (buf_reserve(&s->in, READ_CHUNK)) {
			log_error("keep session: out of memory reading the Keep");
			sock_close(s);
			break;
		}
		r = recv(s->sock, s->in.data + s->in.len, READ_CHUNK, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			sock_close(s); /* end of stream, or the Keep reset it */
			break;
		}
		s->in.len += (size_t)r;
		parse_in(s);
	}
}

/* ---- life ------------------------------------------------------------- */

/* Arms the wall-time timer in the epoll set: limits.wall_ms after now, and
 * the grace in which the executor stops the workload itself and says so. */
static int arm_timer(struct keep_session *s)
{
	uint64_t ms = s->o.limits.wall_ms + KEEP_WALL_GRACE_MS;
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	s->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timer < 0 || timerfd_settime(s->timer, 0, &its, NULL) != 0 ||
	    ep_set(s, EPOLL_CTL_ADD, s->timer, EPOLLIN) != 0) {
		log_error("keep session: wall-time timer: %s", strerror(errno));
		return ENARX_E_IO;
	}
	return 0;
}

/* Past the wall-time limit: the Keep is killed (once). */
static void check_timer(struct keep_session *s)
{
	uint64_t n;

	if (s->timer < 0 || s->res.killed || read(s->timer, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	log_info("keep: wall-time limit of %llu ms reached; stopping the Keep",
	         (unsigned long long)s->o.limits.wall_ms);
	if (s->be->kill(s->keep) == 0)
		s->res.killed = s->res.timed_out = 1;
}

int keep_session_start(struct keep_session *s)
{
	struct keep_launch kl;
	int rc;

	pthread_mutex_lock(&s->lock);
	if (s->started) {
		rc = ENARX_E_BUSY;
		goto out;
	}
	s->started = 1;
	memset(&kl, 0, sizeof(kl));
	kl.exec = s->o.exec;
	kl.exec_len = s->o.exec_len;
	kl.mem_size = s->o.mem_size ? s->o.mem_size : (size_t)keep_limits_keep_mem(&s->o.limits);
	kl.max_fds = s->o.limits.fds;
	kl.cpu_ms = s->o.limits.cpu_ms;
	kl.stdio = s->o.stdio;
	kl.dirs = s->o.dirs;
	kl.ndirs = s->o.ndirs;
	kl.net = s->o.net;
	kl.jit = s->jit;
	kl.keep_fd = s->keep_end;
	rc = s->o.limits.wall_ms ? arm_timer(s) : 0;
	clock_gettime(CLOCK_MONOTONIC, &s->t_start);
	if (!rc)
		rc = s->be->start(&kl, &s->keep);
	if (rc) {
		s->ended = 1;
		s->rc = rc;
		goto out;
	}
	/* The Keep holds its own copy now: our copy would hide its end. */
	close(s->keep_end);
	s->keep_end = -1;
	if (ep_set(s, EPOLL_CTL_ADD, s->be->fd(s->keep), EPOLLIN) != 0) {
		log_error("keep session: epoll: %s", strerror(errno));
		rc = ENARX_E_IO; /* keep_session_free() reaps the Keep */
		s->ended = 1;
		s->rc = rc;
	}
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int keep_session_fd(const struct keep_session *s)
{
	return s->epfd;
}

static int keep_has_ended(struct keep_session *s)
{
	struct pollfd p = {.fd = s->be->fd(s->keep), .events = POLLIN};

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

/* The Keep has ended: its status, its last messages, the outcome. */
static void finish(struct keep_session *s)
{
	int status = 0;

	struct timespec t;

	s->rc = s->be->wait(s->keep, &status);
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (s->rc || !s->be->usage || s->be->usage(s->keep, &s->res.usage) != 0)
		memset(&s->res.usage, 0, sizeof(s->res.usage));
	s->res.usage.wall_us = (uint64_t)((int64_t)(t.tv_sec - s->t_start.tv_sec) * 1000000 +
	                                  (t.tv_nsec - s->t_start.tv_nsec) / 1000);
	read_in(s, 1); /* everything it wrote is in the socket by now */
	sock_close(s);
	s->res.status = status;
	/* nil's RLIMIT_CPU (SIGXCPU, which the executor leaves at its default)
	 * or kvm's vCPU CPU clock (the backend says 128 + SIGXCPU too) */
	if (s->o.limits.cpu_ms && !s->res.killed && status == 128 + SIGXCPU)
		s->res.cpu_out = 1;
	s->res.trap = &s->trap;
	s->res.error = s->error;
	s->res.tee_note = s->tee_note;
	if (s->got_trap)
		s->res.result = KEEP_TRAPPED;
	else if (s->got_error)
		s->res.result = KEEP_FAILED;
	else if (s->got_exit)
		s->res.result = KEEP_EXITED;
	else
		s->res.result = KEEP_NO_RESULT;
	s->ended = 1;
}

int keep_session_pump(struct keep_session *s)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	if (!s->ended) {
		flush_out(s);
		read_in(s, 0);
		if (s->keep)
			check_timer(s);
		if (s->keep && keep_has_ended(s))
			finish(s);
	}
	rc = !s->ended ? 0 : s->rc ? s->rc : 1;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int keep_session_wait(struct keep_session *s)
{
	struct pollfd p = {.fd = s->epfd, .events = POLLIN};
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = s->started ? 0 : ENARX_E_INVAL;
	pthread_mutex_unlock(&s->lock);
	while (!rc) {
		rc = keep_session_pump(s);
		if (!rc && poll(&p, 1, -1) < 0 && errno != EINTR)
			rc = ENARX_E_IO;
	}
	return rc < 0 ? rc : 0;
}

int keep_session_kill(struct keep_session *s)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->keep && !s->ended) {
		rc = s->be->kill(s->keep);
		s->res.killed = !rc;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int keep_session_outcome(struct keep_session *s, struct keep_outcome *out)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	*out = s->res;
	rc = s->ended ? 0 : ENARX_E_BUSY;
	if (rc)
		out->result = KEEP_RUNNING;
	pthread_mutex_unlock(&s->lock);
	return rc;
}
