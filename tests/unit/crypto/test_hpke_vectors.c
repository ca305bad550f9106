/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HPKE against the vector files in $ENARX_SHARED/testdata/crypto/hpke (see
 * SOURCES.md section 1): one TAP line per vector. Every field a vector has is
 * checked: DeriveKeyPair, keys, enc, shared_secret, key_schedule_context,
 * secret, key, base_nonce, exporter_secret, every nonce, ciphertext (sender
 * side, when ikmE is known) and plaintext (recipient side), and every export.
 * Usage: test_hpke_vectors FILE (relative to testdata/crypto/hpke).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hpke_int.h"
#include "lib/err.h"
#include "lib/hex.h"

typedef struct {
	uint8_t *p;
	size_t n;
} bytes;

/* Hex field of o (NULL-able result for a missing field); aborts the test
 * on malformed hex. */
static bytes field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);
	bytes b = {NULL, 0};
	const char *s;
	size_t len;

	if (!v)
		return b;
	assert_true(json_is_string(v));
	s = json_string_value(v);
	len = strlen(s);
	assert_int_equal(len % 2, 0);
	b.n = len / 2;
	b.p = malloc(b.n + 1);
	assert_non_null(b.p);
	assert_int_equal(hex_decode(s, len, b.p, b.n), 0);
	return b;
}

static void expect_eq(const char *what, const uint8_t *got, size_t got_n, json_t *o,
                      const char *name)
{
	bytes want = field(o, name);

	assert_non_null(want.p);
	if (got_n != want.n || memcmp(got, want.p, got_n) != 0) {
		char h[2 * 256 + 1];
		hex_encode(got, got_n > 256 ? 256 : got_n, h);
		print_error("%s: %s differs: got %s, want %s\n", what, name, h,
		            json_string_value(json_object_get(o, name)));
		free(want.p);
		fail();
	}
	free(want.p);
}

static int num(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	assert_true(json_is_integer(v));
	return (int)json_integer_value(v);
}

/* DeriveKeyPair(ikmX) must give skXm/pkXm; returns the key pair. */
static hpke_key *derive(json_t *v, uint16_t kem, const char *x)
{
	char ikm_name[8], sk_name[8], pk_name[8];
	uint8_t sk[HPKE_MAX_SK_LEN];
	size_t sk_len = 0, pk_len = 0;
	hpke_key *k = NULL;

	snprintf(ikm_name, sizeof(ikm_name), "ikm%s", x);
	snprintf(sk_name, sizeof(sk_name), "sk%sm", x);
	snprintf(pk_name, sizeof(pk_name), "pk%sm", x);
	bytes ikm = field(v, ikm_name);
	if (!ikm.p || !json_object_get(v, sk_name)) { /* e.g. the placeholder ikmE "DEAD" */
		free(ikm.p);
		return NULL;
	}
	assert_int_equal(hpke_key_derive(kem, ikm.p, ikm.n, &k), 0);
	free(ikm.p);
	assert_int_equal(hpke_key_private(k, sk, sizeof(sk), &sk_len), 0);
	expect_eq("DeriveKeyPair", sk, sk_len, v, sk_name);
	const uint8_t *pk = hpke_key_public(k, &pk_len);
	if (json_object_get(v, pk_name))
		expect_eq("DeriveKeyPair", pk, pk_len, v, pk_name);

	/* DeserializePrivateKey of skXm gives the same public key. */
	bytes skb = field(v, sk_name);
	hpke_key *k2 = NULL;
	assert_int_equal(hpke_key_from_private(kem, skb.p, skb.n, &k2), 0);
	const uint8_t *pk2 = hpke_key_public(k2, &pk_len);
	assert_memory_equal(pk, pk2, pk_len);
	hpke_key_free(k2);
	free(skb.p);
	return k;
}

