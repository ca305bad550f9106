/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the keep protocol as the executor receives it (frames in any
 * order, sizes, payloads) through exec_receive() on a memfd, plus every
 * payload decoder on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exec/exec.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decoders(const uint8_t *p, size_t n)
{
	struct kp_trap t, t2;
	struct keep_limits l;
	struct buf enc = {0};
	uint32_t a, b, c;
	const uint8_t *fp;
	char **v, *s;
	size_t nv;

	if (kp_dec_args(p, n, &v, &nv) == 0)
		kp_free_strv(v, nv);
	if (kp_dec_trap(p, n, &t) == 0) {
		/* re-encoded, any report fits KP_TRAP_MAX and decodes */
		if (kp_enc_trap(&enc, &t) == 0) {
			if (enc.len > KP_TRAP_MAX || kp_dec_trap(enc.data, enc.len, &t2) != 0)
				abort();
			kp_trap_clear(&t2);
		}
		kp_trap_clear(&t);
	}
	/* LIMITS: what decodes re-encodes to the same bytes */
	enc.len = 0;
	if (kp_dec_limits(p, n, &l) == 0 &&
	    (kp_enc_limits(&enc, &l) != 0 || enc.len != n || memcmp(enc.data, p, n) != 0))
		abort();
	buf_free(&enc, 0);
	if (kp_dec_string(p, n, &s) == 0)
		xfree(s);
	if (kp_dec_tee(p, n, &a, &s) == 0)
		xfree(s);
	if (kp_dec_file(p, n, &s, &fp, &nv) == 0)
		xfree(s);
	(void)kp_dec_hello(p, n, &a, &b, &c);
	(void)kp_dec_u32(p, n, &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_workload wl;
	char err[256];
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	decoders(data, size);
	if (fd < 0)
		return 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	if (exec_receive(fd, &wl, err, sizeof(err)) == 0)
		exec_workload_clear(&wl);
	close(fd);
	return 0;
}
