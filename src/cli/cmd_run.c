/* SPDX-License-Identifier: Apache-2.0 */
/* enarx run: runs a local .wasm (or .wat text, converted to binary here on
 * the host) in a Keep. The host sends the workload over
 * the keep protocol (docs/keep-protocol.md) from a helper thread while the
 * backend runs the Keep, then reports the workload's outcome: its exit code
 * becomes ours; a trap is printed with its backtrace (exit 134). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <enarx/wat.h>

#include "backend/backend.h"
#include "cli/cli.h"
#include "config/config.h"
#include "exec/proto.h"
#include "keep/abi.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

#define WASM_MAX (100u << 20)   /* as Enarx */
#define PRESEND_MAX (64u << 10) /* sent before the Keep starts if it fits */

struct run_io {
	int fd; /* host end of the keep socket */
	struct buf wasm, conf;
	int have_conf;
	char **args;
	size_t nargs;
	/* results */
	int send_rc;
	int sent; /* the workload was already written by the main thread */
	int got_exit, got_trap, got_error;
	uint32_t exit_code;
	char *error;
	struct kp_trap trap;
	char *tee_note;
	uint32_t engine; /* enum kp_engine, sent in HELLO */
};

static int read_file(const char *path, size_t max, struct buf *out)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		cli_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		cli_error("%s is larger than %zu bytes", path, max);
		close(fd);
		return -1;
	}
	for (;;) {
		if (buf_reserve(out, 65536)) {
			rc = -1;
			break;
		}
		n = read(fd, out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		out->len += (size_t)n;
		if (out->len > max) {
			cli_error("%s is larger than %zu bytes", path, max);
			rc = -1;
			break;
		}
	}
	if (rc && errno)
		cli_error("cannot read %s: %s", path, strerror(errno));
	close(fd);
	return rc;
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

	if (ewat_is_binary(wasm->data, wasm->len))
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

static int send_workload(struct run_io *io)
{
	struct buf b = {0};
	int rc = kp_enc_hello(&b, (uint32_t)log_get_level(), io->engine);

	if (!rc)
		rc = kp_write(io->fd, KP_HELLO, b.data, b.len);
	if (!rc)
		rc = kp_write(io->fd, KP_WASM, io->wasm.data, io->wasm.len);
	if (!rc && io->have_conf)
		rc = kp_write(io->fd, KP_CONFIG, io->conf.data, io->conf.len);
	if (!rc && io->nargs) {
		b.len = 0;
		rc = kp_enc_args(&b, (const char *const *)io->args, io->nargs);
		if (!rc)
			rc = kp_write(io->fd, KP_ARGS, b.data, b.len);
	}
	if (!rc)
		rc = kp_write(io->fd, KP_RUN, NULL, 0);
	buf_free(&b, 0);
	return rc;
}

/* Handles one message from the Keep. */
static void on_message(struct run_io *io, uint32_t type, const uint8_t *p, size_t len)
{
	uint32_t kind;
	int rc = 0;

	switch (type) {
	case KP_TEE:
		xfree(io->tee_note);
		io->tee_note = NULL;
		rc = kp_dec_tee(p, len, &kind, &io->tee_note);
		if (!rc)
			log_info("keep: %s", io->tee_note);
		break;
	case KP_EXIT:
		rc = kp_dec_u32(p, len, &io->exit_code);
		io->got_exit = !rc;
		break;
	case KP_TRAP:
		kp_trap_clear(&io->trap);
		rc = kp_dec_trap(p, len, &io->trap);
		io->got_trap = !rc;
		break;
	case KP_ERROR:
		xfree(io->error);
		io->error = NULL;
		rc = kp_dec_string(p, len, &io->error);
		io->got_error = !rc;
		break;
	default: log_warn("keep: ignoring unknown message type %u", type); return;
	}
	if (rc)
		log_warn("keep: malformed %s message: %s", kp_type_name(type), enarx_strerror(rc));
}

static void *io_thread(void *arg)
{
	struct run_io *io = arg;
	uint32_t type;
	uint8_t *p;
	size_t len;

	if (!io->sent)
		io->send_rc = send_workload(io);
	for (;;) {
		if (kp_read(io->fd, &type, &p, &len, 4u << 20))
			break;
		on_message(io, type, p, len);
		xfree(p);
	}
	return NULL;
}

static void print_trap(const struct kp_trap *t)
{
	fprintf(stderr, "Error: wasm trap: %s\n", t->message);
	if (t->nframes)
		fputs("wasm backtrace:\n", stderr);
	for (uint32_t i = 0; i < t->nframes; i++) {
		const struct kp_frame *f = &t->frames[i];

		fprintf(stderr, "  %3u: 0x%06x - func[%u]%s%s\n", i, f->code_offset, f->func_index,
		        f->name[0] ? " " : "", f->name);
	}
}

/* Send buffer size of a socket (0 if unknown). */
static size_t sndbuf_room(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &l) != 0 || v < 0)
		return 0;
	return (size_t)v;
}

