/* SPDX-License-Identifier: Apache-2.0 */
/* Keep protocol framing, encoders and decoders (see proto.h); linked into
 * both the executor and the host. */
#include "keep/proto.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/err.h"

#define KP_MAX_STRING (1u << 20)
#define KP_MAX_FRAMES 4096

const char *kp_type_name(uint32_t type)
{
	switch (type) {
	case KP_HELLO: return "HELLO";
	case KP_WASM: return "WASM";
	case KP_CONFIG: return "CONFIG";
	case KP_ARGS: return "ARGS";
	case KP_RUN: return "RUN";
	case KP_LIMITS: return "LIMITS";
	case KP_CONFDIR: return "CONFDIR";
	case KP_TEE: return "TEE";
	case KP_FILE: return "FILE";
	case KP_TLS_CERT: return "TLS_CERT";
	case KP_HTTP_REQ: return "HTTP_REQ";
	case KP_HTTP_RESP: return "HTTP_RESP";
	case KP_EXIT: return "EXIT";
	case KP_TRAP: return "TRAP";
	case KP_ERROR: return "ERROR";
	case KP_DEPLOY_HELLO: return "DEPLOY_HELLO";
	case KP_SEAL_HEAD: return "SEAL_HEAD";
	case KP_SEALED_IN: return "SEALED_IN";
	case KP_EVIDENCE: return "EVIDENCE";
	case KP_OUT_HEAD: return "OUT_HEAD";
	case KP_SEALED_OUT: return "SEALED_OUT";
	case KP_MEASURE: return "MEASURE";
	case KP_LIMIT_HIT: return "LIMIT_HIT";
	}
	return "?";
}

/* Reads exactly n bytes; returns bytes read before EOF, or -1 on error. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int kp_read(int fd, uint32_t *type, uint8_t **payload, size_t *len, size_t max)
{
	uint8_t hdr[8], *p = NULL;
	struct cursor c;
	uint32_t t, l;
	ssize_t r;

	*payload = NULL;
	*len = 0;
	r = read_full(fd, hdr, sizeof(hdr));
	if (r < 0)
		return ENARX_E_IO;
	if (r == 0)
		return ENARX_E_NOTFOUND;
	if (r < (ssize_t)sizeof(hdr))
		return ENARX_E_TRUNCATED;
	cursor_init(&c, hdr, sizeof(hdr));
	cursor_u32le(&c, &t);
	cursor_u32le(&c, &l);
	if (l > max || l > KP_MAX_PAYLOAD)
		return ENARX_E_OVERFLOW;
	if (l) {
		p = xmalloc(l);
		if (!p)
			return ENARX_E_NOMEM;
		r = read_full(fd, p, l);
		if (r != (ssize_t)l) {
			xfree(p);
			return r < 0 ? ENARX_E_IO : ENARX_E_TRUNCATED;
		}
	}
	*type = t;
	*payload = p;
	*len = l;
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ENARX_E_IO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void kp_frame_header(uint8_t hdr[KP_HEADER_SIZE], uint32_t type, size_t len)
{
	for (int i = 0; i < 4; i++) {
		hdr[i] = (uint8_t)(type >> (8 * i));
		hdr[4 + i] = (uint8_t)((uint32_t)len >> (8 * i));
	}
}

int kp_frame_split(const uint8_t *p, size_t len, size_t max, uint32_t *type,
                   const uint8_t **payload, size_t *plen, size_t *used)
{
	struct cursor c;
	uint32_t t, l;

	cursor_init(&c, p, len);
	if (cursor_u32le(&c, &t) || cursor_u32le(&c, &l))
		return ENARX_E_TRUNCATED;
	if (l > max || l > KP_MAX_PAYLOAD)
		return ENARX_E_OVERFLOW;
	if (cursor_bytes(&c, l, payload))
		return ENARX_E_TRUNCATED;
	*type = t;
	*plen = l;
	*used = KP_HEADER_SIZE + (size_t)l;
	return 0;
}

int kp_write(int fd, uint32_t type, const void *payload, size_t len)
{
	uint8_t hdr[KP_HEADER_SIZE];

	if (len > KP_MAX_PAYLOAD)
		return ENARX_E_OVERFLOW;
	kp_frame_header(hdr, type, len);
	if (write_full(fd, hdr, sizeof(hdr)))
		return ENARX_E_IO;
	return len ? write_full(fd, payload, len) : 0;
}

int kp_enc_hello(struct buf *b, uint32_t log_level, uint32_t engine)
{
	int rc = buf_append_u32le(b, KP_VERSION);

	if (!rc)
		rc = buf_append_u32le(b, log_level);
	return rc ? rc : buf_append_u32le(b, engine);
}

int kp_enc_string(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	int rc;

	if (n > KP_MAX_STRING)
		n = KP_MAX_STRING;
	rc = buf_append_u32le(b, (uint32_t)n);
	return rc ? rc : buf_append(b, s, n);
}

int kp_enc_args(struct buf *b, const char *const *args, size_t n)
{
	int rc;

	if (n > KP_MAX_ARGS)
		return ENARX_E_OVERFLOW;
	rc = buf_append_u32le(b, (uint32_t)n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = kp_enc_string(b, args[i]);
	return rc;
}

/* Appends a string of at most max bytes: a longer one is cut on a byte
 * boundary and ends in "..." (names are for people; bytes are enough).
 * *cut is set when it was cut. */
