/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the text parser: arbitrary bytes as .wat text. Checks
 * that parsing either fails with a syntax error (and a position inside the
 * input) or yields a binary module whose sections split exactly, and that
 * parsing the same text twice gives the same bytes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wat.h>

#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True if bytes are a header then sections whose LEB sizes add up. */
static int sections_split(const uint8_t *b, size_t n)
{
	size_t i = 8;

	if (n < 8 || memcmp(b, "\0asm\1\0\0\0", 8) != 0)
		return 0;
	while (i < n) {
		uint64_t size = 0;
		unsigned shift = 0;

		i++; /* id */
		do {
			if (i >= n || shift > 28)
				return 0;
			size |= (uint64_t)(b[i] & 0x7f) << shift;
			shift += 7;
		} while (b[i++] & 0x80);
		if (size > n - i)
			return 0;
		i += size;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	ewat_error err;
	int rc = ewat_parse((const char *)data, size, &a, &alen, &err);

	if (rc) {
		assert(rc == ENARX_E_WAT_SYNTAX || rc == ENARX_E_NOMEM);
		assert(a == NULL);
		assert(err.message[0] != '\0');
		assert(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		return 0;
	}
	/* "(module binary ...)" yields whatever bytes it spells. */
	if (alen >= 8 && memcmp(a, "\0asm\1\0\0\0", 8) == 0 && size > 0 &&
	    !memmem(data, size, "binary", 6))
		assert(sections_split(a, alen));
	rc = ewat_parse((const char *)data, size, &b, &blen, NULL);
	assert(rc == 0 && blen == alen && memcmp(a, b, alen) == 0);
	ewat_free(a);
	ewat_free(b);
	return 0;
}
