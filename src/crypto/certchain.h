/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate chains as Steward answers them (docs/steward.md): a DER
 * SEQUENCE OF Certificate, leaf first. Read by the Keep (which checks the
 * chain against the `steward_ca` it was given) and by `enarx deploy
 * --steward` (against --steward-ca). The bytes come from an untrusted
 * party: bounded, parsed by OpenSSL, refused whole on any error. */
#ifndef ENARX_CRYPTO_CERTCHAIN_H
#define ENARX_CRYPTO_CERTCHAIN_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#define CERTCHAIN_MAX 8              /* certificates */
#define CERTCHAIN_DER_MAX (1u << 20) /* bytes */

/* Splits der into *leaf and *rest (maybe empty). 0, or ENARX_E_MALFORMED
 * with err (then nothing is returned). Free with X509_free and
 * sk_X509_pop_free(.., X509_free). */
int certchain_parse(const uint8_t *der, size_t len, X509 **leaf, STACK_OF(X509) * *rest, char *err,
                    size_t errlen);

/* Verifies leaf (with rest as untrusted intermediates) up to one of the
 * PEM CA certificates in ca_pem (ca_len bytes), or, when ca_pem is NULL,
 * the system's trust store, at the current time. 0, ENARX_E_MALFORMED (no
 * CA in ca_pem) or ENARX_E_ATTEST_CHAIN with OpenSSL's reason in err. */
int certchain_verify(X509 *leaf, STACK_OF(X509) * rest, const uint8_t *ca_pem, size_t ca_len,
                     char *err, size_t errlen);

#endif
