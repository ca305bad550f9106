/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a secret release policy as owners send it in PUT
 * /v1/secrets/NAME (JSON), its syntax check, and its evaluation against a
 * KVM and an SNP claim set. A refusal must come with a reason. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http/json.h"
#include "steward/steward.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct steward_claimset cs[2] = {
	    {.tee = "kvm", .tcb_status = "n/a", .runtime = "unknown", .insecure = true},
	    {.tee = "snp",
	     .tcb_status = "n/a",
	     .runtime = "enarx 0.7.1 (sev)",
	     .measurement_len = 48},
	};
	char why[512] = "";
	json_t *j;

	if (size > (1u << 20) || http_json_parse(data, size, 32, &j, why, sizeof(why)) != 0)
		return 0;
	if (steward_secret_policy_check_syntax(j, why, sizeof(why)) == 0) {
		for (int i = 0; i < 2; i++) {
			why[0] = '\0';
			if (steward_secret_policy_eval(j, &cs[i], why, sizeof(why)) != 0)
				assert(why[0] != '\0');
		}
	} else {
		assert(why[0] != '\0');
	}
	json_decref(j);
	return 0;
}
