// SPDX-License-Identifier: Apache-2.0
/*
 * The baseline compiler's x86-64 encoder (src/wasm/arch/x86_64/x64_emit.c):
 * each case emits instructions, disassembles them with
 * `objdump -D -b binary -mi386:x86-64 -M intel` and compares the text with
 * what was meant. Skipped with a reason when objdump is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasm/arch/x86_64/x64_emit.h"
#include "wasm/jit.h"

static bool have_objdump(void)
{
	return system("objdump --version >/dev/null 2>&1") == 0;
}

/* Disassembles b and returns the instruction texts, one per line, with
 * runs of blanks squeezed ("mov rax,QWORD PTR [rbx+0x10]"). */
static char *disasm(const struct x64_buf *b)
{
	char bin[] = "/tmp/x64emitXXXXXX";
	int fd = mkstemp(bin);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "objdump -D -b binary -mi386:x86-64 -M intel %s", bin);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap), line[512];
	while (fgets(line, sizeof(line), f)) {
		/* "   0:\t48 8b 43 10 \tmov    rax,..." : the text after the 2nd tab */
		char *t = strchr(line, '\t');
		if (!t || !strchr(line, ':') || !(t = strchr(t + 1, '\t')))
			continue;
		t++;
		for (char *p = t; *p && len + 2 < cap; p++) {
			if (*p == ' ' && len && out[len - 1] == ' ')
				continue;
			if (*p == '\n') {
				while (len && out[len - 1] == ' ')
					len--;
				out[len++] = '\n';
				continue;
			}
			out[len++] = *p;
		}
	}
	pclose(f);
	unlink(bin);
	return out;
}

static void check(struct x64_buf *b, const char *want)
{
	assert_false(b->oom);
	char *got = disasm(b);
	if (strcmp(got, want) != 0)
		print_error("got:\n%s\nwant:\n%s\n", got, want);
	assert_string_equal(got, want);
	free(got);
	x64_buf_free(b);
}

#define SKIP_NO_OBJDUMP()            \
	do {                         \
		if (!have_objdump()) \
			skip();      \
	} while (0)

static void test_moves(void **state)
{
	(void)state;
	SKIP_NO_OBJDUMP();
	struct x64_buf b;
	x64_buf_init(&b);
	x64_mov_rm(&b, true, RAX, x64_m(R12, 16));
	x64_mov_rm(&b, false, R9, x64_m(RBX, 0x1000));
	x64_mov_mr(&b, true, x64_m(R12, 0), RCX);
	x64_mov_mr(&b, true, x64_m(R13, 0), RCX);
	x64_mov_rm(&b, false, RAX, x64_mi(R13, RAX, 1, -8));
	x64_mov_rm(&b, true, RDX, x64_mi(RCX, R12, 8, 0));
	x64_mov_rr(&b, true, R14, RDI);
	x64_mov_rr(&b, false, RAX, R8);
	x64_mov_ri(&b, RAX, 5);
	x64_mov_ri(&b, R10, 0xffffffff);
	x64_mov_ri(&b, RCX, (uint64_t)-2);
	x64_mov_ri(&b, R11, 0x123456789abcull);
	x64_mov_mi(&b, true, x64_m(R12, 8), -1);
	x64_mov_mi(&b, false, x64_m(RSP, 8), 7);
	x64_store8(&b, x64_m(RAX, 1), RSI);
	x64_store16(&b, x64_m(RAX, 2), RCX);
	x64_load_ext(&b, EXT_ZX8, false, RAX, x64_m(RCX, 3));
	x64_load_ext(&b, EXT_SX16, true, RAX, x64_m(RCX, 3));
	x64_load_ext(&b, EXT_SX32, true, R8, x64_m(RBP, 0));
	x64_ext_rr(&b, EXT_SX8, false, RAX, RSI);
	x64_lea(&b, true, RAX, x64_m(R12, 0x800));
	check(&b, "mov rax,QWORD PTR [r12+0x10]\n"
	          "mov r9d,DWORD PTR [rbx+0x1000]\n"
	          "mov QWORD PTR [r12],rcx\n"
	          "mov QWORD PTR [r13+0x0],rcx\n"
	          "mov eax,DWORD PTR [r13+rax*1-0x8]\n"
	          "mov rdx,QWORD PTR [rcx+r12*8]\n"
	          "mov r14,rdi\n"
	          "mov eax,r8d\n"
	          "mov eax,0x5\n"
	          "mov r10d,0xffffffff\n"
	          "mov rcx,0xfffffffffffffffe\n"
	          "movabs r11,0x123456789abc\n"
	          "mov QWORD PTR [r12+0x8],0xffffffffffffffff\n"
	          "mov DWORD PTR [rsp+0x8],0x7\n"
	          "mov BYTE PTR [rax+0x1],sil\n"
	          "mov WORD PTR [rax+0x2],cx\n"
	          "movzx eax,BYTE PTR [rcx+0x3]\n"
	          "movsx rax,WORD PTR [rcx+0x3]\n"
	          "movsxd r8,DWORD PTR [rbp+0x0]\n"
	          "movsx eax,sil\n"
	          "lea rax,[r12+0x800]\n");
}

