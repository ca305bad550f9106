/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the HPKE recipient path (hpke_open_single on enc || ct, then
 * hpke_open on each following record of the stream) for six suites and all
 * four modes; input layout in fuzz_hpke.h. */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/hpke.h"
#include "fuzz_hpke.h"
#include "lib/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hpke_key *skR[FUZZ_NSUITES], *skS[FUZZ_NSUITES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pt[65536];
	struct cursor cur;
	uint8_t si, mode;
	uint16_t n;
	const uint8_t *p;
	size_t got;

	cursor_init(&cur, data, size);
	if (cursor_u8(&cur, &si) || cursor_u8(&cur, &mode) || cursor_u16be(&cur, &n) ||
	    cursor_bytes(&cur, n, &p))
		return 0;
	si %= FUZZ_NSUITES;
	if (!skR[si] && fuzz_keys(fuzz_suites[si], &skR[si], &skS[si]))
		abort();
	hpke_ctx *c = hpke_ctx_new(fuzz_suites[si]);
	if (!c)
		abort();
	hpke_params prm = fuzz_params(mode, skS[si]);
	int rc = hpke_open_single(c, skR[si], &prm, fuzz_aad, sizeof(fuzz_aad), p, n, pt,
	                          sizeof(pt), &got);
	while (!rc && !cursor_u16be(&cur, &n) && !cursor_bytes(&cur, n, &p))
		rc = hpke_open(c, fuzz_aad, sizeof(fuzz_aad), p, n, pt, sizeof(pt), &got);
	hpke_ctx_free(c);
	return 0;
}
