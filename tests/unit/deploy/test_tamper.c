/* SPDX-License-Identifier: Apache-2.0 */
/* A hostile host against the deploy flow (src/deploy): real Keeps on a
 * real backend (argv[1]: nil or kvm; one the host cannot run skips with its
 * reason) behind the private host agent, with a transport in between that
 * tampers with the frames the way a host could. Each attack must be
 * refused with its own reason, and none may reach the workload's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "crypto/hpke.h"
#include "deploy/deploy.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "package/package.h"
#include "package/seal.h"

enum attack {
	NONE,
	FLIP_PACKAGE,    /* a flipped byte in a sealed package record */
	FLIP_HEAD,       /* a flipped byte in the HPKE enc of the seal head */
	TRUNCATE,        /* the last package record dropped, the input closed */
	REORDER,         /* package records 0 and 1 swapped */
	SPLICE,          /* the package sealed to Keep A sent to Keep B */
	SWAP_KEY,        /* the Keep's HPKE public key replaced by the host's */
	REPLAY,          /* evidence of an earlier session (old nonce) */
	BAD_BINDING,     /* REPORT_DATA changed in the (kvm) evidence */
	BAD_MEASUREMENT, /* the (kvm) launch measurement changed */
	FLIP_OUTPUT,     /* a flipped byte in a sealed output record */
	DROP_OUTPUT,     /* the Keep's output cut short */
};

static const struct backend *be;
/* --steward for the next deploy() (NULL: the evidence is checked here) */
static const char *steward_url, *steward_ca;
static struct buf hello_wasm;
static uint8_t old_evidence[8192];
static size_t old_evidence_len;

struct evil {
	enum attack a;
	struct deploy_transport keep, other; /* other: Keep B (SPLICE) */
	int sealed_in, sealed_out, got_evidence;
	struct buf held;
};

static void flip(uint8_t *p, size_t len, size_t at)
{
	p[at < len ? at : len - 1] ^= 0x40;
}

static int e_send(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct evil *e = ctx;
	uint8_t *c = xmalloc(len ? len : 1);
	int rc = 0, idx = type == KP_SEALED_IN ? e->sealed_in++ : -1;

	memcpy(c, p, len);
	if (e->a == SPLICE && type == KP_DEPLOY_HELLO)
		e->other.send(e->other.ctx, type, c, len); /* Keep B gets its own session */
	if (e->a == SPLICE && (type == KP_SEAL_HEAD || type == KP_SEALED_IN))
		rc = e->other.send(e->other.ctx, type, c, len);
	else if (e->a == FLIP_PACKAGE && idx == 1)
		flip(c, len, len / 2), rc = e->keep.send(e->keep.ctx, type, c, len);
	else if (e->a == FLIP_HEAD && type == KP_SEAL_HEAD)
		flip(c, len, len - 3), rc = e->keep.send(e->keep.ctx, type, c, len);
	else if (e->a == TRUNCATE && idx == 1)
		e->keep.close_input(e->keep.ctx); /* the rest never arrives */
	else if (e->a == TRUNCATE && idx > 1)
		rc = 0;
	else if (e->a == REORDER && idx == 0)
		buf_append(&e->held, c, len);
	else if (e->a == REORDER && idx == 1) {
		rc = e->keep.send(e->keep.ctx, type, c, len);
		if (!rc)
			rc = e->keep.send(e->keep.ctx, type, e->held.data, e->held.len);
	} else
		rc = e->keep.send(e->keep.ctx, type, c, len);
	xfree(c);
	return rc;
}

/* Rewrites an EVIDENCE message with field changes. */
static void rewrite_evidence(struct evil *e, uint8_t **p, size_t *len)
{
	struct kp_evidence ev;
	struct buf b = {0};
	uint8_t evd[KP_EVIDENCE_MAX];
	hpke_key *k = NULL;

	assert_int_equal(kp_dec_evidence(*p, *len, &ev), 0);
	memcpy(evd, ev.evidence, ev.evidence_len);
	ev.evidence = evd;
	if (e->a == SWAP_KEY) {
		assert_int_equal(hpke_key_generate(SEAL_KEM, &k), 0);
		ev.kem_pk = hpke_key_public(k, &ev.kem_pk_len);
	}
	if (e->a == BAD_BINDING && ev.evidence_len == 128)
		evd[64 + 5] ^= 1; /* struct keep_kvm_evidence.report_data */
	if (e->a == BAD_MEASUREMENT && ev.evidence_len == 128)
		evd[16 + 7] ^= 1; /* .measurement */
	assert_int_equal(kp_enc_evidence(&b, &ev), 0);
	hpke_key_free(k);
	xfree(*p);
	*p = b.data;
	*len = b.len;
}