static void test_alu(void **state)
{
	(void)state;
	SKIP_NO_OBJDUMP();
	struct x64_buf b;
	x64_buf_init(&b);
	x64_alu_rr(&b, ALU_ADD, false, RAX, RCX);
	x64_alu_rr(&b, ALU_SUB, true, R8, R15);
	x64_alu_rm(&b, ALU_XOR, true, RAX, x64_m(R12, 24));
	x64_alu_ri(&b, ALU_CMP, false, RAX, 5);
	x64_alu_ri(&b, ALU_AND, true, RCX, 0x12345);
	x64_alu_mi(&b, ALU_CMP, false, x64_m(RBX, 0x40), 0);
	x64_alu_mi(&b, ALU_SUB, true, x64_m(RBX, 0x48), 1);
	x64_test_rr(&b, false, RAX, RAX);
	x64_imul_rr(&b, true, RAX, R9);
	x64_shift_cl(&b, SH_SAR, false, RAX);
	x64_shift_cl(&b, SH_ROL, true, RDX);
	x64_shift_ri(&b, SH_SHL, true, RAX, 3);
	x64_unop(&b, UN_IDIV, false, RCX);
	x64_unop(&b, UN_DIV, true, R8);
	x64_unop(&b, UN_NEG, true, RAX);
	x64_cdq(&b, false);
	x64_cdq(&b, true);
	x64_setcc(&b, CC_L, RAX);
	x64_setcc(&b, CC_NE, RSI);
	x64_cmov(&b, CC_E, true, RAX, RCX);
	check(&b, "add eax,ecx\n"
	          "sub r8,r15\n"
	          "xor rax,QWORD PTR [r12+0x18]\n"
	          "cmp eax,0x5\n"
	          "and rcx,0x12345\n"
	          "cmp DWORD PTR [rbx+0x40],0x0\n"
	          "sub QWORD PTR [rbx+0x48],0x1\n"
	          "test eax,eax\n"
	          "imul rax,r9\n"
	          "sar eax,cl\n"
	          "rol rdx,cl\n"
	          "shl rax,0x3\n"
	          "idiv ecx\n"
	          "div r8\n"
	          "neg rax\n"
	          "cdq\n"
	          "cqo\n"
	          "setl al\n"
	          "setne sil\n"
	          "cmove rax,rcx\n");
}

