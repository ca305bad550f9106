/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasm_bench: the benchmark host for our engine, on its public API only.
 *   wasm_bench FILE.wasm RUNS        times RUNS calls of the export run(1)
 *                                    (after _initialize); prints
 *                                    "<median ms> <checksum> <load ms>"
 *                                    (load = decode+validate+compile)
 *   wasm_bench --hello FILE.wasm RUNS  times a whole hello-world run per
 *                                    iteration: read file, decode, validate,
 *                                    compile, instantiate with a minimal
 *                                    WASI (fd_write to stderr, proc_exit),
 *                                    run _start, free; prints "<median ms>"
 *   wasm_bench --load FILE.wasm RUNS   times ewasm_module_new alone (decode,
 *                                    validate, compile: the time before a
 *                                    module can run); prints "<median ms>"
 * The engine mode comes from ENARX_WASM_ENGINE (jit or interp).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <enarx/wasm.h>

#define WASI_ENOSYS 52

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Any import the benchmark programs should not have. */
static int unexpected(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	return ewasm_caller_trap(c, "unexpected import %s", (const char *)u);
}

/* WASI fd_write(fd, iovs, iovs_len, nwritten): guest stdout/stderr go to
 * our stderr, so the timing line on stdout stays clean. */
static int wasi_fd_write(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	uint32_t n = (uint32_t)a[2].of.i32, total = 0;
	const uint8_t *iov = ewasm_caller_ptr(c, (uint32_t)a[1].of.i32, 8ull * n);
	uint8_t *out = ewasm_caller_ptr(c, (uint32_t)a[3].of.i32, 4);

	r[0] = ewasm_val_i32(0);
	if (!iov || !out || (a[0].of.i32 != 1 && a[0].of.i32 != 2)) {
		r[0] = ewasm_val_i32(8); /* EBADF, or EFAULT-ish */
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p, l;
		memcpy(&p, iov + 8 * i, 4);
		memcpy(&l, iov + 8 * i + 4, 4);
		const void *buf = ewasm_caller_ptr(c, p, l);
		if (!buf || write(2, buf, l) != (ssize_t)l) {
			r[0] = ewasm_val_i32(29); /* EIO */
			return 0;
		}
		total += l;
	}
	memcpy(out, &total, 4);
	return 0;
}

static int wasi_proc_exit(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	return ewasm_caller_exit(c, a[0].of.i32);
}

/* environ/args sizes: none (both out-params 0). */
static int wasi_sizes_get(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	uint8_t *p0 = ewasm_caller_ptr(c, (uint32_t)a[0].of.i32, 4);
	uint8_t *p1 = ewasm_caller_ptr(c, (uint32_t)a[1].of.i32, 4);

	if (p0 && p1) {
		memset(p0, 0, 4);
		memset(p1, 0, 4);
	}
	r[0] = ewasm_val_i32(p0 && p1 ? 0 : 21);
	return 0;
}

static int wasi_enosys(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	if (r)
		r[0] = ewasm_val_i32(WASI_ENOSYS);
	return 0;
}

static ewasm_host_fn pick_host(const char *mod, const char *name, const ewasm_functype *ft)
{
	if (strcmp(mod, "wasi_snapshot_preview1") != 0)
		return unexpected;
	if (strcmp(name, "fd_write") == 0 && ft->nparams == 4)
		return wasi_fd_write;
	if (strcmp(name, "proc_exit") == 0)
		return wasi_proc_exit;
	if ((strcmp(name, "environ_sizes_get") == 0 || strcmp(name, "args_sizes_get") == 0) &&
	    ft->nparams == 2)
		return wasi_sizes_get;
	if (ft->nresults == 1 && ft->results[0] == EWASM_I32)
		return wasi_enosys;
	return unexpected;
}

/* Instantiates with host functions for every function import. */
static int instantiate(ewasm_store *st, ewasm_module *m, ewasm_instance **out)
{
	uint32_t n = ewasm_module_import_count(m);
	ewasm_extern *imp = calloc(n ? n : 1, sizeof(*imp));
	ewasm_trap *trap = NULL;
	ewasm_error err;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const char *mod, *name;
		ewasm_externtype t;
		rc = ewasm_module_import(m, i, &mod, &name, &t);
		if (rc == 0 && t.kind != EWASM_EXTERN_FUNC)
			rc = EWASM_ERR_LINK;
		if (rc == 0) {
			imp[i].kind = EWASM_EXTERN_FUNC;
			imp[i].of.func = ewasm_func_new_host(
			    st, &t.of.func, pick_host(mod, name, &t.of.func), (void *)name, NULL);
			rc = imp[i].of.func ? 0 : EWASM_ERR_NOMEM;
		}
	}
	if (rc == 0)
		rc = ewasm_instance_new(st, m, imp, n, out, &trap, &err);
	if (rc)
		fprintf(stderr, "instantiate: %s: %s\n", ewasm_strerror(rc),
		        rc == EWASM_ERR_TRAP && trap ? ewasm_trap_message(trap) : err.message);
	ewasm_trap_free(trap);
	free(imp);
	return rc;
}

