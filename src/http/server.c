/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTPS server on libevent's evhttp: per-connection deadlines (TLS
 * handshake, then each whole request), a connection cap that pauses the
 * listener, authentication before routing, problem+json answers, and the
 * graceful shutdown. Contract in http.h; design notes in docs/http.md. */
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "http/http.h"
#include "http/internal.h"
#include "http/json.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

struct http__conn {
	struct http_server *srv;         /* NULL once the server is being freed */
	struct bufferevent *bev;         /* what evhttp uses */
	struct event *timer;             /* handshake / request deadline */
	struct http_req *cur;            /* request a handler owns, or NULL */
	struct evhttp_connection *evcon; /* set with the close callback */
	bool handshaken, closecb_set;
	bool plain; /* we hold a reference on bev (see conn__bev) */
	/* evhttp's own 413 page being queued (see conn__outbuf): 1 from its
	 * status line on, its total length once its headers are complete */
	bool page413, rewriting;
	size_t page_len;
	int linger_fd;                    /* a dup of the socket kept past a 413, or -1 */
	bufferevent_data_cb http_writecb; /* evhttp's, under conn__writecb */
	struct http__conn *prev, *next;
};

/* A socket kept open after evhttp closed its connection on a 413 (see
 * linger__start): its write side is shut, what the client still sends is
 * read and dropped until it closes, a deadline or a byte cap. */
struct http__linger {
	struct http_server *srv;
	struct event *ev;
	int fd;
	size_t dropped;
	struct http__linger *prev, *next;
};

struct http_req {
	struct http_server *srv;   /* NULL after http_server_free */
	struct http__conn *conn;   /* NULL once the connection is gone */
	struct evhttp_request *ev; /* NULL once the connection is gone */
	const char *method;
	char path[1024];
	struct http_params params;
	char peer[160];
	bool gone, streaming, held; /* held: no read timeout (http_req_hold) */
	bool ending;                /* its answer is being handed to evhttp */
	void (*on_close)(struct http_req *, void *);
	void *close_arg;
	struct http_req *prev, *next;
};

struct http_server {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ssl;
	struct event *sig_term, *sig_int, *grace;
	struct http_conf conf; /* numbers and callbacks; strings not kept */
	char *token;
	size_t toklen;
	bool has_ca, is_unix, stopping, paused;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char cert_path[4096];
	char fp[HTTP__FP_LEN];
	uint16_t port;
	unsigned nconns, active, nlinger;
	struct http__conn *conns;
	struct http__linger *lingers;
	struct http_req *reqs;
};

static int conn__ssl_idx = -1;

/* ---- lingering close ---- */

enum {
	LINGER_MAX = 64,         /* sockets lingering at once */
	LINGER_MS = 2000,        /* how long one may linger */
	LINGER_BYTES = 4u << 20, /* how much of an upload is dropped */
};

static void linger__end(struct http__linger *l)
{
	struct http_server *s = l->srv;

	event_free(l->ev);
	close(l->fd);
	if (l->prev)
		l->prev->next = l->next;
	else
		s->lingers = l->next;
	if (l->next)
		l->next->prev = l->prev;
	s->nlinger--;
	xfree(l);
}

static void linger__read(evutil_socket_t fd, short what, void *arg)
{
	struct http__linger *l = arg;
	char buf[16384];
	ssize_t n = 0;

	if (what & EV_READ) {
		while ((n = read(fd, buf, sizeof(buf))) > 0 &&
		       (l->dropped += (size_t)n) < LINGER_BYTES)
			;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
		    l->dropped < LINGER_BYTES)
			return;
	}
	linger__end(l); /* end of stream, error, deadline or cap */
}

/* evhttp answered 413 without reading the rest of a (chunked) upload and
 * closes the connection: were the socket closed with unread data, the
 * kernel would send a reset that can destroy the answer in flight. Our dup
 * of it stays open, sends the end of stream after the answer and drops the
 * rest of the upload. */
static void linger__start(struct http_server *s, int fd)
{
	struct http__linger *l;
	struct timeval tv = {LINGER_MS / 1000, (LINGER_MS % 1000) * 1000};

	if (s == NULL || s->stopping || s->nlinger >= LINGER_MAX ||
	    (l = xcalloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return;
	}
	l->srv = s;
	l->fd = fd;
	evutil_make_socket_nonblocking(fd);
	shutdown(fd, SHUT_WR);
	if ((l->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, linger__read, l)) == NULL ||
	    event_add(l->ev, &tv) != 0) {
		if (l->ev)
			event_free(l->ev);
		close(fd);
		xfree(l);
		return;
	}
	l->next = s->lingers;
	if (s->lingers)
		s->lingers->prev = l;
	s->lingers = l;
	s->nlinger++;
}

/* ---- connections ---- */

static void conn__arm(struct http__conn *c, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (c->timer != NULL)
		evtimer_add(c->timer, &tv);
}

