/* SPDX-License-Identifier: Apache-2.0 */
/* HPKE contexts (RFC 9180 sections 4.1, 5 and 6): DHKEM Encap/Decap (with
 * their Auth variants), the key schedule, Seal/Open with the sequence number
 * and Export, plus the single-shot API. Keys and the labeled HKDF live in
 * hpke_key.c and hpke_kdf.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/hpke_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

enum role { ROLE_NONE, ROLE_SENDER, ROLE_RECIPIENT };

struct hpke_ctx {
	hpke_suite suite;
	const struct hpke__kem *kem;
	const struct hpke__kdf *kdf;
	const struct hpke__aead *aead;
	struct hpke__sid sid; /* "HPKE" || kem || kdf || aead */
	enum role role;
	uint64_t seq;
	uint8_t key[HPKE__MAX_NK];
	uint8_t base_nonce[HPKE__NN];
	uint8_t exporter_secret[HPKE__MAX_NH];
	EVP_CIPHER *cipher; /* NULL for export-only */
	EVP_CIPHER_CTX *cctx;
	struct hpke__trace *trace; /* tests only */
	char err[256];
};

/* Records a message on c and returns rc. */
__attribute__((format(printf, 3, 4))) static int fail(hpke_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, sizeof(c->err), "hpke: ");
	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

int hpke_suite_check(hpke_suite s)
{
	return hpke__kem_find(s.kem) && hpke__kdf_find(s.kdf) && hpke__aead_find(s.aead)
	           ? 0
	           : ENARX_E_HPKE_SUITE;
}

size_t hpke_sealed_len(hpke_suite s, size_t pt_len)
{
	size_t enc = hpke_kem_enc_len(s.kem), n;

	if (hpke_suite_check(s) || s.aead == HPKE_AEAD_EXPORT_ONLY ||
	    __builtin_add_overflow(enc + HPKE_TAG_LEN, pt_len, &n))
		return 0;
	return n;
}

hpke_ctx *hpke_ctx_new(hpke_suite s)
{
	hpke_ctx *c;

	if (hpke_suite_check(s) || !(c = xcalloc(1, sizeof(*c))))
		return NULL;
	c->suite = s;
	c->kem = hpke__kem_find(s.kem);
	c->kdf = hpke__kdf_find(s.kdf);
	c->aead = hpke__aead_find(s.aead);
	memcpy(c->sid.b, "HPKE", 4);
	c->sid.b[4] = (uint8_t)(s.kem >> 8);
	c->sid.b[5] = (uint8_t)s.kem;
	c->sid.b[6] = (uint8_t)(s.kdf >> 8);
	c->sid.b[7] = (uint8_t)s.kdf;
	c->sid.b[8] = (uint8_t)(s.aead >> 8);
	c->sid.b[9] = (uint8_t)s.aead;
	c->sid.n = 10;
	if (c->aead->cipher && (!(c->cipher = EVP_CIPHER_fetch(NULL, c->aead->cipher, NULL)) ||
	                        !(c->cctx = EVP_CIPHER_CTX_new()))) {
		hpke_ctx_free(c);
		return NULL;
	}
	return c;
}

void hpke_ctx_free(hpke_ctx *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->cctx); /* cleanses the expanded key */
	EVP_CIPHER_free(c->cipher);
	OPENSSL_cleanse(c, sizeof(*c));
	xfree(c);
}

const char *hpke_ctx_error(const hpke_ctx *c)
{
	return c->err;
}

hpke_suite hpke_ctx_suite(const hpke_ctx *c)
{
	return c->suite;
}

uint64_t hpke_ctx_seq(const hpke_ctx *c)
{
	return c->seq;
}

void hpke__ctx_set_trace(hpke_ctx *c, struct hpke__trace *t)
{
	c->trace = t;
}

void hpke__ctx_set_seq(hpke_ctx *c, uint64_t seq)
{
	c->seq = seq;
}

/* ExtractAndExpand(dh, kem_context) into ss (Nsecret bytes). */
static int extract_and_expand(hpke_ctx *c, const uint8_t *dh, size_t dh_len, const uint8_t *kctx,
                              size_t kctx_len, uint8_t *ss)
{
	struct hpke__sid sid;
	uint8_t prk[HPKE__MAX_NH];
	int rc;

	hpke__kem_sid(c->kem, &sid);
	rc = hpke__labeled_extract(c->kem->md, &sid, NULL, 0, "eae_prk", dh, dh_len, prk);
	if (!rc)
		rc = hpke__labeled_expand(c->kem->md, &sid, prk, "shared_secret", kctx, kctx_len,
		                          ss, c->kem->nsecret);
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc ? fail(c, rc, "KEM key derivation failed") : 0;
}

