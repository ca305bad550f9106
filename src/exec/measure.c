/* SPDX-License-Identifier: Apache-2.0 */
/* MEASURE (docs/keep-protocol.md): in a Keep with a TEE, the executor
 * asks its shim for evidence over an all-zero nonce and sends it to the
 * host, so a host agent can show the launch measurement the Keep itself
 * reports (not one the host recomputed). Nothing on nil. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec/exec.h"
#include "keep/proto.h"
#include "lib/buf.h"
#include "lib/log.h"

void exec_report_measure(int fd)
{
	static const uint8_t nonce[KEEP_KVM_EVIDENCE_NONCE];
	unsigned long tech = 0;
	long size = exec_getatt_query(&tech), r;
	struct buf ev = {0}, b = {0};

	if (size <= 0)
		return; /* nil (ENOSYS) or no evidence: the TEE message said so */
	if (size > KP_EVIDENCE_MAX || buf_reserve(&ev, (size_t)size)) {
		log_warn("exec: evidence of %ld bytes not reported", size);
		return;
	}
	r = syscall(KEEP_SYS_GETATT, nonce, sizeof(nonce), ev.data, (size_t)size);
	if (r > 0 && r <= size &&
	    kp_enc_measure(&b, tech == 0 ? KP_TEE_KVM : KP_TEE_OTHER, ev.data, (size_t)r) == 0)
		kp_write(fd, KP_MEASURE, b.data, b.len);
	else
		log_warn("exec: SYS_GETATT: %s", r < 0 ? strerror(errno) : "no evidence");
	buf_free(&ev, 0);
	buf_free(&b, 0);
}
