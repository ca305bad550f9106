/* SPDX-License-Identifier: Apache-2.0 */
/* deploy-bench (`make bench`): the cost of a deploy and of its sealing.
 *   deploy-bench deploy ENARX HELLO.wasm N   one deploy on nil, by phase
 *                                            (median of N), against
 *                                            `enarx run` of the same module
 *   deploy-bench parallel ENARX HELLO.wasm N 8 concurrent `enarx deploy`s
 *   deploy-bench seal MB                     sealing/opening throughput vs
 *                                            plain AES-256-GCM (OpenSSL)
 * Prints table rows; never a test. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "deploy/deploy.h"
#include "lib/buf.h"
#include "lib/file.h"
#include "package/seal.h"

extern char **environ;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Runs argv with stdout and stderr to /dev/null; returns its status. */
static int spawn(const char *const *argv, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static double time_cmd(const char *const *argv)
{
	double t = now_ms();
	pid_t pid;
	int st;

	if (spawn(argv, &pid) || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "deploy-bench: %s %s failed\n", argv[0], argv[1]);
		exit(1);
	}
	return now_ms() - t;
}

static int bench_deploy(const char *enarx, const char *wasm, int n)
{
	const struct backend *be = backend_find("nil");
	double *col[9];
	struct buf w = {0};
	char err[256];
	const char *run[] = {enarx, "run", "--backend", "nil", wasm, NULL};
	const char *dep[] = {enarx, "deploy", "--insecure", "--backend", "nil", wasm, NULL};
	static const char *const names[] = {"Keep creation (private host agent fork)",
	                                    "Keep start, keys and evidence",
	                                    "verification",
	                                    "sealing",
	                                    "transfer (to the host agent)",
	                                    "opening and run (until the sealed outcome)",
	                                    "deploy, in-process total",
	                                    "enarx run (process, wall)",
	                                    "enarx deploy (process, wall)"};

	if (file_read_all(wasm, 1 << 20, &w, err, sizeof(err))) {
		fprintf(stderr, "deploy-bench: %s\n", err);
		return 1;
	}
	for (int c = 0; c < 9; c++)
		col[c] = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		struct deploy_opts o = {.stdin_fd = -1, .stderr_fd = 2, .verify.insecure = 1};
		struct deploy_transport t;
		struct deploy_local *l;
		struct deploy_result r;
		struct pkg pkg = {0};
		int devnull = open("/dev/null", O_WRONLY);
		double t0 = now_ms();

		o.stdout_fd = devnull;
		if (pkg_add(&pkg, PKG_WASM, "main.wasm", w.data, w.len, err, sizeof(err)) ||
		    deploy_local_new(be, NULL, &l, &t))
			return 1;
		col[0][i] = now_ms() - t0;
		deploy_run(&o, &t, &pkg, &r);
		deploy_local_free(l);
		col[6][i] = now_ms() - t0;
		if (r.end != DEPLOY_EXITED) {
			fprintf(stderr, "deploy-bench: %s\n", r.error);
			return 1;
		}
		col[1][i] = r.t_evidence;
		col[2][i] = r.t_verify;
		col[3][i] = r.t_seal;
		col[4][i] = r.t_transfer;
		col[5][i] = r.t_run;
		deploy_result_clear(&r);
		pkg_clear(&pkg);
		close(devnull);
		col[7][i] = time_cmd(run);
		col[8][i] = time_cmd(dep);
	}
	printf("%-46s %12s\n", "hello on nil, median of N", "ms");
	for (int c = 0; c < 9; c++)
		printf("%-46s %12.3f\n", names[c], median(col[c], n));
	printf("%-46s %12.3f\n", "deploy minus run (process, wall)",
	       median(col[8], n) - median(col[7], n));
	buf_free(&w, 0);
	return 0;
}

static int bench_parallel(const char *enarx, const char *wasm, int n)
{
	const char *dep[] = {enarx, "deploy", "--insecure", "--backend", "nil", wasm, NULL};
	double t0 = now_ms();
	int started = 0, done = 0, running = 0, st;
	pid_t pid;

	while (done < n) {
		while (running < 8 && started < n) {
			if (spawn(dep, &pid))
				return 1;
			started++;
			running++;
		}
		if (wait(&st) < 0)
			return 1;
		running--;
		done++;
	}
	printf("%-46s %12.1f\n", "deploys per second, 8 concurrent clients",
	       n * 1e3 / (now_ms() - t0));
	return 0;
}

