/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the OCI runtime's reading of a bundle's config.json and the
 * Enarx.toml it makes from it and the image's own. Input: config.json text,
 * then optionally a NUL byte and the image's Enarx.toml. Whatever both say,
 * the Enarx.toml handed to the Keep must parse (config.json's environment
 * is arbitrary text that the TOML escaping has to carry), and keep the
 * environment's entries. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "lib/buf.h"
#include "oci/oci_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_env(const struct oci_spec *sp, const struct config *out)
{
	for (size_t i = 0; i < sp->nenv; i++) {
		const char *eq = strchr(sp->env[i], '=');
		size_t kl = eq ? (size_t)(eq - sp->env[i]) : 0;
		int found = 0;

		if (!kl || kl >= 256 || (kl == 8 && strncmp(sp->env[i], "FD_COUNT", 8) == 0) ||
		    (kl == 8 && strncmp(sp->env[i], "FD_NAMES", 8) == 0))
			continue;
		for (size_t j = 0; j < out->nenv && !found; j++)
			found = strlen(out->env[j].key) == kl &&
			        memcmp(out->env[j].key, sp->env[i], kl) == 0;
		assert(found);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size;
	struct config *img = NULL, *out = NULL;
	struct oci_spec sp;
	struct buf toml = {0};
	char err[512];
	int net = 0;

	oci__log_quiet(1);
	if (oci__spec_parse((const char *)data, jlen, "/nonexistent-bundle", &sp) != 0)
		goto done;
	if (nul) {
		if (config_parse((const char *)nul + 1, size - jlen - 1, &img, err, sizeof(err)))
			goto done;
	} else if (!(img = config_default())) {
		goto done;
	}
	if (oci__toml_make(&sp, img, &toml, &net) == 0) {
		int rc = config_parse(toml.data ? (const char *)toml.data : "", toml.len, &out, err,
		                      sizeof(err));

		/* names with ':' or empty keys are the parser's to refuse */
		if (rc == 0)
			check_env(&sp, out);
	}
done:
	config_free(out);
	config_free(img);
	buf_free(&toml, 0);
	oci__spec_free(&sp);
	return 0;
}
