/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS group KEMs of pqgroup.c: the X25519MLKEM768 cases composed from
 * ACVP and RFC 7748 values in SOURCES.md 3.4 (client and server side), every
 * Wycheproof X25519 vector through the hybrid's X25519 part (all-zero
 * secrets refused), the derived negative cases, and random round trips for
 * every group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "crypto/pqgroup.h"
#include "lib/err.h"
#include "vectors.h"

#define ACVP_ED "mlkem/acvp-v1.1.0.40/ML-KEM-encapDecap-FIPS203/"

/* SOURCES.md 3.4: RFC 7748 section 6.1 Alice (client) and Bob (server). */
#define ALICE_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define ALICE_PUB "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define BOB_PRIV "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define BOB_PUB "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define X25519_SS "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

static const struct pqgroup *x25519mlkem768(void)
{
	const struct pqgroup *g = pqgroup_by_name("X25519MLKEM768");

	assert_non_null(g);
	assert_int_equal(g->id, 0x11EC);
	assert_int_equal(g->client_share, 1216);
	assert_int_equal(g->server_share, 1120);
	assert_int_equal(g->secret, 64);
	return g;
}

/* An ACVP encapDecap prompt test and its expected result. */
static void acvp_test(int tg, int tc, json_t **prompt, json_t **expected)
{
	static json_t *pr, *ex;
	size_t i, j;
	json_t *g, *t;

	if (!pr) {
		pr = vec_json(ACVP_ED "prompt.json");
		ex = vec_json(ACVP_ED "expectedResults.json");
	}
	*expected = acvp_expected(ex, tg, tc);
	*prompt = NULL;
	json_array_foreach(json_object_get(pr, "testGroups"), i, g)
	{
		if (vec_int(g, "tgId") != tg)
			continue;
		json_array_foreach(json_object_get(g, "tests"), j,
		                   t) if (vec_int(t, "tcId") == tc) *prompt = t;
	}
	assert_non_null(*prompt);
	assert_non_null(*expected);
}

static void concat_hex(uint8_t *out, const char *a, const char *b, size_t *n)
{
	struct hexbuf x = vec_hex(a), y = vec_hex(b);

	memcpy(out, x.p, x.n);
	memcpy(out + x.n, y.p, y.n);
	*n = x.n + y.n;
	free(x.p), free(y.p);
}

static void test_client_side_vector(void **state)
{
	const struct pqgroup *g = x25519mlkem768();
	json_t *t, *e;
	struct pqgroup_key k = {0};
	uint8_t share[PQGROUP_MAX_SERVER_SHARE], secret[64], pub[32];
	char want[129];
	size_t n;

	(void)state;
	acvp_test(5, 86, &t, &e);
	struct hexbuf dk = vec_field(t, "dk"), priv = vec_hex(ALICE_PRIV),
	              apub = vec_hex(ALICE_PUB);
	assert_int_equal(dk.n, 2400);
	k.kem = mlkem_key_new(&mlkem_768);
	assert_non_null(k.kem);
	assert_int_equal(mlkem_key_set_dk(k.kem, dk.p, dk.n), 0);
	k.ec = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv.p, 32);
	assert_non_null(k.ec);
	assert_int_equal(pqgroup_ec_public(g, k.ec, pub), 0);
	assert_memory_equal(pub, apub.p, 32);
	concat_hex(share, json_string_value(json_object_get(t, "c")), BOB_PUB, &n);
	assert_int_equal(n, 1120);
	assert_int_equal(pqgroup_decaps(NULL, g, &k, share, n, secret), 0);
	snprintf(want, sizeof(want), "%s%s",
	         "f8497107ce0d948ff5bf6e039e3cc4ebfdf5e9409ef77171a1e4bb2165713a3b", X25519_SS);
	struct hexbuf w = vec_hex(want);
	assert_memory_equal(secret, w.p, 64);
	/* the ML-KEM half is ACVP's expected k for this test */
	struct hexbuf acvp_k = vec_field(e, "k");
	assert_memory_equal(secret, acvp_k.p, 32);
	/* a server share one byte short or long is refused */
	assert_int_equal(pqgroup_decaps(NULL, g, &k, share, n - 1, secret), ENARX_E_INVAL);
	assert_int_equal(pqgroup_decaps(NULL, g, &k, share, n + 1, secret), ENARX_E_INVAL);
	pqgroup_key_clear(&k);
	free(dk.p), free(priv.p), free(apub.p), free(w.p), free(acvp_k.p);
}

