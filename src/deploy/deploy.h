/* SPDX-License-Identifier: Apache-2.0 */
/* The client agent of `enarx deploy` (docs/deploy.md): asks a host for a
 * Keep (through a transport), checks the Keep's evidence against the
 * policy and the known runtimes, seals the package to that one Keep's key,
 * streams stdin to it and its stdout/stderr back, all sealed, and reports
 * the workload's outcome. The host in between sees ciphertext only. */
#ifndef ENARX_DEPLOY_DEPLOY_H
#define ENARX_DEPLOY_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

#include <enarx/attest.h>

#include "keep/abi.h"
#include "keep/proto.h"
#include "package/package.h"

/* A way to one Keep's keep protocol: the in-process host (deploy_local_*)
 * or a host agent over HTTPS. Frames go through verbatim. */
struct deploy_transport {
	/* Queues one frame for the Keep. 0 or ENARX_E_*. */
	int (*send)(void *ctx, uint32_t type, const uint8_t *p, size_t len);
	/* Waits up to timeout_ms (-1: no limit) for the Keep's next frame:
	 * 0 with *p (owned, xfree), 1 on timeout, ENARX_E_NOTFOUND once the
	 * Keep's stream has ended, another ENARX_E_* on failure. */
	int (*recv)(void *ctx, int timeout_ms, uint32_t *type, uint8_t **p, size_t *len);
	/* Stops sending (the Keep sees the end of its input). May be NULL. */
	void (*close_input)(void *ctx);
	void *ctx;
};

/* A known runtime: the measurement a Keep of one Enarx build has on one
 * backend (`enarx measure --json`). */
struct deploy_ref {
	char backend[16];
	char version[64];
	uint8_t measurement[KEEP_DIGEST_LEN];
};

#define DEPLOY_MAX_REFS 32

struct deploy_verify_opts {
	const enarx_policy *policy; /* NULL: the default (hardware TEEs only) */
	int insecure;               /* --insecure: accept nil and kvm Keeps */
	const struct deploy_ref *refs;
	size_t nrefs;
	int trust_own; /* also this build's own runtimes (deploy_own_refs),
			  computed only when evidence has a measurement */
	/* --steward URL [--steward-ca FILE] (docs/deploy.md "With Steward"):
	 * the Keep's CSR goes to Steward, whose certificate (chained to
	 * steward_ca, else the system's roots) and claims replace the raw
	 * evidence checks; the certified key must have signed the Keep's
	 * keys and our nonce. NULL: check the evidence here. */
	const char *steward_url;
	const char *steward_ca;
};

/* What the client learned about the Keep. */
struct deploy_verdict {
	enarx_tee tee;                             /* ENARX_TEE_NONE on nil */
	int insecure;                              /* no hardware root of trust */
	char tee_name[16];                         /* "none (nil)", "kvm", "snp", ... */
	char tcb[96];                              /* the TCB as the evidence states it */
	char runtime[96];                          /* "enarx 0.1.0 (kvm)" or "unmeasured" */
	char measurement[2 * KEEP_DIGEST_LEN + 8]; /* "sha384:hex" or "" */
	char note[KP_NOTE_MAX + 1];
	char steward[160]; /* with --steward: "serial S, verified at T" */
	uint8_t binding[KP_BINDING_LEN];
	uint8_t kem_pk[KP_KEY_MAX], sig_pk[KP_KEY_MAX];
	size_t kem_pk_len, sig_pk_len;
};

/* Checks an EVIDENCE message against nonce and the options: nonce
 * freshness, evidence (enarx_attest_verify), policy, key binding
 * (REPORT_DATA = seal_binding(keys, nonce)), runtime measurement among the
 * references, insecure Keeps. Returns 0 with *v filled, or an ENARX_E_*
 * with why naming the check and the values ("nonce: ...", "key binding:
 * ...", "runtime: ...", "insecure Keep: ...", "policy: ...",
 * "evidence: ..."). */
