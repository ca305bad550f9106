/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HPKE API behaviour: round trips over every suite and mode, wrong keys and
 * inputs, every tampered byte of a sealed message, reordering, invalid
 * public keys (Wycheproof X25519 zero-shared-secret points, P-curve points
 * off the curve), mode/role misuse, the sequence-number limit, and
 * allocation failure (lib/alloc.h and OpenSSL's allocator both injected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hpke_int.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"

static const uint16_t kems[] = {HPKE_KEM_P256_SHA256, HPKE_KEM_P384_SHA384, HPKE_KEM_P521_SHA512,
                                HPKE_KEM_X25519_SHA256, HPKE_KEM_X448_SHA512};
static const uint16_t kdfs[] = {HPKE_KDF_HKDF_SHA256, HPKE_KDF_HKDF_SHA384, HPKE_KDF_HKDF_SHA512};
static const uint16_t aeads[] = {HPKE_AEAD_AES_128_GCM, HPKE_AEAD_AES_256_GCM,
                                 HPKE_AEAD_CHACHA20_POLY1305, HPKE_AEAD_EXPORT_ONLY};
static const hpke_suite x25519 = {HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256,
                                  HPKE_AEAD_AES_128_GCM};
static const uint8_t psk[32] = "a pre-shared key of 32 bytes....";
static const uint8_t info[] = "enarx deploy keep 1";
static const uint8_t msg[] = "the workload, sealed to one Keep";

/* Public half of k as its own key. */
static hpke_key *public_of(const hpke_key *k)
{
	size_t n;
	const uint8_t *p = hpke_key_public(k, &n);
	hpke_key *pk = NULL;

	assert_int_equal(hpke_key_from_public(hpke_key_kem(k), p, n, &pk), 0);
	return pk;
}

static hpke_params params(enum hpke_mode mode, const hpke_key *auth)
{
	hpke_params p = {mode, info, sizeof(info), NULL, 0, NULL, 0, NULL};

	if (mode == HPKE_MODE_PSK || mode == HPKE_MODE_AUTH_PSK) {
		p.psk = psk;
		p.psk_len = sizeof(psk);
		p.psk_id = (const uint8_t *)"id";
		p.psk_id_len = 2;
	}
	if (mode == HPKE_MODE_AUTH || mode == HPKE_MODE_AUTH_PSK)
		p.auth_key = auth;
	return p;
}

/* Setup both sides, three messages (one empty) each way they can go, and
 * the exports agree. */
static void round_trip(hpke_suite s, enum hpke_mode mode)
{
	hpke_key *skR = NULL, *skS = NULL, *pkR, *pkS;
	hpke_ctx *snd = hpke_ctx_new(s), *rcv = hpke_ctx_new(s);
	uint8_t enc[HPKE_MAX_ENC_LEN], ct[sizeof(msg) + HPKE_TAG_LEN], pt[sizeof(msg)];
	uint8_t e1[40], e2[40];
	size_t enc_len = 0, n = 0, m = 0;

	assert_non_null(snd);
	assert_non_null(rcv);
	assert_int_equal(hpke_key_generate(s.kem, &skR), 0);
	assert_int_equal(hpke_key_generate(s.kem, &skS), 0);
	pkR = public_of(skR);
	pkS = public_of(skS);
	hpke_params ps = params(mode, skS), pr = params(mode, pkS);
	assert_int_equal(hpke_setup_sender(snd, pkR, &ps, enc, sizeof(enc), &enc_len), 0);
	assert_int_equal(enc_len, hpke_kem_enc_len(s.kem));
	assert_int_equal(hpke_setup_recipient(rcv, skR, &pr, enc, enc_len), 0);
	for (size_t len = 0; s.aead != HPKE_AEAD_EXPORT_ONLY && len <= sizeof(msg);
	     len += sizeof(msg) / 2) {
		assert_int_equal(hpke_seal(snd, info, 3, msg, len, ct, sizeof(ct), &n), 0);
		assert_int_equal(n, len + HPKE_TAG_LEN);
		assert_int_equal(hpke_open(rcv, info, 3, ct, n, pt, sizeof(pt), &m), 0);
		assert_int_equal(m, len);
		assert_memory_equal(pt, msg, len);
	}
	assert_int_equal(hpke_ctx_seq(snd), hpke_ctx_seq(rcv));
	assert_int_equal(hpke_export(snd, info, 5, e1, sizeof(e1)), 0);
	assert_int_equal(hpke_export(rcv, info, 5, e2, sizeof(e2)), 0);
	assert_memory_equal(e1, e2, sizeof(e1));
	hpke_ctx_free(snd);
	hpke_ctx_free(rcv);
	hpke_key_free(skR);
	hpke_key_free(skS);
	hpke_key_free(pkR);
	hpke_key_free(pkS);
}

static void test_round_trip_every_suite(void **state)
{
	unsigned count = 0;

	for (size_t k = 0; k < 5; k++)
		for (size_t d = 0; d < 3; d++)
			for (size_t a = 0; a < 4; a++)
				for (int mode = 0; mode <= 3; mode++, count++)
					round_trip((hpke_suite){kems[k], kdfs[d], aeads[a]},
					           (enum hpke_mode)mode);
	print_message("# %u suite/mode combinations\n", count);
}

/* Single-shot seal to a fresh X25519 key; returns the recipient key. */
static uint8_t *seal_one(hpke_suite s, hpke_key **skR, size_t *len)
{
	hpke_ctx *c = hpke_ctx_new(s);
	size_t need = hpke_sealed_len(s, sizeof(msg));
	uint8_t *out = malloc(need);
	hpke_key *pkR;

	assert_int_equal(hpke_key_generate(s.kem, skR), 0);
	pkR = public_of(*skR);
	hpke_params p = params(HPKE_MODE_BASE, NULL);
	assert_int_equal(hpke_seal_single(c, pkR, &p, info, 4, msg, sizeof(msg), out, need, len),
	                 0);
	assert_int_equal(*len, need);
	hpke_key_free(pkR);
	hpke_ctx_free(c);
	return out;
}

static int open_one(hpke_suite s, const hpke_key *skR, const hpke_params *p, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len)
{
	hpke_ctx *c = hpke_ctx_new(s);
	uint8_t pt[sizeof(msg)];
	size_t n = 0;
	int rc = hpke_open_single(c, skR, p, aad, aad_len, in, len, pt, sizeof(pt), &n);

	if (!rc)
		assert_memory_equal(pt, msg, sizeof(msg));
	else
		assert_true(hpke_ctx_error(c)[0] != '\0');
	hpke_ctx_free(c);
	return rc;
}

static void test_wrong_inputs(void **state)
{
	hpke_key *skR, *other = NULL;
	size_t len;
	uint8_t *sealed = seal_one(x25519, &skR, &len);
	hpke_params p = params(HPKE_MODE_BASE, NULL), bad;

	assert_int_equal(open_one(x25519, skR, &p, info, 4, sealed, len), 0);
	assert_int_equal(hpke_key_generate(x25519.kem, &other), 0);
	assert_int_equal(open_one(x25519, other, &p, info, 4, sealed, len), ENARX_E_HPKE_OPEN);
	assert_int_equal(open_one(x25519, skR, &p, info, 3, sealed, len), ENARX_E_HPKE_OPEN);
	bad = p;
	bad.info_len--;
	assert_int_equal(open_one(x25519, skR, &bad, info, 4, sealed, len), ENARX_E_HPKE_OPEN);
	bad = params(HPKE_MODE_PSK, NULL);
	assert_int_equal(open_one(x25519, skR, &bad, info, 4, sealed, len), ENARX_E_HPKE_OPEN);
	/* Another suite with the same KEM derives other keys. */
	hpke_suite s2 = x25519;
	s2.aead = HPKE_AEAD_CHACHA20_POLY1305;
	assert_int_equal(open_one(s2, skR, &p, info, 4, sealed, len), ENARX_E_HPKE_OPEN);
	assert_int_equal(open_one(x25519, skR, &p, info, 4, sealed, 10), ENARX_E_TRUNCATED);
	hpke_key_free(other);
	hpke_key_free(skR);
	free(sealed);
}

/* Auth mode: a message authenticated by S is refused when R expects T. */
static void test_wrong_sender(void **state)
{
	hpke_key *skR, *skS, *skT, *pkR, *pkT;
	hpke_ctx *c = hpke_ctx_new(x25519);
	uint8_t out[200];
	size_t len;

	assert_int_equal(hpke_key_generate(x25519.kem, &skR), 0);
	assert_int_equal(hpke_key_generate(x25519.kem, &skS), 0);
	assert_int_equal(hpke_key_generate(x25519.kem, &skT), 0);
	pkR = public_of(skR);
	pkT = public_of(skT);
	hpke_params ps = params(HPKE_MODE_AUTH, skS), pr = params(HPKE_MODE_AUTH, pkT);
	assert_int_equal(
	    hpke_seal_single(c, pkR, &ps, NULL, 0, msg, sizeof(msg), out, sizeof(out), &len), 0);
	assert_int_equal(open_one(x25519, skR, &pr, NULL, 0, out, len), ENARX_E_HPKE_OPEN);
	pr.auth_key = skS; /* a key pair is fine where a public key is wanted */
	assert_int_equal(open_one(x25519, skR, &pr, NULL, 0, out, len), 0);
	hpke_ctx_free(c);
	hpke_key_free(skR);
	hpke_key_free(skS);
	hpke_key_free(skT);
	hpke_key_free(pkR);
	hpke_key_free(pkT);
}

/* Every single-bit flip in every byte of enc || ct is refused. */
static void tamper_suite(hpke_suite s)
{
	hpke_key *skR;
	size_t len, key = 0, open = 0;
	uint8_t *sealed = seal_one(s, &skR, &len);
	hpke_params p = params(HPKE_MODE_BASE, NULL);

	for (size_t i = 0; i < len; i++) {
		sealed[i] ^= (uint8_t)(1u << (i % 8));
		int rc = open_one(s, skR, &p, info, 4, sealed, len);
		sealed[i] ^= (uint8_t)(1u << (i % 8));
		if (rc != ENARX_E_HPKE_OPEN && rc != ENARX_E_HPKE_KEY)
			fail_msg("byte %zu flipped: rc %d (%s)", i, rc, enarx_errname(rc));
		rc == ENARX_E_HPKE_KEY ? key++ : open++;
	}
	print_message("# kem 0x%04x: %zu flips refused (%zu as invalid enc, %zu not authentic)\n",
	              s.kem, len, key, open);
	assert_int_equal(open_one(s, skR, &p, info, 4, sealed, len), 0);
	hpke_key_free(skR);
	free(sealed);
}

static void test_tampered(void **state)
{
	tamper_suite(x25519);
	tamper_suite(
	    (hpke_suite){HPKE_KEM_P256_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_256_GCM});
}

/* Streaming: messages opened out of order fail and do not advance. */
static void reorder_in_place(hpke_suite su)
{
	hpke_key *skR, *pkR;
	hpke_ctx *s = hpke_ctx_new(su), *r = hpke_ctx_new(su);
	uint8_t enc[32], m[2][64];
	size_t n[2], got;

	assert_int_equal(hpke_key_generate(su.kem, &skR), 0);
	pkR = public_of(skR);
	assert_int_equal(hpke_setup_sender(s, pkR, NULL, enc, sizeof(enc), NULL), 0);
	assert_int_equal(hpke_setup_recipient(r, skR, NULL, enc, sizeof(enc)), 0);
	for (int i = 0; i < 2; i++) {
		memset(m[i], 'a' + i, 48); /* sealed in place */
		assert_int_equal(hpke_seal(s, NULL, 0, m[i], 48, m[i], sizeof(m[i]), &n[i]), 0);
	}
	/* Out of order into a separate buffer (a failed open zeroes its output). */
	uint8_t junk[64];
	memset(junk, 0x55, sizeof(junk));
	assert_int_equal(hpke_open(r, NULL, 0, m[1], n[1], junk, sizeof(junk), &got),
	                 ENARX_E_HPKE_OPEN);
	assert_int_equal(hpke_ctx_seq(r), 0);
	for (size_t i = 0; i < 48; i++)
		assert_int_equal(junk[i], 0);
	for (int i = 0; i < 2; i++) {
		if (hpke_open(r, NULL, 0, m[i], n[i], m[i], n[i], &got))
			fail_msg("message %d: %s", i, hpke_ctx_error(r));
		assert_int_equal(got, 48);
		assert_int_equal(m[i][47], 'a' + i);
	}
	/* A replayed message is refused too. */
	assert_int_equal(hpke_open(r, NULL, 0, m[0], n[0], m[0], n[0], &got), ENARX_E_HPKE_OPEN);
	hpke_ctx_free(s);
	hpke_ctx_free(r);
	hpke_key_free(skR);
	hpke_key_free(pkR);
}

static int has_flag(json_t *t, const char *flag)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(t, "flags"), i, f)
	{
		if (strcmp(json_string_value(f), flag) == 0)
			return 1;
	}
	return 0;
}

