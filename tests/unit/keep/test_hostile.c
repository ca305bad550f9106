/* SPDX-License-Identifier: Apache-2.0 */
/* A keep session facing a hostile or broken Keep: message streams written by
 * the scripted backend (script_backend.h) go through the real session
 * reader, decoders and outcome rules (docs/keep-protocol.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "keep/session.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "script_backend.h"

static int nframes;

static void count(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	(void)ctx;
	(void)type;
	(void)p;
	(void)len;
	nframes++;
}

static void frame(struct buf *b, uint32_t type, const void *p, size_t len)
{
	uint8_t hdr[KP_HEADER_SIZE];

	kp_frame_header(hdr, type, len);
	assert_int_equal(buf_append(b, hdr, sizeof(hdr)), 0);
	assert_int_equal(buf_append(b, p, len), 0);
}

/* Runs a session over the script in b; the Keep "exits" with status. */
static struct keep_session *run_script(const struct buf *b, int status, struct keep_outcome *o)
{
	struct keep_session_opts so = {.backend = &script_backend, .on_message = count};
	struct keep_session *s;

	nframes = 0;
	script_backend_set(b->data, b->len, status);
	assert_int_equal(keep_session_new(&so, &s), 0);
	assert_int_equal(keep_session_start(s), 0);
	assert_int_equal(keep_session_wait(s), 0);
	assert_int_equal(keep_session_outcome(s, o), 0);
	assert_int_equal(o->status, status);
	return s;
}

static void test_exit_code_kept_whole(void **state)
{
	struct buf b = {0};
	struct keep_outcome o;
	struct keep_session *s;

	(void)state;
	frame(&b, 0x7e, "??", 2); /* unknown: ignored, still observed */
	frame(&b, KP_EXIT, "\x00\x01\x00\x00", 4);
	s = run_script(&b, 0, &o);
	assert_int_equal(o.result, KEEP_EXITED);
	assert_int_equal(o.exit_code, 256); /* enarx run refuses it, the session keeps it */
	assert_int_equal(nframes, 2);
	keep_session_free(s);
	buf_free(&b, 0);
}

/* TRAP wins over ERROR and EXIT whatever the order; a malformed TRAP does
 * not count. */
static void test_outcome_precedence(void **state)
{
	struct buf b = {0}, t = {0};
	struct kp_frame f = {3, 0x40, (char *)"f"};
	struct kp_trap trap = {(char *)"boom", &f, 1};
	struct keep_outcome o;
	struct keep_session *s;

	(void)state;
	assert_int_equal(kp_enc_trap(&t, &trap), 0);
	frame(&b, KP_EXIT, "\0\0\0\0", 4);
	frame(&b, KP_ERROR, "\2\0\0\0no", 6);
	frame(&b, KP_TRAP, t.data, t.len);
	s = run_script(&b, 134, &o);
	assert_int_equal(o.result, KEEP_TRAPPED);
	assert_string_equal(o.trap->message, "boom");
	assert_int_equal(o.trap->frames[0].code_offset, 0x40);
	keep_session_free(s);
	/* a TRAP one byte short is malformed: ERROR then wins */
	b.len = 0;
	frame(&b, KP_EXIT, "\0\0\0\0", 4);
	frame(&b, KP_ERROR, "\2\0\0\0no", 6);
	frame(&b, KP_TRAP, t.data, t.len - 1);
	s = run_script(&b, 1, &o);
	assert_int_equal(o.result, KEEP_FAILED);
	assert_string_equal(o.error, "no");
	keep_session_free(s);
	buf_free(&b, 0);
	buf_free(&t, 0);
}

/* A frame announcing more than KEEP_SESSION_MSG_MAX ends the reading: what
 * follows is not believed. */
static void test_oversized_frame_stops_reading(void **state)
{
	uint8_t hdr[KP_HEADER_SIZE];
	struct buf b = {0};
	struct keep_outcome o;
	struct keep_session *s;

	(void)state;
	kp_frame_header(hdr, KP_TRAP, (size_t)KEEP_SESSION_MSG_MAX + 1);
	assert_int_equal(buf_append(&b, hdr, sizeof(hdr)), 0);
	frame(&b, KP_EXIT, "\0\0\0\0", 4);
	s = run_script(&b, 9, &o);
	assert_int_equal(o.result, KEEP_NO_RESULT);
	assert_int_equal(nframes, 0);
	keep_session_free(s);
	buf_free(&b, 0);
}

/* A stream that ends inside a frame, and no stream at all: no result. */
static void test_cut_stream_is_no_result(void **state)
{
	struct buf b = {0};
	struct keep_outcome o;
	struct keep_session *s;

	(void)state;
	frame(&b, KP_EXIT, "\0\0\0\0", 4);
	b.len -= 1;
	s = run_script(&b, 139, &o);
	assert_int_equal(o.result, KEEP_NO_RESULT);
	assert_false(o.killed);
	keep_session_free(s);
	b.len = 0;
	s = run_script(&b, 0, &o);
	assert_int_equal(o.result, KEEP_NO_RESULT);
	assert_null(o.tee_note);
	keep_session_free(s);
	buf_free(&b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_code_kept_whole),
	    cmocka_unit_test(test_outcome_precedence),
	    cmocka_unit_test(test_oversized_frame_stops_reading),
	    cmocka_unit_test(test_cut_stream_is_no_result),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
