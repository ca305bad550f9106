/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed record streams for the deploy flow (docs/keep-protocol.md
 * "Deploy"): one HPKE (RFC 9180) context per direction, its info binding
 * the Keep's identity (its public keys and the client's nonce), records
 * numbered in the clear and by the AEAD nonce, each carrying a tag that
 * says what it is and whether it ends the stream. Used by the client
 * (src/deploy) and by the executor in the Keep (src/exec). */
#ifndef ENARX_PACKAGE_SEAL_H
#define ENARX_PACKAGE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hpke.h"
#include "keep/proto.h"
#include "lib/buf.h"

/* The deploy suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM. */
#define SEAL_KEM HPKE_KEM_X25519_SHA256
#define SEAL_KDF HPKE_KDF_HKDF_SHA256
#define SEAL_AEAD HPKE_AEAD_AES_256_GCM
#define SEAL_RECORD_MAX (1u << 20) /* plaintext bytes in one record */

/* Record tags: the last plaintext byte (data || tag). */
enum seal_tag {
	/* client -> Keep */
	SEAL_PKG = 1,       /* package bytes, more follow */
	SEAL_PKG_END = 2,   /* the last package bytes */
	SEAL_STDIN = 3,     /* workload stdin bytes */
	SEAL_STDIN_EOF = 4, /* end of stdin (empty) */
	/* Keep -> client */
	SEAL_IDENTITY = 16, /* package digest (32) || Ed25519 signature (64) */
	SEAL_STDOUT = 17,
	SEAL_STDERR = 18,
	SEAL_EXIT = 19,     /* u32le exit code; ends the stream */
	SEAL_TRAP = 20,     /* a TRAP payload (keep/proto.h); ends the stream */
	SEAL_ERROR = 21,    /* text; ends the stream */
	SEAL_TLS_CERT = 22, /* DER of the Keep's own TLS certificate (prot = "tls") */
};

/* Which way a stream goes: part of its HPKE info. */
enum seal_dir { SEAL_TO_KEEP = 0, SEAL_TO_CLIENT = 1 };

/* The Keep's binding (also its REPORT_DATA): SHA-512 of
 * "enarx-deploy-v1 keys" || u32le len || kem_pk || u32le len || sig_pk ||
 * u32le len || nonce. */
int seal_binding(const uint8_t *kem_pk, size_t kem_len, const uint8_t *sig_pk, size_t sig_len,
                 const uint8_t *nonce, size_t nonce_len, uint8_t out[KP_BINDING_LEN]);

/* The signed statement of the workload identity: Ed25519 over
 * "enarx-deploy-v1 identity" || binding || digest (sealed.c builds it). */
#define SEAL_IDENTITY_LABEL "enarx-deploy-v1 identity"

struct seal_stream;

/* Sender side: encapsulates to pkR (base mode; auth mode when skS is
 * given) with info "enarx-deploy-v1 " dir || binding, and appends the
 * SEAL_HEAD / OUT_HEAD payload to head. 0 or an ENARX_E_* (HPKE). */
int seal_sender_new(const hpke_key *pkR, const hpke_key *skS, enum seal_dir dir,
                    const uint8_t binding[KP_BINDING_LEN], struct buf *head,
                    struct seal_stream **out);

/* Recipient side: checks the head (suite, binding = ours) and decapsulates
 * with skR (auth mode when pkS is given). On error err names the check
 * ("sealed to another Keep: binding ..."). */
int seal_recipient_new(const hpke_key *skR, const hpke_key *pkS, enum seal_dir dir,
                       const uint8_t binding[KP_BINDING_LEN], const uint8_t *head, size_t head_len,
                       struct seal_stream **out, char *err, size_t errlen);

/* Seals one record (data || tag, data_len <= SEAL_RECORD_MAX) and appends
 * the SEALED_IN / SEALED_OUT payload (index, ciphertext) to frame. */
int seal_record(struct seal_stream *s, uint8_t tag, const uint8_t *data, size_t data_len,
                struct buf *frame);

/* The same without copying data first: data must have one more writable
 * byte after data_len, which is borrowed for the tag and restored (the
 * client's package buffer). */
int seal_record_spare(struct seal_stream *s, uint8_t tag, uint8_t *data, size_t data_len,
                      struct buf *frame);

/* Opens one SEALED payload: the index must be the next one, the
 * ciphertext authentic, and nothing may follow a final record. On success
 * *tag is set and the data is appended to out; *final says whether the
 * record ended the stream. err names the failure: "record 3 arrived where
 * record 2 was expected", "record 2 is not authentic", ... */
int seal_open(struct seal_stream *s, const uint8_t *payload, size_t len, uint8_t *tag,
              struct buf *out, int *final, char *err, size_t errlen);

/* Records sealed or opened so far. */
uint64_t seal_count(const struct seal_stream *s);

/* A tag that ends its stream (PKG_END for the package part, EXIT/TRAP/ERROR). */
int seal_tag_final(uint8_t tag);

void seal_stream_free(struct seal_stream *s);

#endif
