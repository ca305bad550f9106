/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Enarx.toml parsing (the TOML-subset reader and the config
 * semantics on top). */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char err[256];

	if (config_parse((const char *)data, size, &cfg, err, sizeof(err)) == 0)
		config_free(cfg);
	return 0;
}