/* DH(a, b), and DH(a2, b2) after it when a2 is given (the auth modes). */
static int dh_pair(hpke_ctx *c, const hpke_key *a, const hpke_key *b, const hpke_key *a2,
                   const hpke_key *b2, uint8_t *dh, size_t *dh_len)
{
	size_t n1 = 0, n2 = 0;
	int rc = hpke__dh(a, b, dh, &n1);

	if (!rc && a2 && b2)
		rc = hpke__dh(a2, b2, dh + n1, &n2);
	if (rc == ENARX_E_HPKE_KEY)
		return fail(c, rc, "DH with %s failed: invalid public key or all-zero result",
		            c->kem->name);
	if (rc)
		return fail(c, rc, "DH with %s failed in OpenSSL", c->kem->name);
	*dh_len = n1 + n2;
	return 0;
}

/* Encap/AuthEncap with ephemeral skE; enc = pkE (Nenc bytes). */
static int encap(hpke_ctx *c, const hpke_key *pkR, const hpke_key *skS, const hpke_key *skE,
                 uint8_t *ss, uint8_t *enc)
{
	uint8_t dh[2 * HPKE__MAX_NDH], kctx[3 * HPKE_MAX_PK_LEN];
	size_t dh_len = 0, n = c->kem->npk;
	int rc = dh_pair(c, skE, pkR, skS, pkR, dh, &dh_len);

	if (!rc) {
		memcpy(enc, skE->pub, n);
		memcpy(kctx, skE->pub, n);
		memcpy(kctx + n, pkR->pub, n);
		if (skS)
			memcpy(kctx + 2 * n, skS->pub, n);
		rc = extract_and_expand(c, dh, dh_len, kctx, (skS ? 3 : 2) * n, ss);
	}
	OPENSSL_cleanse(dh, sizeof(dh));
	return rc;
}

/* Decap/AuthDecap: enc is untrusted and validated as a public key. */
static int decap(hpke_ctx *c, const uint8_t *enc, size_t enc_len, const hpke_key *skR,
                 const hpke_key *pkS, uint8_t *ss)
{
	uint8_t dh[2 * HPKE__MAX_NDH], kctx[3 * HPKE_MAX_PK_LEN];
	size_t dh_len = 0, n = c->kem->npk;
	hpke_key *pkE = NULL;
	int rc = hpke_key_from_public(c->kem->id, enc, enc_len, &pkE);

	if (rc == ENARX_E_HPKE_KEY)
		return fail(c, rc, "enc is not a valid %s public key (%zu bytes, %zu expected)",
		            c->kem->name, enc_len, n);
	if (rc)
		return fail(c, rc, "cannot import enc: %s", enarx_strerror(rc));
	rc = dh_pair(c, skR, pkE, pkS ? skR : NULL, pkS, dh, &dh_len);
	if (!rc) {
		memcpy(kctx, enc, n);
		memcpy(kctx + n, skR->pub, n);
		if (pkS)
			memcpy(kctx + 2 * n, pkS->pub, n);
		rc = extract_and_expand(c, dh, dh_len, kctx, (pkS ? 3 : 2) * n, ss);
	}
	OPENSSL_cleanse(dh, sizeof(dh));
	hpke_key_free(pkE);
	return rc;
}

/* VerifyPSKInputs and the key/auth-key requirements of the mode. */
static int check_params(hpke_ctx *c, const hpke_params *p, const hpke_key *own, int sender)
{
	int psk_mode = p->mode == HPKE_MODE_PSK || p->mode == HPKE_MODE_AUTH_PSK;
	int auth_mode = p->mode == HPKE_MODE_AUTH || p->mode == HPKE_MODE_AUTH_PSK;

	if (c->role != ROLE_NONE)
		return fail(c, ENARX_E_HPKE_STATE, "context already set up");
	if ((unsigned)p->mode > HPKE_MODE_AUTH_PSK)
		return fail(c, ENARX_E_INVAL, "unknown mode %d", (int)p->mode);
	if ((!p->info && p->info_len) || (!p->psk && p->psk_len) || (!p->psk_id && p->psk_id_len))
		return fail(c, ENARX_E_INVAL, "NULL pointer with a nonzero length");
	if (!p->psk_len != !p->psk_id_len)
		return fail(c, ENARX_E_HPKE_PSK, "psk and psk_id must be given together");
	if (psk_mode != !!p->psk_len)
		return fail(c, ENARX_E_HPKE_PSK,
		            psk_mode ? "mode %d needs a psk and psk_id" : "mode %d takes no psk",
		            (int)p->mode);
	if (!own || own->kem != c->kem || (!sender && !own->has_private))
		return fail(c, ENARX_E_HPKE_KEY,
		            "the %s key is missing, of another KEM or lacks "
		            "its private part",
		            sender ? "recipient's public" : "recipient's");
	if (auth_mode != !!p->auth_key)
		return fail(c, ENARX_E_HPKE_PSK,
		            auth_mode ? "mode %d needs the sender's key"
		                      : "mode %d takes no sender key",
		            (int)p->mode);
	if (p->auth_key && (p->auth_key->kem != c->kem || (sender && !p->auth_key->has_private)))
		return fail(c, ENARX_E_HPKE_KEY,
		            "the sender's key is of another KEM or lacks its "
		            "private part");
	return 0;
}

