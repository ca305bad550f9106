/* SPDX-License-Identifier: Apache-2.0 */
/* The one TLS setup of the HTTPS daemons: OpenSSL server context under the
 * system policy (TLS 1.2 at least), a self-signed certificate generated at
 * first start into the state directory (key mode 0600), optional client
 * certificate verification, and the SHA-256 fingerprint for the operator. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/tls_setup.h"
#include "http/http.h"
#include "http/internal.h"
#include "lib/err.h"
#include "lib/log.h"

#define TLS__CERT_DAYS 825 /* the longest validity mainstream clients accept */

const char *http_tls_default_groups(void)
{
	/* The crypto layer's preference (X25519MLKEM768, then X25519, ...) with
	 * its enarx_pq provider loaded into OpenSSL. Should the provider fail to
	 * load, NULL: the system policy's default (classical) groups apply. */
	if (enarx_tls_init() != 0) {
		log_warn("http: post-quantum provider not loaded; offering the system's default "
		         "key exchange groups");
		return NULL;
	}
	return ENARX_TLS_DEFAULT_GROUPS;
}

static int tls__fail(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	char why[160] = "";

	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	else if (errno != 0)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	snprintf(err, errlen, "%s %s%s%s", what, path ? path : "", why[0] ? ": " : "", why);
	ERR_clear_error();
	return ENARX_E_HTTP_TLS;
}

static int tls__add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A self-signed P-256 certificate for localhost, the loopback addresses and
 * this host's name, valid from an hour ago (clock skew) for TLS__CERT_DAYS. */
static X509 *tls__self_signed(EVP_PKEY *key, const char *name)
{
	X509 *x = X509_new();
	X509_NAME *subj;
	unsigned char serial[16];
	char cn[128], san[400], host[256] = "localhost";
	BIGNUM *bn = NULL;
	int ok = 0;

	if (x == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	gethostname(host, sizeof(host) - 1);
	snprintf(cn, sizeof(cn), "enarx %s", name);
	snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:%s", host);
	subj = X509_get_subject_name(x);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), TLS__CERT_DAYS, 0, NULL) ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                                -1, 0) ||
	    !X509_set_issuer_name(x, subj) || !X509_set_pubkey(x, key) ||
	    tls__add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    tls__add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    tls__add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    tls__add_ext(x, NID_subject_key_identifier, "hash") ||
	    tls__add_ext(x, NID_subject_alt_name, san) || !X509_sign(x, key, EVP_sha256()))
		goto out;
	ok = 1;
out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Writes PEM through a fresh file: O_EXCL so an existing file is never
 * replaced, mode 0600 for keys. */
static int tls__write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	BIO *b;
	int ok;

	if (fd < 0)
		return -1;
	if ((b = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
		close(fd);
		return -1;
	}
	ok = key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
	         : PEM_write_bio_X509(b, cert);
	ok = ok && BIO_flush(b) == 1 && fsync(fd) == 0;
	BIO_free(b);
	return ok ? 0 : -1;
}

static int tls__generate(const char *cert, const char *key, const char *name, char *err,
                         size_t errlen)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = pk ? tls__self_signed(pk, name) : NULL;
	int rc = 0;

	if (x == NULL)
		rc = tls__fail(err, errlen, "generating a certificate for", cert);
	else if (tls__write_pem(key, 0600, pk, NULL) != 0)
		rc = tls__fail(err, errlen, "writing", key);
	else if (tls__write_pem(cert, 0644, NULL, x) != 0) {
		rc = tls__fail(err, errlen, "writing", cert);
		unlink(key);
	} else
		log_info("generated a self-signed certificate %s (key %s)", cert, key);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

/* Refuses a key file that others may read, as ssh does. */
static int tls__key_private(const char *key, char *err, size_t errlen)
{
	struct stat st;

	if (stat(key, &st) != 0)
		return tls__fail(err, errlen, "cannot read key", key);
	if (st.st_mode & 077) {
		snprintf(err, errlen,
		         "key %s is readable by group or others (mode %03o): "
		         "chmod 600 it",
		         key, (unsigned)(st.st_mode & 0777));
		return ENARX_E_HTTP_TLS;
	}
	return 0;
}