static void test_reorder_and_in_place(void **state)
{
	for (size_t a = 0; a < 3; a++)
		reorder_in_place(
		    (hpke_suite){HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256, aeads[a]});
}

/* Wycheproof X25519: DH gives the expected secret, and every point that
 * gives an all-zero secret is refused as enc (RFC 9180 section 7.1.4). */
static void test_x25519_wycheproof(void **state)
{
	const char *shared = getenv("ENARX_SHARED");
	char path[1024];
	json_t *all, *t;
	size_t i, zero = 0, ok = 0;

	snprintf(path, sizeof(path), "%s/testdata/crypto/hybrid/wycheproof_x25519_test.json",
	         shared ? shared : "../shared");
	all = json_load_file(path, 0, NULL);
	if (!all)
		skip();
	json_t *tests =
	    json_object_get(json_array_get(json_object_get(all, "testGroups"), 0), "tests");
	json_array_foreach(tests, i, t)
	{
		uint8_t pub[32], priv[32], want[32], dh[HPKE__MAX_NDH];
		const char *pk = json_string_value(json_object_get(t, "public"));
		const char *res = json_string_value(json_object_get(t, "result"));
		hpke_key *skR = NULL, *pkE = NULL;
		size_t n = 0;
		int is_zero = has_flag(t, "ZeroSharedSecret");
		if (strlen(pk) != 64 || strcmp(res, "invalid") == 0)
			continue; /* other lengths: refused by length, tested below */
		assert_int_equal(hex_decode(pk, 64, pub, 32), 0);
		assert_int_equal(
		    hex_decode(json_string_value(json_object_get(t, "private")), 64, priv, 32), 0);
		assert_int_equal(
		    hex_decode(json_string_value(json_object_get(t, "shared")), 64, want, 32), 0);
		assert_int_equal(hpke_key_from_private(x25519.kem, priv, 32, &skR), 0);
		assert_int_equal(hpke_key_from_public(x25519.kem, pub, 32, &pkE), 0);
		int rc = hpke__dh(skR, pkE, dh, &n);
		if (is_zero) {
			assert_int_equal(rc, ENARX_E_HPKE_KEY);
			hpke_ctx *c = hpke_ctx_new(x25519);
			assert_int_equal(hpke_setup_recipient(c, skR, NULL, pub, 32),
			                 ENARX_E_HPKE_KEY);
			hpke_ctx_free(c);
			zero++;
		} else {
			assert_int_equal(rc, 0);
			assert_memory_equal(dh, want, 32);
			ok++;
		}
		hpke_key_free(skR);
		hpke_key_free(pkE);
	}
	print_message("# %zu DH results matched, %zu zero-secret points refused\n", ok, zero);
	assert_true(zero >= 31);
	json_decref(all);
}

