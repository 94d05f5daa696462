/*
 * mbtest: a Multiboot (v1) kernel of the kind QEMU-targeted test suites
 * boot.  Entered in 32-bit protected mode, it checks the loader's magic
 * and information, prints to COM1, reads the CPU count from fw_cfg and
 * leaves through isa-debug-exit with value 0x20 + CPUs (0x3f on failure).
 */
	.code32
	.text
	.globl _start
	.balign 4
mb_header:
	.long 0x1BADB002
	.long 0x00000002                /* wants memory information */
	.long -(0x1BADB002 + 0x00000002)
_start:
	cmp $0x2BADB002, %eax
	jne bad
	testl $1, (%ebx)                /* mem_lower/mem_upper valid */
	jz bad
	cmpl $0, 8(%ebx)                /* mem_upper: KiB above 1 MiB */
	je bad
	mov $msg, %esi
1:	lodsb
	test %al, %al
	jz 2f
	mov $0x3f8, %dx
	outb %al, %dx
	jmp 1b
2:	mov $0x510, %dx                 /* fw_cfg: select FW_CFG_NB_CPUS */
	mov $5, %ax
	outw %ax, %dx
	mov $0x511, %dx
	inb %dx, %al
	movzbl %al, %eax
	add $0x20, %eax
	mov $0xf4, %dx
	outl %eax, %dx
bad:	mov $0x3f, %eax
	mov $0xf4, %dx
	outl %eax, %dx
3:	hlt
	jmp 3b
msg:	.asciz "multiboot ok\n"
