/* SPDX-License-Identifier: Apache-2.0 */
/* enarx deploy: the workload sealed to one attested Keep (docs/deploy.md).
 * Makes the package, gets a Keep (an in-process host on a local backend,
 * or --host), checks its evidence, seals the package to it, streams the
 * workload's stdio sealed, and exits with the workload's code. Each step
 * is printed on stderr as it happens (--json: one JSON object a line). */
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cli/attest_opts.h"
#include "cli/cli.h"
#include "cli/pkgsrc.h"
#include "client/client.h"
#include "deploy/deploy.h"
#include "deploy/remote.h"
#include "keep/abi.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"

struct deploy_cli_opts {
	const char *host, *backend, *policy, *cfgfile, *engine;
	const char *cacert, *token_file, *cert, *key;
	const char *steward, *steward_ca;
	struct opt_list env, secret, refs;
	int insecure, json;
};

static const struct opt deploy_table[] = {
    OPT_STRING_ENV(0, "host", struct deploy_cli_opts, host, "URL", "ENARX_HOST",
                   "a host agent (enarx host serve); default: a Keep of\n"
                   "this machine, through an in-process host"),
    OPT_STRING_ENV(0, "cacert", struct deploy_cli_opts, cacert, "FILE", "ENARX_HOST_CACERT",
                   "--host: the agent's CA (or its self-signed certificate)"),
    OPT_STRING_ENV(0, "token-file", struct deploy_cli_opts, token_file, "FILE",
                   "ENARX_HOST_TOKEN_FILE",
                   "--host: bearer token file (ENARX_HOST_TOKEN takes precedence)"),
    OPT_STRING_ENV(0, "cert", struct deploy_cli_opts, cert, "FILE", "ENARX_HOST_CERT",
                   "--host: client certificate (mTLS)"),
    OPT_STRING_ENV(0, "key", struct deploy_cli_opts, key, "FILE", "ENARX_HOST_KEY",
                   "--host: its key"),
    OPT_STRING_ENV(0, "backend", struct deploy_cli_opts, backend, "NAME", "ENARX_BACKEND",
                   "the Keep's backend (nil, kvm, ...); default: the best\n"
                   "usable one"),
    OPT_STRING(0, "policy", struct deploy_cli_opts, policy, "FILE",
               "attestation policy (TOML, docs/attestation.md); default:\n"
               "SNP, SGX or TDX, up to date, no debug"),
    OPT_STRING_ENV(0, "steward", struct deploy_cli_opts, steward, "URL", "ENARX_STEWARD",
                   "have Steward certify the Keep and trust its certificate\n"
                   "and claims instead of checking the evidence here\n"
                   "(docs/deploy.md \"With Steward\")"),
    OPT_STRING_ENV(0, "steward-ca", struct deploy_cli_opts, steward_ca, "FILE", "ENARX_STEWARD_CA",
                   "the Steward CA (PEM) for its HTTPS and the Keep's chain;\n"
                   "default: the system's roots"),
    OPT_FLAG(0, "insecure", struct deploy_cli_opts, insecure,
             "accept a Keep without a hardware TEE (nil, kvm): the host\n"
             "can then read and change everything"),
    OPT_LIST(0, "reference", struct deploy_cli_opts, refs, "FILE",
             "known runtimes (`enarx measure --json` of other builds);\n"
             "this build's own are always known"),
    OPT_STRING_ENV(0, "wasmcfgfile", struct deploy_cli_opts, cfgfile, "FILE", "ENARX_WASMCFGFILE",
                   "Enarx.toml (docs/enarx-toml.md)"),
    OPT_LIST(0, "env", struct deploy_cli_opts, env, "K=V", "an environment variable"),
    OPT_LIST(0, "secret", struct deploy_cli_opts, secret, "NAME=@FILE",
             "a secret environment variable whose value is FILE's\n"
             "contents; it travels sealed and is never written on the host"),
    OPT_STRING_ENV(0, "engine", struct deploy_cli_opts, engine, "NAME", "ENARX_WASM_ENGINE",
                   "interp (default) or jit (docs/jit.md)"),
    OPT_FLAG(0, "json", struct deploy_cli_opts, json, "the steps as JSON lines on stderr"),
    OPT_END(),
};

int cmd_deploy(int argc, char **argv);

