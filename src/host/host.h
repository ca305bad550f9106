/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent (`enarx host serve`): Keeps as resources behind an
 * authenticated HTTPS API (docs/host-api.md). The process that serves the
 * network holds no /dev/kvm and no Keep memory; a launcher process it forks
 * first (launcher.h) builds the Keeps. */
#ifndef ENARX_HOST_HOST_H
#define ENARX_HOST_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "keep/limits.h"

/* Strings are borrowed for the duration of host_serve(). Zero numbers take
 * the defaults in brackets. */
struct host_conf {
	const char *listen;     /* ["127.0.0.1:8443"], "unix:/path" */
	const char *state_dir;  /* required: certificate, key and host.db */
	const char *token_file; /* bearer token file, or NULL */
	const char *client_ca;  /* CAs for client certificates (mTLS), or NULL */
	const char *cert, *key; /* the agent's own; NULL = <state>/host-cert.pem */
	int insecure_plain;     /* plain HTTP on TCP (logged) */
	unsigned max_keeps;     /* Keeps running at once [64] */
	unsigned max_records;   /* Keeps listed (running or not) [10000] */
	uint64_t max_keep_mem;  /* bytes per Keep [4 GiB] */
	uint64_t max_total_mem; /* bytes of all running Keeps [64 GiB] */
	uint64_t default_mem;   /* a Keep's memory when the request names none [1 GiB] */
	/* Per-Keep maxima of fuel, wall_ms, fds and output (memory is ignored:
	 * max_keep_mem bounds it); 0 = none. A request over one is refused; a
	 * request without one gets the maximum (docs/host-api.md "Limits"). */
	struct keep_limits max_limits;
	size_t max_body;     /* request body bytes [16 MiB] */
	size_t log_max;      /* stdout/stderr bytes kept per Keep [1 MiB] */
	unsigned grace_ms;   /* SIGTERM grace [10000] */
	unsigned request_ms; /* whole-request deadline [30000] */
	unsigned io_ms;      /* longest stall of a read or write [30000]; not
			      * applied to reads while a follow or a wait is
			      * open (http_req_hold) */
	int no_sandbox;      /* skip the seccomp filters (debugging) */
	void (*on_ready)(uint16_t port, const char *fingerprint, const char *cert);
};

/* Runs the agent until SIGTERM/SIGINT. Returns 0, or a negative ENARX_E_*
 * after printing what was wrong. */
int host_serve(const struct host_conf *conf);

#endif
