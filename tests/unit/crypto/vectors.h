/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the crypto unit tests: open files under
 * $ENARX_SHARED/testdata/crypto, decode hex into owned buffers, and find a
 * test by (tgId, tcId) in an ACVP expectedResults tree. */
#ifndef ENARX_TEST_CRYPTO_VECTORS_H
#define ENARX_TEST_CRYPTO_VECTORS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/hex.h"

struct hexbuf {
	uint8_t *p;
	size_t n;
};

static inline void vec_path(char *out, size_t n, const char *rel)
{
	const char *shared = getenv("ENARX_SHARED");

	snprintf(out, n, "%s/testdata/crypto/%s", shared ? shared : "../shared", rel);
}

/* Loads a JSON file; aborts the test program with a message if it fails. */
static inline json_t *vec_json(const char *rel)
{
	char path[1024];
	json_error_t err;
	json_t *j;

	vec_path(path, sizeof(path), rel);
	j = json_load_file(path, 0, &err);
	if (!j) {
		fprintf(stderr, "# %s:%d: %s\n", path, err.line, err.text);
		abort();
	}
	return j;
}

/* Hex (either case) to a malloc'd buffer; aborts on a malformed string. */
static inline struct hexbuf vec_hex(const char *s)
{
	struct hexbuf b = {NULL, 0};
	size_t len = s ? strlen(s) : 0;

	b.n = len / 2;
	b.p = malloc(b.n + 1);
	if (!b.p || len % 2 || hex_decode(s, len, b.p, b.n) < 0) {
		fprintf(stderr, "# bad hex string '%.40s'\n", s ? s : "(null)");
		abort();
	}
	return b;
}

static inline struct hexbuf vec_field(json_t *obj, const char *key)
{
	return vec_hex(json_string_value(json_object_get(obj, key)));
}

static inline int vec_int(json_t *obj, const char *key)
{
	return (int)json_integer_value(json_object_get(obj, key));
}

/* The expectedResults test with this (tgId, tcId), or NULL. */
static inline json_t *acvp_expected(json_t *exp, int tg, int tc)
{
	size_t i, j;
	json_t *g, *t;

	json_array_foreach(json_object_get(exp, "testGroups"), i, g)
	{
		if (vec_int(g, "tgId") != tg)
			continue;
		json_array_foreach(json_object_get(g, "tests"), j,
		                   t) if (vec_int(t, "tcId") == tc) return t;
	}
	return NULL;
}

#endif
