/* SPDX-License-Identifier: Apache-2.0 */
/* Bounds-checked byte cursor; see cursor.h. */
#include "lib/cursor.h"

#include <string.h>

#include "lib/err.h"

void cursor_init(struct cursor *c, const void *buf, size_t len)
{
	c->start = buf;
	c->p = buf;
	c->end = buf ? c->p + len : c->p;
}

static int need(const struct cursor *c, size_t n)
{
	return cursor_left(c) < n ? ENARX_E_TRUNCATED : 0;
}

int cursor_u8(struct cursor *c, uint8_t *v)
{
	if (need(c, 1))
		return ENARX_E_TRUNCATED;
	*v = *c->p++;
	return 0;
}

int cursor_peek_u8(const struct cursor *c, uint8_t *v)
{
	if (need(c, 1))
		return ENARX_E_TRUNCATED;
	*v = *c->p;
	return 0;
}

static int read_le(struct cursor *c, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (need(c, n))
		return ENARX_E_TRUNCATED;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	*v = x;
	return 0;
}

static int read_be(struct cursor *c, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (need(c, n))
		return ENARX_E_TRUNCATED;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | c->p[i];
	c->p += n;
	*v = x;
	return 0;
}

#define DEFINE_FIXED(name, type, reader, size) \
	int name(struct cursor *c, type *v)    \
	{                                      \
		uint64_t x;                    \
		int rc = reader(c, size, &x);  \
		if (rc == 0)                   \
			*v = (type)x;          \
		return rc;                     \
	}

DEFINE_FIXED(cursor_u16le, uint16_t, read_le, 2)
DEFINE_FIXED(cursor_u32le, uint32_t, read_le, 4)
DEFINE_FIXED(cursor_u64le, uint64_t, read_le, 8)
DEFINE_FIXED(cursor_u16be, uint16_t, read_be, 2)
DEFINE_FIXED(cursor_u32be, uint32_t, read_be, 4)
DEFINE_FIXED(cursor_u64be, uint64_t, read_be, 8)

/* Reads an LEB128 value of at most `bits` significant bits. */
static int read_leb(struct cursor *c, unsigned bits, bool is_signed, uint64_t *v)
{
	const unsigned max_bytes = (bits + 6) / 7;
	const uint8_t *p = c->p;
	uint64_t x = 0;
	unsigned shift = 0;
	uint8_t b;

	for (unsigned i = 0;; i++) {
		if (p >= c->end)
			return ENARX_E_TRUNCATED;
		if (i >= max_bytes)
			return ENARX_E_LEB128;
		b = *p++;
		if (shift < 64)
			x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift > bits) {
		/* The last byte holds bits beyond `bits`: they must be zero or,
		 * for signed values, copies of the sign bit. */
		unsigned used = bits - (shift - 7); /* significant bits in last byte */
		uint8_t extra = (uint8_t)((b & 0x7f) >> used);
		uint8_t mask = (uint8_t)(0x7f >> used);

		if (!is_signed && extra != 0)
			return ENARX_E_LEB128;
		if (is_signed) {
			bool neg = (b >> (used - 1)) & 1;

			if (extra != (neg ? mask : 0))
				return ENARX_E_LEB128;
		}
	}
	if (is_signed && shift < 64 && (b & 0x40))
		x |= ~(uint64_t)0 << shift;
	if (!is_signed && bits < 64)
		x &= ((uint64_t)1 << bits) - 1;
	c->p = p;
	*v = x;
	return 0;
}

int cursor_uleb32(struct cursor *c, uint32_t *v)
{
	uint64_t x;
	int rc = read_leb(c, 32, false, &x);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

int cursor_uleb64(struct cursor *c, uint64_t *v)
{
	return read_leb(c, 64, false, v);
}

int cursor_sleb32(struct cursor *c, int32_t *v)
{
	uint64_t x;
	int rc = read_leb(c, 32, true, &x);

	if (rc == 0)
		*v = (int32_t)(uint32_t)x;
	return rc;
}

int cursor_sleb33(struct cursor *c, int64_t *v)
{
	uint64_t x;
	int rc = read_leb(c, 33, true, &x);

	if (rc == 0)
		*v = (int64_t)x;
	return rc;
}

int cursor_sleb64(struct cursor *c, int64_t *v)
{
	uint64_t x;
	int rc = read_leb(c, 64, true, &x);

	if (rc == 0)
		*v = (int64_t)x;
	return rc;
}

int cursor_bytes(struct cursor *c, size_t n, const uint8_t **out)
{
	if (need(c, n))
		return ENARX_E_TRUNCATED;
	*out = c->p;
	c->p += n;
	return 0;
}

int cursor_copy(struct cursor *c, void *dst, size_t n)
{
	if (need(c, n))
		return ENARX_E_TRUNCATED;
	if (n)
		memcpy(dst, c->p, n);
	c->p += n;
	return 0;
}

int cursor_skip(struct cursor *c, size_t n)
{
	if (need(c, n))
		return ENARX_E_TRUNCATED;
	c->p += n;
	return 0;
}

int cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (need(c, n))
		return ENARX_E_TRUNCATED;
	sub->start = c->start;
	sub->p = c->p;
	sub->end = c->p + n;
	c->p += n;
	return 0;
}

int cursor_expect_end(const struct cursor *c)
{
	return cursor_eof(c) ? 0 : ENARX_E_TRAILING;
}

int size_add(size_t a, size_t b, size_t *out)
{
	size_t r;

	if (__builtin_add_overflow(a, b, &r))
		return ENARX_E_OVERFLOW;
	*out = r;
	return 0;
}

int size_mul(size_t a, size_t b, size_t *out)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return ENARX_E_OVERFLOW;
	*out = r;
	return 0;
}
