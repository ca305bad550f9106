/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the TOML-subset policy parser and the policy check. */
#include <enarx/attest.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], why[512];
	enarx_policy *p = enarx_policy_parse((const char *)data, size, err, sizeof(err));
	if (!p)
		return 0;
	static enarx_claims c[3];
	c[0].tee = ENARX_TEE_SNP;
	c[1].tee = ENARX_TEE_SGX;
	c[2].tee = ENARX_TEE_TDX;
	c[2].intel.body_type = 3;
	for (int i = 0; i < 3; i++) {
		(void)enarx_policy_check(p, &c[i], why, sizeof(why));
		(void)enarx_policy_runtime(p, &c[i]);
	}
	enarx_policy_free(p);
	return 0;
}