static int enc_string_max(struct buf *b, const char *s, size_t max, int *cut)
{
	size_t n = strlen(s);
	int rc;

	if (n <= max)
		return kp_enc_string(b, s);
	*cut = 1;
	rc = buf_append_u32le(b, (uint32_t)max);
	if (!rc)
		rc = buf_append(b, s, max - 3);
	return rc ? rc : buf_append(b, "...", 3);
}

/* Bytes a frame takes in a TRAP payload with its name cut to KP_NAME_MAX. */
static size_t frame_size(const struct kp_frame *f)
{
	size_t n = f->name ? strlen(f->name) : 0;

	return 12 + (n > KP_NAME_MAX ? KP_NAME_MAX : n);
}

/* Room kept for the message and its note in a TRAP payload. */
#define TRAP_MSG_ROOM (KP_NAME_MAX + 256)

int kp_enc_trap(struct buf *b, const struct kp_trap *t)
{
	uint32_t n = t->nframes < KP_MAX_FRAMES ? t->nframes : KP_MAX_FRAMES, fit = 0;
	size_t used = 4 + TRAP_MSG_ROOM;
	struct buf msg = {0};
	int rc = 0, cut = 0;

	/* the frames that fit, innermost first, beside the message */
	while (fit < n && used + frame_size(&t->frames[fit]) <= KP_TRAP_MAX)
		used += frame_size(&t->frames[fit++]);
	rc = buf_printf(&msg, "%s", t->message ? t->message : "");
	if (!rc && msg.len > KP_NAME_MAX) {
		msg.len = KP_NAME_MAX - 3;
		rc = buf_append(&msg, "...", 3);
	}
	for (uint32_t i = 0; i < fit; i++)
		cut |= t->frames[i].name && strlen(t->frames[i].name) > KP_NAME_MAX;
	if (!rc && (cut || fit < t->nframes))
		rc = buf_printf(&msg, " (trap report cut to fit %u bytes:", KP_TRAP_MAX);
	if (!rc && cut)
		rc = buf_printf(&msg, " names shortened to %u bytes%s", KP_NAME_MAX,
		                fit < t->nframes ? ";" : "");
	if (!rc && fit < t->nframes)
		rc = buf_printf(&msg, " %u of %u frames shown", fit, t->nframes);
	if (!rc && (cut || fit < t->nframes))
		rc = buf_append(&msg, ")", 1);
	if (!rc)
		rc = buf_append_u8(&msg, 0);
	if (!rc)
		rc = kp_enc_string(b, (const char *)msg.data);
	buf_free(&msg, 0);
	if (!rc)
		rc = buf_append_u32le(b, fit);
	for (uint32_t i = 0; !rc && i < fit; i++) {
		rc = buf_append_u32le(b, t->frames[i].func_index);
		if (!rc)
			rc = buf_append_u32le(b, t->frames[i].code_offset);
		if (!rc)
			rc = enc_string_max(b, t->frames[i].name ? t->frames[i].name : "",
			                    KP_NAME_MAX, &cut);
	}
	return rc;
}