static void test_branches(void **state)
{
	(void)state;
	SKIP_NO_OBJDUMP();
	struct x64_buf b;
	x64_buf_init(&b);
	size_t j1 = x64_jcc(&b, CC_NE);   /* 0..5 */
	size_t j2 = x64_jmp(&b);          /* 6..10 */
	size_t c1 = x64_call(&b);         /* 11..15 */
	x64_call_r(&b, RAX);              /* 16..17 */
	x64_call_r(&b, R11);              /* 18..20 */
	x64_push(&b, RBX);                /* 21 */
	x64_push(&b, R15);                /* 22..23 */
	x64_pop(&b, R12);                 /* 24..25 */
	x64_ret(&b);                      /* 26 */
	x64_jmp_r(&b, RAX);               /* 27..28 */
	size_t l1 = x64_lea_rip(&b, RCX); /* 29..35, rip = 36 */
	x64_rep_stosq(&b);                /* 36..38 */
	x64_patch_rel32(&b, l1, 0);
	x64_patch_rel32(&b, j1, 26);
	x64_patch_rel32(&b, j2, 0);
	x64_patch_rel32(&b, c1, 21);
	check(&b, "jne 0x1a\n"
	          "jmp 0x0\n"
	          "call 0x15\n"
	          "call rax\n"
	          "call r11\n"
	          "push rbx\n"
	          "push r15\n"
	          "pop r12\n"
	          "ret\n"
	          "jmp rax\n"
	          "lea rcx,[rip+0xffffffffffffffdc] # 0x0\n"
	          "rep stos QWORD PTR es:[rdi],rax\n");
}

static void test_sse(void **state)
{
	(void)state;
	SKIP_NO_OBJDUMP();
	struct x64_buf b;
	x64_buf_init(&b);
	x64_sse_rm(&b, SSE_MOVSD_LD, 0, x64_m(R12, 8));
	x64_sse_rm(&b, SSE_MOVSD_ST, 9, x64_m(R12, 16));
	x64_sse_rm(&b, SSE_MOVSS_LD, 1, x64_m(RAX, 0));
	x64_sse_rm(&b, SSE_MOVSS_ST, 1, x64_m(RAX, 0));
	x64_sse_rr(&b, SSE_ADDSD, 0, 1);
	x64_sse_rm(&b, SSE_SUBSD, 0, x64_m(R12, 0x20));
	x64_sse_rr(&b, SSE_MULSS, 2, 10);
	x64_sse_rr(&b, SSE_DIVSD, 0, 1);
	x64_sse_rr(&b, SSE_SQRTSD, 0, 0);
	x64_sse_rr(&b, SSE_UCOMISD, 0, 1);
	x64_sse_rr(&b, SSE_UCOMISS, 0, 1);
	x64_sse_rr(&b, SSE_CVTSD2SS, 0, 0);
	x64_sse_rr(&b, SSE_CVTSS2SD, 0, 0);
	x64_sse_rr(&b, SSE_MOVAPD, 2, 0);
	x64_cvtsi2f(&b, true, true, 0, RAX);
	x64_cvtsi2f(&b, false, false, 1, RCX);
	x64_movq_xr(&b, true, 0, RAX);
	x64_movq_rx(&b, true, RAX, 1);
	x64_movq_rx(&b, false, RAX, 1);
	check(&b, "movsd xmm0,QWORD PTR [r12+0x8]\n"
	          "movsd QWORD PTR [r12+0x10],xmm9\n"
	          "movss xmm1,DWORD PTR [rax]\n"
	          "movss DWORD PTR [rax],xmm1\n"
	          "addsd xmm0,xmm1\n"
	          "subsd xmm0,QWORD PTR [r12+0x20]\n"
	          "mulss xmm2,xmm10\n"
	          "divsd xmm0,xmm1\n"
	          "sqrtsd xmm0,xmm0\n"
	          "ucomisd xmm0,xmm1\n"
	          "ucomiss xmm0,xmm1\n"
	          "cvtsd2ss xmm0,xmm0\n"
	          "cvtss2sd xmm0,xmm0\n"
	          "movapd xmm2,xmm0\n"
	          "cvtsi2sd xmm0,rax\n"
	          "cvtsi2ss xmm1,ecx\n"
	          "movq xmm0,rax\n"
	          "movq rax,xmm1\n"
	          "movd eax,xmm1\n");
}

/* The forms the register pinning uses: the pinned gprs (rbp, rsi, rdi,
 * r8-r11) as operands of 32/64-bit moves, byte stores and extensions
 * (sil/dil/bpl need a REX prefix), xmm3-xmm15 against gprs and memory. */
