/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the package reader (docs/package.md) on any bytes, as the
 * executor runs it on an opened package; what it accepts must encode back
 * to the same bytes and have a digest. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "package/package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkg p;
	struct buf b = {0};
	uint8_t d[PKG_DIGEST_LEN];
	char err[256];

	if (pkg_decode(data, size, &p, err, sizeof(err)) != 0)
		return 0;
	if (pkg_encode(&p, 1, &b) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
		abort(); /* one encoding per package */
	if (pkg_digest(&p, d) != 0 || !pkg_find(&p, PKG_WASM))
		abort();
	buf_free(&b, 0);
	pkg_clear(&p);
	return 0;
}
