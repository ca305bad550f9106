/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the keep protocol: framing over a real socketpair, the
 * payload encoders/decoders, and the executor's receive state machine
 * (order, duplicates, sizes, truncation: all refused with a message). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

static int sv[2];

static int setup(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

static int teardown(void **state)
{
	(void)state;
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return 0;
}

static void send_hello(int fd)
{
	struct buf b = {0};

	assert_int_equal(kp_enc_hello(&b, 2, KP_ENGINE_INTERP), 0);
	assert_int_equal(kp_write(fd, KP_HELLO, b.data, b.len), 0);
	buf_free(&b, 0);
}

static void test_frame_roundtrip(void **state)
{
	uint8_t *p;
	size_t len;
	uint32_t type;

	(void)state;
	assert_int_equal(kp_write(sv[0], KP_WASM, "\0asm", 4), 0);
	assert_int_equal(kp_write(sv[0], KP_RUN, NULL, 0), 0);
	assert_int_equal(kp_read(sv[1], &type, &p, &len, 1024), 0);
	assert_int_equal(type, KP_WASM);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "\0asm", 4);
	xfree(p);
	assert_int_equal(kp_read(sv[1], &type, &p, &len, 1024), 0);
	assert_int_equal(type, KP_RUN);
	assert_int_equal(len, 0);
	close(sv[0]);
	sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(kp_read(sv[1], &type, &p, &len, 1024), ENARX_E_NOTFOUND);
}

static void test_frame_limits(void **state)
{
	uint8_t hdr[8] = {2, 0, 0, 0, 0, 0, 0, 0x10}; /* WASM, 256 MiB */
	uint8_t *p;
	size_t len;
	uint32_t type;

	(void)state;
	assert_int_equal(write(sv[0], hdr, 8), 8);
	assert_int_equal(kp_read(sv[1], &type, &p, &len, KP_MAX_PAYLOAD), ENARX_E_OVERFLOW);
	/* a frame cut short */
	hdr[7] = 0;
	hdr[4] = 10;
	assert_int_equal(write(sv[0], hdr, 8), 8);
	assert_int_equal(write(sv[0], "abc", 3), 3);
	close(sv[0]);
	sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(kp_read(sv[1], &type, &p, &len, 1024), ENARX_E_TRUNCATED);
}

