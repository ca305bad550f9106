/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep's half of a deploy (docs/keep-protocol.md "Deploy"): fresh
 * keys made here and never sent anywhere but as public keys, evidence
 * whose REPORT_DATA binds them to the client's nonce, the sealed package
 * opened, its digest signed, and the workload run with its stdin, stdout,
 * stderr and outcome sealed to the client. Errors before the package is
 * open go out in the clear (they hold no workload data); after that only
 * sealed records do. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/steward.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "package/package.h"
#include "package/seal.h"
#include "wasi/wasi.h"

#define OUT_CHUNK 65536 /* stdout/stderr bytes per sealed record */
#define SEALED_FRAME_MAX (SEAL_RECORD_MAX + 1 + HPKE_TAG_LEN + 8)

struct dep {
	int fd;
	hpke_key *kem; /* HPKE X25519: the package is sealed to it */
	EVP_PKEY *sig; /* Ed25519: signs the workload identity */
	uint8_t sig_pk[32];
	size_t sig_pk_len;
	uint8_t binding[KP_BINDING_LEN];
	struct seal_stream *in, *out;
	struct buf stdin_buf; /* opened stdin bytes not yet read */
	size_t stdin_off;
	int stdin_eof;
	struct wasi_stream s_in, s_out, s_err;
	struct exec_io io;
};

static int clear_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ends the session before anything is sealed: the message is ours, never
 * the workload's. */
static int clear_error(int fd, const char *fmt, ...)
{
	struct buf b = {0};
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("exec: deploy: %s", msg);
	if (kp_enc_string(&b, msg) == 0)
		kp_write(fd, KP_ERROR, b.data, b.len);
	buf_free(&b, 0);
	return 1;
}

static int make_keys(struct dep *d)
{
	if (hpke_key_generate(SEAL_KEM, &d->kem))
		return -1;
	d->sig = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	d->sig_pk_len = sizeof(d->sig_pk);
	if (!d->sig || !EVP_PKEY_get_raw_public_key(d->sig, d->sig_pk, &d->sig_pk_len))
		return -1;
	return 0;
}

/* Evidence for REPORT_DATA = the binding: none on nil (SYS_GETATT is
 * ENOSYS), the shim's KVM evidence, or a hardware TEE's report. */
static int get_evidence(struct dep *d, struct kp_evidence *e, struct buf *ev, char *err, size_t n)
{
	unsigned long tech = 0;
	long size = exec_getatt_query(&tech), r;

	if (size < 0) {
		e->kind = KP_TEE_NONE;
		e->note =
		    (const uint8_t *)(size == -ENOSYS ? "nil: no TEE and no evidence"
		                                      : "no TEE (the attestation query failed)");
		return 0;
	}
	if (size == 0 || size > KP_EVIDENCE_MAX || buf_reserve(ev, (size_t)size)) {
		snprintf(err, n, "evidence of %ld bytes (at most %d)", size, (int)KP_EVIDENCE_MAX);
		return -1;
	}
	r = syscall(KEEP_SYS_GETATT, d->binding, (size_t)KP_BINDING_LEN, ev->data, (size_t)size);
	if (r <= 0 || r > size) {
		snprintf(err, n, "SYS_GETATT failed: %s", r < 0 ? strerror(errno) : "empty");
		return -1;
	}
	ev->len = (size_t)r;
	e->kind = tech == 0 ? KP_TEE_KVM : KP_TEE_OTHER;
	e->note = (const uint8_t *)(tech == 0 ? "kvm: no hardware TEE (evidence is insecure)"
	                                      : "hardware TEE evidence");
	e->evidence = ev->data;
	e->evidence_len = ev->len;
	return 0;
}

/* With KP_DEPLOY_STEWARD: a CSR for a fresh certified key (its own
 * evidence binds it, as Steward checks) and that key's signature over the
 * deploy binding (keys and nonce), so the client can tie the keys it seals
 * to to the key Steward certifies. A nil Keep sends none (it has no
 * evidence); the client then refuses. */
