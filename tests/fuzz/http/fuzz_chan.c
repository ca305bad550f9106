/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the privilege-separation message decoder (chan_decode) on
 * arbitrary datagrams. The first input byte says whether a descriptor
 * "arrived" with the message; the rest is the datagram. A decoded message
 * must lie inside the input and fit its type's declared size. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http/chan.h"

static const struct chan_type types[] = {
    {1, "fixed", 8, 8, false},
    {2, "range", 1, 64, false},
    {3, "fd", 0, 0, true},
    {4, "empty", 0, 0, false},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chan_msg m;
	char why[160];

	if (size < 1)
		return 0;
	if (chan_decode(types, 4, data + 1, size - 1, data[0] & 1, &m, why, sizeof(why)) == 0) {
		assert(m.len + CHAN_HDR_SIZE == size - 1);
		assert(m.len == 0 || (m.data >= data + 1 && m.data + m.len <= data + size));
		for (size_t i = 0; i < 4; i++)
			if (types[i].type == m.type)
				assert(m.len >= types[i].min_len && m.len <= types[i].max_len);
	} else {
		assert(why[0] != '\0');
	}
	return 0;
}