static void tls__fingerprint(X509 *x, char fp[HTTP__FP_LEN])
{
	unsigned char md[32];
	unsigned int n = sizeof(md);
	static const char hex[] = "0123456789ABCDEF";

	fp[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return;
	for (unsigned i = 0; i < 32; i++) {
		fp[3 * i] = hex[md[i] >> 4];
		fp[3 * i + 1] = hex[md[i] & 15];
		fp[3 * i + 2] = i == 31 ? '\0' : ':';
	}
}

/* Certificate and key: given files, or <state>/<name>-{cert,key}.pem,
 * generated when neither exists yet. */
static int tls__files(const struct http__tls_conf *c, char *cert, size_t certlen, char *key,
                      size_t keylen, char *err, size_t errlen)
{
	bool have_c, have_k;

	if (c->cert_file != NULL || c->key_file != NULL) {
		if (c->cert_file == NULL || c->key_file == NULL) {
			snprintf(err, errlen, "give both a certificate and a key file, or neither");
			return ENARX_E_INVAL;
		}
		snprintf(cert, certlen, "%s", c->cert_file);
		snprintf(key, keylen, "%s", c->key_file);
		return 0;
	}
	if (c->state_dir == NULL) {
		snprintf(err, errlen, "no certificate given and no state directory to make one in");
		return ENARX_E_INVAL;
	}
	if (mkdir(c->state_dir, 0700) != 0 && errno != EEXIST)
		return tls__fail(err, errlen, "cannot create state directory", c->state_dir);
	snprintf(cert, certlen, "%s/%s-cert.pem", c->state_dir, c->name);
	snprintf(key, keylen, "%s/%s-key.pem", c->state_dir, c->name);
	have_c = access(cert, F_OK) == 0;
	have_k = access(key, F_OK) == 0;
	if (have_c && have_k)
		return 0;
	if (have_c != have_k) {
		snprintf(err, errlen, "%s exists but %s does not: restore it or remove both",
		         have_c ? cert : key, have_c ? key : cert);
		return ENARX_E_HTTP_TLS;
	}
	return tls__generate(cert, key, c->name, err, errlen);
}

static int tls__policy(SSL_CTX *ctx, const struct http__tls_conf *c, char *err, size_t errlen)
{
	const char *groups = c->groups ? c->groups : http_tls_default_groups();

	/* The system policy (openssl.cnf) was applied by SSL_CTX_new; only raise
	 * its minimum, never lower it. */
	if (SSL_CTX_get_min_proto_version(ctx) < TLS1_2_VERSION &&
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		return tls__fail(err, errlen, "setting the minimum TLS version", NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (groups != NULL && !SSL_CTX_set1_groups_list(ctx, groups))
		return tls__fail(err, errlen, "unknown key exchange group in", groups);
	return 0;
}

static int tls__client_ca(SSL_CTX *ctx, const struct http__tls_conf *c, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) * names;

	if (c->client_ca_file == NULL)
		return 0;
	if (!SSL_CTX_load_verify_locations(ctx, c->client_ca_file, NULL) ||
	    (names = SSL_load_client_CA_file(c->client_ca_file)) == NULL)
		return tls__fail(err, errlen, "cannot load client CA file", c->client_ca_file);
	SSL_CTX_set_client_CA_list(ctx, names);
	/* A presented certificate that does not verify ends the handshake; a
	 * missing one is left to the bearer token when there is one. */
	SSL_CTX_set_verify(
	    ctx, SSL_VERIFY_PEER | (c->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
	    NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	return 0;
}

int http__tls_ctx_new(const struct http__tls_conf *conf, SSL_CTX **out, char *cert_path,
                      size_t cert_path_len, char fp[HTTP__FP_LEN], char *err, size_t errlen)
{
	char key[4096];
	SSL_CTX *ctx = NULL;
	int rc;

	*out = NULL;
	errno = 0;
	ERR_clear_error();
	if ((rc = tls__files(conf, cert_path, cert_path_len, key, sizeof(key), err, errlen)) ||
	    (rc = tls__key_private(key, err, errlen)))
		goto out;
	rc = ENARX_E_HTTP_TLS;
	/* Loads the post-quantum provider first: libssl learns a context's
	 * groups (provider ones included) when SSL_CTX_new makes it. */
	(void)http_tls_default_groups();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls__fail(err, errlen, "creating the TLS context", NULL);
		goto out;
	}
	if (!SSL_CTX_use_certificate_chain_file(ctx, cert_path)) {
		tls__fail(err, errlen, "cannot load certificate", cert_path);
		goto out;
	}
	if (!SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) ||
	    !SSL_CTX_check_private_key(ctx)) {
		tls__fail(err, errlen, "cannot load key (or it does not match the certificate)",
		          key);
		goto out;
	}
	if ((rc = tls__policy(ctx, conf, err, errlen)) ||
	    (rc = tls__client_ca(ctx, conf, err, errlen)))
		goto out;
	tls__fingerprint(SSL_CTX_get0_certificate(ctx), fp);
	*out = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	return rc;
}