static int steward_fields(const struct dep *d, struct kp_evidence *e, struct buf *csr, uint8_t *sig,
                          size_t *sig_len)
{
	static const char ctx[] = KP_STEWARD_SIG_CONTEXT;
	EVP_MD_CTX *m = NULL;
	EVP_PKEY *key = NULL;
	char err[256];
	int rc = exec_steward_csr(NULL, 0, NULL, &key, csr, err, sizeof(err));

	if (rc == ENARX_E_NOTFOUND)
		return 0;
	if (rc)
		return clear_error(d->fd, "steward: %s", err);
	m = EVP_MD_CTX_new();
	rc = m && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key) == 1 &&
	             EVP_DigestSignUpdate(m, ctx, sizeof(ctx) - 1) == 1 &&
	             EVP_DigestSignUpdate(m, d->binding, KP_BINDING_LEN) == 1 &&
	             EVP_DigestSignFinal(m, sig, sig_len) == 1
	         ? 0
	         : -1;
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(key); /* the certificate is the client's; the key served only this */
	if (rc)
		return clear_error(d->fd, "steward: cannot sign the Keep's keys");
	e->csr = csr->data;
	e->csr_len = csr->len;
	e->key_sig = sig;
	e->key_sig_len = *sig_len;
	return 0;
}

/* Keys, binding and the EVIDENCE message. */
static int introduce(struct dep *d, const struct kp_deploy_hello *h)
{
	struct kp_evidence e;
	struct buf ev = {0}, msg = {0}, csr = {0};
	uint8_t key_sig[KP_KEY_SIG_MAX];
	size_t key_sig_len = sizeof(key_sig);
	const uint8_t *kem_pk;
	size_t kem_len;
	char err[160];
	int rc;

	memset(&e, 0, sizeof(e));
	if (make_keys(d))
		return clear_error(d->fd, "cannot make the Keep's keys");
	kem_pk = hpke_key_public(d->kem, &kem_len);
	if (seal_binding(kem_pk, kem_len, d->sig_pk, d->sig_pk_len, h->nonce, h->nonce_len,
	                 d->binding))
		return clear_error(d->fd, "cannot hash the Keep's keys");
	if (get_evidence(d, &e, &ev, err, sizeof(err))) {
		buf_free(&ev, 0);
		return clear_error(d->fd, "evidence: %s", err);
	}
	e.nonce = h->nonce;
	e.nonce_len = h->nonce_len;
	e.kem_pk = kem_pk;
	e.kem_pk_len = kem_len;
	e.sig_pk = d->sig_pk;
	e.sig_pk_len = d->sig_pk_len;
	e.note_len = strlen((const char *)e.note);
	if ((h->flags & KP_DEPLOY_STEWARD) &&
	    steward_fields(d, &e, &csr, key_sig, &key_sig_len) != 0) {
		buf_free(&ev, 0);
		buf_free(&csr, 0);
		return 1;
	}
	rc = kp_enc_evidence(&msg, &e);
	if (!rc)
		rc = kp_write(d->fd, KP_EVIDENCE, msg.data, msg.len);
	buf_free(&ev, 0);
	buf_free(&msg, 0);
	buf_free(&csr, 0);
	return rc ? clear_error(d->fd, "cannot send the evidence") : 0;
}

/* SEAL_HEAD, then SEALED_IN records up to the package's end, opened into
 * pkg (the plaintext, wiped by the caller). */
