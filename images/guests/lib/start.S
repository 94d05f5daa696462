/*
 * Entry of every micro-guest.  The VMM enters each vCPU here in 64-bit
 * mode with rdi = CPU index, rsi = command line, rdx = boot information
 * (include/kvmbench/abi.h).  Each CPU takes its own stack from kb_stacks and calls
 * kb_start(); nothing here touches memory shared with other CPUs.
 */
#define KB_STACK_SIZE 16384
#define KB_GUEST_MAX_CPUS 256

	.section .text.start, "ax"
	.globl _start
_start:
	cli
	cmp $KB_GUEST_MAX_CPUS, %rdi
	jae 1f
	lea kb_stacks(%rip), %rsp
	mov %rdi, %rax
	inc %rax
	shl $14, %rax
	add %rax, %rsp
	xor %ebp, %ebp
	call kb_start
1:	cli
	hlt
	jmp 1b

	.section .bss
	.balign 4096
	.globl kb_stacks
kb_stacks:
	.skip KB_STACK_SIZE * KB_GUEST_MAX_CPUS
