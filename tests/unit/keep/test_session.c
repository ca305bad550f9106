/* SPDX-License-Identifier: Apache-2.0 */
/* Keep sessions (src/keep/session.h) on a real backend running the real
 * executor and the example workloads: outcomes, several Keeps at once in one
 * poll loop, kill (also from another thread) with the right status and
 * nothing left behind, wait twice, half-built sessions, a workload larger
 * than the socket buffer. argv[1] names the backend (nil or kvm); a backend
 * this host or build cannot run skips the whole program with the reason. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

static const struct backend *be;
static const void *exec_img;
static size_t exec_len;
static char examples[512];
static struct keep_limits next_limits; /* run_open() gives these, then clears them */

/* wasm: _start is `loop br 0 end` (runs until killed) */
static const uint8_t loop_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, '_',  's',  't',  'a',  'r',  't',
    0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b};

/* One Keep under test: its session, its stdio as memfds, what the observer
 * saw. */
struct run {
	struct keep_session *s;
	int stdio[3];
	struct buf wasm;
	pthread_mutex_t mu;
	uint32_t types[8];
	int ntypes;
};

static void observe(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct run *r = ctx;

	(void)p;
	(void)len;
	pthread_mutex_lock(&r->mu);
	if (r->ntypes < 8)
		r->types[r->ntypes++] = type;
	pthread_mutex_unlock(&r->mu);
}

static int saw(struct run *r, uint32_t type)
{
	int yes = 0;

	pthread_mutex_lock(&r->mu);
	for (int i = 0; i < r->ntypes; i++)
		yes |= r->types[i] == type;
	pthread_mutex_unlock(&r->mu);
	return yes;
}

static void load_example(const char *name, struct buf *b)
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.wasm", examples, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		print_error("cannot open %s\n", path);
	assert_true(fd >= 0);
	for (;;) {
		assert_int_equal(buf_reserve(b, 65536), 0);
		n = read(fd, b->data + b->len, 65536);
		assert_true(n >= 0);
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	close(fd);
}

/* A new session for example `name` (or the bytes in r->wasm when name is
 * NULL), with stdin holding `in`, fed and not yet started. */
static void run_open(struct run *r, const char *name, const char *const *args, size_t nargs,
                     const char *in)
{
	struct keep_session_opts o = {.backend = be, .exec = exec_img, .exec_len = exec_len};
	struct keep_workload w = {.args = args, .nargs = nargs, .log_level = LOG_ERROR};

	pthread_mutex_init(&r->mu, NULL);
	if (name)
		load_example(name, &r->wasm);
	for (int i = 0; i < 3; i++) {
		r->stdio[i] = memfd_create("stdio", MFD_CLOEXEC);
		assert_true(r->stdio[i] >= 0);
	}
	if (in) {
		assert_int_equal(write(r->stdio[0], in, strlen(in)), (ssize_t)strlen(in));
		lseek(r->stdio[0], 0, SEEK_SET);
	}
	o.stdio = r->stdio;
	o.limits = next_limits;
	memset(&next_limits, 0, sizeof(next_limits));
	o.on_message = observe;
	o.ctx = r;
	w.wasm = r->wasm.data;
	w.wasm_len = r->wasm.len;
	assert_int_equal(keep_session_new(&o, &r->s), 0);
	assert_int_equal(keep_session_feed(r->s, &w), 0);
}

/* What the Keep wrote to fd `i` (1 or 2), NUL-terminated, in dst. */
static void run_output(struct run *r, int i, char *dst, size_t n)
{
	ssize_t got = pread(r->stdio[i], dst, n - 1, 0);

	dst[got > 0 ? got : 0] = 0;
}

