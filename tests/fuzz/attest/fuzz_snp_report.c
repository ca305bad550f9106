/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: SEV-SNP report parsing and verification. The first 1184
 * bytes (or fewer) are the report; the rest, if any, is offered as the
 * VCEK/VLEK certificate(s). Must never crash. */
#include <enarx/attest.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/attest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enarx_attest *A;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!A && !(A = enarx_attest_new()))
		abort();
	enarx_snp_claims s;
	uint8_t rd[64];
	attest_err e;
	(void)attest_snp_parse(data, size, &s, rd, &e);
	size_t n = size < 1184 ? size : 1184;
	enarx_evidence *ev = enarx_evidence_new();
	if (!ev)
		return 0;
	if (enarx_evidence_set(ev, ENARX_TEE_SNP, data, n) == 0) {
		if (size > n)
			(void)enarx_evidence_add(ev, data + n, size - n);
		enarx_claims *c = NULL;
		(void)enarx_attest_verify(A, ev, 1700000000, &c);
		enarx_claims_free(c);
	}
	/* the whole input as auto-detected evidence (covers the Azure HCL wrapper) */
	if (enarx_evidence_set_auto(ev, data, size) == 0) {
		enarx_claims *c = NULL;
		(void)enarx_attest_verify(A, ev, 1700000000, &c);
		enarx_claims_free(c);
	}
	enarx_evidence_free(ev);
	return 0;
}
