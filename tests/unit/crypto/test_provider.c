/* SPDX-License-Identifier: Apache-2.0 */
/* The enarx_pq provider through OpenSSL's public EVP API, as applications
 * and libssl use it: built in (pq_provider_load) and as the module
 * enarx_pq.so (path in argv[1]); ML-KEM-768 keygen from a seed, encaps with
 * "ikme" and decaps against ACVP vectors; the TLS-GROUP capability records;
 * the hybrid's encoded public key and size queries; bad shares refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "crypto/pq_provider.h"
#include "vectors.h"

#define ACVP "mlkem/acvp-v1.1.0.40/"

static const char *module_path;

/* The first test of group tg with tcId tc in an ACVP prompt/expected pair. */
static void acvp(const char *dir, int tg, int tc, json_t **t, json_t **e)
{
	char rel[256];
	json_t *pr, *ex, *g;
	size_t i, j;

	snprintf(rel, sizeof(rel), ACVP "%s/prompt.json", dir);
	pr = vec_json(rel);
	snprintf(rel, sizeof(rel), ACVP "%s/expectedResults.json", dir);
	ex = vec_json(rel);
	*t = NULL;
	json_array_foreach(json_object_get(pr, "testGroups"), i, g)
	{
		json_t *x;

		json_array_foreach(json_object_get(g, "tests"), j,
		                   x) if (vec_int(g, "tgId") == tg && vec_int(x, "tcId") == tc) *t =
		    json_incref(x);
	}
	*e = json_incref(acvp_expected(ex, tg, tc));
	assert_non_null(*t);
	assert_non_null(*e);
	json_decref(pr);
	json_decref(ex);
}

static EVP_PKEY *from_data(OSSL_LIB_CTX *lc, const char *alg, const char *key, struct hexbuf b,
                           int selection)
{
	OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(key, b.p, b.n),
	                       OSSL_PARAM_construct_end()};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(lc, alg, NULL);
	EVP_PKEY *k = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	if (EVP_PKEY_fromdata(ctx, &k, selection, params) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* ML-KEM-768 through EVP against ACVP tcId 26 (keyGen and encapsulation)
 * and tcId 86 (decapsulation). */
static void mlkem768_vectors(OSSL_LIB_CTX *lc)
{
	json_t *t, *e;
	uint8_t buf[3200], ct[1088], ss[32];
	size_t n = 0, ctlen = sizeof(ct), sslen = sizeof(ss);

	acvp("ML-KEM-keyGen-FIPS203", 2, 26, &t, &e);
	struct hexbuf d = vec_field(t, "d"), z = vec_field(t, "z");
	struct hexbuf wek = vec_field(e, "ek"), wdk = vec_field(e, "dk");
	uint8_t seed[64];
	memcpy(seed, d.p, 32);
	memcpy(seed + 32, z.p, 32);
	OSSL_PARAM gp[] = {OSSL_PARAM_construct_octet_string("seed", seed, 64),
	                   OSSL_PARAM_construct_end()};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(lc, "ML-KEM-768", NULL);
	EVP_PKEY *k = NULL;
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_params(ctx, gp), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	assert_int_equal(
	    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &n), 1);
	assert_int_equal(n, 1184);
	assert_memory_equal(buf, wek.p, n);
	assert_int_equal(
	    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PRIV_KEY, buf, sizeof(buf), &n), 1);
	assert_int_equal(n, 2400);
	assert_memory_equal(buf, wdk.p, n);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	json_decref(t), json_decref(e);
	free(d.p), free(z.p), free(wek.p), free(wdk.p);

	acvp("ML-KEM-encapDecap-FIPS203", 2, 26, &t, &e);
	struct hexbuf ek = vec_field(t, "ek"), m = vec_field(t, "m");
	struct hexbuf wc = vec_field(e, "c"), wk = vec_field(e, "k");
	OSSL_PARAM ep[] = {OSSL_PARAM_construct_octet_string("ikme", m.p, m.n),
	                   OSSL_PARAM_construct_end()};
	k = from_data(lc, "ML-KEM-768", OSSL_PKEY_PARAM_PUB_KEY, ek, EVP_PKEY_PUBLIC_KEY);
	assert_non_null(k);
	ctx = EVP_PKEY_CTX_new_from_pkey(lc, k, NULL);
	assert_int_equal(EVP_PKEY_encapsulate_init(ctx, ep), 1);
	assert_int_equal(EVP_PKEY_encapsulate(ctx, ct, &ctlen, ss, &sslen), 1);
	assert_int_equal(ctlen, 1088);
	assert_memory_equal(ct, wc.p, 1088);
	assert_memory_equal(ss, wk.p, 32);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	ek.n--; /* one byte short: refused at import */
	assert_null(from_data(lc, "ML-KEM-768", OSSL_PKEY_PARAM_PUB_KEY, ek, EVP_PKEY_PUBLIC_KEY));
	json_decref(t), json_decref(e);
	free(ek.p), free(m.p), free(wc.p), free(wk.p);

	acvp("ML-KEM-encapDecap-FIPS203", 5, 86, &t, &e);
	struct hexbuf dk = vec_field(t, "dk"), c = vec_field(t, "c"), k86 = vec_field(e, "k");
	k = from_data(lc, "ML-KEM-768", OSSL_PKEY_PARAM_PRIV_KEY, dk, EVP_PKEY_KEYPAIR);
	assert_non_null(k);
	ctx = EVP_PKEY_CTX_new_from_pkey(lc, k, NULL);
	assert_int_equal(EVP_PKEY_decapsulate_init(ctx, NULL), 1);
	sslen = sizeof(ss);
	assert_int_equal(EVP_PKEY_decapsulate(ctx, ss, &sslen, c.p, c.n), 1);
	assert_memory_equal(ss, k86.p, 32);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	dk.p[2400 - 64] ^= 1; /* H(ek) corrupted: the section 7.3 check refuses it */
	assert_null(from_data(lc, "ML-KEM-768", OSSL_PKEY_PARAM_PRIV_KEY, dk, EVP_PKEY_KEYPAIR));
	json_decref(t), json_decref(e);
	free(dk.p), free(c.p), free(k86.p);
}

