/* SPDX-License-Identifier: Apache-2.0 */
/* enarx package build|inspect: make a workload package ahead of time and
 * read one (docs/package.md). Secrets in a package file are in the clear:
 * the file is the client's, and only `enarx deploy` seals it to a Keep. */
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pkgsrc.h"
#include "client/client.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "package/spkg.h"

struct pkg_build_opts {
	const char *output, *cfgfile;
	struct opt_list env, secret;
	const char *steward, *secret_name, *steward_ca, *key_out, *token_file, *policy;
};

static const struct opt build_table[] = {
    OPT_STRING('o', "output", struct pkg_build_opts, output, "FILE",
               "where to write the package (required; created mode 0600)"),
    OPT_STRING(0, "wasmcfgfile", struct pkg_build_opts, cfgfile, "FILE",
               "Enarx.toml (docs/enarx-toml.md)"),
    OPT_LIST(0, "env", struct pkg_build_opts, env, "K=V", "an environment variable"),
    OPT_LIST(0, "secret", struct pkg_build_opts, secret, "NAME=@FILE",
             "a secret environment variable from FILE\n"
             "(NAME = /secrets/FILE: a file in the Keep's memory)"),
    OPT_STRING(0, "for-steward", struct pkg_build_opts, steward, "URL",
               "seal the package to a fresh key that Steward's key broker releases"),
    OPT_STRING(0, "secret-name", struct pkg_build_opts, secret_name, "NAME",
               "the package key's name in Steward (with --for-steward)"),
    OPT_STRING(0, "steward-ca", struct pkg_build_opts, steward_ca, "FILE",
               "Steward's CA (PEM): carried in the package, and trusted for --steward-token"),
    OPT_STRING(0, "key-out", struct pkg_build_opts, key_out, "FILE",
               "write the package key here (32 bytes, mode 0600) for `enarx steward secret put`"),
    OPT_STRING(0, "steward-token", struct pkg_build_opts, token_file, "FILE",
               "store the package key in Steward with this owner token file"),
    OPT_STRING(0, "release-policy", struct pkg_build_opts, policy, "JSON|@FILE",
               "Steward's release policy for the key (docs/steward.md \"Key broker\")"),
    OPT_END(),
};

static int cmd_package_build(int argc, char **argv);
static int cmd_package_inspect(int argc, char **argv);

static const struct cli_cmd cli_cmd_package_build = {
    .spec = {.path = "package build",
             .summary = "Make a workload package",
             .opts = build_table,
             .args = "MODULE.wasm|DIR|PACKAGE",
             .min_args = 1,
             .max_args = 1,
             .rest = "ARGS...",
             .about =
                 "Writes main.wasm, Enarx.toml, --env, --secret and ARGS as one package\n"
                 "(docs/package.md) that `enarx deploy` seals to a Keep. The output key is\n"
                 "added at each deploy.\n"
                 "With --for-steward URL --secret-name NAME the package is sealed to a fresh\n"
                 "key instead, and the key goes to Steward (--steward-token, --release-policy)\n"
                 "or to --key-out FILE: a Keep that Steward's policy admits gets it and runs\n"
                 "the package (docs/package.md \"Sealed for Steward\", docs/orchestration.md).\n"},
    .fn = cmd_package_build,
};

struct pkg_inspect_opts {
	int json;
};

static const struct opt inspect_table[] = {
    OPT_FLAG(0, "json", struct pkg_inspect_opts, json, "machine-readable output"),
    OPT_END(),
};

static const struct cli_cmd cli_cmd_package_inspect = {
    .spec = {.path = "package inspect",
             .summary = "Show what a package holds (secret values hidden)",
             .opts = inspect_table,
             .args = "PACKAGE",
             .min_args = 1,
             .max_args = 1,
             .about = "Prints the format version, the workload digest (the identity the Keep\n"
                      "reports after opening it) and each entry; secret values are never shown.\n"},
    .fn = cmd_package_inspect,
};

