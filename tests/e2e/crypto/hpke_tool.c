/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper for the HPKE interop test: seals or opens one message with
 * keys derived from given ikm (DeriveKeyPair), so an independent
 * implementation can check us in both directions.
 *   hpke_tool seal|open KEM KDF AEAD MODE IKMR IKMS INFO PSK PSKID AAD DATA
 * Numbers in decimal, byte strings in hex ("-" = empty). Prints the output
 * (enc||ct for seal, pt for open) and a 32-byte export of "interop" in hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hpke.h"
#include "lib/err.h"
#include "lib/hex.h"

static size_t unhex(const char *s, uint8_t **out)
{
	size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s) / 2;

	*out = malloc(n + 1);
	if (!*out || (n && hex_decode(s, 2 * n, *out, n))) {
		fprintf(stderr, "hpke_tool: bad hex '%s'\n", s);
		exit(2);
	}
	return n;
}

static void put(const uint8_t *p, size_t n, const char *end)
{
	char *h = malloc(2 * n + 1);

	hex_encode(p, n, h);
	printf("%s%s", n ? h : "-", end);
	free(h);
}

int main(int argc, char **argv)
{
	uint8_t *ikmR, *ikmS, *info, *psk, *psk_id, *aad, *data, exp[32];
	hpke_key *skR = NULL, *skS = NULL;
	size_t n = 0;
	int rc;

	if (argc != 13) {
		fprintf(stderr, "usage: hpke_tool seal|open KEM KDF AEAD MODE IKMR IKMS INFO PSK "
		                "PSKID AAD DATA\n");
		return 2;
	}
	hpke_suite s = {(uint16_t)strtoul(argv[2], NULL, 0), (uint16_t)strtoul(argv[3], NULL, 0),
	                (uint16_t)strtoul(argv[4], NULL, 0)};
	hpke_params p = {(enum hpke_mode)strtoul(argv[5], NULL, 0)};
	size_t nr = unhex(argv[6], &ikmR), ns = unhex(argv[7], &ikmS);
	p.info_len = unhex(argv[8], &info);
	p.psk_len = unhex(argv[9], &psk);
	p.psk_id_len = unhex(argv[10], &psk_id);
	size_t naad = unhex(argv[11], &aad), nd = unhex(argv[12], &data);
	p.info = info;
	p.psk = p.psk_len ? psk : NULL;
	p.psk_id = p.psk_id_len ? psk_id : NULL;
	hpke_ctx *c = hpke_ctx_new(s);
	uint8_t *out = malloc(nd + HPKE_MAX_ENC_LEN + HPKE_TAG_LEN);
	if (!c || !out)
		return 1;
	rc = hpke_key_derive(s.kem, ikmR, nr, &skR);
	if (!rc && ns)
		rc = hpke_key_derive(s.kem, ikmS, ns, &skS);
	p.auth_key = skS; /* a key pair serves as pkS for the recipient too */
	if (!rc && strcmp(argv[1], "seal") == 0)
		rc = hpke_seal_single(c, skR, &p, aad, naad, data, nd, out,
		                      nd + HPKE_MAX_ENC_LEN + HPKE_TAG_LEN, &n);
	else if (!rc)
		rc = hpke_open_single(c, skR, &p, aad, naad, data, nd, out, nd, &n);
	if (!rc)
		rc = hpke_export(c, (const uint8_t *)"interop", 7, exp, sizeof(exp));
	if (rc) {
		fprintf(stderr, "hpke_tool: %s (%s)\n", hpke_ctx_error(c), enarx_errname(rc));
		return 1;
	}
	put(out, n, " ");
	put(exp, sizeof(exp), "\n");
	hpke_ctx_free(c);
	hpke_key_free(skR);
	hpke_key_free(skS);
	free(out);
	free(ikmR);
	free(ikmS);
	free(info);
	free(psk);
	free(psk_id);
	free(aad);
	free(data);
	return 0;
}
