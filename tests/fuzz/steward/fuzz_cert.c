/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the claim extensions of a certificate a Keep presents to the
 * key broker (after the chain check in serve; here without it, so every
 * byte reaches the claims reader), then the secret policy on what it read. */
#include <assert.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>

#include "steward/steward.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *pol;
	const unsigned char *q = data;
	X509 *x = d2i_X509(NULL, &q, (long)size);
	struct steward_claimset cs;
	char why[512] = "";

	if (pol == NULL)
		pol = json_pack("{s:[s,s], s:b}", "tee", "kvm", "snp", "allow_insecure", 1);
	if (x == NULL)
		return 0;
	if (steward_claimset_from_cert(x, &cs, why, sizeof(why)) == 0) {
		assert(cs.claims_json != NULL);
		why[0] = '\0';
		if (steward_secret_policy_eval(pol, &cs, why, sizeof(why)) != 0)
			assert(why[0] != '\0');
		steward_claimset_free(&cs);
	} else {
		assert(why[0] != '\0');
	}
	X509_free(x);
	return 0;
}
