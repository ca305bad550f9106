/* SPDX-License-Identifier: Apache-2.0 */
/* JSON request bodies: parsing with jansson under size and nesting limits,
 * and a small field schema (type, required, bounds, no unknown fields) whose
 * errors name the field. Pure (no I/O) so it can be fuzzed. */
#ifndef ENARX_HTTP_JSON_H
#define ENARX_HTTP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_jtype {
	HTTP_J_STRING, /* min/max bound the length in bytes */
	HTTP_J_INT,    /* min/max bound the value */
	HTTP_J_BOOL,
	HTTP_J_OBJECT,
	HTTP_J_ARRAY, /* min/max bound the element count */
};

struct http_json_field {
	const char *name;
	enum http_jtype type;
	bool required;
	int64_t min, max; /* ignored when both are 0 */
};

/* Parses buf[0..len) as one JSON object: at most max_depth levels of
 * nesting (checked before jansson sees the bytes), no duplicate keys, no
 * trailing data, no NUL in strings. Returns 0 with *out (new reference), or
 * ENARX_E_MALFORMED with why naming the problem and its byte offset. */
int http_json_parse(const void *buf, size_t len, unsigned max_depth, json_t **out, char *why,
                    size_t whylen);

/* Checks obj against fields: required ones present, every member known and
 * of its type and within its bounds. Returns 0, or ENARX_E_MALFORMED with
 * why naming the field ("field 'memory': 0 is below the minimum 1"). */
int http_json_check(const json_t *obj, const struct http_json_field *fields, size_t n, char *why,
                    size_t whylen);

#endif
