/* SPDX-License-Identifier: Apache-2.0 */
/* Bounds-checked reader for untrusted bytes (wasm, evidence, sallyport
 * blocks, protocol messages). Every read either succeeds entirely and
 * advances, or fails with a negative ENARX_E_* and leaves the cursor where it
 * was. Offsets are measured from the start of the outermost buffer, so
 * sub-cursors report positions an error message can quote. */
#ifndef ENARX_LIB_CURSOR_H
#define ENARX_LIB_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *start; /* start of the outermost buffer (for offsets) */
	const uint8_t *p;     /* next byte to read */
	const uint8_t *end;   /* one past the last readable byte */
};

/* Starts reading len bytes at buf. The cursor borrows buf. */
void cursor_init(struct cursor *c, const void *buf, size_t len);

/* Bytes left to read. */
static inline size_t cursor_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

/* Offset of the next byte from the start of the outermost buffer. */
static inline size_t cursor_offset(const struct cursor *c)
{
	return (size_t)(c->p - c->start);
}

static inline bool cursor_eof(const struct cursor *c)
{
	return c->p >= c->end;
}

int cursor_u8(struct cursor *c, uint8_t *v);
int cursor_peek_u8(const struct cursor *c, uint8_t *v);
int cursor_u16le(struct cursor *c, uint16_t *v);
int cursor_u32le(struct cursor *c, uint32_t *v);
int cursor_u64le(struct cursor *c, uint64_t *v);
int cursor_u16be(struct cursor *c, uint16_t *v);
int cursor_u32be(struct cursor *c, uint32_t *v);
int cursor_u64be(struct cursor *c, uint64_t *v);

/* LEB128 with the WebAssembly rules: at most ceil(N/7) bytes, and the unused
 * bits of the last byte must be zero (unsigned) or sign copies (signed).
 * Errors: ENARX_E_TRUNCATED, ENARX_E_LEB128. */
int cursor_uleb32(struct cursor *c, uint32_t *v);
int cursor_uleb64(struct cursor *c, uint64_t *v);
int cursor_sleb32(struct cursor *c, int32_t *v);
int cursor_sleb33(struct cursor *c, int64_t *v);
int cursor_sleb64(struct cursor *c, int64_t *v);

/* Borrows the next n bytes (valid as long as the buffer is). */
int cursor_bytes(struct cursor *c, size_t n, const uint8_t **out);

/* Copies the next n bytes to dst. */
int cursor_copy(struct cursor *c, void *dst, size_t n);

/* Skips n bytes. */
int cursor_skip(struct cursor *c, size_t n);

/* Splits off the next n bytes as *sub (same start, so offsets stay absolute)
 * and advances c past them. */
int cursor_sub(struct cursor *c, size_t n, struct cursor *sub);

/* Returns 0 if nothing is left, ENARX_E_TRAILING otherwise. */
int cursor_expect_end(const struct cursor *c);

/* Overflow-checked size arithmetic: 0, or ENARX_E_OVERFLOW (out untouched). */
int size_add(size_t a, size_t b, size_t *out);
int size_mul(size_t a, size_t b, size_t *out);

/* True if [off, off+len) lies within a region of size total. */
static inline bool range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

#endif
