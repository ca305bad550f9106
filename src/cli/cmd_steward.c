/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx steward`: serve (the attestation CA and key broker), init and
 * show-ca (the CA in the state folder), policy check (a policy and CSRs,
 * offline, as serve would judge them), secret put/ls/rm (the key broker's
 * secrets, on the state database). docs/steward.md. */
#include <enarx/attest.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/attest_int.h"
#include "cli/attest_opts.h"
#include "cli/cli.h"
#include "http/json.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "steward/steward.h"

/* $XDG_STATE_HOME/enarx/steward or ~/.local/state/enarx/steward. */
static const char *default_state(void)
{
	static char path[PATH_MAX];
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (x && *x)
		snprintf(path, sizeof(path), "%s/enarx/steward", x);
	else
		snprintf(path, sizeof(path), "%s/.local/state/enarx/steward", home ? home : ".");
	/* Parents as needed; the folder itself is made 0700 by the CA code. */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	return path;
}

/* ---- serve ---- */

struct serve_opts {
	const char *listen, *config, *state, *policy, *token, *client_ca, *db;
	time_t at;
	long long ttl;
};

static const struct opt serve_table[] = {
    OPT_STRING(0, "listen", struct serve_opts, listen, "ADDR:PORT",
               "address to serve HTTPS on (default 127.0.0.1:8443)"),
    OPT_STRING(0, "config", struct serve_opts, config, "FILE",
               "TOML configuration (docs/steward.md); options override it"),
    OPT_STRING(0, "state", struct serve_opts, state, "DIR",
               "CA, server certificate, owner token and SQLite database\n"
               "(default ~/.local/state/enarx/steward)"),
    OPT_STRING(0, "policy", struct serve_opts, policy, "FILE",
               "certification policy (attestation TOML, docs/attestation.md)"),
    OPT_STRING(0, "token-file", struct serve_opts, token, "FILE",
               "owners' bearer token (default DIR/owner-token, made at first start)"),
    OPT_STRING(0, "client-ca", struct serve_opts, client_ca, "FILE",
               "CA of owners' client certificates (mTLS)"),
    OPT_STRING(0, "database", struct serve_opts, db, "URL",
               "postgresql://... for replicas (default DIR/steward.db, SQLite)"),
    OPT_CUSTOM(0, "at", struct serve_opts, at, "TIME", cli_parse_at,
               "fix the verification time, " CLI_AT_WANT ",\n"
               "to replay recorded evidence (said in every response and log line)"),
    OPT_INT(0, "cert-ttl", struct serve_opts, ttl, "SECONDS", 60, 30LL * 86400,
            "lifetime of issued Keep certificates (default 3600)"),
    OPT_END(),
};

static int steward_serve_cmd(int argc, char **argv);

static const struct cli_cmd cmd_serve = {
    .spec = {.path = "steward serve",
             .summary = "Serve the attestation CA and key broker over HTTPS",
             .opts = serve_table,
             .about =
                 "Certifies Keeps: POST / with a DER CSR carrying evidence (application/pkcs10)\n"
                 "returns the certificate chain when the evidence verifies and the policy\n"
                 "accepts it; releases owners' secrets to Keeps that meet their policy,\n"
                 "sealed with HPKE to the Keep's key. Creates the CA at first start.\n"},
    .fn = steward_serve_cmd,
};

static int steward_serve_cmd(int argc, char **argv)
{
	struct serve_opts o = {0};
	struct opt_result r;
	struct steward_conf c = {0};
	char err[600];
	int rc = cli_parse(&cmd_serve, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (o.config && steward_conf_load(o.config, &c, err, sizeof(err)) != 0) {
		cli_error("steward: %s", err);
		steward_conf_free(&c);
		return CLI_EXIT_FAIL;
	}
#define SET(field, v)                        \
	do {                                 \
		if (v) {                     \
			free(c.field);       \
			c.field = strdup(v); \
		}                            \
	} while (0)
	SET(listen, o.listen);
	SET(state_dir, o.state);
	SET(policy_file, o.policy);
	SET(token_file, o.token);
	SET(client_ca, o.client_ca);
	SET(db, o.db);
#undef SET
	if (c.listen == NULL)
		c.listen = strdup("127.0.0.1:8443");
	if (c.state_dir == NULL)
		c.state_dir = strdup(default_state());
	if (o.ttl)
		c.cert_ttl = o.ttl;
	if (c.cert_ttl == 0)
		c.cert_ttl = 3600;
	c.at = o.at;
	rc = steward_serve(&c);
	steward_conf_free(&c);
	return rc;
}

/* ---- init, show-ca ---- */

struct ca_opts {
	const char *state;
};

static const struct opt ca_table[] = {
    OPT_STRING(0, "state", struct ca_opts, state, "DIR",
               "state folder (default ~/.local/state/enarx/steward)"),
    OPT_END(),
};

static int steward_init_cmd(int argc, char **argv);
static int steward_show_ca_cmd(int argc, char **argv);

static const struct cli_cmd cmd_init = {
    .spec = {.path = "steward init",
             .summary = "Create the CA in the state folder (if absent)",
             .opts = ca_table,
             .about = "Writes DIR/ca-cert.pem and DIR/ca-key.pem (mode 0600): a P-256 CA valid\n"
                      "for ten years. An existing CA is kept and shown.\n"},
    .fn = steward_init_cmd,
};

static const struct cli_cmd cmd_show_ca = {
    .spec = {.path = "steward show-ca",
             .summary = "Print the CA certificate and its fingerprint",
             .opts = ca_table},
    .fn = steward_show_ca_cmd,
};

static int ca_cmd(const struct cli_cmd *cmd, int argc, char **argv, bool create)
{
	struct ca_opts o = {0};
	struct opt_result r;
	X509 *ca = NULL;
	EVP_PKEY *key = NULL;
	bool created = false;
	char err[600], fp[96], nb[32], na[32];
	int rc = cli_parse(cmd, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (o.state == NULL)
		o.state = default_state();
	if (steward_ca_load(o.state, create, &ca, &key, &created, err, sizeof(err)) != 0) {
		cli_error("steward: %s", err);
		return CLI_EXIT_FAIL;
	}
	EVP_PKEY_free(key); /* only the certificate is shown */
	steward_fingerprint(ca, fp);
	struct tm tb, ta;
	ASN1_TIME_to_tm(X509_get0_notBefore(ca), &tb);
	ASN1_TIME_to_tm(X509_get0_notAfter(ca), &ta);
	strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tb);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &ta);
	if (create)
		printf("%s CA in %s\n", created ? "created" : "existing", o.state);
	printf("certificate %s/ca-cert.pem\n", o.state);
	printf("sha256      %s\n", fp);
	printf("valid       %s .. %s\n", nb, na);
	if (!create)
		PEM_write_X509(stdout, ca);
	X509_free(ca);
	return CLI_EXIT_OK;
}

static int steward_init_cmd(int argc, char **argv)
{
	return ca_cmd(&cmd_init, argc, argv, true);
}

static int steward_show_ca_cmd(int argc, char **argv)
{
	return ca_cmd(&cmd_show_ca, argc, argv, false);
}

/* ---- policy check ---- */

struct policy_opts {
	const char *policy;
	time_t at;
};

static const struct opt policy_table[] = {
    OPT_STRING(0, "policy", struct policy_opts, policy, "FILE",
               "certification policy (default: the production policy)"),
    OPT_CUSTOM(0, "at", struct policy_opts, at, "TIME", cli_parse_at,
               "verification time, " CLI_AT_WANT " (default now)"),
    OPT_END(),
};

static int steward_policy_check_cmd(int argc, char **argv);

static const struct cli_cmd cmd_policy_check = {
    .spec = {.path = "steward policy check",
             .summary = "Check a policy file, and CSRs against it, as serve would",
             .opts = policy_table,
             .args = "[CSR]...",
             .max_args = 64,
             .footer = "Exit status: 0 if the policy reads and every CSR would be certified.\n"},
    .fn = steward_policy_check_cmd,
};

static const struct cli_cmd cmd_policy = {
    .spec = {.path = "steward policy", .summary = "Certification policy"},
    .subs = (const struct cli_cmd *const[]){&cmd_policy_check, NULL},
};

static int steward_policy_check_cmd(int argc, char **argv)
{
	struct policy_opts o = {0};
	struct opt_result r;
	struct buf b = {0};
	enarx_policy *pol;
	enarx_attest *a;
	char err[768], check[96];
	int rc = cli_parse(&cmd_policy_check, argc, argv, &o, &r), exit_code = CLI_EXIT_OK;

	if (rc != CLI_CONTINUE)
		return rc;
	if (cli_load_policy("steward", o.policy, 1, &pol) != 0)
		return CLI_EXIT_FAIL;
	if (o.policy)
		printf("policy %s: ok\n", o.policy);
	if ((a = enarx_attest_new()) == NULL) {
		enarx_policy_free(pol);
		cli_error("steward: cannot load the pinned roots");
		return CLI_EXIT_FAIL;
	}
	for (int i = 0; i < r.nargs; i++) {
		struct steward_claimset cs;
		EVP_PKEY *pub = NULL;
		if (file_read_all(r.args[i], 16u << 20, &b, err, sizeof(err)) != 0) {
			cli_error("steward: %s", err);
			exit_code = CLI_EXIT_FAIL;
			continue;
		}
		rc = steward_certify_check(a, pol, b.data, b.len, o.at, o.at != 0, &cs, &pub, check,
		                           sizeof(check), err, sizeof(err));
		if (rc == 0) {
			printf("%s: certified: %s, %s, TCB %s, runtime %s%s\n", r.args[i], cs.tee,
			       cs.tee_version, cs.tcb_status, cs.runtime,
			       cs.insecure ? ", insecure" : "");
		} else {
			printf("%s: refused: %s: %s\n", r.args[i], check, err);
			exit_code = CLI_EXIT_FAIL;
		}
		EVP_PKEY_free(pub);
		steward_claimset_free(&cs);
		buf_free(&b, 0);
	}
	enarx_attest_free(a);
	enarx_policy_free(pol);
	return exit_code;
}

/* ---- secret put, ls, rm ---- */

struct secret_opts {
	const char *state, *db, *file, *policy;
};

static const struct opt secret_table[] = {
    OPT_STRING(0, "state", struct secret_opts, state, "DIR",
               "state folder whose SQLite database to use"),
    OPT_STRING(0, "database", struct secret_opts, db, "URL", "database URL instead"),
    OPT_STRING(0, "file", struct secret_opts, file, "FILE", "put: the secret's bytes"),
    OPT_STRING(0, "policy", struct secret_opts, policy, "FILE",
               "put: release policy, JSON (docs/steward.md)"),
    OPT_END(),
};

static int steward_secret_cmd(int argc, char **argv);

static const struct cli_cmd cmd_secret_put = {
    .spec = {.path = "steward secret put",
             .summary = "Store a secret and its release policy",
             .opts = secret_table,
             .args = "NAME",
             .min_args = 1,
             .max_args = 1},
    .fn = steward_secret_cmd,
};
static const struct cli_cmd cmd_secret_ls = {
    .spec = {.path = "steward secret ls",
             .summary = "List secrets (names and policies, never values)",
             .opts = secret_table},
    .fn = steward_secret_cmd,
};
static const struct cli_cmd cmd_secret_rm = {
    .spec = {.path = "steward secret rm",
             .summary = "Remove a secret",
             .opts = secret_table,
             .args = "NAME",
             .min_args = 1,
             .max_args = 1},
    .fn = steward_secret_cmd,
};

static const struct cli_cmd cmd_secret = {
    .spec = {.path = "steward secret", .summary = "Key broker secrets (owners)"},
    .subs = (const struct cli_cmd *const[]){&cmd_secret_put, &cmd_secret_ls, &cmd_secret_rm, NULL},
};

static int secret_put(struct steward_db *db, const struct secret_opts *o, const char *name,
                      const char *owner)
{
	struct buf val = {0}, pb = {0};
	json_t *pol = NULL;
	json_error_t je;
	char err[600], *text = NULL;
	int rc = CLI_EXIT_FAIL;

	if (o->file == NULL || o->policy == NULL) {
		cli_error("steward: secret put needs --file and --policy");
		return CLI_EXIT_USAGE;
	}
	if (file_read_all(o->file, 64u << 10, &val, err, sizeof(err)) != 0 ||
	    file_read_all(o->policy, 64u << 10, &pb, err, sizeof(err)) != 0) {
		cli_error("steward: %s", err);
		goto out;
	}
	if (val.len == 0) {
		cli_error("steward: %s is empty", o->file);
		goto out;
	}
	pol = json_loadb((const char *)pb.data, pb.len, JSON_REJECT_DUPLICATES, &je);
	if (pol == NULL || !json_is_object(pol)) {
		cli_error("steward: policy %s: line %d: %s", o->policy, je.line,
		          pol ? "not a JSON object" : je.text);
		goto out;
	}
	if (steward_secret_policy_check_syntax(pol, err, sizeof(err)) != 0) {
		cli_error("steward: policy %s: %s", o->policy, err);
		goto out;
	}
	text = json_dumps(pol, JSON_COMPACT | JSON_SORT_KEYS);
	if (steward_db_secret_put(db, name, val.data, val.len, text, owner, err, sizeof(err)) !=
	    0) {
		cli_error("steward: %s", err);
		goto out;
	}
	printf("stored %s (%zu bytes)\n", name, val.len);
	rc = CLI_EXIT_OK;
out:
	free(text);
	json_decref(pol);
	buf_free(&val, 1);
	buf_free(&pb, 0);
	return rc;
}

static int steward_secret_cmd(int argc, char **argv)
{
	const struct cli_cmd *cmd = strcmp(argv[0], "put") == 0  ? &cmd_secret_put
	                            : strcmp(argv[0], "rm") == 0 ? &cmd_secret_rm
	                                                         : &cmd_secret_ls;
	struct secret_opts o = {0};
	struct opt_result r;
	struct steward_db *db = NULL;
	char err[600], path[PATH_MAX + 16], owner[96], t[32];
	struct passwd *pw = getpwuid(getuid());
	int rc = cli_parse(cmd, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (o.db == NULL) {
		const char *dir = o.state ? o.state : default_state();
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			cli_error("steward: cannot create %s: %s", dir, strerror(errno));
			return CLI_EXIT_FAIL;
		}
		snprintf(path, sizeof(path), "%s/steward.db", dir);
		o.db = path;
	}
	if (steward_db_open(o.db, &db, err, sizeof(err)) != 0) {
		cli_error("steward: %s", err);
		return CLI_EXIT_FAIL;
	}
	snprintf(owner, sizeof(owner), "cli:%s", pw ? pw->pw_name : "?");
	steward_time_text(time(NULL), t);
	if (cmd == &cmd_secret_put) {
		rc = secret_put(db, &o, r.args[0], owner);
		struct steward_audit au = {t,    false, owner,    "secret-put",
		                           NULL, NULL,  NULL,     rc ? "error" : "stored",
		                           NULL, NULL,  r.args[0]};
		steward_db_audit(db, &au, NULL);
	} else if (cmd == &cmd_secret_rm) {
		int e = steward_db_secret_rm(db, r.args[0]);
		struct steward_audit au = {t,    false, owner,    "secret-rm",
		                           NULL, NULL,  NULL,     e ? "absent" : "removed",
		                           NULL, NULL,  r.args[0]};
		steward_db_audit(db, &au, NULL);
		if (e)
			cli_error("steward: no secret named %s", r.args[0]);
		else
			printf("removed %s\n", r.args[0]);
		rc = e ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	} else {
		json_t *l = NULL, *e;
		size_t i;
		rc = steward_db_secret_list(db, &l) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
		json_array_foreach(l, i, e)
		{
			char *p = json_dumps(json_object_get(e, "policy"), JSON_COMPACT);
			printf("%s\t%s\t%s\t%s\n", json_string_value(json_object_get(e, "name")),
			       json_string_value(json_object_get(e, "owner")),
			       json_string_value(json_object_get(e, "created")), p ? p : "");
			free(p);
		}
		json_decref(l);
	}
	steward_db_close(db);
	return rc;
}

const struct cli_cmd cli_cmd_steward = {
    .spec = {.path = "steward",
             .summary = "Attestation CA and key broker for Keeps (docs/steward.md)"},
    .subs = (const struct cli_cmd *const[]){&cmd_serve, &cmd_init, &cmd_show_ca, &cmd_policy,
                                            &cmd_secret, NULL},
};