int kp_enc_file(struct buf *b, const char *name, const void *data, size_t len)
{
	int rc;

	if (len > KP_MAX_FILE || strlen(name) > KP_MAX_STRING)
		return ENARX_E_OVERFLOW;
	rc = kp_enc_string(b, name);
	return rc ? rc : buf_append(b, data, len);
}

int kp_enc_limits(struct buf *b, const struct keep_limits *l)
{
	int rc = buf_append_u64le(b, l->memory);

	if (!rc)
		rc = buf_append_u64le(b, l->fuel);
	if (!rc)
		rc = buf_append_u64le(b, l->wall_ms);
	if (!rc)
		rc = buf_append_u32le(b, l->fds);
	if (!rc)
		rc = buf_append_u64le(b, l->output);
	return rc ? rc : buf_append_u64le(b, l->cpu_ms);
}

static int read_string(struct cursor *c, char **s)
{
	const uint8_t *p;
	uint32_t n;
	int rc = cursor_u32le(c, &n);

	if (rc)
		return rc;
	if (n > KP_MAX_STRING)
		return ENARX_E_OVERFLOW;
	rc = cursor_bytes(c, n, &p);
	if (rc)
		return rc;
	if (memchr(p, 0, n))
		return ENARX_E_MALFORMED;
	*s = xmalloc((size_t)n + 1);
	if (!*s)
		return ENARX_E_NOMEM;
	memcpy(*s, p, n);
	(*s)[n] = 0;
	return 0;
}

int kp_dec_hello(const uint8_t *p, size_t len, uint32_t *version, uint32_t *log_level,
                 uint32_t *engine)
{
	struct cursor c;
	int rc;

	cursor_init(&c, p, len);
	*engine = KP_ENGINE_INTERP;
	rc = cursor_u32le(&c, version);
	if (!rc)
		rc = cursor_u32le(&c, log_level);
	if (!rc && !cursor_eof(&c))
		rc = cursor_u32le(&c, engine);
	if (!rc && *engine > KP_ENGINE_JIT)
		rc = ENARX_E_MALFORMED;
	return rc ? rc : cursor_expect_end(&c);
}

int kp_dec_u32(const uint8_t *p, size_t len, uint32_t *v)
{
	struct cursor c;
	int rc;

	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, v);
	return rc ? rc : cursor_expect_end(&c);
}

int kp_dec_string(const uint8_t *p, size_t len, char **s)
{
	struct cursor c;
	int rc;

	*s = NULL;
	cursor_init(&c, p, len);
	rc = read_string(&c, s);
	if (!rc)
		rc = cursor_expect_end(&c);
	if (rc) {
		xfree(*s);
		*s = NULL;
	}
	return rc;
}

int kp_dec_tee(const uint8_t *p, size_t len, uint32_t *kind, char **note)
{
	struct cursor c;
	int rc;

	*note = NULL;
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, kind);
	if (!rc)
		rc = read_string(&c, note);
	if (!rc)
		rc = cursor_expect_end(&c);
	if (rc) {
		xfree(*note);
		*note = NULL;
	}
	return rc;
}

void kp_free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		xfree(v[i]);
	xfree(v);
}

