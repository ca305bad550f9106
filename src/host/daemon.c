/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent's network process: forks the launcher before it reads
 * any input, opens the state, serves the API (api.c) on src/http's loop,
 * and moves bytes between HTTP requests and each Keep's five pipes. */
#include "host/host.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/keeps.h"
#include "host/launcher.h"
#include "host/sandbox.h"
#include "host/store.h"
#include "http/chan.h"
#include "http/http.h"
#include "keep/abi.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/log.h"

#define PROTO_KEEP_MAX (16u << 20) /* frames from a Keep kept for the relay */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *hk_state_name(enum hk_state s)
{
	static const char *const names[] = {"starting", "running",   "exited", "trapped",  "failed",
	                                    "killed",   "no-result", "lost",   "timed-out"};

	return names[s];
}

static enum hk_state state_of(const char *name)
{
	for (int s = HK_STARTING; s <= HK_TIMEDOUT; s++)
		if (strcmp(hk_state_name((enum hk_state)s), name) == 0)
			return (enum hk_state)s;
	return HK_LOST;
}

/* The exit status `enarx keep run` gives for this Keep, or -1 (none yet). */
static int64_t exit_status(const struct hkeep *k)
{
	switch (k->state) {
	case HK_EXITED: return k->exit_code;
	case HK_TRAPPED: return KEEP_EXIT_TRAP;
	case HK_FAILED: return 1;
	case HK_KILLED: return 137;
	case HK_TIMEDOUT: return KEEP_EXIT_TIMEOUT;
	case HK_NORESULT: return k->status > 0 ? k->status : 1;
	default: return -1;
	}
}

static json_t *time_json(int64_t ms)
{
	char s[40];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(s + strlen(s), sizeof(s) - strlen(s), ".%03dZ", (int)(ms % 1000));
	return json_string(s);
}

static json_t *limit_json(uint64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

static json_t *limits_json(const struct keep_limits *l)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "memory", limit_json(l->memory), "fuel",
	                 limit_json(l->fuel), "wall_ms", limit_json(l->wall_ms), "fds",
	                 limit_json(l->fds), "output", limit_json(l->output));
}

static const char *tee_name(uint32_t kind)
{
	return kind == KP_TEE_KVM ? "kvm" : kind == KP_TEE_OTHER ? "other" : "none";
}

/* The launch measurement the Keep reported (MEASURE), or null with a
 * note saying why there is none. */
static void measurement_json(const struct hkeep *k, json_t *o)
{
	char hex[2 * sizeof(k->measurement) + 1];
	const char *note;

	if (k->has_measurement) {
		hex_encode(k->measurement, sizeof(k->measurement), hex);
		json_object_set_new(o, "measurement",
		                    json_pack("{s:s, s:s, s:s, s:s, s:b}", "algorithm", "sha384",
		                              "digest", hex, "version", "enarx " ENARX_VERSION,
		                              "tee", tee_name(k->tee), "insecure",
		                              k->tee == KP_TEE_KVM));
		json_object_set_new(o, "measurement_note", json_null());
		return;
	}
	if (k->mode == HOST_MODE_DEPLOY)
		note = "deploy mode: the launch measurement is in the Keep's evidence, which the "
		       "deploying client verifies";
	else if (!k->tee_known && !k->has_end)
		note = "not reported yet: the Keep has not started its workload";
	else if (!k->tee_known)
		note = "the Keep ended without reporting its TEE";
	else if (k->tee == KP_TEE_NONE)
		note = "no TEE: this backend has no launch measurement";
	else if (k->tee == KP_TEE_OTHER)
		note = "a hardware TEE whose report this host agent does not read";
	else
		note = "the Keep reported no evidence";
	json_object_set_new(o, "measurement", json_null());
	json_object_set_new(o, "measurement_note", json_string(note));
}

static json_t *usage_json(const struct hkeep *k)
{
	json_t *u = json_pack("{s:I}", "memory", (json_int_t)k->memory);
	bool cpu = k->has_end && k->has_usage;

	json_object_set_new(u, "cpu_user_us",
	                    cpu ? json_integer((json_int_t)k->user_us) : json_null());
	json_object_set_new(u, "cpu_system_us",
	                    cpu ? json_integer((json_int_t)k->system_us) : json_null());
	json_object_set_new(u, "wall_us",
	                    k->has_end && k->wall_us ? json_integer((json_int_t)k->wall_us)
	                                             : json_null());
	json_object_set_new(u, "max_rss_bytes",
	                    cpu && k->maxrss_kb ? json_integer((json_int_t)(k->maxrss_kb * 1024))
	                                        : json_null());
	return u;
}

