/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the keep protocol pieces the host's non-blocking reader
 * uses (src/keep/proto.h): frame headers and splitting a byte stream into
 * frames, against kp_write/kp_read on a real socketpair, and the TEE and
 * string codecs. (The executor's side is in tests/unit/exec.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

/* A header made by kp_frame_header is what kp_read expects. */
static void test_header_matches_kp_read(void **state)
{
	uint8_t hdr[KP_HEADER_SIZE], *p;
	uint32_t type;
	size_t len;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	kp_frame_header(hdr, KP_EXIT, 4);
	assert_memory_equal(hdr, "\x81\0\0\0\4\0\0\0", KP_HEADER_SIZE);
	assert_int_equal(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(write(sv[0], "\x2a\0\0\0", 4), 4);
	assert_int_equal(kp_read(sv[1], &type, &p, &len, 16), 0);
	assert_int_equal(type, KP_EXIT);
	assert_int_equal(len, 4);
	assert_int_equal(p[0], 42);
	xfree(p);
	close(sv[0]);
	close(sv[1]);
}

/* Two frames written by kp_write split back exactly; every strict prefix of
 * a frame is "not yet" (TRUNCATED), never a frame. */
static void test_split_stream(void **state)
{
	uint8_t stream[256];
	const uint8_t *payload;
	size_t n = 0, plen, used;
	uint32_t type;
	ssize_t r;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(kp_write(sv[0], KP_ERROR, "\5\0\0\0oops!", 9), 0);
	assert_int_equal(kp_write(sv[0], KP_RUN, NULL, 0), 0);
	close(sv[0]);
	while ((r = read(sv[1], stream + n, sizeof(stream) - n)) > 0)
		n += (size_t)r;
	close(sv[1]);
	assert_int_equal(n, 2 * KP_HEADER_SIZE + 9);
	for (size_t cut = 0; cut < KP_HEADER_SIZE + 9; cut++)
		assert_int_equal(kp_frame_split(stream, cut, 64, &type, &payload, &plen, &used),
		                 ENARX_E_TRUNCATED);
	assert_int_equal(kp_frame_split(stream, n, 64, &type, &payload, &plen, &used), 0);
	assert_int_equal(type, KP_ERROR);
	assert_int_equal(plen, 9);
	assert_int_equal(used, KP_HEADER_SIZE + 9);
	assert_ptr_equal(payload, stream + KP_HEADER_SIZE);
	assert_int_equal(kp_frame_split(stream + used, n - used, 64, &type, &payload, &plen, &used),
	                 0);
	assert_int_equal(type, KP_RUN);
	assert_int_equal(plen, 0);
	assert_int_equal(used, KP_HEADER_SIZE);
}

/* A header announcing more than the reader's limit fails before the payload
 * arrives, so a reader never buffers an oversized frame. */
static void test_split_limits(void **state)
{
	uint8_t hdr[KP_HEADER_SIZE];
	const uint8_t *payload;
	size_t plen, used;
	uint32_t type;

	(void)state;
	kp_frame_header(hdr, KP_TRAP, 65);
	assert_int_equal(kp_frame_split(hdr, sizeof(hdr), 64, &type, &payload, &plen, &used),
	                 ENARX_E_OVERFLOW);
	assert_int_equal(kp_frame_split(hdr, sizeof(hdr), 65, &type, &payload, &plen, &used),
	                 ENARX_E_TRUNCATED);
	memcpy(hdr + 4, "\xff\xff\xff\xff", 4);
	assert_int_equal(kp_frame_split(hdr, sizeof(hdr), SIZE_MAX, &type, &payload, &plen, &used),
	                 ENARX_E_OVERFLOW);
	assert_int_equal(kp_write(-1, KP_WASM, hdr, (size_t)KP_MAX_PAYLOAD + 1), ENARX_E_OVERFLOW);
}

static void test_tee_and_string_codecs(void **state)
{
	struct buf b = {0};
	uint32_t kind;
	char *s;

	(void)state;
	assert_int_equal(buf_append_u32le(&b, 1), 0);
	assert_int_equal(kp_enc_string(&b, "kvm: no hardware TEE"), 0);
	assert_int_equal(kp_dec_tee(b.data, b.len, &kind, &s), 0);
	assert_int_equal(kind, 1);
	assert_string_equal(s, "kvm: no hardware TEE");
	xfree(s);
	/* the string alone, a cut string, a trailing byte: all refused */
	assert_int_equal(kp_dec_string(b.data + 4, b.len - 4, &s), 0);
	xfree(s);
	assert_int_equal(kp_dec_tee(b.data, b.len - 1, &kind, &s), ENARX_E_TRUNCATED);
	assert_null(s);
	assert_int_equal(buf_append_u8(&b, 0), 0);
	assert_int_equal(kp_dec_tee(b.data, b.len, &kind, &s), ENARX_E_TRAILING);
	assert_null(s);
	assert_int_equal(kp_dec_string((const uint8_t *)"\3\0\0\0a\0b", 7, &s), ENARX_E_MALFORMED);
	assert_null(s);
	assert_int_equal(kp_dec_u32((const uint8_t *)"\1\0\0", 3, &kind), ENARX_E_TRUNCATED);
	assert_string_equal(kp_type_name(KP_TEE), "TEE");
	assert_string_equal(kp_type_name(0x7f), "?");
	buf_free(&b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_matches_kp_read),
	    cmocka_unit_test(test_split_stream),
	    cmocka_unit_test(test_split_limits),
	    cmocka_unit_test(test_tee_and_string_codecs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
