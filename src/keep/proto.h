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

#include "lib/buf.h"

#define KP_VERSION 1
#define KP_MAX_PAYLOAD (128u << 20) /* wasm may be up to 100 MB as in Enarx */
#define KP_MAX_ARGS 4096
#define KP_HEADER_SIZE 8       /* u32le type, u32le payload length */
#define KP_MAX_FILES 64        /* FILE messages per workload */
#define KP_MAX_FILE (1u << 20) /* bytes of one FILE */

enum kp_type {
	/* host -> Keep, in this order: HELLO, WASM, [CONFIG], [ARGS], RUN */
	KP_HELLO = 1,  /* u32 version, u32 log level, [u32 engine] */
	KP_WASM = 2,   /* module bytes */
	KP_CONFIG = 3, /* Enarx.toml text */
	KP_ARGS = 4,   /* u32 count, then count x (u32 len, bytes) */
	KP_RUN = 5,    /* empty: start the workload */
	/* a file of the workload package named by Enarx.toml (TLS anchors,
	 * certificates, keys): string name, then the bytes. Any number (at
	 * most KP_MAX_FILES) after WASM and before RUN. */
	KP_FILE = 6,
	/* Keep -> host */
	KP_TEE = 0x80,   /* u32 tee kind (0 = none), string note */
	KP_EXIT = 0x81,  /* u32 exit code of the workload */
	KP_TRAP = 0x82,  /* string message, u32 n, n x frame */
	KP_ERROR = 0x83, /* string: the executor could not run the workload */
	/* DER certificate the Keep's TLS listeners present (self-signed for
	 * the Keep's own key), so the host can show its fingerprint */
	KP_TLS_CERT = 0x84,
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
int kp_enc_trap(struct buf *b, const struct kp_trap *t);
/* FILE: name, then len bytes of data (len <= KP_MAX_FILE). */
int kp_enc_file(struct buf *b, const char *name, const void *data, size_t len);

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
int kp_dec_tee(const uint8_t *p, size_t len, uint32_t *kind, char **note);
/* FILE: *name is new (xfree); *data points into p (*dlen bytes). */
int kp_dec_file(const uint8_t *p, size_t len, char **name, const uint8_t **data, size_t *dlen);

void kp_free_strv(char **v, size_t n);
void kp_trap_clear(struct kp_trap *t);

/* Name of a message type for errors ("HELLO", ..., "?"). */
const char *kp_type_name(uint32_t type);

#endif
