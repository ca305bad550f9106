/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KVM "evidence" from our own Keeps: there is no hardware root of trust, so
 * nothing can be verified. We parse it only to report it as insecure; the
 * policy accepts it only when it says `allow_insecure = true`.
 * Format: "KVM1" followed by the 64-byte REPORT_DATA the Keep chose, or empty
 * (Enarx's CSR extension 1.3.6.1.4.1.58270.1.1 carries an empty value).
 */
#include <string.h>

#include "attest/attest_int.h"

int attest_kvm_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c)
{
	struct cursor cur;
	uint8_t magic[4];
	c->tee = ENARX_TEE_KVM;
	c->insecure = true;
	if (ev->data.n == 0)
		return 0;
	cursor_init(&cur, ev->data.p, ev->data.n);
	if (cursor_copy(&cur, magic, 4) || memcmp(magic, "KVM1", 4) != 0 ||
	    cursor_copy(&cur, c->report_data, 64) || cursor_expect_end(&cur))
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
		            "KVM evidence: expected \"KVM1\" and 64 bytes of REPORT_DATA");
	return 0;
}
