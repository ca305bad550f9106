/* SPDX-License-Identifier: Apache-2.0 */
/* The host half of one Keep session: a backend Keep plus its keep-protocol
 * socket (docs/keep-protocol.md). A session feeds the workload, pumps the
 * protocol without blocking, notices the Keep's end and keeps the outcome.
 * `enarx run` holds one; a host agent holds many, each pollable through one
 * descriptor. No globals, no signal handlers; every call locks the session,
 * so any thread may kill a Keep another thread waits for. */
#ifndef ENARX_KEEP_SESSION_H
#define ENARX_KEEP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "keep/limits.h"
#include "keep/proto.h"
#include "keep/usage.h"

struct backend;  /* backend/backend.h */
struct keep_dir; /* backend/backend.h */
struct keep_session;
struct keep_http_relay; /* keep/relay.h */

/* A Keep's messages to the host are at most this long (a trap report with
 * KP_MAX_FRAMES frames of long names fits); longer ones end the reading. */
#define KEEP_SESSION_MSG_MAX (4u << 20)

struct keep_session_opts {
	const struct backend *backend; /* required; must outlive the session */
	const void *exec;              /* executor ELF image; borrowed until
				  keep_session_start() returns */
	size_t exec_len;
	size_t mem_size;             /* Keep memory in bytes; 0 = the backend's default */
	const int *stdio;            /* 3 host fds the Keep sees as 0, 1, 2 (the backend
			     duplicates them at start); NULL = the host's own */
	const struct keep_dir *dirs; /* ndirs directories the Keep may open and
					the workload needs (backend.h); borrowed
					until keep_session_start() returns */
	size_t ndirs;
	int net; /* the workload has sockets (backend.h's keep_launch.net) */
	/* The Keep's bounds (keep/limits.h), already merged from Enarx.toml
	 * and the caller's overrides (config.limits, then keep_limits_merge()
	 * of the caller's own). The session sends them
	 * to the executor (LIMITS, which caps the engine, descriptors and
	 * output), sizes the Keep from `memory` when mem_size is 0 (nil:
	 * RLIMIT_DATA; kvm: guest RAM), sets nil's RLIMIT_NOFILE from `fds`
	 * and RLIMIT_CPU from `cpu_ms` (kvm: the vCPU thread's CPU time), and
	 * kills the Keep once `wall_ms` + KEEP_WALL_GRACE_MS has passed since
	 * start (the outcome then says timed_out; a Keep that stopped its
	 * workload at `wall_ms` itself says limit_hit). */
	struct keep_limits limits;
	/* Optional observer of every frame from the Keep, called after the
	 * session decoded it, in the thread that pumps, with the session
	 * locked (it must not call back into this session). payload is
	 * borrowed for the call. A host agent relays frames from here. */
	void (*on_message)(void *ctx, uint32_t type, const uint8_t *payload, size_t len);
	void *ctx;
	/* Answers the Keep's HTTP_REQ messages (keep/relay.h): each runs on
	 * a thread of its own (at most KEEP_RELAY_MAX_INFLIGHT at a time) and
	 * its HTTP_RESP is queued when it ends; keep_session_free() cancels
	 * and joins them. NULL: every HTTP_REQ is answered with status 0
	 * "this host relays no HTTP requests". HTTP_REQ never reaches
	 * on_message. Borrowed; must outlive the session. */
	const struct keep_http_relay *relay;
};

/* What the host sends before RUN (see keep_session_feed). */
/* A file of the workload package (keep protocol FILE). */
struct keep_file {
	const char *name; /* as Enarx.toml names it */
	const void *data;
	size_t len;
};

struct keep_workload {
	const void *wasm; /* module bytes (binary) */
	size_t wasm_len;
	const void *config; /* Enarx.toml text; NULL = none */
	size_t config_len;
	const char *config_dir;  /* the Enarx.toml's absolute directory, against
				   which relative `dir` paths are resolved
				   (config_file_dir()); NULL = the Keep's
				   current directory */
	const char *const *args; /* workload arguments, nargs of them */
	size_t nargs;
	uint32_t log_level;            /* the executor's log level (enum log_level) */
	uint32_t engine;               /* enum kp_engine: how the Keep runs the module */
	const struct keep_file *files; /* nfiles package files (sent as FILE) */
	size_t nfiles;
};

enum keep_result {
	KEEP_RUNNING = 0, /* not ended yet */
	KEEP_EXITED,      /* the workload exited: exit_code */
	KEEP_TRAPPED,     /* the workload trapped: trap */
	KEEP_FAILED,      /* the executor could not run it: error */
	KEEP_NO_RESULT,   /* the Keep ended (or was killed) without a report */
};

