/* SPDX-License-Identifier: Apache-2.0 */
/* keep/syscalls.def and keep/abi.h against the system and against the
 * consumers that cannot be checked at build time: every row's number is
 * the kernel's, no number is listed twice, whatever the shim forwards the
 * host performs, and the sallyport host performs exactly the HOST_DO rows
 * (the shim and nil are generated from the same rows and fail the build on
 * a row without its handler). Also the signal numbers the freestanding
 * exception table uses. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "keep/abi.h"
#include "sallyport/host.h"
#include "sallyport/sallyport.h"

enum nil_col { NIL_ALLOW, NIL_ARGS, NIL_DENY };
enum shim_col { SHIM_FWD, SHIM_OWN, SHIM_ENOSYS, SHIM_NONE };
enum host_col { HOST_DO, HOST_NO };

/* The custom calls have no <sys/syscall.h> name. */
#define SYS_getatt KEEP_SYS_GETATT
#define SYS_getkey KEEP_SYS_GETKEY

struct row {
	const char *name;
	long nr, sys_nr;
	enum nil_col nil;
	enum shim_col shim;
	enum host_col host;
};

static const struct row rows[] = {
#define X(name, nr, nil, shim, host) {#name, nr, SYS_##name, nil, shim, host},
#include "keep/syscalls.def"
#undef X
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct row *row_for(long nr)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].nr == nr)
			return &rows[i];
	return NULL;
}

static void numbers_are_the_kernels(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		if (rows[i].nr != rows[i].sys_nr)
			fail_msg("%s: listed as %ld, <sys/syscall.h> says %ld", rows[i].name,
			         rows[i].nr, rows[i].sys_nr);
		for (size_t j = 0; j < i; j++)
			if (rows[j].nr == rows[i].nr)
				fail_msg("%s and %s share number %ld", rows[j].name, rows[i].name,
				         rows[i].nr);
	}
}

static void forwarded_calls_are_performed(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].shim == SHIM_FWD && rows[i].host != HOST_DO)
			fail_msg("%s: the shim forwards it but the host refuses it", rows[i].name);
}

/* The host syscall stub: counts, and answers with an errno nothing else
 * produces, so a result of -ENOSYS can only mean "no handler". */
static long stub_sys(void *ctx, long num, const long a[6])
{
	(void)num;
	(void)a;
	(*(int *)ctx)++;
	return -EDOM;
}

static uint8_t block[SP_BLOCK_SIZE] __attribute__((aligned(8)));

/* One zero-argument call with a 64-byte data area; returns its result. */
static int64_t call(struct sp_host *h, uint64_t num)
{
	struct sp_header hd = {sizeof(struct sp_syscall) + 64, SP_ITEM_SYSCALL};
	struct sp_syscall sc = {.num = num};
	struct sp_header end = {0, SP_ITEM_END};
	int64_t ret;
	memset(block, 0, sizeof(block));
	memcpy(block, &hd, sizeof(hd));
	memcpy(block + sizeof(hd), &sc, sizeof(sc));
	memcpy(block + sizeof(hd) + hd.size, &end, sizeof(end));
	assert_true(sp_host_handle(h, block, sizeof(block)) >= 0);
	memcpy(&ret, block + sizeof(hd) + offsetof(struct sp_syscall, ret), sizeof(ret));
	return ret;
}

static void host_performs_exactly_the_host_rows(void **state)
{
	(void)state;
	struct sp_host *h;
	int calls = 0;
	assert_int_equal(sp_host_new(&h), 0);
	sp_host_set_syscall(h, stub_sys, &calls);
	for (long nr = 0; nr < 512; nr++) {
		const struct row *r = row_for(nr);
		bool listed = r && r->host == HOST_DO;
		bool performed = call(h, (uint64_t)nr) != -ENOSYS;
		if (listed != performed)
			fail_msg("syscall %ld (%s): keep/syscalls.def says %s, sallyport host %s",
			         nr, r ? r->name : "not listed", listed ? "HOST_DO" : "HOST_NO",
			         performed ? "performs it" : "refuses it");
	}
	assert_int_equal(call(h, KEEP_SYS_GETATT), -ENOSYS);
	assert_int_equal(call(h, KEEP_SYS_GETKEY), -ENOSYS);
	assert_true(calls > 0);
	sp_host_free(h);
}

static void exception_table_matches_linux(void **state)
{
	(void)state;
	assert_int_equal(KEEP_SIGTRAP, SIGTRAP);
	assert_int_equal(KEEP_SIGILL, SIGILL);
	assert_int_equal(KEEP_SIGBUS, SIGBUS);
	assert_int_equal(KEEP_SIGFPE, SIGFPE);
	assert_int_equal(KEEP_SIGSEGV, SIGSEGV);
	int code;
	assert_int_equal(keep_vector_signal(0, &code), SIGFPE);
	assert_int_equal(code, FPE_INTDIV);
	assert_int_equal(keep_vector_signal(6, &code), SIGILL);
	assert_int_equal(code, ILL_ILLOPN);
	assert_int_equal(keep_vector_signal(14, &code), SIGSEGV);
	assert_int_equal(code, SEGV_MAPERR);
	assert_int_equal(keep_vector_signal(13, &code), SIGSEGV);
	assert_int_equal(code, SI_KERNEL);
	/* #AC: alignment check is SIGBUS/BUS_ADRALN, as Linux sends it */
	assert_int_equal(keep_vector_signal(17, &code), SIGBUS);
	assert_int_equal(code, BUS_ADRALN);
	assert_int_equal(keep_vector_signal(1, &code), SIGTRAP);
	assert_int_equal(code, TRAP_TRACE);
	/* no user signal: the shim does not deliver, the Keep ends as SIGSEGV */
	assert_int_equal(keep_vector_signal(8, NULL), 0);
	assert_int_equal(keep_fault_signal(8), SIGSEGV);
	assert_int_equal(keep_fault_signal(17), SIGBUS);
	assert_int_equal(keep_fault_signal(KEEP_FAULT_VEC_PANIC), SIGSEGV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(numbers_are_the_kernels),
	    cmocka_unit_test(forwarded_calls_are_performed),
	    cmocka_unit_test(host_performs_exactly_the_host_rows),
	    cmocka_unit_test(exception_table_matches_linux),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