static void conn__kill(struct http__conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	/* evhttp owns the socket: shut it down so its next read sees the end
	 * and it frees the connection through its own path. */
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void conn__destroy(struct http__conn *c);

/* Plain connections: drop our reference and the record. If evhttp still
 * has the connection, it must not call back into the freed record. */
static void conn__release(struct http__conn *c)
{
	if (c->closecb_set)
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	bufferevent_decref(c->bev);
	conn__destroy(c);
}

/* Ends a connection that is not serving a request. */
static void conn__expire(struct http__conn *c)
{
	conn__kill(c);
	if (c->plain)
		conn__release(c);
}

static void conn__deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http__conn *c = arg;

	log_debug("http: closing a connection that missed its %s deadline",
	          c->handshaken ? "request" : "handshake");
	conn__expire(c);
}

static void srv__maybe_done(struct http_server *s)
{
	if (s->stopping && s->active == 0 && s->nconns == 0)
		event_base_loopexit(s->base, NULL);
}

static void srv__listen_toggle(struct http_server *s)
{
	struct evconnlistener *l = s->bound ? evhttp_bound_socket_get_listener(s->bound) : NULL;
	bool want_pause = s->nconns >= s->conf.max_conns;

	if (l == NULL || want_pause == s->paused)
		return;
	s->paused = want_pause;
	if (want_pause) {
		log_warn("http: %u connections open (the limit): new ones wait", s->nconns);
		evconnlistener_disable(l);
	} else {
		evconnlistener_enable(l);
	}
}

/* Runs when evhttp's bufferevent is finally freed (SSL ex_data or filter
 * free hook): the one place a connection record dies. */
static void conn__destroy(struct http__conn *c)
{
	struct http_server *s = c->srv;

	if (c->cur != NULL) {
		c->cur->conn = NULL;
		c->cur->ev = NULL;
		c->cur->gone = true;
	}
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->linger_fd >= 0)
		linger__start(s, c->linger_fd);
	if (s != NULL) {
		if (c->prev)
			c->prev->next = c->next;
		else
			s->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		s->nconns--;
		srv__listen_toggle(s);
		srv__maybe_done(s);
	}
	xfree(c);
}

static void conn__ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                           void *argp)
{
	if (ptr != NULL)
		conn__destroy(ptr);
}

static void conn__ssl_info(const SSL *ssl, int where, int ret)
{
	struct http__conn *c;

	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	c = SSL_get_ex_data(ssl, conn__ssl_idx);
	if (c != NULL && !c->handshaken && c->srv != NULL) {
		c->handshaken = true;
		conn__arm(c, c->srv->conf.request_ms);
	}
}

static struct http__conn *conn__new(struct http_server *s)
{
	struct http__conn *c = xcalloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->srv = s;
	c->linger_fd = -1;
	if ((c->timer = evtimer_new(s->base, conn__deadline, c)) == NULL) {
		xfree(c);
		return NULL;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	return c;
}

/* evhttp's per-connection hook: make the bufferevent (TLS or plain) and the
 * record that tracks it. Returning NULL would make evhttp fall back to a
 * plain socket, so failures return a bufferevent that cannot work. */
/* A body over max_body is refused by evhttp itself, with an HTML 413 page
 * (libevent 2.1 has no hook to answer it ourselves). That page is caught as
 * evhttp queues it on the connection's output (writing is off meanwhile, so
 * nothing of it has left), recognised by its 413 status line and its
 * text/html type, which our handlers never send, and replaced whole by the
 * RFC 9457 problem+json answer every other error gets. */
static void conn__page413(struct http__conn *c, struct evbuffer *buf)
{
	char ver[9], text[640];
	json_t *j = http_problem_json(HTTP_P_TOO_LARGE, NULL);
	char *body;
	struct evbuffer *out = evbuffer_new();

	if (j == NULL || out == NULL || evbuffer_copyout(buf, ver, 8) != 8) {
		json_decref(j);
		evbuffer_free(out);
		return; /* evhttp's page goes out as it is */
	}
	ver[8] = '\0';
	snprintf(text, sizeof(text), "the request body exceeds %zu bytes",
	         c->srv ? c->srv->conf.max_body : 0);
	json_object_set_new(j, "detail", json_string(text));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (body != NULL) {
		c->rewriting = true; /* our own edits come back through the callback */
		evbuffer_drain(buf, c->page_len);
		evbuffer_add_printf(
		    out,
		    "%s 413 Content Too Large\r\nContent-Type: application/problem+json\r\n"
		    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
		    "Connection: close\r\n\r\n%s\n",
		    ver, strlen(body) + 1, body);
		evbuffer_prepend_buffer(buf, out);
		c->rewriting = false;
		if (c->linger_fd < 0 && bufferevent_getfd(c->bev) >= 0)
			c->linger_fd = fcntl(bufferevent_getfd(c->bev), F_DUPFD_CLOEXEC, 3);
		log_debug("http: body over %zu bytes -> 413", c->srv ? c->srv->conf.max_body : 0);
	}
	free(body);
	evbuffer_free(out);
}

static void conn__outbuf(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http__conn *c = arg;
	char head[1024];
	size_t n;
	char *end, *cl;

	if (c->rewriting || info->n_added == 0)
		return;
	if (!c->page413) {
		/* a new answer starts on an empty buffer with its status line */
		if (info->orig_size != 0 || c->cur != NULL)
			return;
		if (evbuffer_copyout(buf, head, 13) != 13 || memcmp(head, "HTTP/1.", 7) != 0 ||
		    memcmp(head + 8, " 413 ", 5) != 0)
			return;
		c->page413 = true;
		c->page_len = 0;
	}
	if (c->page_len == 0) {
		ev_ssize_t got = evbuffer_copyout(buf, head, sizeof(head) - 1);

		n = got > 0 ? (size_t)got : 0;
		head[n] = '\0';
		if ((end = strstr(head, "\r\n\r\n")) == NULL) {
			c->page413 = n < sizeof(head) - 1; /* headers still arriving */
			return;
		}
		end[2] = '\0';
		cl = strcasestr(head, "\r\nContent-Length:");
		if (strcasestr(head, "\r\nContent-Type: text/html\r\n") == NULL || cl == NULL) {
			c->page413 = false; /* not evhttp's page */
			return;
		}
		c->page_len = (size_t)(end + 4 - head) + strtoul(cl + 17, NULL, 10);
	}
	if (evbuffer_get_length(buf) >= c->page_len) {
		c->page413 = false;
		conn__page413(c, buf);
	}
}

static struct bufferevent *conn__bev(struct event_base *base, void *arg)
{
	struct http_server *s = arg;
	struct http__conn *c = conn__new(s);
	SSL *ssl;

