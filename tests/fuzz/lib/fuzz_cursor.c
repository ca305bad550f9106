/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the cursor: the first byte is a program of operations run
 * against the rest; checks the cursor never reads outside its buffer and that
 * a failed read leaves it unchanged. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "lib/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void step(struct cursor *c, uint8_t op)
{
	struct cursor before = *c, sub;
	uint64_t u64;
	int64_t s64;
	uint32_t u32;
	int32_t s32;
	uint16_t u16;
	uint8_t u8, tmp[16];
	const uint8_t *p;
	int rc = 0;

	switch (op % 16) {
	case 0: rc = cursor_u8(c, &u8); break;
	case 1: rc = cursor_u16le(c, &u16); break;
	case 2: rc = cursor_u32be(c, &u32); break;
	case 3: rc = cursor_u64le(c, &u64); break;
	case 4: rc = cursor_uleb32(c, &u32); break;
	case 5: rc = cursor_uleb64(c, &u64); break;
	case 6: rc = cursor_sleb32(c, &s32); break;
	case 7: rc = cursor_sleb33(c, &s64); break;
	case 8: rc = cursor_sleb64(c, &s64); break;
	case 9:
		rc = cursor_bytes(c, op >> 4, &p);
		if (!rc && (op >> 4))
			u8 = p[(op >> 4) - 1];
		break;
	case 10: rc = cursor_copy(c, tmp, op >> 4); break;
	case 11: rc = cursor_skip(c, (size_t)op << 20); break;
	case 12:
		rc = cursor_sub(c, op >> 5, &sub);
		if (!rc) {
			while (cursor_uleb32(&sub, &u32) == 0)
				;
			assert(sub.p <= sub.end);
		}
		break;
	case 13: rc = cursor_peek_u8(c, &u8); break;
	case 14: rc = cursor_expect_end(c); break;
	default: rc = cursor_u32le(c, &u32); break;
	}
	(void)u8;
	assert(c->p >= c->start && c->p <= c->end);
	if (rc != 0)
		assert(memcmp(&before, c, sizeof(before)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor prog, in;
	uint8_t op;

	if (size < 1)
		return 0;
	size_t nprog = data[0] % 32;
	if (nprog > size - 1)
		nprog = size - 1;
	cursor_init(&prog, data + 1, nprog);
	cursor_init(&in, data + 1 + nprog, size - 1 - nprog);
	while (cursor_u8(&prog, &op) == 0)
		step(&in, op);
	return 0;
}
