/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Enarx CSRs (PKCS#10 with evidence extensions 1.3.6.1.4.1.58270.1.{1,2,3})
 * and the DER walkers for the SNP and SGX evidence inside them. */
#include <enarx/attest.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enarx_attest *A;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!A && !(A = enarx_attest_new()))
		abort();
	enarx_claims *c = NULL;
	(void)enarx_attest_verify_csr(A, data, size, 1700000000, &c);
	enarx_claims_free(c);
	return 0;
}
