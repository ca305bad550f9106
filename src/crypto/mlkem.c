/* SPDX-License-Identifier: Apache-2.0 */
/* ML-KEM (FIPS 203): K-PKE (algorithms 13-15) and the KEM built on it
 * (algorithms 16-18 and the section 7 checks), over an expanded key that
 * keeps A_hat^T, t_hat, H(ek) and s_hat, so a key used more than once (or
 * generated then used to decapsulate, as in TLS) samples its matrix once.
 * Polynomial work is in mlkem_poly.c, hashing in mlkem_hash.c. Secrets (d,
 * z, m, sigma, s, the decrypted message) are wiped with OPENSSL_cleanse. */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/mlkem.h"
#include "crypto/mlkem_internal.h"
#include "lib/err.h"

#define PARAMS(bits, K, E1, DU, DV)                \
	const struct mlkem_params mlkem_##bits = { \
	    .name = "ML-KEM-" #bits,               \
	    .k = K,                                \
	    .eta1 = E1,                            \
	    .eta2 = 2,                             \
	    .du = DU,                              \
	    .dv = DV,                              \
	    .ek_bytes = 384 * K + 32,              \
	    .dk_bytes = 768 * K + 96,              \
	    .ct_bytes = 32 * (DU * K + DV),        \
	}
PARAMS(512, 2, 3, 10, 4);
PARAMS(768, 3, 2, 10, 4);
PARAMS(1024, 4, 2, 11, 5);
#undef PARAMS

#define XOF_RATE 168 /* SHAKE128 */
#define XOF_FIRST 3  /* blocks squeezed before sampling: enough with p > 1 - 2^-60 */

typedef struct mlkem__poly poly;
typedef poly polyvec[MLKEM_MAX_K];

struct mlkem_key {
	const struct mlkem_params *p;
	int has_ek, has_dk;
	uint8_t ek[MLKEM_MAX_EK_BYTES];
	uint8_t dk[MLKEM_MAX_DK_BYTES];    /* secret */
	uint8_t h[32];                     /* H(ek) */
	poly at[MLKEM_MAX_K][MLKEM_MAX_K]; /* A_hat transposed: at[i][j] = A_hat[j][i] */
	polyvec t;                         /* t_hat */
	polyvec s;                         /* s_hat, secret */
};

const struct mlkem_params *mlkem_params_by_name(const char *name)
{
	static const struct mlkem_params *const all[] = {&mlkem_512, &mlkem_768, &mlkem_1024};

	for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcasecmp(name, all[i]->name) == 0)
			return all[i];
	return NULL;
}

/* The whole matrix: a[i][j] = A_hat[i][j] = SampleNTT(rho || j || i), or
 * A_hat^T (a[i][j] = A_hat[j][i]) for encryption. Entries are sampled four
 * at a time (four SHAKE128 streams in one 4-way Keccak); rho is public, so
 * the rejection sampling may branch and squeeze more when a stream runs
 * short. */
static void sample_matrix(const struct mlkem_params *p, poly a[MLKEM_MAX_K][MLKEM_MAX_K],
                          const uint8_t rho[32], int transposed)
{
	unsigned n = p->k * p->k;

	for (unsigned e = 0; e < n; e += 4) {
		struct mlkem__keccak_x4 x;
		uint8_t in[4][34], buf[4][XOF_FIRST * XOF_RATE];
		const uint8_t *const ins[4] = {in[0], in[1], in[2], in[3]};
		poly *f[4];
		unsigned got[4], more = 0;

		for (unsigned l = 0; l < 4; l++) {
			/* a batch past the end (k = 3) repeats the last entry, unused */
			unsigned idx = e + l < n ? e + l : n - 1, i = idx / p->k, j = idx % p->k;

			f[l] = &a[i][j];
			memcpy(in[l], rho, 32);
			in[l][32] = (uint8_t)(transposed ? i : j);
			in[l][33] = (uint8_t)(transposed ? j : i);
		}
		mlkem__keccak_x4_init(&x, XOF_RATE, ins, sizeof(in[0]), 0x1f);
		x.lanes = n - e < 4 ? n - e : 4;
		for (unsigned b = 0; b < XOF_FIRST; b++) {
			uint8_t *outs[4];

			for (unsigned l = 0; l < 4; l++)
				outs[l] = &buf[l][b * XOF_RATE];
			mlkem__keccak_x4_squeeze_block(&x, outs);
		}
		for (unsigned l = 0; l < 4 && e + l < n; l++) {
			got[l] = mlkem__sample_ntt(f[l], 0, buf[l], sizeof(buf[l]));
			more |= got[l] < MLKEM_N;
		}
		while (more) {
			uint8_t *const outs[4] = {buf[0], buf[1], buf[2], buf[3]};

			mlkem__keccak_x4_squeeze_block(&x, outs);
			more = 0;
			for (unsigned l = 0; l < 4 && e + l < n; l++) {
				got[l] = mlkem__sample_ntt(f[l], got[l], buf[l], XOF_RATE);
				more |= got[l] < MLKEM_N;
			}
		}
	}
}