static void test_server_side_vector(void **state)
{
	const struct pqgroup *g = x25519mlkem768();
	uint8_t cshare[1300], sshare[PQGROUP_MAX_SERVER_SHARE], secret[64], want[1120];
	json_t *t, *e;
	size_t n, wn;

	(void)state;
	acvp_test(2, 26, &t, &e);
	concat_hex(cshare, json_string_value(json_object_get(t, "ek")), ALICE_PUB, &n);
	assert_int_equal(n, 1216);
	struct hexbuf m = vec_field(t, "m"), bob = vec_hex(BOB_PRIV);
	assert_int_equal(pqgroup_encaps(NULL, g, cshare, n, m.p, bob.p, sshare, secret), 0);
	concat_hex(want, json_string_value(json_object_get(e, "c")), BOB_PUB, &wn);
	assert_int_equal(wn, 1120);
	assert_memory_equal(sshare, want, 1120);
	struct hexbuf ws =
	    vec_hex("b2425299020bcf563b8ebe0512f0479941335a75a32b8d10bff60e5548b64672" X25519_SS);
	assert_memory_equal(secret, ws.p, 64);
	/* client shares one byte short or long are malformed */
	assert_int_equal(pqgroup_encaps(NULL, g, cshare, n - 1, m.p, bob.p, sshare, secret),
	                 ENARX_E_INVAL);
	assert_int_equal(pqgroup_encaps(NULL, g, cshare, n + 1, m.p, bob.p, sshare, secret),
	                 ENARX_E_INVAL);
	free(m.p), free(bob.p), free(ws.p);
}

/* Every Wycheproof X25519 vector as the X25519 half of a client share. */
static void test_wycheproof_x25519(void **state)
{
	const struct pqgroup *g = x25519mlkem768();
	json_t *root = vec_json("hybrid/wycheproof_x25519_test.json"), *grp, *t, *pt, *e;
	uint8_t cshare[1216], sshare[1120], secret[64], zero[32] = {0};
	int n = 0, zeros = 0;
	size_t i, j;

	(void)state;
	acvp_test(2, 26, &pt, &e);
	struct hexbuf ek = vec_field(pt, "ek"), m = vec_field(pt, "m"), k = vec_field(e, "k");
	memcpy(cshare, ek.p, 1184);
	json_array_foreach(json_object_get(root, "testGroups"), i, grp)
	{
		json_array_foreach(json_object_get(grp, "tests"), j, t)
		{
			struct hexbuf priv = vec_field(t, "private"), pub = vec_field(t, "public");
			struct hexbuf ss = vec_field(t, "shared");
			int tc = vec_int(t, "tcId");
			int rc;

			assert_int_equal(pub.n, 32);
			memcpy(cshare + 1184, pub.p, 32);
			rc = pqgroup_encaps(NULL, g, cshare, sizeof(cshare), m.p, priv.p, sshare,
			                    secret);
			if (memcmp(ss.p, zero, 32) == 0) {
				if (rc != ENARX_E_INVAL)
					fail_msg("X25519 tcId %d: all-zero secret accepted", tc);
				zeros++;
			} else if (rc != 0 || memcmp(secret + 32, ss.p, 32) != 0 ||
			           memcmp(secret, k.p, 32) != 0) {
				fail_msg("X25519 tcId %d: rc %d or wrong secret", tc, rc);
			}
			free(priv.p), free(pub.p), free(ss.p);
			n++;
		}
	}
	assert_int_equal(n, 518);
	assert_int_equal(zeros, 31);
	json_decref(root);
	free(ek.p), free(m.p), free(k.p);
}

