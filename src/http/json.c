/* SPDX-License-Identifier: Apache-2.0 */
/* JSON request bodies: a bounded pre-scan for nesting depth, jansson for
 * the parse, and a field schema check whose messages name the field. */
#include "http/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

/* Walks the bytes once, tracking strings, and fails at the first bracket
 * that opens level max_depth + 1. Jansson has its own (much larger) limit;
 * ours keeps deep recursion out of it and names the offset. */
static int json__depth(const void *buf, size_t len, unsigned max_depth, char *why, size_t whylen)
{
	struct cursor c;
	unsigned depth = 0;
	bool in_str = false, esc = false;
	uint8_t b;

	cursor_init(&c, buf, len);
	while (cursor_u8(&c, &b) == 0) {
		if (in_str) {
			if (esc)
				esc = false;
			else if (b == '\\')
				esc = true;
			else if (b == '"')
				in_str = false;
		} else if (b == '"') {
			in_str = true;
		} else if (b == '{' || b == '[') {
			if (++depth > max_depth) {
				snprintf(why, whylen, "nesting deeper than %u levels at byte %zu",
				         max_depth, cursor_offset(&c) - 1);
				return ENARX_E_MALFORMED;
			}
		} else if ((b == '}' || b == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

int http_json_parse(const void *buf, size_t len, unsigned max_depth, json_t **out, char *why,
                    size_t whylen)
{
	json_error_t e;
	json_t *j;

	*out = NULL;
	if (len == 0) {
		snprintf(why, whylen, "empty body: a JSON object is required");
		return ENARX_E_MALFORMED;
	}
	if (json__depth(buf, len, max_depth, why, whylen) != 0)
		return ENARX_E_MALFORMED;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		snprintf(why, whylen, "%s at line %d, column %d (byte %d)", e.text, e.line,
		         e.column, e.position);
		return ENARX_E_MALFORMED;
	}
	if (!json_is_object(j)) {
		snprintf(why, whylen, "the body must be a JSON object");
		json_decref(j);
		return ENARX_E_MALFORMED;
	}
	*out = j;
	return 0;
}

static const char *json__tname(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static const char *const json__want[] = {
    [HTTP_J_STRING] = "string", [HTTP_J_INT] = "integer", [HTTP_J_BOOL] = "boolean",
    [HTTP_J_OBJECT] = "object", [HTTP_J_ARRAY] = "array",
};

static bool json__is(const json_t *v, enum http_jtype t)
{
	switch (t) {
	case HTTP_J_STRING: return json_is_string(v);
	case HTTP_J_INT: return json_is_integer(v);
	case HTTP_J_BOOL: return json_is_boolean(v);
	case HTTP_J_OBJECT: return json_is_object(v);
	case HTTP_J_ARRAY: return json_is_array(v);
	}
	return false;
}

/* Checks the bounds of one value already known to be of f->type. */
static int json__bounds(const struct http_json_field *f, const json_t *v, char *why, size_t wl)
{
	int64_t x;
	const char *what = "";

	if (f->min == 0 && f->max == 0)
		return 0;
	switch (f->type) {
	case HTTP_J_STRING:
		x = (int64_t)json_string_length(v);
		what = " bytes long"; /* jansson already refused NUL bytes */
		break;
	case HTTP_J_INT: x = (int64_t)json_integer_value(v); break;
	case HTTP_J_ARRAY:
		x = (int64_t)json_array_size(v);
		what = " elements";
		break;
	default: return 0;
	}
	if (x < f->min || x > f->max) {
		snprintf(why, wl, "field '%s': %" PRId64 "%s is outside %" PRId64 "..%" PRId64,
		         f->name, x, what, f->min, f->max);
		return ENARX_E_MALFORMED;
	}
	return 0;
}

int http_json_check(const json_t *obj, const struct http_json_field *fields, size_t n, char *why,
                    size_t whylen)
{
	const char *key;
	json_t *v;

	for (size_t i = 0; i < n; i++) {
		const struct http_json_field *f = &fields[i];
		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->required) {
				snprintf(why, whylen, "field '%s' is required", f->name);
				return ENARX_E_MALFORMED;
			}
			continue;
		}
		if (!json__is(v, f->type)) {
			snprintf(why, whylen, "field '%s': expected %s, got %s", f->name,
			         json__want[f->type], json__tname(v));
			return ENARX_E_MALFORMED;
		}
		if (json__bounds(f, v, why, whylen) != 0)
			return ENARX_E_MALFORMED;
	}
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;
		for (i = 0; i < n && strcmp(fields[i].name, key) != 0; i++)
			;
		if (i == n) {
			snprintf(why, whylen, "unknown field '%.64s'", key);
			return ENARX_E_MALFORMED;
		}
	}
	return 0;
}