static void run_close(struct run *r)
{
	keep_session_free(r->s);
	for (int i = 0; i < 3; i++)
		close(r->stdio[i]);
	buf_free(&r->wasm, 0);
	pthread_mutex_destroy(&r->mu);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Nothing of a Keep outlives its session: descriptors, children, threads. */
static void assert_nothing_left(int fds_before)
{
	assert_int_equal(count_dir("/proc/self/fd"), fds_before);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(count_dir("/proc/self/task"), 1);
}

static void test_hello_outcome(void **state)
{
	struct keep_outcome o;
	struct run r = {0};
	char out[256];

	(void)state;
	run_open(&r, "hello", NULL, 0, NULL);
	assert_int_equal(keep_session_outcome(r.s, &o), ENARX_E_BUSY);
	assert_int_equal(o.result, KEEP_RUNNING);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_start(r.s), ENARX_E_BUSY);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.result, KEEP_EXITED);
	assert_int_equal(o.exit_code, 0);
	assert_int_equal(o.status, 0);
	assert_false(o.killed);
	assert_non_null(o.tee_note);
	run_output(&r, 1, out, sizeof(out));
	assert_string_equal(out, "Hello, world!\n");
	/* the observer saw the Keep's messages: TEE first, EXIT last */
	assert_true(r.ntypes >= 2);
	assert_int_equal(r.types[0], KP_TEE);
	assert_int_equal(r.types[r.ntypes - 1], KP_EXIT);
	run_close(&r);
}

/* Two Keeps in one poll loop over their session descriptors, as a host
 * agent holds them: each gets its own arguments, stdin and stdout. */
static void test_two_sessions_one_loop(void **state)
{
	static const char *const args[] = {"7"};
	struct run a = {0}, b = {0};
	struct keep_outcome oa, ob;
	int done_a = 0, done_b = 0, fds = count_dir("/proc/self/fd");
	char out[256];

	(void)state;
	run_open(&a, "exitcode", args, 1, NULL);
	run_open(&b, "cat", NULL, 0, "through the Keep\n");
	assert_int_equal(keep_session_start(a.s), 0);
	assert_int_equal(keep_session_start(b.s), 0);
	while (!done_a || !done_b) {
		struct pollfd p[2] = {{.fd = keep_session_fd(a.s), .events = POLLIN},
		                      {.fd = keep_session_fd(b.s), .events = POLLIN}};

		assert_true(poll(p, 2, 60000) > 0);
		if (!done_a && p[0].revents)
			done_a = keep_session_pump(a.s);
		if (!done_b && p[1].revents)
			done_b = keep_session_pump(b.s);
		assert_true(done_a >= 0 && done_b >= 0);
	}
	assert_int_equal(keep_session_outcome(a.s, &oa), 0);
	assert_int_equal(keep_session_outcome(b.s, &ob), 0);
	assert_int_equal(oa.result, KEEP_EXITED);
	assert_int_equal(oa.exit_code, 7);
	assert_int_equal(oa.status, 7);
	run_output(&a, 1, out, sizeof(out));
	assert_string_equal(out, "exiting with 7\n");
	assert_int_equal(ob.result, KEEP_EXITED);
	assert_int_equal(ob.exit_code, 0);
	run_output(&b, 1, out, sizeof(out));
	assert_string_equal(out, "through the Keep\n");
	run_close(&a);
	run_close(&b);
	assert_nothing_left(fds);
}

/* Pumps until the observer saw the Keep's TEE message: the workload runs. */
static void pump_until_running(struct run *r)
{
	struct pollfd p = {.fd = keep_session_fd(r->s), .events = POLLIN};

	while (!saw(r, KP_TEE)) {
		assert_true(poll(&p, 1, 60000) > 0);
		assert_int_equal(keep_session_pump(r->s), 0);
	}
}

