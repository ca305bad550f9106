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
	case KP_TEE: return "TEE";
	case KP_FILE: return "FILE";
	case KP_TLS_CERT: return "TLS_CERT";
	case KP_EXIT: return "EXIT";
	case KP_TRAP: return "TRAP";
	case KP_ERROR: return "ERROR";
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

int kp_enc_trap(struct buf *b, const struct kp_trap *t)
{
	uint32_t n = t->nframes < KP_MAX_FRAMES ? t->nframes : KP_MAX_FRAMES;
	int rc = kp_enc_string(b, t->message ? t->message : "");

	if (!rc)
		rc = buf_append_u32le(b, n);
	for (uint32_t i = 0; !rc && i < n; i++) {
		rc = buf_append_u32le(b, t->frames[i].func_index);
		if (!rc)
			rc = buf_append_u32le(b, t->frames[i].code_offset);
		if (!rc)
			rc = kp_enc_string(b, t->frames[i].name ? t->frames[i].name : "");
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
