/* SPDX-License-Identifier: Apache-2.0 */
/* enarx run: runs a local .wasm (or .wat text, converted to binary here on
 * the host) in a Keep through one keep session (src/keep/session.h), which
 * feeds the workload over the keep protocol (docs/keep-protocol.md) while the
 * backend runs the Keep; then reports the workload's outcome: its exit code
 * becomes ours; a trap is printed with its backtrace (exit 134). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <enarx/wat.h>

#include "backend/backend.h"
#include "cli/cli.h"
#include "cli/limit_opts.h"
#include "cli/run_tls.h"
#include "config/config.h"
#include "keep/abi.h"
#include "keep/relay.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/file.h"
#include "lib/err.h"
#include "lib/log.h"
#include "package/spkg.h"

#define WASM_MAX (100u << 20) /* as Enarx */

static int read_file(const char *path, size_t max, struct buf *out)
{
	char err[PATH_MAX + 64];

	if (file_read_all(path, max, out, err, sizeof(err)) == 0)
		return 0;
	cli_error("%s", err);
	return -1;
}

/* Text has no control characters besides tab, newline and return. */
static int looks_like_text(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		uint8_t c = b->data[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* A module that does not start with the binary magic is WebAssembly text:
 * it is converted on the host, so the Keep only ever receives binary. */
static int text_to_binary(const char *path, struct buf *wasm)
{
	ewat_error err;
	uint8_t *bin;
	size_t len;
	int rc;

	/* a Steward-sealed package goes to the Keep as it is (package/spkg.h) */
	if (ewat_is_binary(wasm->data, wasm->len) || spkg_is(wasm->data, wasm->len))
		return 0;
	if (!looks_like_text(wasm)) {
		cli_error("%s: invalid module: no \\0asm magic, and not WebAssembly text", path);
		return -1;
	}
	rc = ewat_parse((const char *)wasm->data, wasm->len, &bin, &len, &err);
	if (rc == ENARX_E_WAT_SYNTAX) {
		cli_error("%s:%u:%u: %s", path, err.line, err.col, err.message);
		return -1;
	}
	if (rc) {
		cli_error("cannot convert %s: %s", path, enarx_strerror(rc));
		return -1;
	}
	buf_free(wasm, 0);
	wasm->data = bin; /* ewat_free() and buf_free() both release with xfree */
	wasm->len = wasm->cap = len;
	return 0;
}

struct run_opts {
	const char *backend, *cfgfile, *engine, *tls_cert, *relay_cacert;
	int relay_http;         /* --relay-insecure-loopback-http */
	struct keep_limits lim; /* options over Enarx.toml's [limits] */
};

/* --engine NAME: how the Keep runs the module (docs/jit.md). */
static int parse_engine(const char *name, uint32_t *engine)
{
	if (strcmp(name, "interp") == 0)
		*engine = KP_ENGINE_INTERP;
	else if (strcmp(name, "jit") == 0)
		*engine = KP_ENGINE_JIT;
	else
		return cli_usage_error("run", "unknown engine '%s' (jit or interp)", name);
	return CLI_CONTINUE;
}

static const struct opt run_table[] = {
    OPT_STRING_ENV(0, "backend", struct run_opts, backend, "NAME", "ENARX_BACKEND",
                   "nil (no TEE), kvm, ...; default: the first usable of\n"
                   "sgx, sev, tdx, kvm, nil"),
    OPT_STRING_ENV(0, "wasmcfgfile", struct run_opts, cfgfile, "FILE", "ENARX_WASMCFGFILE",
                   "Enarx.toml (docs/enarx-toml.md)"),
    OPT_STRING_ENV(0, "engine", struct run_opts, engine, "NAME", "ENARX_WASM_ENGINE",
                   "interp (default) or jit: functions compiled to machine\n"
                   "code, the interpreter where that cannot be done (docs/jit.md)"),
    OPT_CUSTOM(0, "memory", struct run_opts, lim.memory, "SIZE", cli_opt_limit_memory,
               "linear memories of the workload together, 64K..4G\n"
               "(e.g. 256M); the Keep as a whole gets 256M more\n"
               "(nil: RLIMIT_DATA, kvm: guest RAM). Default 4G"),
    OPT_CUSTOM(0, "fuel", struct run_opts, lim.fuel, "N", cli_opt_limit_fuel,
               "instructions (about) the workload may run; then it\n"
               "traps (exit 134). Default unlimited"),
    OPT_CUSTOM(0, "timeout", struct run_opts, lim.wall_ms, "DURATION", cli_opt_limit_timeout,
               "wall time from the start of the Keep (seconds, or\n"
               "500ms, 30s, 5m, 2h); then the Keep stops the\n"
               "workload (nil; the host kills it 1 s later if it\n"
               "has not ended) (exit 124). Default none"),
    OPT_CUSTOM(0, "cpu-time", struct run_opts, lim.cpu_ms, "DURATION", cli_opt_limit_cpu_time,
               "CPU time the Keep may use (seconds, or 500ms, 30s,\n"
               "5m); then it is stopped (nil: the executor's CPU\n"
               "timer, RLIMIT_CPU 1 s above; kvm: the vCPU thread's\n"
               "CPU time) (exit 124). Default none"),
    OPT_CUSTOM(0, "max-fds", struct run_opts, lim.fds, "N", cli_opt_limit_fds,
               "descriptors the workload may hold at once, stdio\n"
               "and preopens included, 3..4096 (nil: RLIMIT_NOFILE\n"
               "too). Default 4096"),
    OPT_CUSTOM(0, "max-output", struct run_opts, lim.output, "SIZE", cli_opt_limit_output,
               "bytes the workload may write to stdout and stderr\n"
               "together; the write past it traps (exit 134).\n"
               "Default unlimited"),
    OPT_STRING(0, "tls-cert", struct run_opts, tls_cert, "FILE",
               "write the Keep's TLS certificate (Enarx.toml prot = \"tls\")\n"
               "to FILE as PEM; its fingerprint is printed either way"),
    OPT_STRING_ENV(0, "relay-cacert", struct run_opts, relay_cacert, "FILE", "ENARX_RELAY_CACERT",
                   "CA (PEM) the host trusts for the HTTPS requests it\n"
                   "makes for the Keep (to Steward); default: Enarx.toml's\n"
                   "steward_ca, else the system's roots"),
    OPT_FLAG(0, "relay-insecure-loopback-http", struct run_opts, relay_http,
             "also relay plain http:// requests to 127.0.0.1, ::1 and\n"
             "localhost (tests)"),
    OPT_END(),
};

int cmd_run(int argc, char **argv);

const struct cli_cmd cli_cmd_run = {
    .spec = {.path = "run",
             .summary = "Run a WebAssembly module in a Keep",
             .opts = run_table,
             .args = "MODULE.wasm",
             .min_args = 1,
             .max_args = 1,
             .rest = "ARGS...",
             .about =
                 "Runs MODULE.wasm (wasm32-wasi, WASI preview1) in a Keep. A module in the text\n"
                 "format (.wat; anything not starting with the \\0asm magic) is converted to\n"
                 "binary on the host first; a syntax error is reported as FILE:LINE:COL. argv[0]\n"
                 "is \"main.wasm\", then the `args` of Enarx.toml, then ARGS. Without\n"
                 "--wasmcfgfile the workload gets stdin, stdout and stderr (fds 0-2) and no\n"
                 "environment. The limit options override the [limits] of Enarx.toml\n"
                 "(docs/security.md).\n",
             .footer =
                 "Exit status: the workload's exit code; 134 after a trap (message and wasm\n"
                 "backtrace on stderr; also out of fuel, output past --max-output); 124 when\n"
                 "the Keep was stopped at its wall-time or CPU-time limit (the message names\n"
                 "it); 1 if the Keep could not run it; 2 for usage errors.\n"},
    .fn = cmd_run,
};

/* Returns CLI_CONTINUE, or the exit code for --help or a usage error. */
static const char *tls_cert_path; /* --tls-cert */
static const char *relay_cacert;  /* --relay-cacert */
static int relay_http;            /* --relay-insecure-loopback-http */

static int parse_args(int argc, char **argv, const char **backend, const char **cfgfile,
                      const char **module, char ***args, size_t *nargs, uint32_t *engine,
                      struct keep_limits *lim)
{
	struct run_opts o = {0};
	struct opt_result r;
	int rc = cli_parse(&cli_cmd_run, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	*module = r.args[0];
	*args = r.rest;
	*nargs = (size_t)r.nrest;
	*cfgfile = o.cfgfile && *o.cfgfile ? o.cfgfile : NULL;
	*backend = o.backend && *o.backend ? o.backend : NULL;
	tls_cert_path = o.tls_cert && *o.tls_cert ? o.tls_cert : NULL;
	relay_cacert = o.relay_cacert && *o.relay_cacert ? o.relay_cacert : NULL;
	relay_http = o.relay_http;
	*engine = KP_ENGINE_INTERP;
	*lim = o.lim;
	if (o.engine && *o.engine)
		return parse_engine(o.engine, engine);
	return CLI_CONTINUE;
}

static int outcome(const struct keep_outcome *o, const struct keep_limits *lim)
{
	/* stopped by the Keep itself at a time limit: its trap names it */
	if (o->limit_hit && o->result == KEEP_TRAPPED) {
		cli_print_trap(o->trap);
		return KEEP_EXIT_TIMEOUT;
	}
	if (o->cpu_out && o->result == KEEP_NO_RESULT) {
		cli_error("the workload ran past its CPU-time limit of %llu.%03llu s (--cpu-time, "
		          "[limits] cpu_time) and was stopped",
		          (unsigned long long)(lim->cpu_ms / 1000),
		          (unsigned long long)(lim->cpu_ms % 1000));
		return KEEP_EXIT_TIMEOUT;
	}
	if (o->timed_out && o->result == KEEP_NO_RESULT) {
		cli_error("the workload ran past its wall-time limit of %llu.%03llu s (--timeout, "
		          "[limits] wall_time) and was stopped",
		          (unsigned long long)(lim->wall_ms / 1000),
		          (unsigned long long)(lim->wall_ms % 1000));
		return KEEP_EXIT_TIMEOUT;
	}
	switch (o->result) {
	case KEEP_TRAPPED: cli_print_trap(o->trap); return KEEP_EXIT_TRAP;
	case KEEP_FAILED: cli_error("%s", o->error); return CLI_EXIT_FAIL;
	case KEEP_EXITED:
		if (o->exit_code > 255) {
			cli_error("workload exit code %u does not fit in 8 bits", o->exit_code);
			return CLI_EXIT_FAIL;
		}
		return (int)o->exit_code;
	default: break;
	}
	cli_error("the Keep ended without reporting a result (status %d)", o->status);
	return o->status ? o->status : CLI_EXIT_FAIL;
}

static const struct backend *pick_backend(const char *bname)
{
	const struct backend *be = bname ? backend_find(bname) : backend_default();
	char names[128] = "";

	if (be)
		return be;
	for (size_t i = 0; backend_at(i); i++) {
		size_t l = strlen(names);

		snprintf(names + l, sizeof(names) - l, "%s%s", i ? ", " : "", backend_at(i)->name);
	}
	cli_error("unknown backend '%s' (this build has: %s)", bname, names);
	return NULL;
}

/* What the backend must know of Enarx.toml before the Keep starts: the
 * directories it may open, whether it has sockets, and its [limits] (under
 * the command-line ones, already in so->limits). A directory that
 * would hand the workload the host itself is refused here (and again by
 * the executor). A config that does not parse is left to the executor,
 * which reports it. On success *dirs (free with xfree) and *cfg (free with
 * config_free) back so's fields. */
static int launch_config(const struct buf *conf, const char *confdir, struct keep_session_opts *so,
                         struct keep_dir **dirs, struct config **cfg)
{
	struct keep_limits lim;
	char err[512];
	size_t i;

	*dirs = NULL;
	if (config_parse(conf->data ? (const char *)conf->data : "", conf->len, cfg, err,
	                 sizeof(err)) != 0) {
		*cfg = NULL;
		return 0;
	}
	if (config_resolve_paths(*cfg, confdir) != 0) {
		cli_error("Enarx.toml: out of memory");
		return ENARX_E_NOMEM;
	}
	lim = (*cfg)->limits;
	keep_limits_merge(&lim, &so->limits);
	so->limits = lim;
	*dirs = xcalloc((*cfg)->nfiles ? (*cfg)->nfiles : 1, sizeof(**dirs));
	if (!*dirs)
		return ENARX_E_NOMEM;
	for (i = 0; i < (*cfg)->nfiles; i++) {
		const struct config_file *f = &(*cfg)->files[i];

		if (f->kind == CONFIG_LISTEN || f->kind == CONFIG_CONNECT)
			so->net = 1;
		if (f->kind != CONFIG_DIR)
			continue;
		if (config_dir_check(f, err, sizeof(err)) != 0) {
			cli_error("Enarx.toml: %s", err);
			return ENARX_E_PERM;
		}
		(*dirs)[so->ndirs].path = f->path;
		(*dirs)[so->ndirs].readonly = f->readonly;
		so->ndirs++;
	}
	so->dirs = *dirs;
	return 0;
}

/* SIGINT, SIGTERM or SIGHUP while the Keep runs: stop it and clean up (its
 * cgroups) rather than die and leave that to the next `enarx`. */
static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* keep_session_wait() that stops the Keep on one of those signals, which
 * are blocked except while it polls (no signal lost between check and
 * poll). Returns as keep_session_wait(). */
static int wait_or_stop(struct keep_session *s, const sigset_t *unblocked)
{
	struct pollfd p = {.fd = keep_session_fd(s), .events = POLLIN};
	int rc, killed = 0;

	while (!(rc = keep_session_pump(s))) {
		if (stop_sig && !killed) {
			keep_session_kill(s);
			killed = 1;
		}
		if (ppoll(&p, 1, NULL, unblocked) < 0 && errno != EINTR)
			return ENARX_E_IO;
	}
	return rc < 0 ? rc : 0;
}

static void on_message(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	(void)ctx;
	if (type == KP_TLS_CERT)
		run_tls_show_cert(p, len, tls_cert_path);
}

/* Runs the workload in one Keep and returns our exit status. */
static int run_keep(const struct backend *be, struct keep_workload *w, const struct buf *conf,
                    const struct keep_limits *lim)
{
	struct keep_session_opts so = {.backend = be, .limits = *lim, .on_message = on_message};
	struct keep_relay_curl relay;
	struct keep_file *files = NULL;
	size_t nfiles = 0;
	struct keep_session *s = NULL;
	struct keep_dir *dirs = NULL;
	struct config *cfg = NULL;
	struct keep_outcome o;
	struct sigaction sa, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	sigset_t block, orig;
	int rc, ret = CLI_EXIT_FAIL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (int i = 0; i < 3; i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, &old[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &orig);
	if (conf && launch_config(conf, w->config_dir, &so, &dirs, &cfg) != 0)
		goto out;
	if (cfg && run_tls_files(cfg, &files, &nfiles) != 0)
		goto out;
	w->files = files;
	w->nfiles = nfiles;
	keep_relay_curl_init(&relay);
	relay.allow_loopback_http = relay_http;
	if (relay_cacert)
		relay.cacert = relay_cacert;
	else if (cfg && cfg->steward_ca)
		relay.cacert = cfg->steward_ca; /* Steward's HTTPS is under its CA */
	so.relay = &relay.base;
	so.exec = backend_exec_image(&so.exec_len);
	log_debug("run: backend %s, executor %zu bytes", be->name, so.exec_len);
	rc = keep_session_new(&so, &s);
	/* Fed before the start: a small workload is already waiting in the
	 * socket when the executor first reads. */
	if (!rc)
		rc = keep_session_feed(s, w);
	if (rc) {
		cli_error("cannot prepare the Keep's workload: %s", enarx_strerror(rc));
		goto out;
	}
	rc = keep_session_start(s);
	if (!rc)
		rc = wait_or_stop(s, &orig);
	if (stop_sig)
		ret = 128 + stop_sig; /* as a shell reports a signal */
	else if (rc)
		cli_error("backend %s failed: %s", be->name, enarx_strerror(rc));
	else if (keep_session_outcome(s, &o) == 0)
		ret = outcome(&o, &so.limits);
out:
	keep_session_free(s);
	run_tls_files_free(files, nfiles);
	xfree(dirs);
	config_free(cfg);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	const char *bname, *cfgfile, *module;
	const struct backend *be;
	struct keep_workload w;
	struct buf wasm = {0}, conf = {0};
	char **args = NULL;
	size_t nargs = 0;
	uint32_t engine = KP_ENGINE_INTERP;
	struct keep_limits lim;
	char *confdir = NULL;
	char why[256] = "";
	int rc, ret = CLI_EXIT_FAIL;

	rc = parse_args(argc, argv, &bname, &cfgfile, &module, &args, &nargs, &engine, &lim);
	if (rc != CLI_CONTINUE)
		return rc;
	/* the Keep takes at most KP_MAX_ARGS (keep/proto.h); say so up front */
	if (nargs > KP_MAX_ARGS)
		return cli_usage_error("run",
		                       "too many arguments for the workload: %zu (at most %u)",
		                       nargs, KP_MAX_ARGS);
	be = pick_backend(bname);
	if (!be)
		return CLI_EXIT_USAGE;
	if (!backend_usable(be, why, sizeof(why))) {
		cli_error("backend %s is not usable here: %s", be->name, why);
		return CLI_EXIT_FAIL;
	}
	if (read_file(module, WASM_MAX, &wasm) != 0 || text_to_binary(module, &wasm) != 0)
		goto out;
	if (cfgfile && read_file(cfgfile, CONFIG_MAX_SIZE, &conf) != 0)
		goto out;
	/* relative dir paths in Enarx.toml are the file's (docs/enarx-toml.md) */
	if (cfgfile && config_file_dir(cfgfile, &confdir) != 0) {
		cli_error("%s: %s", cfgfile, strerror(errno));
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.wasm = wasm.data;
	w.wasm_len = wasm.len;
	/* An empty Enarx.toml is still a config: never a NULL pointer then. */
	w.config = cfgfile ? (conf.data ? (const void *)conf.data : "") : NULL;
	w.config_len = conf.len;
	w.config_dir = confdir;
	w.args = (const char *const *)args;
	w.nargs = nargs;
	w.log_level = (uint32_t)log_get_level();
	w.engine = engine;
	ret = run_keep(be, &w, cfgfile ? &conf : NULL, &lim);
out:
	buf_free(&wasm, 0);
	buf_free(&conf, 0);
	xfree(confdir);
	return ret;
}