/* f[i] = SamplePolyCBD_eta(PRF_eta(seed, nonce + i)) for i < count, four
 * PRF streams at a time. */
static void sample_noise(poly *const *f, unsigned count, const uint8_t seed[32], uint8_t nonce,
                         unsigned eta)
{
	uint8_t buf[4][64 * 3];
	uint8_t *const outs[4] = {buf[0], buf[1], buf[2], buf[3]};

	for (unsigned i = 0; i < count; i += 4) {
		uint8_t nonces[4];

		for (unsigned l = 0; l < 4; l++)
			nonces[l] = (uint8_t)(nonce + i + l);
		mlkem__prf_x4(seed, nonces, outs, 64 * eta, count - i < 4 ? count - i : 4);
		for (unsigned l = 0; l < 4 && i + l < count; l++)
			mlkem__sample_cbd(f[i + l], buf[l], eta);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* K-PKE.KeyGen (algorithm 13) into k: at, t, s, ek and dk_PKE. rho is
 * declassified because it goes out in ek. */
static int kpke_keygen(struct mlkem_key *k, const uint8_t d[32])
{
	const struct mlkem_params *p = k->p;
	polyvec e, col;
	poly *noise[2 * MLKEM_MAX_K];
	uint8_t g[64], dk_byte = (uint8_t)p->k;
	int rc = mlkem__g(d, 32, &dk_byte, 1, g);

	if (rc < 0)
		goto out;
	ct_declassify(g, 32);
	sample_matrix(p, k->at, g, 1);
	for (unsigned i = 0; i < p->k; i++) { /* s with nonces 0..k-1, e with k..2k-1 */
		noise[i] = &k->s[i];
		noise[p->k + i] = &e[i];
	}
	sample_noise(noise, 2 * p->k, g + 32, 0, p->eta1);
	for (unsigned i = 0; i < p->k; i++) {
		mlkem__ntt(&k->s[i]);
		mlkem__ntt(&e[i]);
	}
	for (unsigned i = 0; i < p->k; i++) {
		for (unsigned j = 0; j < p->k; j++) /* row i of A_hat */
			col[j] = k->at[j][i];
		mlkem__inner(&k->t[i], col, k->s, p->k);
		mlkem__poly_tomont(&k->t[i]);
		mlkem__poly_add(&k->t[i], &e[i]);
		mlkem__poly_encode(k->ek + 384 * i, &k->t[i], 12);
		mlkem__poly_encode(k->dk + 384 * i, &k->s[i], 12);
	}
	/* t as encryption sees it, decoded from ek: canonical, in [0, q) */
	for (unsigned i = 0; i < p->k; i++)
		mlkem__poly_decode(&k->t[i], k->ek + 384 * i, 12);
	memcpy(k->ek + 384 * p->k, g, 32);
	ct_declassify(k->ek, p->ek_bytes);
	ct_declassify(k->t, sizeof(k->t));
out:
	OPENSSL_cleanse(g, sizeof(g));
	OPENSSL_cleanse(e, sizeof(e));
	return rc;
}

/* K-PKE.Encrypt (algorithm 14) with k's expanded public key. */
static int kpke_encrypt(const struct mlkem_key *k, const uint8_t m[32], const uint8_t r[32],
                        uint8_t *ct)
{
	const struct mlkem_params *p = k->p;
	poly e2, mu, v;
	polyvec y, e1, u;
	poly *noise[2 * MLKEM_MAX_K + 1];

	/* y with nonces 0..k-1 (eta1), e1 with k..2k-1 and e2 with 2k (eta2) */
	for (unsigned i = 0; i < p->k; i++) {
		noise[i] = &y[i];
		noise[p->k + i] = &e1[i];
	}
	noise[2 * p->k] = &e2;
	if (p->eta1 == p->eta2) {
		sample_noise(noise, 2 * p->k + 1, r, 0, p->eta1);
	} else {
		sample_noise(noise, p->k, r, 0, p->eta1);
		sample_noise(noise + p->k, p->k + 1, r, (uint8_t)p->k, p->eta2);
	}
	for (unsigned i = 0; i < p->k; i++)
		mlkem__ntt(&y[i]);
	for (unsigned i = 0; i < p->k; i++) {
		mlkem__inner(&u[i], k->at[i], y, p->k);
		mlkem__invntt(&u[i]);
		mlkem__poly_add(&u[i], &e1[i]);
		mlkem__poly_encode(ct + 32 * p->du * i, &u[i], p->du);
	}
	mlkem__inner(&v, k->t, y, p->k);
	mlkem__invntt(&v);
	mlkem__poly_add(&v, &e2);
	mlkem__poly_decode(&mu, m, 1);
	mlkem__poly_add(&v, &mu);
	mlkem__poly_encode(ct + 32 * p->du * p->k, &v, p->dv);
	OPENSSL_cleanse(y, sizeof(y));
	OPENSSL_cleanse(e1, sizeof(e1));
	OPENSSL_cleanse(&e2, sizeof(e2));
	OPENSSL_cleanse(&mu, sizeof(mu));
	OPENSSL_cleanse(&v, sizeof(v));
	OPENSSL_cleanse(u, sizeof(u));
	return 0;
}

/* K-PKE.Decrypt (algorithm 15) with k's s_hat. */
static void kpke_decrypt(const struct mlkem_key *k, const uint8_t *ct, uint8_t m[32])
{
	const struct mlkem_params *p = k->p;
	polyvec u;
	poly v, w;

	for (unsigned i = 0; i < p->k; i++) {
		mlkem__poly_decode(&u[i], ct + 32 * p->du * i, p->du);
		mlkem__ntt(&u[i]);
	}
	mlkem__poly_decode(&v, ct + 32 * p->du * p->k, p->dv);
	mlkem__inner(&w, k->s, u, p->k);
	mlkem__invntt(&w);
	mlkem__poly_sub(&w, &v, &w);
	mlkem__poly_encode(m, &w, 1);
	OPENSSL_cleanse(&w, sizeof(w));
}

int mlkem_check_ek(const struct mlkem_params *p, const uint8_t *ek, size_t ek_len)
{
	if (!p || !ek || ek_len != p->ek_bytes)
		return ENARX_E_INVAL;
	for (unsigned i = 0; i < p->k; i++)
		if (!mlkem__poly_check12(ek + 384 * i))
			return ENARX_E_INVAL;
	return 0;
}

int mlkem_check_dk(const struct mlkem_params *p, const uint8_t *dk, size_t dk_len)
{
	uint8_t h[32], differ;

	if (!p || !dk || dk_len != p->dk_bytes)
		return ENARX_E_INVAL;
	if (mlkem__h(dk + 384 * p->k, p->ek_bytes, h) < 0)
		return ENARX_E_INTERNAL;
	differ = ct_neq_mask(h, dk + 768 * p->k + 32, 32);
	ct_declassify(&differ, 1); /* the verdict is public: the caller is told */
	return differ ? ENARX_E_INVAL : 0;
}

/* --- expanded keys --------------------------------------------------- */

struct mlkem_key *mlkem_key_new(const struct mlkem_params *p)
{
	struct mlkem_key *k = p ? OPENSSL_malloc(sizeof(*k)) : NULL;

	if (k) {
		k->p = p;
		k->has_ek = k->has_dk = 0;
	}
	return k;
}

void mlkem_key_free(struct mlkem_key *k)
{
	if (!k)
		return;
	/* always: a generation that failed half-way leaves s without has_dk */
	OPENSSL_cleanse(k->dk, sizeof(k->dk));
	OPENSSL_cleanse(k->s, sizeof(k->s));
	OPENSSL_free(k);
}

struct mlkem_key *mlkem_key_dup(const struct mlkem_key *k, int with_private)
{
	struct mlkem_key *d = k ? OPENSSL_memdup(k, sizeof(*k)) : NULL;

	if (d && !with_private && d->has_dk) {
		OPENSSL_cleanse(d->dk, sizeof(d->dk));
		OPENSSL_cleanse(d->s, sizeof(d->s));
		d->has_dk = 0;
	}
	return d;
}

const struct mlkem_params *mlkem_key_params(const struct mlkem_key *k)
{
	return k->p;
}

const uint8_t *mlkem_key_ek(const struct mlkem_key *k)
{
	return k->has_ek ? k->ek : NULL;
}

const uint8_t *mlkem_key_dk(const struct mlkem_key *k)
{
	return k->has_dk ? k->dk : NULL;
}

/* at and t from k->ek (already checked). */
static int expand_ek(struct mlkem_key *k)
{
	for (unsigned i = 0; i < k->p->k; i++)
		mlkem__poly_decode(&k->t[i], k->ek + 384 * i, 12);
	sample_matrix(k->p, k->at, k->ek + 384 * k->p->k, 1);
	return 0;
}

int mlkem_key_set_ek(struct mlkem_key *k, const uint8_t *ek, size_t ek_len)
{
	int rc = mlkem_check_ek(k->p, ek, ek_len);

	k->has_ek = k->has_dk = 0;
	if (rc == 0) {
		memcpy(k->ek, ek, ek_len);
		rc = mlkem__h(ek, ek_len, k->h);
	}
	if (rc == 0)
		rc = expand_ek(k);
	k->has_ek = rc == 0;
	return rc;
}

int mlkem_key_set_dk(struct mlkem_key *k, const uint8_t *dk, size_t dk_len)
{
	const struct mlkem_params *p = k->p;
	int rc = mlkem_check_dk(p, dk, dk_len);

	k->has_ek = k->has_dk = 0;
	if (rc < 0)
		return rc;
	memcpy(k->dk, dk, dk_len);
	memcpy(k->ek, dk + 384 * p->k, p->ek_bytes);
	memcpy(k->h, dk + 768 * p->k + 32, 32); /* just checked against ek */
	for (unsigned i = 0; i < p->k; i++)
		mlkem__poly_decode(&k->s[i], k->dk + 384 * i, 12);
	rc = expand_ek(k);
	k->has_ek = k->has_dk = rc == 0;
	return rc;
}

int mlkem_key_generate(struct mlkem_key *k, const uint8_t d[32], const uint8_t z[32])
{
	const struct mlkem_params *p = k->p;
	size_t k384 = 384 * (size_t)p->k;
	uint8_t dz[64];
	int rc = 0;

	k->has_ek = k->has_dk = 0;
	if (!d || !z)
		rc = RAND_priv_bytes(dz, sizeof(dz)) == 1 ? 0 : ENARX_E_INTERNAL;
	if (rc == 0)
		rc = kpke_keygen(k, d ? d : dz);
	if (rc == 0)
		rc = mlkem__h(k->ek, p->ek_bytes, k->h);
	if (rc == 0) {
		memcpy(k->dk + k384, k->ek, p->ek_bytes);
		memcpy(k->dk + k384 + p->ek_bytes, k->h, 32);
		memcpy(k->dk + k384 + p->ek_bytes + 32, z ? z : dz + 32, 32);
		k->has_ek = k->has_dk = 1;
	}
	OPENSSL_cleanse(dz, sizeof(dz));
	return rc;
}

int mlkem_key_encaps(const struct mlkem_key *k, const uint8_t *m, uint8_t *ct, uint8_t ss[32])
{
	uint8_t kr[64], mr[32];
	int rc = k->has_ek ? 0 : ENARX_E_INVAL;

	if (rc == 0 && !m)
		rc = RAND_priv_bytes(mr, sizeof(mr)) == 1 ? 0 : ENARX_E_INTERNAL;
	if (rc == 0)
		rc = mlkem__g(m ? m : mr, 32, k->h, 32, kr);
	if (rc == 0)
		rc = kpke_encrypt(k, m ? m : mr, kr + 32, ct);
	if (rc == 0)
		memcpy(ss, kr, 32);
	OPENSSL_cleanse(kr, sizeof(kr));
	OPENSSL_cleanse(mr, sizeof(mr));
	return rc;
}

int mlkem_key_decaps(const struct mlkem_key *k, const uint8_t *ct, size_t ct_len, uint8_t ss[32])
{
	const struct mlkem_params *p = k->p;
	uint8_t m[32], kr[64], kbar[32], ct2[MLKEM_MAX_CT_BYTES];
	int rc = k->has_dk && ct && ct_len == p->ct_bytes ? 0 : ENARX_E_INVAL;

	if (rc < 0)
		return rc;
	kpke_decrypt(k, ct, m);
	rc = mlkem__g(m, 32, k->h, 32, kr);
	if (rc == 0)
		rc = mlkem__j(k->dk + p->dk_bytes - 32, ct, ct_len, kbar);
	if (rc == 0)
		rc = kpke_encrypt(k, m, kr + 32, ct2);
	if (rc == 0) {
		/* implicit rejection: K' unless c' != c, then J(z || c) */
		ct_select(kr, kbar, 32, ct_neq_mask(ct, ct2, ct_len));
		memcpy(ss, kr, 32);
	}
	OPENSSL_cleanse(m, sizeof(m));
	OPENSSL_cleanse(kr, sizeof(kr));
	OPENSSL_cleanse(kbar, sizeof(kbar));
	OPENSSL_cleanse(ct2, sizeof(ct2));
	return rc;
}

/* --- one-shot forms over byte strings -------------------------------- */

int mlkem_keygen_internal(const struct mlkem_params *p, const uint8_t d[32], const uint8_t z[32],
                          uint8_t *ek, uint8_t *dk)
{
	struct mlkem_key *k = mlkem_key_new(p);
	int rc = k ? mlkem_key_generate(k, d, z) : ENARX_E_NOMEM;

	if (rc == 0) {
		memcpy(ek, k->ek, p->ek_bytes);
		memcpy(dk, k->dk, p->dk_bytes);
	}
	mlkem_key_free(k);
	return rc;
}

int mlkem_keygen_seed(const struct mlkem_params *p, const uint8_t *seed, size_t seed_len,
                      uint8_t *ek, uint8_t *dk)
{
	if (!seed || seed_len != 64)
		return ENARX_E_INVAL;
	return mlkem_keygen_internal(p, seed, seed + 32, ek, dk);
}

int mlkem_encaps_internal(const struct mlkem_params *p, const uint8_t *ek, size_t ek_len,
                          const uint8_t m[32], uint8_t *ct, uint8_t ss[32])
{
	struct mlkem_key *k = mlkem_key_new(p);
	int rc = k ? mlkem_key_set_ek(k, ek, ek_len) : ENARX_E_NOMEM;

	if (rc == 0)
		rc = mlkem_key_encaps(k, m, ct, ss);
	mlkem_key_free(k);
	return rc;
}

int mlkem_decaps(const struct mlkem_params *p, const uint8_t *dk, size_t dk_len, const uint8_t *ct,
                 size_t ct_len, uint8_t ss[32])
{
	struct mlkem_key *k;
	int rc;

	if (!ct || ct_len != p->ct_bytes)
		return ENARX_E_INVAL;
	k = mlkem_key_new(p);
	rc = k ? mlkem_key_set_dk(k, dk, dk_len) : ENARX_E_NOMEM;
	if (rc == 0)
		rc = mlkem_key_decaps(k, ct, ct_len, ss);
	mlkem_key_free(k);
	return rc;
}

int mlkem_keygen(const struct mlkem_params *p, uint8_t *ek, uint8_t *dk)
{
	return mlkem_keygen_internal(p, NULL, NULL, ek, dk);
}

int mlkem_encaps(const struct mlkem_params *p, const uint8_t *ek, size_t ek_len, uint8_t *ct,
                 uint8_t ss[32])
{
	return mlkem_encaps_internal(p, ek, ek_len, NULL, ct, ss);
}