/* The end of a session. Strings and the trap are borrowed from the session
 * and valid until keep_session_free(). */
struct keep_outcome {
	enum keep_result result;
	int status;                 /* the Keep's exit status from the backend: 0..255,
			   128+N for signal N (137 once killed) */
	int killed;                 /* keep_session_kill() stopped it */
	int timed_out;              /* the session killed it at limits.wall_ms
				       + KEEP_WALL_GRACE_MS (then also killed,
				       status 137) */
	int limit_hit;              /* enum keep_limit_kind: the Keep stopped the
				       workload at that limit itself (LIMIT_HIT,
				       then its TRAP), else 0 */
	int cpu_out;                /* the Keep was stopped at limits.cpu_ms by the
				       host side: nil's RLIMIT_CPU (SIGXCPU or
				       SIGKILL) or kvm's vCPU thread CPU clock */
	uint32_t exit_code;         /* KEEP_EXITED: as the workload gave it (may be > 255) */
	const struct kp_trap *trap; /* KEEP_TRAPPED */
	const char *error;          /* KEEP_FAILED */
	const char *tee_note;       /* the Keep's TEE message, or NULL */
	struct keep_usage usage;    /* what it used: wall time always (from
				       start), CPU and memory when the backend
				       measures them (usage.valid) */
};

/* Creates a session (the keep socket; no Keep yet). Returns 0 with *out,
 * ENARX_E_INVAL without a backend, ENARX_E_NOMEM or ENARX_E_IO. */
int keep_session_new(const struct keep_session_opts *o, struct keep_session **out);

/* Kills the Keep if it still runs, reaps it and releases everything: no
 * process, thread or descriptor outlives the session. Accepts NULL and a
 * session in any state, including one whose start failed. Not concurrently
 * with any other call on s. */
void keep_session_free(struct keep_session *s);

/* Queues HELLO, [LIMITS], WASM, [[CONFDIR], CONFIG], [ARGS], RUN (in that
 * order) for the Keep (LIMITS when any of opts.limits is set, CONFDIR when
 * w->config_dir is).
 * May be called before start: what fits in the socket buffer is written at
 * once (so a small workload waits for the Keep without a thread switch); the
 * rest is copied and sent by keep_session_pump(). Returns 0, ENARX_E_NOMEM,
 * ENARX_E_OVERFLOW (too many args, too large) or ENARX_E_IO (the Keep has
 * ended or closed its end). */
int keep_session_feed(struct keep_session *s, const struct keep_workload *w);

/* Queues one frame for the Keep (for a host that relays the protocol); the
 * payload is copied. Errors as keep_session_feed. */
int keep_session_send(struct keep_session *s, uint32_t type, const void *payload, size_t len);

/* No more frames for the Keep: once what is queued has gone, the Keep
 * reads the end of its input (a host agent whose client hung up). */
void keep_session_close_input(struct keep_session *s);

/* Starts the Keep on the backend. Returns 0, ENARX_E_BUSY if it was already
 * started, or the backend's ENARX_E_* (the session can then only be freed). */
int keep_session_start(struct keep_session *s);

/* One descriptor (an epoll set of the keep socket, the backend's end
 * descriptor and the wall-time timer) that polls readable whenever
 * keep_session_pump() has work.
 * Borrowed: valid until keep_session_free(); only poll it. */
int keep_session_fd(const struct keep_session *s);

/* Does the work that is ready without blocking: sends queued bytes, reads
 * and handles the Keep's messages, and, once the Keep has ended, collects
 * its status and the last messages. Returns 0 while the Keep runs (or is not
 * started), 1 once the session has ended (the outcome is final), or the
 * negative ENARX_E_* the backend's wait gave (e.g. ENARX_E_KEEP_FAULT),
 * again on every later call. */
int keep_session_pump(struct keep_session *s);

/* Pumps until the session has ended. Returns 0 (see keep_session_outcome),
 * ENARX_E_INVAL if the Keep was never started, or the error
 * keep_session_pump() gave. A second call returns the same at once. */
int keep_session_wait(struct keep_session *s);

/* Stops the Keep (backend kill: SIGKILL, or the vCPU thread made to exit).
 * Safe from any thread, also while another thread waits. Returns 0 (also
 * when not started or already ended) or ENARX_E_IO. The outcome then says
 * killed, with status 137 unless the Keep had ended by itself first. */
int keep_session_kill(struct keep_session *s);

/* Copies the outcome to *out. Returns 0 once the session has ended, or
 * ENARX_E_BUSY while it runs (then out->result is KEEP_RUNNING). */
int keep_session_outcome(struct keep_session *s, struct keep_outcome *out);

#endif
