/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the body of Steward's POST / (a DER CSR with evidence)
 * through the certification decision serve makes, with the default policy
 * and a policy that admits KVM Keeps. A refusal must name its check. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "steward/steward.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static enarx_attest *a;
	static enarx_policy *pol[2];
	static const char kvm[] = "tee = [\"snp\", \"sgx\", \"kvm\"]\nallow_insecure = true\n";
	char check[96], why[768], err[128];

	if (a == NULL) {
		a = enarx_attest_new();
		pol[0] = enarx_policy_default();
		pol[1] = enarx_policy_parse(kvm, strlen(kvm), err, sizeof(err));
		assert(a && pol[0] && pol[1]);
	}
	for (int i = 0; i < 2; i++) {
		struct steward_claimset cs;
		EVP_PKEY *pub = NULL;
		check[0] = '\0';
		int rc = steward_certify_check(a, pol[i], data, size, 1672531200, true, &cs, &pub,
		                               check, sizeof(check), why, sizeof(why));
		if (rc != 0) {
			assert(check[0] != '\0' && pub == NULL);
			continue;
		}
		assert(pub != NULL && cs.claims_json != NULL && cs.tee[0] != '\0');
		/* Every claim encodes. */
		for (unsigned id = 1; id <= STEWARD_C__MAX; id++) {
			uint8_t *der = NULL;
			size_t len = 0;
			assert(steward_claim_der(&cs, (enum steward_claim)id, &der, &len) == 0);
			OPENSSL_free(der);
		}
		EVP_PKEY_free(pub);
		steward_claimset_free(&cs);
	}
	return 0;
}
