/* SPDX-License-Identifier: Apache-2.0 */
/* The network process's view of Keeps (internal to src/host): records,
 * their pipes to the launcher, what they wrote, and who follows it.
 * daemon.c owns the loop and the launcher channel; api.c the handlers. */
#ifndef ENARX_HOST_KEEPS_H
#define ENARX_HOST_KEEPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/host.h"
#include "host/lmsg.h"
#include "host/req.h"
#include "http/http.h"
#include "lib/buf.h"

struct event;
struct chan;
struct store;

enum hk_state {
	HK_STARTING,
	HK_RUNNING,
	HK_EXITED,
	HK_TRAPPED,
	HK_FAILED,
	HK_KILLED,
	HK_NORESULT,
	HK_LOST,
	HK_TIMEDOUT, /* stopped at its wall-time limit (exit 124, as enarx run) */
};

/* What a Keep wrote: stdout, stderr, and its keep-protocol frames. */
enum hk_stream { HK_OUT, HK_ERR, HK_PROTO, HK_NSTREAMS };

/* A request waiting on a Keep: a follower of one stream (chunked), or a
 * waiter for its end (stream == HK_NSTREAMS). */
struct hk_follow {
	struct http_req *req;
	struct hkeep *k;
	int stream;
	struct hk_follow *next;
};

/* Bytes queued for a pipe to the Keep, answered once written. */
struct hk_out {
	struct buf b;
	size_t off;
	struct http_req *req; /* answered 204 once b is written, or NULL */
	bool close_after;     /* close the pipe once b is written */
};

struct hkeep {
	struct host *h;
	uint32_t slot;
	char id[25];
	char backend[16];
	enum host_mode mode;
	uint64_t memory;
	enum hk_state state;
	int64_t created_ms, ended_ms;
	/* the end, from LM_ENDED */
	bool has_end, killed, live, done;
	int32_t status;
	uint32_t exit_code;
	bool timed_out;
	char *text;                /* trap message and backtrace, or the executor's error */
	struct keep_limits limits; /* as the Keep got them (0 = not set) */
	/* what the Keep reported of its TEE (LM_TEE): kind once tee_known */
	bool tee_known, has_measurement;
	uint32_t tee;
	uint8_t measurement[48];
	/* what it used (LM_ENDED), once has_end */
	bool has_usage;
	uint64_t user_us, system_us, wall_us, maxrss_kb;
	int fd[LM_NPIPES]; /* our ends; -1 once closed */
	struct event *ev[LM_NPIPES];
	struct buf data[HK_NSTREAMS];
	uint64_t total[HK_NSTREAMS]; /* bytes the Keep wrote, kept or not */
	struct hk_out in[LM_NPIPES]; /* LM_STDIN and LM_PROTO_IN only */
	struct http_req *create_req;
	struct hk_follow *follow;
	struct hkeep *prev, *next;
};

struct host {
	struct host_conf conf;
	struct http_server *srv;
	struct chan *chan;
	struct event *chan_ev;
	struct store *store;
	int launcher_pid;
	struct hkeep *keeps, *last; /* oldest first */
	unsigned nrecords, nlive;
	uint64_t mem_live;
	uint32_t next_slot;
	bool stopping;
};

/* daemon.c */
struct hkeep *hk_find(struct host *h, const char *id);
int hk_create(struct host *h, struct host_create *c, uint64_t mem, struct hkeep **out);
void hk_free(struct hkeep *k);
int hk_kill(struct hkeep *k);
/* Queues bytes for LM_STDIN or LM_PROTO_IN; req (if any) gets 204 once
 * they are in the pipe. Returns 0, ENARX_E_BUSY (a write is pending) or
 * ENARX_E_IO (the pipe is closed), ENARX_E_NOMEM. */
int hk_write(struct hkeep *k, int pipe, const void *p, size_t len, struct http_req *req,
             bool close_after);
void hk_follow_add(struct hkeep *k, struct http_req *req, int stream);
const char *hk_state_name(enum hk_state s);
json_t *hk_json(const struct hkeep *k);

/* api.c: the route table */
extern const struct http_route host_routes[];
extern const size_t host_nroutes;
void host_api_started(struct hkeep *k, int rc);

#endif