json_t *hk_json(const struct hkeep *k)
{
	int64_t ec = exit_status(k);
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:b, s:o, s:o, s:I, "
	    "s:I, s:I, s:b}",
	    "id", k->id, "backend", k->backend, "mode",
	    k->mode == HOST_MODE_DEPLOY ? "deploy" : "run", "state", hk_state_name(k->state),
	    "created", time_json(k->created_ms), "ended", time_json(k->ended_ms), "memory",
	    (json_int_t)k->memory, "exit_code", ec >= 0 ? json_integer(ec) : json_null(), "status",
	    k->has_end && k->status >= 0 ? json_integer(k->status) : json_null(), "killed",
	    k->killed, "trap",
	    k->state == HK_TRAPPED && k->text ? json_string(k->text) : json_null(), "error",
	    k->state != HK_TRAPPED && k->text ? json_string(k->text) : json_null(), "stdout_bytes",
	    (json_int_t)k->total[HK_OUT], "stderr_bytes", (json_int_t)k->total[HK_ERR],
	    "proto_bytes", (json_int_t)k->total[HK_PROTO], "timed_out", k->timed_out);

	if (!o)
		return NULL;
	json_object_set_new(o, "limits", limits_json(&k->limits));
	json_object_set_new(o, "tee", k->tee_known ? json_string(tee_name(k->tee)) : json_null());
	measurement_json(k, o);
	json_object_set_new(o, "usage", usage_json(k));
	return o;
}

/* What a record holds beyond the columns of its first version, as JSON
 * (the "extra" column): limits, TEE and measurement, usage. */
static char *extra_json(const struct hkeep *k)
{
	char hex[2 * sizeof(k->measurement) + 1] = "";
	json_t *o;
	char *s;

	if (k->has_measurement)
		hex_encode(k->measurement, sizeof(k->measurement), hex);
	o = json_pack("{s:o, s:b, s:b, s:i, s:s, s:b, s:I, s:I, s:I, s:I, s:b}", "limits",
	              limits_json(&k->limits), "tee_known", k->tee_known, "has_measurement",
	              k->has_measurement, "tee", (int)k->tee, "measurement", hex, "has_usage",
	              k->has_usage, "user_us", (json_int_t)k->user_us, "system_us",
	              (json_int_t)k->system_us, "wall_us", (json_int_t)k->wall_us, "maxrss_kb",
	              (json_int_t)k->maxrss_kb, "timed_out", k->timed_out);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static uint64_t juint(const json_t *o, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(o, name));

	return v > 0 ? (uint64_t)v : 0;
}

/* Reads extra_json's text back (unknown or broken text: nothing). */
static void extra_load(struct hkeep *k, const char *text)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	const json_t *l = json_object_get(o, "limits");
	const char *hex = json_string_value(json_object_get(o, "measurement"));
	const size_t n = sizeof(k->measurement);

	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	k->limits.memory = juint(l, "memory");
	k->limits.fuel = juint(l, "fuel");
	k->limits.wall_ms = juint(l, "wall_ms");
	k->limits.fds = (uint32_t)juint(l, "fds");
	k->limits.output = juint(l, "output");
	k->tee_known = json_is_true(json_object_get(o, "tee_known"));
	k->tee = (uint32_t)juint(o, "tee");
	k->has_measurement = json_is_true(json_object_get(o, "has_measurement")) && hex &&
	                     strlen(hex) == 2 * n && hex_decode(hex, 2 * n, k->measurement, n) == 0;
	k->has_usage = json_is_true(json_object_get(o, "has_usage"));
	k->user_us = juint(o, "user_us");
	k->system_us = juint(o, "system_us");
	k->wall_us = juint(o, "wall_us");
	k->maxrss_kb = juint(o, "maxrss_kb");
	k->timed_out = json_is_true(json_object_get(o, "timed_out"));
	json_decref(o);
}

struct hkeep *hk_find(struct host *h, const char *id)
{
	for (struct hkeep *k = h->keeps; k; k = k->next)
		if (strcmp(k->id, id) == 0)
			return k;
	return NULL;
}

