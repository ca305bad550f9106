/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the keep protocol pieces the host's non-blocking reader
 * uses (src/keep/proto.h): frame headers and splitting a byte stream into
 * frames, against kp_write/kp_read on a real socketpair, and the TEE and
 * string codecs. (The executor's side is in tests/unit/exec.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Issue 19: a trap report whose names would make it larger than a host
 * reads (64 frames of 70,000-byte names: 4.5 MB) is cut to fit, with a
 * note; so is one with too many frames. */
static void test_trap_cut_to_fit(void **state)
{
	struct kp_frame fr[600];
	char msg[] = "unreachable";
	struct kp_trap t = {.message = msg, .frames = fr, .nframes = 64}, d;
	char *name = malloc(70001);
	struct buf b = {0};

	(void)state;
	assert_non_null(name);
	memset(name, 'n', 70000);
	name[70000] = 0;
	for (uint32_t i = 0; i < 600; i++)
		fr[i] = (struct kp_frame){i, i * 3, name};
	assert_int_equal(kp_enc_trap(&b, &t), 0);
	assert_true(b.len <= KP_TRAP_MAX);
	assert_int_equal(kp_dec_trap(b.data, b.len, &d), 0);
	assert_int_equal(d.nframes, 64);
	assert_int_equal(strlen(d.frames[63].name), KP_NAME_MAX);
	assert_string_equal(d.frames[63].name + KP_NAME_MAX - 3, "...");
	assert_int_equal(d.frames[5].func_index, 5);
	assert_non_null(strstr(d.message, "unreachable (trap report cut to fit"));
	assert_non_null(strstr(d.message, "names shortened to 4096 bytes"));
	kp_trap_clear(&d);
	/* 600 frames of 4 KiB names do not fit in 1 MiB: the outer ones go */
	b.len = 0;
	t.nframes = 600;
	assert_int_equal(kp_enc_trap(&b, &t), 0);
	assert_true(b.len <= KP_TRAP_MAX);
	assert_int_equal(kp_dec_trap(b.data, b.len, &d), 0);
	assert_true(d.nframes > 200 && d.nframes < 600);
	assert_non_null(strstr(d.message, " of 600 frames shown)"));
	kp_trap_clear(&d);
	/* short names and few frames: as they were, no note */
	b.len = 0;
	name[10] = 0;
	t.nframes = 3;
	assert_int_equal(kp_enc_trap(&b, &t), 0);
	assert_int_equal(kp_dec_trap(b.data, b.len, &d), 0);
	assert_string_equal(d.message, "unreachable");
	assert_string_equal(d.frames[2].name, "nnnnnnnnnn");
	kp_trap_clear(&d);
	buf_free(&b, 0);
	free(name);
}

/* LIMITS round trip; out-of-range values are refused. */
static void test_limits_codec(void **state)
{
	struct keep_limits l = {.memory = 1u << 20,
	                        .fuel = 7,
	                        .wall_ms = 1500,
	                        .fds = 10,
	                        .output = 50,
	                        .cpu_ms = 700},
	                   d;
	struct buf b = {0};

	(void)state;
	assert_int_equal(kp_enc_limits(&b, &l), 0);
	assert_int_equal(kp_dec_limits(b.data, b.len, &d), 0);
	assert_true(d.memory == l.memory && d.fuel == 7 && d.wall_ms == 1500 && d.fds == 10 &&
	            d.output == 50 && d.cpu_ms == 700);
	assert_int_equal(kp_dec_limits(b.data, b.len - 1, &d), ENARX_E_TRUNCATED);
	b.len = 0;
	l.fds = 5000;
	assert_int_equal(kp_enc_limits(&b, &l), 0);
	assert_int_equal(kp_dec_limits(b.data, b.len, &d), ENARX_E_MALFORMED);
	assert_int_equal(d.fuel, 0);
	b.len = 0;
	l.fds = 10;
	l.cpu_ms = KEEP_LIMIT_CPU_MS_MAX + 1;
	assert_int_equal(kp_enc_limits(&b, &l), 0);
	assert_int_equal(kp_dec_limits(b.data, b.len, &d), ENARX_E_MALFORMED);
	l.cpu_ms = 700;
	b.len = 0;
	l.memory = 5ull << 30;
	assert_int_equal(kp_enc_limits(&b, &l), 0);
	assert_int_equal(kp_dec_limits(b.data, b.len, &d), ENARX_E_MALFORMED);
	buf_free(&b, 0);
}

static void test_http_codecs(void **state)
{
	struct kp_http_req q = {.id = 7,
	                        .method = (char *)"POST",
	                        .url = (char *)"https://steward.example/",
	                        .ctype = (char *)"application/pkcs10",
	                        .accept = (char *)"",
	                        .body = (const uint8_t *)"csr",
	                        .body_len = 3},
	                   q2;
	struct kp_http_resp r = {.id = 7, .status = 200, .ctype = (char *)"application/pkcs7-mime"},
	                    r2;
	struct buf b = {0};

	(void)state;
	assert_int_equal(kp_enc_http_req(&b, &q), 0);
	assert_int_equal(kp_dec_http_req(b.data, b.len, &q2), 0);
	assert_int_equal(q2.id, 7);
	assert_string_equal(q2.method, "POST");
	assert_string_equal(q2.url, "https://steward.example/");
	assert_string_equal(q2.ctype, "application/pkcs10");
	assert_int_equal(q2.body_len, 3);
	assert_memory_equal(q2.body, "csr", 3);
	kp_http_req_clear(&q2);
	/* truncated anywhere: refused, nothing left allocated */
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(kp_dec_http_req(b.data, n, &q2), 0);
	/* bad method, bad scheme, body over the cap */
	q.method = (char *)"post";
	b.len = 0;
	assert_int_not_equal(kp_enc_http_req(&b, &q), 0);
	q.method = (char *)"GET";
	q.url = (char *)"ftp://x/";
	assert_int_not_equal(kp_enc_http_req(&b, &q), 0);
	q.url = (char *)"https://x/";
	q.body_len = KP_HTTP_BODY_MAX + 1;
	assert_int_not_equal(kp_enc_http_req(&b, &q), 0);
	b.len = 0;
	assert_int_equal(kp_enc_http_resp(&b, &r), 0);
	assert_int_equal(kp_dec_http_resp(b.data, b.len, &r2), 0);
	assert_int_equal(r2.status, 200);
	assert_string_equal(r2.ctype, "application/pkcs7-mime");
	assert_int_equal(r2.body_len, 0);
	kp_http_resp_clear(&r2);
	r.status = 1000;
	b.len = 0;
	assert_int_not_equal(kp_enc_http_resp(&b, &r), 0);
	assert_string_equal(kp_type_name(KP_HTTP_REQ), "HTTP_REQ");
	assert_string_equal(kp_type_name(KP_HTTP_RESP), "HTTP_RESP");
	buf_free(&b, 0);
}

/* DEPLOY_HELLO's optional flags and EVIDENCE's optional CSR fields. */
static void test_deploy_steward_fields(void **state)
{
	uint8_t nonce[32] = {1}, key[32] = {2}, csr[40] = {0x30}, sig[70] = {0x30};
	struct kp_deploy_hello h = {KP_VERSION, 1, 0, nonce, sizeof(nonce), 0}, h2;
	struct kp_evidence e, e2;
	struct buf b = {0};
	size_t plain;

	(void)state;
	assert_int_equal(kp_enc_deploy_hello(&b, &h), 0);
	plain = b.len; /* no flags: the old encoding, 4 bytes shorter */
	assert_int_equal(kp_dec_deploy_hello(b.data, b.len, &h2), 0);
	assert_int_equal(h2.flags, 0);
	b.len = 0;
	h.flags = KP_DEPLOY_STEWARD;
	assert_int_equal(kp_enc_deploy_hello(&b, &h), 0);
	assert_int_equal(b.len, plain + 4);
	assert_int_equal(kp_dec_deploy_hello(b.data, b.len, &h2), 0);
	assert_int_equal(h2.flags, KP_DEPLOY_STEWARD);
	b.data[b.len - 1] = 0x80; /* an unknown flag */
	assert_int_equal(kp_dec_deploy_hello(b.data, b.len, &h2), ENARX_E_MALFORMED);
	memset(&e, 0, sizeof(e));
	e.kind = KP_TEE_KVM;
	e.nonce = nonce;
	e.nonce_len = sizeof(nonce);
	e.kem_pk = e.sig_pk = key;
	e.kem_pk_len = e.sig_pk_len = sizeof(key);
	e.csr = csr;
	e.csr_len = sizeof(csr);
	e.key_sig = sig;
	e.key_sig_len = sizeof(sig);
	b.len = 0;
	assert_int_equal(kp_enc_evidence(&b, &e), 0);
	assert_int_equal(kp_dec_evidence(b.data, b.len, &e2), 0);
	assert_int_equal(e2.csr_len, sizeof(csr));
	assert_int_equal(e2.key_sig_len, sizeof(sig));
	assert_memory_equal(e2.key_sig, sig, sizeof(sig));
	/* a CSR without its signature is refused */
	assert_int_not_equal(kp_dec_evidence(b.data, b.len - 4 - sizeof(sig), &e2), 0);
	buf_free(&b, 0);
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

static void test_measure_codec(void **state)
{
	static const uint8_t ev[128] = "ENXKVMv1";
	const uint8_t *got;
	struct buf b = {0};
	uint32_t kind;
	size_t n;

	(void)state;
	assert_int_equal(kp_enc_measure(&b, KP_TEE_KVM, ev, sizeof(ev)), 0);
	assert_int_equal(kp_dec_measure(b.data, b.len, &kind, &got, &n), 0);
	assert_int_equal(kind, KP_TEE_KVM);
	assert_int_equal(n, sizeof(ev));
	assert_memory_equal(got, ev, sizeof(ev));
	assert_int_equal(kp_dec_measure(b.data, b.len - 1, &kind, &got, &n), ENARX_E_TRUNCATED);
	assert_string_equal(kp_type_name(KP_MEASURE), "MEASURE");
	/* "no TEE" has nothing to measure; empty evidence is refused */
	b.len = 0;
	assert_int_equal(kp_enc_measure(&b, KP_TEE_NONE, ev, sizeof(ev)), 0);
	assert_int_equal(kp_dec_measure(b.data, b.len, &kind, &got, &n), ENARX_E_MALFORMED);
	b.len = 0;
	assert_int_equal(kp_enc_measure(&b, KP_TEE_KVM, ev, 0), 0);
	assert_int_equal(kp_dec_measure(b.data, b.len, &kind, &got, &n), ENARX_E_MALFORMED);
	buf_free(&b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_matches_kp_read),
	    cmocka_unit_test(test_split_stream),
	    cmocka_unit_test(test_split_limits),
	    cmocka_unit_test(test_tee_and_string_codecs),
	    cmocka_unit_test(test_trap_cut_to_fit),
	    cmocka_unit_test(test_limits_codec),
	    cmocka_unit_test(test_measure_codec),
	    cmocka_unit_test(test_http_codecs),
	    cmocka_unit_test(test_deploy_steward_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
