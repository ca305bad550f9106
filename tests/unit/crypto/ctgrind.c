/* SPDX-License-Identifier: Apache-2.0 */
/* ctgrind target: runs one ML-KEM operation with its secret inputs marked
 * undefined for valgrind memcheck, so any branch or memory index that depends
 * on a secret is reported (test_ctgrind.sh runs it with --error-exitcode=1).
 * Usage: ctgrind keygen|encaps|decaps|leaky 512|768|1024 [portable]. "leaky"
 * is the canary: a branchy compare on a secret that memcheck must catch.
 * "portable" forces the portable C paths; without it the AVX2 paths run
 * where the (valgrind-emulated) CPU has AVX2. Prints the path taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <valgrind/memcheck.h>

#include "crypto/mlkem.h"
#include "crypto/mlkem_internal.h"

static uint8_t ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES], ct[MLKEM_MAX_CT_BYTES];
static uint8_t seed[64], m[32], ss[32], ss2[32];

/* Outputs are declassified before anyone looks at them. */
static void publish(void)
{
	VALGRIND_MAKE_MEM_DEFINED(ek, sizeof(ek));
	VALGRIND_MAKE_MEM_DEFINED(ct, sizeof(ct));
	VALGRIND_MAKE_MEM_DEFINED(ss, sizeof(ss));
	VALGRIND_MAKE_MEM_DEFINED(ss2, sizeof(ss2));
}

/* A deliberately leaky compare: exits early at the first difference. */
static int leaky_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static int run(const char *op, const struct mlkem_params *p)
{
	int rc;

	if (RAND_bytes(seed, sizeof(seed)) != 1 || RAND_bytes(m, sizeof(m)) != 1)
		return 2;
	/* Public setup (not under test): a key pair and a ciphertext. */
	if (mlkem_keygen_internal(p, seed, seed + 32, ek, dk) < 0 ||
	    mlkem_encaps_internal(p, ek, p->ek_bytes, m, ct, ss2) < 0)
		return 2;
	if (strcmp(op, "keygen") == 0) {
		VALGRIND_MAKE_MEM_UNDEFINED(seed, sizeof(seed)); /* d and z */
		rc = mlkem_keygen_internal(p, seed, seed + 32, ek, dk);
	} else if (strcmp(op, "encaps") == 0) {
		VALGRIND_MAKE_MEM_UNDEFINED(m, sizeof(m));
		rc = mlkem_encaps_internal(p, ek, p->ek_bytes, m, ct, ss);
	} else if (strcmp(op, "decaps") == 0) {
		/* dk_PKE and z are secret; the embedded ek and H(ek) are public. */
		VALGRIND_MAKE_MEM_UNDEFINED(dk, 384 * p->k);
		VALGRIND_MAKE_MEM_UNDEFINED(dk + p->dk_bytes - 32, 32);
		rc = mlkem_decaps(p, dk, p->dk_bytes, ct, p->ct_bytes, ss);
		if (rc == 0) {
			ct[0] ^= 1; /* the implicit-rejection path too */
			rc = mlkem_decaps(p, dk, p->dk_bytes, ct, p->ct_bytes, ss);
		}
	} else if (strcmp(op, "leaky") == 0) {
		VALGRIND_MAKE_MEM_UNDEFINED(m, sizeof(m));
		if (leaky_equal(m, ss2, 32))
			memset(ss, 1, sizeof(ss)); /* observable, so the compare is kept */
		rc = 0;
	} else {
		return 2;
	}
	publish();
	return rc < 0 ? 3 : 0;
}

int main(int argc, char **argv)
{
	char name[32];
	const struct mlkem_params *p;

	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "portable") == 0))
		return 2;
	mlkem__force_portable(argc == 4);
	printf("path: %s\n", mlkem__have_avx2() ? "avx2" : "portable");
	fflush(stdout);
	snprintf(name, sizeof(name), "ML-KEM-%s", argv[2]);
	p = mlkem_params_by_name(name);
	if (!p)
		return 2;
	return run(argv[1], p);
}