static void record(struct hkeep *k)
{
	struct store_rec r = {
	    .id = k->id,
	    .backend = k->backend,
	    .mode = k->mode == HOST_MODE_DEPLOY ? "deploy" : "run",
	    .state = hk_state_name(k->state),
	    .result = k->has_end ? hk_state_name(k->state) : NULL,
	    .text = k->text,
	    .memory = k->memory,
	    .created_ms = k->created_ms,
	    .ended_ms = k->ended_ms,
	    .exit_code = exit_status(k),
	    .status = k->has_end ? k->status : -1,
	    .out = k->data[HK_OUT].data,
	    .outlen = k->data[HK_OUT].len,
	    .err = k->data[HK_ERR].data,
	    .errlen = k->data[HK_ERR].len,
	};
	char *extra;

	if (!k->h->store)
		return;
	r.extra = extra = extra_json(k);
	store_put(k->h->store, &r);
	free(extra);
}

static void link_keep(struct host *h, struct hkeep *k)
{
	k->prev = h->last;
	if (h->last)
		h->last->next = k;
	else
		h->keeps = k;
	h->last = k;
	h->nrecords++;
}

static void close_pipe(struct hkeep *k, int i)
{
	if (k->ev[i]) {
		event_free(k->ev[i]);
		k->ev[i] = NULL;
	}
	if (k->fd[i] >= 0) {
		close(k->fd[i]);
		k->fd[i] = -1;
	}
}

/* Ends the requests following k: every stream is complete now. */
static void end_follows(struct hkeep *k)
{
	while (k->follow) {
		struct hk_follow *f = k->follow;

		k->follow = f->next;
		if (f->stream == HK_NSTREAMS)
			http_reply_json(f->req, 200, hk_json(k));
		else
			http_stream_end(f->req);
		xfree(f);
	}
}

static void answer_out(struct hk_out *o, int status)
{
	if (!o->req)
		return;
	if (status == 204)
		http_reply_bytes(o->req, 204, NULL, NULL, 0);
	else
		http_reply_problem(
		    o->req, HTTP_P_CONFLICT,
		    "the Keep no longer reads this stream (it has ended or closed it)");
	o->req = NULL;
}

/* Once the Keep has ended and every pipe from it is at end of file, its
 * record is final: store it and end the streams. */
static void maybe_done(struct hkeep *k)
{
	if (k->done || !k->has_end || k->fd[LM_STDOUT] >= 0 || k->fd[LM_STDERR] >= 0 ||
	    k->fd[LM_PROTO_OUT] >= 0)
		return;
	k->done = true;
	for (int i = 0; i < LM_NPIPES; i++) { /* only the two to the Keep are open */
		answer_out(&k->in[i], 409);
		buf_free(&k->in[i].b, 0);
		close_pipe(k, i);
	}
	record(k);
	end_follows(k);
}

void hk_free(struct hkeep *k)
{
	struct host *h;

	if (!k)
		return;
	h = k->h;
	if (k->prev)
		k->prev->next = k->next;
	else if (h->keeps == k)
		h->keeps = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else if (h->last == k)
		h->last = k->prev;
	h->nrecords--;
	if (k->live) {
		h->nlive--;
		h->mem_live -= k->memory;
	}
	end_follows(k);
	for (int i = 0; i < LM_NPIPES; i++) {
		answer_out(&k->in[i], 409);
		buf_free(&k->in[i].b, 0);
		close_pipe(k, i);
	}
	for (int i = 0; i < HK_NSTREAMS; i++)
		buf_free(&k->data[i], 0);
	xfree(k->text);
	xfree(k);
}

/* ---- bytes from the Keep ---- */

static void deliver(struct hkeep *k, int stream, const uint8_t *p, size_t n)
{
	size_t cap = stream == HK_PROTO ? PROTO_KEEP_MAX : k->h->conf.log_max;
	struct buf *b = &k->data[stream];
	size_t keep = b->len < cap ? (cap - b->len < n ? cap - b->len : n) : 0;

	k->total[stream] += n;
	if (keep && buf_append(b, p, keep) != 0)
		log_warn("host: Keep %s: out of memory for its output", k->id);
	for (struct hk_follow *f = k->follow; f; f = f->next)
		if (f->stream == stream)
			http_stream_write(f->req, p, n);
}

