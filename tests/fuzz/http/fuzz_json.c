/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: JSON request bodies through the same parse (size, depth,
 * duplicates) and field schema check the HTTPS daemons use. Every refusal
 * must come with a reason. */
#include <assert.h>
#include <stdint.h>

#include "http/json.h"

static const struct http_json_field fields[] = {
    {"backend", HTTP_J_STRING, true, 1, 16}, {"memory", HTTP_J_INT, false, 1, 4096},
    {"debug", HTTP_J_BOOL, false, 0, 0},     {"args", HTTP_J_ARRAY, false, 0, 16},
    {"env", HTTP_J_OBJECT, false, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256] = "";
	json_t *j;

	if (size > (1u << 20))
		return 0;
	if (http_json_parse(data, size, 32, &j, why, sizeof(why)) != 0) {
		assert(why[0] != '\0' && j == NULL);
		return 0;
	}
	assert(json_is_object(j));
	if (http_json_check(j, fields, 5, why, sizeof(why)) != 0)
		assert(why[0] != '\0');
	json_decref(j);
	return 0;
}
