/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest-bench: verifications per second for a real SNP report and a real
 * SGX quote (with collateral), certificate chains cached in the verifier
 * context. Each iteration builds a fresh evidence bundle from the bytes, as
 * a server handling requests would. Usage: attest-bench [SECONDS] (default 2).
 * Needs ENARX_SHARED (../shared beside the repo by default).
 */
#include <enarx/attest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char *slurp(const char *dir, const char *rel, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/testdata/attestation/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
	if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "read %s failed\n", path);
		exit(2);
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

static double clk(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clk(CLOCK_MONOTONIC);
}

struct item {
	const unsigned char *p;
	size_t n;
};

/* One verification of a fresh bundle; exits on failure. */
static int run_once(enarx_attest *a, const struct item *ev, const struct item *extra, time_t at)
{
	enarx_evidence *e = enarx_evidence_new();
	enarx_claims *c = NULL;
	if (!e || enarx_evidence_set_auto(e, ev->p, ev->n) ||
	    enarx_evidence_add(e, extra->p, extra->n) || enarx_attest_verify(a, e, at, &c)) {
		fprintf(stderr, "verification failed: %s\n", enarx_attest_error(a));
		exit(1);
	}
	enarx_claims_free(c);
	enarx_evidence_free(e);
	return 0;
}

/* Returns verifications per wall-clock second; *per_cpu gets them per CPU
 * second of this process (what one core does when not shared). */
static double run(enarx_attest *a, const struct item *ev, const struct item *extra, int nextra,
                  time_t at, double secs, double *per_cpu)
{
	unsigned long count = 0;
	double t0 = now(), t, c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (int k = 0; k < 20; k++) {
			enarx_evidence *e = enarx_evidence_new();
			enarx_claims *c = NULL;
			if (!e || enarx_evidence_set_auto(e, ev->p, ev->n)) {
				fprintf(stderr, "evidence setup failed\n");
				exit(1);
			}
			for (int i = 0; i < nextra; i++)
				if (enarx_evidence_add(e, extra[i].p, extra[i].n)) {
					fprintf(stderr, "evidence add failed\n");
					exit(1);
				}
			int rc = enarx_attest_verify(a, e, at, &c);
			if (rc) {
				fprintf(stderr, "verification failed: %s\n", enarx_attest_error(a));
				exit(1);
			}
			enarx_claims_free(c);
			enarx_evidence_free(e);
			count++;
		}
		t = now();
	} while (t - t0 < secs);
	*per_cpu = (double)count / (clk(CLOCK_PROCESS_CPUTIME_ID) - c0);
	return (double)count / (t - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	const char *shared = getenv("ENARX_SHARED");
	if (!shared)
		shared = "../shared";
	if (secs <= 0)
		secs = 2.0;
	enarx_attest *a = enarx_attest_new();
	if (!a)
		return 1;
	size_t n1, n2, n3, n4;
	struct item snp = {slurp(shared, "snp/reports/virtee_milan/report.bin", &n1), 0};
	snp.n = n1;
	struct item vcek = {slurp(shared, "snp/reports/virtee_milan/vcek.der", &n2), 0};
	vcek.n = n2;
	struct item sgx = {slurp(shared, "sgx/phala_sgx_icx/quote.bin", &n3), 0};
	sgx.n = n3;
	struct item col = {slurp(shared, "sgx/phala_sgx_icx/collateral.json", &n4), 0};
	col.n = n4;
	struct tm snp_tm = {.tm_year = 124, .tm_mon = 0, .tm_mday = 1};
	struct tm sgx_tm = {.tm_year = 125, .tm_mon = 6, .tm_mday = 1};
	double c1, c2;
	double r1 = run(a, &snp, &vcek, 1, timegm(&snp_tm), secs, &c1);
	double r2 = run(a, &sgx, &col, 1, timegm(&sgx_tm), secs, &c2);
	printf("%-46s %10s %12s\n", "attestation verification (1 thread)", "verif/s",
	       "verif/cpu-s");
	printf("%-46s %10.0f %12.0f\n", "SNP report (virtee_milan, VCEK chain cached)", r1, c1);
	printf("%-46s %10.0f %12.0f\n", "SGX quote + collateral (phala_sgx_icx, cached)", r2, c2);
	/* Cold: a new context each time, so the chains and collateral are checked too. */
	double cold[2];
	for (int k = 0; k < 2; k++) {
		double t0 = now();
		int n = 0;
		do {
			enarx_attest *fresh = enarx_attest_new();
			if (!fresh)
				return 1;
			(void)run_once(fresh, k == 0 ? &snp : &sgx, k == 0 ? &vcek : &col,
			               k == 0 ? timegm(&snp_tm) : timegm(&sgx_tm));
			enarx_attest_free(fresh);
			n++;
		} while (now() - t0 < secs / 2);
		cold[k] = n / (now() - t0);
	}
	printf("%-46s %10.0f\n", "SNP, cold (new context: chain + pinned roots)", cold[0]);
	printf("%-46s %10.0f\n", "SGX, cold (new context: PCK chain, collateral)", cold[1]);
	enarx_attest_free(a);
	return 0;
}
