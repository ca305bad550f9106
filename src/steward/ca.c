/* SPDX-License-Identifier: Apache-2.0 */
/* Steward's CA: created at first start (P-256 ECDSA-SHA256: cheap to sign with; self-signed, ten years),
 * and the certificates it issues: Keep certificates whose extensions state
 * the claims, and the HTTPS server's own certificate. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "steward/steward.h"

#define CA__DAYS 3650

void steward_time_text(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void steward_fingerprint(X509 *cert, char out[96])
{
	unsigned char md[32];
	unsigned int n = 0;

	out[0] = '\0';
	if (!X509_digest(cert, EVP_sha256(), md, &n))
		return;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
}

static int ca__ossl(char *err, size_t errlen, const char *what)
{
	char e[160];

	ERR_error_string_n(ERR_get_error(), e, sizeof(e));
	snprintf(err, errlen, "%s: %s", what, e);
	ERR_clear_error();
	return ENARX_E_INTERNAL;
}

static int ca__add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

static int ca__serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	b[0] &= 0x7f;
	b[0] |= 0x40; /* positive, always 16 bytes */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int ca__create(const char *dir, X509 **cert, EVP_PKEY **key, char *err, size_t errlen)
{
	char kpath[4096], cpath[4096], tmp[4200];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	FILE *f;
	int fd, rc = ENARX_E_INTERNAL;

	snprintf(kpath, sizeof(kpath), "%s/ca-key.pem", dir);
	snprintf(cpath, sizeof(cpath), "%s/ca-cert.pem", dir);
	if (k == NULL || x == NULL || name == NULL) {
		rc = ca__ossl(err, errlen, "CA key generation");
		goto out;
	}
	if (!X509_set_version(x, 2) || !ca__serial(x) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Enarx", -1,
	                                -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)"Enarx Steward CA", -1, -1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)CA__DAYS * 86400) ||
	    !X509_set_pubkey(x, k) ||
	    !ca__add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !ca__add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !ca__add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !ca__add_ext(x, x, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, k, EVP_sha256())) {
		rc = ca__ossl(err, errlen, "CA certificate");
		goto out;
	}
	/* The key first, exclusively: two starts racing end with one CA. */
	fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", kpath, strerror(errno));
		rc = errno == EEXIST ? ENARX_E_EXISTS : ENARX_E_IO;
		goto out;
	}
	f = fdopen(fd, "w");
	if (f == NULL || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fflush(f) != 0 ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s", kpath);
		if (f)
			fclose(f);
		else
			close(fd);
		unlink(kpath);
		rc = ENARX_E_IO;
		goto out;
	}
	fclose(f);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", cpath, (int)getpid());
	f = fopen(tmp, "we");
	if (f == NULL || !PEM_write_X509(f, x) || fclose(f) != 0 || rename(tmp, cpath) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", cpath, strerror(errno));
		unlink(tmp);
		unlink(kpath);
		rc = ENARX_E_IO;
		goto out;
	}
	*cert = x;
	*key = k;
	x = NULL;
	k = NULL;
	rc = 0;
out:
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

int steward_ca_load(const char *dir, bool create, X509 **cert, EVP_PKEY **key, bool *created,
                    char *err, size_t errlen)
{
	char kpath[4096], cpath[4096], lpath[4096];
	struct stat st;
	FILE *f;
	int lock, rc;

	*cert = NULL;
	*key = NULL;
	*created = false;
	snprintf(kpath, sizeof(kpath), "%s/ca-key.pem", dir);
	snprintf(cpath, sizeof(cpath), "%s/ca-cert.pem", dir);
	snprintf(lpath, sizeof(lpath), "%s/.ca.lock", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return ENARX_E_IO;
	}
	lock = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) != 0) {
		snprintf(err, errlen, "cannot lock %s: %s", lpath, strerror(errno));
		if (lock >= 0)
			close(lock);
		return ENARX_E_IO;
	}
	if (stat(kpath, &st) != 0) {
		if (!create) {
			snprintf(err, errlen, "no CA in %s (run enarx steward init)", dir);
			close(lock);
			return ENARX_E_NOTFOUND;
		}
		rc = ca__create(dir, cert, key, err, errlen);
		*created = rc == 0;
		close(lock);
		return rc;
	}
	close(lock);
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s is readable by group or others (mode %03o): chmod 600 it",
		         kpath, (unsigned)(st.st_mode & 0777));
		return ENARX_E_PERM;
	}
	if ((f = fopen(kpath, "re")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", kpath, strerror(errno));
		return ENARX_E_IO;
	}
	*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if ((f = fopen(cpath, "re")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", cpath, strerror(errno));
		EVP_PKEY_free(*key);
		*key = NULL;
		return ENARX_E_IO;
	}
	*cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (*key == NULL || *cert == NULL || X509_check_private_key(*cert, *key) != 1) {
		snprintf(err, errlen, "%s and %s are not a CA certificate and its key", cpath,
		         kpath);
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		ERR_clear_error();
		return ENARX_E_MALFORMED;
	}
	return 0;
}

static EVP_PKEY *ca__pub(int nid, const uint8_t *point, size_t len)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	if (b && ctx &&
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid), 0) &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, len) &&
	    (p = OSSL_PARAM_BLD_to_param(b)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) == 1) {
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
		if (chk == NULL || EVP_PKEY_public_check(chk) != 1) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		EVP_PKEY_CTX_free(chk);
	}
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static int ca__claim_ext(X509 *x, const struct steward_ext *e)
{
	char oid[96];
	ASN1_OBJECT *obj;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	snprintf(oid, sizeof(oid), "%s.%u", STEWARD_ARC, e->id);
	obj = OBJ_txt2obj(oid, 1);
	if (obj && os && e->len <= STEWARD_CLAIM_MAX &&
	    ASN1_OCTET_STRING_set(os, e->der, (int)e->len) &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL)
		ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok;
}

