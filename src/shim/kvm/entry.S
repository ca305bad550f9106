/* SPDX-License-Identifier: Apache-2.0 */
/* Shim entry points: the boot entry (64-bit, set up by the host), the
 * `syscall` entry (LSTAR) and the exception stubs. All of them build one
 * struct frame (shim.h) on the kernel stack and leave through iretq. */

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	leaq	boot_stack_end(%rip), %rsp
	xorl	%ebp, %ebp
	/* %rdi: guest physical address of the boot-info page */
	call	shim_main
1:	hlt
	jmp	1b

	.text
.macro PUSH_GPRS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro POP_GPRS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
.endm

	/* syscall: rcx = user rip, r11 = user rflags; SFMASK cleared IF/DF/TF/AC. */
	.globl	syscall_entry
syscall_entry:
	movq	%rsp, user_rsp_scratch(%rip)
	leaq	kstack_end(%rip), %rsp
	pushq	$0x2b			/* user ss */
	pushq	user_rsp_scratch(%rip)
	pushq	%r11			/* rflags */
	pushq	$0x33			/* user cs */
	pushq	%rcx			/* rip */
	pushq	$0			/* error code */
	pushq	$256			/* "vector" 256 = syscall */
	PUSH_GPRS
	movq	%rsp, %rdi
	call	syscall_dispatch
	jmp	frame_return

	.globl	frame_return
frame_return:
	POP_GPRS
	addq	$16, %rsp
	iretq

	/* enter_frame(struct frame *f): resume the context in f (used to
	 * enter ring 3 the first time). */
	.globl	enter_frame
enter_frame:
	movq	%rdi, %rsp
	jmp	frame_return

isr_common:
	PUSH_GPRS
	movq	%rsp, %rdi
	call	trap_dispatch
	jmp	frame_return

.macro ISR n
	.align 16
isr\n:
	.if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	isr_common
.endm

	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ISR \n
	.endr

	.section .rodata
	.globl	isr_table
	.align 8
isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr\n
	.endr

	.bss
	.align 16
	.globl	user_rsp_scratch
user_rsp_scratch:
	.skip 16
	.align 4096
boot_stack:
	.skip 16384
boot_stack_end:
	.globl	kstack_end
	.align 4096
kstack:
	.skip 65536
kstack_end:
	.globl	ist_stack_end
ist_stack:
	.skip 16384
ist_stack_end:
