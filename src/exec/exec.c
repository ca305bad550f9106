/* SPDX-License-Identifier: Apache-2.0 */
/* Executor session (see exec.h): every host message is checked for type,
 * order and size before use; anything unexpected ends the Keep with an
 * ERROR message naming the problem. */
#include "exec/exec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <enarx/wasm.h>
#include <openssl/crypto.h>

#include "config/config.h"
#include "exec/landlock.h"
#include "exec/seccomp.h"
#include "exec/steward.h"
#include "exec/timelimit.h"
#include "exec/tls.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "wasi/memfs.h"
#include "wasi/wasi.h"

#define EXIT_ERROR 1

static int fmt_err(char *err, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fmt_err(char *err, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return rc;
}

void exec_workload_clear(struct exec_workload *wl)
{
	xfree(wl->wasm);
	xfree(wl->config);
	xfree(wl->config_dir);
	kp_free_strv(wl->args, wl->nargs);
	for (size_t i = 0; wl->env && i < wl->nenv; i++) { /* a sealed package's (broker.c) */
		OPENSSL_cleanse(wl->env[i], strlen(wl->env[i]));
		xfree(wl->env[i]);
	}
	xfree(wl->env);
	for (size_t i = 0; i < wl->nfiles; i++) {
		OPENSSL_cleanse(wl->files[i].data, wl->files[i].len);
		xfree(wl->files[i].data);
		xfree(wl->files[i].name);
	}
	xfree(wl->files);
	memset(wl, 0, sizeof(*wl));
}

/* FILE: a package file; names are unique. */
static int take_file(struct exec_workload *wl, const uint8_t *p, size_t len, char *err, size_t n)
{
	struct exec_file *f;
	const uint8_t *data;
	size_t dlen;
	char *name;
	int rc = kp_dec_file(p, len, &name, &data, &dlen);

	if (rc)
		return fmt_err(err, n, rc, "bad FILE: %s", enarx_strerror(rc));
	for (size_t i = 0; i < wl->nfiles; i++)
		if (strcmp(wl->files[i].name, name) == 0)
			rc = fmt_err(err, n, ENARX_E_MALFORMED, "FILE %.100s sent twice", name);
	if (!rc && wl->nfiles >= KP_MAX_FILES)
		rc = fmt_err(err, n, ENARX_E_OVERFLOW, "more than %u FILE messages", KP_MAX_FILES);
	f = rc ? NULL : xreallocarray(wl->files, wl->nfiles + 1, sizeof(*f));
	if (!rc && !f)
		rc = ENARX_E_NOMEM;
	if (rc) {
		xfree(name);
		return rc;
	}
	wl->files = f;
	f += wl->nfiles;
	f->name = name;
	f->len = dlen;
	f->data = xmalloc(dlen ? dlen : 1);
	if (!f->data) {
		xfree(name);
		return ENARX_E_NOMEM;
	}
	if (dlen)
		memcpy(f->data, data, dlen);
	wl->nfiles++;
	return 0;
}

/* Handles one message of the workload; *done set at RUN. */
static int take(struct exec_workload *wl, uint32_t type, uint8_t *p, size_t len, int *stage,
                int *done, char *err, size_t n)
{
	uint32_t version;
	int rc;

	/* stage: 0 want HELLO, 1 want LIMITS/WASM, 5 want WASM, 2 CONFDIR/CONFIG/
	 * ARGS/RUN, 6 want CONFIG, 3 ARGS/RUN, 4 RUN */
	if (*stage == 0 && type != KP_HELLO)
		return fmt_err(err, n, ENARX_E_MALFORMED, "expected HELLO, got %s (%u)",
		               kp_type_name(type), type);
	switch (type) {
	case KP_HELLO:
		if (*stage != 0)
			break;
		rc = kp_dec_hello(p, len, &version, &wl->log_level, &wl->engine);
		if (rc)
			return fmt_err(err, n, rc, "bad HELLO: %s", enarx_strerror(rc));
		if (version != KP_VERSION)
			return fmt_err(err, n, ENARX_E_NOTSUP,
			               "protocol version %u, executor speaks %u", version,
			               KP_VERSION);
		*stage = 1;
		return 0;
	case KP_LIMITS:
		if (*stage != 1)
			break;
		rc = kp_dec_limits(p, len, &wl->limits);
		if (rc)
			return fmt_err(err, n, rc, "bad LIMITS: %s", enarx_strerror(rc));
		*stage = 5;
		return 0;
	case KP_WASM:
		if (*stage != 1 && *stage != 5)
			break;
		if (len == 0)
			return fmt_err(err, n, ENARX_E_MALFORMED, "empty WASM");
		wl->wasm = p;
		wl->wasm_len = len;
		*stage = 2;
		return 1; /* payload taken */
	case KP_CONFDIR:
		if (*stage != 2)
			break;
		rc = kp_dec_string(p, len, &wl->config_dir);
		if (rc)
			return fmt_err(err, n, rc, "bad CONFDIR: %s", enarx_strerror(rc));
		if (wl->config_dir[0] != '/')
			return fmt_err(err, n, ENARX_E_MALFORMED,
			               "CONFDIR is not an absolute path");
		*stage = 6;
		return 0;
	case KP_CONFIG:
		if (*stage != 2 && *stage != 6)
			break;
		if (len > CONFIG_MAX_SIZE)
			return fmt_err(err, n, ENARX_E_OVERFLOW, "CONFIG larger than 1 MiB");
		wl->config = xmalloc(len + 1);
		if (!wl->config)
			return ENARX_E_NOMEM;
		if (len)
			memcpy(wl->config, p, len);
		wl->config[len] = 0;
		wl->config_len = len;
		*stage = 3;
		return 0;
	case KP_FILE:
		if (*stage < 2)
			break;
		return take_file(wl, p, len, err, n);
	case KP_ARGS:
		if (*stage != 2 && *stage != 3)
			break;
		rc = kp_dec_args(p, len, &wl->args, &wl->nargs);
		if (rc)
			return fmt_err(err, n, rc, "bad ARGS: %s", enarx_strerror(rc));
		*stage = 4;
		return 0;
	case KP_RUN:
		if (*stage < 2 || *stage == 5 || *stage == 6)
			break;
		if (len)
			return fmt_err(err, n, ENARX_E_MALFORMED, "RUN with a payload");
		*done = 1;
		return 0;
	default: return fmt_err(err, n, ENARX_E_MALFORMED, "unknown message type %u", type);
	}
	return fmt_err(err, n, ENARX_E_MALFORMED, "unexpected %s message here", kp_type_name(type));
}

int exec_receive(int fd, struct exec_workload *wl, char *err, size_t n)
{
	return exec_receive_first(fd, 0, NULL, 0, wl, err, n);
}

int exec_receive_first(int fd, uint32_t type, uint8_t *p, size_t len, struct exec_workload *wl,
                       char *err, size_t n)
{
	int stage = 0, done = 0, rc, have = p != NULL || type != 0;

	memset(wl, 0, sizeof(*wl));
	while (!done) {
		rc = have ? 0 : kp_read(fd, &type, &p, &len, KP_MAX_PAYLOAD);
		have = 0;
		if (rc) {
			exec_workload_clear(wl);
			return fmt_err(err, n, rc, "reading the workload: %s",
			               rc == ENARX_E_NOTFOUND ? "host closed the channel"
			                                      : enarx_strerror(rc));
		}
		rc = take(wl, type, p, len, &stage, &done, err, n);
		if (type == KP_FILE && p)
			OPENSSL_cleanse(p, len); /* may be a private key */
		if (rc != 1)
			xfree(p);
		if (rc < 0) {
			exec_workload_clear(wl);
			return rc;
		}
	}
	return 0;
}

/* One outcome message: on the protocol fd, or sealed by a deploy's io. */
static void report(int fd, const struct exec_workload *wl, uint32_t type, const uint8_t *p,
                   size_t len)
{
	if (wl->io)
		wl->io->report(wl->io->ctx, type, p, len);
	else
		kp_write(fd, type, p, len);
}

static void report_string(int fd, const struct exec_workload *wl, uint32_t type, const char *s)
{
	struct buf b = {0};

	if (kp_enc_string(&b, s) == 0)
		report(fd, wl, type, b.data, b.len);
	buf_free(&b, 0);
}

static void report_exit(int fd, const struct exec_workload *wl, uint32_t code)
{
	uint8_t p[4] = {(uint8_t)code, (uint8_t)(code >> 8), (uint8_t)(code >> 16),
	                (uint8_t)(code >> 24)};

	report(fd, wl, KP_EXIT, p, sizeof(p));
}

/* SYS_GETATT with no buffer asks for the evidence size; the shim returns it
 * in rax and the technology in rdx (docs/kvm-keep.md), which syscall(2)
 * cannot show, hence the raw call. Returns rax (-errno on failure). */
long exec_getatt_query(unsigned long *tech)
{
	register long rax __asm__("rax") = KEEP_SYS_GETATT;
	register long rdi __asm__("rdi") = 0;
	register long rsi __asm__("rsi") = 0;
	register long rdx __asm__("rdx") = 0;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile("syscall"
	                 : "+r"(rax), "+r"(rdx)
	                 : "r"(rdi), "r"(rsi), "r"(r10)
	                 : "rcx", "r11", "memory");
	*tech = (unsigned long)rdx;
	return rax;
}

/* Asks the shim which TEE this is; on nil the call fails with ENOSYS.
 * TEE kinds in the protocol: 0 none, 1 kvm (no hardware TEE), 2 other. */
static void report_tee(int fd)
{
	struct buf b = {0};
	unsigned long tech = 0;
	long r = exec_getatt_query(&tech);
	const char *note = "no TEE";
	uint32_t kind = 0;

	if (r >= 0 && tech == 0) {
		kind = 1;
		note = "kvm: no hardware TEE (evidence is insecure)";
	} else if (r >= 0) {
		kind = 2;
		note = "TEE present (technology not known to this executor)";
	} else if (r != -ENOSYS) {
		note = "no TEE (attestation query failed)";
	}
	if (buf_append_u32le(&b, kind) == 0 && kp_enc_string(&b, note) == 0)
		kp_write(fd, KP_TEE, b.data, b.len);
	buf_free(&b, 0);
	log_info("exec: %s", note);
}

static int open_listen(const struct config_file *f, char *err, size_t n)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd, one = 1, zero = 0, v6;

	memset(&a6, 0, sizeof(a6));
	memset(&a4, 0, sizeof(a4));
	v6 = inet_pton(AF_INET6, f->addr, &a6.sin6_addr) == 1;
	if (!v6 && inet_pton(AF_INET, f->addr, &a4.sin_addr) != 1)
		return fmt_err(err, n, ENARX_E_INVAL, "bad address %s", f->addr);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fmt_err(err, n, ENARX_E_IO, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(f->port);
	} else {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(f->port);
	}
	if (bind(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
	         v6 ? sizeof(a6) : sizeof(a4)) ||
	    listen(fd, 128)) {
		fmt_err(err, n, ENARX_E_IO, "listen on %s port %u: %s", f->addr, f->port,
		        strerror(errno));
		close(fd);
		return ENARX_E_IO;
	}
	return fd;
}

