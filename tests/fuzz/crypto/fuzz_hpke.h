/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the HPKE open fuzz target and its seed writer: the input layout
 * [suite index][mode][u16 n][enc || ct: n bytes] then records [u16 n][ct],
 * and the fixed keys both sides derive. */
#ifndef ENARX_FUZZ_HPKE_H
#define ENARX_FUZZ_HPKE_H

#include <string.h>

#include "crypto/hpke.h"

static const hpke_suite fuzz_suites[] = {
    {HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_128_GCM},
    {HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_CHACHA20_POLY1305},
    {HPKE_KEM_P256_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_128_GCM},
    {HPKE_KEM_P384_SHA384, HPKE_KDF_HKDF_SHA384, HPKE_AEAD_AES_256_GCM},
    {HPKE_KEM_P521_SHA512, HPKE_KDF_HKDF_SHA512, HPKE_AEAD_AES_256_GCM},
    {HPKE_KEM_X448_SHA512, HPKE_KDF_HKDF_SHA512, HPKE_AEAD_CHACHA20_POLY1305},
};
#define FUZZ_NSUITES (sizeof(fuzz_suites) / sizeof(fuzz_suites[0]))

static const uint8_t fuzz_psk[32] = "fuzz pre-shared key, 32 bytes...";
static const uint8_t fuzz_info[] = "fuzz info";
static const uint8_t fuzz_aad[] = "fuzz aad";

/* Key pairs of the recipient and the (auth) sender for a suite. */
static inline int fuzz_keys(hpke_suite s, hpke_key **skR, hpke_key **skS)
{
	static const uint8_t r[] = "enarx hpke fuzz recipient ikm, 32+ bytes long";
	static const uint8_t a[] = "enarx hpke fuzz sender ikm, 32+ bytes long....";

	if (hpke_key_derive(s.kem, r, sizeof(r), skR))
		return -1;
	return hpke_key_derive(s.kem, a, sizeof(a), skS);
}

static inline hpke_params fuzz_params(unsigned mode, const hpke_key *auth)
{
	hpke_params p;

	memset(&p, 0, sizeof(p));
	p.mode = (enum hpke_mode)(mode & 3);
	p.info = fuzz_info;
	p.info_len = sizeof(fuzz_info);
	if (p.mode == HPKE_MODE_PSK || p.mode == HPKE_MODE_AUTH_PSK) {
		p.psk = fuzz_psk;
		p.psk_len = sizeof(fuzz_psk);
		p.psk_id = (const uint8_t *)"fuzz";
		p.psk_id_len = 4;
	}
	if (p.mode == HPKE_MODE_AUTH || p.mode == HPKE_MODE_AUTH_PSK)
		p.auth_key = auth;
	return p;
}

#endif
