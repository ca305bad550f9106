/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the shared TOML-subset reader (src/lib/toml.c) in each
 * dialect its users run it in (Enarx.toml events, the policy document) and
 * with every extension on. fuzz_enarx_toml and fuzz_policy cover the
 * semantics on top. */
#include <stddef.h>
#include <stdint.h>

#include "lib/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void events(const char *text, size_t size, unsigned flags)
{
	struct etoml_reader r;
	struct etoml_event ev;

	etoml_init(&r, text, size, flags);
	while (etoml_next(&r, &ev) == 0 && ev.kind != ETOML_EV_END)
		etoml_event_clear(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct etoml_doc doc;
	char err[256];

	events(text, size, ETOML_ARRAY_TABLES | ETOML_UNICODE_ESCAPES | ETOML_KEY_IN_ERRORS);
	events(text, size, 0x7f);
	if (etoml_parse(text, size,
	                ETOML_DOTTED_TABLES | ETOML_HEX_INTS | ETOML_MIXED_ARRAYS |
	                    ETOML_NESTED_ARRAYS,
	                &doc, err, sizeof(err)) == 0)
		etoml_doc_free(&doc);
	return 0;
}
