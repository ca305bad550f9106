/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the Steward-sealed package header reader (package/spkg.h)
 * on any bytes, as the executor and enarx-oci run it on an image's
 * entrypoint. An accepted header must lie within the input, and opening
 * with a key that is not the package's must fail, never crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "package/spkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sk[SPKG_SK_LEN] = {1, 2, 3};
	struct spkg_head h;
	struct buf out = {0};
	char err[256];

	if (spkg_parse(data, size, &h, err, sizeof(err)) != 0)
		return 0;
	if (h.head_len > size || h.ct != data + h.head_len || h.head_len + h.ct_len != size ||
	    !spkg_name_ok(h.name) || strlen(h.url) == 0)
		abort();
	if (spkg_open(data, &h, sk, sizeof(sk), &out, err, sizeof(err)) == 0 && size > 4096)
		abort(); /* only a seed sealed to this key opens */
	buf_free(&out, 1);
	return 0;
}