/* The Keep's names as the front encoded them: copied, not parsed. */
static int ca__san_ext(X509 *x, const struct steward_ext *e)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (os && e->len <= STEWARD_SAN_DER_MAX && ASN1_OCTET_STRING_set(os, e->der, (int)e->len) &&
	    (ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, os)) != NULL)
		ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

static int ca__server_san(X509 *x, X509 *ca)
{
	char host[256] = "", san[600];

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	/* Only a plain DNS label set: a host name is never quoted into config. */
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			host[0] = '\0';
	snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1%s%s", host[0] ? ",DNS:" : "",
	         host);
	return ca__add_ext(x, ca, NID_subject_alt_name, san);
}

int steward_ca_issue(X509 *ca, EVP_PKEY *cakey, enum steward_kind kind, int nid,
                     const uint8_t *point, size_t point_len, time_t nb, time_t na,
                     const struct steward_ext *exts, size_t nexts, uint8_t **der, size_t *len,
                     char *err, size_t errlen)
{
	EVP_PKEY *pub = ca__pub(nid, point, point_len);
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *out = NULL;
	int n, rc = ENARX_E_INTERNAL;

	*der = NULL;
	if (pub == NULL) {
		snprintf(err, errlen, "signer: the public key is not a valid point on %s",
		         OBJ_nid2sn(nid));
		ERR_clear_error();
		rc = ENARX_E_INVAL;
		goto out;
	}
	if (x == NULL || name == NULL || !X509_set_version(x, 2) || !ca__serial(x) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Enarx", -1,
	                                -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)(kind == STEWARD_KIND_SERVER
	                                                            ? "Enarx Steward"
	                                                            : "Enarx Keep"),
	                                -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), nb) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), na) || !X509_set_pubkey(x, pub) ||
	    !ca__add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !ca__add_ext(x, ca, NID_key_usage, "critical,digitalSignature,keyAgreement") ||
	    !ca__add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !ca__add_ext(x, ca, NID_subject_key_identifier, "hash") ||
	    !ca__add_ext(x, ca, NID_authority_key_identifier, "keyid:always")) {
		rc = ca__ossl(err, errlen, "signer: certificate");
		goto out;
	}
	if (kind == STEWARD_KIND_SERVER && !ca__server_san(x, ca)) {
		rc = ca__ossl(err, errlen, "signer: subjectAltName");
		goto out;
	}
	for (size_t i = 0; i < nexts; i++) {
		if (exts[i].id == STEWARD_X_SAN && kind == STEWARD_KIND_KEEP) {
			if (!ca__san_ext(x, &exts[i])) {
				snprintf(err, errlen, "signer: subjectAltName refused");
				rc = ENARX_E_INVAL;
				goto out;
			}
			continue;
		}
		if (exts[i].id == 0 || exts[i].id > STEWARD_C__MAX || !ca__claim_ext(x, &exts[i])) {
			snprintf(err, errlen, "signer: claim extension %u refused", exts[i].id);
			rc = ENARX_E_INVAL;
			goto out;
		}
	}
	if (!X509_sign(x, cakey, EVP_sha256()) || (n = i2d_X509(x, &out)) <= 0) {
		rc = ca__ossl(err, errlen, "signer: signing");
		goto out;
	}
	*der = out;
	*len = (size_t)n;
	rc = 0;
out:
	EVP_PKEY_free(pub);
	X509_NAME_free(name);
	X509_free(x);
	return rc;
}