static void test_pinned_forms(void **state)
{
	(void)state;
	SKIP_NO_OBJDUMP();
	struct x64_buf b;
	x64_buf_init(&b);
	x64_mov_rr(&b, false, R8, R11);
	x64_mov_rr(&b, true, RBP, RAX);
	x64_mov_rr(&b, false, RAX, RSI);
	x64_alu_rr(&b, ALU_ADD, false, R9, RDI);
	x64_alu_ri(&b, ALU_ADD, false, RSI, 8);
	x64_alu_rr(&b, ALU_CMP, true, R10, RBP);
	x64_test_rr(&b, false, R11, R11);
	x64_ext_rr(&b, EXT_SX8, false, RAX, RSI);
	x64_ext_rr(&b, EXT_SX8, true, RAX, RBP);
	x64_ext_rr(&b, EXT_SX16, true, RAX, R10);
	x64_ext_rr(&b, EXT_SX32, true, RAX, RDI);
	x64_store8(&b, x64_mi(R13, RAX, 1, 0), RSI);
	x64_store8(&b, x64_mi(R13, RAX, 1, 4), RBP);
	x64_store16(&b, x64_mi(R13, RAX, 1, 0), R9);
	x64_mov_mr(&b, true, x64_mi(R13, RAX, 1, 0), RDI);
	x64_mov_rm(&b, true, R8, x64_mi(R13, RAX, 1, 16));
	x64_load_ext(&b, EXT_ZX8, false, R11, x64_mi(R13, RAX, 1, 0));
	x64_mov_mr(&b, true, x64_m(R12, 0x38), R10);
	x64_mov_rm(&b, true, RBP, x64_m(R12, 0));
	x64_movq_xr(&b, true, 3, RBP);
	x64_movq_xr(&b, false, 15, R11);
	x64_movq_rx(&b, true, R9, 12);
	x64_movq_rx(&b, false, RSI, 4);
	x64_sse_rr(&b, SSE_MOVAPD, 2, 11);
	x64_sse_rr(&b, SSE_MOVAPD, 14, 2);
	x64_sse_rm(&b, SSE_MOVSD_LD, 4, x64_mi(R13, RAX, 1, 8));
	x64_sse_rm(&b, SSE_MOVSS_ST, 13, x64_mi(R13, RAX, 1, 0));
	x64_sse_rm(&b, SSE_MOVSD_ST, 15, x64_m(R12, 0x100));
	check(&b, "mov r8d,r11d\n"
	          "mov rbp,rax\n"
	          "mov eax,esi\n"
	          "add r9d,edi\n"
	          "add esi,0x8\n"
	          "cmp r10,rbp\n"
	          "test r11d,r11d\n"
	          "movsx eax,sil\n"
	          "movsx rax,bpl\n"
	          "movsx rax,r10w\n"
	          "movsxd rax,edi\n"
	          "mov BYTE PTR [r13+rax*1+0x0],sil\n"
	          "mov BYTE PTR [r13+rax*1+0x4],bpl\n"
	          "mov WORD PTR [r13+rax*1+0x0],r9w\n"
	          "mov QWORD PTR [r13+rax*1+0x0],rdi\n"
	          "mov r8,QWORD PTR [r13+rax*1+0x10]\n"
	          "movzx r11d,BYTE PTR [r13+rax*1+0x0]\n"
	          "mov QWORD PTR [r12+0x38],r10\n"
	          "mov rbp,QWORD PTR [r12]\n"
	          "movq xmm3,rbp\n"
	          "movd xmm15,r11d\n"
	          "movq r9,xmm12\n"
	          "movd esi,xmm4\n"
	          "movapd xmm2,xmm11\n"
	          "movapd xmm14,xmm2\n"
	          "movsd xmm4,QWORD PTR [r13+rax*1+0x8]\n"
	          "movss DWORD PTR [r13+rax*1+0x0],xmm13\n"
	          "movsd QWORD PTR [r12+0x100],xmm15\n");
}

/* Loop-header alignment: every padding length 0-31 is made of the
 * multi-byte NOPs only, and lands on the boundary. */
