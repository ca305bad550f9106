/* SPDX-License-Identifier: Apache-2.0 */
/* The signing process: the only place the CA key lives while Steward
 * serves. It never sees network input: the front sends it fixed-layout
 * requests (the curve, the raw public point, the validity and the claim
 * values it already encoded), over a privsep channel (http/chan.h) whose
 * table bounds every message. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef ENARX_HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "http/chan.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/sanitize.h"
#include "steward/steward.h"

enum {
	SGN_CA_REQ = 1,
	SGN_CA = 2,
	SGN_ISSUE = 3,
	SGN_CERT = 4,
	SGN_ERR = 5,
};

#define SIG__POINT_MAX 97u /* uncompressed P-384 */
#define SIG__MAX_EXTS 16u

/* SGN_ISSUE: this header, then nexts entries of (u32 id, u32 len, bytes). */
struct sig_issue {
	uint32_t kind, nid, point_len, nexts;
	int64_t nb, na;
	uint8_t point[SIG__POINT_MAX];
	uint8_t pad[7];
};

static const struct chan_type sig_types[] = {
    {SGN_CA_REQ, "ca-request", 0, 0, false},
    {SGN_CA, "ca-certificate", 1, 65536, false},
    {SGN_ISSUE, "issue", sizeof(struct sig_issue), CHAN_MAX_PAYLOAD, false},
    {SGN_CERT, "certificate", 1, 65536, false},
    {SGN_ERR, "error", 1, 512, false},
};

struct steward_signer {
	struct chan *c;
	pid_t pid;
	uint32_t id;
	uint8_t *ca;
	size_t calen;
};

struct sig__child {
	const char *dir;
};

static int sig__err(struct chan *c, uint32_t id, const char *msg)
{
	size_t n = strlen(msg);
	return chan_send(c, SGN_ERR, id, msg, n == 0 ? 1 : (n > 512 ? 512 : n), -1);
}

/* Decodes one SGN_ISSUE (lengths were bounded by the channel table) and
 * issues the certificate. */
static int sig__issue(struct chan *c, X509 *ca, EVP_PKEY *key, const struct chan_msg *m)
{
	struct sig_issue h;
	struct steward_ext exts[SIG__MAX_EXTS];
	size_t off = sizeof(h);
	uint8_t *der = NULL;
	size_t len = 0;
	char err[256];
	int rc;

	memcpy(&h, m->data, sizeof(h));
	if (h.point_len > SIG__POINT_MAX || h.nexts > SIG__MAX_EXTS ||
	    (h.nid != NID_X9_62_prime256v1 && h.nid != NID_secp384r1) || h.kind > 1 || h.na <= h.nb)
		return sig__err(c, m->id, "signer: request header out of range");
	for (uint32_t i = 0; i < h.nexts; i++) {
		uint32_t v[2];
		if (m->len - off < 8)
			return sig__err(c, m->id, "signer: extension list truncated");
		memcpy(v, m->data + off, 8);
		off += 8;
		if (v[1] > STEWARD_CLAIM_MAX || m->len - off < v[1])
			return sig__err(c, m->id, "signer: extension value truncated");
		exts[i] = (struct steward_ext){v[0], m->data + off, v[1]};
		off += v[1];
	}
	if (off != m->len)
		return sig__err(c, m->id, "signer: trailing bytes after the extensions");
	rc = steward_ca_issue(ca, key, (enum steward_kind)h.kind, (int)h.nid, h.point, h.point_len,
	                      (time_t)h.nb, (time_t)h.na, exts, h.nexts, &der, &len, err,
	                      sizeof(err));
	if (rc != 0)
		return sig__err(c, m->id, err);
	rc = chan_send(c, SGN_CERT, m->id, der, len, -1);
	OPENSSL_free(der);
	return rc;
}

/* Once the CA is loaded the signer needs only its channel, memory, the
 * clock and randomness; anything else (opening files, sockets, exec) kills
 * it. Without libseccomp at build time this is skipped (logged). */