const struct cli_cmd cli_cmd_deploy = {
    .spec =
        {.path = "deploy",
         .summary = "Deploy a workload sealed to one attested Keep",
         .opts = deploy_table,
         .args = "MODULE.wasm|DIR|PACKAGE",
         .min_args = 1,
         .max_args = 1,
         .rest = "ARGS...",
         .about = "Asks a host for a Keep, checks the Keep's evidence (TEE, TCB, runtime\n"
                  "measurement, the binding of its keys to our nonce) against the policy, seals\n"
                  "the package (main.wasm, Enarx.toml, --env, --secret, ARGS) to that one Keep's\n"
                  "key with HPKE, sends it, and streams the workload's stdin, stdout and stderr,\n"
                  "sealed both ways: the host relays ciphertext only. DIR holds main.wasm and\n"
                  "optionally Enarx.toml; PACKAGE is a file from `enarx package build`.\n",
         .footer =
             "Exit status: the workload's exit code; 134 after a trap; 1 when the Keep was\n"
             "refused (the failed check is named) or the session failed; 2 for usage errors.\n"},
    .fn = cmd_deploy,
};

struct printer {
	int json;
	const char *backend;
	char host[256];
};

static void json_line(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;

	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(j);
}

static void warn_insecure(const struct deploy_verdict *v)
{
	fprintf(stderr,
	        "enarx: ********************************************************************\n"
	        "enarx: WARNING: INSECURE KEEP (%s): no hardware root of trust.\n"
	        "enarx: The host can read and change this workload, its secrets and its\n"
	        "enarx: output. Accepted only because --insecure (or the policy) allows it.\n"
	        "enarx: ********************************************************************\n",
	        v->tee == ENARX_TEE_NONE ? "no TEE at all" : v->tee_name);
}

static const char *step_name(enum deploy_step s)
{
	static const char *const n[] = {"keep", "evidence", "policy", "sealed",
	                                "sent", "running",  "done"};

	return n[s];
}

static void on_step(void *ctx, const struct deploy_progress *p)
{
	const struct printer *pr = ctx;
	const struct deploy_verdict *v = p->verdict;

	if (pr->json) {
		json_t *j = json_pack("{s:s, s:f}", "step", step_name(p->step), "ms", p->ms);

		if (p->step == DEPLOY_STEP_KEEP)
			json_object_set_new(j, "backend", json_string(pr->backend)),
			    json_object_set_new(j, "host", json_string(pr->host));
		if (p->step == DEPLOY_STEP_EVIDENCE)
			json_object_set_new(j, "tee", json_string(v->tee_name)),
			    json_object_set_new(j, "tcb", json_string(v->tcb)),
			    json_object_set_new(j, "runtime", json_string(v->runtime)),
			    json_object_set_new(j, "measurement", json_string(v->measurement)),
			    json_object_set_new(j, "insecure", json_boolean(v->insecure)),
			    json_object_set_new(j, "note", json_string(v->note));
		if (p->step == DEPLOY_STEP_EVIDENCE && v->steward[0])
			json_object_set_new(j, "steward", json_string(v->steward));
		if (p->step == DEPLOY_STEP_SEALED || p->step == DEPLOY_STEP_RUNNING)
			json_object_set_new(j, "digest", json_string(p->digest_hex));
		if (p->step == DEPLOY_STEP_SEALED)
			json_object_set_new(j, "bytes", json_integer((json_int_t)p->sealed_bytes)),
			    json_object_set_new(j, "records", json_integer((json_int_t)p->records));
		json_line(j);
		if (p->step == DEPLOY_STEP_EVIDENCE && v->insecure)
			warn_insecure(v);
		return;
	}
	switch (p->step) {
	case DEPLOY_STEP_KEEP:
		fprintf(stderr, "enarx: Keep created: backend %s, %s\n", pr->backend, pr->host);
		break;
	case DEPLOY_STEP_EVIDENCE:
		fprintf(stderr, "enarx: evidence: TEE %s (%s); TCB %s; runtime %s%s%s\n",
		        v->tee_name, v->note, v->tcb, v->runtime, v->measurement[0] ? " " : "",
		        v->measurement);
		if (v->steward[0])
			fprintf(stderr, "enarx: steward: %s\n", v->steward);
		if (v->insecure)
			warn_insecure(v);
		break;
	case DEPLOY_STEP_POLICY:
		fprintf(stderr, "enarx: policy passed%s; key binding %s\n",
		        v->insecure ? " (insecure Keep accepted)" : "",
		        v->tee == ENARX_TEE_NONE ? "unchecked (no evidence)"
		        : v->steward[0]          ? "checked (signed by the certified key)"
		                                 : "checked");
		break;
	case DEPLOY_STEP_SEALED:
		fprintf(stderr,
		        "enarx: package sealed: %s, %zu bytes in %zu record%s "
		        "(HPKE X25519/HKDF-SHA256/AES-256-GCM)\n",
		        p->digest_hex, p->sealed_bytes, p->records, p->records == 1 ? "" : "s");
		break;
	case DEPLOY_STEP_SENT: fprintf(stderr, "enarx: sent\n"); break;
	case DEPLOY_STEP_RUNNING:
		fprintf(stderr, "enarx: running: the Keep opened %s and signed it\n",
		        p->digest_hex);
		break;
	case DEPLOY_STEP_DONE: break;
	}
}