static int e_recv(void *ctx, int timeout, uint32_t *type, uint8_t **p, size_t *len)
{
	struct evil *e = ctx;
	const struct deploy_transport *t = e->a == SPLICE && e->got_evidence ? &e->other : &e->keep;
	int rc = t->recv(t->ctx, timeout, type, p, len);

	if (rc || e->got_evidence || *type != KP_EVIDENCE) {
		if (!rc && *type == KP_SEALED_OUT) {
			int i = e->sealed_out++;

			if (e->a == FLIP_OUTPUT && i == 1)
				flip(*p, *len, *len - 1);
			if (e->a == DROP_OUTPUT && i >= 1) {
				xfree(*p);
				return ENARX_E_NOTFOUND;
			}
		}
		return rc;
	}
	e->got_evidence = 1;
	if (e->a == NONE && *len <= sizeof(old_evidence)) {
		memcpy(old_evidence, *p, *len); /* for REPLAY */
		old_evidence_len = *len;
	}
	if (e->a == REPLAY && old_evidence_len) {
		xfree(*p);
		*p = xmalloc(old_evidence_len);
		memcpy(*p, old_evidence, old_evidence_len);
		*len = old_evidence_len;
	}
	if (e->a == SWAP_KEY || e->a == BAD_BINDING || e->a == BAD_MEASUREMENT)
		rewrite_evidence(e, p, len);
	if (e->a == SPLICE) {
		/* Keep B's own evidence is the host's to drop */
		uint32_t t2;
		uint8_t *p2;
		size_t l2;

		if (e->other.recv(e->other.ctx, -1, &t2, &p2, &l2) == 0)
			xfree(p2);
	}
	return 0;
}

static void e_close(void *ctx)
{
	struct evil *e = ctx;

	e->keep.close_input(e->keep.ctx);
}

/* One deploy of hello (plus padding so the package takes two records)
 * through the attack; the workload's stdout goes to a temporary file. */
static void deploy(enum attack a, int insecure, struct deploy_result *r, char *out, size_t outn)
{
	struct deploy_local *k1 = NULL, *k2 = NULL;
	struct evil e = {.a = a};
	struct deploy_transport t = {e_send, e_recv, e_close, &e};
	struct deploy_opts o = {.stdin_fd = -1, .stderr_fd = 2};
	struct pkg pkg = {0};
	char err[200], *pad = xmalloc(700000);
	FILE *f = tmpfile();
	size_t n;

	memset(pad, 'p', 699999);
	pad[699999] = 0;
	assert_int_equal(
	    pkg_add(&pkg, PKG_WASM, "main.wasm", hello_wasm.data, hello_wasm.len, err, sizeof(err)),
	    0);
	assert_int_equal(pkg_add(&pkg, PKG_ENV, "PAD1", pad, strlen(pad), err, sizeof(err)), 0);
	assert_int_equal(pkg_add(&pkg, PKG_ENV, "PAD2", pad, strlen(pad), err, sizeof(err)), 0);
	xfree(pad);
	o.stdout_fd = fileno(f);
	o.verify.insecure = insecure;
	o.verify.trust_own = 1;
	o.verify.steward_url = steward_url;
	o.verify.steward_ca = steward_ca;
	assert_int_equal(deploy_local_new(be, &k1, &e.keep), 0);
	if (a == SPLICE)
		assert_int_equal(deploy_local_new(be, &k2, &e.other), 0);
	assert_int_equal(deploy_run(&o, &t, &pkg, r), 0);
	deploy_local_free(k1);
	deploy_local_free(k2);
	fflush(f);
	rewind(f);
	n = fread(out, 1, outn - 1, f);
	out[n] = 0;
	fclose(f);
	pkg_clear(&pkg);
	buf_free(&e.held, 0);
	printf("# %s\n", r->error[0] ? r->error : "(no error)");
}

#define EXPECT(attack, insecure, want_end, needle)                   \
	do {                                                         \
		struct deploy_result r;                              \
		char out[256];                                       \
		deploy(attack, insecure, &r, out, sizeof(out));      \
		assert_int_equal(r.end, want_end);                   \
		assert_non_null(strstr(r.error, needle));            \
		assert_null(strstr(out, "Hello")); /* nothing ran */ \
		deploy_result_clear(&r);                             \
	} while (0)

static int is_kvm(void)
{
	return strcmp(be->name, "kvm") == 0;
}