static void test_args_codec(void **state)
{
	const char *in[] = {"main", "", "two words", "\xc3\xa9"};
	struct buf b = {0};
	char **out;
	size_t n;

	(void)state;
	assert_int_equal(kp_enc_args(&b, in, 4), 0);
	assert_int_equal(kp_dec_args(b.data, b.len, &out, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(out[i], in[i]);
	assert_null(out[4]);
	kp_free_strv(out, n);
	/* truncated, trailing byte, count larger than the payload, NUL inside */
	assert_int_equal(kp_dec_args(b.data, b.len - 1, &out, &n), ENARX_E_TRUNCATED);
	buf_append_u8(&b, 0);
	assert_int_equal(kp_dec_args(b.data, b.len, &out, &n), ENARX_E_TRAILING);
	assert_int_equal(kp_dec_args((const uint8_t *)"\xff\xff\x00\x00", 4, &out, &n),
	                 ENARX_E_MALFORMED);
	assert_int_equal(kp_dec_args((const uint8_t *)"\1\0\0\0\3\0\0\0a\0b", 11, &out, &n),
	                 ENARX_E_MALFORMED);
	buf_free(&b, 0);
}

static void test_trap_codec(void **state)
{
	struct kp_frame f[2] = {{5, 0x2c2, (char *)"inner"}, {3, 0x100, (char *)""}};
	struct kp_trap t = {(char *)"integer divide by zero", f, 2}, d;
	struct buf b = {0};

	(void)state;
	assert_int_equal(kp_enc_trap(&b, &t), 0);
	assert_int_equal(kp_dec_trap(b.data, b.len, &d), 0);
	assert_string_equal(d.message, "integer divide by zero");
	assert_int_equal(d.nframes, 2);
	assert_int_equal(d.frames[0].code_offset, 0x2c2);
	assert_string_equal(d.frames[0].name, "inner");
	assert_string_equal(d.frames[1].name, "");
	kp_trap_clear(&d);
	for (size_t cut = 0; cut < b.len; cut++)
		assert_int_not_equal(kp_dec_trap(b.data, cut, &d), 0);
	buf_free(&b, 0);
}

static void test_receive_full(void **state)
{
	const char *args[] = {"x", "y"};
	struct exec_workload wl;
	struct buf b = {0};
	char err[256];

	(void)state;
	send_hello(sv[0]);
	kp_write(sv[0], KP_WASM, "\0asm\1\0\0\0", 8);
	kp_write(sv[0], KP_CONFIG, "args = []\n", 10);
	kp_enc_args(&b, args, 2);
	kp_write(sv[0], KP_ARGS, b.data, b.len);
	kp_write(sv[0], KP_RUN, NULL, 0);
	assert_int_equal(exec_receive(sv[1], &wl, err, sizeof(err)), 0);
	assert_int_equal(wl.wasm_len, 8);
	assert_int_equal(wl.log_level, 2);
	assert_string_equal(wl.config, "args = []\n");
	assert_int_equal(wl.nargs, 2);
	assert_string_equal(wl.args[1], "y");
	exec_workload_clear(&wl);
	buf_free(&b, 0);
}

/* LIMITS right after HELLO and CONFDIR right before CONFIG are taken. */
static void test_receive_limits_confdir(void **state)
{
	struct keep_limits l = {.memory = 1u << 20, .wall_ms = 5, .fds = 9, .output = 3};
	struct exec_workload wl;
	struct buf b = {0};
	char err[256];

	(void)state;
	send_hello(sv[0]);
	kp_enc_limits(&b, &l);
	kp_write(sv[0], KP_LIMITS, b.data, b.len);
	kp_write(sv[0], KP_WASM, "\0asm\1\0\0\0", 8);
	b.len = 0;
	kp_enc_string(&b, "/srv/app");
	kp_write(sv[0], KP_CONFDIR, b.data, b.len);
	kp_write(sv[0], KP_CONFIG, "args = []\n", 10);
	kp_write(sv[0], KP_RUN, NULL, 0);
	assert_int_equal(exec_receive(sv[1], &wl, err, sizeof(err)), 0);
	assert_int_equal(wl.limits.memory, 1u << 20);
	assert_int_equal(wl.limits.fds, 9);
	assert_int_equal(wl.limits.output, 3);
	assert_string_equal(wl.config_dir, "/srv/app");
	exec_workload_clear(&wl);
	buf_free(&b, 0);
}

/* Sends the given frames and expects exec_receive to fail naming `want`. */
static void expect_refused(const uint32_t *types, size_t n, const char *want)
{
	struct exec_workload wl;
	char err[256] = "";

	send_hello(sv[0]);
	for (size_t i = 0; i < n; i++) {
		if (types[i] == KP_WASM)
			kp_write(sv[0], KP_WASM, "\0asm\1\0\0\0", 8);
		else if (types[i] == KP_HELLO)
			send_hello(sv[0]);
		else
			kp_write(sv[0], types[i], NULL, 0);
	}
	shutdown(sv[0], SHUT_WR);
	assert_int_not_equal(exec_receive(sv[1], &wl, err, sizeof(err)), 0);
	if (!strstr(err, want))
		print_error("error '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

static void test_receive_refuses_order(void **state)
{
	static const uint32_t run_first[] = {KP_RUN};
	(void)state;
	expect_refused(run_first, 1, "unexpected RUN");
}

static void test_receive_refuses_late_limits(void **state)
{
	static const uint32_t late_limits[] = {KP_WASM, KP_LIMITS};
	(void)state;
	expect_refused(late_limits, 2, "unexpected LIMITS");
}

static void test_receive_refuses_bad_limits(void **state)
{
	static const uint32_t empty_limits[] = {KP_LIMITS};
	(void)state;
	expect_refused(empty_limits, 1, "bad LIMITS");
}

static void test_receive_refuses_bad_confdir(void **state)
{
	static const uint32_t empty_confdir[] = {KP_WASM, KP_CONFDIR};
	(void)state;
	expect_refused(empty_confdir, 2, "bad CONFDIR");
}

static void test_receive_refuses_duplicate(void **state)
{
	static const uint32_t two_wasm[] = {KP_WASM, KP_WASM};
	(void)state;
	expect_refused(two_wasm, 2, "unexpected WASM");
}

static void test_receive_refuses_unknown(void **state)
{
	static const uint32_t unknown[] = {KP_WASM, 0x77};
	(void)state;
	expect_refused(unknown, 2, "unknown message type 119");
}

static void test_receive_refuses_second_hello(void **state)
{
	static const uint32_t hello[] = {KP_HELLO};
	(void)state;
	expect_refused(hello, 1, "unexpected HELLO");
}

static void test_receive_refuses_eof(void **state)
{
	static const uint32_t only_wasm[] = {KP_WASM};
	(void)state;
	expect_refused(only_wasm, 1, "host closed the channel");
}

static void test_receive_refuses_version(void **state)
{
	struct exec_workload wl;
	uint8_t p[8] = {9, 0, 0, 0, 0, 0, 0, 0};
	char err[256];

	(void)state;
	kp_write(sv[0], KP_HELLO, p, 8);
	assert_int_equal(exec_receive(sv[1], &wl, err, sizeof(err)), ENARX_E_NOTSUP);
	assert_non_null(strstr(err, "protocol version 9"));
}

static void test_receive_refuses_empty_wasm(void **state)
{
	static const uint32_t empty[] = {0};
	struct exec_workload wl;
	char err[256];

	(void)state;
	(void)empty;
	send_hello(sv[0]);
	kp_write(sv[0], KP_WASM, NULL, 0);
	assert_int_not_equal(exec_receive(sv[1], &wl, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "empty WASM"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_frame_roundtrip),
	    T(test_frame_limits),
	    T(test_args_codec),
	    T(test_trap_codec),
	    T(test_receive_full),
	    T(test_receive_limits_confdir),
	    T(test_receive_refuses_late_limits),
	    T(test_receive_refuses_bad_limits),
	    T(test_receive_refuses_bad_confdir),
	    T(test_receive_refuses_order),
	    T(test_receive_refuses_duplicate),
	    T(test_receive_refuses_unknown),
	    T(test_receive_refuses_second_hello),
	    T(test_receive_refuses_eof),
	    T(test_receive_refuses_version),
	    T(test_receive_refuses_empty_wasm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