static int call0(ewasm_instance *inst, const char *name, ewasm_val *args, size_t nargs,
                 ewasm_val *res, size_t nres)
{
	ewasm_func *f = ewasm_instance_func(inst, name);
	ewasm_trap *trap = NULL;
	int rc;

	if (!f)
		return EWASM_ERR_NOTFOUND;
	rc = ewasm_func_call(f, args, nargs, res, nres, &trap);
	if (rc == EWASM_ERR_TRAP && ewasm_trap_get_kind(trap) == EWASM_TRAP_EXIT)
		rc = ewasm_trap_exit_code(trap) ? EWASM_ERR_TRAP : 0;
	if (rc)
		fprintf(stderr, "%s: %s\n", name,
		        trap ? ewasm_trap_message(trap) : ewasm_strerror(rc));
	ewasm_trap_free(trap);
	return rc;
}

static int bench_run(ewasm_engine *eng, const char *path, int runs)
{
	size_t len = 0;
	uint8_t *bytes = read_file(path, &len);
	ewasm_module *m = NULL;
	ewasm_store *st = NULL;
	ewasm_instance *inst = NULL;
	ewasm_error err;
	double t[101];
	uint32_t sum = 0;
	int rc = 1;

	double t_load = now_ms();
	if (!bytes || ewasm_module_new(eng, bytes, len, &m, &err)) {
		fprintf(stderr, "%s: cannot load: %s\n", path, bytes ? err.message : "read");
		goto out;
	}
	t_load = now_ms() - t_load;
	st = ewasm_store_new(eng);
	if (!st || instantiate(st, m, &inst))
		goto out;
	if (ewasm_instance_func(inst, "_initialize") &&
	    call0(inst, "_initialize", NULL, 0, NULL, 0))
		goto out;
	for (int i = 0; i < runs; i++) {
		ewasm_val arg = ewasm_val_i32(1), res;
		double t0 = now_ms();
		if (call0(inst, "run", &arg, 1, &res, 1))
			goto out;
		t[i] = now_ms() - t0;
		if (i && (uint32_t)res.of.i32 != sum) {
			fprintf(stderr, "checksum changed between runs\n");
			goto out;
		}
		sum = (uint32_t)res.of.i32;
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	printf("%.3f %u %.3f\n", t[runs / 2], sum, t_load);
	rc = 0;
out:
	ewasm_store_free(st);
	ewasm_module_free(m);
	free(bytes);
	return rc;
}

/* One whole hello-world run; returns 0 if _start ran and exited 0. */
static int hello_once(ewasm_engine *eng, const char *path)
{
	size_t len = 0;
	uint8_t *bytes = read_file(path, &len);
	ewasm_module *m = NULL;
	ewasm_store *st = NULL;
	ewasm_instance *inst = NULL;
	ewasm_error err;
	int rc = 1;

	if (!bytes || ewasm_module_new(eng, bytes, len, &m, &err))
		goto out;
	st = ewasm_store_new(eng);
	if (!st || instantiate(st, m, &inst))
		goto out;
	rc = call0(inst, "_start", NULL, 0, NULL, 0);
out:
	ewasm_store_free(st);
	ewasm_module_free(m);
	free(bytes);
	return rc;
}

static int bench_hello(ewasm_engine *eng, const char *path, int runs)
{
	double t[101];

	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		if (hello_once(eng, path)) {
			fprintf(stderr, "%s: hello run failed\n", path);
			return 1;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	printf("%.3f\n", t[runs / 2]);
	return 0;
}

/* Median time of loading (decode, validate, compile) FILE. */
static int bench_load(ewasm_engine *eng, const char *path, int runs)
{
	size_t len = 0;
	uint8_t *bytes = read_file(path, &len);
	double t[101];
	ewasm_error err;

	if (!bytes) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	for (int i = 0; i < runs; i++) {
		ewasm_module *m;
		double t0 = now_ms();
		if (ewasm_module_new(eng, bytes, len, &m, &err) != 0) {
			fprintf(stderr, "%s: %s\n", path, err.message);
			free(bytes);
			return 1;
		}
		t[i] = now_ms() - t0;
		ewasm_module_free(m);
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	printf("%.2f\n", t[runs / 2]);
	free(bytes);
	return 0;
}

int main(int argc, char **argv)
{
	int load = argc > 1 && strcmp(argv[1], "--load") == 0;
	int hello = argc > 1 && (strcmp(argv[1], "--hello") == 0 || load);
	int runs, rc;
	ewasm_engine *eng;

	if (argc - hello < 2) {
		fprintf(stderr, "usage: %s [--hello|--load] FILE.wasm [RUNS]\n", argv[0]);
		return 2;
	}
	runs = argc - hello > 2 ? (int)strtol(argv[2 + hello], NULL, 10) : 5;
	if (runs < 1 || runs > 101)
		runs = 5;
	eng = ewasm_engine_new(NULL);
	if (!eng)
		return 1;
	if (load)
		rc = bench_load(eng, argv[2], runs);
	else if (hello)
		rc = bench_hello(eng, argv[2], runs);
	else
		rc = bench_run(eng, argv[1], runs);
	ewasm_engine_free(eng);
	return rc;
}