/* KeySchedule<ROLE>(mode, shared_secret, info, psk, psk_id). */
static int key_schedule(hpke_ctx *c, enum role role, const hpke_params *p, const uint8_t *ss)
{
	const char *md = c->kdf->md;
	size_t nh = c->kdf->nh;
	uint8_t ksc[1 + 2 * HPKE__MAX_NH], secret[HPKE__MAX_NH];
	int rc;

	ksc[0] = (uint8_t)p->mode;
	rc = hpke__labeled_extract(md, &c->sid, NULL, 0, "psk_id_hash", p->psk_id, p->psk_id_len,
	                           ksc + 1);
	if (!rc)
		rc = hpke__labeled_extract(md, &c->sid, NULL, 0, "info_hash", p->info, p->info_len,
		                           ksc + 1 + nh);
	if (!rc)
		rc = hpke__labeled_extract(md, &c->sid, ss, c->kem->nsecret, "secret", p->psk,
		                           p->psk_len, secret);
	if (!rc && c->cipher)
		rc = hpke__labeled_expand(md, &c->sid, secret, "key", ksc, 1 + 2 * nh, c->key,
		                          c->aead->nk);
	if (!rc && c->cipher)
		rc = hpke__labeled_expand(md, &c->sid, secret, "base_nonce", ksc, 1 + 2 * nh,
		                          c->base_nonce, HPKE__NN);
	if (!rc)
		rc = hpke__labeled_expand(md, &c->sid, secret, "exp", ksc, 1 + 2 * nh,
		                          c->exporter_secret, nh);
	if (!rc && c->cipher &&
	    EVP_CipherInit_ex2(c->cctx, c->cipher, c->key, NULL, role == ROLE_SENDER, NULL) <= 0)
		rc = ENARX_E_HPKE_CRYPTO;
	if (!rc && c->trace) {
		struct hpke__trace *t = c->trace;
		memcpy(t->ksc, ksc, 1 + 2 * nh);
		t->ksc_len = 1 + 2 * nh;
		memcpy(t->secret, secret, nh);
		memcpy(t->key, c->key, c->aead->nk);
		t->key_len = c->aead->nk;
		memcpy(t->base_nonce, c->base_nonce, HPKE__NN);
		memcpy(t->exporter_secret, c->exporter_secret, nh);
		t->nh = nh;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc)
		return fail(c, rc, "key schedule failed: %s", enarx_strerror(rc));
	c->role = role;
	c->seq = 0;
	return 0;
}

static void trace_ss(hpke_ctx *c, const uint8_t *ss)
{
	if (c->trace) {
		memcpy(c->trace->shared_secret, ss, c->kem->nsecret);
		c->trace->shared_secret_len = c->kem->nsecret;
	}
}

static const hpke_params base_params = {HPKE_MODE_BASE, NULL, 0, NULL, 0, NULL, 0, NULL};

int hpke__setup_sender_eph(hpke_ctx *c, const hpke_key *pkR, const hpke_params *p,
                           const hpke_key *skE, uint8_t *enc, size_t enc_cap, size_t *enc_len)
{
	uint8_t ss[HPKE__MAX_NH];
	int rc;

	if (!p)
		p = &base_params;
	if ((rc = check_params(c, p, pkR, 1)))
		return rc;
	if (!enc || enc_cap < c->kem->npk)
		return fail(c, ENARX_E_INVAL, "enc buffer holds %zu bytes, %zu needed", enc_cap,
		            c->kem->npk);
	rc = encap(c, pkR, p->auth_key, skE, ss, enc);
	if (!rc) {
		trace_ss(c, ss);
		rc = key_schedule(c, ROLE_SENDER, p, ss);
	}
	OPENSSL_cleanse(ss, sizeof(ss));
	if (!rc && enc_len)
		*enc_len = c->kem->npk;
	return rc;
}