/* The P-256 rejection-sampling vector: candidate 0 is the rejected one. */
static void check_rejected(json_t *v, uint16_t kem)
{
	bytes rej = field(v, "rejected_candidate"), ikm;
	uint8_t cand[HPKE_MAX_SK_LEN];

	if (!rej.p)
		return;
	ikm = field(v, "ikmR");
	assert_int_equal(hpke__dkp_candidate(kem, ikm.p, ikm.n, 0, cand), 0);
	assert_int_equal(rej.n, hpke_kem_sk_len(kem));
	assert_memory_equal(cand, rej.p, rej.n);
	assert_int_equal(hpke__ec_scalar_ok(hpke__kem_find(kem), cand), 0);
	print_message("# rejected candidate for counter 0 reproduced and refused\n");
	free(rej.p);
	free(ikm.p);
}

static void params_of(json_t *v, hpke_params *p, bytes *info, bytes *psk, bytes *psk_id)
{
	*info = field(v, "info");
	*psk = field(v, "psk");
	*psk_id = field(v, "psk_id");
	memset(p, 0, sizeof(*p));
	p->mode = (enum hpke_mode)num(v, "mode");
	p->info = info->p;
	p->info_len = info->n;
	p->psk = psk->p;
	p->psk_len = psk->n;
	p->psk_id = psk_id->p;
	p->psk_id_len = psk_id->n;
}

static void check_trace(const struct hpke__trace *t, json_t *v)
{
	expect_eq("Decap", t->shared_secret, t->shared_secret_len, v, "shared_secret");
	if (json_object_get(v, "key_schedule_context"))
		expect_eq("KeySchedule", t->ksc, t->ksc_len, v, "key_schedule_context");
	if (json_object_get(v, "secret"))
		expect_eq("KeySchedule", t->secret, t->nh, v, "secret");
	expect_eq("KeySchedule", t->key, t->key_len, v, "key");
	expect_eq("KeySchedule", t->base_nonce, t->key_len ? HPKE__NN : 0, v, "base_nonce");
	expect_eq("KeySchedule", t->exporter_secret, t->nh, v, "exporter_secret");
}

/* Each encryption in order: nonce, open (recipient), seal (sender). */
static void check_encryptions(json_t *v, hpke_ctx *r, hpke_ctx *s)
{
	json_t *encs = json_object_get(v, "encryptions"), *e;
	size_t i;

	json_array_foreach(encs, i, e)
	{
		bytes aad = field(e, "aad"), ct = field(e, "ct"), pt = field(e, "pt");
		uint8_t nonce[HPKE__NN], *out = malloc(ct.n + HPKE_TAG_LEN + 1);
		size_t n = 0;
		char what[48];

		snprintf(what, sizeof(what), "encryption %zu", i);
		assert_int_equal(hpke_ctx_seq(r), i);
		hpke__ctx_nonce(r, nonce);
		expect_eq(what, nonce, HPKE__NN, e, "nonce");
		if (hpke_open(r, aad.p, aad.n, ct.p, ct.n, out, ct.n, &n) != 0) {
			print_error("%s: %s\n", what, hpke_ctx_error(r));
			fail();
		}
		expect_eq(what, out, n, e, "pt");
		if (s) {
			assert_int_equal(hpke_seal(s, aad.p, aad.n, pt.p, pt.n, out, ct.n + 1, &n),
			                 0);
			expect_eq(what, out, n, e, "ct");
		}
		free(out);
		free(aad.p);
		free(ct.p);
		free(pt.p);
	}
	print_message("# %zu encryptions%s\n", json_array_size(encs),
	              s ? " (open and seal)" : " (open only: no ikmE)");
}

static void check_exports(json_t *v, hpke_ctx *r, hpke_ctx *s)
{
	json_t *exps = json_object_get(v, "exports"), *e;
	size_t i;

	json_array_foreach(exps, i, e)
	{
		bytes ctx = field(e, "exporter_context");
		size_t L = (size_t)num(e, "L");
		uint8_t *out = malloc(L + 1);
		char what[32];

		snprintf(what, sizeof(what), "export %zu", i);
		assert_int_equal(hpke_export(r, ctx.p, ctx.n, out, L), 0);
		expect_eq(what, out, L, e, "exported_value");
		if (s) {
			assert_int_equal(hpke_export(s, ctx.p, ctx.n, out, L), 0);
			expect_eq(what, out, L, e, "exported_value");
		}
		free(out);
		free(ctx.p);
	}
}

