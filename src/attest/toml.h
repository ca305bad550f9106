/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, bounded TOML subset for policy files: comments, [table] and
 * [a.b] headers, bare or quoted keys, basic/literal strings, integers,
 * booleans, and (multi-line) arrays of those. Errors carry line numbers.
 * Anything outside the subset is an error, never silently ignored.
 */
#ifndef ENARX_ATTEST_TOML_H
#define ENARX_ATTEST_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type { TOML_STRING, TOML_INT, TOML_BOOL, TOML_ARRAY };

struct toml_val {
	enum toml_type type;
	char *s;            /* TOML_STRING */
	int64_t i;          /* TOML_INT */
	bool b;             /* TOML_BOOL */
	struct toml_val *a; /* TOML_ARRAY elements */
	size_t n;
};

struct toml_kv {
	char *table; /* "" for the root, "snp", "measurements.snp", ... */
	char *key;
	struct toml_val v;
	int line;
};

struct toml_doc {
	struct toml_kv *kv;
	size_t n;
};

#define TOML_MAX_SIZE (1u << 20) /* policy files are small */
#define TOML_MAX_ITEMS 4096

/* Parses text; on error returns a negative ENARX_E_* and "line N: what" in err. */
int toml_parse(const char *text, size_t len, struct toml_doc *doc, char *err, size_t errlen);
void toml_free(struct toml_doc *doc);

#endif