static int sig__sandbox(void)
{
#ifdef ENARX_HAVE_SECCOMP
	static const int allow[] = {
	    SCMP_SYS(read),           SCMP_SYS(write),
	    SCMP_SYS(sendmsg),        SCMP_SYS(recvmsg),
	    SCMP_SYS(sendto),         SCMP_SYS(recvfrom),
	    SCMP_SYS(close),          SCMP_SYS(exit),
	    SCMP_SYS(exit_group),     SCMP_SYS(brk),
	    SCMP_SYS(mmap),           SCMP_SYS(munmap),
	    SCMP_SYS(mremap),         SCMP_SYS(madvise),
	    SCMP_SYS(getrandom),      SCMP_SYS(futex),
	    SCMP_SYS(rt_sigreturn),   SCMP_SYS(clock_gettime),
	    SCMP_SYS(gettimeofday),   SCMP_SYS(getpid),
	    SCMP_SYS(fstat),          SCMP_SYS(newfstatat),
	    SCMP_SYS(rt_sigprocmask), SCMP_SYS(uname), /* gethostname: the server SAN */
#ifdef ENARX_ASAN
	    ENARX_LSAN_SYSCALLS, /* sanitizer builds: the exit-time leak check */
#endif
	};
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = f ? 0 : -1;

	for (size_t i = 0; rc == 0 && i < sizeof(allow) / sizeof(allow[0]); i++) {
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allow[i], 0);
		if (rc == -EEXIST)
			rc = 0; /* listed twice (the sanitizer additions) */
	}
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc == 0 ? 0 : ENARX_E_INTERNAL;
#else
	log_warn("steward: signer runs without a seccomp filter (built without libseccomp)");
	return 0;
#endif
}

static int sig__main(struct chan *c, void *arg)
{
	struct sig__child *a = arg;
	X509 *ca = NULL;
	EVP_PKEY *key = NULL;
	bool created;
	char err[512];
	unsigned char *cader = NULL;
	int n, rc;
	struct chan_msg m;

	rc = steward_ca_load(a->dir, true, &ca, &key, &created, err, sizeof(err));
	/* Everything the signer will ever need is loaded: OpenSSL's lazy
	 * initialisation (config, error strings) happened in the CA code. */
	if (rc == 0 && sig__sandbox() != 0) {
		snprintf(err, sizeof(err), "signer: cannot install its seccomp filter");
		rc = ENARX_E_INTERNAL;
	}
	while (chan_recv(c, &m) == 0) {
		if (rc != 0) {
			sig__err(c, m.id, err);
			break;
		}
		if (m.type == SGN_CA_REQ) {
			if (cader == NULL && (n = i2d_X509(ca, &cader)) <= 0)
				break;
			chan_send(c, SGN_CA, m.id, cader, (size_t)i2d_X509(ca, NULL), -1);
		} else if (m.type == SGN_ISSUE) {
			if (sig__issue(c, ca, key, &m) != 0)
				break;
		} else {
			break; /* the front never sends anything else */
		}
	}
	OPENSSL_free(cader);
	EVP_PKEY_free(key);
	X509_free(ca);
	return 0;
}

/* One request, one answer (the front is one thread and waits). */
static int sig__call(struct steward_signer *s, uint32_t type, const void *p, size_t n,
                     uint32_t want, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct chan_msg m;
	uint32_t id = ++s->id;

	if (chan_send(s->c, type, id, p, n, -1) != 0 || chan_recv(s->c, &m) != 0) {
		snprintf(err, errlen, "signer process unavailable: %s", chan_error(s->c));
		return ENARX_E_IO;
	}
	if (m.id != id) {
		snprintf(err, errlen, "signer answered request %u, expected %u", m.id, id);
		return ENARX_E_IO;
	}
	if (m.type == SGN_ERR) {
		snprintf(err, errlen, "%.*s", (int)m.len, (const char *)m.data);
		return ENARX_E_INTERNAL;
	}
	if (m.type != want || (*out = xmalloc(m.len)) == NULL) {
		snprintf(err, errlen, "signer answered type %u, expected %u", m.type, want);
		return ENARX_E_IO;
	}
	memcpy(*out, m.data, m.len);
	*outlen = m.len;
	return 0;
}

