/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/keeps bodies (req.h): schema, base64 workload, Enarx.toml
 * checks, and the keep-protocol frames a run-mode Keep is fed. */
#include "host/req.h"

#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"

#define HOST_WASM_B64_MAX (64u << 20)

const struct http_json_field host_create_fields[] = {
    {"backend", HTTP_J_STRING, false, 1, 15},
    {"memory", HTTP_J_INT, false, 1, (int64_t)1 << 40},
    {"mode", HTTP_J_STRING, false, 1, 16},
    {"wasm", HTTP_J_STRING, false, 8, HOST_WASM_B64_MAX},
    {"config", HTTP_J_STRING, false, 0, CONFIG_MAX_SIZE},
    {"args", HTTP_J_ARRAY, false, 0, KP_MAX_ARGS},
    {"env", HTTP_J_OBJECT, false, 0, 0},
    {"engine", HTTP_J_STRING, false, 1, 16},
    {"network", HTTP_J_BOOL, false, 0, 0},
};
const size_t host_create_nfields = sizeof(host_create_fields) / sizeof(host_create_fields[0]);

/* Writes the message to why and gives the error (one expression). */
#define BAD(why, whylen, ...) (snprintf(why, whylen, __VA_ARGS__), ENARX_E_MALFORMED)

static int parse_backend(const json_t *body, struct host_create *out, char *why, size_t whylen)
{
	const char *b = json_string_value(json_object_get(body, "backend"));

	if (!b)
		return 0;
	for (const char *c = b; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return BAD(why, whylen, "field 'backend': '%s' is not a backend name", b);
	snprintf(out->backend, sizeof(out->backend), "%s", b);
	return 0;
}

static int parse_enums(const json_t *body, struct host_create *out, char *why, size_t whylen)
{
	const char *m = json_string_value(json_object_get(body, "mode"));
	const char *e = json_string_value(json_object_get(body, "engine"));

	out->mode = HOST_MODE_RUN;
	if (m && strcmp(m, "deploy") == 0)
		out->mode = HOST_MODE_DEPLOY;
	else if (m && strcmp(m, "run") != 0)
		return BAD(why, whylen, "field 'mode': '%s' is neither run nor deploy", m);
	out->engine = KP_ENGINE_INTERP;
	if (e && strcmp(e, "jit") == 0)
		out->engine = KP_ENGINE_JIT;
	else if (e && strcmp(e, "interp") != 0)
		return BAD(why, whylen, "field 'engine': '%s' is neither interp nor jit", e);
	return 0;
}

/* The workload module: base64 of a binary module. */
static int parse_wasm(const json_t *body, struct buf *wasm, char *why, size_t whylen)
{
	const json_t *w = json_object_get(body, "wasm");
	size_t len = json_string_length(w), room = len / 4 * 3 + 3;
	int rc;

	if (!w)
		return BAD(why, whylen, "field 'wasm': %s", "required in run mode");
	if ((rc = buf_reserve(wasm, room)) != 0)
		return rc;
	if (base64_decode(json_string_value(w), len, wasm->data, &room) != 0)
		return BAD(why, whylen, "field 'wasm': %s", "not base64");
	wasm->len = room;
	if (room < 8 || memcmp(wasm->data, "\0asm", 4) != 0)
		return BAD(why, whylen, "field 'wasm': %s",
		           "not a binary WebAssembly module (no \\0asm magic)");
	return 0;
}

/* TOML basic strings: refuse what would need escaping. */
static int env_text_ok(const char *s, int key)
{
	if (!*s && key)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || (key && c == '='))
			return 0;
		if (key && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* "env" without "config": a config with the default stdio and [env]. */
static int env_config(const json_t *env, struct buf *conf, char *why, size_t whylen)
{
	const char *k;
	json_t *v;
	int rc = buf_printf(conf, "[[files]]\nkind = \"stdin\"\n[[files]]\nkind = "
	                          "\"stdout\"\n[[files]]\nkind = \"stderr\"\n[env]\n");

	json_object_foreach((json_t *)env, k, v)
	{
		if (!json_is_string(v))
			return BAD(why, whylen, "field 'env': value of '%s' is not a string", k);
		if (!env_text_ok(k, 1) || !env_text_ok(json_string_value(v), 0))
			return BAD(why, whylen,
			           "field 'env': '%s': names are [A-Za-z0-9_], values printable "
			           "without '\"' or '\\'",
			           k);
		if (!rc)
			rc = buf_printf(conf, "%s = \"%s\"\n", k, json_string_value(v));
	}
	return rc;
}

/* A config from the client may not open host directories; sockets make
 * the Keep share the host's network. One that does not parse is left to
 * the executor, which reports it as enarx run does. */
static int check_config(const char *text, size_t len, int *net, char *why, size_t whylen)
{
	struct config *cfg = NULL;
	char err[256];

	if (config_parse(text, len, &cfg, err, sizeof(err)) != 0)
		return 0;
	for (size_t i = 0; i < cfg->nfiles; i++) {
		if (cfg->files[i].kind == CONFIG_DIR) {
			(void)BAD(why, whylen,
			          "field 'config': file '%s' is a host directory (kind = \"dir\"), "
			          "which the host API does not open for clients",
			          cfg->files[i].name);
			config_free(cfg);
			return ENARX_E_MALFORMED;
		}
		if (cfg->files[i].kind == CONFIG_LISTEN || cfg->files[i].kind == CONFIG_CONNECT)
			*net = 1;
	}
	config_free(cfg);
	return 0;
}

static int parse_args(const json_t *body, char ***args, size_t *n, char *why, size_t whylen)
{
	const json_t *a = json_object_get(body, "args");
	size_t i;
	json_t *v;

	*n = 0;
	if (!a)
		return 0;
	*args = xcalloc(json_array_size(a) + 1, sizeof(char *));
	if (!*args)
		return ENARX_E_NOMEM;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || memchr(json_string_value(v), 0, json_string_length(v))) {
			snprintf(why, whylen, "field 'args': element %zu is not a string", i);
			return ENARX_E_MALFORMED;
		}
		(*args)[(*n)++] = (char *)json_string_value(v);
	}
	return 0;
}