int kp_dec_args(const uint8_t *p, size_t len, char ***args, size_t *n)
{
	struct cursor c;
	uint32_t count, i;
	char **v = NULL;
	int rc;

	*args = NULL;
	*n = 0;
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, &count);
	if (rc)
		return rc;
	/* Each string needs at least its 4-byte length: bound count first. */
	if (count > KP_MAX_ARGS || count > cursor_left(&c) / 4)
		return ENARX_E_MALFORMED;
	v = xcalloc((size_t)count + 1, sizeof(char *));
	if (!v)
		return ENARX_E_NOMEM;
	for (i = 0; i < count && !rc; i++)
		rc = read_string(&c, &v[i]);
	if (!rc)
		rc = cursor_expect_end(&c);
	if (rc) {
		kp_free_strv(v, count);
		return rc;
	}
	*args = v;
	*n = count;
	return 0;
}

void kp_trap_clear(struct kp_trap *t)
{
	xfree(t->message);
	for (uint32_t i = 0; i < t->nframes; i++)
		xfree(t->frames[i].name);
	xfree(t->frames);
	memset(t, 0, sizeof(*t));
}

int kp_dec_trap(const uint8_t *p, size_t len, struct kp_trap *t)
{
	struct cursor c;
	uint32_t n, i;
	int rc;

	memset(t, 0, sizeof(*t));
	cursor_init(&c, p, len);
	rc = read_string(&c, &t->message);
	if (!rc)
		rc = cursor_u32le(&c, &n);
	if (rc)
		goto fail;
	/* a frame is at least 12 bytes */
	if (n > KP_MAX_FRAMES || n > cursor_left(&c) / 12) {
		rc = ENARX_E_MALFORMED;
		goto fail;
	}
	t->frames = xcalloc(n ? n : 1, sizeof(*t->frames));
	if (!t->frames) {
		rc = ENARX_E_NOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		t->nframes = i + 1;
		rc = cursor_u32le(&c, &t->frames[i].func_index);
		if (!rc)
			rc = cursor_u32le(&c, &t->frames[i].code_offset);
		if (!rc)
			rc = read_string(&c, &t->frames[i].name);
		if (rc)
			goto fail;
	}
	rc = cursor_expect_end(&c);
	if (!rc)
		return 0;
fail:
	kp_trap_clear(t);
	return rc;
}

/* ---- deploy messages ---------------------------------------------------- */

static int enc_bytes(struct buf *b, const uint8_t *p, size_t n)
{
	int rc;

	if (n > UINT32_MAX)
		return ENARX_E_OVERFLOW;
	rc = buf_append_u32le(b, (uint32_t)n);
	return rc || !n ? rc : buf_append(b, p, n);
}

/* A u32-length-prefixed byte field of min..max bytes, borrowed. */
static int read_bytes(struct cursor *c, size_t min, size_t max, const uint8_t **p, size_t *n)
{
	uint32_t l;
	int rc = cursor_u32le(c, &l);

	if (rc)
		return rc;
	if (l < min || l > max)
		return ENARX_E_MALFORMED;
	*n = l;
	return cursor_bytes(c, l, p);
}

int kp_enc_deploy_hello(struct buf *b, const struct kp_deploy_hello *h)
{
	int rc = buf_append_u32le(b, h->version);

	if (!rc)
		rc = buf_append_u32le(b, h->log_level);
	if (!rc)
		rc = buf_append_u32le(b, h->engine);
	if (!rc)
		rc = enc_bytes(b, h->nonce, h->nonce_len);
	return rc || !h->flags ? rc : buf_append_u32le(b, h->flags);
}

int kp_dec_deploy_hello(const uint8_t *p, size_t len, struct kp_deploy_hello *h)
{
	struct cursor c;
	int rc;

	memset(h, 0, sizeof(*h));
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, &h->version);
	if (!rc)
		rc = cursor_u32le(&c, &h->log_level);
	if (!rc)
		rc = cursor_u32le(&c, &h->engine);
	if (!rc && h->engine > KP_ENGINE_JIT)
		rc = ENARX_E_MALFORMED;
	if (!rc)
		rc = read_bytes(&c, KP_NONCE_MIN, KP_NONCE_MAX, &h->nonce, &h->nonce_len);
	if (!rc && !cursor_eof(&c))
		rc = cursor_u32le(&c, &h->flags);
	if (!rc && (h->flags & ~KP_DEPLOY_STEWARD))
		rc = ENARX_E_MALFORMED;
	return rc ? rc : cursor_expect_end(&c);
}

