/* SPDX-License-Identifier: Apache-2.0 */
/* Sanitizer builds (make check-asan): ENARX_ASAN is defined when the code
 * is built with AddressSanitizer (clang's __has_feature, gcc's
 * __SANITIZE_ADDRESS__), and ENARX_LSAN_SYSCALLS lists, as SCMP_SYS()
 * numbers for a seccomp allow-list, the calls LeakSanitizer's exit-time
 * check makes: it stops the world by cloning a tracer that ptrace-attaches
 * every thread (listed under /proc/self/task), then reads /proc/self/maps.
 * A process under an allow-list without them is killed at exit before it
 * can report. Release builds define neither, so their filters stay as
 * written. */
#ifndef ENARX_LIB_SANITIZE_H
#define ENARX_LIB_SANITIZE_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENARX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(ENARX_ASAN)
#define ENARX_ASAN 1
#endif

#ifdef ENARX_ASAN
#define ENARX_LSAN_SYSCALLS                                                                     \
	SCMP_SYS(clone), SCMP_SYS(prctl), SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(getppid), \
	    SCMP_SYS(gettid), SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),                    \
	    SCMP_SYS(rt_sigprocmask), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(getdents64),   \
	    SCMP_SYS(getdents), SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(lseek),             \
	    SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(readlink),         \
	    SCMP_SYS(sched_yield), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect),        \
	    SCMP_SYS(madvise), SCMP_SYS(write), SCMP_SYS(getpid), SCMP_SYS(tgkill),             \
	    SCMP_SYS(kill), SCMP_SYS(nanosleep), SCMP_SYS(exit), SCMP_SYS(exit_group)
#endif

#endif