/* HELLO, WASM, [CONFIG], [ARGS], RUN into out->frames. */
static int frame(struct buf *f, uint32_t type, const void *p, size_t len)
{
	uint8_t hdr[KP_HEADER_SIZE];
	int rc;

	kp_frame_header(hdr, type, len);
	rc = buf_append(f, hdr, sizeof(hdr));
	return rc ? rc : buf_append(f, p, len);
}

static int encode(struct host_create *out, uint32_t log_level, const struct buf *wasm,
                  const struct buf *conf, int has_conf, char **args, size_t nargs)
{
	struct buf p = {0};
	int rc = kp_enc_hello(&p, log_level, out->engine);

	if (!rc)
		rc = frame(&out->frames, KP_HELLO, p.data, p.len);
	if (!rc)
		rc = frame(&out->frames, KP_WASM, wasm->data, wasm->len);
	if (!rc && has_conf)
		rc =
		    frame(&out->frames, KP_CONFIG, conf->data ? (void *)conf->data : "", conf->len);
	p.len = 0;
	if (!rc && nargs && !(rc = kp_enc_args(&p, (const char *const *)args, nargs)))
		rc = frame(&out->frames, KP_ARGS, p.data, p.len);
	if (!rc)
		rc = frame(&out->frames, KP_RUN, NULL, 0);
	buf_free(&p, 0);
	return rc;
}

static int parse_run(const json_t *body, uint32_t log_level, struct host_create *out, char *why,
                     size_t whylen)
{
	const json_t *cj = json_object_get(body, "config"), *env = json_object_get(body, "env");
	struct buf wasm = {0}, conf = {0};
	char **args = NULL;
	size_t nargs = 0;
	int rc = parse_wasm(body, &wasm, why, whylen);

	if (!rc && cj && env)
		rc = BAD(why, whylen, "field 'env': %s",
		         "not allowed with 'config' (put [env] in the config)");
	if (!rc && cj)
		rc = buf_append(&conf, json_string_value(cj), json_string_length(cj));
	if (!rc && env)
		rc = env_config(env, &conf, why, whylen);
	if (!rc && (cj || env))
		rc = check_config(conf.data ? (const char *)conf.data : "", conf.len, &out->net,
		                  why, whylen);
	if (!rc)
		rc = parse_args(body, &args, &nargs, why, whylen);
	if (!rc)
		rc = encode(out, log_level, &wasm, &conf, cj || env, args, nargs);
	xfree(args);
	buf_free(&wasm, 0);
	buf_free(&conf, 0);
	return rc;
}

int host_create_parse(const json_t *body, uint32_t log_level, struct host_create *out, char *why,
                      size_t whylen)
{
	static const char *const run_only[] = {"wasm", "config", "args", "env", "engine"};
	const json_t *mem = json_object_get(body, "memory");
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_backend(body, out, why, whylen)) ||
	    (rc = parse_enums(body, out, why, whylen)))
		return rc;
	out->memory = mem ? (uint64_t)json_integer_value(mem) : 0;
	if (out->mode == HOST_MODE_RUN && json_object_get(body, "network"))
		rc = BAD(why, whylen,
		         "field 'network': deploy mode only (run mode reads the config)");
	else if (out->mode == HOST_MODE_RUN)
		rc = parse_run(body, log_level, out, why, whylen);
	else /* the sealed config is not ours to read: the client says */
		out->net = json_is_true(json_object_get(body, "network"));
	if (out->mode == HOST_MODE_DEPLOY)
		for (size_t i = 0; i < sizeof(run_only) / sizeof(run_only[0]) && !rc; i++)
			if (json_object_get(body, run_only[i]))
				rc = BAD(why, whylen, "field '%s': not allowed in deploy mode",
				         run_only[i]);
	if (rc)
		host_create_clear(out);
	return rc;
}

void host_create_clear(struct host_create *c)
{
	buf_free(&c->frames, 0);
}
