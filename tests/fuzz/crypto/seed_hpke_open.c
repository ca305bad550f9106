/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the seed corpus of fuzz_hpke_open: for every suite and mode one
 * valid stream (a single-shot message and two records) in the layout of
 * fuzz_hpke.h. Usage: seed_hpke_open DIR (run by hand when that changes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/hpke.h"
#include "fuzz_hpke.h"

static size_t put16(uint8_t *p, size_t n)
{
	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	return 2;
}

static int seed(const char *dir, unsigned si, unsigned mode)
{
	hpke_suite s = fuzz_suites[si];
	hpke_key *skR = NULL, *skS = NULL;
	hpke_ctx *c = hpke_ctx_new(s);
	uint8_t buf[1024], *p = buf + 2;
	size_t n = 0, used = 0;
	char path[512];
	int rc = !c || fuzz_keys(s, &skR, &skS);

	buf[0] = (uint8_t)si;
	buf[1] = (uint8_t)mode;
	hpke_params prm = fuzz_params(mode, skS);
	if (!rc)
		rc = hpke_seal_single(c, skR, &prm, fuzz_aad, sizeof(fuzz_aad),
		                      (const uint8_t *)"first", 5, p + 2, 400, &n);
	used = 2 + put16(p, n) + n;
	for (int i = 0; !rc && i < 2; i++) {
		p = buf + used;
		rc = hpke_seal(c, fuzz_aad, sizeof(fuzz_aad), (const uint8_t *)"record", 6 * i,
		               p + 2, 100, &n);
		used += put16(p, n) + n;
	}
	snprintf(path, sizeof(path), "%s/suite%u-mode%u", dir, si, mode);
	FILE *f = rc ? NULL : fopen(path, "wb");
	if (!f || fwrite(buf, 1, used, f) != used || fclose(f)) {
		fprintf(stderr, "seed_hpke_open: %s: %s\n", path, c ? hpke_ctx_error(c) : "");
		rc = 1;
	}
	hpke_ctx_free(c);
	hpke_key_free(skR);
	hpke_key_free(skS);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (unsigned si = 0; si < FUZZ_NSUITES; si++)
		for (unsigned mode = 0; mode < 4; mode++)
			rc |= seed(argv[1], si, mode);
	return rc;
}