static int receive_package(struct dep *d, struct buf *pkg)
{
	char err[256];
	uint8_t *p = NULL, tag = 0;
	uint32_t type;
	size_t len;
	int rc, final = 0;

	rc = kp_read(d->fd, &type, &p, &len, 4096);
	if (rc)
		return clear_error(d->fd, "waiting for the sealed package: %s",
		                   rc == ENARX_E_NOTFOUND ? "the host closed the channel"
		                                          : enarx_strerror(rc));
	if (type != KP_SEAL_HEAD) {
		xfree(p);
		return clear_error(d->fd, "expected SEAL_HEAD, got %s (%u)", kp_type_name(type),
		                   type);
	}
	rc = seal_recipient_new(d->kem, NULL, SEAL_TO_KEEP, d->binding, p, len, &d->in, err,
	                        sizeof(err));
	xfree(p);
	if (rc)
		return clear_error(d->fd, "package: %s", err);
	while (!final) {
		rc = kp_read(d->fd, &type, &p, &len, SEALED_FRAME_MAX);
		if (rc)
			return clear_error(d->fd,
			                   "package truncated: %s after %llu records, before the "
			                   "last one",
			                   rc == ENARX_E_NOTFOUND ? "the channel closed"
			                                          : enarx_strerror(rc),
			                   (unsigned long long)seal_count(d->in));
		if (type != KP_SEALED_IN) {
			xfree(p);
			return clear_error(d->fd, "package: expected SEALED_IN, got %s (%u)",
			                   kp_type_name(type), type);
		}
		rc = seal_open(d->in, p, len, &tag, pkg, &final, err, sizeof(err));
		xfree(p);
		if (rc)
			return clear_error(d->fd, "package: %s", err);
		if (tag != SEAL_PKG && tag != SEAL_PKG_END)
			return clear_error(d->fd,
			                   "package: record %llu has tag %u, not package "
			                   "bytes",
			                   (unsigned long long)(seal_count(d->in) - 1), tag);
		if (pkg->len > PKG_MAX_SIZE)
			return clear_error(d->fd, "package: more than %u bytes", PKG_MAX_SIZE);
	}
	return 0;
}

/* One sealed record to the client; 0 or -1 (the host stopped reading). */
static int send_sealed(struct dep *d, uint8_t tag, const uint8_t *p, size_t len)
{
	struct buf f = {0};
	int rc = seal_record(d->out, tag, p, len, &f);

	if (!rc)
		rc = kp_write(d->fd, KP_SEALED_OUT, f.data, f.len);
	buf_free(&f, 0);
	return rc ? -1 : 0;
}

static long write_stream(struct dep *d, uint8_t tag, const uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += OUT_CHUNK) {
		size_t n = len - off < OUT_CHUNK ? len - off : OUT_CHUNK;

		if (send_sealed(d, tag, p + off, n))
			return off ? (long)off : -1;
	}
	return (long)len;
}

static long out_write(void *ctx, const uint8_t *p, size_t len)
{
	return write_stream(ctx, SEAL_STDOUT, p, len);
}

static long err_write(void *ctx, const uint8_t *p, size_t len)
{
	return write_stream(ctx, SEAL_STDERR, p, len);
}

/* Waits for the next sealed stdin record; 0, or -1 when the stream is
 * broken (the workload then sees an I/O error, never forged bytes). */
static int next_stdin(struct dep *d)
{
	char err[256];
	uint8_t *p = NULL, tag = 0;
	uint32_t type;
	size_t len;
	int final, rc = kp_read(d->fd, &type, &p, &len, SEALED_FRAME_MAX);

	d->stdin_buf.len = d->stdin_off = 0;
	if (rc || type != KP_SEALED_IN) {
		xfree(p);
		log_error("exec: deploy: stdin: %s",
		          rc ? enarx_strerror(rc) : "not a sealed record");
		return -1;
	}
	rc = seal_open(d->in, p, len, &tag, &d->stdin_buf, &final, err, sizeof(err));
	xfree(p);
	if (rc || (tag != SEAL_STDIN && tag != SEAL_STDIN_EOF)) {
		log_error("exec: deploy: stdin: %s", rc ? err : "not a stdin record");
		return -1;
	}
	d->stdin_eof = tag == SEAL_STDIN_EOF;
	return 0;
}

static long in_read(void *ctx, uint8_t *p, size_t len)
{
	struct dep *d = ctx;
	size_t n;

	while (d->stdin_off == d->stdin_buf.len && !d->stdin_eof) {
		if (next_stdin(d))
			return -1;
	}
	n = d->stdin_buf.len - d->stdin_off;
	n = n < len ? n : len;
	memcpy(p, d->stdin_buf.data + d->stdin_off, n);
	d->stdin_off += n;
	return (long)n;
}

