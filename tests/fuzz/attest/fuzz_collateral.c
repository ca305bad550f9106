/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Intel collateral JSON. The input is added to an evidence
 * bundle (PCS form / QuoteCollateralV3 detection, exact-text member span),
 * then evaluated as TCB info and as QE identity (without signatures) for an
 * SGX and a TDX quote, exercising the TCB level and module identity logic. */
#include <enarx/attest.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enarx_evidence *ev = enarx_evidence_new();
	if (!ev)
		return 0;
	(void)enarx_evidence_add(ev, data, size);
	enarx_evidence_free(ev);
	size_t off, len;
	(void)attest_json_member_span((const char *)data, size, "tcbInfo", &off, &len);
	static const uint8_t qe_report[384];
	for (int t = ENARX_TEE_SGX; t <= ENARX_TEE_TDX; t++) {
		enarx_claims *c = calloc(1, sizeof(*c));
		attest_err e;
		if (!c)
			return 0;
		c->tee = (enarx_tee)t;
		memset(c->intel.pck_svn, 5, 16);
		c->intel.pck_pcesvn = 13;
		c->intel.tee_tcb_svn[0] = 3;
		c->intel.tee_tcb_svn[1] = (uint8_t)(size ? data[0] & 3 : 0);
		c->intel.body_type = 3;
		(void)attest_eval_collateral_json((const char *)data, size, (const char *)data,
		                                  size, qe_report, 1700000000, c, &e);
		enarx_claims_free(c);
	}
	return 0;
}