static int report(const struct deploy_result *r, int json)
{
	static const char *const ends[] = {"", "refused", "failed", "exited", "trapped", "error"};
	int code = CLI_EXIT_FAIL;

	if (r->end == DEPLOY_EXITED)
		code = r->exit_code > 255 ? CLI_EXIT_FAIL : (int)r->exit_code;
	else if (r->end == DEPLOY_TRAPPED)
		code = KEEP_EXIT_TRAP;
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "step", "end", "result", ends[r->end],
		                      "exit_code", code);

		if (r->error[0])
			json_object_set_new(j, "error", json_string(r->error));
		json_line(j);
	}
	switch (r->end) {
	case DEPLOY_REFUSED: cli_error("deploy refused: %s", r->error); break;
	case DEPLOY_FAILED: cli_error("deploy failed: %s", r->error); break;
	case DEPLOY_ERROR: cli_error("the Keep could not run the workload: %s", r->error); break;
	case DEPLOY_TRAPPED: cli_print_trap(&r->trap); break;
	case DEPLOY_EXITED:
		if (r->exit_code > 255)
			cli_error("workload exit code %u does not fit in 8 bits", r->exit_code);
		break;
	}
	return code;
}

/* Every --reference file (this build's own runtimes are trusted too). */
static int load_refs(const struct opt_list *files, struct deploy_ref *refs, size_t *n)
{
	char err[PATH_MAX + 64];

	*n = 0;
	for (size_t i = 0; i < files->n; i++) {
		struct buf b = {0};
		int got;

		if (file_read_all(files->v[i], 1u << 20, &b, err, sizeof(err)) ||
		    buf_append_u8(&b, 0)) {
			cli_error("%s", err);
			buf_free(&b, 0);
			return -1;
		}
		got = deploy_parse_refs((const char *)b.data, refs, *n, DEPLOY_MAX_REFS, err,
		                        sizeof(err));
		buf_free(&b, 0);
		if (got < 0) {
			cli_error("--reference %s: %s", files->v[i], err);
			return -1;
		}
		*n = (size_t)got;
	}
	return 0;
}

static enarx_policy *load_policy(const char *path, int *failed)
{
	enarx_policy *p;

	*failed = cli_load_policy("deploy", path, 0, &p) != 0;
	return p;
}

static int deploy_local(const struct deploy_cli_opts *co, struct deploy_opts *o, struct pkg *pkg,
                        struct printer *pr)
{
	const struct backend *be = co->backend ? backend_find(co->backend) : backend_default();
	struct deploy_transport t;
	struct deploy_local *l = NULL;
	struct deploy_result r;
	char why[256] = "";
	int rc, code;

