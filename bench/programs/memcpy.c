/* SPDX-License-Identifier: Apache-2.0 */
/* memcpy-heavy code: shuffles blocks of varied sizes around a 4 MiB heap
 * buffer with memcpy/memmove/memset, then checksums it. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

uint32_t run(uint32_t arg)
{
	const size_t len = 4u << 20;
	uint8_t *buf = malloc(len);
	uint32_t x = arg * 2654435761u, h = 0;

	if (!buf)
		return 0;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + (i >> 8));
	for (int i = 0; i < 200000; i++) {
		x = x * 1664525u + 1013904223u;
		/* 32-bit arithmetic only, so wasm32 and x86-64 agree */
		uint32_t n = 16 + (x >> 8) % 4096;
		uint32_t src = (x >> 3) % (uint32_t)(len - n);
		uint32_t dst = (x * 7u + (uint32_t)i * 4099u) % (uint32_t)(len - n);
		if (i % 3 == 0)
			memmove(buf + dst, buf + src, n);
		else if (i % 3 == 1 && (src + n <= dst || dst + n <= src))
			memcpy(buf + dst, buf + src, n);
		else
			memset(buf + dst, (int)(x & 0xff), n / 4);
	}
	for (size_t i = 0; i < len; i += 4)
		h = h * 31 + (uint32_t)buf[i] + ((uint32_t)buf[i + 3] << 8);
	free(buf);
	return h;
}