int steward_signer_start(const char *dir, struct steward_signer **out, char *err, size_t errlen)
{
	static struct sig__child child_arg;
	struct chan_child ch = {
	    .name = "steward-signer",
	    .types = sig_types,
	    .ntypes = sizeof(sig_types) / sizeof(sig_types[0]),
	    .main = sig__main,
	    .arg = &child_arg,
	};
	struct steward_signer *s = xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return ENARX_E_NOMEM;
	child_arg.dir = dir;
	if (chan_fork(&ch, &s->c, &s->pid) != 0) {
		snprintf(err, errlen, "cannot start the signer process");
		free(s);
		return ENARX_E_IO;
	}
	rc = sig__call(s, SGN_CA_REQ, NULL, 0, SGN_CA, &s->ca, &s->calen, err, errlen);
	if (rc != 0) {
		steward_signer_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

void steward_signer_stop(struct steward_signer *s)
{
	if (s == NULL)
		return;
	chan_free(s->c);
	if (s->pid > 0) {
		int st;
		if (waitpid(s->pid, &st, 0) < 0)
			kill(s->pid, SIGKILL);
	}
	free(s->ca);
	free(s);
}

const uint8_t *steward_signer_ca(const struct steward_signer *s, size_t *len)
{
	*len = s->calen;
	return s->ca;
}

int steward_signer_issue(struct steward_signer *s, enum steward_kind kind, EVP_PKEY *pub, time_t nb,
                         time_t na, const struct steward_ext *exts, size_t nexts, uint8_t **der,
                         size_t *len, char *err, size_t errlen)
{
	struct sig_issue h = {0};
	char group[64] = "";
	size_t plen = 0, total = sizeof(h);
	struct buf b = {0};
	int nid, rc;

	*der = NULL;
	if (EVP_PKEY_get_id(pub) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                    NULL) ||
	    ((nid = OBJ_txt2nid(group)) != NID_X9_62_prime256v1 && nid != NID_secp384r1) ||
	    !EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, h.point,
	                                     sizeof(h.point), &plen)) {
		ERR_clear_error();
		snprintf(err, errlen, "the key is not an EC P-256 or P-384 key");
		return ENARX_E_INVAL;
	}
	if (nexts > SIG__MAX_EXTS)
		return ENARX_E_INVAL;
	h.kind = (uint32_t)kind;
	h.nid = (uint32_t)nid;
	h.point_len = (uint32_t)plen;
	h.nexts = (uint32_t)nexts;
	h.nb = (int64_t)nb;
	h.na = (int64_t)na;
	for (size_t i = 0; i < nexts; i++) {
		if (exts[i].len > STEWARD_CLAIM_MAX) {
			snprintf(err, errlen, "claim %u: %zu bytes, at most %u", exts[i].id,
			         exts[i].len, STEWARD_CLAIM_MAX);
			return ENARX_E_OVERFLOW;
		}
		total += 8 + exts[i].len;
	}
	if (total > CHAN_MAX_PAYLOAD) {
		snprintf(err, errlen, "claims: %zu bytes, at most %u", total, CHAN_MAX_PAYLOAD);
		return ENARX_E_OVERFLOW;
	}
	if (buf_reserve(&b, total) != 0)
		return ENARX_E_NOMEM;
	buf_append(&b, &h, sizeof(h));
	for (size_t i = 0; i < nexts; i++) {
		uint32_t v[2] = {exts[i].id, (uint32_t)exts[i].len};
		buf_append(&b, v, sizeof(v));
		buf_append(&b, exts[i].der, exts[i].len);
	}
	rc = sig__call(s, SGN_ISSUE, b.data, b.len, SGN_CERT, der, len, err, errlen);
	buf_free(&b, 0);
	return rc;
}