static int open_connect(const struct config_file *f, char *err, size_t n)
{
	const char *host = strcmp(f->host, "localhost") == 0 ? "127.0.0.1" : f->host;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd, v6;

	memset(&a6, 0, sizeof(a6));
	memset(&a4, 0, sizeof(a4));
	v6 = inet_pton(AF_INET6, host, &a6.sin6_addr) == 1;
	if (!v6 && inet_pton(AF_INET, host, &a4.sin_addr) != 1)
		return fmt_err(err, n, ENARX_E_INVAL, "bad host %s", host);
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons(f->port);
	a4.sin_family = AF_INET;
	a4.sin_port = htons(f->port);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fmt_err(err, n, ENARX_E_IO, "socket: %s", strerror(errno));
	if (connect(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
	            v6 ? sizeof(a6) : sizeof(a4))) {
		fmt_err(err, n, ENARX_E_IO, "connect to %s port %u: %s", host, f->port,
		        strerror(errno));
		close(fd);
		return ENARX_E_IO;
	}
	return fd;
}

/* A listen or connect entry with prot = "tls" (exec/tls.h). */
static int add_tls(struct wasi *w, struct exec_tls *tls, const struct config_file *f, int fd,
                   char *err, size_t n)
{
	void *obj;
	int rc;

	if (f->kind == CONFIG_LISTEN)
		obj = exec_tls_listener(tls, f, err, n);
	else
		obj = exec_tls_connect(tls, f, fd, err, n);
	if (!obj) {
		close(fd);
		return ENARX_E_IO;
	}
	rc = wasi_add_stream(w, f->kind == CONFIG_LISTEN ? WASI_FD_LISTEN : WASI_FD_STREAM, fd,
	                     &exec_tls_ops, obj);
	if (rc < 0) {
		exec_tls_ops.free(obj);
		close(fd);
		return fmt_err(err, n, rc, "%s: %s", f->name, enarx_strerror(rc));
	}
	return 0;
}

/* Opens config file entry i and hands it to WASI as fd i. */
static int add_file(struct wasi *w, const struct exec_workload *wl, struct exec_tls *tls,
                    const struct config_file *f, struct exec_dir *dirs, size_t *ndirs, char *err,
                    size_t n)
{
	enum wasi_fd_kind kind = WASI_FD_STDIO;
	int fd = -1, rc;

	if (wl->io && f->kind >= CONFIG_STDIN && f->kind <= CONFIG_STDERR) {
		/* a deploy: the workload's stdio is sealed to the client */
		const struct wasi_stream *s = f->kind == CONFIG_STDIN    ? wl->io->in
		                              : f->kind == CONFIG_STDOUT ? wl->io->out
		                                                         : wl->io->err;

		rc = wasi_add_stdio_stream(w, s);
		return rc < 0 ? fmt_err(err, n, rc, "%s: %s", f->name, enarx_strerror(rc)) : 0;
	}
	if (wl->io && f->kind == CONFIG_DIR)
		return fmt_err(err, n, ENARX_E_PERM,
		               "%s: a deployed workload cannot have a host directory (kind = "
		               "\"dir\"): the host reads and writes its files; give it secret "
		               "files instead (--secret %s/NAME=@FILE)",
		               f->name, EXEC_SECRETS_DIR);
	switch (f->kind) {
	case CONFIG_NULL: kind = WASI_FD_NULL; break;
	case CONFIG_STDIN:
	case CONFIG_STDOUT:
	case CONFIG_STDERR:
		fd = dup(f->kind - CONFIG_STDIN); /* nothing is exec'd in a Keep */
		if (fd < 0)
			return fmt_err(err, n, ENARX_E_IO, "%s: %s", f->name, strerror(errno));
		break;
	case CONFIG_LISTEN:
		kind = WASI_FD_LISTEN;
		fd = open_listen(f, err, n);
		break;
	case CONFIG_CONNECT:
		kind = WASI_FD_STREAM;
		fd = open_connect(f, err, n);
		break;
	case CONFIG_DIR:
		kind = WASI_FD_DIR;
		rc = config_dir_check(f, err, n);
		if (rc)
			return rc;
		fd = open(f->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return fmt_err(err, n, ENARX_E_IO, "directory %s: %s", f->path,
			               strerror(errno));
		break;
	}
	if (fd < 0 && kind != WASI_FD_NULL)
		return fd;
	if ((kind == WASI_FD_LISTEN || kind == WASI_FD_STREAM) && f->prot == CONFIG_TLS)
		return add_tls(w, tls, f, fd, err, n);
	rc = wasi_add_fd(w, kind, fd, f->kind == CONFIG_DIR ? f->name : NULL, f->readonly);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		if (rc == ENARX_E_OVERFLOW)
			return fmt_err(err, n, ENARX_E_PERM,
			               "%s: more files than the open-files limit allows "
			               "(--max-fds, [limits] open_files)",
			               f->name);
		return fmt_err(err, n, rc, "%s: %s", f->name, enarx_strerror(rc));
	}
	if (kind == WASI_FD_DIR) {
		dirs[*ndirs].fd = fd;
		dirs[*ndirs].readonly = f->readonly;
		(*ndirs)++;
	}
	return 0;
}

