/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KVM "evidence" from our own Keeps: there is no hardware root of trust, so
 * nothing can be verified. We parse it only to report it, labelled insecure;
 * the policy accepts it only when it says `allow_insecure = true`.
 * Format (what the shim's SYS_GETATT returns; docs/kvm-keep.md): "ENXKVMv1",
 * version u32le = 1, flags u32le (bit 0 INSECURE must be set), the 48-byte
 * launch measurement, the 64-byte REPORT_DATA (the caller's nonce): 128 bytes.
 * Empty evidence is accepted too (Enarx's CSR extension 1.3.6.1.4.1.58270.1.1
 * carries an empty value).
 */
#include <string.h>

#include "attest/attest_int.h"

#define KVM_EVIDENCE_MAGIC "ENXKVMv1"
#define KVM_EVIDENCE_INSECURE 1u

int attest_kvm_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c)
{
	struct cursor cur;
	uint8_t magic[8];

	(void)at;
	c->tee = ENARX_TEE_KVM;
	c->insecure = true;
	if (ev->data.n == 0)
		return 0;
	cursor_init(&cur, ev->data.p, ev->data.n);
	if (cursor_copy(&cur, magic, sizeof(magic)) ||
	    memcmp(magic, KVM_EVIDENCE_MAGIC, sizeof(magic)) != 0 ||
	    cursor_u32le(&cur, &c->kvm.version) || cursor_u32le(&cur, &c->kvm.flags) ||
	    cursor_copy(&cur, c->kvm.measurement, sizeof(c->kvm.measurement)) ||
	    cursor_copy(&cur, c->report_data, sizeof(c->report_data)) || cursor_expect_end(&cur))
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
		            "KVM evidence: expected 128 bytes: \"ENXKVMv1\", version, flags, "
		            "48-byte measurement, 64-byte REPORT_DATA");
	if (c->kvm.version != 1)
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT, "KVM evidence: version %u, expected 1",
		            c->kvm.version);
	if (!(c->kvm.flags & KVM_EVIDENCE_INSECURE))
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
		            "KVM evidence: INSECURE flag clear (a KVM Keep is never secure)");
	c->kvm.present = true;
	return 0;
}