static void expect_bad_pub(uint16_t kem, const uint8_t *pk, size_t n, const char *what)
{
	hpke_key *k = NULL;
	int rc = hpke_key_from_public(kem, pk, n, &k);

	if (rc != ENARX_E_HPKE_KEY)
		fail_msg("%s: rc %d (%s)", what, rc, enarx_errname(rc));
	assert_null(k);
}

static void test_bad_public_keys(void **state)
{
	for (size_t i = 0; i < 3; i++) { /* the NIST curves */
		hpke_key *sk = NULL;
		size_t n;
		uint8_t pk[HPKE_MAX_PK_LEN];

		assert_int_equal(hpke_key_generate(kems[i], &sk), 0);
		const uint8_t *good = hpke_key_public(sk, &n);
		memcpy(pk, good, n);
		pk[n - 1] ^= 1; /* y no longer matches x */
		expect_bad_pub(kems[i], pk, n, "point off the curve");
		pk[n - 1] ^= 1;
		expect_bad_pub(kems[i], pk, n - 1, "short");
		pk[0] = 0x02;
		expect_bad_pub(kems[i], pk, n, "compressed tag");
		memset(pk, 0, n);
		expect_bad_pub(kems[i], pk, 1, "infinity");
		expect_bad_pub(kems[i], pk, n, "all zero");
		pk[0] = 0x04;
		expect_bad_pub(kems[i], pk, n, "(0,0)");
		/* As enc, an off-curve point is refused by the recipient. */
		memcpy(pk, good, n);
		pk[n / 2] ^= 0x10;
		hpke_ctx *c = hpke_ctx_new(
		    (hpke_suite){kems[i], HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_128_GCM});
		assert_int_equal(hpke_setup_recipient(c, sk, NULL, pk, n), ENARX_E_HPKE_KEY);
		assert_non_null(strstr(hpke_ctx_error(c), "not a valid"));
		hpke_ctx_free(c);
		hpke_key_free(sk);
	}
	uint8_t x[56] = {0};
	expect_bad_pub(HPKE_KEM_X25519_SHA256, x, 31, "short X25519");
	expect_bad_pub(HPKE_KEM_X448_SHA512, x, 32, "short X448");
}