/* MB/s of seal_record+seal_open over mb MiB vs AES-256-GCM on the same
 * 1 MiB chunks. */
static int bench_seal(int mb)
{
	size_t chunk = SEAL_RECORD_MAX, total = (size_t)mb << 20;
	uint8_t *pt = malloc(chunk + 1), *ct = malloc(chunk + 16), key[32], iv[12] = {0}, tag[16];
	uint8_t binding[KP_BINDING_LEN] = {0};
	hpke_key *k;
	struct seal_stream *s, *r;
	struct buf head = {0}, f = {0}, out = {0};
	double t, seal_ms, open_ms, gcm_ms;
	char err[256];
	uint8_t tg_tag;
	int fin, len;

	RAND_bytes(pt, (int)chunk);
	RAND_bytes(key, sizeof(key));
	if (hpke_key_generate(SEAL_KEM, &k) ||
	    seal_sender_new(k, NULL, SEAL_TO_KEEP, binding, &head, &s) ||
	    seal_recipient_new(k, NULL, SEAL_TO_KEEP, binding, head.data, head.len, &r, err,
	                       sizeof(err)))
		exit(1);
	/* best of 5 rounds of each: the machine is shared */
	gcm_ms = seal_ms = open_ms = 1e300;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	for (int round = 0; round < 5; round++) {
		double ts = 0, to = 0, tg;

		for (size_t done = 0; done < total; done += chunk) {
			f.len = out.len = 0;
			t = now_ms();
			seal_record_spare(s, SEAL_PKG, pt, chunk, &f);
			ts += now_ms() - t;
			t = now_ms();
			if (seal_open(r, f.data, f.len, &tg_tag, &out, &fin, err, sizeof(err)))
				exit(1);
			to += now_ms() - t;
		}
		t = now_ms();
		for (size_t done = 0; done < total; done += chunk) {
			iv[0]++;
			EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
			EVP_EncryptUpdate(c, ct, &len, pt, (int)chunk);
			EVP_EncryptFinal_ex(c, ct + len, &len);
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
		}
		tg = now_ms() - t;
		seal_ms = ts < seal_ms ? ts : seal_ms;
		open_ms = to < open_ms ? to : open_ms;
		gcm_ms = tg < gcm_ms ? tg : gcm_ms;
	}
	EVP_CIPHER_CTX_free(c);
	seal_stream_free(s);
	seal_stream_free(r);
	hpke_key_free(k);
	buf_free(&head, 0);
	buf_free(&f, 0);
	buf_free(&out, 0);
	printf("%-46s %12s %8s\n", "sealing 50 MB in 1 MiB records (best of 5)", "MB/s", "ratio");
	printf("%-46s %12.0f %8s\n", "plain AES-256-GCM (OpenSSL EVP)", mb / (gcm_ms / 1e3),
	       "1.00");
	printf("%-46s %12.0f %8.2f\n", "seal (client: HPKE record, AES-256-GCM)",
	       mb / (seal_ms / 1e3), gcm_ms / seal_ms);
	printf("%-46s %12.0f %8.2f\n", "open (Keep: check index, AES-256-GCM)",
	       mb / (open_ms / 1e3), gcm_ms / open_ms);
	free(pt);
	free(ct);
	return 0;
}

static int count(const char *s, int dflt)
{
	long v = strtol(s, NULL, 10);

	return v > 0 && v < 100000 ? (int)v : dflt;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "deploy") == 0)
		return bench_deploy(argv[2], argv[3], count(argv[4], 50));
	if (argc >= 5 && strcmp(argv[1], "parallel") == 0)
		return bench_parallel(argv[2], argv[3], count(argv[4], 40));
	if (argc >= 3 && strcmp(argv[1], "seal") == 0)
		return bench_seal(count(argv[2], 50));
	fprintf(stderr, "usage: deploy-bench deploy|parallel ENARX HELLO.wasm N | seal MB\n");
	return 2;
}
