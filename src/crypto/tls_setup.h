/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS setup every component that speaks TLS shares (TLSSock today; the
 * host agent, Steward and the Keep's TLS next): the enarx_pq provider loaded
 * into OpenSSL, and the default key-exchange preference, post-quantum
 * hybrid first as in OpenSSL 3.5 and browsers. */
#ifndef ENARX_CRYPTO_TLS_SETUP_H
#define ENARX_CRYPTO_TLS_SETUP_H

struct ssl_ctx_st;
struct ssl_st;

/* Default groups, most preferred first. The one home of this list: the
 * TLSSock policy defaults and enarx_tls_ctx_defaults() both read it. */
#define ENARX_TLS_DEFAULT_GROUPS "X25519MLKEM768:X25519:P-256:X448:P-384:P-521"

/* Loads the enarx_pq provider into OpenSSL's default library context (the
 * default provider stays available). Call before the first SSL_CTX_new:
 * libssl lists the groups a context can use when it is made. Idempotent.
 * Returns 0 or ENARX_E_INTERNAL. */
int enarx_tls_init(void);

/* enarx_tls_init(), then the default groups on ctx. Returns 0,
 * ENARX_E_INTERNAL or ENARX_E_INVAL (OpenSSL refused the list). */
int enarx_tls_ctx_defaults(struct ssl_ctx_st *ctx);

/* The negotiated group's TLS name ("X25519MLKEM768", "x25519"), including
 * provider groups; "" before a handshake. Never NULL; borrowed from
 * OpenSSL. */
const char *enarx_tls_group_name(struct ssl_st *ssl);

/* 1 if name is one of the post-quantum groups of pq_groups.def
 * (case-insensitive), else 0. Needs no OpenSSL. */
int enarx_tls_group_is_pq(const char *name);

#endif
