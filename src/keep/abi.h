/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep ABI: every number the executor, the shims, the host backends and
 * the attestation verifier must agree on, in one place (custom syscalls,
 * evidence layout, digest length, keep-protocol fd, trap exit code, fault
 * origin, exception-to-signal table). Header-only and freestanding: the KVM
 * shim includes it without a libc, so only <stdint.h> types and macros. */
#ifndef ENARX_KEEP_ABI_H
#define ENARX_KEEP_ABI_H

#include <stdint.h>

/* Custom syscalls the executor makes (numbers as in Enarx). A backend
 * without a TEE (nil) fails both with ENOSYS and the executor reports "no
 * TEE". The rows for them are in keep/syscalls.def. */
#define KEEP_SYS_GETATT \
	0xEA01                 /* rdi nonce, rsi its length (<= 64), rdx buf,
                                  r10 its length: evidence out; buf NULL asks
                                  for the size */
#define KEEP_SYS_GETKEY 0xEA02 /* a sealing key (not implemented by any shim) */

/* The launch digest: SHA-384 over the measured pages (docs/kvm-keep.md),
 * also the size of the sallyport SP_ENARX_MEASUREMENT reply. */
#define KEEP_DIGEST_LEN 48

/* Inside every Keep, fds 0-2 are the host's stdio and this fd is the
 * keep-protocol socket (docs/keep-protocol.md). */
#define KEEP_PROTO_FD 3

/* Exit status of a Keep whose workload trapped: 128 + SIGABRT, as wasmtime. */
#define KEEP_EXIT_TRAP 134

/* ---- KVM evidence -------------------------------------------------------
 * What SYS_GETATT returns in a KVM Keep (technology 0). There is no hardware
 * root of trust: the measurement is the digest the host computed and nothing
 * signs it, so verifiers must treat it as insecure (docs/kvm-keep.md).
 * Little-endian, 128 bytes. */
#define KEEP_KVM_EVIDENCE_MAGIC "ENXKVMv1" /* 8 bytes, no NUL */
#define KEEP_KVM_EVIDENCE_MAGIC_LEN 8
#define KEEP_KVM_EVIDENCE_VERSION 1u
#define KEEP_KVM_EVIDENCE_FLAG_INSECURE 1u /* always set */
#define KEEP_KVM_EVIDENCE_NONCE 64         /* REPORT_DATA: the caller's nonce */

struct keep_kvm_evidence {
	char magic[KEEP_KVM_EVIDENCE_MAGIC_LEN];      /* KEEP_KVM_EVIDENCE_MAGIC */
	uint32_t version;                             /* KEEP_KVM_EVIDENCE_VERSION */
	uint32_t flags;                               /* KEEP_KVM_EVIDENCE_FLAG_* */
	uint8_t measurement[KEEP_DIGEST_LEN];         /* SHA-384 launch digest */
	uint8_t report_data[KEEP_KVM_EVIDENCE_NONCE]; /* the nonce, zero-padded */
} __attribute__((packed));

#define KEEP_KVM_EVIDENCE_LEN 128
_Static_assert(sizeof(struct keep_kvm_evidence) == KEEP_KVM_EVIDENCE_LEN,
               "KVM evidence is 128 bytes on the wire");
_Static_assert(__builtin_offsetof(struct keep_kvm_evidence, measurement) == 16 &&
                   __builtin_offsetof(struct keep_kvm_evidence, report_data) == 64,
               "the offsets docs/kvm-keep.md gives and attest/kvm.c reads in order");
_Static_assert(sizeof(KEEP_KVM_EVIDENCE_MAGIC) - 1 == KEEP_KVM_EVIDENCE_MAGIC_LEN,
               "the magic fills its field exactly");

/* ---- faults -------------------------------------------------------------
 * A shim that ends the Keep on a fault tells the host (sallyport
 * SP_ENARX_FAULT: arg2 the vector, arg3 the origin) where it happened, so
 * the host need not parse the text: an executor fault ends the Keep as a
 * signal would (exit 128 + keep_fault_signal()), a shim fault is a Keep
 * failure. */
enum keep_fault_origin {
	KEEP_FAULT_SHIM = 0,     /* the shim itself (ring 0), or unknown */
	KEEP_FAULT_EXECUTOR = 1, /* the executor (ring 3) */
};

/* Pseudo-vectors for faults that are not CPU exceptions (always the shim). */
#define KEEP_FAULT_VEC_SALLYPORT 0xFFFFu /* the host's reply was rejected */
#define KEEP_FAULT_VEC_PANIC 0xFFFEu     /* the shim gave up */

/* Signal numbers (x86-64 Linux), for code without <signal.h>. */
#define KEEP_SIGTRAP 5
#define KEEP_SIGILL 4
#define KEEP_SIGBUS 7
#define KEEP_SIGFPE 8
#define KEEP_SIGSEGV 11

/* The signal (and si_code) Linux sends for a CPU exception in user mode:
 * X(vector, signal, si_code). The shim delivers these to the executor's
 * handler; the host ends the Keep with 128 + signal when the executor has
 * none. Vector 17 (#AC, alignment check) is SIGBUS/BUS_ADRALN as in Linux's
 * do_alignment_check(), not SIGSEGV. #PF is SEGV_MAPERR, or SEGV_ACCERR
 * when the page was present (the shim decides from the error code). */
#define KEEP_VECTOR_SIGNALS(X)                                                      \
	X(0, KEEP_SIGFPE, 1)      /* #DE: FPE_INTDIV */                             \
	X(1, KEEP_SIGTRAP, 2)     /* #DB: TRAP_TRACE */                             \
	X(3, KEEP_SIGTRAP, 0x80)  /* #BP: SI_KERNEL */                              \
	X(6, KEEP_SIGILL, 2)      /* #UD: ILL_ILLOPN */                             \
	X(13, KEEP_SIGSEGV, 0x80) /* #GP: SI_KERNEL */                              \
	X(14, KEEP_SIGSEGV, 1)    /* #PF: SEGV_MAPERR (2 SEGV_ACCERR if present) */ \
	X(16, KEEP_SIGFPE, 0)     /* #MF: x87 error */                              \
	X(17, KEEP_SIGBUS, 1)     /* #AC: BUS_ADRALN */                             \
	X(19, KEEP_SIGFPE, 0)     /* #XM: SIMD error */

/* The signal for vector, and its si_code in *si_code (when not NULL); 0 for
 * a vector with no user signal. */
static inline int keep_vector_signal(uint64_t vector, int *si_code)
{
	int sig = 0, code = 0;
	switch (vector) {
#define KEEP_X(v, s, c)   \
	case v:           \
		sig = s;  \
		code = c; \
		break;
		KEEP_VECTOR_SIGNALS(KEEP_X)
#undef KEEP_X
	default: break;
	}
	if (si_code)
		*si_code = code;
	return sig;
}

/* The signal a Keep ends with when the executor did not handle a fault:
 * the table's, SIGSEGV for any other vector. */
static inline int keep_fault_signal(uint64_t vector)
{
	int sig = keep_vector_signal(vector, (int *)0);
	return sig ? sig : KEEP_SIGSEGV;
}

#endif