	if (c == NULL)
		goto broken;
	if (s->ssl != NULL) {
		if ((ssl = SSL_new(s->ssl)) == NULL) {
			conn__destroy(c);
			goto broken;
		}
		SSL_set_ex_data(ssl, conn__ssl_idx, c);
		SSL_set_info_callback(ssl, conn__ssl_info);
		c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                        BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL)
			SSL_free(ssl); /* runs conn__destroy */
	} else {
		/* A plain bufferevent has no free hook (libevent 2.1's filter
		 * bufferevents do not work under evhttp), so the record holds a
		 * reference instead and is released by the close callback or the
		 * deadline, whichever comes first. */
		c->handshaken = c->plain = true;
		if ((c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) != NULL)
			bufferevent_incref(c->bev);
		else
			conn__destroy(c);
	}
	if (c->bev == NULL)
		goto broken;
	evbuffer_add_cb(bufferevent_get_output(c->bev), conn__outbuf, c);
	conn__arm(c, s->ssl ? s->conf.handshake_ms : s->conf.request_ms);
	srv__listen_toggle(s);
	return c->bev;
broken:
	log_error("http: out of memory for a new connection");
	/* A TLS bufferevent with no SSL context cannot handshake: the
	 * connection fails closed instead of falling back to plain HTTP. */
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

static struct http__conn *conn__of(struct http_server *s, struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	for (struct http__conn *c = s->conns; c != NULL; c = c->next)
		if (c->bev == bev)
			return c;
	return NULL;
}

static void req__finish(struct http_req *r);

static void conn__closed(struct evhttp_connection *evcon, struct http__conn *c)
{
	struct http_req *r = c->cur;

	if (r == NULL)
		return;
	/* evhttp closed the connection while taking the answer (an HTTP/1.0
	 * stream ended with nothing left to write): it freed the request first,
	 * and the function handing it over finishes ours. */
	if (r->ending) {
		c->cur = NULL;
		r->conn = NULL;
		r->ev = NULL;
		return;
	}
	/* A client that left before its answer was complete (a stream, a held
	 * poll): libevent detaches the request from the connection (its evcon
	 * NULL) and leaves it to its user to free; one still queued on the
	 * connection (the server stopping) is freed with it. */
	if (r->ev != NULL && evhttp_request_get_connection(r->ev) == NULL)
		evhttp_request_free(r->ev);
	c->cur = NULL;
	r->conn = NULL;
	r->ev = NULL;
	r->gone = true;
	if (r->on_close != NULL) {
		r->on_close(r, r->close_arg);
		/* The handler was told; nothing can be sent any more, so the server
		 * ends the request itself (libevent already freed its side). */
		if (r->streaming)
			log_debug("http: %s %s: client gone during the stream", r->method, r->path);
		req__finish(r);
	}
}

static void conn__closecb(struct evhttp_connection *evcon, void *arg)
{
	struct http__conn *c = arg;

	conn__closed(evcon, c);
	if (c->plain) {
		c->closecb_set = false;
		conn__release(c);
	}
}

/* The answer is written: the connection waits for its next request. */
static void conn__complete(struct evhttp_request *ev, void *arg)
{
	struct http__conn *c = arg;

	if (c->srv == NULL)
		return;
	if (c->srv->stopping)
		conn__kill(c); /* evhttp's close callback releases it */
	else
		conn__arm(c, c->srv->conf.request_ms);
}

/* libevent 2.1's TLS bufferevent runs its write callback deferred, a loop
 * turn after the output drained, without looking whether it is still empty.
 * A stream ended in between (its last chunk queued after the drain) had
 * evhttp take that stale callback for the end of the answer: it went on to
 * the next request with the last chunk unsent and writing off, and the
 * client waited for it until the request deadline closed the connection.
 * Only a callback that finds the output written reaches evhttp; the drain
 * of what is left calls back again. */
static void conn__writecb(struct bufferevent *bev, void *arg)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	struct http__conn *c = ssl ? SSL_get_ex_data(ssl, conn__ssl_idx) : NULL;