static void test_kill_running_keep(void **state)
{
	struct keep_outcome o;
	struct run r = {0};
	int fds = count_dir("/proc/self/fd");

	(void)state;
	assert_int_equal(buf_append(&r.wasm, loop_wasm, sizeof(loop_wasm)), 0);
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	pump_until_running(&r);
	assert_int_equal(keep_session_pump(r.s), 0); /* still looping */
	assert_int_equal(keep_session_kill(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.result, KEEP_NO_RESULT);
	assert_int_equal(o.status, 128 + 9);
	assert_true(o.killed);
	/* killing an ended Keep is a no-op; sending to it fails */
	assert_int_equal(keep_session_kill(r.s), 0);
	assert_int_equal(keep_session_send(r.s, KP_RUN, NULL, 0), ENARX_E_IO);
	run_close(&r);
	assert_nothing_left(fds);
}

/* limits.wall_ms: the executor stops the workload itself at the limit and
 * says which (LIMIT_HIT, then a trap naming it); the session's own kill,
 * KEEP_WALL_GRACE_MS later, is not needed; its timer is released with it. */
static void test_wall_time(void **state)
{
	struct keep_outcome o;
	struct run r = {0};
	int fds = count_dir("/proc/self/fd");

	(void)state;
	assert_int_equal(buf_append(&r.wasm, loop_wasm, sizeof(loop_wasm)), 0);
	next_limits.wall_ms = 300;
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	if (o.result == KEEP_TRAPPED) { /* nil: the executor's timer */
		assert_int_equal(o.limit_hit, KEEP_LIMIT_WALL);
		assert_string_equal(o.trap->message, "wall time limit 0.300 s reached");
		assert_false(o.timed_out);
		assert_false(o.killed);
	} else { /* a Keep without timers (kvm): the session's kill */
		assert_int_equal(o.result, KEEP_NO_RESULT);
		assert_true(o.timed_out);
		assert_true(o.killed);
		assert_int_equal(o.status, 128 + 9);
	}
	run_close(&r);
	assert_nothing_left(fds);
}

/* limits.cpu_ms: the executor's CPU timer stops the workload and names the
 * limit; a Keep without timers (kvm) is stopped by the backend on the vCPU
 * thread's CPU clock, and the outcome says cpu_out. */
static void test_cpu_time(void **state)
{
	struct keep_outcome o;
	struct run r = {0};
	int fds = count_dir("/proc/self/fd");

	(void)state;
	assert_int_equal(buf_append(&r.wasm, loop_wasm, sizeof(loop_wasm)), 0);
	next_limits.cpu_ms = 300;
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	if (o.result == KEEP_TRAPPED) {
		assert_int_equal(o.limit_hit, KEEP_LIMIT_CPU);
		assert_string_equal(o.trap->message, "CPU time limit 0.300 s reached");
	} else {
		assert_int_equal(o.result, KEEP_NO_RESULT);
		assert_true(o.cpu_out);
		assert_int_equal(o.status, 128 + SIGXCPU);
	}
	assert_false(o.killed);
	run_close(&r);
	assert_nothing_left(fds);
}

/* The LIMITS message reaches the executor: fuel from the session's limits
 * ends the endless loop with a trap (no Enarx.toml involved). */
static void test_limits_reach_executor(void **state)
{
	struct keep_outcome o;
	struct run r = {0};

	(void)state;
	assert_int_equal(buf_append(&r.wasm, loop_wasm, sizeof(loop_wasm)), 0);
	next_limits.fuel = 100000;
	next_limits.memory = 1u << 20;
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.result, KEEP_TRAPPED);
	assert_non_null(strstr(o.trap->message, "fuel"));
	assert_false(o.timed_out);
	run_close(&r);
}

static void *killer(void *arg)
{
	struct run *r = arg;

	while (!saw(r, KP_TEE))
		usleep(1000);
	usleep(20000);
	return (void *)(intptr_t)keep_session_kill(r->s);
}

/* One thread waits, another kills: the waiter returns with the status. */
static void test_kill_from_another_thread(void **state)
{
	struct keep_outcome o;
	struct run r = {0};
	pthread_t th;
	void *ret;

	(void)state;
	assert_int_equal(buf_append(&r.wasm, loop_wasm, sizeof(loop_wasm)), 0);
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(pthread_create(&th, NULL, killer, &r), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.status, 128 + 9);
	assert_int_equal(o.result, KEEP_NO_RESULT);
	run_close(&r);
}

