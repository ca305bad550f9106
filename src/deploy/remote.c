/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx deploy --host URL`: the transport to a host agent's keep-protocol
 * relay (docs/host-api.md): POST /v1/keeps {"mode":"deploy"} makes the
 * Keep, POST /v1/keeps/{id}/proto carries our frames to it, and GET
 * /v1/keeps/{id}/proto streams every frame it sends. A thread of its own
 * (with its own connection: a client is one connection) reads that stream
 * into a pipe, which recv() polls. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "deploy/deploy.h"
#include "deploy/remote.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

#define CHUNK 65536

struct deploy_remote {
	struct client *c, *rc; /* requests; the stream (its thread's) */
	char id[64], path[128];
	int pipe[2];
	pthread_t th;
	int th_started, ended;
	struct buf in;
	struct buf frame;
	char stream_err[256];
};

/* The stream thread: every chunk into the pipe, then its end. */
static int on_chunk(const void *data, size_t len, void *arg)
{
	struct deploy_remote *r = arg;
	const uint8_t *p = data;

	while (len) {
		ssize_t w = write(r->pipe[1], p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 1; /* the client side went away */
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void *stream_main(void *arg)
{
	struct deploy_remote *r = arg;
	struct client_resp resp;

	memset(&resp, 0, sizeof(resp));
	if (client_stream(r->rc, r->path, on_chunk, r, &resp) != 0 || resp.status != 200)
		client_resp_error(&resp, r->stream_err, sizeof(r->stream_err));
	client_resp_clear(&resp);
	close(r->pipe[1]);
	r->pipe[1] = -1;
	return NULL;
}

static int r_send(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct deploy_remote *r = ctx;
	uint8_t hdr[KP_HEADER_SIZE];
	struct client_resp resp;
	char path[160];
	int rc;

	kp_frame_header(hdr, type, len);
	r->frame.len = 0;
	if (buf_append(&r->frame, hdr, sizeof(hdr)) || buf_append(&r->frame, p, len))
		return ENARX_E_NOMEM;
	snprintf(path, sizeof(path), "/v1/keeps/%s/proto", r->id);
	memset(&resp, 0, sizeof(resp));
	rc = client_post_bytes(r->c, path, "application/octet-stream", r->frame.data, r->frame.len,
	                       &resp);
	if (!rc && resp.status != 204)
		rc = ENARX_E_IO;
	client_resp_clear(&resp);
	return rc;
}

static int r_recv(void *ctx, int timeout_ms, uint32_t *type, uint8_t **p, size_t *len)
{
	struct deploy_remote *r = ctx;
	const uint8_t *q;
	size_t used;
	ssize_t n;
	int rc;

	for (;;) {
		rc = kp_frame_split(r->in.data, r->in.len, KP_MAX_PAYLOAD, type, &q, len, &used);
		if (rc == 0) {
			*p = xmalloc(*len ? *len : 1);
			if (!*p)
				return ENARX_E_NOMEM;
			memcpy(*p, q, *len);
			memmove(r->in.data, r->in.data + used, r->in.len - used);
			r->in.len -= used;
			return 0;
		}
		if (rc != ENARX_E_TRUNCATED)
			return rc;
		if (r->ended)
			return ENARX_E_NOTFOUND;
		struct pollfd pf = {r->pipe[0], POLLIN, 0};
		rc = poll(&pf, 1, timeout_ms);
		if (rc == 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return ENARX_E_IO;
		if (rc < 0 || buf_reserve(&r->in, CHUNK))
			continue;
		n = read(r->pipe[0], r->in.data + r->in.len, CHUNK);
		if (n == 0)
			r->ended = 1;
		else if (n > 0)
			r->in.len += (size_t)n;
	}
}

int deploy_remote_new(const struct client_conf *conf, const char *backend,
                      const struct deploy_keep_req *req, struct deploy_remote **out,
                      struct deploy_transport *t, char *err, size_t n)
{
	struct deploy_remote *r = xcalloc(1, sizeof(*r));
	struct client_resp resp;
	json_t *body = NULL;
	const char *id;
	int rc;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	if (!r)
		return ENARX_E_NOMEM;
	r->pipe[0] = r->pipe[1] = -1;
	rc = client_new(conf, &r->c, err, n);
	if (!rc)
		rc = client_new(conf, &r->rc, err, n);
	if (rc)
		goto fail;
	body = json_pack("{s:s}", "mode", "deploy");
	if (body && backend)
		json_object_set_new(body, "backend", json_string(backend));
	if (body && req && req->mem_size) /* the host cannot read [limits] */
		json_object_set_new(body, "memory", json_integer((json_int_t)req->mem_size));
	if (body && req && req->net)
		json_object_set_new(body, "network", json_true());
	rc = client_json(r->c, "POST", "/v1/keeps", body, &resp);
	if (rc || resp.status != 201) {
		char e[600];

		snprintf(err, n, "creating a Keep: %s", client_resp_error(&resp, e, sizeof(e)));
		rc = rc ? rc : ENARX_E_IO;
		goto fail;
	}
	id = json_string_value(json_object_get(resp.body, "id"));
	if (!id || strlen(id) >= sizeof(r->id) || strchr(id, '/')) {
		snprintf(err, n, "creating a Keep: the host answered no usable id");
		rc = ENARX_E_MALFORMED;
		goto fail;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->path, sizeof(r->path), "/v1/keeps/%s/proto", r->id);
	if (pipe2(r->pipe, O_CLOEXEC) != 0 || pthread_create(&r->th, NULL, stream_main, r) != 0) {
		snprintf(err, n, "cannot start the stream reader");
		rc = ENARX_E_IO;
		goto fail;
	}
	r->th_started = 1;
	client_resp_clear(&resp);
	json_decref(body);
	*t = (struct deploy_transport){r_send, r_recv, NULL, r};
	*out = r;
	return 0;
fail:
	client_resp_clear(&resp);
	json_decref(body);
	deploy_remote_free(r);
	return rc;
}

const char *deploy_remote_id(const struct deploy_remote *r)
{
	return r->id;
}

void deploy_remote_free(struct deploy_remote *r)
{
	struct client_resp resp;
	char path[160];

	if (!r)
		return;
	memset(&resp, 0, sizeof(resp));
	if (r->th_started) {
		/* a Keep still running is stopped; its stream then ends */
		if (!r->ended && r->id[0]) {
			snprintf(path, sizeof(path), "/v1/keeps/%s/kill", r->id);
			client_json(r->c, "POST", path, NULL, &resp);
			client_resp_clear(&resp);
		}
		close(r->pipe[0]); /* a writer still going gets EPIPE */
		r->pipe[0] = -1;
		pthread_join(r->th, NULL);
	}
	if (r->pipe[0] >= 0)
		close(r->pipe[0]);
	if (r->pipe[1] >= 0)
		close(r->pipe[1]);
	client_free(r->c);
	client_free(r->rc);
	buf_free(&r->in, 0);
	buf_free(&r->frame, 0);
	xfree(r);
}
