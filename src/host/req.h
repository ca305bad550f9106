/* SPDX-License-Identifier: Apache-2.0 */
/* The body of POST /v1/keeps (docs/host-api.md): its field schema and its
 * conversion into what the launcher and the Keep need, with errors that
 * name the field. Pure (no I/O) so it can be fuzzed (tests/fuzz/host). */
#ifndef ENARX_HOST_REQ_H
#define ENARX_HOST_REQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/json.h"
#include "keep/limits.h"
#include "lib/buf.h"

enum host_mode { HOST_MODE_RUN, HOST_MODE_DEPLOY };

/* A create request, checked. Owns every pointer (host_create_clear). */
struct host_create {
	char backend[16]; /* "" = the best usable backend */
	uint64_t memory;  /* bytes, 0 = the backend's default */
	enum host_mode mode;
	uint32_t engine; /* enum kp_engine */
	int net;         /* the config has listen/connect entries */
	/* run mode: the keep-protocol frames HELLO, WASM, [CONFIG], [ARGS],
	 * RUN, encoded and ready to relay to the Keep */
	struct buf frames;
	size_t hello_len; /* bytes of the HELLO frame at the start of frames */
	/* "limits" over the config's [limits] (run mode); host_create_cap()
	 * then checks them against the host's maxima and fills the rest */
	struct keep_limits limits;
};

/* Which limit a request went over (host_create_cap). */
struct host_cap_error {
	const char *name; /* "fuel", "wall_ms", "fds", "output" */
	uint64_t asked, max;
};

/* Schema of the body, for http_req_json / http_json_check. */
extern const struct http_json_field host_create_fields[];
extern const size_t host_create_nfields;

/* Converts a body that passed the schema: mode "run" needs "wasm"
 * (base64 of a binary module, "\0asm"); "deploy" refuses wasm, config,
 * args and env. "config" (Enarx.toml text) may not hold `dir` entries
 * (the host's files are not the client's to open); "env" (an object of
 * strings) is only allowed without "config" and becomes its [env] table.
 * log_level goes into HELLO. "limits" is an object of memory (bytes of
 * linear memory), fuel, wall_ms, fds and output (bytes), each a positive
 * integer in the ranges of keep/limits.h; in deploy mode only memory,
 * wall_ms and fds (the host enforces them; fuel and output are the
 * executor's, which a deploy's sealed Enarx.toml sets). Returns 0 with *out filled, ENARX_E_MALFORMED
 * with why naming the field, or ENARX_E_NOMEM. */
int host_create_parse(const json_t *body, uint32_t log_level, struct host_create *out, char *why,
                      size_t whylen);

/* Applies the host's maxima (a 0 field: no maximum) to c->limits: a set
 * limit above its maximum is refused (ENARX_E_PERM with *e naming it), an
 * unset one takes the maximum. In run mode it then puts the LIMITS frame
 * after HELLO in c->frames (when any limit is set). Returns 0,
 * ENARX_E_PERM or ENARX_E_NOMEM. */
int host_create_cap(struct host_create *c, const struct keep_limits *max, struct host_cap_error *e);

void host_create_clear(struct host_create *c);

#endif
