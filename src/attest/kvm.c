/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KVM "evidence" from our own Keeps: there is no hardware root of trust, so
 * nothing can be verified. We parse it only to report it, labelled insecure;
 * the policy accepts it only when it says `allow_insecure = true`.
 * Format: struct keep_kvm_evidence in keep/abi.h, what the shim's SYS_GETATT
 * returns (docs/kvm-keep.md); the INSECURE flag must be set.
 * Empty evidence is accepted too (Enarx's CSR extension 1.3.6.1.4.1.58270.1.1
 * carries an empty value).
 */
#include <string.h>

#include "attest/attest_int.h"
#include "keep/abi.h"

_Static_assert(sizeof(((enarx_kvm_claims *)0)->measurement) == KEEP_DIGEST_LEN,
               "the public claims hold the whole launch digest");
_Static_assert(sizeof(((enarx_claims *)0)->report_data) == KEEP_KVM_EVIDENCE_NONCE,
               "REPORT_DATA is the evidence's nonce field");

int attest_kvm_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c)
{
	struct cursor cur;
	uint8_t magic[KEEP_KVM_EVIDENCE_MAGIC_LEN];

	(void)at;
	c->tee = ENARX_TEE_KVM;
	c->insecure = true;
	if (ev->data.n == 0)
		return 0;
	cursor_init(&cur, ev->data.p, ev->data.n);
	if (cursor_copy(&cur, magic, sizeof(magic)) ||
	    memcmp(magic, KEEP_KVM_EVIDENCE_MAGIC, sizeof(magic)) != 0 ||
	    cursor_u32le(&cur, &c->kvm.version) || cursor_u32le(&cur, &c->kvm.flags) ||
	    cursor_copy(&cur, c->kvm.measurement, sizeof(c->kvm.measurement)) ||
	    cursor_copy(&cur, c->report_data, sizeof(c->report_data)) || cursor_expect_end(&cur))
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
		            "KVM evidence: expected %d bytes: \"%s\", version, flags, "
		            "%d-byte measurement, %d-byte REPORT_DATA",
		            KEEP_KVM_EVIDENCE_LEN, KEEP_KVM_EVIDENCE_MAGIC, KEEP_DIGEST_LEN,
		            KEEP_KVM_EVIDENCE_NONCE);
	if (c->kvm.version != KEEP_KVM_EVIDENCE_VERSION)
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT, "KVM evidence: version %u, expected %u",
		            c->kvm.version, KEEP_KVM_EVIDENCE_VERSION);
	if (!(c->kvm.flags & KEEP_KVM_EVIDENCE_FLAG_INSECURE))
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
		            "KVM evidence: INSECURE flag clear (a KVM Keep is never secure)");
	c->kvm.present = true;
	return 0;
}
