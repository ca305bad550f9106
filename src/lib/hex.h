/* SPDX-License-Identifier: Apache-2.0 */
/* Hex and base64 encoding and strict decoding. */
#ifndef ENARX_LIB_HEX_H
#define ENARX_LIB_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Value of one hex digit (0-9, a-f, A-F), or -1 for any other c. */
int hex_digit(int c);

/* Writes 2*n lowercase hex digits and a NUL to out (size >= 2*n+1). */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Decodes exactly 2*outlen hex digits from a string of length len.
 * Errors: ENARX_E_ENCODING (bad digit or wrong length). */
int hex_decode(const char *in, size_t len, uint8_t *out, size_t outlen);

/* Base64 (RFC 4648, with padding). Encoded size: 4*((n+2)/3)+1 incl. NUL. */
void base64_encode(const uint8_t *in, size_t n, char *out);

/* Decodes standard or URL-safe base64 (padding optional); *outlen in: room,
 * out: bytes written. Errors: ENARX_E_ENCODING, ENARX_E_OVERFLOW (no room). */
int base64_decode(const char *in, size_t len, uint8_t *out, size_t *outlen);

#endif