/* args, env (with FD_COUNT and FD_NAMES) and fds from the config. */
static int setup_wasi(struct wasi *w, const struct config *cfg, const struct exec_workload *wl,
                      struct exec_tls *tls, char *err, size_t n)
{
	struct exec_dir *dirs;
	struct buf b = {0};
	size_t i, ndirs = 0;
	int rc = wasi_push_arg(w, "main.wasm");

	for (i = 0; !rc && i < cfg->nargs; i++)
		rc = wasi_push_arg(w, cfg->args[i]);
	for (i = 0; !rc && i < wl->nargs; i++)
		rc = wasi_push_arg(w, wl->args[i]);
	for (i = 0; !rc && i < cfg->nenv; i++) {
		b.len = 0;
		rc = buf_printf(&b, "%s=%s", cfg->env[i].key, cfg->env[i].value);
		if (!rc)
			rc = buf_append_u8(&b, 0);
		if (!rc)
			rc = wasi_push_env(w, (char *)b.data);
	}
	for (i = 0; !rc && i < wl->nenv; i++)
		rc = wasi_push_env(w, wl->env[i]);
	b.len = 0;
	if (!rc)
		rc = buf_printf(&b, "FD_COUNT=%zu", cfg->nfiles + (wl->secrets ? 1 : 0));
	if (!rc)
		rc = buf_append_u8(&b, 0);
	if (!rc)
		rc = wasi_push_env(w, (char *)b.data);
	b.len = 0;
	if (!rc)
		rc = buf_printf(&b, "FD_NAMES=");
	for (i = 0; !rc && i < cfg->nfiles; i++)
		rc = buf_printf(&b, "%s%s", i ? ":" : "", cfg->files[i].name);
	if (!rc && wl->secrets)
		rc = buf_printf(&b, "%s%s", cfg->nfiles ? ":" : "", &EXEC_SECRETS_DIR[1]);
	if (!rc)
		rc = buf_append_u8(&b, 0);
	if (!rc)
		rc = wasi_push_env(w, (char *)b.data);
	buf_free(&b, 0);
	if (rc)
		return fmt_err(err, n, rc, "setting up WASI: %s", enarx_strerror(rc));
	dirs = xcalloc(cfg->nfiles ? cfg->nfiles : 1, sizeof(*dirs));
	if (!dirs)
		return fmt_err(err, n, ENARX_E_NOMEM, "out of memory");
	for (i = 0; !rc && i < cfg->nfiles; i++)
		rc = add_file(w, wl, tls, &cfg->files[i], dirs, &ndirs, err, n);
	if (!rc && wl->secrets) { /* after the files: their fd numbers stay */
		int sfd = wasi_add_memdir(w, EXEC_SECRETS_DIR, wl->secrets);

		if (sfd < 0)
			rc = fmt_err(err, n, sfd, "%s: %s", EXEC_SECRETS_DIR, enarx_strerror(sfd));
	}
	/* Everything the workload may reach is open: give up the rest. */
	if (!rc && exec_landlock(dirs, ndirs) < 0)
		rc = fmt_err(err, n, ENARX_E_IO, "cannot apply the Landlock sandbox");
	/* ... and the configured sockets are open: no more are made */
	if (!rc && exec_seccomp_lock() < 0)
		rc = fmt_err(err, n, ENARX_E_IO, "cannot apply the second seccomp filter");
	xfree(dirs);
	return rc;
}

static void report_trap(int fd, const struct exec_workload *wl, const ewasm_trap *trap,
                        const struct keep_limits *lim)
{
	struct kp_trap t;
	struct buf b = {0};
	ewasm_frame f;
	size_t i, nf = ewasm_trap_frame_count(trap);
	char lm[96];
	uint8_t kind[4] = {0};

	memset(&t, 0, sizeof(t));
	t.message = (char *)ewasm_trap_message(trap);
	/* interrupted by a time limit (exec/timelimit.h): say which */
	if (ewasm_trap_get_kind(trap) == EWASM_TRAP_INTERRUPTED &&
	    (kind[0] = (uint8_t)exec_time_limit_hit(lim, lm, sizeof(lm))) != 0) {
		t.message = lm;
		if (!wl->io)
			report(fd, wl, KP_LIMIT_HIT, kind, sizeof(kind));
	}
	t.frames = xcalloc(nf ? nf : 1, sizeof(*t.frames));
	if (t.frames) {
		for (i = 0; i < nf && ewasm_trap_frame(trap, i, &f) == 0; i++) {
			t.frames[i].func_index = f.func_index;
			t.frames[i].code_offset = f.code_offset;
			t.frames[i].name = (char *)f.func_name;
			t.nframes = (uint32_t)(i + 1);
		}
	}
	if (kp_enc_trap(&b, &t) == 0)
		report(fd, wl, KP_TRAP, b.data, b.len);
	buf_free(&b, 0);
	xfree(t.frames);
}

/* Instantiates and calls _start; returns the exit status. */
static int run_module(int fd, struct wasi *w, const struct exec_workload *wl,
                      const struct keep_limits *lim, char *err, size_t n)
{
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.engine = wl->engine == KP_ENGINE_JIT ? EWASM_ENGINE_JIT : EWASM_ENGINE_INTERP;
	/* Enarx.toml [limits] and the host's LIMITS (docs/security.md) */
	if (lim->memory)
		cfg.max_memory_bytes = lim->memory;
	cfg.consume_fuel = lim->fuel != 0;
	ewasm_engine *eng = ewasm_engine_new(&cfg);
	ewasm_store *st = NULL;
	ewasm_linker *lk = NULL;
	ewasm_module *mod = NULL;
	ewasm_instance *inst = NULL;
	ewasm_trap *trap = NULL;
	ewasm_func *start;
	ewasm_error e;
	int rc, status = EXIT_ERROR;

	memset(&e, 0, sizeof(e));
	exec_time_limits_arm(lim);
	if (!eng) {
		fmt_err(err, n, 0, "out of memory");
		goto out;
	}
	rc = ewasm_module_new(eng, wl->wasm, wl->wasm_len, &mod, &e);
	if (rc) {
		fmt_err(err, n, 0, "invalid module: %s (at byte offset %llu)", e.message,
		        (unsigned long long)e.offset);
		goto out;
	}
	/* compiled: no executable memory from now on (docs/security.md) */
	if (exec_seccomp_seal_exec() < 0) {
		fmt_err(err, n, 0, "cannot apply the executable-memory seal");
		goto out;
	}
	st = ewasm_store_new(eng);
	exec_time_limits_watch(st);
	if (st && lim->fuel)
		ewasm_store_set_fuel(st, lim->fuel);
	lk = st ? ewasm_linker_new(st) : NULL;
	if (!lk || wasi_link(w, lk)) {
		fmt_err(err, n, 0, "out of memory");
		goto out;
	}
	rc = ewasm_linker_instantiate(lk, mod, &inst, &trap, &e);
	if (rc == EWASM_ERR_TRAP)
		goto trapped;
	if (rc) {
		fmt_err(err, n, 0, "cannot instantiate: %s",
		        e.message[0] ? e.message : ewasm_strerror(rc));
		goto out;
	}
	start = ewasm_instance_func(inst, "_start");
	if (!start) {
		fmt_err(err, n, 0, "the module exports no _start function");
		goto out;
	}
	rc = ewasm_func_call(start, NULL, 0, NULL, 0, &trap);
	exec_time_limits_disarm();
	if (rc == 0) {
		report_exit(fd, wl, 0);
		status = 0;
		goto out;
	}
	if (rc != EWASM_ERR_TRAP) {
		fmt_err(err, n, 0, "cannot call _start: %s", ewasm_strerror(rc));
		goto out;
	}
trapped:
	exec_time_limits_disarm();
	if (trap && ewasm_trap_get_kind(trap) == EWASM_TRAP_EXIT) {
		uint32_t code = wasi_exit_code(w);

		report_exit(fd, wl, code);
		status = code > 255 ? EXIT_ERROR : (int)code;
	} else if (trap) {
		report_trap(fd, wl, trap, lim);
		status = KEEP_EXIT_TRAP;
	}
	err[0] = 0;
out:
	exec_time_limits_disarm();
	if (err[0])
		report_string(fd, wl, KP_ERROR, err);
	ewasm_trap_free(trap);
	ewasm_linker_free(lk);
	ewasm_store_free(st);
	ewasm_module_free(mod);
	ewasm_engine_free(eng);
	return status;
}