static void test_bad_private_keys(void **state)
{
	uint8_t sk[HPKE_MAX_SK_LEN];
	hpke_key *k = NULL;

	memset(sk, 0, sizeof(sk));
	assert_int_equal(hpke_key_from_private(HPKE_KEM_P256_SHA256, sk, 32, &k), ENARX_E_HPKE_KEY);
	memset(sk, 0xff, sizeof(sk)); /* >= the group order */
	assert_int_equal(hpke_key_from_private(HPKE_KEM_P256_SHA256, sk, 32, &k), ENARX_E_HPKE_KEY);
	assert_int_equal(hpke_key_from_private(HPKE_KEM_P384_SHA384, sk, 48, &k), ENARX_E_HPKE_KEY);
	assert_int_equal(hpke_key_from_private(HPKE_KEM_X25519_SHA256, sk, 31, &k),
	                 ENARX_E_HPKE_KEY);
	assert_int_equal(hpke_key_from_private(0x0099, sk, 32, &k), ENARX_E_HPKE_SUITE);
	assert_null(k);
	/* Serialise and deserialise every KEM's private key. */
	for (size_t i = 0; i < 5; i++) {
		hpke_key *a = NULL, *b = NULL;
		size_t n = 0, pa, pb;
		assert_int_equal(hpke_key_generate(kems[i], &a), 0);
		assert_int_equal(hpke_key_private(a, sk, sizeof(sk), &n), 0);
		assert_int_equal(n, hpke_kem_sk_len(kems[i]));
		assert_int_equal(hpke_key_from_private(kems[i], sk, n, &b), 0);
		const uint8_t *ka = hpke_key_public(a, &pa), *kb = hpke_key_public(b, &pb);
		assert_int_equal(pa, pb);
		assert_memory_equal(ka, kb, pa);
		hpke_key *pub = public_of(a);
		assert_false(hpke_key_has_private(pub));
		assert_int_equal(hpke_key_private(pub, sk, sizeof(sk), &n), ENARX_E_INVAL);
		hpke_key_free(pub);
		hpke_key_free(a);
		hpke_key_free(b);
	}
}