int deploy_verify(const struct deploy_verify_opts *o, const uint8_t *evidence_msg, size_t len,
                  const uint8_t *nonce, size_t nonce_len, struct deploy_verdict *v, char *why,
                  size_t whylen);

/* The references this build trusts by default: its own runtime on each
 * backend with a launch measurement (kvm). Returns how many were added to
 * refs (at most cap). */
size_t deploy_own_refs(struct deploy_ref *refs, size_t cap);

/* Reads `enarx measure --json` output (one object or an array of them)
 * into refs after the n already there. Returns the new count, or -1 with
 * err. */
int deploy_parse_refs(const char *json, struct deploy_ref *refs, size_t n, size_t cap, char *err,
                      size_t errlen);

/* Steps the client reports as they happen. */
enum deploy_step {
	DEPLOY_STEP_KEEP,     /* Keep created */
	DEPLOY_STEP_EVIDENCE, /* evidence received and checked */
	DEPLOY_STEP_POLICY,   /* policy passed */
	DEPLOY_STEP_SEALED,   /* package sealed */
	DEPLOY_STEP_SENT,     /* package sent */
	DEPLOY_STEP_RUNNING,  /* the Keep opened it and confirmed its digest */
	DEPLOY_STEP_DONE,     /* the workload's outcome arrived */
};

struct deploy_progress {
	enum deploy_step step;
	const struct deploy_verdict *verdict; /* from EVIDENCE on */
	const char *digest_hex;               /* from SEALED on */
	size_t sealed_bytes, records;
	double ms; /* since the start */
};

struct deploy_opts {
	struct deploy_verify_opts verify;
	uint32_t engine, log_level;
	int stdin_fd;  /* streamed to the workload sealed; -1: empty stdin */
	int stdout_fd; /* where the workload's stdout and stderr go */
	int stderr_fd;
	void (*on_step)(void *ctx, const struct deploy_progress *p);
	void *ctx;
	const char *host_name; /* for messages: "in-process host (nil)" */
};

enum deploy_end {
	DEPLOY_REFUSED = 1, /* a check failed: nothing was sent */
	DEPLOY_FAILED,      /* the Keep or the host failed the session */
	DEPLOY_EXITED,      /* the workload exited: exit_code */
	DEPLOY_TRAPPED,     /* the workload trapped: trap */
	DEPLOY_ERROR,       /* the Keep could not run it: error (sealed) */
};

struct deploy_result {
	enum deploy_end end;
	uint32_t exit_code;
	struct kp_trap trap; /* DEPLOY_TRAPPED; kp_trap_clear */
	char error[512];     /* DEPLOY_REFUSED / _FAILED / _ERROR: what and why */
	struct deploy_verdict verdict;
	uint8_t digest[PKG_DIGEST_LEN];
	/* how long each part took (ms), for the bench */
	double t_evidence, t_verify, t_seal, t_transfer, t_run, t_total;
};

/* Runs one deploy of pkg (its output key is replaced by a fresh one) over
 * t. Returns 0 when the session reached an end (see r->end), or an
 * ENARX_E_* for a local failure (out of memory); r->error says more. */
int deploy_run(const struct deploy_opts *o, const struct deploy_transport *t, struct pkg *pkg,
               struct deploy_result *r);

void deploy_result_clear(struct deploy_result *r);

/* ---- the in-process host ------------------------------------------------ */
struct backend;
struct deploy_local;

/* Starts a Keep on be (the embedded executor) whose keep protocol the
 * transport carries; stdio of the Keep: /dev/null, /dev/null, the host's
 * stderr (the executor's own log). Returns 0 or ENARX_E_*. */
int deploy_local_new(const struct backend *be, struct deploy_local **out,
                     struct deploy_transport *t);
void deploy_local_free(struct deploy_local *l);
/* The private host's process id. */
int deploy_local_pid(const struct deploy_local *l);

#endif
