/* SPDX-License-Identifier: Apache-2.0 */
/* KVM Keeps with a real guest: the static test program (guest.c) boots in a
 * real VM through the shim, and each case checks what comes out: output,
 * exit status, faults, evidence, measurement. Every case skips with the
 * reason when /dev/kvm cannot run a VM here. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/kvm.h"
#include "lib/err.h"
#include "lib/log.h"
#include "shim/kvm/boot.h"

static void *guest;
static size_t guest_len;
static char why[256];
static int usable;

struct run {
	int code;
	int rc;
	char out[4096];
	size_t out_len;
};

static void skip_unless_kvm(void)
{
	assert_true(usable); /* main() skips the program when KVM is not usable */
}

/* Runs the guest with args; stdout captured, stdin from in (may be NULL). */
static void run_guest(struct run *r, const char *const *argv, const char *in)
{
	int out = memfd_create("out", MFD_CLOEXEC), inf = memfd_create("in", MFD_CLOEXEC);
	assert_true(out >= 0 && inf >= 0);
	if (in)
		assert_int_equal(write(inf, in, strlen(in)), (ssize_t)strlen(in));
	lseek(inf, 0, SEEK_SET);
	struct kvm_keep_opts o = {
	    .exec = guest,
	    .exec_len = guest_len,
	    .argv = argv,
	    .stdio = {inf, out, 2},
	    .keep_fd = -1,
	    .mem_size = 64UL << 20,
	};
	r->code = -1;
	r->rc = kvm_keep_run(&o, &r->code, NULL);
	lseek(out, 0, SEEK_SET);
	ssize_t n = read(out, r->out, sizeof(r->out) - 1);
	r->out_len = n > 0 ? (size_t)n : 0;
	r->out[r->out_len] = 0;
	close(out);
	close(inf);
}

static void hello(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "hello", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "hello from the keep\n");
}

static void exit_code(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "exit", "42", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.code, 42);
}

static void syscalls_in_shim(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "misc", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "misc ok Linux x86_64 pid=1\n");
}

static void memory(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "mem", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "mem ok\n");
}

static void signals_delivered_and_returned(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "signal", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "signal ok hits=2\n");
}

static void hostile_syscall_arguments(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "chaos", "300", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.rc, 0); /* the shim never faulted */
	assert_int_equal(r.code, 0);
	assert_true(r.out_len >= 9);
	assert_string_equal(r.out + r.out_len - 9, "chaos ok\n");
}

/* A host that lies about writes: the shim must end the Keep, not trust it. */
static long lying_host(void *ctx, long num, const long a[6])
{
	if (num == 1) /* write: claim more than was asked */
		return a[2] + 4096;
	return syscall(num, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static long garbage_errno_host(void *ctx, long num, const long a[6])
{
	return num == 1 ? -100000 : syscall(num, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void hostile_host_ends_the_keep(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "hello", NULL};
	long (*liars[])(void *, long, const long[6]) = {lying_host, garbage_errno_host};
	for (size_t i = 0; i < 2; i++) {
		int out = memfd_create("out", MFD_CLOEXEC), code = -1;
		struct kvm_keep_opts o = {.exec = guest,
		                          .exec_len = guest_len,
		                          .argv = argv,
		                          .stdio = {-1, out, -1},
		                          .keep_fd = -1,
		                          .mem_size = 64UL << 20,
		                          .host_syscall = liars[i]};
		assert_int_equal(kvm_keep_run(&o, &code, NULL), ENARX_E_KEEP_FAULT);
		close(out);
	}
}

static void stdin_echo(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "echo", NULL};
	const char *text = "line one\nline two\n";
	struct run r;
	run_guest(&r, argv, text);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, text);
}

static void expect_fault(const char *mode, int code)
{
	const char *argv[] = {"guest", mode, NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.code, code);
}

static void faults_end_the_keep(void **state)
{
	skip_unless_kvm();
	expect_fault("segv", 128 + 11);   /* #PF on NULL */
	expect_fault("guard", 128 + 11);  /* PROT_NONE guard page */
	expect_fault("ud2", 128 + 4);     /* #UD */
	expect_fault("kernel", 128 + 11); /* the shim's pages from ring 3 */
	expect_fault("outb", 128 + 11);   /* port I/O from ring 3: #GP */
	expect_fault("align", 128 + 7);   /* #AC: SIGBUS, as Linux (keep/abi.h) */
}

static void evidence_carries_measurement_and_nonce(void **state)
{
	skip_unless_kvm();
	const char *argv[] = {"guest", "getatt", NULL};
	struct run r;
	run_guest(&r, argv, NULL);
	assert_int_equal(r.code, 0);
	struct kvm_keep_opts o = {
	    .exec = guest, .exec_len = guest_len, .argv = argv, .mem_size = 64UL << 20};
	uint8_t d[KEEP_DIGEST_LEN];
	char expect[256] = "getatt 128 ENXKVMv1 nonce-ok=1 digest=";
	assert_int_equal(kvm_measure(&o, d), 0);
	for (int i = 0; i < KEEP_DIGEST_LEN; i++)
		snprintf(expect + strlen(expect), 3, "%02x", d[i]);
	snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "\n");
	assert_string_equal(r.out, expect);
}