/* A client share whose ek fails the modulus check is refused by the server
 * (CCTV modulus lines, SOURCES.md 3.4). */
static void test_unreduced_ek_refused(void **state)
{
	const struct pqgroup *g = x25519mlkem768();
	static char line[1 << 13];
	uint8_t cshare[1216], sshare[1120], secret[64];
	char path[1024];
	int n = 0;
	gzFile f;

	(void)state;
	vec_path(path, sizeof(path), "mlkem/cctv/modulus/ML-KEM-768.txt.gz");
	f = gzopen(path, "rb");
	assert_non_null(f);
	while (gzgets(f, line, sizeof(line))) {
		line[strcspn(line, "\r\n")] = 0;
		struct hexbuf ek = vec_hex(line);
		struct hexbuf pub = vec_hex(ALICE_PUB);

		memcpy(cshare, ek.p, 1184);
		memcpy(cshare + 1184, pub.p, 32);
		assert_int_equal(pqgroup_check_client_share(g, cshare, sizeof(cshare)),
		                 ENARX_E_INVAL);
		assert_int_equal(
		    pqgroup_encaps(NULL, g, cshare, sizeof(cshare), NULL, NULL, sshare, secret),
		    ENARX_E_INVAL);
		free(ek.p), free(pub.p);
		n++;
	}
	gzclose(f);
	assert_int_equal(n, 780);
}

/* Random round trips for every group, and a zero X25519 point from the
 * server refused by the client. */
static void test_roundtrip_all_groups(void **state)
{
	size_t n;
	const struct pqgroup *all = pqgroup_all(&n);

	(void)state;
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		const struct pqgroup *g = &all[i];
		struct pqgroup_key k = {0};
		uint8_t cs[PQGROUP_MAX_CLIENT_SHARE], ss[PQGROUP_MAX_SERVER_SHARE];
		uint8_t s1[64], s2[64];

		assert_int_equal(pqgroup_keygen(NULL, g, NULL, NULL, &k, cs), 0);
		assert_int_equal(pqgroup_check_client_share(g, cs, g->client_share), 0);
		assert_int_equal(pqgroup_encaps(NULL, g, cs, g->client_share, NULL, NULL, ss, s1),
		                 0);
		assert_int_equal(pqgroup_decaps(NULL, g, &k, ss, g->server_share, s2), 0);
		assert_memory_equal(s1, s2, g->secret);
		if (g->ec && strcmp(g->ec, "X25519") == 0) {
			memset(ss + g->server_share - 32, 0, 32); /* the zero point */
			assert_int_equal(pqgroup_decaps(NULL, g, &k, ss, g->server_share, s2),
			                 ENARX_E_INVAL);
		}
		if (g->ec && strcmp(g->ec, "P-256") == 0) {
			ss[1] ^= 1; /* off the curve */
			assert_int_equal(pqgroup_decaps(NULL, g, &k, ss, g->server_share, s2),
			                 ENARX_E_INVAL);
		}
		pqgroup_key_clear(&k);
	}
	assert_ptr_equal(pqgroup_by_name("ml-kem-768"), pqgroup_by_name("MLKEM768"));
	assert_int_equal(pqgroup_by_name("SecP256r1MLKEM768")->client_share, 65 + 1184);
	assert_null(pqgroup_by_name("X25519"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_side_vector),
	    cmocka_unit_test(test_server_side_vector),
	    cmocka_unit_test(test_wycheproof_x25519),
	    cmocka_unit_test(test_unreduced_ek_refused),
	    cmocka_unit_test(test_roundtrip_all_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
