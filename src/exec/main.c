/* SPDX-License-Identifier: Apache-2.0 */
/* enarx-exec: the executor every Keep runs. It reads the workload from the
 * keep protocol on fd 3 (docs/keep-protocol.md), runs it, and reports the
 * result there. fds 0-2 are the workload's stdio. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "exec/broker.h"
#include "exec/exec.h"
#include "keep/proto.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "package/spkg.h"

#include "lib/sanitize.h"
#ifdef ENARX_ASAN
/* Sanitizer builds only: the Keep has an empty environment, so the options
 * are built in. LeakSanitizer cannot run under the Keep's seccomp filter,
 * and the engine's guard pages need its own SIGSEGV handler. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0:allow_user_segv_handler=1";
}
#endif

int main(void)
{
	struct exec_workload wl;
	char err[768]; /* a sealed package's refusal quotes Steward */
	uint32_t type = 0;
	uint8_t *p = NULL;
	size_t len = 0;
	int status, rc;

	signal(SIGPIPE, SIG_IGN);
	/* The first message says which session this is: a deploy (sealed to
	 * this Keep) or a plain run. */
	rc = kp_read(KEEP_PROTO_FD, &type, &p, &len, KP_MAX_PAYLOAD);
	if (rc == 0 && type == KP_DEPLOY_HELLO)
		return exec_deploy(KEEP_PROTO_FD, p, len);
	if (rc)
		snprintf(err, sizeof(err), "reading the workload: %s",
		         rc == ENARX_E_NOTFOUND ? "host closed the channel" : enarx_strerror(rc));
	if (!rc &&
	    (rc = exec_receive_first(KEEP_PROTO_FD, type, p, len, &wl, err, sizeof(err))) == 0 &&
	    spkg_is(wl.wasm, wl.wasm_len) &&
	    exec_broker_open(KEEP_PROTO_FD, &wl, err, sizeof(err))) {
		exec_workload_clear(&wl);
		rc = -1;
	}
	if (rc) {
		struct buf b = {0};

		log_error("exec: %s", err);
		if (kp_enc_string(&b, err) == 0)
			kp_write(KEEP_PROTO_FD, KP_ERROR, b.data, b.len);
		buf_free(&b, 0);
		return 1;
	}
	if (wl.log_level <= LOG_TRACE)
		log_set_level((enum log_level)wl.log_level);
	status = exec_run(KEEP_PROTO_FD, &wl);
	exec_workload_clear(&wl);
	return status;
}
