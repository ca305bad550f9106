/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Intel SGX v3 / TDX v4-v5 quote parsing and verification
 * (header, body, signature data, nested certification data, PEM chain). */
#include <enarx/attest.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enarx_attest *A;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!A && !(A = enarx_attest_new()))
		abort();
	enarx_evidence *ev = enarx_evidence_new();
	if (!ev)
		return 0;
	enarx_evidence_allow_trailing_data(ev, size > 0 && (data[size - 1] & 1));
	for (int t = ENARX_TEE_SGX; t <= ENARX_TEE_TDX; t++) {
		if (enarx_evidence_set(ev, (enarx_tee)t, data, size))
			break;
		enarx_claims *c = NULL;
		/* a real quote could verify only with a real PCK chain and QE signature */
		(void)enarx_attest_verify(A, ev, 1700000000, &c);
		enarx_claims_free(c);
	}
	enarx_evidence_free(ev);
	return 0;
}
