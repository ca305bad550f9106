/* SPDX-License-Identifier: Apache-2.0 */
/* enarx_pq key management: key objects for each group of pq_groups.def.
 * libssl 3.0 uses a provider TLS group as follows: the client generates a
 * key with the "group" parameter and sends "encoded-pub-key"; the server
 * "paramgen"s an empty key, sets the client's "encoded-pub-key" on it (a
 * refusal there is an illegal_parameter alert) and encapsulates to it. Keys
 * also import/export "pub" (the share) and, for ML-KEM alone, "priv" (dk). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "crypto/prov_internal.h"

struct pqprov_gen {
	OSSL_LIB_CTX *libctx;
	const struct pqgroup *g;
	int selection, has_seed;
	uint8_t seed[64];
};

static struct pqprov_key *key_new(OSSL_LIB_CTX *libctx, const char *alg)
{
	struct pqprov_key *k = OPENSSL_zalloc(sizeof(*k));

	if (k) {
		k->libctx = libctx;
		k->g = pqgroup_by_name(alg);
	}
	if (k && !k->g) {
		OPENSSL_free(k);
		return NULL;
	}
	return k;
}

static void key_free(void *vk)
{
	struct pqprov_key *k = vk;

	if (!k)
		return;
	pqgroup_key_clear(&k->priv);
	OPENSSL_clear_free(k, sizeof(*k));
}

static void *key_dup(const void *vk, int selection)
{
	const struct pqprov_key *k = vk;
	struct pqprov_key *d = OPENSSL_memdup(k, sizeof(*k));

	if (!d)
		return NULL;
	d->priv.kem = NULL;
	d->priv.ec = NULL;
	if (!(selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) || !k->has_priv) {
		d->has_priv = 0;
		return d;
	}
	d->priv.kem = mlkem_key_dup(k->priv.kem, 1);
	if (k->priv.ec && EVP_PKEY_up_ref(k->priv.ec))
		d->priv.ec = k->priv.ec;
	if (!d->priv.kem || (k->priv.ec && !d->priv.ec)) {
		key_free(d);
		return NULL;
	}
	return d;
}

static int key_has(const void *vk, int selection)
{
	const struct pqprov_key *k = vk;
	int ok = k != NULL;

	if (ok && (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		ok = k->has_pub;
	if (ok && (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY))
		ok = k->has_priv;
	return ok;
}

static int key_match(const void *va, const void *vb, int selection)
{
	const struct pqprov_key *a = va, *b = vb;

	if (a->g != b->g)
		return 0;
	if (!(selection & OSSL_KEYMGMT_SELECT_KEYPAIR))
		return 1;
	return a->has_pub && b->has_pub && memcmp(a->pub, b->pub, a->g->client_share) == 0;
}

/* The share (ek || ECDH point) a peer sent, checked as a server must. */
static int key_set_pub(struct pqprov_key *k, const OSSL_PARAM *p)
{
	const void *v = NULL;
	size_t n = 0;

	if (!OSSL_PARAM_get_octet_string_ptr(p, &v, &n) ||
	    pqgroup_check_client_share(k->g, v, n) < 0)
		return 0;
	memcpy(k->pub, v, n);
	k->has_pub = 1;
	return 1;
}

static int key_set_params(void *vk, const OSSL_PARAM params[])
{
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);

	return p == NULL || key_set_pub(vk, p);
}

static const OSSL_PARAM *key_settable_params(void *provctx)
{
	static const OSSL_PARAM list[] = {
	    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	    OSSL_PARAM_END,
	};

	return list;
}

static int key_get_params(void *vk, OSSL_PARAM params[])
{
	struct pqprov_key *k = vk;
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) &&
	    !OSSL_PARAM_set_int(p, (int)(8 * k->g->client_share)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) &&
	    !OSSL_PARAM_set_int(p, (int)k->g->secbits))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) &&
	    !OSSL_PARAM_set_int(p, (int)k->g->server_share))
		return 0;
	for (int i = 0; i < 2; i++) {
		p = OSSL_PARAM_locate(params, i ? OSSL_PKEY_PARAM_PUB_KEY
		                                : OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
		if (p &&
		    (!k->has_pub || !OSSL_PARAM_set_octet_string(p, k->pub, k->g->client_share)))
			return 0;
	}
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY);
	if (p && (!k->has_priv || k->g->ec ||
	          !OSSL_PARAM_set_octet_string(p, mlkem_key_dk(k->priv.kem), k->g->kem->dk_bytes)))
		return 0;
	return 1;
}

static const OSSL_PARAM *key_gettable_params(void *provctx)
{
	static const OSSL_PARAM list[] = {
	    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0),
	    OSSL_PARAM_END,
	};

	return list;
}

/* "priv" (ML-KEM alone: a dk passing the section 7.3 check, which also
 * gives the public key) and "pub" (the share). */
