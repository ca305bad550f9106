/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep's side of a key broker release, for the e2e tests: opens what
 * Steward sealed with HPKE to the Keep's EC key.
 * Usage: steward-keep-open KEY.pem INFO SEALED_BASE64 -> plaintext on stdout. */
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hpke.h"
#include "lib/hex.h"

int main(int argc, char **argv)
{
	FILE *f;
	EVP_PKEY *pk;
	BIGNUM *d = NULL;
	char group[64] = "";
	uint8_t sk[HPKE_MAX_SK_LEN], *in, *pt;
	size_t inlen, ptlen = 0, sklen;
	hpke_suite s = {0, 0, HPKE_AEAD_AES_256_GCM};
	hpke_key *k = NULL;
	hpke_ctx *c;
	int rc;

	if (argc != 4 || (f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: steward-keep-open KEY.pem INFO SEALED_BASE64\n");
		return 2;
	}
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL ||
	    !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                    NULL) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d)) {
		fprintf(stderr, "steward-keep-open: %s is not an EC private key\n", argv[1]);
		return 1;
	}
	if (strcmp(group, "prime256v1") == 0) {
		s.kem = HPKE_KEM_P256_SHA256;
		s.kdf = HPKE_KDF_HKDF_SHA256;
	} else {
		s.kem = HPKE_KEM_P384_SHA384;
		s.kdf = HPKE_KDF_HKDF_SHA384;
	}
	sklen = hpke_kem_sk_len(s.kem);
	BN_bn2binpad(d, sk, (int)sklen);
	BN_clear_free(d);
	EVP_PKEY_free(pk);
	inlen = strlen(argv[3]);
	in = malloc(inlen + 1);
	pt = malloc(inlen + 1);
	if (in == NULL || pt == NULL || base64_decode(argv[3], inlen, in, &inlen) != 0) {
		fprintf(stderr, "steward-keep-open: the sealed text is not base64\n");
		return 1;
	}
	hpke_params p = {
	    .mode = HPKE_MODE_BASE, .info = (const uint8_t *)argv[2], .info_len = strlen(argv[2])};
	if ((rc = hpke_key_from_private(s.kem, sk, sklen, &k)) != 0 ||
	    (c = hpke_ctx_new(s)) == NULL) {
		fprintf(stderr, "steward-keep-open: bad key (%d)\n", rc);
		return 1;
	}
	rc = hpke_open_single(c, k, &p, NULL, 0, in, inlen, pt, inlen, &ptlen);
	if (rc != 0) {
		fprintf(stderr, "steward-keep-open: cannot open: %s\n", hpke_ctx_error(c));
		return 1;
	}
	fwrite(pt, 1, ptlen, stdout);
	hpke_ctx_free(c);
	hpke_key_free(k);
	free(in);
	free(pt);
	return 0;
}