static void test_vector(void **state)
{
	json_t *v = *state;
	hpke_suite suite = {(uint16_t)num(v, "kem_id"), (uint16_t)num(v, "kdf_id"),
	                    (uint16_t)num(v, "aead_id")};
	hpke_params pr, ps;
	bytes info, psk, psk_id, enc = field(v, "enc");
	struct hpke__trace tr, ts;
	hpke_ctx *r = hpke_ctx_new(suite), *s = NULL;
	uint8_t enc2[HPKE_MAX_ENC_LEN];
	size_t enc2_len = 0;

	assert_non_null(r);
	check_rejected(v, suite.kem);
	hpke_key *skR = derive(v, suite.kem, "R");
	hpke_key *skE = derive(v, suite.kem, "E");
	hpke_key *skS = derive(v, suite.kem, "S");
	assert_non_null(skR);
	params_of(v, &pr, &info, &psk, &psk_id);
	ps = pr;
	hpke_key *pkS = NULL;
	if (skS) {
		size_t n;
		const uint8_t *p = hpke_key_public(skS, &n);
		assert_int_equal(hpke_key_from_public(suite.kem, p, n, &pkS), 0);
		pr.auth_key = pkS;
		ps.auth_key = skS;
	}

	/* Recipient: Decap(enc, skR) and the key schedule. */
	memset(&tr, 0, sizeof(tr));
	hpke__ctx_set_trace(r, &tr);
	if (hpke_setup_recipient(r, skR, &pr, enc.p, enc.n) != 0) {
		print_error("setup_recipient: %s\n", hpke_ctx_error(r));
		fail();
	}
	check_trace(&tr, v);

	/* Sender with the vector's ephemeral key, when it is known. */
	if (skE) {
		size_t n;
		const uint8_t *p = hpke_key_public(skR, &n);
		hpke_key *pkR = NULL;
		assert_int_equal(hpke_key_from_public(suite.kem, p, n, &pkR), 0);
		s = hpke_ctx_new(suite);
		assert_non_null(s);
		memset(&ts, 0, sizeof(ts));
		hpke__ctx_set_trace(s, &ts);
		if (hpke__setup_sender_eph(s, pkR, &ps, skE, enc2, sizeof(enc2), &enc2_len)) {
			print_error("setup_sender: %s\n", hpke_ctx_error(s));
			fail();
		}
		expect_eq("Encap", enc2, enc2_len, v, "enc");
		check_trace(&ts, v);
		hpke_key_free(pkR);
	}
	check_encryptions(v, r, s);
	check_exports(v, r, s);

	hpke_ctx_free(r);
	hpke_ctx_free(s);
	hpke_key_free(skR);
	hpke_key_free(skE);
	hpke_key_free(skS);
	hpke_key_free(pkS);
	free(info.p);
	free(psk.p);
	free(psk_id.p);
	free(enc.p);
}

int main(int argc, char **argv)
{
	const char *shared = getenv("ENARX_SHARED");
	char path[1024];
	json_error_t jerr;
	json_t *all, *v;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/testdata/crypto/hpke/%s", shared ? shared : "../shared",
	         argv[1]);
	all = json_load_file(path, 0, &jerr);
	if (!all || !json_is_array(all)) {
		printf("1..0 # SKIP cannot read %s: %s\n", path, jerr.text);
		return 0;
	}
	size_t n = json_array_size(all);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	char **names = calloc(n, sizeof(*names));
	if (!tests || !names)
		return 1;
	json_array_foreach(all, i, v)
	{
		json_t *d = json_object_get(v, "description");
		names[i] = malloc(160);
		snprintf(names[i], 160, "vector %zu: mode %d kem 0x%04x kdf 0x%04x aead 0x%04x%s%s",
		         i, num(v, "mode"), num(v, "kem_id"), num(v, "kdf_id"), num(v, "aead_id"),
		         d ? ": " : "", d ? json_string_value(d) : "");
		tests[i].name = names[i];
		tests[i].test_func = test_vector;
		tests[i].initial_state = v;
	}
	int rc = _cmocka_run_group_tests(argv[1], tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	json_decref(all);
	return rc;
}
