/* SPDX-License-Identifier: Apache-2.0 */
/* enarx keep: Keeps on a host agent (docs/host-api.md) through the client
 * library (src/client/client.h): run, create, ls, inspect, logs, kill, rm.
 * One handler per verb; human output by default, --json for scripts. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <enarx/wat.h>

#include "cli/cli.h"
#include "cli/limit_opts.h"
#include "client/client.h"
#include "keep/abi.h"
#include "keep/limits.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"

/* Exit statuses of the management verbs (run gives the workload's). */
enum {
	KEEP_EXIT_NOTFOUND = 3, /* 404: no such Keep */
	KEEP_EXIT_CONFLICT = 4, /* 409: the Keep's state forbids it */
	KEEP_EXIT_AUTH = 5,     /* 401/403 */
	KEEP_EXIT_LIMIT = 6,    /* 429: a limit of the host agent */
};

#define EXIT_FOOTER                                                                  \
	"Exit status: 0 done; 1 failure (no answer, server error); 2 usage error;\n" \
	"3 no such Keep; 4 the Keep's state forbids it; 5 not authenticated;\n"      \
	"6 a limit of the host agent was reached.\n"
#define CONN_ABOUT                                                                      \
	"The host agent is --host (or ENARX_HOST); its certificate --cacert (or\n"      \
	"ENARX_HOST_CACERT); the bearer token ENARX_HOST_TOKEN or --token-file, or a\n" \
	"client certificate --cert/--key.\n"

struct keep_opts {
	const char *host, *cacert, *token_file, *cert, *key;
	const char *backend, *engine, *cfgfile;
	long long memory;
	struct keep_limits lim; /* as enarx run's options */
	int json, follow, err, deploy, insecure;
	struct opt_list env;
};

#define CONN_OPTS                                                                              \
	OPT_STRING_ENV(0, "host", struct keep_opts, host, "URL", "ENARX_HOST",                 \
	               "host agent, e.g. https://127.0.0.1:8443"),                             \
	    OPT_STRING_ENV(0, "cacert", struct keep_opts, cacert, "FILE", "ENARX_HOST_CACERT", \
	                   "the agent's certificate or CA (its DIR/host-cert.pem)"),           \
	    OPT_STRING_ENV(0, "token-file", struct keep_opts, token_file, "FILE",              \
	                   "ENARX_HOST_TOKEN_FILE",                                            \
	                   "bearer token file (ENARX_HOST_TOKEN takes precedence)"),           \
	    OPT_STRING_ENV(0, "cert", struct keep_opts, cert, "FILE", "ENARX_HOST_CERT",       \
	                   "client certificate (mTLS)"),                                       \
	    OPT_STRING_ENV(0, "key", struct keep_opts, key, "FILE", "ENARX_HOST_KEY",          \
	                   "its private key")

static const struct opt list_table[] = {
    CONN_OPTS,
    OPT_FLAG(0, "json", struct keep_opts, json, "print JSON for scripts"),
    OPT_END(),
};
static const struct opt id_table[] = {CONN_OPTS, OPT_END()};
static const struct opt logs_table[] = {
    CONN_OPTS,
    OPT_FLAG('f', "follow", struct keep_opts, follow, "keep printing until the Keep ends"),
    OPT_FLAG(0, "stderr", struct keep_opts, err, "the Keep's stderr instead of stdout"),
    OPT_END(),
};

