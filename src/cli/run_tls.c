/* SPDX-License-Identifier: Apache-2.0 */
/* See run_tls.h. */
#include "cli/run_tls.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "keep/proto.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/file.h"

struct collect {
	struct keep_file *files;
	size_t n;
};

static int add_one(void *ctx, const char *path, const struct config_file *f, const char *key)
{
	struct collect *c = ctx;
	struct keep_file *grown;
	struct buf b = {0};
	char err[512];

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->files[i].name, path) == 0)
			return 0; /* one copy serves every key naming it */
	if (c->n >= KP_MAX_FILES) {
		cli_error("Enarx.toml: more than %u TLS files", KP_MAX_FILES);
		return -1;
	}
	if (file_read_all(path, KP_MAX_FILE, &b, err, sizeof(err)) != 0) {
		cli_error("Enarx.toml: %s%s%skey '%s': %s", f ? "[[files]] '" : "",
		          f ? f->name : "", f ? "': " : "", key, err);
		return -1;
	}
	grown = xreallocarray(c->files, c->n + 1, sizeof(*grown));
	if (!grown) {
		buf_free(&b, 1);
		return -1;
	}
	c->files = grown;
	grown[c->n].name = xstrdup(path);
	grown[c->n].data = b.data;
	grown[c->n].len = b.len;
	c->n++;
	return grown[c->n - 1].name ? 0 : -1;
}

int run_tls_files(const struct config *cfg, struct keep_file **files, size_t *nfiles)
{
	struct collect c = {NULL, 0};

	if (config_tls_files(cfg, add_one, &c) != 0) {
		run_tls_files_free(c.files, c.n);
		return -1;
	}
	*files = c.files;
	*nfiles = c.n;
	return 0;
}

void run_tls_files_free(struct keep_file *files, size_t nfiles)
{
	for (size_t i = 0; i < nfiles; i++) {
		OPENSSL_cleanse((void *)files[i].data, files[i].len);
		xfree((void *)files[i].data);
		xfree((void *)files[i].name);
	}
	xfree(files);
}

/* SHA-256 of the DER SubjectPublicKeyInfo (the pin curl and HPKP use). */
static int spki_digest(X509 *x, unsigned char *md, unsigned *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	int ok = n > 0 && EVP_Digest(der, (size_t)n, md, len, EVP_sha256(), NULL) == 1;

	OPENSSL_free(der);
	return ok ? 0 : -1;
}

void run_tls_show_cert(const uint8_t *der, size_t len, const char *pem_path)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char md[EVP_MAX_MD_SIZE], spki[EVP_MAX_MD_SIZE], b64[64];
	unsigned mdlen = 0, spkilen = 0;
	char hex[3 * EVP_MAX_MD_SIZE + 1] = "";
	FILE *f;

	if (!x || p != der + len || !X509_digest(x, EVP_sha256(), md, &mdlen) ||
	    spki_digest(x, spki, &spkilen)) {
		cli_error("the Keep sent a TLS certificate that does not parse");
		X509_free(x);
		return;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X%s", md[i],
		         i + 1 < mdlen ? ":" : "");
	EVP_EncodeBlock(b64, spki, (int)spkilen);
	fprintf(stderr,
	        "enarx: Keep TLS certificate SHA-256 fingerprint: %s\n"
	        "enarx: Keep TLS public key pin: sha256//%s\n",
	        hex, b64);
	if (pem_path) {
		f = fopen(pem_path, "w");
		if (!f || PEM_write_X509(f, x) != 1)
			cli_error("cannot write the Keep's certificate to %s", pem_path);
		if (f)
			fclose(f);
	}
	X509_free(x);
}
