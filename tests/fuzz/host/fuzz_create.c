/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a POST /v1/keeps body through everything the host agent
 * does with it before a Keep exists: the bounded JSON parse, the field
 * schema, and host_create_parse (base64 module, Enarx.toml checks, env,
 * args, the keep-protocol frames). Accepted requests must yield whole
 * frames ending in RUN (run mode) or none (deploy mode), within the
 * host's maxima once host_create_cap has applied them. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "host/req.h"
#include "http/json.h"
#include "keep/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_create c;
	const uint8_t *payload;
	size_t off = 0, plen, used;
	uint32_t type = 0;
	char why[256];
	json_t *body;

	if (http_json_parse(data, size, 32, &body, why, sizeof(why)) != 0) {
		assert(why[0]);
		return 0;
	}
	if (http_json_check(body, host_create_fields, host_create_nfields, why, sizeof(why)) == 0 &&
	    host_create_parse(body, 1, &c, why, sizeof(why)) == 0) {
		/* the host's maxima, then the LIMITS frame after HELLO */
		struct keep_limits max = {
		    .fuel = 1000000, .wall_ms = 60000, .fds = 64, .output = 4096};
		struct host_cap_error ce;

		if (host_create_cap(&c, &max, &ce) != 0) {
			assert(ce.name && ce.asked > ce.max);
			host_create_clear(&c);
			json_decref(body);
			return 0;
		}
		assert(c.limits.wall_ms && c.limits.wall_ms <= max.wall_ms &&
		       c.limits.fds <= max.fds);
		while (off < c.frames.len) {
			assert(kp_frame_split(c.frames.data + off, c.frames.len - off,
			                      KP_MAX_PAYLOAD, &type, &payload, &plen, &used) == 0);
			off += used;
		}
		assert(c.mode == HOST_MODE_DEPLOY ? c.frames.len == 0 : type == KP_RUN);
		host_create_clear(&c);
	}
	json_decref(body);
	return 0;
}