#define WORKLOAD_OPTS                                                                           \
	OPT_STRING_ENV(0, "backend", struct keep_opts, backend, "NAME", "ENARX_BACKEND",        \
	               "nil, kvm, ...; default: the host's best"),                              \
	    OPT_INT(0, "keep-memory", struct keep_opts, memory, "BYTES", 32LL << 20, 1LL << 40, \
	            "Keep memory (a multiple of 2 MiB; default: from --memory)"),               \
	    OPT_CUSTOM(0, "memory", struct keep_opts, lim.memory, "SIZE", cli_opt_limit_memory, \
	               "most linear memory of the workload, as run"),                           \
	    OPT_CUSTOM(0, "fuel", struct keep_opts, lim.fuel, "N", cli_opt_limit_fuel,          \
	               "engine fuel (about one per instruction); past it, a trap"),             \
	    OPT_CUSTOM(0, "timeout", struct keep_opts, lim.wall_ms, "DURATION",                 \
	               cli_opt_limit_timeout, "wall time; then the host stops it (exit 124)"),  \
	    OPT_CUSTOM(0, "max-fds", struct keep_opts, lim.fds, "N", cli_opt_limit_fds,         \
	               "descriptors the workload may hold at once"),                            \
	    OPT_CUSTOM(0, "max-output", struct keep_opts, lim.output, "SIZE",                   \
	               cli_opt_limit_output, "stdout+stderr bytes; past it, a trap"),           \
	    OPT_STRING_ENV(0, "engine", struct keep_opts, engine, "NAME", "ENARX_WASM_ENGINE",  \
	                   "interp or jit"),                                                    \
	    OPT_STRING_ENV(0, "wasmcfgfile", struct keep_opts, cfgfile, "FILE",                 \
	                   "ENARX_WASMCFGFILE", "Enarx.toml (no dir entries)"),                 \
	    OPT_LIST(0, "env", struct keep_opts, env, "NAME=VALUE",                             \
	             "environment of the workload (without --wasmcfgfile)")

static const struct opt run_table[] = {CONN_OPTS, WORKLOAD_OPTS, OPT_END()};
static const struct opt create_table[] = {
    CONN_OPTS,
    WORKLOAD_OPTS,
    OPT_FLAG(0, "deploy", struct keep_opts, deploy,
             "no workload: the client feeds the Keep over /proto"),
    OPT_FLAG(0, "json", struct keep_opts, json, "print the Keep as JSON"),
    OPT_END(),
};

/* ---- shared ---- */

static int status_exit(long status)
{
	switch (status) {
	case 401:
	case 403: return KEEP_EXIT_AUTH;
	case 404: return KEEP_EXIT_NOTFOUND;
	case 409: return KEEP_EXIT_CONFLICT;
	case 429: return KEEP_EXIT_LIMIT;
	case 400: return CLI_EXIT_USAGE;
	default: return CLI_EXIT_FAIL;
	}
}