static int pipe_stream(int pipe)
{
	return pipe == LM_STDOUT ? HK_OUT : pipe == LM_STDERR ? HK_ERR : HK_PROTO;
}

static void on_pipe(struct hkeep *k, int pipe)
{
	uint8_t buf[65536];
	ssize_t n = read(k->fd[pipe], buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		deliver(k, pipe_stream(pipe), buf, (size_t)n);
		return;
	}
	close_pipe(k, pipe);
	maybe_done(k);
}

/* ---- bytes to the Keep ---- */

static void flush_out(struct hkeep *k, int pipe)
{
	struct hk_out *o = &k->in[pipe];

	while (k->fd[pipe] >= 0 && o->off < o->b.len) {
		ssize_t n = write(k->fd[pipe], o->b.data + o->off, o->b.len - o->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			event_add(k->ev[pipe], NULL);
			return;
		}
		if (n <= 0) { /* EPIPE: the Keep (or the launcher) closed its end */
			answer_out(o, 409);
			close_pipe(k, pipe);
			o->b.len = o->off = 0;
			return;
		}
		o->off += (size_t)n;
	}
	if (k->fd[pipe] < 0)
		return;
	o->b.len = o->off = 0;
	answer_out(o, 204);
	if (o->close_after)
		close_pipe(k, pipe);
}

int hk_write(struct hkeep *k, int pipe, const void *p, size_t len, struct http_req *req,
             bool close_after)
{
	struct hk_out *o = &k->in[pipe];
	int rc;

	if (k->fd[pipe] < 0)
		return ENARX_E_IO;
	if (o->req || o->off < o->b.len)
		return ENARX_E_BUSY;
	if ((rc = buf_append(&o->b, p, len)) != 0)
		return rc;
	o->req = req;
	o->close_after = close_after;
	flush_out(k, pipe);
	return 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct hkeep *k = arg;

	for (int i = 0; i < LM_NPIPES; i++)
		if (k->fd[i] == fd) {
			if (i == LM_STDIN || i == LM_PROTO_IN)
				flush_out(k, i);
			else
				on_pipe(k, i);
			return;
		}
	(void)what;
}

/* The client of a follow or wait went away: forget it (src/http ends the
 * request). */
static void follow_gone(struct http_req *req, void *arg)
{
	struct hk_follow *f = arg, **p = &f->k->follow;

	while (*p && *p != f)
		p = &(*p)->next;
	if (*p)
		*p = f->next;
	xfree(f);
	(void)req;
}

void hk_follow_add(struct hkeep *k, struct http_req *req, int stream)
{
	struct hk_follow *f;

	if (k->done || !(f = xcalloc(1, sizeof(*f)))) {
		if (stream == HK_NSTREAMS)
			http_reply_json(req, 200, hk_json(k));
		else
			http_stream_end(req);
		return;
	}
	f->req = req;
	f->k = k;
	f->stream = stream;
	f->next = k->follow;
	k->follow = f;
	http_req_on_close(req, follow_gone, f);
	http_req_hold(req); /* until the Keep ends, however quiet it is */
}

/* ---- the launcher channel ---- */

static int make_pipes(struct hkeep *k, int theirs[LM_NPIPES])
{
	struct event_base *base = http_server_base(k->h->srv);

	for (int i = 0; i < LM_NPIPES; i++) {
		int p[2];
		bool to_keep = i == LM_STDIN || i == LM_PROTO_IN;

		if (pipe2(p, O_CLOEXEC) != 0)
			return ENARX_E_IO;
		k->fd[i] = to_keep ? p[1] : p[0];
		theirs[i] = to_keep ? p[0] : p[1];
		fcntl(k->fd[i], F_SETFL, O_NONBLOCK);
		k->ev[i] = event_new(base, k->fd[i], to_keep ? EV_WRITE : EV_READ | EV_PERSIST,
		                     on_readable, k);
		if (!k->ev[i])
			return ENARX_E_NOMEM;
		if (!to_keep)
			event_add(k->ev[i], NULL);
	}
	return 0;
}