const struct cli_cmd cli_cmd_package = {
    .spec = {.path = "package", .summary = "Make and read workload packages"},
    .subs = (const struct cli_cmd *const[]){&cli_cmd_package_build, &cli_cmd_package_inspect, NULL},
};

static int write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		cli_error("cannot create %s: %m", path);
		return -1;
	}
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);

		if (w <= 0) {
			cli_error("writing %s: %m", path);
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd) ? -1 : 0;
}

/* The release policy: JSON text or @FILE; an object. */
static json_t *load_policy(const char *arg)
{
	json_error_t je;
	json_t *j = arg[0] == '@' ? json_load_file(arg + 1, 0, &je) : json_loads(arg, 0, &je);

	if (!j)
		cli_error("--release-policy %s: line %d: %s", arg, je.line, je.text);
	else if (!json_is_object(j)) {
		cli_error("--release-policy %s: a JSON object expected (docs/steward.md)", arg);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* PUT /v1/secrets/NAME on Steward with the owner token: the package key
 * and its release policy. */
static int store_key(const struct pkg_build_opts *o, const uint8_t *sk)
{
	struct client_conf cc = {.token_file = o->token_file, .cacert = o->steward_ca};
	struct client_resp r = {0};
	struct client *c = NULL;
	char b64[4 * ((SPKG_SK_LEN + 2) / 3) + 1], err[512], base[SPKG_MAX_URL + 1],
	    path[SPKG_MAX_NAME + 16];
	size_t bl = strlen(o->steward);
	json_t *pol = load_policy(o->policy), *body = NULL;
	int rc = -1;

	if (!pol)
		return -1;
	snprintf(base, sizeof(base), "%.*s", (int)(bl && o->steward[bl - 1] == '/' ? bl - 1 : bl),
	         o->steward);
	cc.base = base;
	base64_encode(sk, SPKG_SK_LEN, b64);
	body = json_pack("{s:s, s:O}", "value", b64, "policy", pol);
	OPENSSL_cleanse(b64, sizeof(b64));
	snprintf(path, sizeof(path), "/v1/secrets/%s", o->secret_name);
	if (!body || client_new(&cc, &c, err, sizeof(err)) != 0)
		cli_error("Steward %s: %s", base, body ? err : "out of memory");
	else if (client_json(c, "PUT", path, body, &r) != 0)
		cli_error("Steward %s: %s", base, r.detail);
	else if (r.status < 200 || r.status > 299)
		cli_error("Steward %s refused to store %s: %s", base, o->secret_name,
		          client_resp_error(&r, err, sizeof(err)));
	else
		rc = 0;
	if (body) {
		json_t *v = json_object_get(body, "value");
		const char *vs = json_string_value(v);

		if (vs)
			OPENSSL_cleanse((void *)vs, strlen(vs));
	}
	client_resp_clear(&r);
	client_free(c);
	json_decref(body);
	json_decref(pol);
	return rc;
}

static int write_bytes(const char *path, const void *p, size_t n)
{
	struct buf b = {(uint8_t *)p, n, n};

	return write_file(path, &b);
}

/* --for-steward: seals the encoded package in b to a fresh package key,
 * hands the key to Steward (or --key-out) and leaves the sealed package
 * in b. */
static int seal_for_steward(const struct pkg_build_opts *o, struct buf *b)
{
	struct buf ca = {0}, out = {0};
	uint8_t sk[SPKG_SK_LEN];
	char err[PATH_MAX + 128];
	int rc = -1;

	if (o->steward_ca && file_read_all(o->steward_ca, SPKG_MAX_CA, &ca, err, sizeof(err))) {
		cli_error("--steward-ca: %s", err);
		return -1;
	}
	if (spkg_seal(b->data, b->len, o->steward, o->secret_name, ca.data, ca.len, &out, sk, err,
	              sizeof(err)) != 0)
		cli_error("%s", err);
	else if (o->key_out && write_bytes(o->key_out, sk, sizeof(sk)) != 0)
		cli_error("cannot write the package key to %s", o->key_out);
	else if (o->token_file && store_key(o, sk) != 0)
		cli_error("the package key was not stored: nothing written");
	else
		rc = 0;
	OPENSSL_cleanse(sk, sizeof(sk));
	buf_free(&ca, 0);
	if (!rc) {
		buf_free(b, 1);
		*b = out;
	} else
		buf_free(&out, 0);
	return rc;
}

static int check_steward_opts(const struct pkg_build_opts *o)
{
	if (!o->steward) {
		if (o->secret_name || o->key_out || o->token_file || o->policy || o->steward_ca)
			return cli_usage_error("package build",
			                       "--secret-name, --steward-ca, --key-out, "
			                       "--steward-token and --release-policy go with "
			                       "--for-steward URL");
		return 0;
	}
	if (!o->secret_name)
		return cli_usage_error("package build", "--for-steward needs --secret-name NAME");
	if (!spkg_name_ok(o->secret_name))
		return cli_usage_error("package build",
		                       "--secret-name: 1 to 64 of [A-Za-z0-9._-] (Steward's rule)");
	if (!o->key_out && !o->token_file)
		return cli_usage_error("package build",
		                       "--for-steward needs --steward-token FILE (store the key "
		                       "in Steward) or --key-out FILE (store it yourself)");
	if (o->token_file && !o->policy)
		return cli_usage_error("package build",
		                       "--steward-token needs --release-policy JSON|@FILE "
		                       "(e.g. '{\"tee\": [\"snp\"]}')");
	return 0;
}

static int cmd_package_build(int argc, char **argv)
{
	struct pkg_build_opts o;
	struct opt_result r;
	struct pkg pkg;
	struct buf b = {0};
	uint8_t d[PKG_DIGEST_LEN];
	char hex[2 * PKG_DIGEST_LEN + 1];
	int rc;

	memset(&o, 0, sizeof(o));
	rc = cli_parse(&cli_cmd_package_build, argc, argv, &o, &r);
	if (rc != CLI_CONTINUE)
		return rc;
	if (!o.output)
		return cli_usage_error("package build", "--output FILE is required");
	if ((rc = check_steward_opts(&o)) != 0)
		return rc;
	struct pkg_source src = {r.args[0], o.cfgfile, &o.env, &o.secret, r.rest, (size_t)r.nrest};
	if (pkg_source_load(&src, &pkg) != 0)
		return CLI_EXIT_FAIL;
	rc = pkg_encode(&pkg, 0, &b) || pkg_digest(&pkg, d);
	if (rc)
		cli_error("cannot encode the package");
	if (!rc && o.steward)
		rc = seal_for_steward(&o, &b);
	if (!rc)
		rc = write_file(o.output, &b);
	if (!rc) {
		hex_encode(d, sizeof(d), hex);
		printf("%s: %zu bytes, %zu entries, workload digest sha256:%s\n", o.output, b.len,
		       pkg.n, hex);
	}
	if (!rc && o.steward)
		printf("%s: sealed for Steward %s, key %s%s%s\n", o.output, o.steward,
		       o.secret_name, o.token_file ? " (stored in Steward)" : "",
		       o.key_out ? " (written to --key-out)" : "");
	buf_free(&b, 1);
	pkg_clear(&pkg);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* What inspect shows of a value: text for env/args/config sizes; never a
 * secret. */
static void show_entry(const struct pkg_entry *e, json_t *arr)
{
	int text = e->kind == PKG_ENV || e->kind == PKG_ARG;
	json_t *j = json_pack("{s:s, s:s, s:I}", "kind", pkg_kind_name(e->kind), "name", e->name,
	                      "bytes", (json_int_t)e->value_len);

	if (text)
		json_object_set_new(j, "value", json_stringn((const char *)e->value, e->value_len));
	if (arr) {
		json_array_append_new(arr, j);
		return;
	}
	json_decref(j);
	if (text)
		printf("  %-10s %s = %.*s\n", pkg_kind_name(e->kind), e->name[0] ? e->name : "-",
		       (int)(e->value_len > 200 ? 200 : e->value_len), (const char *)e->value);
	else
		printf("  %-10s %s%s (%zu bytes%s)\n", pkg_kind_name(e->kind),
		       e->kind == PKG_SECRET_FILE ? PKG_SECRET_FILE_DIR "/" : "", e->name,
		       e->value_len,
		       e->kind == PKG_SECRET || e->kind == PKG_SECRET_FILE ? ", value hidden" : "");
}

/* A Steward-sealed package: only its header is readable. */
static int inspect_sealed(const char *path, const struct buf *b, int json)
{
	struct spkg_head h;
	char err[256];

	if (spkg_parse(b->data, b->len, &h, err, sizeof(err)) != 0) {
		cli_error("%s: %s", path, err);
		return CLI_EXIT_FAIL;
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:i, s:I, s:s, s:s, s:b, s:I}", "sealed", "steward",
		                      "version", SPKG_VERSION, "bytes", (json_int_t)b->len,
		                      "steward", h.url, "secret_name", h.name, "steward_ca",
		                      h.ca_len > 0, "sealed_bytes", (json_int_t)h.ct_len);
		char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

		if (s)
			puts(s);
		free(s);
		json_decref(j);
		return CLI_EXIT_OK;
	}
	printf("package      %s (sealed for Steward, format %u, %zu bytes)\n", path, SPKG_VERSION,
	       b->len);
	printf("steward      %s\n", h.url);
	printf("secret name  %s\n", h.name);
	printf("steward CA   %s\n", h.ca_len ? "included" : "not included");
	printf("contents     sealed (%zu bytes): only a Keep Steward releases the key to opens "
	       "them\n",
	       h.ct_len - HPKE_TAG_LEN);
	return CLI_EXIT_OK;
}

static int cmd_package_inspect(int argc, char **argv)
{
	struct pkg_inspect_opts o = {0};
	struct opt_result r;
	struct buf b = {0};
	struct pkg pkg;
	uint8_t d[PKG_DIGEST_LEN];
	char err[PATH_MAX + 64], hex[2 * PKG_DIGEST_LEN + 1];
	json_t *j = NULL, *arr = NULL;
	int rc = cli_parse(&cli_cmd_package_inspect, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (file_read_all(r.args[0], PKG_MAX_SIZE, &b, err, sizeof(err))) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (spkg_is(b.data, b.len)) {
		rc = inspect_sealed(r.args[0], &b, o.json);
		buf_free(&b, 0);
		return rc;
	}
	if (pkg_decode(b.data, b.len, &pkg, err, sizeof(err)) || pkg_digest(&pkg, d)) {
		cli_error("%s: %s", r.args[0], err);
		buf_free(&b, 1);
		return CLI_EXIT_FAIL;
	}
	hex_encode(d, sizeof(d), hex);
	if (o.json) {
		arr = json_array();
		j = json_pack("{s:i, s:s, s:I, s:o}", "version", PKG_VERSION, "digest", hex,
		              "bytes", (json_int_t)b.len, "entries", arr);
	} else {
		printf("package      %s (format %u, %zu bytes)\n", r.args[0], PKG_VERSION, b.len);
		printf("digest       sha256:%s\n", hex);
		printf("entries      %zu\n", pkg.n);
	}
	for (size_t i = 0; i < pkg.n; i++)
		show_entry(&pkg.e[i], arr);
	if (j) {
		char *s = json_dumps(j, JSON_INDENT(2));

		if (s)
			puts(s);
		free(s);
		json_decref(j);
	}
	pkg_clear(&pkg);
	buf_free(&b, 1);
	return CLI_EXIT_OK;
}