static int connect_to(const struct keep_opts *o, struct client **c)
{
	struct client_conf cc = {.base = o->host,
	                         .cacert = o->cacert,
	                         .token_file = o->token_file,
	                         .cert = o->cert,
	                         .key = o->key};
	char err[512];

	if (client_new(&cc, c, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return CLI_EXIT_USAGE;
	}
	return CLI_CONTINUE;
}

/* Sends a request; on anything but want prints the error and returns the
 * exit status, else CLI_CONTINUE with r filled. */
static int call(struct client *c, const char *method, const char *path, const json_t *body,
                long want, struct client_resp *r)
{
	char err[640];

	if (client_json(c, method, path, body, r) != 0) {
		cli_error("%s", r->detail);
		return CLI_EXIT_FAIL;
	}
	if (r->status == want)
		return CLI_CONTINUE;
	cli_error("%s %s: %s", method, path, client_resp_error(r, err, sizeof(err)));
	return status_exit(r->status);
}

static const char *jstr(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : dflt;
}

static void print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

/* Parses a leaf's options and connects. Returns CLI_CONTINUE or an exit. */
static int setup(const struct cli_cmd *cmd, int argc, char **argv, struct keep_opts *o,
                 struct opt_result *r, struct client **c)
{
	int rc = cli_parse(cmd, argc, argv, o, r);

	return rc != CLI_CONTINUE ? rc : connect_to(o, c);
}

/* ---- ls, inspect, kill, rm, logs ---- */

static int keep_ls(int argc, char **argv);
static int keep_inspect(int argc, char **argv);
static int keep_kill(int argc, char **argv);
static int keep_rm(int argc, char **argv);
static int keep_logs(int argc, char **argv);
static int keep_run(int argc, char **argv);
static int keep_create(int argc, char **argv);

static const struct cli_cmd cmd_ls = {
    .spec = {.path = "keep ls",
             .summary = "List the Keeps of a host agent",
             .opts = list_table,
             .about = "One line per Keep: id, backend, state, exit code, created. With\n"
                      "--json: an array of objects with id, state, exit_code and the rest\n"
                      "of GET /v1/keeps.\n" CONN_ABOUT,
             .footer = EXIT_FOOTER},
    .fn = keep_ls,
};
static const struct cli_cmd cmd_inspect = {
    .spec = {.path = "keep inspect",
             .summary = "Show one Keep as JSON",
             .opts = id_table,
             .args = "ID",
             .min_args = 1,
             .max_args = 1,
             .about = "Prints GET /v1/keeps/ID.\n" CONN_ABOUT,
             .footer = EXIT_FOOTER},
    .fn = keep_inspect,
};
static const struct cli_cmd cmd_kill = {
    .spec = {.path = "keep kill",
             .summary = "Stop a running Keep",
             .opts = id_table,
             .args = "ID",
             .min_args = 1,
             .max_args = 1,
             .about = "Kills the Keep and waits until it has ended.\n" CONN_ABOUT,
             .footer = EXIT_FOOTER},
    .fn = keep_kill,
};
static const struct cli_cmd cmd_rm = {
    .spec = {.path = "keep rm",
             .summary = "Remove a finished Keep's record",
             .opts = id_table,
             .args = "ID",
             .min_args = 1,
             .max_args = 1,
             .about = "Removes the record (and kept output) of a Keep that has ended.\n" CONN_ABOUT,
             .footer = EXIT_FOOTER},
    .fn = keep_rm,
};
static const struct cli_cmd cmd_logs = {
    .spec = {.path = "keep logs",
             .summary = "Print a Keep's stdout or stderr",
             .opts = logs_table,
             .args = "ID",
             .min_args = 1,
             .max_args = 1,
             .about = "Prints what the Keep wrote so far (from its start); with -f, keeps\n"
                      "printing until the Keep ends.\n" CONN_ABOUT,
             .footer = EXIT_FOOTER},
    .fn = keep_logs,
};
static const struct cli_cmd cmd_run = {
    .spec = {.path = "keep run",
             .summary = "Run a module in a Keep on a host agent, attached",
             .opts = run_table,
             .args = "MODULE.wasm",
             .min_args = 1,
             .max_args = 1,
             .rest = "ARGS...",
             .about = "Creates a Keep running MODULE (binary or text) on the host agent,\n"
                      "sends our stdin to it and prints its stdout and stderr as they come,\n"
                      "as `enarx run` does locally.\n" CONN_ABOUT,
             .footer = "Exit status: the workload's exit code; 134 after a trap; 137 if it\n"
                       "was killed; 1 if it could not run; 2 for usage errors; 3-6 as for\n"
                       "the other keep commands.\n"},
    .fn = keep_run,
};
static const struct cli_cmd cmd_create = {
    .spec = {.path = "keep create",
             .summary = "Create a Keep on a host agent and print its id",
             .opts = create_table,
             .args = "[MODULE.wasm]",
             .min_args = 0,
             .max_args = 1,
             .rest = "ARGS...",
             .about = "Like keep run, but detached: prints the new Keep's id. With --deploy\n"
                      "there is no module: the Keep waits for frames on /proto.\n" CONN_ABOUT,
             .footer = EXIT_FOOTER},
    .fn = keep_create,
};

const struct cli_cmd cli_cmd_keep = {
    .spec = {.path = "keep", .summary = "Manage Keeps on a host agent (enarx host serve)"},
    .subs = (const struct cli_cmd *const[]){&cmd_run, &cmd_create, &cmd_ls, &cmd_inspect, &cmd_logs,
                                            &cmd_kill, &cmd_rm, NULL},
};

static void print_row(const json_t *k)
{
	const json_t *ec = json_object_get(k, "exit_code");
	char code[24] = "-";

	if (json_is_integer(ec))
		snprintf(code, sizeof(code), "%lld", (long long)json_integer_value(ec));
	printf("%-24s  %-7s  %-9s  %4s  %s\n", jstr(k, "id", "?"), jstr(k, "backend", "?"),
	       jstr(k, "state", "?"), code, jstr(k, "created", ""));
}

static int keep_ls(int argc, char **argv)
{
	struct keep_opts o = {0};
	struct opt_result r;
	struct client_resp resp = {0};
	struct client *c = NULL;
	size_t i;
	int rc = setup(&cmd_ls, argc, argv, &o, &r, &c);

	if (rc == CLI_CONTINUE)
		rc = call(c, "GET", "/v1/keeps", NULL, 200, &resp);
	if (rc == CLI_CONTINUE && o.json) {
		print_json(resp.body);
		rc = CLI_EXIT_OK;
	} else if (rc == CLI_CONTINUE) {
		printf("%-24s  %-7s  %-9s  %4s  %s\n", "ID", "BACKEND", "STATE", "EXIT", "CREATED");
		for (i = 0; i < json_array_size(resp.body); i++)
			print_row(json_array_get(resp.body, i));
		rc = CLI_EXIT_OK;
	}
	client_resp_clear(&resp);
	client_free(c);
	return rc;
}

/* The verbs on one Keep: method, path suffix, wanted status. */
static int on_one(const struct cli_cmd *cmd, int argc, char **argv, const char *method,
                  const char *suffix, long want, struct client_resp *resp)
{
	struct keep_opts o = {0};
	struct opt_result r;
	struct client *c = NULL;
	char path[256];
	int rc = setup(cmd, argc, argv, &o, &r, &c);

	if (rc == CLI_CONTINUE) {
		snprintf(path, sizeof(path), "/v1/keeps/%s%s", r.args[0], suffix);
		rc = call(c, method, path, NULL, want, resp);
	}
	client_free(c);
	return rc;
}

static int keep_inspect(int argc, char **argv)
{
	struct client_resp resp = {0};
	int rc = on_one(&cmd_inspect, argc, argv, "GET", "", 200, &resp);

	if (rc == CLI_CONTINUE) {
		print_json(resp.body);
		rc = CLI_EXIT_OK;
	}
	client_resp_clear(&resp);
	return rc;
}

static int keep_kill(int argc, char **argv)
{
	struct client_resp resp = {0};
	int rc = on_one(&cmd_kill, argc, argv, "POST", "/kill", 202, &resp);

	client_resp_clear(&resp);
	if (rc == CLI_CONTINUE)
		rc = on_one(&cmd_kill, argc, argv, "GET", "?wait=true", 200, &resp);
	if (rc == CLI_CONTINUE) {
		printf("%s %s\n", jstr(resp.body, "id", "?"), jstr(resp.body, "state", "?"));
		rc = CLI_EXIT_OK;
	}
	client_resp_clear(&resp);
	return rc;
}

static int keep_rm(int argc, char **argv)
{
	struct client_resp resp = {0};
	int rc = on_one(&cmd_rm, argc, argv, "DELETE", "", 204, &resp);

	client_resp_clear(&resp);
	return rc == CLI_CONTINUE ? CLI_EXIT_OK : rc;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int to_fd(const void *data, size_t len, void *arg)
{
	return write_all(*(const int *)arg, data, len);
}

static int stream_to(struct client *c, const char *path, int fd)
{
	struct client_resp resp = {0};
	char err[640];
	int rc = CLI_EXIT_OK;

	if (client_stream(c, path, to_fd, &fd, &resp) != 0) {
		cli_error("%s", resp.detail);
		rc = CLI_EXIT_FAIL;
	} else if (resp.status != 200) {
		cli_error("GET %s: %s", path, client_resp_error(&resp, err, sizeof(err)));
		rc = status_exit(resp.status);
	}
	client_resp_clear(&resp);
	return rc;
}

static int keep_logs(int argc, char **argv)
{
	struct keep_opts o = {0};
	struct opt_result r;
	struct client *c = NULL;
	char path[256];
	int rc = setup(&cmd_logs, argc, argv, &o, &r, &c);

	if (rc == CLI_CONTINUE) {
		snprintf(path, sizeof(path), "/v1/keeps/%s/%s%s", r.args[0],
		         o.err ? "stderr" : "stdout", o.follow ? "?follow=true" : "");
		rc = stream_to(c, path, 1);
	}
	client_free(c);
	return rc;
}

/* ---- create and run ---- */

/* The module as binary (text is converted here, as enarx run does). */
static int load_module(const char *path, struct buf *wasm)
{
	char err[512];
	ewat_error we;
	uint8_t *bin;
	size_t len;

	if (file_read_all(path, 100u << 20, wasm, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return -1;
	}
	if (ewat_is_binary(wasm->data, wasm->len))
		return 0;
	if (ewat_parse((const char *)wasm->data, wasm->len, &bin, &len, &we) != 0) {
		cli_error("%s:%u:%u: %s", path, we.line, we.col, we.message);
		return -1;
	}
	buf_free(wasm, 0);
	wasm->data = bin;
	wasm->len = wasm->cap = len;
	return 0;
}

static json_t *env_object(const struct opt_list *l)
{
	json_t *env = json_object();

	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		char name[256];

		if (!eq || eq == l->v[i] || (size_t)(eq - l->v[i]) >= sizeof(name)) {
			json_decref(env);
			return NULL;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - l->v[i]), l->v[i]);
		json_object_set_new(env, name, json_string(eq + 1));
	}
	return env;
}

/* "limits": the options that are set. */
static json_t *limits_object(const struct keep_limits *l)
{
	json_t *o = json_object();

	if (l->memory)
		json_object_set_new(o, "memory", json_integer((json_int_t)l->memory));
	if (l->fuel)
		json_object_set_new(o, "fuel", json_integer((json_int_t)l->fuel));
	if (l->wall_ms)
		json_object_set_new(o, "wall_ms", json_integer((json_int_t)l->wall_ms));
	if (l->fds)
		json_object_set_new(o, "fds", json_integer((json_int_t)l->fds));
	if (l->output)
		json_object_set_new(o, "output", json_integer((json_int_t)l->output));
	return o;
}

/* The POST /v1/keeps body; NULL after printing why not. */
static json_t *create_body(const struct keep_opts *o, const char *module, char **args, int nargs)
{
	json_t *b = json_pack("{s:s}", "mode", o->deploy ? "deploy" : "run"), *a, *env;
	struct buf wasm = {0}, conf = {0};
	char err[512], *b64;

	if (o->backend && *o->backend)
		json_object_set_new(b, "backend", json_string(o->backend));
	if (o->memory)
		json_object_set_new(b, "memory", json_integer(o->memory));
	if (keep_limits_any(&o->lim))
		json_object_set_new(b, "limits", limits_object(&o->lim));
	if (o->deploy)
		return b;
	if (load_module(module, &wasm) != 0 || !(b64 = xmalloc((wasm.len + 2) / 3 * 4 + 1))) {
		json_decref(b);
		buf_free(&wasm, 0);
		return NULL;
	}
	base64_encode(wasm.data, wasm.len, b64);
	json_object_set_new(b, "wasm", json_string(b64));
	xfree(b64);
	buf_free(&wasm, 0);
	if (o->engine && *o->engine)
		json_object_set_new(b, "engine", json_string(o->engine));
	a = json_array();
	for (int i = 0; i < nargs; i++)
		json_array_append_new(a, json_string(args[i]));
	json_object_set_new(b, "args", a);
	if (o->cfgfile && *o->cfgfile) {
		if (file_read_all(o->cfgfile, 1u << 20, &conf, err, sizeof(err)) != 0) {
			cli_error("%s", err);
			json_decref(b);
			return NULL;
		}
		json_object_set_new(
		    b, "config", json_stringn(conf.data ? (const char *)conf.data : "", conf.len));
		buf_free(&conf, 0);
	}
	if (o->env.n) {
		if (!(env = env_object(&o->env))) {
			cli_error("--env takes NAME=VALUE");
			json_decref(b);
			return NULL;
		}
		json_object_set_new(b, "env", env);
	}
	return b;
}

static int create(const struct cli_cmd *cmd, int argc, char **argv, struct keep_opts *o,
                  struct client **c, struct client_resp *resp)
{
	struct opt_result r;
	json_t *body;
	int rc = setup(cmd, argc, argv, o, &r, c);

	if (rc != CLI_CONTINUE)
		return rc;
	if (!o->deploy && r.nargs != 1)
		return cli_usage_error(cmd->spec.path, "give a MODULE.wasm (or --deploy)");
	if (o->deploy && (r.nargs || r.nrest))
		return cli_usage_error(cmd->spec.path, "--deploy takes no module or arguments");
	if (!(body = create_body(o, o->deploy ? NULL : r.args[0], r.rest, r.nrest)))
		return CLI_EXIT_FAIL;
	rc = call(*c, "POST", "/v1/keeps", body, 201, resp);
	json_decref(body);
	return rc;
}

static int keep_create(int argc, char **argv)
{
	struct keep_opts o = {0};
	struct client_resp resp = {0};
	struct client *c = NULL;
	int rc = create(&cmd_create, argc, argv, &o, &c, &resp);

	if (rc == CLI_CONTINUE) {
		if (o.json)
			print_json(resp.body);
		else
			printf("%s\n", jstr(resp.body, "id", "?"));
		rc = CLI_EXIT_OK;
	}
	client_resp_clear(&resp);
	client_free(c);
	return rc;
}

/* Threads of keep run: stderr follower and stdin feeder, each with its
 * own client (a client is one connection, not shared). The feeder may be
 * blocked reading our stdin when the Keep ends, so it cannot always be
 * joined; but the process must not exit (OpenSSL's and libcurl's exit-time
 * cleanup) while the feeder is inside a request or is ending (its thread
 * cleanup). So it marks its requests (busy); once the main thread sets
 * closing it starts none and never ends; a feeder that finished (done) is
 * joined. The record is static: a feeder still blocked in read() touches it
 * after keep_run has returned. */
struct attach {
	struct keep_opts *o;
	char id[64];
	int rc;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy, closing, done;
};

/* Feeder: marks a request; if the run is over, waits for the process to
 * end instead (it never returns then). */
static void feed_begin(struct attach *a)
{
	pthread_mutex_lock(&a->mu);
	while (a->closing)
		pthread_cond_wait(&a->cv, &a->mu); /* never signalled again */
	a->busy = true;
	pthread_mutex_unlock(&a->mu);
}

static void feed_end(struct attach *a, bool done)
{
	pthread_mutex_lock(&a->mu);
	a->busy = false;
	a->done = done;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* Main thread, before it returns: waits for a request of the feeder to
 * end and keeps it from starting another; true if the feeder finished
 * (then it may be joined). */
static bool feed_close(struct attach *a)
{
	bool done;

	pthread_mutex_lock(&a->mu);
	a->closing = true;
	while (a->busy)
		pthread_cond_wait(&a->cv, &a->mu);
	done = a->done;
	pthread_mutex_unlock(&a->mu);
	return done;
}

static void *stderr_thread(void *arg)
{
	struct attach *a = arg;
	struct client *c = NULL;
	char path[128];

	snprintf(path, sizeof(path), "/v1/keeps/%s/stderr?follow=true", a->id);
	a->rc = connect_to(a->o, &c);
	if (a->rc == CLI_CONTINUE)
		a->rc = stream_to(c, path, 2);
	client_free(c);
	return NULL;
}

static void *stdin_thread(void *arg)
{
	struct attach *a = arg;
	struct client_resp resp = {0};
	struct client *c = NULL;
	char path[128], buf[65536];
	ssize_t n = -1;

	feed_begin(a);
	if (connect_to(a->o, &c) != CLI_CONTINUE)
		goto out;
	feed_end(a, false);
	snprintf(path, sizeof(path), "/v1/keeps/%s/stdin", a->id);
	while ((n = read(0, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		feed_begin(a);
		if (client_post_bytes(c, path, NULL, buf, (size_t)n, &resp) != 0 ||
		    resp.status != 204)
			goto out; /* the Keep has ended or closed its stdin */
		client_resp_clear(&resp);
		feed_end(a, false);
	}
	feed_begin(a);
	if (n == 0)
		client_json(c, "DELETE", path, NULL, &resp);
out:
	client_resp_clear(&resp);
	client_free(c);
	feed_end(a, true);
	return NULL;
}

/* The workload's end, as enarx run reports it. */
static int run_outcome(const json_t *k)
{
	const char *state = jstr(k, "state", "?");
	json_int_t ec = json_integer_value(json_object_get(k, "exit_code"));

	if (strcmp(state, "trapped") == 0) {
		fprintf(stderr, "Error: wasm trap: %s\n", jstr(k, "trap", "?"));
		return KEEP_EXIT_TRAP;
	}
	if (strcmp(state, "exited") == 0) {
		if (ec > 255) {
			cli_error("workload exit code %lld does not fit in 8 bits", (long long)ec);
			return CLI_EXIT_FAIL;
		}
		return (int)ec;
	}
	if (strcmp(state, "timed-out") == 0) {
		json_int_t ms =
		    json_integer_value(json_object_get(json_object_get(k, "limits"), "wall_ms"));

		cli_error("the workload ran past its wall-time limit of %lld.%03lld s (--timeout) "
		          "and was stopped",
		          (long long)(ms / 1000), (long long)(ms % 1000));
		return KEEP_EXIT_TIMEOUT;
	}
	if (strcmp(state, "failed") == 0)
		cli_error("%s", jstr(k, "error", "the Keep could not run the workload"));
	else
		cli_error("the Keep ended without a result (%s)", state);
	return ec > 0 && ec < 256 ? (int)ec : CLI_EXIT_FAIL;
}

static int keep_run(int argc, char **argv)
{
	struct keep_opts o = {0};
	struct client_resp resp = {0};
	struct client *c = NULL;
	static struct attach a = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t terr, tin;
	char path[128];
	int rc = create(&cmd_run, argc, argv, &o, &c, &resp), have_err = 0, have_in = 0;

	if (rc != CLI_CONTINUE)
		goto out;
	a.o = &o;
	snprintf(a.id, sizeof(a.id), "%s", jstr(resp.body, "id", ""));
	client_resp_clear(&resp);
	have_err = pthread_create(&terr, NULL, stderr_thread, &a) == 0;
	have_in = pthread_create(&tin, NULL, stdin_thread, &a) == 0;
	snprintf(path, sizeof(path), "/v1/keeps/%s/stdout?follow=true", a.id);
	rc = stream_to(c, path, 1);
	if (have_err)
		pthread_join(terr, NULL);
	if (rc == CLI_EXIT_OK && have_err)
		rc = a.rc; /* the workload's stderr did not all arrive (said why) */
	if (rc != CLI_EXIT_OK)
		goto out;
	snprintf(path, sizeof(path), "/v1/keeps/%s?wait=true", a.id);
	rc = call(c, "GET", path, NULL, 200, &resp);
	if (rc == CLI_CONTINUE)
		rc = run_outcome(resp.body);
out:
	if (have_in && feed_close(&a))
		pthread_join(tin, NULL);
	client_resp_clear(&resp);
	client_free(c);
	return rc;
}