int hpke_setup_sender(hpke_ctx *c, const hpke_key *pkR, const hpke_params *p, uint8_t *enc,
                      size_t enc_cap, size_t *enc_len)
{
	hpke_key *skE = NULL;
	int rc;

	if (!p)
		p = &base_params;
	if ((rc = check_params(c, p, pkR, 1))) /* before spending a key generation */
		return rc;
	if ((rc = hpke_key_generate(c->kem->id, &skE)))
		return fail(c, rc, "cannot generate the ephemeral %s key: %s", c->kem->name,
		            enarx_strerror(rc));
	rc = hpke__setup_sender_eph(c, pkR, p, skE, enc, enc_cap, enc_len);
	hpke_key_free(skE);
	return rc;
}

int hpke_setup_recipient(hpke_ctx *c, const hpke_key *skR, const hpke_params *p, const uint8_t *enc,
                         size_t enc_len)
{
	uint8_t ss[HPKE__MAX_NH];
	int rc;

	if (!p)
		p = &base_params;
	if ((rc = check_params(c, p, skR, 0)))
		return rc;
	rc = decap(c, enc, enc_len, skR, p->auth_key, ss);
	if (!rc) {
		trace_ss(c, ss);
		rc = key_schedule(c, ROLE_RECIPIENT, p, ss);
	}
	OPENSSL_cleanse(ss, sizeof(ss));
	return rc;
}

void hpke__ctx_nonce(const hpke_ctx *c, uint8_t *out)
{
	memcpy(out, c->base_nonce, HPKE__NN);
	for (int i = 0; i < 8; i++)
		out[HPKE__NN - 1 - i] ^= (uint8_t)(c->seq >> (8 * i));
}

/* Feeds n bytes through EVP_CipherUpdate in int-sized pieces. */
static int cipher_update(EVP_CIPHER_CTX *x, uint8_t *out, const uint8_t *in, size_t n)
{
	while (n) {
		int chunk = n > (1u << 30) ? 1 << 30 : (int)n, got = 0;
		if (EVP_CipherUpdate(x, out, &got, in, chunk) <= 0 || got != chunk)
			return ENARX_E_HPKE_CRYPTO;
		in += chunk;
		if (out)
			out += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* Common checks of seal/open and the per-message nonce and AAD. */
static int aead_start(hpke_ctx *c, enum role want, const uint8_t *aad, size_t aad_len)
{
	uint8_t nonce[HPKE__NN];
	int rc = 0;

	if (c->role != want)
		return fail(c, ENARX_E_HPKE_STATE, "%s on a context that is not a %s",
		            want == ROLE_SENDER ? "seal" : "open",
		            want == ROLE_SENDER ? "sender" : "recipient");
	if (!c->cipher)
		return fail(c, ENARX_E_HPKE_STATE, "export-only suite: no seal or open");
	if (!aad && aad_len)
		return fail(c, ENARX_E_INVAL, "NULL aad with a nonzero length");
	/* RFC 9180 allows 2^96-1 messages; our counter stops at 2^64-1. */
	if (c->seq == UINT64_MAX)
		return fail(c, ENARX_E_HPKE_LIMIT, "message limit reached (sequence number %llu)",
		            (unsigned long long)c->seq);
	hpke__ctx_nonce(c, nonce);
	if (EVP_CipherInit_ex2(c->cctx, NULL, NULL, nonce, -1, NULL) <= 0 ||
	    (aad_len && cipher_update(c->cctx, NULL, aad, aad_len)))
		rc = fail(c, ENARX_E_HPKE_CRYPTO, "AEAD set-up failed in OpenSSL");
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return rc;
}

int hpke_seal(hpke_ctx *c, const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
              uint8_t *ct, size_t ct_cap, size_t *ct_len)
{
	int rc, got = 0;

	if ((rc = aead_start(c, ROLE_SENDER, aad, aad_len)))
		return rc;
	if ((!pt && pt_len) || !ct || ct_cap < HPKE_TAG_LEN || ct_cap - HPKE_TAG_LEN < pt_len)
		return fail(c, ENARX_E_INVAL, "ciphertext buffer holds %zu bytes, %zu+%d needed",
		            ct_cap, pt_len, HPKE_TAG_LEN);
	if (cipher_update(c->cctx, ct, pt, pt_len) ||
	    EVP_CipherFinal_ex(c->cctx, ct + pt_len, &got) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_AEAD_GET_TAG, HPKE_TAG_LEN, ct + pt_len) <= 0)
		return fail(c, ENARX_E_HPKE_CRYPTO, "AEAD seal failed in OpenSSL");
	c->seq++;
	*ct_len = pt_len + HPKE_TAG_LEN;
	return 0;
}

int hpke_open(hpke_ctx *c, const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
              uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	uint8_t tag[HPKE_TAG_LEN];
	size_t n;
	int rc, got = 0;

	if ((rc = aead_start(c, ROLE_RECIPIENT, aad, aad_len)))
		return rc;
	if (!ct || ct_len < HPKE_TAG_LEN)
		return fail(c, ENARX_E_TRUNCATED, "ciphertext of %zu bytes is shorter than a tag",
		            ct_len);
	n = ct_len - HPKE_TAG_LEN;
	if ((!pt && n) || pt_cap < n)
		return fail(c, ENARX_E_INVAL, "plaintext buffer holds %zu bytes, %zu needed",
		            pt_cap, n);
	memcpy(tag, ct + n, HPKE_TAG_LEN); /* before an in-place decrypt */
	if (cipher_update(c->cctx, pt, ct, n) ||
	    EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_AEAD_SET_TAG, HPKE_TAG_LEN, tag) <= 0)
		return fail(c, ENARX_E_HPKE_CRYPTO, "AEAD open failed in OpenSSL");
	if (EVP_CipherFinal_ex(c->cctx, pt ? pt + n : tag, &got) <= 0) {
		if (n)
			OPENSSL_cleanse(pt, n);
		return fail(c, ENARX_E_HPKE_OPEN,
		            "message %llu is not authentic (wrong key, aad, order or a changed "
		            "byte)",
		            (unsigned long long)c->seq);
	}
	c->seq++;
	*pt_len = n;
	return 0;
}

