/* SPDX-License-Identifier: Apache-2.0 */
/* The deploy flow on the client (deploy.h): nonce, evidence, checks,
 * sealing, sending, then the Keep's sealed output until its outcome. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "package/seal.h"

#define NONCE_LEN 32
#define STDIN_CHUNK 65536
#define STDIN_POLL_MS 20 /* how often to look at stdin while the Keep is quiet */

struct run {
	const struct deploy_opts *o;
	const struct deploy_transport *t;
	struct deploy_result *r;
	struct timespec t0;
	uint8_t nonce[NONCE_LEN];
	hpke_key *out_key; /* ours: the Keep seals output to it */
	hpke_key *keep_kem;
	struct seal_stream *in, *out;
	char digest_hex[2 * PKG_DIGEST_LEN + 8];
	int stdin_open, confirmed;
	uint64_t outputs;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int end(struct run *x, enum deploy_end e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fixes the end of the session with its message. Returns 1 ("stop"). */
static int end(struct run *x, enum deploy_end e, const char *fmt, ...)
{
	va_list ap;

	x->r->end = e;
	va_start(ap, fmt);
	vsnprintf(x->r->error, sizeof(x->r->error), fmt, ap);
	va_end(ap);
	return 1;
}

static void step(struct run *x, enum deploy_step s, size_t bytes, size_t records)
{
	struct deploy_progress p = {.step = s,
	                            .verdict = s >= DEPLOY_STEP_EVIDENCE ? &x->r->verdict : NULL,
	                            .digest_hex = s >= DEPLOY_STEP_SEALED ? x->digest_hex : NULL,
	                            .sealed_bytes = bytes,
	                            .records = records,
	                            .ms = ms_since(&x->t0)};

	if (x->o->on_step)
		x->o->on_step(x->o->ctx, &p);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* The Keep's clear ERROR text (its own words, never the workload's). */
static void clear_text(const uint8_t *p, size_t len, char *out, size_t n)
{
	char *s = NULL;

	if (kp_dec_string(p, len, &s) == 0)
		snprintf(out, n, "%s", s);
	else
		snprintf(out, n, "(a malformed ERROR message)");
	xfree(s);
}

static int hello_and_evidence(struct run *x)
{
	struct kp_deploy_hello h = {KP_VERSION, x->o->log_level, x->o->engine, x->nonce, NONCE_LEN};
	struct buf b = {0};
	char why[512], msg[400];
	uint8_t *p = NULL;
	uint32_t type;
	size_t len;
	int rc;

	h.flags = x->o->verify.steward_url ? KP_DEPLOY_STEWARD : 0;
	if (RAND_bytes(x->nonce, NONCE_LEN) != 1)
		return end(x, DEPLOY_FAILED, "no randomness for the nonce");
	rc = kp_enc_deploy_hello(&b, &h);
	if (!rc)
		rc = x->t->send(x->t->ctx, KP_DEPLOY_HELLO, b.data, b.len);
	buf_free(&b, 0);
	if (rc)
		return end(x, DEPLOY_FAILED, "cannot reach the Keep: %s", enarx_strerror(rc));
	rc = x->t->recv(x->t->ctx, -1, &type, &p, &len);
	if (rc == ENARX_E_NOTFOUND)
		return end(x, DEPLOY_FAILED, "the Keep ended before sending its evidence");
	if (rc)
		return end(x, DEPLOY_FAILED, "waiting for the evidence: %s", enarx_strerror(rc));
	x->r->t_evidence = ms_since(&x->t0);
	if (type == KP_ERROR) {
		clear_text(p, len, msg, sizeof(msg));
		xfree(p);
		return end(x, DEPLOY_FAILED, "the Keep failed before its evidence: %s", msg);
	}
	if (type != KP_EVIDENCE) {
		xfree(p);
		return end(x, DEPLOY_FAILED, "expected EVIDENCE from the Keep, got %s (%u)",
		           kp_type_name(type), type);
	}
	rc = deploy_verify(&x->o->verify, p, len, x->nonce, NONCE_LEN, &x->r->verdict, why,
	                   sizeof(why));
	xfree(p);
	x->r->t_verify = ms_since(&x->t0) - x->r->t_evidence;
	if (rc)
		return end(x, DEPLOY_REFUSED, "%s", why);
	step(x, DEPLOY_STEP_EVIDENCE, 0, 0);
	step(x, DEPLOY_STEP_POLICY, 0, 0);
	return 0;
}

/* A fresh output key in the package, the digest, the plaintext. */
static int prepare(struct run *x, struct pkg *pkg, struct buf *plain)
{
	const uint8_t *pub;
	size_t pl;
	char err[256];

	if (hpke_key_generate(SEAL_KEM, &x->out_key))
		return end(x, DEPLOY_FAILED, "cannot make the output key");
	pub = hpke_key_public(x->out_key, &pl);
	pkg_remove(pkg, PKG_OUTPUT_KEY);
	if (pkg_add(pkg, PKG_OUTPUT_KEY, "x25519", pub, pl, err, sizeof(err)))
		return end(x, DEPLOY_FAILED, "package: %s", err);
	/* one spare byte: seal_record_spare() borrows it */
	if (pkg_digest(pkg, x->r->digest) || pkg_encode(pkg, 1, plain) || buf_reserve(plain, 1))
		return end(x, DEPLOY_FAILED, "package: cannot encode it (%zu entries)", pkg->n);
	memcpy(x->digest_hex, "sha256:", 7);
	hex_encode(x->r->digest, PKG_DIGEST_LEN, x->digest_hex + 7);
	return 0;
}

/* A send failed: the Keep may have ended the session, and its reason is
 * what the user needs, not our EPIPE. */
static int send_failed(struct run *x, int rc)
{
	char msg[400];
	uint8_t *p;
	uint32_t type;
	size_t len;

	while (x->t->recv(x->t->ctx, -1, &type, &p, &len) == 0) {
		if (type == KP_ERROR) {
			clear_text(p, len, msg, sizeof(msg));
			xfree(p);
			return end(x, DEPLOY_FAILED, "the Keep refused the package: %s", msg);
		}
		xfree(p);
	}
	return end(x, DEPLOY_FAILED, "sending the package: %s", enarx_strerror(rc));
}

/* Seals plain to the Keep in records and sends them. */
static int seal_and_send(struct run *x, const struct buf *plain)
{
	struct buf head = {0}, frames = {0};
	size_t off = 0, n, records = 0, *ends = NULL, nends = 0;
	int rc;
	double t;

	rc = hpke_key_from_public(SEAL_KEM, x->r->verdict.kem_pk, x->r->verdict.kem_pk_len,
	                          &x->keep_kem);
	if (rc)
		return end(x, DEPLOY_REFUSED, "evidence: the Keep's HPKE key is not an X25519 key");
	t = ms_since(&x->t0);
	rc = seal_sender_new(x->keep_kem, NULL, SEAL_TO_KEEP, x->r->verdict.binding, &head, &x->in);
	ends = xcalloc(plain->len / SEAL_RECORD_MAX + 2, sizeof(*ends));
	if (!ends)
		rc = ENARX_E_NOMEM;
	do {
		n = plain->len - off < SEAL_RECORD_MAX ? plain->len - off : SEAL_RECORD_MAX;
		if (!rc)
			rc = seal_record_spare(x->in,
			                       off + n == plain->len ? SEAL_PKG_END : SEAL_PKG,
			                       plain->data + off, n, &frames);
		if (!rc)
			ends[nends++] = frames.len;
		off += n;
		records++;
	} while (!rc && off < plain->len);
	x->r->t_seal = ms_since(&x->t0) - t;
	if (rc) {
		rc = end(x, DEPLOY_FAILED, "sealing: %s", enarx_strerror(rc));
		goto out;
	}
	step(x, DEPLOY_STEP_SEALED, frames.len + head.len, records);
	t = ms_since(&x->t0);
	rc = x->t->send(x->t->ctx, KP_SEAL_HEAD, head.data, head.len);
	for (size_t i = 0, at = 0; !rc && i < nends; at = ends[i++])
		rc = x->t->send(x->t->ctx, KP_SEALED_IN, frames.data + at, ends[i] - at);
	x->r->t_transfer = ms_since(&x->t0) - t;
	if (rc) {
		rc = send_failed(x, rc);
		goto out;
	}
	step(x, DEPLOY_STEP_SENT, frames.len + head.len, records);
out:
	xfree(ends);
	buf_free(&head, 0);
	buf_free(&frames, 0);
	return rc;
}

/* The identity record: the digest the Keep opened, signed by its key. */
static int check_identity(struct run *x, const uint8_t *p, size_t len)
{
	static const char label[] = SEAL_IDENTITY_LABEL;
	uint8_t tbs[sizeof(label) - 1 + KP_BINDING_LEN + PKG_DIGEST_LEN];
	EVP_PKEY *k;
	EVP_MD_CTX *m;
	char got[2 * PKG_DIGEST_LEN + 1];
	int ok;

	if (len != PKG_DIGEST_LEN + 64)
		return end(x, DEPLOY_FAILED, "workload identity: a record of %zu bytes", len);
	if (CRYPTO_memcmp(p, x->r->digest, PKG_DIGEST_LEN) != 0) {
		hex_encode(p, PKG_DIGEST_LEN, got);
		return end(x, DEPLOY_FAILED,
		           "workload identity: the Keep opened sha256:%s, we sealed %s", got,
		           x->digest_hex);
	}
	memcpy(tbs, label, sizeof(label) - 1);
	memcpy(tbs + sizeof(label) - 1, x->r->verdict.binding, KP_BINDING_LEN);
	memcpy(tbs + sizeof(label) - 1 + KP_BINDING_LEN, p, PKG_DIGEST_LEN);
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x->r->verdict.sig_pk,
	                                x->r->verdict.sig_pk_len);
	m = EVP_MD_CTX_new();
	ok = k && m && EVP_DigestVerifyInit(m, NULL, NULL, NULL, k) == 1 &&
	     EVP_DigestVerify(m, p + PKG_DIGEST_LEN, 64, tbs, sizeof(tbs)) == 1;
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(k);
	if (!ok)
		return end(x, DEPLOY_FAILED,
		           "workload identity: the signature is not the attested Keep's");
	x->confirmed = 1;
	step(x, DEPLOY_STEP_RUNNING, 0, 0);
	return 0;
}

/* One opened output record. Returns 0 to go on, 1 at the end. */
static int on_output(struct run *x, uint8_t tag, const uint8_t *p, size_t len)
{
	if (tag == SEAL_IDENTITY)
		return x->confirmed ? end(x, DEPLOY_FAILED, "a second identity record")
		                    : check_identity(x, p, len);
	if (!x->confirmed)
		return end(x, DEPLOY_FAILED, "output before the Keep confirmed the workload");
	switch (tag) {
	case SEAL_STDOUT: write_all(x->o->stdout_fd, p, len); return 0;
	case SEAL_STDERR: write_all(x->o->stderr_fd, p, len); return 0;
	case SEAL_EXIT:
		if (kp_dec_u32(p, len, &x->r->exit_code))
			return end(x, DEPLOY_FAILED, "a malformed exit record");
		x->r->end = DEPLOY_EXITED;
		return 1;
	case SEAL_TRAP:
		if (kp_dec_trap(p, len, &x->r->trap))
			return end(x, DEPLOY_FAILED, "a malformed trap record");
		x->r->end = DEPLOY_TRAPPED;
		return 1;
	case SEAL_ERROR: {
		char msg[400];

		clear_text(p, len, msg, sizeof(msg));
		return end(x, DEPLOY_ERROR, "%s", msg);
	}
	}
	return end(x, DEPLOY_FAILED, "output record with unknown tag %u", tag);
}

static int on_frame(struct run *x, uint32_t type, const uint8_t *p, size_t len)
{
	struct buf pt = {0};
	char err[300];
	uint8_t tag = 0;
	int rc, final;

	switch (type) {
	case KP_OUT_HEAD:
		if (x->out)
			return end(x, DEPLOY_FAILED, "output: a second OUT_HEAD");
		rc = seal_recipient_new(x->out_key, x->keep_kem, SEAL_TO_CLIENT,
		                        x->r->verdict.binding, p, len, &x->out, err, sizeof(err));
		return rc ? end(x, DEPLOY_FAILED, "output: %s", err) : 0;
	case KP_SEALED_OUT:
		if (!x->out)
			return end(x, DEPLOY_FAILED, "output: a record before OUT_HEAD");
		rc = seal_open(x->out, p, len, &tag, &pt, &final, err, sizeof(err));
		x->outputs++;
		rc = rc ? end(x, DEPLOY_FAILED, "output: %s", err)
		        : on_output(x, tag, pt.data, pt.len);
		buf_free(&pt, 1);
		return rc;
	case KP_ERROR:
		clear_text(p, len, err, sizeof(err));
		return end(x, DEPLOY_FAILED, "the Keep refused the package: %s", err);
	case KP_TEE: return 0;
	}
	return end(x, DEPLOY_FAILED, "unexpected %s (%u) from the Keep", kp_type_name(type), type);
}

/* Forwards what stdin has now, sealed; at its end, the EOF record. */
static int pump_stdin(struct run *x)
{
	uint8_t data[STDIN_CHUNK];
	struct pollfd pf = {.fd = x->o->stdin_fd, .events = POLLIN};
	struct buf f = {0};
	ssize_t n = 0;
	int rc;

	if (!x->stdin_open || poll(&pf, 1, 0) <= 0)
		return 0;
	n = read(x->o->stdin_fd, data, sizeof(data));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		x->stdin_open = 0;
	rc = seal_record(x->in, n > 0 ? SEAL_STDIN : SEAL_STDIN_EOF, data, n > 0 ? (size_t)n : 0,
	                 &f);
	if (!rc)
		rc = x->t->send(x->t->ctx, KP_SEALED_IN, f.data, f.len);
	OPENSSL_cleanse(data, sizeof(data));
	buf_free(&f, 1);
	if (rc)
		x->stdin_open = 0; /* the Keep no longer reads: its outcome will say why */
	return 0;
}

static int output_loop(struct run *x)
{
	uint8_t *p;
	uint32_t type;
	size_t len;
	int rc, stop = 0;

	x->stdin_open = x->o->stdin_fd >= 0;
	if (!x->stdin_open)
		pump_stdin(x); /* nothing to read: EOF at once */
	while (!stop) {
		pump_stdin(x);
		rc = x->t->recv(x->t->ctx, x->stdin_open ? STDIN_POLL_MS : -1, &type, &p, &len);
		if (rc == 1)
			continue;
		if (rc == ENARX_E_NOTFOUND)
			return end(x, DEPLOY_FAILED,
			           "the host ended the session before the Keep's sealed outcome "
			           "(after %llu output records)",
			           (unsigned long long)x->outputs);
		if (rc)
			return end(x, DEPLOY_FAILED, "reading the Keep: %s", enarx_strerror(rc));
		stop = on_frame(x, type, p, len);
		xfree(p);
	}
	return 0;
}

int deploy_run(const struct deploy_opts *o, const struct deploy_transport *t, struct pkg *pkg,
               struct deploy_result *r)
{
	struct run x = {.o = o, .t = t, .r = r};
	struct buf plain = {0};
	double t_sent = 0;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &x.t0);
	step(&x, DEPLOY_STEP_KEEP, 0, 0);
	if (!hello_and_evidence(&x) && !prepare(&x, pkg, &plain) && !seal_and_send(&x, &plain)) {
		t_sent = ms_since(&x.t0);
		buf_free(&plain, 1);
		output_loop(&x);
		r->t_run = ms_since(&x.t0) - t_sent;
		if (r->end == DEPLOY_EXITED || r->end == DEPLOY_TRAPPED || r->end == DEPLOY_ERROR)
			step(&x, DEPLOY_STEP_DONE, 0, 0);
	}
	if (t->close_input)
		t->close_input(t->ctx);
	r->t_total = ms_since(&x.t0);
	buf_free(&plain, 1);
	seal_stream_free(x.in);
	seal_stream_free(x.out);
	hpke_key_free(x.out_key);
	hpke_key_free(x.keep_kem);
	OPENSSL_cleanse(x.nonce, sizeof(x.nonce));
	return 0;
}

void deploy_result_clear(struct deploy_result *r)
{
	kp_trap_clear(&r->trap);
}