int kp_enc_evidence(struct buf *b, const struct kp_evidence *e)
{
	int rc = buf_append_u32le(b, e->kind);

	if (!rc)
		rc = enc_bytes(b, e->nonce, e->nonce_len);
	if (!rc)
		rc = enc_bytes(b, e->evidence, e->evidence_len);
	if (!rc)
		rc = enc_bytes(b, e->kem_pk, e->kem_pk_len);
	if (!rc)
		rc = enc_bytes(b, e->sig_pk, e->sig_pk_len);
	if (!rc)
		rc = enc_bytes(b, e->note, e->note_len);
	if (!rc && e->csr_len)
		rc = enc_bytes(b, e->csr, e->csr_len);
	if (!rc && e->csr_len)
		rc = enc_bytes(b, e->key_sig, e->key_sig_len);
	return rc;
}

int kp_dec_evidence(const uint8_t *p, size_t len, struct kp_evidence *e)
{
	struct cursor c;
	int rc;

	memset(e, 0, sizeof(*e));
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, &e->kind);
	if (!rc && e->kind > KP_TEE_OTHER)
		rc = ENARX_E_MALFORMED;
	if (!rc)
		rc = read_bytes(&c, KP_NONCE_MIN, KP_NONCE_MAX, &e->nonce, &e->nonce_len);
	if (!rc)
		rc = read_bytes(&c, 0, KP_EVIDENCE_MAX, &e->evidence, &e->evidence_len);
	if (!rc)
		rc = read_bytes(&c, 1, KP_KEY_MAX, &e->kem_pk, &e->kem_pk_len);
	if (!rc)
		rc = read_bytes(&c, 1, KP_KEY_MAX, &e->sig_pk, &e->sig_pk_len);
	if (!rc)
		rc = read_bytes(&c, 0, KP_NOTE_MAX, &e->note, &e->note_len);
	if (!rc && !cursor_eof(&c)) {
		rc = read_bytes(&c, 1, KP_CSR_MAX, &e->csr, &e->csr_len);
		if (!rc)
			rc = read_bytes(&c, 1, KP_KEY_SIG_MAX, &e->key_sig, &e->key_sig_len);
	}
	if (!rc && e->kind == KP_TEE_NONE && e->evidence_len)
		rc = ENARX_E_MALFORMED; /* "no TEE" carries no evidence */
	return rc ? rc : cursor_expect_end(&c);
}

int kp_enc_measure(struct buf *b, uint32_t kind, const uint8_t *ev, size_t len)
{
	int rc = buf_append_u32le(b, kind);

	return rc ? rc : enc_bytes(b, ev, len);
}

int kp_dec_measure(const uint8_t *p, size_t len, uint32_t *kind, const uint8_t **ev, size_t *evlen)
{
	struct cursor c;
	int rc;

	*ev = NULL;
	*evlen = 0;
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, kind);
	if (!rc && (*kind == KP_TEE_NONE || *kind > KP_TEE_OTHER))
		rc = ENARX_E_MALFORMED;
	if (!rc)
		rc = read_bytes(&c, 1, KP_EVIDENCE_MAX, ev, evlen);
	return rc ? rc : cursor_expect_end(&c);
}

int kp_enc_seal_head(struct buf *b, const struct kp_seal_head *h)
{
	int rc = buf_append(b,
	                    (uint8_t[]){(uint8_t)h->kem, (uint8_t)(h->kem >> 8), (uint8_t)h->kdf,
	                                (uint8_t)(h->kdf >> 8), (uint8_t)h->aead,
	                                (uint8_t)(h->aead >> 8)},
	                    6);

	if (!rc)
		rc = enc_bytes(b, h->binding, h->binding_len);
	return rc ? rc : enc_bytes(b, h->enc, h->enc_len);
}