	if (c != NULL && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		c->http_writecb(bev, arg);
}

/* After evhttp queued the end of a stream: puts conn__writecb in front of
 * evhttp's write callback until evhttp sets its callbacks again. Plain
 * bufferevents call back at once and need no guard. */
static void conn__guard_end(struct http__conn *c)
{
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	void *arg;

	if (c == NULL || c->plain)
		return;
	bufferevent_getcb(c->bev, &rd, &wr, &ev, &arg);
	if (wr == NULL || wr == conn__writecb)
		return;
	c->http_writecb = wr;
	bufferevent_setcb(c->bev, rd, conn__writecb, ev, arg);
}

/* ---- requests ---- */

static const char *req__reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
	}
}

/* The connection's I/O timeouts: read (nil = none) and write. */
static void req__timeouts(struct http_req *r, bool read)
{
	struct bufferevent *bev = r->conn ? r->conn->bev : NULL;
	struct timeval io;

	if (bev == NULL || r->srv == NULL)
		return;
	io.tv_sec = r->srv->conf.io_ms / 1000;
	io.tv_usec = (r->srv->conf.io_ms % 1000) * 1000;
	bufferevent_set_timeouts(bev, read ? &io : NULL, &io);
}

static void req__finish(struct http_req *r)
{
	struct http_server *s = r->srv;

	if (r->held && r->ev != NULL)
		req__timeouts(r, true); /* the next request on it reads under the timeout */

	if (r->conn != NULL)
		r->conn->cur = NULL;
	if (s != NULL) {
		if (r->prev)
			r->prev->next = r->next;
		else
			s->reqs = r->next;
		if (r->next)
			r->next->prev = r->prev;
		s->active--;
		srv__maybe_done(s);
	}
	xfree(r);
}

struct http_server *http_req_server(const struct http_req *req)
{
	return req->srv;
}

const char *http_req_method(const struct http_req *req)
{
	return req->method;
}

const char *http_req_path(const struct http_req *req)
{
	return req->path;
}

const char *http_req_param(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->params.n; i++)
		if (strcmp(req->params.name[i], name) == 0)
			return req->params.value[i];
	return NULL;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	return req->ev ? evhttp_find_header(evhttp_request_get_input_headers(req->ev), name) : NULL;
}

int http_req_query(const struct http_req *req, const char *name, char *out, size_t outlen)
{
	const struct evhttp_uri *u = req->ev ? evhttp_request_get_evhttp_uri(req->ev) : NULL;
	const char *q = u ? evhttp_uri_get_query(u) : NULL, *v;
	struct evkeyvalq kv;
	int found = 0;

	out[0] = 0;
	memset(&kv, 0, sizeof(kv)); /* evhttp_parse_query_str initialises it */
	if (q == NULL || evhttp_parse_query_str(q, &kv) != 0)
		return 0;
	if ((v = evhttp_find_header(&kv, name)) != NULL) {
		snprintf(out, outlen, "%s", v);
		found = 1;
	}
	evhttp_clear_headers(&kv);
	return found;
}

const char *http_req_peer(const struct http_req *req)
{
	return req->peer;
}

const uint8_t *http_req_body(struct http_req *req, size_t *len)
{
	struct evbuffer *in = req->ev ? evhttp_request_get_input_buffer(req->ev) : NULL;

	*len = in ? evbuffer_get_length(in) : 0;
	return *len ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
}