static void test_misuse(void **state)
{
	hpke_key *skR, *pkR;
	hpke_ctx *c = hpke_ctx_new(x25519);
	uint8_t enc[32], buf[64];
	size_t n;

	assert_int_equal(hpke_key_generate(x25519.kem, &skR), 0);
	pkR = public_of(skR);
	hpke_params p = params(HPKE_MODE_BASE, NULL);
	p.psk = psk;
	p.psk_len = 32;
	assert_int_equal(hpke_setup_sender(c, pkR, &p, enc, 32, &n), ENARX_E_HPKE_PSK);
	p = params(HPKE_MODE_PSK, NULL);
	p.psk_id_len = 0;
	assert_int_equal(hpke_setup_sender(c, pkR, &p, enc, 32, &n), ENARX_E_HPKE_PSK);
	p = params(HPKE_MODE_PSK, NULL);
	p.psk = NULL;
	p.psk_len = 0;
	p.psk_id_len = 0;
	assert_int_equal(hpke_setup_sender(c, pkR, &p, enc, 32, &n), ENARX_E_HPKE_PSK);
	p = params(HPKE_MODE_AUTH, NULL);
	assert_int_equal(hpke_setup_sender(c, pkR, &p, enc, 32, &n), ENARX_E_HPKE_PSK);
	p = params(HPKE_MODE_AUTH, pkR); /* sender key without its private part */
	assert_int_equal(hpke_setup_sender(c, pkR, &p, enc, 32, &n), ENARX_E_HPKE_KEY);
	assert_int_equal(hpke_setup_recipient(c, pkR, NULL, enc, 32), ENARX_E_HPKE_KEY);
	p.mode = (enum hpke_mode)7;
	assert_int_equal(hpke_setup_sender(c, pkR, &p, enc, 32, &n), ENARX_E_INVAL);
	assert_int_equal(hpke_setup_sender(c, pkR, NULL, enc, 31, &n), ENARX_E_INVAL);
	assert_int_equal(hpke_seal(c, NULL, 0, buf, 1, buf, 64, &n), ENARX_E_HPKE_STATE);
	assert_int_equal(hpke_export(c, NULL, 0, buf, 1), ENARX_E_HPKE_STATE);
	assert_int_equal(hpke_setup_sender(c, pkR, NULL, enc, 32, &n), 0);
	assert_int_equal(hpke_setup_sender(c, pkR, NULL, enc, 32, &n), ENARX_E_HPKE_STATE);
	assert_int_equal(hpke_open(c, NULL, 0, buf, 20, buf, 64, &n), ENARX_E_HPKE_STATE);
	assert_int_equal(hpke_seal(c, NULL, 0, buf, 49, buf, 64, &n), ENARX_E_INVAL);
	assert_int_equal(hpke_export(c, NULL, 0, buf, 255 * 32 + 1), ENARX_E_INVAL);
	assert_true(strstr(hpke_ctx_error(c), "255*Nh") != NULL);
	hpke_ctx_free(c);

	/* Export-only: export works, seal does not. */
	hpke_suite eo = x25519;
	eo.aead = HPKE_AEAD_EXPORT_ONLY;
	c = hpke_ctx_new(eo);
	assert_int_equal(hpke_sealed_len(eo, 1), 0);
	assert_int_equal(hpke_setup_sender(c, pkR, NULL, enc, 32, &n), 0);
	assert_int_equal(hpke_seal(c, NULL, 0, buf, 1, buf, 64, &n), ENARX_E_HPKE_STATE);
	assert_int_equal(hpke_export(c, NULL, 0, buf, 32), 0);
	hpke_ctx_free(c);

	assert_null(hpke_ctx_new((hpke_suite){0x0020, 0x0001, 0x0004}));
	assert_int_equal(hpke_suite_check((hpke_suite){0x0030, 1, 1}), ENARX_E_HPKE_SUITE);
	assert_int_equal(hpke_sealed_len(x25519, SIZE_MAX - 10), 0);
	hpke_ctx_free(NULL);
	hpke_key_free(NULL);
	hpke_key_free(skR);
	hpke_key_free(pkR);
}