/* EXIT, TRAP and ERROR from exec_run, sealed. */
static void sealed_report(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	uint8_t tag = type == KP_EXIT ? SEAL_EXIT : type == KP_TRAP ? SEAL_TRAP : SEAL_ERROR;

	if (len > SEAL_RECORD_MAX)
		len = SEAL_RECORD_MAX;
	send_sealed(ctx, tag, p, len);
}

/* The output stream and the signed identity record. */
static int start_output(struct dep *d, const struct pkg *pkg)
{
	static const char label[] = SEAL_IDENTITY_LABEL;
	const struct pkg_entry *ok = pkg_find(pkg, PKG_OUTPUT_KEY);
	uint8_t id[PKG_DIGEST_LEN + 64], tbs[sizeof(label) - 1 + KP_BINDING_LEN + PKG_DIGEST_LEN];
	hpke_key *client = NULL;
	struct buf head = {0};
	EVP_MD_CTX *m = NULL;
	size_t sl = 64;
	int rc = -1;

	if (!ok)
		return clear_error(d->fd, "package: no output-key entry (nowhere to seal output)");
	if (hpke_key_from_public(SEAL_KEM, ok->value, ok->value_len, &client))
		return clear_error(d->fd, "package: the output key is not an X25519 key");
	if (seal_sender_new(client, d->kem, SEAL_TO_CLIENT, d->binding, &head, &d->out) ||
	    kp_write(d->fd, KP_OUT_HEAD, head.data, head.len))
		goto out;
	if (pkg_digest(pkg, id))
		goto out;
	memcpy(tbs, label, sizeof(label) - 1);
	memcpy(tbs + sizeof(label) - 1, d->binding, KP_BINDING_LEN);
	memcpy(tbs + sizeof(label) - 1 + KP_BINDING_LEN, id, PKG_DIGEST_LEN);
	m = EVP_MD_CTX_new();
	if (!m || EVP_DigestSignInit(m, NULL, NULL, NULL, d->sig) != 1 ||
	    EVP_DigestSign(m, id + PKG_DIGEST_LEN, &sl, tbs, sizeof(tbs)) != 1 || sl != 64)
		goto out;
	rc = send_sealed(d, SEAL_IDENTITY, id, sizeof(id));
out:
	EVP_MD_CTX_free(m);
	hpke_key_free(client);
	buf_free(&head, 0);
	return rc ? clear_error(d->fd, "cannot start the sealed output") : 0;
}

/* A NUL-terminated copy of an entry's value (values carry no NUL). */
static char *value_str(const struct pkg_entry *e, const char *prefix)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	char *s = xmalloc(pl + e->value_len + 1);

	if (!s)
		return NULL;
	if (pl)
		memcpy(s, prefix, pl);
	if (e->value_len)
		memcpy(s + pl, e->value, e->value_len);
	s[pl + e->value_len] = 0;
	return s;
}

/* The workload from the package: env "NAME=value" of env and secret
 * entries, args in order. Everything is freed (env wiped) by wl_free. */
static int build_workload(const struct pkg *pkg, struct exec_workload *wl)
{
	const struct pkg_entry *cfg = pkg_find(pkg, PKG_CONFIG), *wasm = pkg_find(pkg, PKG_WASM);
	size_t i;

	wl->wasm = (uint8_t *)wasm->value;
	wl->wasm_len = wasm->value_len;
	if (cfg && !(wl->config = value_str(cfg, NULL)))
		return -1;
	wl->config_len = cfg ? cfg->value_len : 0;
	wl->env = xcalloc(pkg->n + 1, sizeof(char *));
	wl->args = xcalloc(pkg->n + 1, sizeof(char *));
	if (!wl->env || !wl->args)
		return -1;
	for (i = 0; i < pkg->n; i++) {
		const struct pkg_entry *e = &pkg->e[i];
		struct buf b = {0};

		if (e->kind == PKG_ARG && !(wl->args[wl->nargs++] = value_str(e, NULL)))
			return -1;
		if (e->kind != PKG_ENV && e->kind != PKG_SECRET)
			continue;
		if (buf_printf(&b, "%s=", e->name) || buf_append_u8(&b, 0))
			return -1;
		wl->env[wl->nenv] = value_str(e, (const char *)b.data);
		buf_free(&b, 0);
		if (!wl->env[wl->nenv++])
			return -1;
	}
	return 0;
}

