/*
 * Interrupt entry stubs for all 256 vectors.  Each pushes a dummy error
 * code where the CPU pushes none, then the vector, and jumps to a common
 * path that saves the general registers (guests are built with
 * -mgeneral-regs-only, so there is no FPU or SSE state to save) and calls kb_isr(vector, frame).
 */
	.altmacro
	.text
	.macro stub vec
	.balign 16
isr_\vec:
	.if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	push $0
	.endif
	push $\vec
	jmp isr_common
	.endm

	.globl kb_isr_stubs
	.balign 16
kb_isr_stubs:
	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr

isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rbx
	and $-16, %rsp
	mov 15*8(%rbx), %rdi    /* vector */
	mov %rbx, %rsi          /* frame: saved registers, vector, error, iret */
	cld
	call kb_isr
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq
