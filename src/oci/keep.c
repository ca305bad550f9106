/* SPDX-License-Identifier: Apache-2.0 */
/* The container process: what `create` forks and the engine waits on. It
 * holds the container's stdio, blocks on the exec FIFO until `start`, then
 * runs the workload in one Keep session and exits with the workload's
 * status. A terminating signal (the engine's `kill`) stops the Keep and then
 * ends this process by the same signal, so the engine sees 128+N as it
 * would from runc. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend/backend.h"
#include "keep/abi.h"
#include "keep/relay.h"
#include "keep/session.h"
#include "lib/err.h"
#include "lib/log.h"
#include "oci/oci_int.h"

static int sig_pipe[2] = {-1, -1};

static const int term_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};

static void on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a signal is already pending */
	}
	errno = e;
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		oci__error("pipe: %s", strerror(errno));
		exit(1);
	}
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaction(term_signals[i], &sa, NULL);
}

/* Ends this process by sig, as an unhandled signal would. */
static void __attribute__((noreturn)) die_by(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

static int pending_signal(void)
{
	unsigned char c;

	return read(sig_pipe[0], &c, 1) == 1 ? c : 0;
}

/* Blocks until `start` opens the FIFO for reading, then tells it we go. */
static void wait_start(const char *fifo)
{
	int fd, sig;

	while ((fd = open(fifo, O_WRONLY | O_CLOEXEC)) < 0) {
		if (errno != EINTR) {
			oci__error("cannot open %s: %s", fifo, strerror(errno));
			exit(1);
		}
		if ((sig = pending_signal()))
			die_by(sig);
	}
	if (write(fd, "0", 1) != 1) {
		oci__error("cannot signal start on %s: %s", fifo, strerror(errno));
		exit(1);
	}
	close(fd);
}

const struct backend *oci__backend_pick(const struct oci_spec *sp)
{
	const struct backend *be = sp->backend ? backend_find(sp->backend) : backend_default();
	char why[256] = "";

	if (!be) {
		oci__error("annotation enarx.backend: unknown backend '%s'", sp->backend);
		return NULL;
	}
	if (!backend_usable(be, why, sizeof(why))) {
		oci__error("backend %s is not usable here: %s", be->name, why);
		return NULL;
	}
	return be;
}

static int outcome_status(const struct keep_outcome *o)
{
	switch (o->result) {
	case KEEP_EXITED:
		if (o->exit_code <= 255)
			return (int)o->exit_code;
		oci__error("workload exit code %u does not fit in 8 bits", o->exit_code);
		return 1;
	case KEEP_TRAPPED:
		fprintf(stderr, "Error: wasm trap: %s\n", o->trap->message);
		return KEEP_EXIT_TRAP;
	case KEEP_FAILED: oci__error("%s", o->error); return 1;
	default: break;
	}
	oci__error("the Keep ended without reporting a result (status %d)", o->status);
	return o->status ? o->status : 1;
}

/* Pumps the session until it ends or a terminating signal arrives. */
static int run_session(struct keep_session *s)
{
	struct pollfd p[2] = {{.fd = keep_session_fd(s), .events = POLLIN},
	                      {.fd = sig_pipe[0], .events = POLLIN}};
	struct keep_outcome o;
	int rc, sig;

	for (;;) {
		rc = keep_session_pump(s);
		if (rc != 0)
			break;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((sig = pending_signal())) {
			keep_session_kill(s);
			keep_session_wait(s);
			keep_session_free(s);
			die_by(sig);
		}
	}
	if (rc < 0) {
		oci__error("the Keep failed: %s", enarx_strerror(rc));
		return 1;
	}
	keep_session_outcome(s, &o);
	return outcome_status(&o);
}

static struct keep_dir *dirs_of(const struct oci_spec *sp, size_t *n)
{
	struct keep_dir *d = calloc(sp->nmounts + 1, sizeof(*d));

	if (!d)
		return NULL;
	d[0].path = sp->rootfs;
	d[0].readonly = sp->rootfs_ro;
	for (size_t i = 0; i < sp->nmounts; i++) {
		d[i + 1].path = sp->mounts[i].source;
		d[i + 1].readonly = sp->mounts[i].readonly;
	}
	*n = sp->nmounts + 1;
	return d;
}

/* A sealed package's Steward CA for the relay (keep/relay.h): held in a
 * memfd, so nothing is written to the node. 0, or -1 (logged). */
static int steward_ca(const struct oci_workload *w, struct keep_relay_curl *c, char *path,
                      size_t cap)
{
	int fd;

	if (!w->steward_ca.len)
		return 0; /* the system's roots */
	fd = memfd_create("steward-ca", MFD_CLOEXEC);
	if (fd < 0 ||
	    write(fd, w->steward_ca.data, w->steward_ca.len) != (ssize_t)w->steward_ca.len) {
		oci__error("cannot hold the Steward CA in memory: %s", strerror(errno));
		return -1;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	c->cacert = path;
	return 0;
}

void oci__keep_main(const struct oci_spec *sp, struct oci_workload *w, const char *fifo)
{
	char capath[64];
	const struct backend *be;
	struct keep_session_opts so = {0};
	struct keep_relay_curl relay;
	struct keep_session *s = NULL;
	struct keep_workload kw = {0};
	struct keep_dir *dirs;
	int rc, status = 1;

	catch_signals();
	wait_start(fifo);
	be = oci__backend_pick(sp);
	dirs = dirs_of(sp, &so.ndirs);
	if (!be || !dirs)
		exit(1);
	so.backend = be;
	keep_relay_curl_init(&relay);
	so.relay = &relay.base;
	so.exec = backend_exec_image(&so.exec_len);
	so.dirs = dirs;
	/* listen/connect entries in the image's Enarx.toml: keep the
	 * namespace we joined (the pod's) instead of an empty one */
	so.net = w->net;
	/* a sealed package: the Keep asks Steward for its key through the
	 * relay, which trusts the Steward CA the package or annotation gave */
	if (w->sealed && steward_ca(w, &relay, capath, sizeof(capath)) != 0)
		exit(1);
	kw.wasm = w->wasm.data;
	kw.wasm_len = w->wasm.len;
	kw.config = w->toml.data;
	kw.config_len = w->toml.len;
	kw.args = (const char *const *)sp->args + 1;
	kw.nargs = sp->nargs - 1;
	kw.log_level = (uint32_t)log_get_level();
	kw.engine = w->engine;
	rc = keep_session_new(&so, &s);
	if (!rc)
		rc = keep_session_feed(s, &kw);
	if (!rc)
		rc = keep_session_start(s);
	if (rc)
		oci__error("cannot start the Keep on backend %s: %s", be->name, enarx_strerror(rc));
	else
		status = run_session(s);
	keep_session_free(s);
	free(dirs);
	exit(status);
}