static void wl_free(struct exec_workload *wl)
{
	for (size_t i = 0; wl->env && i < wl->nenv; i++) {
		if (wl->env[i])
			OPENSSL_cleanse(wl->env[i], strlen(wl->env[i]));
		xfree(wl->env[i]);
	}
	xfree(wl->env);
	kp_free_strv(wl->args, wl->nargs);
	if (wl->config)
		OPENSSL_cleanse(wl->config, wl->config_len);
	xfree(wl->config);
	memset(wl, 0, sizeof(*wl));
}

static void dep_clear(struct dep *d)
{
	seal_stream_free(d->in);
	seal_stream_free(d->out);
	hpke_key_free(d->kem); /* OpenSSL clears private keys on free */
	EVP_PKEY_free(d->sig);
	buf_free(&d->stdin_buf, 1);
}

/* Opens and runs the package; the outcome goes out sealed. */
static int run_package(struct dep *d, const struct kp_deploy_hello *h, struct buf *plain)
{
	struct exec_workload wl;
	struct pkg pkg;
	char err[256];
	int rc;

	memset(&wl, 0, sizeof(wl));
	rc = pkg_decode(plain->data, plain->len, &pkg, err, sizeof(err));
	if (rc)
		return clear_error(d->fd, "package: %s", err);
	rc = start_output(d, &pkg);
	if (rc)
		goto out;
	d->s_in = (struct wasi_stream){.read = in_read, .ctx = d};
	d->s_out = (struct wasi_stream){.write = out_write, .ctx = d};
	d->s_err = (struct wasi_stream){.write = err_write, .ctx = d};
	d->io = (struct exec_io){&d->s_in, &d->s_out, &d->s_err, sealed_report, d};
	if (build_workload(&pkg, &wl)) {
		struct buf b = {0};

		if (kp_enc_string(&b, "out of memory") == 0)
			sealed_report(d, KP_ERROR, b.data, b.len);
		buf_free(&b, 0);
		goto out;
	}
	wl.log_level = h->log_level < LOG_WARN ? h->log_level : LOG_WARN;
	wl.engine = h->engine;
	wl.io = &d->io;
	exec_run(d->fd, &wl); /* its status stays in the Keep: the host learns nothing */
out:
	wl_free(&wl);
	pkg_clear(&pkg);
	return rc;
}

int exec_deploy(int fd, uint8_t *hello, size_t hello_len)
{
	struct kp_deploy_hello h;
	struct buf plain = {0};
	struct dep d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.fd = fd;
	rc = kp_dec_deploy_hello(hello, hello_len, &h);
	if (rc) {
		xfree(hello);
		return clear_error(fd, "bad DEPLOY_HELLO: %s", enarx_strerror(rc));
	}
	if (h.version != KP_VERSION) {
		xfree(hello);
		return clear_error(fd, "protocol version %u, executor speaks %u", h.version,
		                   KP_VERSION);
	}
	/* the executor's log goes to the host: never more than warnings */
	log_set_level(h.log_level < LOG_WARN ? (enum log_level)h.log_level : LOG_WARN);
	/* no configuration file: the Keep has no business reading the host's */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	rc = introduce(&d, &h);
	if (!rc)
		rc = receive_package(&d, &plain);
	if (!rc)
		rc = run_package(&d, &h, &plain);
	buf_free(&plain, 1);
	dep_clear(&d);
	xfree(hello);
	return rc ? 1 : 0;
}
