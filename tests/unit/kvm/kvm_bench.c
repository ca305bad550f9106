/* SPDX-License-Identifier: Apache-2.0 */
/* kvm-bench: runs a static ELF in a KVM Keep (the shim + sallyport path
 * without the wasm executor) and measures it.
 *   kvm-bench run ELF [ARGS...]   run once with this process's stdio
 *   kvm-bench cold ELF [N]        median wall time of N Keeps running "exit 0"
 *   kvm-bench rtt ELF [N]         N one-byte writes to /dev/null: per-call time,
 *                                 Keep vs the same ELF as a plain process
 *   kvm-bench measure ELF         the launch digest
 * Not a test: speed is reported, never asserted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/kvm.h"
#include "lib/err.h"

static void *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		exit(2);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	*len = (size_t)st.st_size;
	return p;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static size_t mem_size(void)
{
	const char *m = getenv("KVM_MEM_MIB");
	return m ? strtoul(m, NULL, 10) << 20 : 0;
}

static int run(struct kvm_keep_opts *o, struct kvm_keep_stats *st)
{
	int code = -1;
	int rc = kvm_keep_run(o, &code, st);
	if (rc) {
		fprintf(stderr, "kvm-bench: %s\n", enarx_strerror(rc));
		return -1;
	}
	return code;
}

static int native(const char *elf, char *const argv[], int out)
{
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out, 1);
		execv(elf, argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: kvm-bench run|cold|rtt|measure ELF [ARGS]\n");
		return 2;
	}
	struct kvm_keep_opts o = {.stdio = {0, 1, 2}, .keep_fd = -1, .mem_size = mem_size()};
	o.exec = slurp(argv[2], &o.exec_len);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!strcmp(argv[1], "run")) {
		o.argv = (const char *const *)argv + 2;
		int code = run(&o, NULL);
		return code < 0 ? 125 : code;
	}
	if (!strcmp(argv[1], "measure")) {
		uint8_t d[KEEP_DIGEST_LEN];
		int rc = kvm_measure(&o, d);
		if (rc)
			return fprintf(stderr, "kvm-bench: %s\n", enarx_strerror(rc)), 1;
		for (int i = 0; i < KEEP_DIGEST_LEN; i++)
			printf("%02x", d[i]);
		printf("\n");
		return 0;
	}
	long n = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	o.stdio[1] = devnull;
	if (!strcmp(argv[1], "cold")) {
		const char *args[] = {"guest", "exit", "0", NULL};
		n = n > 0 ? n : 50;
		double *t = calloc((size_t)n, sizeof(double));
		o.argv = args;
		for (long i = 0; i < n; i++) {
			double t0 = now();
			if (run(&o, NULL) != 0)
				return 1;
			t[i] = now() - t0;
		}
		qsort(t, (size_t)n, sizeof(double), cmp);
		printf("kvm cold start (ELF %s, exit 0): median %.2f ms, min %.2f ms, max %.2f ms "
		       "over %ld runs\n",
		       argv[2], t[n / 2] * 1e3, t[0] * 1e3, t[n - 1] * 1e3, n);
		return 0;
	}
	if (!strcmp(argv[1], "rtt")) {
		char count[32];
		n = n > 0 ? n : 100000;
		snprintf(count, sizeof(count), "%ld", n);
		const char *args[] = {"guest", "writes", count, NULL};
		const char *zero[] = {"guest", "writes", "0", NULL};
		struct kvm_keep_stats s0 = {0}, s1 = {0};
		o.argv = zero;
		if (run(&o, &s0) != 0)
			return 1;
		o.argv = args;
		if (run(&o, &s1) != 0)
			return 1;
		double kvm_us = (double)(s1.run_ns - s0.run_ns) / 1e3 / (double)n;
		/* The plain process needs many more calls to rise above noise. */
		long nn = n < 1000000 ? 1000000 : n;
		char ncount[32];
		snprintf(ncount, sizeof(ncount), "%ld", nn);
		const char *nargs[] = {"guest", "writes", ncount, NULL};
		double t0 = now();
		native(argv[2], (char *const *)zero, devnull);
		double t1 = now();
		native(argv[2], (char *const *)nargs, devnull);
		double t2 = now();
		double nat_us = ((t2 - t1) - (t1 - t0)) * 1e6 / (double)nn;
		printf(
		    "sallyport round trip (write 1 byte to /dev/null, %ld calls): kvm %.2f us/call "
		    "(%lu exits), native process %.3f us/call\n",
		    n, kvm_us, (unsigned long)(s1.exits - s0.exits), nat_us);
		return 0;
	}
	fprintf(stderr, "kvm-bench: unknown command %s\n", argv[1]);
	return 2;
}