	if (!be) {
		cli_error("unknown backend '%s'", co->backend);
		return CLI_EXIT_USAGE;
	}
	if (!backend_usable(be, why, sizeof(why))) {
		cli_error("backend %s is not usable here: %s", be->name, why);
		return CLI_EXIT_FAIL;
	}
	pr->backend = be->name;
	rc = deploy_local_new(be, &l, &t);
	if (rc) {
		cli_error("cannot start a Keep on %s: %s", be->name, enarx_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	snprintf(pr->host, sizeof(pr->host), "private host agent (pid %d)", deploy_local_pid(l));
	rc = deploy_run(o, &t, pkg, &r);
	code = rc ? (cli_error("deploy: %s", enarx_strerror(rc)), CLI_EXIT_FAIL)
	          : report(&r, co->json);
	deploy_result_clear(&r);
	deploy_local_free(l);
	return code;
}

/* --host: a Keep at a host agent, through its keep-protocol relay. */
static int deploy_host(const struct deploy_cli_opts *co, struct deploy_opts *o, struct pkg *pkg,
                       struct printer *pr)
{
	struct client_conf cc = {.base = co->host,
	                         .cacert = co->cacert && *co->cacert ? co->cacert : NULL,
	                         .token_file =
	                             co->token_file && *co->token_file ? co->token_file : NULL,
	                         .cert = co->cert && *co->cert ? co->cert : NULL,
	                         .key = co->key && *co->key ? co->key : NULL};
	struct deploy_transport t;
	struct deploy_remote *rm = NULL;
	struct deploy_result r;
	char err[700];
	int rc, code;

	rc = deploy_remote_new(&cc, co->backend && *co->backend ? co->backend : NULL, &rm, &t, err,
	                       sizeof(err));
	if (rc) {
		cli_error("--host %s: %s", co->host, err);
		return CLI_EXIT_FAIL;
	}
	pr->backend = co->backend && *co->backend ? co->backend : "the host's choice";
	snprintf(pr->host, sizeof(pr->host), "host agent %s (Keep %s)", co->host,
	         deploy_remote_id(rm));
	rc = deploy_run(o, &t, pkg, &r);
	code = rc ? (cli_error("deploy: %s", enarx_strerror(rc)), CLI_EXIT_FAIL)
	          : report(&r, co->json);
	deploy_result_clear(&r);
	deploy_remote_free(rm);
	return code;
}

int cmd_deploy(int argc, char **argv)
{
	struct deploy_cli_opts co;
	struct deploy_opts o;
	struct deploy_ref refs[DEPLOY_MAX_REFS];
	struct printer pr;
	struct opt_result r;
	struct pkg pkg;
	enarx_policy *pol;
	int rc, failed;

	memset(&co, 0, sizeof(co));
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, not our death */
	rc = cli_parse(&cli_cmd_deploy, argc, argv, &co, &r);
	if (rc != CLI_CONTINUE)
		return rc;
	memset(&o, 0, sizeof(o));
	o.engine = KP_ENGINE_INTERP;
	if (co.engine && *co.engine && strcmp(co.engine, "interp") != 0) {
		if (strcmp(co.engine, "jit") != 0)
			return cli_usage_error("deploy", "unknown engine '%s' (jit or interp)",
			                       co.engine);
		o.engine = KP_ENGINE_JIT;
	}
	struct pkg_source src = {r.args[0], co.cfgfile && *co.cfgfile ? co.cfgfile : NULL,
	                         &co.env,   &co.secret,
	                         r.rest,    (size_t)r.nrest};
	if (load_refs(&co.refs, refs, &o.verify.nrefs) != 0)
		return CLI_EXIT_FAIL;
	pol = load_policy(co.policy, &failed);
	if (failed)
		return CLI_EXIT_FAIL;
	if (pkg_source_load(&src, &pkg) != 0) {
		enarx_policy_free(pol);
		return CLI_EXIT_FAIL;
	}
	o.verify.policy = pol;
	o.verify.insecure = co.insecure;
	o.verify.steward_url = co.steward && *co.steward ? co.steward : NULL;
	o.verify.steward_ca = co.steward_ca && *co.steward_ca ? co.steward_ca : NULL;
	o.verify.refs = refs;
	o.verify.trust_own = 1;
	o.log_level = (uint32_t)log_get_level();
	o.stdin_fd = STDIN_FILENO;
	o.stdout_fd = STDOUT_FILENO;
	o.stderr_fd = STDERR_FILENO;
	memset(&pr, 0, sizeof(pr));
	pr.json = co.json;
	o.on_step = on_step;
	o.ctx = &pr;
	if (co.host && *co.host) {
		rc = deploy_host(&co, &o, &pkg, &pr);
	} else {
		rc = deploy_local(&co, &o, &pkg, &pr);
	}
	pkg_clear(&pkg);
	enarx_policy_free(pol);
	return rc;
}