/* The hybrid as libssl drives it: keygen with "group", encoded public key,
 * a peer key from paramgen + encoded public key, size queries, both sides
 * agreeing on the 64-byte secret. */
static void hybrid_as_libssl(OSSL_LIB_CTX *lc)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(lc, "X25519MLKEM768", NULL);
	EVP_PKEY *client = NULL, *peer = NULL;
	unsigned char *share = NULL, ct[1120], s1[64], s2[64];
	size_t n, ctlen = 0, sl = 0;

	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_group_name(ctx, "X25519MLKEM768"), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &client), 1);
	EVP_PKEY_CTX_free(ctx);
	n = EVP_PKEY_get1_encoded_public_key(client, &share);
	assert_int_equal(n, 1216);

	ctx = EVP_PKEY_CTX_new_from_name(lc, "X25519MLKEM768", NULL);
	assert_int_equal(EVP_PKEY_paramgen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_group_name(ctx, "X25519MLKEM768"), 1);
	assert_int_equal(EVP_PKEY_paramgen(ctx, &peer), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(EVP_PKEY_set1_encoded_public_key(peer, share, n - 1), 0); /* 1215 bytes */
	assert_int_equal(EVP_PKEY_set1_encoded_public_key(peer, share, n), 1);

	ctx = EVP_PKEY_CTX_new_from_pkey(lc, peer, NULL);
	assert_int_equal(EVP_PKEY_encapsulate_init(ctx, NULL), 1);
	assert_int_equal(EVP_PKEY_encapsulate(ctx, NULL, &ctlen, NULL, &sl), 1);
	assert_int_equal(ctlen, 1120);
	assert_int_equal(sl, 64);
	assert_int_equal(EVP_PKEY_encapsulate(ctx, ct, &ctlen, s1, &sl), 1);
	EVP_PKEY_CTX_free(ctx);

	ctx = EVP_PKEY_CTX_new_from_pkey(lc, client, NULL);
	assert_int_equal(EVP_PKEY_decapsulate_init(ctx, NULL), 1);
	sl = 0;
	assert_int_equal(EVP_PKEY_decapsulate(ctx, NULL, &sl, ct, ctlen), 1);
	assert_int_equal(sl, 64);
	assert_int_equal(EVP_PKEY_decapsulate(ctx, s2, &sl, ct, ctlen), 1);
	assert_memory_equal(s1, s2, 64);
	assert_int_equal(EVP_PKEY_decapsulate(ctx, s2, &sl, ct, ctlen - 1), 0);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(client);
	EVP_PKEY_free(peer);
	OPENSSL_free(share);
}

