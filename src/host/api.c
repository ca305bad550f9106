/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent's /v1 API (docs/host-api.md): one small handler per verb,
 * in the manner of kvmtool's builtin-list/builtin-stop. Every handler runs
 * on the server's loop thread (http.h). */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "host/keeps.h"
#include "host/store.h"
#include "http/http.h"
#include "keep/proto.h"
#include "lib/err.h"
#include "lib/log.h"

#define MIB (1ull << 20)

static struct hkeep *keep_or_404(struct http_req *req, struct host *h)
{
	const char *id = http_req_param(req, "id");
	struct hkeep *k = id ? hk_find(h, id) : NULL;

	if (!k)
		http_reply_problem(req, HTTP_P_NOT_FOUND, "no Keep with id '%s'", id ? id : "");
	return k;
}

static bool query_true(struct http_req *req, const char *name)
{
	char v[16];

	return http_req_query(req, name, v, sizeof(v)) &&
	       (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == 0);
}

/* ---- /v1/host ---- */

static void on_host(struct http_req *req, void *arg)
{
	struct host *h = arg;
	const struct keep_limits *ml = &h->conf.max_limits;
	json_t *be = json_array(), *o, *lim;

	for (size_t i = 0; backend_at(i); i++)
		json_array_append_new(be, json_string(backend_at(i)->name));
	o = json_pack("{s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, "
	              "s:I}}",
	              "version", "v1", "backends", be, "limits", "max_keeps",
	              (json_int_t)h->conf.max_keeps, "max_records", (json_int_t)h->conf.max_records,
	              "max_keep_memory", (json_int_t)h->conf.max_keep_mem, "max_total_memory",
	              (json_int_t)h->conf.max_total_mem, "default_memory",
	              (json_int_t)h->conf.default_mem, "max_body", (json_int_t)h->conf.max_body,
	              "log_max", (json_int_t)h->conf.log_max, "usage", "keeps",
	              (json_int_t)h->nrecords, "running", (json_int_t)h->nlive, "memory",
	              (json_int_t)h->mem_live);
	/* the per-Keep maxima (docs/host-api.md "Limits"); null = none */
	lim = json_object_get(o, "limits");
	json_object_set_new(lim, "max_fuel",
	                    ml->fuel ? json_integer((json_int_t)ml->fuel) : json_null());
	json_object_set_new(lim, "max_wall_ms",
	                    ml->wall_ms ? json_integer((json_int_t)ml->wall_ms) : json_null());
	json_object_set_new(lim, "max_fds",
	                    ml->fds ? json_integer((json_int_t)ml->fds) : json_null());
	json_object_set_new(lim, "max_output",
	                    ml->output ? json_integer((json_int_t)ml->output) : json_null());
	http_reply_json(req, 200, o);
}

/* ---- /v1/keeps ---- */

static void on_list(struct http_req *req, void *arg)
{
	struct host *h = arg;
	json_t *a = json_array();

	for (struct hkeep *k = h->keeps; k; k = k->next)
		json_array_append_new(a, hk_json(k));
	http_reply_json(req, 200, a);
}

/* Limits a new Keep must fit in; answers and returns false if not. */
static bool check_limits(struct http_req *req, struct host *h, struct host_create *c, uint64_t *mem)
{
	struct keep_limits max = h->conf.max_limits;
	struct host_cap_error ce;
	int rc;

	max.memory = 0; /* max_keep_mem bounds the Keep as a whole, below */
	if ((rc = host_create_cap(c, &max, &ce)) != 0) {
		if (rc == ENARX_E_PERM)
			http_reply_problem(req, HTTP_P_LIMIT,
			                   "limit '%s': %llu asked, this host allows at most %llu",
			                   ce.name, (unsigned long long)ce.asked,
			                   (unsigned long long)ce.max);
		else
			http_reply_problem(req, HTTP_P_INTERNAL, "%s", enarx_strerror(rc));
		return false;
	}
	*mem = c->memory          ? c->memory
	       : c->limits.memory ? keep_limits_keep_mem(&c->limits)
	                          : h->conf.default_mem;
	if (c->memory && (c->memory % (2 * MIB) || c->memory < 32 * MIB)) {
		http_reply_problem(req, HTTP_P_INVALID_FIELD,
		                   "field 'memory': %llu is not a multiple of 2 MiB of at least "
		                   "32 MiB",
		                   (unsigned long long)c->memory);
		return false;
	}
	if (*mem > h->conf.max_keep_mem) {
		http_reply_problem(
		    req, HTTP_P_LIMIT, "memory per Keep: %llu bytes asked, at most %llu allowed",
		    (unsigned long long)*mem, (unsigned long long)h->conf.max_keep_mem);
		return false;
	}
	if (h->nlive >= h->conf.max_keeps) {
		http_reply_problem(req, HTTP_P_LIMIT, "running Keeps: the limit of %u is reached",
		                   h->conf.max_keeps);
		return false;
	}
	if (h->mem_live + *mem > h->conf.max_total_mem) {
		http_reply_problem(req, HTTP_P_LIMIT,
		                   "total memory: %llu bytes in use, %llu asked, at most %llu",
		                   (unsigned long long)h->mem_live, (unsigned long long)*mem,
		                   (unsigned long long)h->conf.max_total_mem);
		return false;
	}
	if (h->nrecords >= h->conf.max_records) {
		http_reply_problem(req, HTTP_P_LIMIT,
		                   "Keep records: the limit of %u is reached (remove finished "
		                   "Keeps with DELETE /v1/keeps/{id})",
		                   h->conf.max_records);
		return false;
	}
	return true;
}