int hpke_export(hpke_ctx *c, const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t L)
{
	int rc;

	if (c->role == ROLE_NONE)
		return fail(c, ENARX_E_HPKE_STATE, "export before setup");
	if ((!ctx && ctx_len) || (!out && L))
		return fail(c, ENARX_E_INVAL, "NULL buffer with a nonzero length");
	if (L > 255 * c->kdf->nh)
		return fail(c, ENARX_E_INVAL, "export length %zu exceeds 255*Nh = %zu", L,
		            255 * c->kdf->nh);
	rc = hpke__labeled_expand(c->kdf->md, &c->sid, c->exporter_secret, "sec", ctx, ctx_len, out,
	                          L);
	return rc ? fail(c, rc, "export failed: %s", enarx_strerror(rc)) : 0;
}

int hpke_seal_single(hpke_ctx *c, const hpke_key *pkR, const hpke_params *p, const uint8_t *aad,
                     size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                     size_t *out_len)
{
	size_t need = hpke_sealed_len(c->suite, pt_len), enc_len = 0, ct_len = 0;
	int rc;

	if (!need)
		return fail(c, c->cipher ? ENARX_E_OVERFLOW : ENARX_E_HPKE_STATE,
		            c->cipher ? "plaintext too long" : "export-only suite: no seal");
	if (!out || out_cap < need)
		return fail(c, ENARX_E_INVAL, "output buffer holds %zu bytes, %zu needed", out_cap,
		            need);
	rc = hpke_setup_sender(c, pkR, p, out, out_cap, &enc_len);
	if (!rc)
		rc = hpke_seal(c, aad, aad_len, pt, pt_len, out + enc_len, out_cap - enc_len,
		               &ct_len);
	if (!rc)
		*out_len = enc_len + ct_len;
	return rc;
}

int hpke_open_single(hpke_ctx *c, const hpke_key *skR, const hpke_params *p, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap,
                     size_t *pt_len)
{
	size_t nenc = c->kem->npk;
	int rc;

	if (!in || in_len < nenc + HPKE_TAG_LEN)
		return fail(c, ENARX_E_TRUNCATED,
		            "sealed message of %zu bytes is shorter than enc + tag (%zu)", in_len,
		            nenc + HPKE_TAG_LEN);
	rc = hpke_setup_recipient(c, skR, p, in, nenc);
	if (!rc)
		rc = hpke_open(c, aad, aad_len, in + nenc, in_len - nenc, pt, pt_cap, pt_len);
	return rc;
}