int http_req_json(struct http_req *req, const struct http_json_field *fields, size_t nfields,
                  json_t **out)
{
	const char *ct = http_req_header(req, "Content-Type");
	char why[256];
	size_t len;
	const uint8_t *body;

	*out = NULL;
	if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0) {
		http_reply_problem(req, HTTP_P_MEDIA_TYPE,
		                   "Content-Type is %.64s, expected "
		                   "application/json",
		                   ct);
		return ENARX_E_MALFORMED;
	}
	body = http_req_body(req, &len);
	if (http_json_parse(body, len, req->srv ? req->srv->conf.json_depth : 32, out, why,
	                    sizeof(why)) != 0) {
		http_reply_problem(req, HTTP_P_BAD_JSON, "%s", why);
		return ENARX_E_MALFORMED;
	}
	if (http_json_check(*out, fields, nfields, why, sizeof(why)) != 0) {
		json_decref(*out);
		*out = NULL;
		http_reply_problem(req, HTTP_P_INVALID_FIELD, "%s", why);
		return ENARX_E_MALFORMED;
	}
	return 0;
}

void http_req_hold(struct http_req *req)
{
	if (req->held || req->ev == NULL)
		return;
	req->held = true;
	req__timeouts(req, false);
}

void http_req_on_close(struct http_req *req, void (*cb)(struct http_req *, void *), void *arg)
{
	req->on_close = cb;
	req->close_arg = arg;
}

bool http_req_gone(const struct http_req *req)
{
	return req->gone;
}

void http_reply_header(struct http_req *req, const char *name, const char *value)
{
	if (req->ev != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req->ev), name, value);
}

void http_reply_bytes(struct http_req *req, int status, const char *ctype, const void *data,
                      size_t len)
{
	struct evbuffer *b;

	if (req->ev != NULL && (b = evbuffer_new()) != NULL) {
		if (ctype != NULL)
			http_reply_header(req, "Content-Type", ctype);
		evbuffer_add(b, data, len);
		req->ending = true;
		evhttp_send_reply(req->ev, status, req__reason(status), b);
		evbuffer_free(b);
	}
	req__finish(req);
}

static void req__json(struct http_req *req, int status, const char *ctype, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0;

	json_decref(body);
	if (text != NULL) {
		text[len] = '\n'; /* replaces the NUL: one line per answer */
		http_reply_bytes(req, status, ctype, text, len + 1);
	} else {
		http_reply_bytes(req, status, NULL, "", 0);
	}
	free(text);
}

void http_reply_json(struct http_req *req, int status, json_t *body)
{
	req__json(req, status, "application/json", body);
}

void http_reply_problem(struct http_req *req, enum http_problem p, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	log_debug("http: %s %s -> %d %s", req->method, req->path, http_problem_status(p),
	          fmt ? detail : "");
	req__json(req, http_problem_status(p), "application/problem+json",
	          http_problem_json(p, fmt ? detail : NULL));
}

void http_reply_problem_json(struct http_req *req, enum http_problem p, const char *detail,
                             json_t *extra)
{
	json_t *body = http_problem_json(p, detail);
	const char *k;
	json_t *v;

	if (body != NULL && json_is_object(extra)) {
		json_object_foreach(extra, k, v)
		{
			if (json_object_get(body, k) == NULL)
				json_object_set(body, k, v);
		}
	}
	json_decref(extra);
	log_debug("http: %s %s -> %d %s", req->method, req->path, http_problem_status(p),
	          detail ? detail : "");
	req__json(req, http_problem_status(p), "application/problem+json", body);
}

void http_stream_begin(struct http_req *req, int status, const char *ctype)
{
	if (req->ev == NULL)
		return;
	http_reply_header(req, "Content-Type", ctype);
	req->streaming = true;
	evhttp_send_reply_start(req->ev, status, req__reason(status));
	http_req_hold(req); /* a follow may be quiet for longer than io_ms */
}

int http_stream_write(struct http_req *req, const void *data, size_t len)
{
	struct evbuffer *b;

	if (req->ev == NULL || !req->streaming)
		return ENARX_E_IO;
	if (len == 0)
		return 0; /* an empty chunk would end the body */
	if ((b = evbuffer_new()) == NULL)
		return ENARX_E_NOMEM;
	evbuffer_add(b, data, len);
	evhttp_send_reply_chunk(req->ev, b);
	evbuffer_free(b);
	return 0;
}

size_t http_stream_pending(const struct http_req *req)
{
	struct bufferevent *bev = req->conn ? req->conn->bev : NULL;

	return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void http_stream_end(struct http_req *req)
{
	if (req->ev != NULL && req->streaming) {
		req->ending = true;
		evhttp_send_reply_end(req->ev);
		conn__guard_end(req->conn);
	}
	req__finish(req);
}

/* ---- dispatch ---- */

static const char *req__method(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_HEAD: return "HEAD";
	default: return "OTHER";
	}
}

static size_t req__header_bytes(struct evhttp_request *ev)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(ev);
	const char *uri = evhttp_request_get_uri(ev);
	size_t n = uri ? strlen(uri) + 16 : 16;

	for (struct evkeyval *kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		n += strlen(kv->key) + strlen(kv->value) + 4;
	return n;
}

