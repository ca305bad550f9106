/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the bytes ML-KEM and the TLS group KEMs take from a peer.
 * The first input byte picks the entry point (mod 4): 0 an ML-KEM-768 ek
 * (check, then encapsulate: the check passing must mean encapsulation
 * works), 1 an ML-KEM-768 dk and ciphertext (split at the dk size), 2 an
 * X25519MLKEM768 client share (server side), 3 a server share decapsulated
 * by a fixed client key (client side). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/mlkem.h"
#include "crypto/pqgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_ek(const uint8_t *d, size_t n)
{
	uint8_t ct[MLKEM_MAX_CT_BYTES], ss[32], m[32] = {1};
	int ok = mlkem_check_ek(&mlkem_768, d, n) == 0;

	assert(ok == (mlkem_encaps_internal(&mlkem_768, d, n, m, ct, ss) == 0));
}

static void fuzz_dk(const uint8_t *d, size_t n)
{
	size_t split = n < mlkem_768.dk_bytes ? n : mlkem_768.dk_bytes;
	uint8_t ss[32];

	mlkem_decaps(&mlkem_768, d, split, d + split, n - split, ss);
}

static void fuzz_client_share(const uint8_t *d, size_t n)
{
	const struct pqgroup *g = pqgroup_by_name("X25519MLKEM768");
	uint8_t share[PQGROUP_MAX_SERVER_SHARE], secret[64];

	pqgroup_encaps(NULL, g, d, n, NULL, NULL, share, secret);
}

static void fuzz_server_share(const uint8_t *d, size_t n)
{
	static struct pqgroup_key k;
	static const uint8_t seed[64] = {7}, ec_priv[32] = {9};
	const struct pqgroup *g = pqgroup_by_name("X25519MLKEM768");
	uint8_t share[PQGROUP_MAX_CLIENT_SHARE], secret[64];

	if (!k.kem && pqgroup_keygen(NULL, g, seed, ec_priv, &k, share) != 0)
		return;
	pqgroup_decaps(NULL, g, &k, d, n, secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: fuzz_ek(data + 1, size - 1); break;
	case 1: fuzz_dk(data + 1, size - 1); break;
	case 2: fuzz_client_share(data + 1, size - 1); break;
	default: fuzz_server_share(data + 1, size - 1); break;
	}
	return 0;
}