static int key_import(void *vk, int selection, const OSSL_PARAM params[])
{
	struct pqprov_key *k = vk;
	const OSSL_PARAM *p;
	const void *v = NULL;
	size_t n = 0;

	if (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) {
		p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY);
		if (!p || k->g->ec || k->has_priv || !OSSL_PARAM_get_octet_string_ptr(p, &v, &n))
			return 0;
		k->priv.kem = mlkem_key_new(k->g->kem);
		if (!k->priv.kem || mlkem_key_set_dk(k->priv.kem, v, n) < 0) {
			pqgroup_key_clear(&k->priv);
			return 0;
		}
		memcpy(k->pub, mlkem_key_ek(k->priv.kem), k->g->kem->ek_bytes);
		k->has_priv = k->has_pub = 1;
		return 1;
	}
	if (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) {
		p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
		return p && key_set_pub(k, p);
	}
	return 1;
}

static const OSSL_PARAM *key_io_types(int selection)
{
	static const OSSL_PARAM list[] = {
	    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0),
	    OSSL_PARAM_END,
	};

	return list;
}

static int key_export(void *vk, int selection, OSSL_CALLBACK *cb, void *arg)
{
	struct pqprov_key *k = vk;
	OSSL_PARAM params[3];
	int n = 0;

	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && k->has_pub)
		params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, k->pub,
		                                                k->g->client_share);
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->has_priv && !k->g->ec)
		params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
		                                                (void *)mlkem_key_dk(k->priv.kem),
		                                                k->g->kem->dk_bytes);
	params[n] = OSSL_PARAM_construct_end();
	return cb(params, arg);
}

/* --- generation ----------------------------------------------------- */

/* "group" (libssl names the group; it must be ours) and "seed" (d || z, for
 * deterministic key generation as in OpenSSL 3.5's ML-KEM). */
static int gen_set_params(void *vg, const OSSL_PARAM params[])
{
	struct pqprov_gen *gen = vg;
	const OSSL_PARAM *p;
	const char *name = NULL;
	const void *v = NULL;
	size_t n = 0;

	p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
	if (p && (!OSSL_PARAM_get_utf8_string_ptr(p, &name) || pqgroup_by_name(name) != gen->g))
		return 0;
	p = OSSL_PARAM_locate_const(params, "seed");
	if (p) {
		if (!OSSL_PARAM_get_octet_string_ptr(p, &v, &n) || n != sizeof(gen->seed))
			return 0;
		memcpy(gen->seed, v, n);
		gen->has_seed = 1;
	}
	return 1;
}

static const OSSL_PARAM *gen_settable_params(void *vg, void *provctx)
{
	static const OSSL_PARAM list[] = {
	    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	    OSSL_PARAM_octet_string("seed", NULL, 0),
	    OSSL_PARAM_END,
	};

	return list;
}

static void *gen_init(OSSL_LIB_CTX *libctx, const char *alg, int selection,
                      const OSSL_PARAM params[])
{
	struct pqprov_gen *gen = OPENSSL_zalloc(sizeof(*gen));

	if (!gen)
		return NULL;
	gen->libctx = libctx;
	gen->g = pqgroup_by_name(alg);
	gen->selection = selection;
	if (!gen->g || !gen_set_params(gen, params)) {
		OPENSSL_clear_free(gen, sizeof(*gen));
		return NULL;
	}
	return gen;
}

static void *gen_run(void *vg, OSSL_CALLBACK *cb, void *arg)
{
	struct pqprov_gen *gen = vg;
	struct pqprov_key *k = key_new(gen->libctx, gen->g->alg);

	if (!k || !(gen->selection & OSSL_KEYMGMT_SELECT_KEYPAIR))
		return k; /* paramgen: an empty key for a peer's share */
	if (pqgroup_keygen(k->libctx, k->g, gen->has_seed ? gen->seed : NULL, NULL, &k->priv,
	                   k->pub) < 0) {
		key_free(k);
		return NULL;
	}
	k->has_pub = k->has_priv = 1;
	return k;
}

static void gen_cleanup(void *vg)
{
	OPENSSL_clear_free(vg, sizeof(struct pqprov_gen));
}

/* One new/gen_init pair per group, then its dispatch table. */
#define X(NAME, ALG, ...)                                                                     \
	static void *new_##NAME(void *provctx)                                                \
	{                                                                                     \
		return key_new(pqprov__libctx(provctx), ALG);                                 \
	}                                                                                     \
	static void *gen_init_##NAME(void *provctx, int selection, const OSSL_PARAM params[]) \
	{                                                                                     \
		return gen_init(pqprov__libctx(provctx), ALG, selection, params);             \
	}                                                                                     \
	const OSSL_DISPATCH pqprov__keymgmt_##NAME[] = {                                      \
	    {OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))new_##NAME},                              \
	    {OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))gen_init_##NAME},                    \
	    {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, (void (*)(void))gen_set_params},               \
	    {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, (void (*)(void))gen_settable_params},     \
	    {OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))gen_run},                                 \
	    {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))gen_cleanup},                     \
	    {OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))key_free},                               \
	    {OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))key_dup},                                 \
	    {OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))key_has},                                 \
	    {OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))key_match},                             \
	    {OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))key_get_params},                   \
	    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))key_gettable_params},         \
	    {OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))key_set_params},                   \
	    {OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, (void (*)(void))key_settable_params},         \
	    {OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))key_import},                           \
	    {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))key_io_types},                   \
	    {OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))key_export},                           \
	    {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))key_io_types},                   \
	    {0, NULL},                                                                        \
	};
#include "crypto/pq_groups.def"
#undef X
