/* SPDX-License-Identifier: Apache-2.0 */
/* ML-KEM (FIPS 203, final): ML-KEM-512/768/1024 key generation, encapsulation
 * and decapsulation with implicit rejection, and the section 7 input checks.
 * Constant time in the secrets (see docs/post-quantum.md and the ctgrind
 * test); SHA3/SHAKE come from OpenSSL's EVP. */
#ifndef ENARX_CRYPTO_MLKEM_H
#define ENARX_CRYPTO_MLKEM_H

#include <stddef.h>
#include <stdint.h>

#define MLKEM_SEED_BYTES 32 /* d, z and m are 32 bytes each */
#define MLKEM_SS_BYTES 32   /* shared secret K */
#define MLKEM_MAX_EK_BYTES 1568
#define MLKEM_MAX_DK_BYTES 3168
#define MLKEM_MAX_CT_BYTES 1568

/* The three parameter sets of FIPS 203 section 8, table 2. */
struct mlkem_params {
	const char *name; /* "ML-KEM-768" */
	unsigned k, eta1, eta2, du, dv;
	size_t ek_bytes, dk_bytes, ct_bytes;
};

extern const struct mlkem_params mlkem_512, mlkem_768, mlkem_1024;

/* Returns the parameter set named "ML-KEM-512", "-768" or "-1024"
 * (case-insensitive), or NULL. */
const struct mlkem_params *mlkem_params_by_name(const char *name);

/* ML-KEM.KeyGen_internal(d, z) (FIPS 203 algorithm 16): writes ek
 * (p->ek_bytes) and dk (p->dk_bytes). Returns 0, or ENARX_E_NOMEM /
 * ENARX_E_INTERNAL (no randomness for the DRBG forms). */
int mlkem_keygen_internal(const struct mlkem_params *p, const uint8_t d[32], const uint8_t z[32],
                          uint8_t *ek, uint8_t *dk);

/* KeyGen from the 64-byte seed d || z (the seed private-key form).
 * Errors: ENARX_E_INVAL (seed_len != 64), and as mlkem_keygen_internal. */
int mlkem_keygen_seed(const struct mlkem_params *p, const uint8_t *seed, size_t seed_len,
                      uint8_t *ek, uint8_t *dk);

/* ML-KEM.Encaps_internal(ek, m) (algorithm 17) after the section 7.2
 * check of ek (ek_len must be p->ek_bytes): writes ct (p->ct_bytes) and the
 * shared secret ss (32 bytes). Errors: ENARX_E_INVAL (ek fails the length or
 * modulus check), ENARX_E_NOMEM, ENARX_E_INTERNAL. */
int mlkem_encaps_internal(const struct mlkem_params *p, const uint8_t *ek, size_t ek_len,
                          const uint8_t m[32], uint8_t *ct, uint8_t ss[32]);

/* ML-KEM.Decaps (algorithm 18) after the section 7.3 checks (lengths and
 * H(ek) inside dk): writes ss (32 bytes). A ciphertext that does not
 * re-encrypt gives the implicit-rejection key J(z || c), not an error.
 * Errors: ENARX_E_INVAL (wrong lengths or dk hash check), ENARX_E_NOMEM,
 * ENARX_E_INTERNAL. */
int mlkem_decaps(const struct mlkem_params *p, const uint8_t *dk, size_t dk_len, const uint8_t *ct,
                 size_t ct_len, uint8_t ss[32]);

/* FIPS 203 section 7.2: 0 if ek has the right length and every 12-bit
 * coefficient is below q; ENARX_E_INVAL otherwise. */
int mlkem_check_ek(const struct mlkem_params *p, const uint8_t *ek, size_t ek_len);

/* FIPS 203 section 7.3 (the hash check): 0 if dk has the right length and
 * H(ek) stored in dk matches its embedded ek; ENARX_E_INVAL otherwise. */
int mlkem_check_dk(const struct mlkem_params *p, const uint8_t *dk, size_t dk_len);

/* An expanded key: the byte forms plus A_hat, t_hat, H(ek) and, with a
 * private key, s_hat, so repeated use (or decapsulating with a key just
 * generated, as a TLS client does) skips the matrix expansion. About 17 KiB;
 * the private parts are wiped by mlkem_key_free. Not shared between threads
 * while being set. */
struct mlkem_key;

/* NULL on allocation failure. free accepts NULL. dup copies (with_private 0
 * drops the private part). */
struct mlkem_key *mlkem_key_new(const struct mlkem_params *p);
void mlkem_key_free(struct mlkem_key *k);
struct mlkem_key *mlkem_key_dup(const struct mlkem_key *k, int with_private);

/* Sets the key from ek (section 7.2 check) or dk (section 7.3 check, which
 * also gives ek). Errors: ENARX_E_INVAL, ENARX_E_INTERNAL. */
int mlkem_key_set_ek(struct mlkem_key *k, const uint8_t *ek, size_t ek_len);
int mlkem_key_set_dk(struct mlkem_key *k, const uint8_t *dk, size_t dk_len);

/* KeyGen_internal(d, z), or with fresh randomness when d or z is NULL. */
int mlkem_key_generate(struct mlkem_key *k, const uint8_t d[32], const uint8_t z[32]);

/* Encaps_internal(ek, m) (m NULL: fresh randomness) and Decaps; errors as
 * the one-shot forms, ENARX_E_INVAL when the key lacks the needed part. */
int mlkem_key_encaps(const struct mlkem_key *k, const uint8_t *m, uint8_t *ct, uint8_t ss[32]);
int mlkem_key_decaps(const struct mlkem_key *k, const uint8_t *ct, size_t ct_len, uint8_t ss[32]);

/* Borrowed views: the set, the encoded ek and dk (NULL when absent). */
const struct mlkem_params *mlkem_key_params(const struct mlkem_key *k);
const uint8_t *mlkem_key_ek(const struct mlkem_key *k);
const uint8_t *mlkem_key_dk(const struct mlkem_key *k);

/* KeyGen and Encaps with fresh randomness from OpenSSL's DRBG
 * (RAND_priv_bytes). Errors as the _internal forms. */
int mlkem_keygen(const struct mlkem_params *p, uint8_t *ek, uint8_t *dk);
int mlkem_encaps(const struct mlkem_params *p, const uint8_t *ek, size_t ek_len, uint8_t *ct,
                 uint8_t ss[32]);

#endif