struct run_opts {
	const char *backend, *cfgfile, *engine;
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
                 "environment.\n",
             .footer =
                 "Exit status: the workload's exit code; 134 after a trap (message and wasm\n"
                 "backtrace on stderr); 1 if the Keep could not run it; 2 for usage errors.\n"},
    .fn = cmd_run,
};

/* Returns CLI_CONTINUE, or the exit code for --help or a usage error. */
static int parse_args(int argc, char **argv, const char **backend, const char **cfgfile,
                      const char **module, char ***args, size_t *nargs, uint32_t *engine)
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
	*engine = KP_ENGINE_INTERP;
	if (o.engine && *o.engine)
		return parse_engine(o.engine, engine);
	return CLI_CONTINUE;
}

static int outcome(struct run_io *io, int keep_status)
{
	if (io->got_trap) {
		print_trap(&io->trap);
		return KEEP_EXIT_TRAP;
	}
	if (io->got_error) {
		cli_error("%s", io->error);
		return CLI_EXIT_FAIL;
	}
	if (io->got_exit) {
		if (io->exit_code > 255) {
			cli_error("workload exit code %u does not fit in 8 bits", io->exit_code);
			return CLI_EXIT_FAIL;
		}
		return (int)io->exit_code;
	}
	cli_error("the Keep ended without reporting a result (status %d)", keep_status);
	return keep_status ? keep_status : CLI_EXIT_FAIL;
}

int cmd_run(int argc, char **argv)
{
	const char *bname, *cfgfile, *module;
	const struct backend *be;
	struct keep_launch kl;
	struct run_io io;
	pthread_t th;
	char why[256] = "";
	int sv[2], status = 0, rc, ret = CLI_EXIT_FAIL;

	memset(&io, 0, sizeof(io));
	rc = parse_args(argc, argv, &bname, &cfgfile, &module, &io.args, &io.nargs, &io.engine);
	if (rc != CLI_CONTINUE)
		return rc;
	be = bname ? backend_find(bname) : backend_default();
	if (!be) {
		char names[128] = "";

		for (size_t i = 0; backend_at(i); i++) {
			size_t l = strlen(names);

			snprintf(names + l, sizeof(names) - l, "%s%s", i ? ", " : "",
			         backend_at(i)->name);
		}
		cli_error("unknown backend '%s' (this build has: %s)", bname, names);
		return CLI_EXIT_USAGE;
	}
	if (!backend_usable(be, why, sizeof(why))) {
		cli_error("backend %s is not usable here: %s", be->name, why);
		return CLI_EXIT_FAIL;
	}
	if (read_file(module, WASM_MAX, &io.wasm) != 0 || text_to_binary(module, &io.wasm) != 0)
		goto out;
	if (cfgfile) {
		if (read_file(cfgfile, CONFIG_MAX_SIZE, &io.conf) != 0)
			goto out;
		io.have_conf = 1;
	}
	memset(&kl, 0, sizeof(kl));
	kl.exec = backend_exec_image(&kl.exec_len);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		cli_error("socketpair: %s", strerror(errno));
		goto out;
	}
	io.fd = sv[0];
	kl.keep_fd = sv[1];
	/* A small workload fits in the socket buffer: send it now, so the Keep
	 * finds it waiting without a thread switch on the start-up path. */
	if (io.wasm.len + io.conf.len <= PRESEND_MAX && sndbuf_room(sv[0]) > 2 * PRESEND_MAX) {
		io.send_rc = send_workload(&io);
		io.sent = 1;
	}
	if (pthread_create(&th, NULL, io_thread, &io) != 0) {
		cli_error("cannot start the keep I/O thread");
		close(sv[0]);
		close(sv[1]);
		goto out;
	}
	log_debug("run: backend %s, executor %zu bytes", be->name, kl.exec_len);
	rc = be->run(&kl, &status);
	close(sv[1]); /* the Keep is gone: the thread sees the end of stream */
	if (rc)
		shutdown(sv[0], SHUT_RDWR);
	pthread_join(th, NULL);
	close(sv[0]);
	if (rc) {
		cli_error("backend %s failed: %s", be->name, enarx_strerror(rc));
		goto out;
	}
	ret = outcome(&io, status);
out:
	buf_free(&io.wasm, 0);
	buf_free(&io.conf, 0);
	kp_trap_clear(&io.trap);
	xfree(io.error);
	xfree(io.tee_note);
	return ret;
}
