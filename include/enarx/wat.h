/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enarx/wat.h: the WebAssembly text format (.wat) to binary module
 * converter. Accepts the full WebAssembly 2.0 text format except SIMD, as a
 * module `(module ...)`, `(module binary "...")`, or a bare list of module
 * fields. The output is a binary module encoded as wabt's wat2wasm encodes
 * it (minimal LEB128s, no name section). No OS dependencies.
 */
#ifndef ENARX_WAT_H
#define ENARX_WAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where and why parsing failed. line and col are 1-based (col counts
 * bytes); message is NUL-terminated English, e.g. "unknown operator
 * \"i32.foo\"". */
typedef struct ewat_error {
	unsigned line;
	unsigned col;
	char message[240];
} ewat_error;

/*
 * Parses len bytes of WebAssembly text at `text` (need not be
 * NUL-terminated) and encodes the module. On success returns 0 and sets *out
 * to a buffer of *out_len bytes owned by the caller (free it with
 * ewat_free()). On failure returns a negative ENARX_E_* code (lib/err.h):
 * ENARX_E_WAT_SYNTAX for malformed text (details in *err if err is not
 * NULL), ENARX_E_NOMEM; *out is then NULL.
 */
int ewat_parse(const char *text, size_t len, uint8_t **out, size_t *out_len, ewat_error *err);

/* Frees a buffer returned by ewat_parse(); NULL is fine. */
void ewat_free(uint8_t *bytes);

/* True if the first bytes are the binary module magic "\0asm" (so the
 * bytes are not text). */
int ewat_is_binary(const uint8_t *bytes, size_t len);

#ifdef __cplusplus
}
#endif

#endif