/* The sequence number stops before it would wrap (RFC 9180 section 5.2). */
static void test_seq_limit(void **state)
{
	hpke_key *skR, *pkR;
	hpke_ctx *s = hpke_ctx_new(x25519), *r = hpke_ctx_new(x25519);
	uint8_t enc[32], buf[32], pt[32];
	size_t n, m;

	assert_int_equal(hpke_key_generate(x25519.kem, &skR), 0);
	pkR = public_of(skR);
	assert_int_equal(hpke_setup_sender(s, pkR, NULL, enc, 32, NULL), 0);
	assert_int_equal(hpke_setup_recipient(r, skR, NULL, enc, 32), 0);
	hpke__ctx_set_seq(s, UINT64_MAX - 1);
	hpke__ctx_set_seq(r, UINT64_MAX - 1);
	assert_int_equal(hpke_seal(s, NULL, 0, msg, 8, buf, sizeof(buf), &n), 0);
	assert_int_equal(hpke_open(r, NULL, 0, buf, n, pt, sizeof(pt), &m), 0);
	assert_memory_equal(pt, msg, 8);
	assert_int_equal(hpke_seal(s, NULL, 0, msg, 8, buf, sizeof(buf), &n), ENARX_E_HPKE_LIMIT);
	assert_int_equal(hpke_open(r, NULL, 0, buf, 24, pt, sizeof(pt), &m), ENARX_E_HPKE_LIMIT);
	assert_non_null(strstr(hpke_ctx_error(s), "message limit"));
	hpke_ctx_free(s);
	hpke_ctx_free(r);
	hpke_key_free(skR);
	hpke_key_free(pkR);
}

