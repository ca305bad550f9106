/* SPDX-License-Identifier: Apache-2.0 */
/* The keep protocol (docs/keep-protocol.md): length-prefixed messages on
 * fd 3 between the host and the executor in the Keep. A frame is a u32le
 * type, a u32le payload length and the payload. Used by both sides: the
 * host encodes the workload and decodes the result; the executor does the
 * reverse. Every decoder reads through lib/cursor.h and fails closed. */
#ifndef ENARX_KEEP_PROTO_H
#define ENARX_KEEP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "keep/limits.h"
#include "lib/buf.h"

#define KP_VERSION 1
#define KP_MAX_PAYLOAD (128u << 20) /* wasm may be up to 100 MB as in Enarx */
#define KP_MAX_ARGS 4096
#define KP_HEADER_SIZE 8       /* u32le type, u32le payload length */
#define KP_TRAP_MAX (1u << 20) /* largest TRAP payload kp_enc_trap() makes */
#define KP_NAME_MAX 4096       /* longest frame name in a TRAP, in bytes */
#define KP_MAX_FILES 64        /* FILE messages per workload */
#define KP_MAX_FILE (1u << 20) /* bytes of one FILE */

enum kp_type {
	/* host -> Keep, in this order: HELLO, WASM, [CONFIG], [ARGS], RUN */
	KP_HELLO = 1,  /* u32 version, u32 log level, [u32 engine] */
	KP_WASM = 2,   /* module bytes */
	KP_CONFIG = 3, /* Enarx.toml text */
	KP_ARGS = 4,   /* u32 count, then count x (u32 len, bytes) */
	KP_RUN = 5,    /* empty: start the workload */
	/* host -> Keep, a deploy session (docs/keep-protocol.md "Deploy"):
	 * DEPLOY_HELLO, then SEAL_HEAD and SEALED records from the client */
	KP_DEPLOY_HELLO = 6, /* u32 version, u32 log level, u32 engine, bytes nonce */
	KP_SEAL_HEAD = 7,    /* the client's HPKE stream to the Keep (kp_seal_head) */
	KP_SEALED_IN = 8,    /* u64 index, ciphertext: one record of that stream */
	KP_LIMITS = 9,       /* u64 memory, u64 fuel, u64 wall_ms, u32 fds, u64 output,
			  u64 cpu_ms (keep/limits.h; 0 = not set) */
	KP_CONFDIR = 10,     /* string: the absolute directory of the Enarx.toml;
			   relative `dir` paths are taken from there */
	/* a file of the workload package named by Enarx.toml (TLS anchors,
	 * certificates, keys): string name, then the bytes. Any number (at
	 * most KP_MAX_FILES) after WASM and before RUN. */
	KP_FILE = 11,
	/* the answer to an HTTP_REQ (kp_http_resp): u32 id, u32 status (0 =
	 * the host made no exchange, then the body is its error text), string
	 * content_type, bytes body */
	KP_HTTP_RESP = 12,
	/* Keep -> host */
	KP_TEE = 0x80,   /* u32 tee kind (0 = none), string note */
	KP_EXIT = 0x81,  /* u32 exit code of the workload */
	KP_TRAP = 0x82,  /* string message, u32 n, n x frame */
	KP_ERROR = 0x83, /* string: the executor could not run the workload */
	/* Keep -> host, a deploy session */
	KP_EVIDENCE = 0x84,   /* the Keep's keys and evidence (kp_evidence) */
	KP_OUT_HEAD = 0x85,   /* the Keep's HPKE stream to the client (kp_seal_head) */
	KP_SEALED_OUT = 0x86, /* u64 index, ciphertext: one record of that stream */
	/* DER certificate the Keep's TLS listeners present (self-signed for
	 * the Keep's own key), so the host can show its fingerprint */
	KP_TLS_CERT = 0x87,
	/* Keep -> host: the TRAP that follows ended the workload at a limit */
	KP_LIMIT_HIT = 0x8b, /* u32 enum keep_limit_kind (keep/limits.h) */
	/* Keep -> host, a run with a TEE, right after TEE (0x88-0x8b are
	 * reserved for other messages) */
	KP_MEASURE = 0x8c, /* u32 tee kind (1 or 2), bytes evidence: the Keep's
			      own SYS_GETATT report for an all-zero nonce
			      (kvm: struct keep_kvm_evidence, whose measurement
			      is the launch digest) */
	/* the relay (docs/keep-protocol.md "HTTP relay"): the executor asks
	 * the untrusted host to make one HTTPS request for it (kp_http_req):
	 * u32 id, string method, string url, string content_type, string
	 * accept, bytes body. Any time after RUN, outside a deploy. */
	KP_HTTP_REQ = 0x88,
};

/* HTTP relay bounds: a request or answer body, a URL, the other strings. */
#define KP_HTTP_BODY_MAX (1u << 20)
#define KP_HTTP_URL_MAX 2048
#define KP_HTTP_FIELD_MAX 256