static void measurement_is_deterministic_and_binding(void **state)
{
	/* Needs no /dev/kvm. */
	const char *argv[] = {"guest", NULL};
	struct kvm_keep_opts o = {
	    .exec = guest, .exec_len = guest_len, .argv = argv, .mem_size = 64UL << 20};
	uint8_t a[48], b[48], c[48], d[48], e[48];
	assert_int_equal(kvm_measure(&o, a), 0);
	assert_int_equal(kvm_measure(&o, b), 0);
	assert_memory_equal(a, b, 48);
	o.mem_size = 128UL << 20;
	assert_int_equal(kvm_measure(&o, c), 0);
	assert_memory_not_equal(a, c, 48);
	o.mem_size = 64UL << 20;
	const char *argv2[] = {"guest", "x", NULL};
	o.argv = argv2;
	assert_int_equal(kvm_measure(&o, d), 0);
	assert_memory_not_equal(a, d, 48);
	/* one flipped bit in the executor */
	uint8_t *copy = malloc(guest_len);
	memcpy(copy, guest, guest_len);
	copy[guest_len / 2] ^= 1;
	o.argv = argv;
	o.exec = copy;
	assert_int_equal(kvm_measure(&o, e), 0);
	assert_memory_not_equal(a, e, 48);
	free(copy);
}

static void bad_images_are_refused(void **state)
{
	uint8_t d[48];
	struct kvm_keep_opts o = {.exec = guest, .exec_len = guest_len, .mem_size = 64UL << 20};
	size_t shim_len;
	const uint8_t *shim = kvm_shim_image(&shim_len);
	assert_true(shim_len > 4096 && shim_len < 500000);
	o.shim = shim;
	o.shim_len = 100; /* truncated shim */
	assert_true(kvm_measure(&o, d) < 0);
	o.shim = NULL;
	o.mem_size = 3UL << 20; /* not enough memory */
	assert_int_equal(kvm_measure(&o, d), ENARX_E_INVAL);
	o.mem_size = (64UL << 20) + 4096; /* not 2 MiB aligned */
	assert_int_equal(kvm_measure(&o, d), ENARX_E_INVAL);
	o.mem_size = 0;
	o.exec_len = 0;
	assert_int_equal(kvm_measure(&o, d), ENARX_E_INVAL);
}

static void not_an_elf_faults_cleanly(void **state)
{
	skip_unless_kvm();
	static const char junk[8192] = "this is not an ELF file";
	int code = -1;
	struct kvm_keep_opts o = {.exec = junk,
	                          .exec_len = sizeof(junk),
	                          .stdio = {-1, -1, -1},
	                          .keep_fd = -1,
	                          .mem_size = 64UL << 20};
	assert_int_equal(kvm_keep_run(&o, &code, NULL), ENARX_E_KEEP_FAULT);
}

int main(void)
{
	const char *path = getenv("KVM_TEST_GUEST");
	log_set_level(LOG_ERROR);
	usable = kvm_host_usable(why, sizeof(why));
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("1..0 # SKIP KVM_TEST_GUEST not set or unreadable\n");
		return 0;
	}
	if (!usable) {
		/* cmocka reports a skipped case as "not ok # SKIP", which TAP
		 * consumers count as a failure: skip the whole program instead (the
		 * measurement cases also run, without KVM, in tests/e2e/kvm). */
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	guest_len = (size_t)st.st_size;
	guest = mmap(NULL, guest_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hello),
	    cmocka_unit_test(exit_code),
	    cmocka_unit_test(syscalls_in_shim),
	    cmocka_unit_test(memory),
	    cmocka_unit_test(stdin_echo),
	    cmocka_unit_test(hostile_syscall_arguments),
	    cmocka_unit_test(hostile_host_ends_the_keep),
	    cmocka_unit_test(signals_delivered_and_returned),
	    cmocka_unit_test(faults_end_the_keep),
	    cmocka_unit_test(evidence_carries_measurement_and_nonce),
	    cmocka_unit_test(measurement_is_deterministic_and_binding),
	    cmocka_unit_test(bad_images_are_refused),
	    cmocka_unit_test(not_an_elf_faults_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
