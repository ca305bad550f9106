/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep side of Steward certification (docs/steward.md "The Keep
 * side"): when Enarx.toml names `steward`, the executor makes a key of the
 * type Steward expects for its TEE, evidence whose REPORT_DATA binds it,
 * and a PKCS#10 CSR carrying that evidence (and the workload digest); the
 * CSR goes to Steward through the host (exec/relay.h), and the chain that
 * comes back is checked (its leaf is our key; it chains to `steward_ca`
 * when the workload names one) and held: TLS listeners present it. */
#ifndef ENARX_EXEC_STEWARD_H
#define ENARX_EXEC_STEWARD_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct config;
struct exec_workload;
struct exec_steward;

/*
 * A fresh key and its CSR (DER, appended to csr): P-256 on KVM (the only
 * TEE whose SYS_GETATT this executor knows), REPORT_DATA = SHA-256 of the
 * key's SubjectPublicKeyInfo, zero-padded to 64 bytes (Steward's
 * csr.binding); the evidence in extension 1.3.6.1.4.1.58270.1.1; the
 * workload digest (32 to 64 bytes, or none when wlen is 0) in extension
 * <Steward arc>.7; with san ("DNS:localhost,IP:127.0.0.1", or NULL) a
 * subjectAltName the certificate should carry. Returns 0 with *key (free with EVP_PKEY_free), or
 * ENARX_E_NOTFOUND on nil (no TEE, no evidence) / ENARX_E_* with err.
 */
int exec_steward_csr(const uint8_t *workload, size_t wlen, const char *san, EVP_PKEY **key,
                     struct buf *csr, char *err, size_t errlen);

/*
 * Checks Steward's answer: der is a DER SEQUENCE OF Certificate, leaf first,
 * whose leaf holds key. With ca_pem (PEM CA certificates, ca_len bytes)
 * the chain must verify up to one of them (time: now). Returns 0 with
 * *leaf and *chain (the rest, maybe empty; free with X509_free and
 * sk_X509_pop_free), or ENARX_E_ATTEST_CHAIN / ENARX_E_MALFORMED with err.
 */
int exec_steward_check_chain(EVP_PKEY *key, const uint8_t *der, size_t len, const uint8_t *ca_pem,
                             size_t ca_len, X509 **leaf, STACK_OF(X509) * *chain, char *err,
                             size_t errlen);

/*
 * The whole flow at the start of `enarx run` (not a deploy): CSR (with the
 * SHA-256 of the module as the workload digest), POST to cfg->steward
 * through the host's relay on fd, check, hold. A nil Keep cannot be
 * certified: ENARX_E_PERM with the reason (the executor refuses to run).
 * Returns 0 with *out (free with exec_steward_free) or ENARX_E_* with err.
 */
int exec_steward_certify(int fd, const struct config *cfg, const struct exec_workload *wl,
                         struct exec_steward **out, char *err, size_t errlen);
void exec_steward_free(struct exec_steward *s); /* accepts NULL */

/* Borrowed from s: the certified key, the leaf, the rest of the chain. */
EVP_PKEY *exec_steward_key(const struct exec_steward *s);
X509 *exec_steward_leaf(const struct exec_steward *s);
STACK_OF(X509) * exec_steward_chain(const struct exec_steward *s);

#endif