/* Freeing a session whose Keep still runs kills and reaps it. */
static void test_free_running_keep(void **state)
{
	struct run r = {0};
	int fds = count_dir("/proc/self/fd");

	(void)state;
	assert_int_equal(buf_append(&r.wasm, loop_wasm, sizeof(loop_wasm)), 0);
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	pump_until_running(&r);
	run_close(&r);
	assert_nothing_left(fds);
}

static void test_trap_and_wait_twice(void **state)
{
	struct keep_outcome o, again;
	struct run r = {0};

	(void)state;
	run_open(&r, "trap", NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.result, KEEP_TRAPPED);
	assert_string_equal(o.trap->message, "unreachable");
	assert_true(o.trap->nframes >= 3);
	assert_string_equal(o.trap->frames[0].name, "inner_fault");
	assert_int_equal(o.status, 134);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_pump(r.s), 1);
	assert_int_equal(keep_session_outcome(r.s, &again), 0);
	assert_memory_equal(&o, &again, sizeof(o));
	run_close(&r);
}

/* Bytes that are no module: the executor reports an ERROR. */
static void test_executor_error(void **state)
{
	struct keep_outcome o;
	struct run r = {0};

	(void)state;
	assert_int_equal(buf_append(&r.wasm, "\0asm\2\0\0\0", 8), 0);
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.result, KEEP_FAILED);
	assert_non_null(o.error);
	assert_true(strlen(o.error) > 0);
	assert_int_equal(o.status, 1);
	run_close(&r);
}

/* A module with a 4 MiB custom section: more than the socket takes before
 * the start, so the rest is queued and sent by the pump. */
static void test_workload_larger_than_socket(void **state)
{
	static const uint8_t custom[] = {0, 0x85, 0x80, 0x80, 0x02, 4, 'p', 'a', 'd', '!'};
	struct keep_outcome o;
	struct run r = {0};
	char out[256];

	(void)state;
	load_example("hello", &r.wasm);
	/* id 0, size 4 MiB + 5 (LEB128 0x400005), name "pad!", then zeros */
	assert_int_equal(buf_append(&r.wasm, custom, sizeof(custom)), 0);
	assert_int_equal(buf_reserve(&r.wasm, 4u << 20), 0);
	memset(r.wasm.data + r.wasm.len, 0, 4u << 20);
	r.wasm.len += 4u << 20;
	run_open(&r, NULL, NULL, 0, NULL);
	assert_int_equal(keep_session_start(r.s), 0);
	assert_int_equal(keep_session_wait(r.s), 0);
	assert_int_equal(keep_session_outcome(r.s, &o), 0);
	assert_int_equal(o.result, KEEP_EXITED);
	run_output(&r, 1, out, sizeof(out));
	assert_string_equal(out, "Hello, world!\n");
	run_close(&r);
}

/* Sessions that never ran a Keep free cleanly: never started, start
 * refused, and every allocation failure during new and feed. */
static void test_half_built_sessions(void **state)
{
	struct keep_session_opts o = {.backend = be, .exec = exec_img, .exec_len = exec_len};
	struct keep_workload w = {.wasm = loop_wasm, .wasm_len = sizeof(loop_wasm)};
	struct keep_session *s;
	int fds = count_dir("/proc/self/fd"), ok = 0;

	(void)state;
	keep_session_free(NULL);
	assert_int_equal(keep_session_new(&(struct keep_session_opts){0}, &s), ENARX_E_INVAL);
	assert_null(s);
	assert_int_equal(keep_session_new(&o, &s), 0);
	assert_int_equal(keep_session_wait(s), ENARX_E_INVAL);
	assert_int_equal(keep_session_kill(s), 0);
	assert_int_equal(keep_session_pump(s), 0);
	keep_session_free(s);
	o.exec_len = 0; /* no executor: the backend refuses to start */
	assert_int_equal(keep_session_new(&o, &s), 0);
	assert_int_equal(keep_session_feed(s, &w), 0);
	assert_true(keep_session_start(s) < 0);
	assert_true(keep_session_wait(s) < 0);
	assert_true(keep_session_pump(s) < 0);
	keep_session_free(s);
	o.exec_len = exec_len;
	for (unsigned long n = 1; n < 64 && !ok; n++) {
		int rc;

		alloc_fail_after(n);
		rc = keep_session_new(&o, &s);
		if (!rc)
			rc = keep_session_feed(s, &w);
		alloc_fail_after(0);
		assert_true(rc == 0 || rc == ENARX_E_NOMEM);
		ok = rc == 0;
		keep_session_free(s);
	}
	assert_true(ok);
	assert_nothing_left(fds);
}