static void test_align(void **state)
{
	(void)state;
	SKIP_NO_OBJDUMP();
	for (size_t pre = 0; pre < 32; pre++) {
		struct x64_buf b;
		x64_buf_init(&b);
		for (size_t i = 0; i < pre; i++)
			x64_u8(&b, 0x90);
		x64_align(&b, 32);
		assert_int_equal(b.len % 32, 0);
		x64_ret(&b);
		char *got = disasm(&b);
		bool ret = false;
		for (char *l = got; *l;) {
			char *e = strchr(l, '\n');
			assert_non_null(e);
			*e = 0;
			if (strncmp(l, "nop", 3) != 0 && strcmp(l, "xchg ax,ax") != 0 &&
			    strcmp(l, "ret") != 0)
				fail_msg("padding after %zu bytes decodes as '%s'", pre, l);
			ret = strcmp(l, "ret") == 0;
			l = e + 1;
		}
		assert_true(ret); /* and the ret comes last, where it was put */
		free(got);
		x64_buf_free(&b);
	}
}

/* The compiler emits f32/f64 add/sub/mul/div as `movapd x2, a; op x2, b`
 * and takes the result as it is: that is right only if SSE's NaN
 * propagation is the engine's rule (numeric.h, wasm__jit_nan64/32). Runs
 * that very sequence, emitted by the encoder, on NaN payloads (quiet,
 * signalling, both signs), infinities and zeros. */
typedef double (*bin64_fn)(double, double);
typedef float (*bin32_fn)(float, float);

static void *emit_bin(enum x64_sse op)
{
	struct x64_buf b;
	x64_buf_init(&b);
	x64_sse_rr(&b, SSE_MOVAPD, 2, 0);
	x64_sse_rr(&b, op, 2, 1);
	x64_sse_rr(&b, SSE_MOVAPD, 0, 2);
	x64_ret(&b);
	assert_false(b.oom);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	memcpy(p, b.p, b.len);
	assert_int_equal(mprotect(p, 4096, PROT_READ | PROT_EXEC), 0);
	x64_buf_free(&b);
	return p;
}

static void test_nan_rule(void **state)
{
	(void)state;
	static const uint64_t d[] = {0x7ff8000000000000ull,
	                             0xfff8000000000001ull,
	                             0x7ff0000000000001ull,
	                             0xfff4000000000abcull,
	                             0x7ff0000000000000ull,
	                             0xfff0000000000000ull,
	                             0,
	                             0x8000000000000000ull,
	                             0x3ff0000000000000ull,
	                             0x7ff8000000012345ull};
	static const uint32_t f[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0xffa00abcu,
	                             0x7f800000u, 0xff800000u, 0,           0x80000000u,
	                             0x3f800000u, 0x7fc12345u};
	static const enum x64_sse ops64[] = {SSE_ADDSD, SSE_SUBSD, SSE_MULSD, SSE_DIVSD};
	static const enum x64_sse ops32[] = {SSE_ADDSS, SSE_SUBSS, SSE_MULSS, SSE_DIVSS};
	int nans = 0;
	for (int o = 0; o < 4; o++) {
		void *c64 = emit_bin(ops64[o]), *c32 = emit_bin(ops32[o]);
		bin64_fn f64;
		bin32_fn f32;
		memcpy(&f64, &c64, sizeof(f64));
		memcpy(&f32, &c32, sizeof(f32));
		for (size_t i = 0; i < 10; i++) {
			for (size_t k = 0; k < 10; k++) {
				double a, bb, r, want;
				memcpy(&a, &d[i], 8);
				memcpy(&bb, &d[k], 8);
				r = f64(a, bb);
				want = r != r ? wasm__jit_nan64(a, bb, r) : r;
				nans += r != r;
				assert_memory_equal(&r, &want, 8);
				float x, y, fr, fw;
				memcpy(&x, &f[i], 4);
				memcpy(&y, &f[k], 4);
				fr = f32(x, y);
				fw = fr != fr ? wasm__jit_nan32(x, y, fr) : fr;
				assert_memory_equal(&fr, &fw, 4);
			}
		}
		munmap(c64, 4096);
		munmap(c32, 4096);
	}
	assert_true(nans > 100); /* the cases did exercise NaN results */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_moves),        cmocka_unit_test(test_alu),
	    cmocka_unit_test(test_branches),     cmocka_unit_test(test_sse),
	    cmocka_unit_test(test_pinned_forms), cmocka_unit_test(test_align),
	    cmocka_unit_test(test_nan_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
