/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a POST /v1/keeps body through everything the host agent
 * does with it before a Keep exists: the bounded JSON parse, the field
 * schema, and host_create_parse (base64 module, Enarx.toml checks, env,
 * args, the keep-protocol frames). Accepted requests must yield whole
 * frames ending in RUN (run mode) or none (deploy mode). */
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
