/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the deploy messages of the keep protocol (DEPLOY_HELLO,
 * EVIDENCE, SEAL_HEAD/OUT_HEAD, SEALED_IN/OUT) on any bytes, and the
 * client's whole check of an EVIDENCE message (deploy_verify: evidence,
 * policy, binding, runtime), and a recipient stream fed the bytes as its
 * head and as records. */
#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"
#include "keep/proto.h"
#include "lib/buf.h"
#include "package/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[32] = {1, 2, 3};
	static const uint8_t binding[KP_BINDING_LEN] = {4, 5, 6};
	static hpke_key *k;
	struct deploy_verify_opts o = {.insecure = (size & 1) != 0};
	struct kp_deploy_hello h;
	struct kp_evidence e;
	struct kp_seal_head sh;
	struct deploy_verdict v;
	struct seal_stream *s = NULL;
	struct buf out = {0};
	const uint8_t *ct;
	uint64_t idx;
	size_t ctl;
	char why[512];
	uint8_t tag;
	int final;

	(void)kp_dec_deploy_hello(data, size, &h);
	(void)kp_dec_evidence(data, size, &e);
	(void)kp_dec_seal_head(data, size, &sh);
	(void)kp_dec_sealed(data, size, &idx, &ct, &ctl);
	(void)deploy_verify(&o, data, size, nonce, sizeof(nonce), &v, why, sizeof(why));
	if (!k && hpke_key_derive(SEAL_KEM, nonce, sizeof(nonce), &k) != 0)
		return 0;
	if (seal_recipient_new(k, NULL, SEAL_TO_KEEP, binding, data, size, &s, why, sizeof(why)) ==
	    0) {
		(void)seal_open(s, data, size, &tag, &out, &final, why, sizeof(why));
		seal_stream_free(s);
	}
	buf_free(&out, 0);
	return 0;
}
