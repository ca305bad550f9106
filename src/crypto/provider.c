/* SPDX-License-Identifier: Apache-2.0 */
/* enarx_pq provider entry: parameters, the algorithm tables (one key type
 * and one KEM per group of pq_groups.def) and the TLS-GROUP capability that
 * lets libssl 3.0 offer and negotiate the groups. */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/tls1.h>

#include "crypto/pq_provider.h"
#include "crypto/prov_internal.h"
#include "lib/err.h"

#define PROPS "provider=" PQ_PROVIDER_NAME

static const OSSL_ALGORITHM keymgmts[] = {
#define X(NAME, ALG, ...) {ALG, PROPS, pqprov__keymgmt_##NAME, "enarx_pq " ALG},
#include "crypto/pq_groups.def"
#undef X
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM kems[] = {
#define X(NAME, ALG, ...) {ALG, PROPS, pqprov__kem, "enarx_pq " ALG},
#include "crypto/pq_groups.def"
#undef X
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *query_operation(void *provctx, int op, int *no_cache)
{
	*no_cache = 0;
	switch (op) {
	case OSSL_OP_KEYMGMT: return keymgmts;
	case OSSL_OP_KEM: return kems;
	default: return NULL;
	}
}

/* One TLS-GROUP record: a KEM group for TLS 1.3 and later, never DTLS. */
static int group_capability(const struct pqgroup *g, OSSL_CALLBACK *cb, void *arg)
{
	unsigned int id = g->id, secbits = g->secbits, is_kem = 1;
	int min_tls = TLS1_3_VERSION, max_tls = 0, min_dtls = -1, max_dtls = -1;
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME, (char *)g->name, 0),
	    OSSL_PARAM_construct_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL,
	                                     (char *)g->name, 0),
	    OSSL_PARAM_construct_uint(OSSL_CAPABILITY_TLS_GROUP_ID, &id),
	    OSSL_PARAM_construct_utf8_string(OSSL_CAPABILITY_TLS_GROUP_ALG, (char *)g->alg, 0),
	    OSSL_PARAM_construct_uint(OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS, &secbits),
	    OSSL_PARAM_construct_uint(OSSL_CAPABILITY_TLS_GROUP_IS_KEM, &is_kem),
	    OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MIN_TLS, &min_tls),
	    OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MAX_TLS, &max_tls),
	    OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS, &min_dtls),
	    OSSL_PARAM_construct_int(OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS, &max_dtls),
	    OSSL_PARAM_construct_end(),
	};

	return cb(p, arg);
}

static int get_capabilities(void *provctx, const char *capability, OSSL_CALLBACK *cb, void *arg)
{
	size_t n;
	const struct pqgroup *all = pqgroup_all(&n);

	if (strcasecmp(capability, "TLS-GROUP") != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!group_capability(&all[i], cb, arg))
			return 0;
	return 1;
}

static const OSSL_PARAM *gettable_params(void *provctx)
{
	static const OSSL_PARAM list[] = {
	    OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, NULL, 0),
	    OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, NULL, 0),
	    OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, NULL, 0),
	    OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, NULL),
	    OSSL_PARAM_END,
	};

	return list;
}

static int get_params(void *provctx, OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) &&
	    !OSSL_PARAM_set_utf8_ptr(p, "Enarx post-quantum provider (ML-KEM, FIPS 203)"))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION)) &&
	    !OSSL_PARAM_set_utf8_ptr(p, "0.1.0"))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO)) &&
	    !OSSL_PARAM_set_utf8_ptr(p, "enarx " PQ_PROVIDER_NAME))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

OSSL_LIB_CTX *pqprov__libctx(void *provctx)
{
	return provctx ? ((struct pqprov_ctx *)provctx)->libctx : NULL;
}

static void teardown(void *provctx)
{
	OPENSSL_free(provctx);
}

static const OSSL_DISPATCH provider_dispatch[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query_operation},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))get_capabilities},
    {0, NULL},
};

int pq_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx)
{
	OSSL_FUNC_core_get_libctx_fn *get_libctx = NULL;
	struct pqprov_ctx *ctx;

	for (; in && in->function_id != 0; in++)
		if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX)
			get_libctx = OSSL_FUNC_core_get_libctx(in);
	if (!get_libctx || !(ctx = OPENSSL_zalloc(sizeof(*ctx))))
		return 0;
	ctx->handle = handle;
	/* The core's context is the OSSL_LIB_CTX we were loaded into, as for
	 * OpenSSL's own providers; a module shares the application's
	 * libcrypto, so the pointer is valid for its EVP calls too. */
	ctx->libctx = (OSSL_LIB_CTX *)get_libctx(handle);
	*provctx = ctx;
	*out = provider_dispatch;
	return 1;
}

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_PROVIDER *kept; /* the default context's, held for the process */

int pq_provider_load(OSSL_LIB_CTX *libctx, OSSL_PROVIDER **out)
{
	OSSL_PROVIDER *prov = NULL;
	int rc = 0;

	pthread_mutex_lock(&load_lock);
	if (!OSSL_PROVIDER_available(libctx, PQ_PROVIDER_NAME)) {
		/* try_load with retain_fallbacks keeps the default provider on,
		 * as it would be had nothing been loaded explicitly */
		if (!OSSL_PROVIDER_add_builtin(libctx, PQ_PROVIDER_NAME, pq_provider_init) ||
		    !(prov = OSSL_PROVIDER_try_load(libctx, PQ_PROVIDER_NAME, 1)))
			rc = ENARX_E_INTERNAL;
	}
	if (out)
		*out = prov;
	else if (prov && !libctx && !kept)
		kept = prov;
	pthread_mutex_unlock(&load_lock);
	return rc;
}