struct caps {
	int n, seen_11ec, kem_tls13_only;
};

static int cap_cb(const OSSL_PARAM params[], void *arg)
{
	struct caps *c = arg;
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_ID);
	unsigned int id = 0, kem = 0;
	int min_tls = 0, min_dtls = 0;
	const char *name = NULL;

	OSSL_PARAM_get_uint(p, &id);
	OSSL_PARAM_get_utf8_string_ptr(
	    OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_NAME), &name);
	OSSL_PARAM_get_uint(OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_IS_KEM),
	                    &kem);
	OSSL_PARAM_get_int(OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MIN_TLS),
	                   &min_tls);
	OSSL_PARAM_get_int(OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS),
	                   &min_dtls);
	c->n++;
	if (id == 0x11EC && name && strcmp(name, "X25519MLKEM768") == 0)
		c->seen_11ec = 1;
	c->kem_tls13_only += kem == 1 && min_tls == 0x0304 && min_dtls == -1;
	return 1;
}

static void check_capabilities(OSSL_PROVIDER *prov)
{
	struct caps c = {0};

	assert_int_equal(OSSL_PROVIDER_get_capabilities(prov, "TLS-GROUP", cap_cb, &c), 1);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.kem_tls13_only, 5);
	assert_true(c.seen_11ec);
}

static void test_builtin(void **state)
{
	OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *prov, *loaded = NULL, *again = NULL;

	(void)state;
	assert_int_equal(pq_provider_load(lc, &loaded), 0);
	assert_non_null(loaded);
	assert_int_equal(pq_provider_load(lc, &again), 0); /* idempotent */
	assert_null(again);
	assert_true(OSSL_PROVIDER_available(lc, PQ_PROVIDER_NAME));
	prov = OSSL_PROVIDER_load(lc, PQ_PROVIDER_NAME);
	assert_non_null(prov);
	check_capabilities(prov);
	mlkem768_vectors(lc);
	hybrid_as_libssl(lc); /* X25519 comes from the default provider, still on */
	OSSL_PROVIDER_unload(prov);
	OSSL_PROVIDER_unload(loaded);
	OSSL_LIB_CTX_free(lc);
}

static void test_module(void **state)
{
	OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *prov, *def;
	char dir[1024];
	const char *slash = strrchr(module_path, '/');
	const char *name = NULL;
	OSSL_PARAM gp[] = {OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_NAME, (char **)&name, 0),
	                   OSSL_PARAM_construct_end()};

	(void)state;
	assert_non_null(slash);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - module_path), module_path);
	assert_int_equal(OSSL_PROVIDER_set_default_search_path(lc, dir), 1);
	prov = OSSL_PROVIDER_load(lc, "enarx_pq");
	def = OSSL_PROVIDER_load(lc, "default");
	assert_non_null(prov);
	assert_non_null(def);
	assert_int_equal(OSSL_PROVIDER_get_params(prov, gp), 1);
	assert_non_null(strstr(name, "ML-KEM"));
	check_capabilities(prov);
	mlkem768_vectors(lc);
	hybrid_as_libssl(lc);
	OSSL_PROVIDER_unload(prov);
	OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(lc);
}

/* With --null-default the process's default library context holds only
 * OpenSSL's "null" provider: the provider, loaded into its own context
 * (built in and as the module), must take X25519 and randomness from that
 * context, since the default one can do neither. */
static void test_default_ctx_is_empty(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");

	(void)state;
	assert_null(k); /* else the tests above prove nothing about contexts */
	ERR_clear_error();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin),
	    cmocka_unit_test(test_module),
	};
	const struct CMUnitTest own[] = {
	    cmocka_unit_test(test_default_ctx_is_empty),
	    cmocka_unit_test(test_builtin),
	    cmocka_unit_test(test_module),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/enarx_pq.so [--null-default]\n", argv[0]);
		return 2;
	}
	module_path = argv[1];
	if (argc > 2 && strcmp(argv[2], "--null-default") == 0) {
		OSSL_PROVIDER *null = OSSL_PROVIDER_load(NULL, "null");
		int failed;

		if (!null) {
			fprintf(stderr, "cannot load OpenSSL's null provider\n");
			return 1;
		}
		failed = cmocka_run_group_tests_name("own-libctx", own, NULL, NULL);
		OSSL_PROVIDER_unload(null);
		return failed;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