/* Who is asking: a verified client certificate, the bearer token, or (on a
 * Unix socket with neither configured) the socket's own permissions. */
static bool req__auth(struct http_server *s, struct http_req *r)
{
	SSL *ssl = s->ssl && r->conn ? bufferevent_openssl_get_ssl(r->conn->bev) : NULL;

	if (s->has_ca && http__client_cert_ok(ssl, r->peer, sizeof(r->peer)))
		return true;
	if (s->token != NULL) {
		if (!http__token_ok(s->token, s->toklen, http_req_header(r, "Authorization")))
			return false;
		snprintf(r->peer, sizeof(r->peer), "token");
		return true;
	}
	if (s->has_ca)
		return false;
	snprintf(r->peer, sizeof(r->peer), "%s", s->is_unix ? "unix" : "none");
	return true;
}

/* An unauthenticated request may go on only to a public route. */
static bool req__public(struct http_server *s, struct http_req *r)
{
	const struct http_route *route;
	struct http_params params;
	char allow[8], why[8];

	snprintf(r->peer, sizeof(r->peer), "none");
	return http_route_match(s->conf.routes, s->conf.nroutes, r->method, r->path, &route,
	                        &params, allow, sizeof(allow), why, sizeof(why)) == 0 &&
	       route->public;
}

static struct http_req *req__new(struct http_server *s, struct evhttp_request *ev)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(ev);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;

	if (r == NULL)
		return NULL;
	r->srv = s;
	r->ev = ev;
	r->conn = conn__of(s, ev);
	r->method = req__method(evhttp_request_get_command(ev));
	snprintf(r->path, sizeof(r->path), "%s", path && *path ? path : "/");
	r->next = s->reqs;
	if (s->reqs)
		s->reqs->prev = r;
	s->reqs = r;
	s->active++;
	if (r->conn != NULL) {
		evtimer_del(r->conn->timer);
		r->conn->cur = r;
		if (!r->conn->closecb_set) {
			r->conn->evcon = evhttp_request_get_connection(ev);
			evhttp_connection_set_closecb(r->conn->evcon, conn__closecb, r->conn);
			r->conn->closecb_set = true;
		}
		evhttp_request_set_on_complete_cb(ev, conn__complete, r->conn);
	}
	http_reply_header(r, "Cache-Control", "no-store");
	for (const char *const *h = s->conf.headers; h != NULL && h[0] != NULL && h[1] != NULL;
	     h += 2)
		http_reply_header(r, h[0], h[1]);
	return r;
}

static void srv__dispatch(struct evhttp_request *ev, void *arg)
{
	struct http_server *s = arg;
	struct http_req *r = req__new(s, ev);
	const struct http_route *route;
	char allow[128], why[256];
	int rc;

	if (r == NULL) {
		evhttp_send_error(ev, 500, "Internal Server Error");
		return;
	}
	if (s->stopping) {
		http_reply_header(r, "Connection", "close");
		http_reply_problem(r, HTTP_P_UNAVAILABLE, "the server is shutting down");
	} else if (req__header_bytes(ev) > s->conf.max_header) {
		http_reply_problem(r, HTTP_P_HEADERS_TOO_LARGE,
		                   "request line and headers exceed %zu bytes", s->conf.max_header);
	} else if (!req__auth(s, r) && !req__public(s, r)) {
		http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"enarx\"");
		http_reply_problem(r, HTTP_P_UNAUTHORIZED, "%s",
		                   s->token ? "send Authorization: Bearer <token>"
		                            : "present a client certificate");
	} else if ((rc = http_route_match(s->conf.routes, s->conf.nroutes, r->method, r->path,
	                                  &route, &r->params, allow, sizeof(allow), why,
	                                  sizeof(why))) == 0) {
		route->fn(r, s->conf.arg);
	} else if (rc == 405) {
		http_reply_header(r, "Allow", allow);
		http_reply_problem(r, HTTP_P_METHOD, "%s is not allowed on %s (allowed: %s)",
		                   r->method, r->path, allow);
	} else if (rc == 400) {
		http_reply_problem(r, HTTP_P_BAD_REQUEST, "%s", why);
	} else {
		http_reply_problem(r, HTTP_P_NOT_FOUND, "no resource at %s", r->path);
	}
}

/* ---- listening ---- */

static int srv__addr(const char *listen, struct sockaddr_storage *ss, socklen_t *len, char *err,
                     size_t errlen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl;
	char *end;
	unsigned long port;

	if (colon == NULL || (hl = (size_t)(colon - listen)) == 0 || hl >= sizeof(host))
		goto bad;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port > 65535)
		goto bad;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		if (evutil_inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		if (evutil_inet_pton(AF_INET, host, &a4->sin_addr) == 1)
			return 0;
	}
bad:
	snprintf(err, errlen, "listen address '%s': expected IPv4:PORT, [IPv6]:PORT or unix:PATH",
	         listen);
	return ENARX_E_INVAL;
}