/* One full auth_psk round trip on P-256 and on X25519; returns 0 or the
 * first error (no assertion: allocation may fail anywhere). */
static int attempt(hpke_suite s)
{
	hpke_key *skR = NULL, *skS = NULL, *pkR = NULL;
	hpke_ctx *snd = hpke_ctx_new(s), *rcv = hpke_ctx_new(s);
	uint8_t out[300], pt[sizeof(msg)], e[16];
	size_t n = 0, m = 0;
	int rc = snd && rcv ? 0 : ENARX_E_NOMEM;

	if (!rc)
		rc = hpke_key_derive(s.kem, psk, sizeof(psk), &skR);
	if (!rc)
		rc = hpke_key_generate(s.kem, &skS);
	if (!rc) {
		size_t len;
		const uint8_t *p = hpke_key_public(skR, &len);
		rc = hpke_key_from_public(s.kem, p, len, &pkR);
	}
	hpke_params ps = params(HPKE_MODE_AUTH_PSK, skS), pr = params(HPKE_MODE_AUTH_PSK, skS);
	if (!rc)
		rc = hpke_seal_single(snd, pkR, &ps, NULL, 0, msg, sizeof(msg), out, sizeof(out),
		                      &n);
	if (!rc)
		rc = hpke_open_single(rcv, skR, &pr, NULL, 0, out, n, pt, sizeof(pt), &m);
	if (!rc)
		rc = hpke_export(rcv, NULL, 0, e, sizeof(e));
	if (!rc && (m != sizeof(msg) || memcmp(pt, msg, m)))
		rc = ENARX_E_INTERNAL;
	hpke_ctx_free(snd);
	hpke_ctx_free(rcv);
	hpke_key_free(skR);
	hpke_key_free(skS);
	hpke_key_free(pkR);
	return rc;
}

/* OpenSSL's allocations go through xmalloc too (set in main), so every
 * allocation of a round trip is made to fail in turn. */
static void test_alloc_failure(void **state)
{
	static const hpke_suite suites[] = {
	    {HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_CHACHA20_POLY1305},
	    {HPKE_KEM_P256_SHA256, HPKE_KDF_HKDF_SHA384, HPKE_AEAD_AES_128_GCM},
	};
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(attempt(suites[i]), 0); /* warm OpenSSL's caches */
		alloc_fail_after(0);
		assert_int_equal(attempt(suites[i]), 0);
		unsigned long total = alloc_fail_after(0), failed = 0;
		assert_true(total > 10);
		for (unsigned long k = 1; k <= total; k++) {
			alloc_fail_after(k);
			int rc = attempt(suites[i]);
			alloc_fail_after(0);
			if (rc)
				failed++;
			if (rc != 0 && rc != ENARX_E_NOMEM && rc != ENARX_E_HPKE_CRYPTO &&
			    rc != ENARX_E_HPKE_KEY && rc != ENARX_E_HPKE_OPEN)
				fail_msg("allocation %lu failed: unexpected rc %d (%s)", k, rc,
				         enarx_errname(rc));
		}
		print_message("# kem 0x%04x: %lu allocations, %lu runs failed cleanly\n",
		              suites[i].kem, total, failed);
		assert_true(failed > 0);
		assert_int_equal(attempt(suites[i]), 0);
	}
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	return xmalloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	if (!n) { /* OpenSSL hands size 0 to a custom realloc as is */
		xfree(p);
		return NULL;
	}
	return xrealloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	xfree(p);
}

int main(void)
{
	/* Before OpenSSL allocates anything, or it refuses. */
	int injected = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_every_suite),
	    cmocka_unit_test(test_wrong_inputs),
	    cmocka_unit_test(test_wrong_sender),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_reorder_and_in_place),
	    cmocka_unit_test(test_x25519_wycheproof),
	    cmocka_unit_test(test_bad_public_keys),
	    cmocka_unit_test(test_bad_private_keys),
	    cmocka_unit_test(test_misuse),
	    cmocka_unit_test(test_seq_limit),
	    cmocka_unit_test(test_alloc_failure),
	};
	if (!injected)
		fprintf(stderr, "# OpenSSL allocator not replaced: only lib/alloc.h fails\n");
	return cmocka_run_group_tests_name("hpke", tests, NULL, NULL);
}
