/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx steward serve --config FILE`: a flat TOML file whose keys mirror
 * the command-line options (docs/steward.md). Unknown keys are errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/toml.h"
#include "steward/steward.h"

void steward_conf_free(struct steward_conf *c)
{
	free(c->listen);
	free(c->state_dir);
	free(c->policy_file);
	free(c->token_file);
	free(c->client_ca);
	free(c->db);
	memset(c, 0, sizeof(*c));
}

static int conf__str(const struct etoml_kv *kv, char **dst, char *err, size_t errlen)
{
	if (kv->v.type != ETOML_STRING || kv->v.str[0] == '\0') {
		snprintf(err, errlen, "line %u: key '%s': expected a non-empty string", kv->line,
		         kv->key);
		return ENARX_E_MALFORMED;
	}
	free(*dst);
	*dst = xstrdup(kv->v.str);
	return *dst ? 0 : ENARX_E_NOMEM;
}

int steward_conf_load(const char *path, struct steward_conf *c, char *err, size_t errlen)
{
	struct buf b = {0};
	struct etoml_doc doc = {0};
	char perr[256];
	int rc;

	if ((rc = file_read_all(path, ETOML_MAX_SIZE, &b, perr, sizeof(perr))) != 0) {
		snprintf(err, errlen, "%s", perr);
		return rc;
	}
	rc = etoml_parse((const char *)b.data, b.len, 0, &doc, perr, sizeof(perr));
	buf_free(&b, 0);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < doc.n; i++) {
		const struct etoml_kv *kv = &doc.kv[i];
		char e[300] = "";
		if (kv->table[0] != '\0') {
			snprintf(e, sizeof(e), "line %u: unknown table [%s]", kv->line, kv->table);
			rc = ENARX_E_MALFORMED;
		} else if (strcmp(kv->key, "listen") == 0) {
			rc = conf__str(kv, &c->listen, e, sizeof(e));
		} else if (strcmp(kv->key, "state") == 0) {
			rc = conf__str(kv, &c->state_dir, e, sizeof(e));
		} else if (strcmp(kv->key, "policy") == 0) {
			rc = conf__str(kv, &c->policy_file, e, sizeof(e));
		} else if (strcmp(kv->key, "token_file") == 0) {
			rc = conf__str(kv, &c->token_file, e, sizeof(e));
		} else if (strcmp(kv->key, "client_ca") == 0) {
			rc = conf__str(kv, &c->client_ca, e, sizeof(e));
		} else if (strcmp(kv->key, "database") == 0) {
			rc = conf__str(kv, &c->db, e, sizeof(e));
		} else if (strcmp(kv->key, "cert_ttl") == 0 || strcmp(kv->key, "max_conns") == 0) {
			bool ttl = kv->key[0] == 'c';
			long long lo = ttl ? 60 : 1, hi = ttl ? 30LL * 86400 : 65536;
			if (kv->v.type != ETOML_INT || kv->v.i < lo || kv->v.i > hi) {
				snprintf(e, sizeof(e),
				         "line %u: key '%s': expected an integer in %lld..%lld",
				         kv->line, kv->key, lo, hi);
				rc = ENARX_E_MALFORMED;
			} else if (ttl) {
				c->cert_ttl = kv->v.i;
			} else {
				c->max_conns = kv->v.i;
			}
		} else {
			snprintf(e, sizeof(e), "line %u: unknown key '%s'", kv->line, kv->key);
			rc = ENARX_E_MALFORMED;
		}
		if (rc != 0)
			snprintf(err, errlen, "%s: %s", path, e);
	}
	etoml_doc_free(&doc);
	return rc;
}