static int send_create(struct hkeep *k, const struct host_create *c, const int theirs[LM_NPIPES])
{
	struct lm_create m = {
	    .mem = c->memory,
	    .net = (uint32_t)c->net,
	    .lim_fds = c->limits.fds,
	    .lim_memory = c->limits.memory,
	    .lim_fuel = c->limits.fuel,
	    .lim_wall_ms = c->limits.wall_ms,
	    .lim_output = c->limits.output,
	};
	int rc = 0;

	snprintf(m.backend, sizeof(m.backend), "%s", c->backend);
	for (uint32_t i = 0; i < LM_NPIPES && !rc; i++)
		rc = chan_send(k->h->chan, LM_FD, k->slot, &i, sizeof(i), theirs[i]);
	return rc ? rc : chan_send(k->h->chan, LM_CREATE, k->slot, &m, sizeof(m), -1);
}

int hk_create(struct host *h, struct host_create *c, uint64_t mem, struct hkeep **out)
{
	struct hkeep *k = xcalloc(1, sizeof(*k));
	int theirs[LM_NPIPES] = {-1, -1, -1, -1, -1};
	uint8_t rnd[12];
	int rc;

	*out = NULL;
	if (!k)
		return ENARX_E_NOMEM;
	k->h = h;
	k->slot = ++h->next_slot;
	k->mode = c->mode;
	k->memory = mem;
	k->limits = c->limits;
	k->state = HK_STARTING;
	k->created_ms = now_ms();
	k->status = -1;
	snprintf(k->backend, sizeof(k->backend), "%s", c->backend[0] ? c->backend : "auto");
	for (int i = 0; i < LM_NPIPES; i++)
		k->fd[i] = -1;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		xfree(k);
		return ENARX_E_IO;
	}
	hex_encode(rnd, sizeof(rnd), k->id);
	link_keep(h, k);
	k->live = true;
	h->nlive++;
	h->mem_live += mem;
	rc = make_pipes(k, theirs);
	if (!rc)
		rc = send_create(k, c, theirs);
	for (int i = 0; i < LM_NPIPES; i++)
		if (theirs[i] >= 0)
			close(theirs[i]);
	if (!rc && c->frames.len)
		rc = hk_write(k, LM_PROTO_IN, c->frames.data, c->frames.len, NULL, false);
	if (rc) {
		hk_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

int hk_kill(struct hkeep *k)
{
	return chan_send(k->h->chan, LM_KILL, k->slot, NULL, 0, -1);
}

static struct hkeep *by_slot(struct host *h, uint32_t slot)
{
	for (struct hkeep *k = h->last; k; k = k->prev)
		if (k->slot == slot && k->live)
			return k;
	return NULL;
}

static void on_started(struct host *h, const struct chan_msg *m)
{
	struct hkeep *k = by_slot(h, m->id);
	struct lm_started s;
	char why[128];

	if (!k || lm_dec_started(m->data, m->len, &s, why, sizeof(why)) != 0)
		return;
	snprintf(k->backend, sizeof(k->backend), "%s", s.backend[0] ? s.backend : k->backend);
	if (s.rc == 0) {
		k->state = HK_RUNNING;
		record(k);
	}
	host_api_started(k, s.rc); /* frees k when rc != 0 */
}

static void on_ended(struct host *h, const struct chan_msg *m)
{
	struct hkeep *k = by_slot(h, m->id);
	struct lm_ended e;
	const char *text;
	size_t tl;
	char why[128];

	if (!k || lm_dec_ended(m->data, m->len, &e, &text, &tl, why, sizeof(why)) != 0) {
		if (k)
			log_error("host: launcher: %s", why);
		return;
	}
	k->has_end = true;
	k->live = false;
	h->nlive--;
	h->mem_live -= k->memory;
	k->ended_ms = now_ms();
	k->status = e.status;
	k->killed = e.killed;
	k->timed_out = e.timed_out;
	k->exit_code = e.exit_code;
	k->has_usage = e.usage;
	k->user_us = e.user_us;
	k->system_us = e.system_us;
	k->wall_us = e.wall_us;
	k->maxrss_kb = e.maxrss_kb;
	if (tl && (k->text = xmalloc(tl + 1)) != NULL) {
		memcpy(k->text, text, tl);
		k->text[tl] = 0;
	}
	switch (e.result) {
	case KEEP_EXITED: k->state = HK_EXITED; break;
	case KEEP_TRAPPED: k->state = HK_TRAPPED; break;
	case KEEP_FAILED: k->state = HK_FAILED; break;
	default: k->state = e.killed ? HK_KILLED : HK_NORESULT; break;
	}
	if (e.killed && e.result != KEEP_EXITED && e.result != KEEP_TRAPPED)
		k->state = e.timed_out ? HK_TIMEDOUT : HK_KILLED;
	else if (e.timed_out && e.result != KEEP_EXITED)
		k->state = HK_TIMEDOUT; /* the Keep stopped itself at a time limit (LIMIT_HIT) */
	/* a stdin nobody will read: close it so a pending write is answered */
	close_pipe(k, LM_STDIN);
	answer_out(&k->in[LM_STDIN], 409);
	maybe_done(k);
}

static void on_tee(struct host *h, const struct chan_msg *m)
{
	struct hkeep *k = by_slot(h, m->id);
	struct lm_tee t;
	char why[128];

	if (!k || lm_dec_tee(m->data, m->len, &t, why, sizeof(why)) != 0)
		return;
	k->tee_known = true;
	k->tee = t.kind;
	if (t.has_measurement) {
		k->has_measurement = true;
		memcpy(k->measurement, t.measurement, sizeof(k->measurement));
	}
	record(k);
}

static void on_chan(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	struct chan_msg m;
	int rc;

	while ((rc = chan_recv(h->chan, &m)) == 0) {
		if (m.fd >= 0)
			close(m.fd);
		if (m.type == LM_STARTED)
			on_started(h, &m);
		else if (m.type == LM_ENDED)
			on_ended(h, &m);
		else if (m.type == LM_TEE)
			on_tee(h, &m);
	}
	if (rc != ENARX_E_AGAIN) {
		log_error("host: the Keep launcher is gone (%s); stopping",
		          chan_error(h->chan)[0] ? chan_error(h->chan) : enarx_strerror(rc));
		event_del(h->chan_ev);
		http_server_stop(h->srv);
	}
	(void)fd;
	(void)what;
}

/* ---- start and stop ---- */

static void on_stop(struct http_server *srv, void *arg)
{
	struct host *h = arg;

	h->stopping = true;
	log_info("host: stopping: killing %u running Keep(s)", h->nlive);
	for (struct hkeep *k = h->keeps; k; k = k->next)
		if (k->live)
			hk_kill(k);
	(void)srv;
}

static int load_one(const struct store_rec *r, void *arg)
{
	struct host *h = arg;
	struct hkeep *k = xcalloc(1, sizeof(*k));

	if (!k)
		return ENARX_E_NOMEM;
	k->h = h;
	for (int i = 0; i < LM_NPIPES; i++)
		k->fd[i] = -1;
	snprintf(k->id, sizeof(k->id), "%s", r->id);
	snprintf(k->backend, sizeof(k->backend), "%s", r->backend);
	k->mode = strcmp(r->mode, "deploy") == 0 ? HOST_MODE_DEPLOY : HOST_MODE_RUN;
	k->state = state_of(r->state);
	k->memory = r->memory;
	k->created_ms = r->created_ms;
	k->ended_ms = r->ended_ms;
	k->has_end = k->done = true;
	k->status = (int32_t)r->status;
	k->exit_code = k->state == HK_EXITED ? (uint32_t)r->exit_code : 0;
	k->killed = k->state == HK_KILLED || k->state == HK_TIMEDOUT;
	extra_load(k, r->extra);
	k->text = r->text ? xstrdup(r->text) : NULL;
	buf_append(&k->data[HK_OUT], r->out, r->outlen);
	buf_append(&k->data[HK_ERR], r->err, r->errlen);
	k->total[HK_OUT] = r->outlen;
	k->total[HK_ERR] = r->errlen;
	link_keep(h, k);
	return 0;
}

static void defaults(struct host_conf *c)
{
	if (!c->listen)
		c->listen = "127.0.0.1:8443";
	if (!c->max_keeps)
		c->max_keeps = 64;
	if (!c->max_records)
		c->max_records = 10000;
	if (!c->max_keep_mem)
		c->max_keep_mem = 4ull << 30;
	if (!c->max_total_mem)
		c->max_total_mem = 64ull << 30;
	if (!c->default_mem)
		c->default_mem = 1ull << 30;
	if (c->default_mem > c->max_keep_mem)
		c->default_mem = c->max_keep_mem;
	if (!c->max_body)
		c->max_body = 16u << 20;
	if (!c->log_max)
		c->log_max = 1u << 20;
	if (!c->grace_ms)
		c->grace_ms = 10000;
}

static int start_launcher(struct host *h)
{
	static struct host_launcher_conf lc;
	struct chan_child child = {
	    .name = "launcher",
	    .types = lm_types,
	    .ntypes = lm_ntypes,
	    .main = host_launcher_main,
	    .arg = &lc,
	};
	pid_t pid;
	int rc;

	lc.max_pending = h->conf.max_keeps + 16;
	lc.sandbox = h->conf.no_sandbox ? NULL : host_sandbox_launcher;
	if ((rc = chan_fork(&child, &h->chan, &pid)) != 0)
		return rc;
	h->launcher_pid = pid;
	fcntl(chan_fd(h->chan), F_SETFL, O_NONBLOCK);
	return 0;
}

static int open_server(struct host *h)
{
	struct http_conf hc = {
	    .listen = h->conf.listen,
	    .name = "host",
	    .state_dir = h->conf.state_dir,
	    .cert_file = h->conf.cert,
	    .key_file = h->conf.key,
	    .client_ca_file = h->conf.client_ca,
	    .token_file = h->conf.token_file,
	    .plain = h->conf.insecure_plain || strncmp(h->conf.listen, "unix:", 5) == 0,
	    .insecure_plain = h->conf.insecure_plain,
	    .max_body = h->conf.max_body,
	    .grace_ms = h->conf.grace_ms,
	    .request_ms = h->conf.request_ms,
	    .io_ms = h->conf.io_ms,
	    .routes = host_routes,
	    .nroutes = host_nroutes,
	    .arg = h,
	    .on_stop = on_stop,
	};
	char err[512];
	int rc = http_server_new(&hc, &h->srv, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "enarx: host: %s\n", err);
		return rc;
	}
	h->chan_ev =
	    event_new(http_server_base(h->srv), chan_fd(h->chan), EV_READ | EV_PERSIST, on_chan, h);
	if (!h->chan_ev || event_add(h->chan_ev, NULL) != 0)
		return ENARX_E_NOMEM;
	return 0;
}