int kp_dec_seal_head(const uint8_t *p, size_t len, struct kp_seal_head *h)
{
	struct cursor c;
	int rc;

	memset(h, 0, sizeof(*h));
	cursor_init(&c, p, len);
	rc = cursor_u16le(&c, &h->kem);
	if (!rc)
		rc = cursor_u16le(&c, &h->kdf);
	if (!rc)
		rc = cursor_u16le(&c, &h->aead);
	if (!rc)
		rc = read_bytes(&c, KP_BINDING_LEN, KP_BINDING_LEN, &h->binding, &h->binding_len);
	if (!rc)
		rc = read_bytes(&c, 1, KP_KEY_MAX, &h->enc, &h->enc_len);
	return rc ? rc : cursor_expect_end(&c);
}

int kp_enc_sealed(struct buf *b, uint64_t index, const uint8_t *ct, size_t ct_len)
{
	int rc = buf_append_u64le(b, index);

	return rc ? rc : buf_append(b, ct, ct_len);
}

int kp_dec_sealed(const uint8_t *p, size_t len, uint64_t *index, const uint8_t **ct, size_t *ct_len)
{
	struct cursor c;
	int rc;

	cursor_init(&c, p, len);
	rc = cursor_u64le(&c, index);
	if (rc)
		return rc;
	if (cursor_left(&c) < 16) /* every AEAD's tag */
		return ENARX_E_TRUNCATED;
	*ct_len = cursor_left(&c);
	return cursor_bytes(&c, *ct_len, ct);
}

int kp_dec_limits(const uint8_t *p, size_t len, struct keep_limits *l)
{
	struct cursor c;
	int rc;

	memset(l, 0, sizeof(*l));
	cursor_init(&c, p, len);
	rc = cursor_u64le(&c, &l->memory);
	if (!rc)
		rc = cursor_u64le(&c, &l->fuel);
	if (!rc)
		rc = cursor_u64le(&c, &l->wall_ms);
	if (!rc)
		rc = cursor_u32le(&c, &l->fds);
	if (!rc)
		rc = cursor_u64le(&c, &l->output);
	if (!rc)
		rc = cursor_u64le(&c, &l->cpu_ms);
	if (!rc)
		rc = cursor_expect_end(&c);
	if (!rc && ((l->memory &&
	             (l->memory < KEEP_LIMIT_MEMORY_MIN || l->memory > KEEP_LIMIT_MEMORY_MAX)) ||
	            l->wall_ms > KEEP_LIMIT_WALL_MS_MAX || l->cpu_ms > KEEP_LIMIT_CPU_MS_MAX ||
	            (l->fds && (l->fds < KEEP_LIMIT_FDS_MIN || l->fds > KEEP_LIMIT_FDS_MAX)) ||
	            l->output > KEEP_LIMIT_OUTPUT_MAX))
		rc = ENARX_E_MALFORMED;
	if (rc)
		memset(l, 0, sizeof(*l));
	return rc;
}

int kp_dec_file(const uint8_t *p, size_t len, char **name, const uint8_t **data, size_t *dlen)
{
	struct cursor c;
	int rc;

	*name = NULL;
	cursor_init(&c, p, len);
	rc = read_string(&c, name);
	if (!rc && (*name)[0] == 0)
		rc = ENARX_E_MALFORMED;
	if (!rc && (size_t)(c.end - c.p) > KP_MAX_FILE)
		rc = ENARX_E_OVERFLOW;
	if (rc) {
		xfree(*name);
		*name = NULL;
		return rc;
	}
	*data = c.p;
	*dlen = (size_t)(c.end - c.p);
	return 0;
}

/* ---- HTTP relay ---------------------------------------------------------- */

static int enc_string_bounded(struct buf *b, const char *s, size_t max)
{
	if (!s || strlen(s) > max)
		return ENARX_E_OVERFLOW;
	return kp_enc_string(b, s);
}

/* A string of at most max bytes. */
static int read_string_max(struct cursor *c, size_t max, char **s)
{
	int rc = read_string(c, s);

	if (!rc && strlen(*s) > max) {
		xfree(*s);
		*s = NULL;
		rc = ENARX_E_OVERFLOW;
	}
	return rc;
}

