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
#include <unistd.h>

#include <cmocka.h>

#include "wasm/arch/x86_64/x64_emit.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_moves),
	    cmocka_unit_test(test_alu),
	    cmocka_unit_test(test_branches),
	    cmocka_unit_test(test_sse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