/* HTTP_REQ. Strings are new (kp_http_req_clear), the body is borrowed. */
struct kp_http_req {
	uint32_t id;
	char *method, *url, *ctype, *accept;
	const uint8_t *body;
	size_t body_len;
};

/* HTTP_RESP. ctype is new (kp_http_resp_clear), the body is borrowed. */
struct kp_http_resp {
	uint32_t id, status;
	char *ctype;
	const uint8_t *body;
	size_t body_len;
};

/* Deploy: bounds on the fields of the messages above. */
#define KP_NONCE_MIN 16
#define KP_NONCE_MAX 64
#define KP_BINDING_LEN 64     /* SHA-512 over the Keep's keys and the nonce */
#define KP_KEY_MAX 133        /* a serialised public key (HPKE_MAX_PK_LEN) */
#define KP_EVIDENCE_MAX 65536 /* a TEE report or quote with its certificates */
#define KP_NOTE_MAX 256

/* TEE kinds in TEE and EVIDENCE messages. */
enum kp_tee {
	KP_TEE_NONE = 0, /* nil: no TEE, no evidence */
	KP_TEE_KVM = 1,  /* KVM: insecure evidence (struct keep_kvm_evidence) */
	KP_TEE_OTHER = 2 /* a hardware TEE: its report or quote */
};

/* DEPLOY_HELLO flags (an optional u32 after the nonce; absent = 0). */
#define KP_DEPLOY_STEWARD \
	1u /* the client certifies the Keep through
                                Steward: EVIDENCE carries csr and key_sig */

/* What key_sig signs (ECDSA with SHA-256, DER): this context string, then
 * the KP_BINDING_LEN-byte binding of the Keep's keys and the nonce. */
#define KP_STEWARD_SIG_CONTEXT "enarx-deploy-v1 steward-key"

/* Bounds of the Steward fields of EVIDENCE. */
#define KP_CSR_MAX 65536   /* a CSR with its evidence */
#define KP_KEY_SIG_MAX 160 /* a DER ECDSA signature (P-384: at most 104) */

/* DEPLOY_HELLO. nonce is borrowed from the decoded payload. */
struct kp_deploy_hello {
	uint32_t version, log_level, engine;
	const uint8_t *nonce;
	size_t nonce_len;
	uint32_t flags; /* KP_DEPLOY_*; encoded only when non-zero */
};

/* EVIDENCE: u32 kind, bytes nonce (the one the Keep answered), bytes
 * evidence (empty on nil), bytes kem_pk (HPKE X25519), bytes sig_pk
 * (Ed25519), bytes note (text); when the client asked for Steward
 * (KP_DEPLOY_STEWARD) and the Keep could make one, also bytes csr (a
 * PKCS#10 CSR for Steward, docs/steward.md) and bytes key_sig (the CSR
 * key's ECDSA signature binding the keys above and the nonce,
 * docs/deploy.md "With Steward"). Every pointer is borrowed. */
struct kp_evidence {
	uint32_t kind;
	const uint8_t *nonce, *evidence, *kem_pk, *sig_pk, *note, *csr, *key_sig;
	size_t nonce_len, evidence_len, kem_pk_len, sig_pk_len, note_len, csr_len, key_sig_len;
};

/* SEAL_HEAD / OUT_HEAD: u16 kem, u16 kdf, u16 aead, bytes binding (the
 * KP_BINDING_LEN bytes of the Keep it is sealed to), bytes enc. */
struct kp_seal_head {
	uint16_t kem, kdf, aead;
	const uint8_t *binding, *enc;
	size_t binding_len, enc_len;
};

/* How the executor runs the module (HELLO's optional third word). */
enum kp_engine {
	KP_ENGINE_INTERP = 0, /* the interpreter (default) */
	KP_ENGINE_JIT = 1     /* the baseline compiler, interpreter fallback */
};

/* A trap frame: u32 func_index, u32 code_offset, string name ("" if none). */
struct kp_frame {
	uint32_t func_index;
	uint32_t code_offset;
	char *name;
};

struct kp_trap {
	char *message;
	struct kp_frame *frames;
	uint32_t nframes;
};

/* Reads one whole frame from fd (blocking, restarting on EINTR). On success
 * *type is set and *payload is a new heap buffer of *len bytes (free with
 * xfree; may be NULL when len is 0). Returns 0, ENARX_E_NOTFOUND at a clean
 * end of stream before any byte, ENARX_E_TRUNCATED if the stream ends
 * inside a frame, ENARX_E_OVERFLOW for a payload above max, ENARX_E_IO. */
int kp_read(int fd, uint32_t *type, uint8_t **payload, size_t *len, size_t max);

/* Writes one frame. 0 or ENARX_E_IO. */
int kp_write(int fd, uint32_t type, const void *payload, size_t len);

/* Frame header for a payload of len bytes (len <= KP_MAX_PAYLOAD). */
void kp_frame_header(uint8_t hdr[KP_HEADER_SIZE], uint32_t type, size_t len);