/* The backend contract underneath (backend.h): the end descriptor polls
 * readable only once the Keep has ended; kill stops an executor blocked in a
 * read of fd 3 (a host call, for a VM); wait gives 137 and the same again. */
static void test_backend_kill_blocked_keep(void **state)
{
	struct keep_launch kl = {.exec = exec_img, .exec_len = exec_len};
	struct backend_keep *k;
	struct pollfd p;
	int sv[2], code = -1, fds = count_dir("/proc/self/fd");

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	kl.keep_fd = sv[1];
	assert_int_equal(be->start(&kl, &k), 0);
	close(sv[1]); /* the Keep has its own copy */
	p = (struct pollfd){.fd = be->fd(k), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 200), 0); /* waiting for HELLO */
	assert_int_equal(be->kill(k), 0);
	assert_int_equal(poll(&p, 1, 60000), 1);
	assert_int_equal(be->wait(k, &code), 0);
	assert_int_equal(code, 128 + 9);
	code = -1;
	assert_int_equal(be->wait(k, &code), 0);
	assert_int_equal(code, 128 + 9);
	assert_int_equal(be->kill(k), 0);
	be->free(k);
	close(sv[0]);
	assert_nothing_left(fds);
}

/* The host hangs up before HELLO: the executor ends by itself, with an
 * error status, and wait reports it. */
static void test_backend_keep_ends_by_itself(void **state)
{
	struct keep_launch kl = {.exec = exec_img, .exec_len = exec_len};
	int sv[2], code = -1;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	kl.keep_fd = sv[1];
	close(sv[0]);
	assert_int_equal(backend_run(be, &kl, &code), 0);
	assert_true(code > 0 && code < 128);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	const char *build = getenv("ENARX_BUILD");
	char why[256] = "";
	int fd;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hello_outcome),
	    cmocka_unit_test(test_two_sessions_one_loop),
	    cmocka_unit_test(test_kill_running_keep),
	    cmocka_unit_test(test_wall_time),
	    cmocka_unit_test(test_cpu_time),
	    cmocka_unit_test(test_limits_reach_executor),
	    cmocka_unit_test(test_kill_from_another_thread),
	    cmocka_unit_test(test_free_running_keep),
	    cmocka_unit_test(test_trap_and_wait_twice),
	    cmocka_unit_test(test_executor_error),
	    cmocka_unit_test(test_workload_larger_than_socket),
	    cmocka_unit_test(test_half_built_sessions),
	    cmocka_unit_test(test_backend_kill_blocked_keep),
	    cmocka_unit_test(test_backend_keep_ends_by_itself),
	};

	log_set_level(LOG_ERROR);
	be = backend_find(argc > 1 ? argv[1] : "nil");
	exec_img = backend_exec_image(&exec_len);
	snprintf(examples, sizeof(examples), "%s/examples", build ? build : ".");
	snprintf(why, sizeof(why), "%s/examples/hello.wasm", build ? build : ".");
	fd = open(why, O_RDONLY | O_CLOEXEC);
	/* cmocka reports a skipped case as a failure to TAP: skip the program */
	if (!be || !exec_img) {
		printf("1..0 # SKIP no %s backend or no executor in this build\n",
		       argc > 1 ? argv[1] : "nil");
		return 0;
	}
	if (fd < 0) {
		printf("1..0 # SKIP the examples are not built (no wasm32-wasi clang)\n");
		return 0;
	}
	close(fd);
	if (!backend_usable(be, why, sizeof(why))) {
		printf("1..0 # SKIP backend %s: %s\n", be->name, why);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
