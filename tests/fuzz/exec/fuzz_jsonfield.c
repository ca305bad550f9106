/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the executor's JSON member reader (exec/jsonfield.h) on any
 * bytes, as it reads Steward's answers relayed by an untrusted host. What
 * it returns must be NUL-terminated within the buffer, and a found value
 * must also be found with the exact room it needs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/jsonfield.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"nonce", "sealed", "detail", "check", "a"};
	char out[256];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int rc = jsonf_string((const char *)data, size, keys[i], out, sizeof(out));
		size_t l = strnlen(out, sizeof(out));

		if (l == sizeof(out))
			abort(); /* not terminated */
		if (rc == 0) {
			char exact[256];

			if (jsonf_string((const char *)data, size, keys[i], exact, l + 1) != 0 ||
			    strcmp(exact, out) != 0)
				abort();
		} else if (rc != ENARX_E_NOTFOUND && rc != ENARX_E_MALFORMED &&
		           rc != ENARX_E_OVERFLOW) {
			abort();
		}
	}
	return 0;
}
