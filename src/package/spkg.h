/* SPDX-License-Identifier: Apache-2.0 */
/* Steward-sealed packages (docs/package.md "Sealed for Steward"): a
 * package (package.h) encrypted with HPKE to a fresh package key whose
 * private half only Steward's key broker holds, under a secret name and a
 * release policy. The header names the Steward (URL, CA) and the secret;
 * it is authenticated as the AAD and bound into the HPKE info, so a host
 * that changes it makes the package unopenable. `enarx package build
 * --for-steward` writes one; the executor in a Keep attests to Steward,
 * receives the package key sealed to its own key, and opens it
 * (exec/broker.c). The reader is for untrusted bytes (fuzz target
 * tests/fuzz/package/fuzz_spkg.c). */
#ifndef ENARX_PACKAGE_SPKG_H
#define ENARX_PACKAGE_SPKG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hpke.h"
#include "lib/buf.h"

#define SPKG_MAGIC "ENARXSPK" /* 8 bytes, no NUL */
#define SPKG_MAGIC_LEN 8
#define SPKG_VERSION 1u
#define SPKG_MAX_URL 2048
#define SPKG_MAX_NAME 64 /* Steward's secret names: [A-Za-z0-9._-]{1,64} */
#define SPKG_MAX_CA (64u << 10)
/* The package suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM. */
#define SPKG_KEM HPKE_KEM_X25519_SHA256
#define SPKG_KDF HPKE_KDF_HKDF_SHA256
#define SPKG_AEAD HPKE_AEAD_AES_256_GCM
#define SPKG_SK_LEN 32 /* the X25519 private key: the secret Steward holds */
#define SPKG_INFO_LABEL "enarx-package-v1 steward "

/* A parsed header; pointers borrow from the parsed bytes. */
struct spkg_head {
	uint16_t kem, kdf, aead;
	char url[SPKG_MAX_URL + 1]; /* NUL-terminated copies */
	char name[SPKG_MAX_NAME + 1];
	const uint8_t *ca; /* PEM of the Steward CA (may be empty) */
	size_t ca_len;
	const uint8_t *enc; /* the HPKE encapsulated key */
	size_t enc_len;
	size_t head_len;   /* bytes 0..head_len are the AAD */
	const uint8_t *ct; /* the rest: the sealed package */
	size_t ct_len;
};

/* 1 if data starts with SPKG_MAGIC. */
int spkg_is(const uint8_t *data, size_t len);

/* 1 if name is a Steward secret name: 1..64 of [A-Za-z0-9._-]. */
int spkg_name_ok(const char *name);

/* Seals pkg[0..len) (an encoded package) for url/name with a fresh
 * package key; appends the sealed package to out and writes the private
 * key (SPKG_SK_LEN bytes: the secret to store in Steward) to sk. ca may be
 * NULL. 0, ENARX_E_INVAL (err says which argument), ENARX_E_NOMEM or an
 * HPKE error. */
int spkg_seal(const uint8_t *pkg, size_t len, const char *url, const char *name, const uint8_t *ca,
              size_t ca_len, struct buf *out, uint8_t sk[SPKG_SK_LEN], char *err, size_t errlen);

/* Reads the header of data[0..len). 0, or ENARX_E_MALFORMED /
 * _TRUNCATED / _OVERFLOW / _NOTSUP with err naming the field and its byte
 * offset. */
int spkg_parse(const uint8_t *data, size_t len, struct spkg_head *h, char *err, size_t errlen);

/* Opens a parsed package with the package private key (sk, sk_len bytes)
 * into plain (appended). 0, ENARX_E_HPKE_KEY (not an X25519 key) or
 * ENARX_E_HPKE_OPEN ("not authentic": another key, or a changed byte). */
int spkg_open(const uint8_t *data, const struct spkg_head *h, const uint8_t *sk, size_t sk_len,
              struct buf *plain, char *err, size_t errlen);

#endif