static void report_config_error(int fd, const struct exec_workload *wl, const char *err)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "Enarx.toml: %s", err);
	report_string(fd, wl, KP_ERROR, msg);
}

int exec_run(int fd, const struct exec_workload *wl)
{
	struct config *cfg = NULL;
	struct exec_tls *tls = NULL;
	struct exec_steward *sid = NULL;
	struct wasi *w = NULL;
	struct keep_limits lim;
	const uint8_t *der;
	size_t der_len;
	char err[512] = "";
	int rc, status = EXIT_ERROR;

	if (!wl->io) {
		report_tee(fd); /* a deploy said so in its EVIDENCE */
		exec_report_measure(fd);
	}
	if (wl->config)
		rc = config_parse(wl->config, wl->config_len, &cfg, err, sizeof(err));
	if (wl->config && !rc && wl->config_dir)
		rc = config_resolve_paths(cfg, wl->config_dir);
	if (!wl->config)
		rc = (cfg = config_default()) ? 0 : ENARX_E_NOMEM;
	if (rc) {
		report_config_error(fd, wl, err[0] ? err : enarx_strerror(rc));
		goto out;
	}
	lim = cfg->limits;
	keep_limits_merge(&lim, &wl->limits); /* the host's (enarx run options) win */
	/* Steward: the Keep certified before anything of the workload runs */
	if (cfg->steward && !wl->io &&
	    exec_steward_certify(fd, cfg, wl, &sid, err, sizeof(err)) != 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "steward: %s", err);
		report_string(fd, wl, KP_ERROR, msg);
		goto out;
	}
	/* TLS before the sandbox closes: OpenSSL starts, the Keep's key */
	if (exec_tls_new(cfg, wl, sid, &tls, err, sizeof(err))) {
		report_config_error(fd, wl, err);
		goto out;
	}
	der = exec_tls_cert_der(tls, &der_len);
	if (der) /* a deploy seals it to the client */
		report(fd, wl, KP_TLS_CERT, der, der_len);
	w = wasi_new();
	if (!w) {
		report_string(fd, wl, KP_ERROR, "out of memory");
		goto out;
	}
	wasi_set_limits(w, lim.fds, lim.output);
	if (setup_wasi(w, cfg, wl, tls, err, sizeof(err))) {
		report_string(fd, wl, KP_ERROR, err);
		goto out;
	}
	status = run_module(fd, w, wl, &lim, err, sizeof(err));
out:
	wasi_free(w);
	exec_tls_free(tls);
	exec_steward_free(sid);
	config_free(cfg);
	return status;
}