static int srv__unix(struct http_server *s, const char *path, struct sockaddr_storage *ss,
                     socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	struct stat st;

	if (strlen(path) >= sizeof(un->sun_path)) {
		snprintf(err, errlen, "unix socket path too long: %s", path);
		return ENARX_E_INVAL;
	}
	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, strlen(path));
	*len = sizeof(*un);
	/* A socket left by a previous run is replaced; any other file is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	snprintf(s->unix_path, sizeof(s->unix_path), "%s", path);
	s->is_unix = true;
	return 0;
}

static int srv__listen(struct http_server *s, const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *l;
	mode_t old;
	int rc;

	if (strncmp(listen, "unix:", 5) == 0)
		rc = srv__unix(s, listen + 5, &ss, &len, err, errlen);
	else
		rc = srv__addr(listen, &ss, &len, err, errlen);
	if (rc != 0)
		return rc;
	old = umask(0177); /* a Unix socket is reachable by its owner only */
	l = evconnlistener_new_bind(
	    s->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, (int)len);
	umask(old);
	if (l == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(errno));
		return ENARX_E_HTTP_LISTEN;
	}
	if ((s->bound = evhttp_bind_listener(s->http, l)) == NULL) {
		evconnlistener_free(l);
		snprintf(err, errlen, "cannot listen on %s", listen);
		return ENARX_E_HTTP_LISTEN;
	}
	if (!s->is_unix) {
		/* Accepted sockets inherit this (Linux): without it a response
		 * written as two TLS records waits for a delayed ACK (~40 ms). */
		int one = 1;
		setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		len = sizeof(ss);
		if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &len) == 0)
			s->port =
			    ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			                                   : ((struct sockaddr_in *)&ss)->sin_port);
	}
	return 0;
}

/* ---- configuration ---- */

static void srv__defaults(struct http_conf *c)
{
	c->max_body = c->max_body ? c->max_body : 1u << 20;
	c->max_header = c->max_header ? c->max_header : 16u << 10;
	c->max_conns = c->max_conns ? c->max_conns : 256;
	c->handshake_ms = c->handshake_ms ? c->handshake_ms : 5000;
	c->request_ms = c->request_ms ? c->request_ms : 30000;
	c->io_ms = c->io_ms ? c->io_ms : 30000;
	c->grace_ms = c->grace_ms ? c->grace_ms : 10000;
	c->json_depth = c->json_depth ? c->json_depth : 32;
	c->name = c->name ? c->name : "http";
}

/* Refuses configurations that would serve without protection. */
static int srv__check(const struct http_conf *c, bool is_unix, char *err, size_t errlen)
{
	if (c->listen == NULL) {
		snprintf(err, errlen, "no listen address");
		return ENARX_E_INVAL;
	}
	if (c->plain && !is_unix && !c->insecure_plain) {
		snprintf(err, errlen,
		         "plain HTTP on TCP needs the explicit insecure flag; use "
		         "HTTPS or a unix: socket");
		return ENARX_E_INVAL;
	}
	if (!is_unix && c->token_file == NULL && (c->plain || c->client_ca_file == NULL)) {
		snprintf(err, errlen, "no authentication configured for %s: give a token file%s",
		         c->listen, c->plain ? "" : " or a client CA file");
		return ENARX_E_INVAL;
	}
	return http_route_check(c->routes, c->nroutes, err, errlen);
}

static int srv__tls(struct http_server *s, const struct http_conf *c, char *err, size_t errlen)
{
	struct http__tls_conf t = {
	    .name = c->name,
	    .state_dir = c->state_dir,
	    .cert_file = c->cert_file,
	    .key_file = c->key_file,
	    .client_ca_file = c->client_ca_file,
	    .groups = c->tls_groups,
	    .require_client_cert = c->token_file == NULL,
	};

	if (conn__ssl_idx < 0)
		conn__ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn__ssl_free);
	if (conn__ssl_idx < 0) {
		snprintf(err, errlen, "no OpenSSL ex_data index");
		return ENARX_E_HTTP_TLS;
	}
	s->has_ca = c->client_ca_file != NULL;
	return http__tls_ctx_new(&t, &s->ssl, s->cert_path, sizeof(s->cert_path), s->fp, err,
	                         errlen);
}