/* After the loop: give killed Keeps a moment to report, then record them. */
static void drain(struct host *h)
{
	struct event_base *base = http_server_base(h->srv);
	int64_t until = now_ms() + 3000;

	while (h->nlive && now_ms() < until) {
		struct timeval tv = {0, 50000};

		event_base_loopexit(base, &tv);
		event_base_loop(base, 0);
	}
	for (struct hkeep *k = h->keeps; k; k = k->next)
		if (!k->done) {
			if (!k->has_end)
				k->state = HK_LOST;
			k->has_end = true;
			record(k);
		}
}

int host_serve(const struct host_conf *conf)
{
	struct host h = {.conf = *conf, .launcher_pid = -1};
	char err[512];
	int rc;

	defaults(&h.conf);
	signal(SIGPIPE, SIG_IGN);
	/* The launcher first, while this process holds nothing but 0-2. */
	if ((rc = start_launcher(&h)) != 0) {
		fprintf(stderr, "enarx: host: cannot start the Keep launcher: %s\n",
		        enarx_strerror(rc));
		return rc;
	}
	if ((rc = store_open(h.conf.state_dir, &h.store, err, sizeof(err))) != 0)
		fprintf(stderr, "enarx: host: state: %s\n", err);
	if (!rc && (rc = store_load(h.store, load_one, &h)) != 0)
		fprintf(stderr, "enarx: host: cannot read the state: %s\n", enarx_strerror(rc));
	if (!rc)
		rc = open_server(&h);
	if (!rc && !h.conf.no_sandbox)
		rc = host_sandbox_network();
	if (!rc) {
		if (h.conf.on_ready)
			h.conf.on_ready(http_server_port(h.srv), http_server_fingerprint(h.srv),
			                http_server_cert_file(h.srv));
		rc = http_server_run(h.srv);
		drain(&h);
	}
	while (h.keeps)
		hk_free(h.keeps);
	if (h.chan_ev)
		event_free(h.chan_ev);
	http_server_free(h.srv);
	chan_free(h.chan);
	if (h.launcher_pid > 0)
		waitpid(h.launcher_pid, NULL, 0);
	store_free(h.store);
	return rc;
}
