/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny daemon on src/http for the end-to-end tests: a few /v1/ routes
 * (ping, JSON echo with a schema, a resource by id, a chunked stream) and
 * flags for every server knob. Prints "port N" and "fingerprint F" lines. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/json.h"

static void on_ping(struct http_req *req, void *arg)
{
	http_reply_json(req, 200, json_pack("{s:b, s:s}", "ok", 1, "peer", http_req_peer(req)));
}

static const struct http_json_field echo_fields[] = {
    {"name", HTTP_J_STRING, true, 1, 64},
    {"count", HTTP_J_INT, false, 0, 1000},
    {"tags", HTTP_J_ARRAY, false, 0, 8},
};

static void on_echo(struct http_req *req, void *arg)
{
	json_t *body;

	if (http_req_json(req, echo_fields, 3, &body) != 0)
		return;
	http_reply_json(req, 201, body);
}

static void on_thing(struct http_req *req, void *arg)
{
	const char *id = http_req_param(req, "id");

	if (strcmp(id, "missing") == 0) {
		http_reply_problem(req, HTTP_P_NOT_FOUND, "no thing with id '%s'", id);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:s}", "id", id));
}

static void on_thing_delete(struct http_req *req, void *arg)
{
	http_reply_bytes(req, 204, NULL, "", 0);
}

/* A follow-style stream: one chunk every 100 ms, five in all. */
struct stream {
	struct http_req *req;
	struct event *ev;
	int n;
};

static void stream_tick(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;
	char line[32];
	struct timeval tv = {0, 100000};

	if (http_req_gone(st->req) || st->n == 5) {
		http_stream_end(st->req);
		event_free(st->ev);
		free(st);
		return;
	}
	snprintf(line, sizeof(line), "line %d\n", st->n++);
	http_stream_write(st->req, line, strlen(line));
	evtimer_add(st->ev, &tv);
}

static void on_stream(struct http_req *req, void *arg)
{
	struct http_server *srv = http_req_server(req);
	struct stream *st = calloc(1, sizeof(*st));
	struct timeval tv = {0, 0};

	st->req = req;
	st->ev = evtimer_new(http_server_base(srv), stream_tick, st);
	http_stream_begin(req, 200, "text/plain");
	evtimer_add(st->ev, &tv);
}

/* A follower that never ends by itself: one chunk, then it waits for its
 * client to hang up; on_close only forgets it (the server ends it). */
static void follow_gone(struct http_req *req, void *arg)
{
	fprintf(stderr, "test-server: follower gone\n");
}

static void on_follow(struct http_req *req, void *arg)
{
	http_stream_begin(req, 200, "text/plain");
	http_stream_write(req, "hello\n", 6);
	http_req_on_close(req, follow_gone, NULL);
}

/* Holds the answer for a second: lets tests catch a request in flight. */
static void slow_done(evutil_socket_t fd, short what, void *arg)
{
	http_reply_json(arg, 200, json_pack("{s:b}", "slow", 1));
}

static void on_slow(struct http_req *req, void *arg)
{
	struct timeval tv = {1, 0};

	event_base_once(http_server_base(http_req_server(req)), -1, EV_TIMEOUT, slow_done, req,
	                &tv);
}

static const struct http_route routes[] = {
    {"GET", "/v1/ping", on_ping},         {"POST", "/v1/echo", on_echo},
    {"GET", "/v1/things/{id}", on_thing}, {"DELETE", "/v1/things/{id}", on_thing_delete},
    {"GET", "/v1/stream", on_stream},     {"GET", "/v1/slow", on_slow},
    {"GET", "/v1/follow", on_follow},
};

static void on_stop(struct http_server *srv, void *arg)
{
	fprintf(stderr, "test-server: on_stop called\n");
}

static unsigned num(const char *s)
{
	return (unsigned)strtoul(s, NULL, 10);
}

int main(int argc, char **argv)
{
	struct http_conf c = {.name = "test",
	                      .routes = routes,
	                      .nroutes = sizeof(routes) / sizeof(routes[0]),
	                      .on_stop = on_stop};
	struct http_server *srv;
	char err[512];
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int i = 1; i + 1 < argc || (i < argc && !strcmp(argv[i], "--insecure")); i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--insecure")) {
			c.plain = c.insecure_plain = true;
			i--;
		} else if (!strcmp(k, "--plain")) {
			c.plain = !strcmp(v, "1");
		} else if (!strcmp(k, "--listen")) {
			c.listen = v;
		} else if (!strcmp(k, "--state")) {
			c.state_dir = v;
		} else if (!strcmp(k, "--token-file")) {
			c.token_file = v;
		} else if (!strcmp(k, "--client-ca")) {
			c.client_ca_file = v;
		} else if (!strcmp(k, "--max-body")) {
			c.max_body = num(v);
		} else if (!strcmp(k, "--max-header")) {
			c.max_header = num(v);
		} else if (!strcmp(k, "--max-conns")) {
			c.max_conns = num(v);
		} else if (!strcmp(k, "--request-ms")) {
			c.request_ms = num(v);
		} else if (!strcmp(k, "--handshake-ms")) {
			c.handshake_ms = num(v);
		} else if (!strcmp(k, "--grace-ms")) {
			c.grace_ms = num(v);
		} else {
			fprintf(stderr, "unknown flag %s\n", k);
			return 2;
		}
	}
	if (http_server_new(&c, &srv, err, sizeof(err)) != 0) {
		fprintf(stderr, "test-server: %s\n", err);
		return 1;
	}
	printf("port %u\nfingerprint %s\ncert %s\n", http_server_port(srv),
	       http_server_fingerprint(srv), http_server_cert_file(srv));
	fflush(stdout);
	rc = http_server_run(srv);
	fprintf(stderr, "test-server: exiting, %u in flight\n", http_server_in_flight(srv));
	http_server_free(srv);
	return rc == 0 ? 0 : 1;
}