int http_server_new(const struct http_conf *conf, struct http_server **out, char *err,
                    size_t errlen)
{
	struct http_server *s;
	struct timeval io;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if ((s = xcalloc(1, sizeof(*s))) == NULL)
		return ENARX_E_NOMEM;
	s->conf = *conf;
	srv__defaults(&s->conf);
	if ((rc = srv__check(&s->conf, conf->listen && !strncmp(conf->listen, "unix:", 5), err,
	                     errlen)))
		goto out;
	if (conf->plain && strncmp(conf->listen, "unix:", 5) != 0)
		log_warn("http: serving PLAIN HTTP on %s (insecure flag): requests and tokens "
		         "travel in clear",
		         conf->listen);
	if (conf->token_file != NULL &&
	    (rc = http__token_load(conf->token_file, &s->token, &s->toklen, err, errlen)))
		goto out;
	if (!conf->plain && (rc = srv__tls(s, &s->conf, err, errlen)))
		goto out;
	rc = ENARX_E_NOMEM;
	if ((s->base = event_base_new()) == NULL || (s->http = evhttp_new(s->base)) == NULL)
		goto out;
	io.tv_sec = s->conf.io_ms / 1000;
	io.tv_usec = (s->conf.io_ms % 1000) * 1000;
	evhttp_set_timeout_tv(s->http, &io);
	/* evhttp's own limits are backstops (its answers are HTML): headers at
	 * four times ours so ours answers 431 first, the body at ours. */
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)s->conf.max_header * 4);
	evhttp_set_max_body_size(s->http, (ev_ssize_t)s->conf.max_body);
	/* A body over the limit is read and dropped before the 413 goes out:
	 * closing with the client's upload unread would make the kernel send
	 * a reset that can destroy the answer before the client reads it.
	 * The request deadline still bounds how long that reading lasts. */
	evhttp_set_flags(s->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
	                                        EVHTTP_REQ_HEAD);
	evhttp_set_bevcb(s->http, conn__bev, s);
	evhttp_set_gencb(s->http, srv__dispatch, s);
	if ((rc = srv__listen(s, conf->listen, err, errlen)))
		goto out;
	*out = s;
	s = NULL;
out:
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", enarx_strerror(rc));
	http_server_free(s);
	return rc;
}

/* ---- running and stopping ---- */

static void srv__grace(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;

	log_warn("http: %u request(s) still in flight after the grace period: closing", s->active);
	event_base_loopexit(s->base, NULL);
}

static void srv__signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("http: signal %d: shutting down", (int)sig);
	http_server_stop(arg);
}

void http_server_stop(struct http_server *s)
{
	struct timeval tv = {s->conf.grace_ms / 1000, (s->conf.grace_ms % 1000) * 1000};

	if (s->stopping)
		return;
	s->stopping = true;
	if (s->bound != NULL) {
		evhttp_del_accept_socket(s->http, s->bound);
		s->bound = NULL;
		if (s->is_unix)
			unlink(s->unix_path);
	}
	if (s->conf.on_stop != NULL)
		s->conf.on_stop(s, s->conf.arg);
	for (struct http__conn *c = s->conns, *n; c != NULL; c = n) {
		n = c->next;
		if (c->cur == NULL)
			conn__expire(c);
	}
	if ((s->grace = evtimer_new(s->base, srv__grace, s)) != NULL)
		evtimer_add(s->grace, &tv);
	srv__maybe_done(s);
}

bool http_server_stopping(const struct http_server *s)
{
	return s->stopping;
}

int http_server_run(struct http_server *s)
{
	signal(SIGPIPE, SIG_IGN);
	s->sig_term = evsignal_new(s->base, SIGTERM, srv__signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, srv__signal, s);
	if (s->sig_term == NULL || s->sig_int == NULL || evsignal_add(s->sig_term, NULL) ||
	    evsignal_add(s->sig_int, NULL))
		return ENARX_E_IO;
	return event_base_dispatch(s->base) < 0 ? ENARX_E_IO : 0;
}

void http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	/* Connection records outlive this call only until libevent finalizes
	 * their bufferevents (inside event_base_free): detach them first. */
	for (struct http__conn *c = s->conns, *n; c != NULL; c = n) {
		n = c->next;
		event_free(c->timer);
		c->timer = NULL;
		c->srv = NULL;
		c->prev = c->next = NULL;
		if (c->plain)
			conn__release(c);
	}
	s->conns = NULL;
	while (s->lingers != NULL)
		linger__end(s->lingers);
	for (struct http_req *r = s->reqs; r != NULL; r = r->next)
		r->srv = NULL;
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->grace)
		event_free(s->grace);
	if (s->http)
		evhttp_free(s->http);
	if (s->is_unix && !s->stopping && s->unix_path[0] != '\0')
		unlink(s->unix_path);
	if (s->base)
		event_base_free(s->base);
	SSL_CTX_free(s->ssl);
	if (s->token != NULL)
		OPENSSL_cleanse(s->token, s->toklen);
	xfree(s->token);
	xfree(s);
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

const char *http_server_fingerprint(const struct http_server *s)
{
	return s->fp;
}

const char *http_server_cert_file(const struct http_server *s)
{
	return s->ssl ? s->cert_path : "";
}

struct event_base *http_server_base(struct http_server *s)
{
	return s->base;
}

unsigned http_server_in_flight(const struct http_server *s)
{
	return s->active;
}