static void on_create(struct http_req *req, void *arg)
{
	struct host *h = arg;
	struct host_create c;
	struct hkeep *k;
	json_t *body;
	uint64_t mem;
	char why[256];
	int rc;

	if (h->stopping) {
		http_reply_problem(req, HTTP_P_UNAVAILABLE, "the host agent is shutting down");
		return;
	}
	if (http_req_json(req, host_create_fields, host_create_nfields, &body) != 0)
		return;
	rc = host_create_parse(body, (uint32_t)log_get_level(), &c, why, sizeof(why));
	json_decref(body);
	if (rc) {
		http_reply_problem(req,
		                   rc == ENARX_E_MALFORMED ? HTTP_P_INVALID_FIELD : HTTP_P_INTERNAL,
		                   "%s", rc == ENARX_E_MALFORMED ? why : enarx_strerror(rc));
		return;
	}
	if (check_limits(req, h, &c, &mem)) {
		if ((rc = hk_create(h, &c, mem, &k)) != 0)
			http_reply_problem(req, HTTP_P_UNAVAILABLE,
			                   "cannot reach the Keep launcher: %s",
			                   enarx_strerror(rc));
		else
			k->create_req = req; /* answered by host_api_started */
	}
	host_create_clear(&c);
}

void host_api_started(struct hkeep *k, int rc)
{
	struct http_req *req = k->create_req;
	char loc[64];

	k->create_req = NULL;
	if (rc == 0) {
		log_info("host: Keep %s started on %s", k->id, k->backend);
		if (req) {
			snprintf(loc, sizeof(loc), "/v1/keeps/%s", k->id);
			http_reply_header(req, "Location", loc);
			http_reply_json(req, 201, hk_json(k));
		}
		return;
	}
	if (req && (rc == ENARX_E_NOTFOUND || rc == ENARX_E_BACKEND))
		http_reply_problem(req, HTTP_P_INVALID_FIELD,
		                   "field 'backend': '%s' is %s on this host (GET /v1/host lists "
		                   "the backends of this build)",
		                   k->backend, rc == ENARX_E_NOTFOUND ? "unknown" : "not usable");
	else if (req)
		http_reply_problem(req, HTTP_P_INTERNAL, "the Keep could not start: %s",
		                   enarx_strerror(rc));
	hk_free(k);
}

static void on_inspect(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);

	if (!k)
		return;
	if (query_true(req, "wait"))
		hk_follow_add(k, req, HK_NSTREAMS);
	else
		http_reply_json(req, 200, hk_json(k));
}

static void on_delete(struct http_req *req, void *arg)
{
	struct host *h = arg;
	struct hkeep *k = keep_or_404(req, arg);

	if (!k)
		return;
	if (!k->done) {
		http_reply_problem(
		    req, HTTP_P_CONFLICT,
		    "Keep %s is %s: kill it (POST /v1/keeps/%s/kill) before removing it", k->id,
		    hk_state_name(k->state), k->id);
		return;
	}
	if (h->store && store_del(h->store, k->id) != 0) {
		http_reply_problem(req, HTTP_P_INTERNAL, "cannot delete the record of Keep %s",
		                   k->id);
		return;
	}
	hk_free(k);
	http_reply_bytes(req, 204, NULL, NULL, 0);
}

static void on_kill(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);

	if (!k)
		return;
	if (!k->live) {
		http_reply_problem(req, HTTP_P_CONFLICT, "Keep %s has already ended (%s)", k->id,
		                   hk_state_name(k->state));
		return;
	}
	if (hk_kill(k) != 0) {
		http_reply_problem(req, HTTP_P_UNAVAILABLE, "cannot reach the Keep launcher");
		return;
	}
	http_reply_json(req, 202, hk_json(k));
}

/* ---- streams ---- */