static int http_method_ok(const char *m)
{
	if (!m[0])
		return 0;
	for (; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return 0;
	return 1;
}

static int http_url_ok(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

int kp_enc_http_req(struct buf *b, const struct kp_http_req *r)
{
	int rc;

	if (r->body_len > KP_HTTP_BODY_MAX || !r->method || !r->url || !http_method_ok(r->method) ||
	    !http_url_ok(r->url))
		return ENARX_E_OVERFLOW;
	rc = buf_append_u32le(b, r->id);
	if (!rc)
		rc = enc_string_bounded(b, r->method, KP_HTTP_FIELD_MAX);
	if (!rc)
		rc = enc_string_bounded(b, r->url, KP_HTTP_URL_MAX);
	if (!rc)
		rc = enc_string_bounded(b, r->ctype ? r->ctype : "", KP_HTTP_FIELD_MAX);
	if (!rc)
		rc = enc_string_bounded(b, r->accept ? r->accept : "", KP_HTTP_FIELD_MAX);
	return rc ? rc : enc_bytes(b, r->body, r->body_len);
}

int kp_dec_http_req(const uint8_t *p, size_t len, struct kp_http_req *r)
{
	struct cursor c;
	int rc;

	memset(r, 0, sizeof(*r));
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, &r->id);
	if (!rc)
		rc = read_string_max(&c, KP_HTTP_FIELD_MAX, &r->method);
	if (!rc && !http_method_ok(r->method))
		rc = ENARX_E_MALFORMED;
	if (!rc)
		rc = read_string_max(&c, KP_HTTP_URL_MAX, &r->url);
	if (!rc && !http_url_ok(r->url))
		rc = ENARX_E_MALFORMED;
	if (!rc)
		rc = read_string_max(&c, KP_HTTP_FIELD_MAX, &r->ctype);
	if (!rc)
		rc = read_string_max(&c, KP_HTTP_FIELD_MAX, &r->accept);
	if (!rc)
		rc = read_bytes(&c, 0, KP_HTTP_BODY_MAX, &r->body, &r->body_len);
	if (!rc)
		rc = cursor_expect_end(&c);
	if (rc)
		kp_http_req_clear(r);
	return rc;
}

void kp_http_req_clear(struct kp_http_req *r)
{
	xfree(r->method);
	xfree(r->url);
	xfree(r->ctype);
	xfree(r->accept);
	memset(r, 0, sizeof(*r));
}

int kp_enc_http_resp(struct buf *b, const struct kp_http_resp *r)
{
	int rc;

	if (r->body_len > KP_HTTP_BODY_MAX || r->status > 999)
		return ENARX_E_OVERFLOW;
	rc = buf_append_u32le(b, r->id);
	if (!rc)
		rc = buf_append_u32le(b, r->status);
	if (!rc)
		rc = enc_string_bounded(b, r->ctype ? r->ctype : "", KP_HTTP_FIELD_MAX);
	return rc ? rc : enc_bytes(b, r->body, r->body_len);
}

int kp_dec_http_resp(const uint8_t *p, size_t len, struct kp_http_resp *r)
{
	struct cursor c;
	int rc;

	memset(r, 0, sizeof(*r));
	cursor_init(&c, p, len);
	rc = cursor_u32le(&c, &r->id);
	if (!rc)
		rc = cursor_u32le(&c, &r->status);
	if (!rc && r->status > 999)
		rc = ENARX_E_MALFORMED;
	if (!rc)
		rc = read_string_max(&c, KP_HTTP_FIELD_MAX, &r->ctype);
	if (!rc)
		rc = read_bytes(&c, 0, KP_HTTP_BODY_MAX, &r->body, &r->body_len);
	if (!rc)
		rc = cursor_expect_end(&c);
	if (rc)
		kp_http_resp_clear(r);
	return rc;
}

void kp_http_resp_clear(struct kp_http_resp *r)
{
	xfree(r->ctype);
	memset(r, 0, sizeof(*r));
}
