/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/deploy: the checks verify.c and steward.c share. */
#ifndef ENARX_DEPLOY_DEPLOY_INT_H
#define ENARX_DEPLOY_DEPLOY_INT_H

#include "deploy/deploy.h"

/* The runtime the claims' measurement belongs to (the references, this
 * build's own, the policy's [measurements.TEE]) into v; 0, or a refusal
 * "runtime: ..." in why. pol may be NULL. */
int deploy__match_runtime(const struct deploy_verify_opts *o, const enarx_policy *pol,
                          const enarx_claims *c, struct deploy_verdict *v, char *why, size_t n);

/* The Steward path of deploy_verify (steward.c): e's CSR certified by
 * o->steward_url, the chain, the claims, the signature binding the keys
 * (v->binding, already computed) to the certified key. */
int deploy__steward_verify(const struct deploy_verify_opts *o, const struct kp_evidence *e,
                           struct deploy_verdict *v, char *why, size_t n);

#endif