static void stream(struct http_req *req, struct hkeep *k, int s, bool follow)
{
	const struct buf *b = &k->data[s];
	const char *ctype = s == HK_PROTO ? "application/octet-stream" : "text/plain";

	if (!follow) {
		http_reply_bytes(req, 200, ctype, b->data ? (const void *)b->data : "", b->len);
		return;
	}
	http_reply_header(req, "X-Content-Type-Options", "nosniff");
	http_stream_begin(req, 200, ctype);
	if (b->len)
		http_stream_write(req, b->data, b->len);
	hk_follow_add(k, req, s);
}

static void on_stdout(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);

	if (k)
		stream(req, k, HK_OUT, query_true(req, "follow"));
}

static void on_stderr(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);

	if (k)
		stream(req, k, HK_ERR, query_true(req, "follow"));
}

static void on_proto_get(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);

	if (k)
		stream(req, k, HK_PROTO, true);
}

/* Queues body bytes for the Keep; 204 once they are in the pipe. */
static void write_to(struct http_req *req, struct hkeep *k, int pipe, const uint8_t *p, size_t len,
                     bool close_after)
{
	int rc;

	if (k->fd[pipe] < 0) {
		http_reply_problem(req, HTTP_P_CONFLICT, "Keep %s: its %s is closed (state %s)",
		                   k->id, pipe == LM_STDIN ? "stdin" : "protocol relay",
		                   hk_state_name(k->state));
		return;
	}
	rc = hk_write(k, pipe, p, len, req, close_after);
	if (rc == ENARX_E_BUSY)
		http_reply_problem(req, HTTP_P_CONFLICT,
		                   "Keep %s: another write to its %s is still pending", k->id,
		                   pipe == LM_STDIN ? "stdin" : "protocol relay");
	else if (rc == ENARX_E_IO)
		http_reply_problem(req, HTTP_P_CONFLICT, "Keep %s no longer reads it", k->id);
	else if (rc)
		http_reply_problem(req, HTTP_P_INTERNAL, "%s", enarx_strerror(rc));
}

static void on_stdin(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);
	const uint8_t *p;
	size_t len;

	if (!k)
		return;
	p = http_req_body(req, &len);
	write_to(req, k, LM_STDIN, p, len, query_true(req, "close"));
}

static void on_stdin_close(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);

	if (k)
		write_to(req, k, LM_STDIN, NULL, 0, true);
}

/* The body must be whole keep-protocol frames, nothing else. */
static bool frames_ok(struct http_req *req, const uint8_t *p, size_t len)
{
	const uint8_t *payload;
	size_t off = 0, plen, used;
	uint32_t type;
	int rc = 0;

	while (off < len && !(rc = kp_frame_split(p + off, len - off, KP_MAX_PAYLOAD, &type,
	                                          &payload, &plen, &used)))
		off += used;
	if (len == 0 || rc) {
		http_reply_problem(req, HTTP_P_BAD_REQUEST,
		                   "the body must be one or more whole keep-protocol frames (u32le "
		                   "type, u32le length, payload): %s at byte %zu",
		                   len == 0 ? "empty body" : enarx_strerror(rc), off);
		return false;
	}
	return true;
}

static void on_proto_post(struct http_req *req, void *arg)
{
	struct hkeep *k = keep_or_404(req, arg);
	const char *ct = http_req_header(req, "Content-Type");
	const uint8_t *p;
	size_t len;

	if (!k)
		return;
	if (ct && strcasecmp(ct, "application/octet-stream") != 0) {
		http_reply_problem(req, HTTP_P_MEDIA_TYPE,
		                   "Content-Type is %.64s, expected application/octet-stream", ct);
		return;
	}
	if (k->mode != HOST_MODE_DEPLOY) {
		http_reply_problem(req, HTTP_P_CONFLICT,
		                   "Keep %s runs a workload the host fed it (mode run); the relay "
		                   "takes frames only for Keeps created with mode deploy",
		                   k->id);
		return;
	}
	p = http_req_body(req, &len);
	if (frames_ok(req, p, len))
		write_to(req, k, LM_PROTO_IN, p, len, false);
}

const struct http_route host_routes[] = {
    {"GET", "/v1/host", on_host},
    {"GET", "/v1/keeps", on_list},
    {"POST", "/v1/keeps", on_create},
    {"GET", "/v1/keeps/{id}", on_inspect},
    {"DELETE", "/v1/keeps/{id}", on_delete},
    {"POST", "/v1/keeps/{id}/kill", on_kill},
    {"GET", "/v1/keeps/{id}/stdout", on_stdout},
    {"GET", "/v1/keeps/{id}/stderr", on_stderr},
    {"POST", "/v1/keeps/{id}/stdin", on_stdin},
    {"DELETE", "/v1/keeps/{id}/stdin", on_stdin_close},
    {"GET", "/v1/keeps/{id}/proto", on_proto_get},
    {"POST", "/v1/keeps/{id}/proto", on_proto_post},
};
const size_t host_nroutes = sizeof(host_routes) / sizeof(host_routes[0]);
