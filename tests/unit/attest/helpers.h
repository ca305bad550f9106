/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers for the attest unit tests: load real evidence from
 * $ENARX_SHARED/testdata/attestation and verify it at a fixed time. */
#ifndef ENARX_TEST_ATTEST_HELPERS_H
#define ENARX_TEST_ATTEST_HELPERS_H

#include <enarx/attest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/attest_int.h"

typedef struct {
	uint8_t *p;
	size_t n;
} blob;

static inline blob load(const char *rel)
{
	const char *shared = getenv("ENARX_SHARED");
	char path[1024];
	blob b = {NULL, 0};
	snprintf(path, sizeof(path), "%s/testdata/attestation/%s", shared ? shared : "../shared",
	         rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "# cannot open %s\n", path);
		return b;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	b.p = malloc(n > 0 ? (size_t)n + 1 : 1);
	if (b.p && fread(b.p, 1, (size_t)n, f) == (size_t)n)
		b.n = (size_t)n;
	fclose(f);
	return b;
}

static inline time_t T(const char *iso)
{
	time_t t = 0;
	char buf[40];
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", iso);
	if (attest_parse_time(buf, &t))
		abort();
	return t;
}

/* Evidence from a file plus supporting files (NULL-terminated list). */
static inline enarx_evidence *bundle(const char *evidence, const char *const *extra,
                                     bool allow_trailing)
{
	enarx_evidence *ev = enarx_evidence_new();
	blob b = load(evidence);
	if (!ev || !b.p || enarx_evidence_set_auto(ev, b.p, b.n))
		abort();
	free(b.p);
	enarx_evidence_allow_trailing_data(ev, allow_trailing);
	for (int i = 0; extra && extra[i]; i++) {
		blob x = load(extra[i]);
		if (!x.p || enarx_evidence_add(ev, x.p, x.n)) {
			fprintf(stderr, "# cannot add %s\n", extra[i]);
			abort();
		}
		free(x.p);
	}
	return ev;
}

#endif