static void t_untouched(void **state)
{
	struct deploy_result r;
	char out[256];

	(void)state;
	deploy(NONE, 1, &r, out, sizeof(out));
	assert_int_equal(r.end, DEPLOY_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(out, "Hello, world!\n");
	deploy_result_clear(&r);
}

static void t_flip_package(void **state)
{
	(void)state;
	EXPECT(FLIP_PACKAGE, 1, DEPLOY_FAILED, "record 1 is not authentic");
}

static void t_flip_head(void **state)
{
	(void)state;
	EXPECT(FLIP_HEAD, 1, DEPLOY_FAILED, "record 0 is not authentic");
}

static void t_truncate(void **state)
{
	(void)state;
	EXPECT(TRUNCATE, 1, DEPLOY_FAILED,
	       "package truncated: the channel closed after 1 records, before the last one");
}

static void t_reorder(void **state)
{
	(void)state;
	EXPECT(REORDER, 1, DEPLOY_FAILED, "record 1 arrived where record 0 was expected");
}

static void t_splice(void **state)
{
	(void)state;
	EXPECT(SPLICE, 1, DEPLOY_FAILED, "package: sealed to another Keep: binding");
}

static void t_swap_key(void **state)
{
	(void)state;
	/* with evidence the client refuses; without (nil) the Keep does */
	if (is_kvm())
		EXPECT(SWAP_KEY, 1, DEPLOY_REFUSED, "key binding: REPORT_DATA");
	else
		EXPECT(SWAP_KEY, 1, DEPLOY_FAILED, "sealed to another Keep");
}

static void t_replay(void **state)
{
	(void)state;
	assert_true(old_evidence_len > 0);
	EXPECT(REPLAY, 1, DEPLOY_REFUSED, "nonce: the evidence answers nonce");
}

static void t_bad_binding(void **state)
{
	(void)state;
	EXPECT(BAD_BINDING, 1, DEPLOY_REFUSED, "key binding: REPORT_DATA");
}

static void t_bad_measurement(void **state)
{
	(void)state;
	EXPECT(BAD_MEASUREMENT, 1, DEPLOY_REFUSED, "is not a known Enarx runtime on kvm");
}

static void t_insecure(void **state)
{
	(void)state;
	EXPECT(NONE, 0, DEPLOY_REFUSED, "insecure Keep");
}

static void t_flip_output(void **state)
{
	(void)state;
	EXPECT(FLIP_OUTPUT, 1, DEPLOY_FAILED, "output: record 1 is not authentic");
}

static void t_drop_output(void **state)
{
	(void)state;
	EXPECT(DROP_OUTPUT, 1, DEPLOY_FAILED,
	       "the host ended the session before the Keep's sealed outcome");
}

/* ---- with Steward (docs/deploy.md "With Steward") -------------------------
 * Two real `enarx steward serve` processes on loopback with temporary state:
 * [0] admits KVM Keeps, [1] has the production policy (no KVM). */
struct steward {
	pid_t pid;
	char dir[64], url[64], ca[128];
};

static struct steward stw[2];
static int have_steward;

static int steward_start(struct steward *s, const char *enarx, const char *policy)
{
	char pol[128], line[256], *port = NULL;
	int pfd[2];
	FILE *f, *out;

	snprintf(s->dir, sizeof(s->dir), "/tmp/enarx-tamper-steward.XXXXXX");
	if (!mkdtemp(s->dir) || pipe(pfd))
		return -1;
	snprintf(pol, sizeof(pol), "%s/policy.toml", s->dir);
	snprintf(s->ca, sizeof(s->ca), "%s/state/ca-cert.pem", s->dir);
	f = fopen(pol, "w");
	if (!f)
		return -1;
	fputs(policy, f);
	fclose(f);
	s->pid = fork();
	if (s->pid == 0) {
		char state[96];

		snprintf(state, sizeof(state), "%s/state", s->dir);
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(enarx, "enarx", "steward", "serve", "--listen", "127.0.0.1:0", "--state",
		      state, "--policy", pol, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	out = fdopen(pfd[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		if (strncmp(line, "port ", 5) == 0)
			snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%ld",
			         strtol(line + 5, NULL, 10));
		if (strncmp(line, "ready", 5) == 0)
			port = s->url;
		if (port)
			break;
	}
	if (out)
		fclose(out); /* serve writes nothing more to stdout */
	return port && s->url[0] ? 0 : -1;
}

static void steward_stop(struct steward *s)
{
	pid_t rm;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (!s->dir[0] || (rm = fork()) < 0)
		return;
	if (rm == 0) {
		execlp("rm", "rm", "-rf", s->dir, (char *)NULL);
		_exit(127);
	}
	waitpid(rm, NULL, 0);
}

#define WITH_STEWARD(i, ca) (steward_url = stw[i].url, steward_ca = (ca))
#define NO_STEWARD() (steward_url = steward_ca = NULL)

static void t_steward_ok(void **state)
{
	struct deploy_result r;
	char out[256];

	(void)state;
	WITH_STEWARD(0, stw[0].ca);
	deploy(NONE, 1, &r, out, sizeof(out));
	NO_STEWARD();
	assert_int_equal(r.end, DEPLOY_EXITED);
	assert_non_null(strstr(out, "Hello, world!"));
	assert_non_null(strstr(r.verdict.steward, "certified by https://127.0.0.1:"));
	assert_string_equal(r.verdict.tee_name, "kvm");
	assert_non_null(strstr(r.verdict.runtime, "(kvm)"));
	deploy_result_clear(&r);
}

static void t_steward_swap_key(void **state)
{
	(void)state;
	WITH_STEWARD(0, stw[0].ca);
	EXPECT(SWAP_KEY, 1, DEPLOY_REFUSED,
	       "key binding: the Keep's keys and our nonce are not signed by the key Steward "
	       "certified");
	NO_STEWARD();
}

static void t_steward_wrong_ca(void **state)
{
	(void)state;
	WITH_STEWARD(0, stw[1].ca); /* the other Steward's CA */
	EXPECT(NONE, 1, DEPLOY_REFUSED, "steward: cannot reach https://127.0.0.1:");
	NO_STEWARD();
}

static void t_steward_refuses(void **state)
{
	(void)state;
	WITH_STEWARD(1, stw[1].ca); /* production policy: no KVM */
	EXPECT(NONE, 1, DEPLOY_REFUSED, "refused the Keep (HTTP 403, check policy.tee)");
	NO_STEWARD();
}

static void t_steward_insecure(void **state)
{
	(void)state;
	WITH_STEWARD(0, stw[0].ca);
	EXPECT(NONE, 0, DEPLOY_REFUSED, "insecure Keep: Steward certified a kvm Keep");
	NO_STEWARD();
}

static void t_steward_nil(void **state)
{
	(void)state;
	WITH_STEWARD(0, stw[0].ca);
	EXPECT(NONE, 1, DEPLOY_REFUSED, "steward: the Keep sent no CSR");
	NO_STEWARD();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_untouched),
	    cmocka_unit_test(t_flip_package),
	    cmocka_unit_test(t_flip_head),
	    cmocka_unit_test(t_truncate),
	    cmocka_unit_test(t_reorder),
	    cmocka_unit_test(t_splice),
	    cmocka_unit_test(t_swap_key),
	    cmocka_unit_test(t_replay),
	    cmocka_unit_test(t_insecure),
	    cmocka_unit_test(t_flip_output),
	    cmocka_unit_test(t_drop_output),
	    /* evidence attacks: only a Keep with evidence (kvm) has any */
	    cmocka_unit_test(t_bad_binding),
	    cmocka_unit_test(t_bad_measurement),
	};
	const char *build = getenv("ENARX_BUILD");
	char path[512], why[256] = "";

	be = backend_find(argc > 1 ? argv[1] : "nil");
	if (!be || !backend_usable(be, why, sizeof(why))) {
		printf("1..0 # SKIP backend %s not usable: %s\n", argc > 1 ? argv[1] : "nil",
		       be ? why : "not in this build");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/examples/hello.wasm", build ? build : ".");
	if (file_read_all(path, 1 << 20, &hello_wasm, why, sizeof(why))) {
		printf("1..0 # SKIP the examples are not built: %s\n", why);
		return 0;
	}
	if (!is_kvm())
		printf("# nil has no evidence: the binding and measurement attacks run on kvm\n");
	snprintf(path, sizeof(path), "%s/src/cli/enarx", build ? build : ".");
	have_steward = access(path, X_OK) == 0 &&
	               steward_start(&stw[0], path,
	                             "tee = [\"snp\", \"sgx\", \"tdx\", \"kvm\"]\n"
	                             "allow_insecure = true\n") == 0 &&
	               steward_start(&stw[1], path, "tee = [\"snp\", \"sgx\", \"tdx\"]\n") == 0;
	if (!have_steward)
		printf("# no Steward (enarx steward serve did not start): the --steward cases are "
		       "left out\n");
	{
		const struct CMUnitTest kvm_steward[] = {
		    cmocka_unit_test(t_steward_ok),       cmocka_unit_test(t_steward_swap_key),
		    cmocka_unit_test(t_steward_wrong_ca), cmocka_unit_test(t_steward_refuses),
		    cmocka_unit_test(t_steward_insecure),
		};
		const struct CMUnitTest nil_steward[] = {cmocka_unit_test(t_steward_nil)};
		struct CMUnitTest all[32];
		size_t n = is_kvm() ? 13 : 11;
		int rc;

		memcpy(all, tests, n * sizeof(all[0]));
		if (have_steward && is_kvm())
			memcpy(all + n, kvm_steward, sizeof(kvm_steward)), n += 5;
		else if (have_steward)
			memcpy(all + n, nil_steward, sizeof(nil_steward)), n += 1;
		rc = _cmocka_run_group_tests("tests", all, n, NULL, NULL);
		steward_stop(&stw[0]);
		steward_stop(&stw[1]);
		return rc;
	}
}