/* Splits the first frame off p[0..len), for readers that do not block.
 * Returns 0 with *type, *payload (pointing into p), *plen and *used (header
 * plus payload bytes); ENARX_E_TRUNCATED while p holds no whole frame yet;
 * ENARX_E_OVERFLOW if the header announces a payload above max (or
 * KP_MAX_PAYLOAD). */
int kp_frame_split(const uint8_t *p, size_t len, size_t max, uint32_t *type,
                   const uint8_t **payload, size_t *plen, size_t *used);

/* Encoders append a payload to b. */
/* HELLO: version, log level and the wasm engine (KP_ENGINE_*). */
int kp_enc_hello(struct buf *b, uint32_t log_level, uint32_t engine);
int kp_enc_args(struct buf *b, const char *const *args, size_t n);
int kp_enc_string(struct buf *b, const char *s);
/* A trap report always fits in KP_TRAP_MAX bytes (well below what a host
 * reads, KEEP_SESSION_MSG_MAX): names longer than KP_NAME_MAX are cut (they
 * end in "..."), and the frames that do not fit are left out; either way
 * the message gets a note saying what was cut. */
int kp_enc_trap(struct buf *b, const struct kp_trap *t);
/* FILE: name, then len bytes of data (len <= KP_MAX_FILE). */
int kp_enc_file(struct buf *b, const char *name, const void *data, size_t len);
int kp_enc_limits(struct buf *b, const struct keep_limits *l);

/* Decoders: validate the whole payload; on error return ENARX_E_* and leave
 * nothing allocated. */
/* The engine word is optional (absent: KP_ENGINE_INTERP). */
int kp_dec_hello(const uint8_t *p, size_t len, uint32_t *version, uint32_t *log_level,
                 uint32_t *engine);
/* *args is a NULL-terminated vector of n strings (free with kp_free_strv). */
int kp_dec_args(const uint8_t *p, size_t len, char ***args, size_t *n);
int kp_dec_u32(const uint8_t *p, size_t len, uint32_t *v);
/* A u32-length-prefixed UTF-8-agnostic string with no NUL inside. */
int kp_dec_string(const uint8_t *p, size_t len, char **s);
int kp_dec_trap(const uint8_t *p, size_t len, struct kp_trap *t);
/* Refuses values outside the ranges of keep/limits.h (ENARX_E_MALFORMED). */
int kp_dec_limits(const uint8_t *p, size_t len, struct keep_limits *l);
int kp_dec_tee(const uint8_t *p, size_t len, uint32_t *kind, char **note);
/* FILE: *name is new (xfree); *data points into p (*dlen bytes). */
int kp_dec_file(const uint8_t *p, size_t len, char **name, const uint8_t **data, size_t *dlen);
/* MEASURE: kind KP_TEE_KVM or KP_TEE_OTHER, 1..KP_EVIDENCE_MAX bytes of
 * evidence (borrowed from p). */
int kp_enc_measure(struct buf *b, uint32_t kind, const uint8_t *ev, size_t len);
int kp_dec_measure(const uint8_t *p, size_t len, uint32_t *kind, const uint8_t **ev, size_t *evlen);

/* Deploy messages. Decoders check every length and bound (the KP_*_MAX
 * above) and borrow from p; they allocate nothing. */
int kp_enc_deploy_hello(struct buf *b, const struct kp_deploy_hello *h);
int kp_dec_deploy_hello(const uint8_t *p, size_t len, struct kp_deploy_hello *h);
int kp_enc_evidence(struct buf *b, const struct kp_evidence *e);
int kp_dec_evidence(const uint8_t *p, size_t len, struct kp_evidence *e);
int kp_enc_seal_head(struct buf *b, const struct kp_seal_head *h);
int kp_dec_seal_head(const uint8_t *p, size_t len, struct kp_seal_head *h);
/* SEALED_IN / SEALED_OUT: the ciphertext is the rest of the payload (at
 * least a tag long). */
int kp_enc_sealed(struct buf *b, uint64_t index, const uint8_t *ct, size_t ct_len);
int kp_dec_sealed(const uint8_t *p, size_t len, uint64_t *index, const uint8_t **ct,
                  size_t *ct_len);

/* HTTP relay messages: every string and the body within the KP_HTTP_*
 * bounds; method a token of A-Z, url starting with http:// or https://. */
int kp_enc_http_req(struct buf *b, const struct kp_http_req *r);
int kp_dec_http_req(const uint8_t *p, size_t len, struct kp_http_req *r);
void kp_http_req_clear(struct kp_http_req *r);
int kp_enc_http_resp(struct buf *b, const struct kp_http_resp *r);
int kp_dec_http_resp(const uint8_t *p, size_t len, struct kp_http_resp *r);
void kp_http_resp_clear(struct kp_http_resp *r);

void kp_free_strv(char **v, size_t n);
void kp_trap_clear(struct kp_trap *t);

/* Name of a message type for errors ("HELLO", ..., "?"). */
const char *kp_type_name(uint32_t type);

#endif
