/*
 * outb PORT VALUE: write one byte to an I/O port (ioperm, then outb), as
 * /dev/port would: Debian's cloud kernel has no /dev/port
 * (CONFIG_DEVPORT is not set).  The init ends the machine with it:
 * `outb 0x64 0xfe` (i8042 reset) or `outb 0xf4 2` (isa-debug-exit).
 * First it waits until its standard output, when a terminal (the serial
 * console), has sent everything (tcdrain): the 8250 driver sends from a
 * buffer on interrupts, and lines still in it would die with the machine.
 * No libc (-nostdlib -static): a few hundred bytes in the initramfs.
 * Status 0 written, 1 ioperm refused, 2 usage.
 */
static long sys3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

#define SYS_write 1
#define SYS_ioctl 16
#define TCSBRK 0x5409 /* with a non-zero argument: tcdrain */
#define SYS_ioperm 173
#define SYS_exit 60

static int num(const char *s, unsigned long *v)
{
	unsigned long base = 10, x = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = *s >= '0' && *s <= '9'   ? (unsigned)(*s - '0')
			     : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10)
			     : *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10)
						      : 99;
		if (d >= base)
			return -1;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

static void say(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	sys3(SYS_write, 2, (long)s, n);
}

__attribute__((used)) static void start(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	unsigned long port, val;

	if (argc != 3 || num(argv[1], &port) || num(argv[2], &val) || port > 0xffff || val > 0xff) {
		say("usage: outb PORT VALUE\n");
		sys3(SYS_exit, 2, 0, 0);
	}
	sys3(SYS_ioctl, 1, TCSBRK, 1); /* fails harmlessly when not a terminal */
	if (sys3(SYS_ioperm, (long)port, 1, 1)) {
		say("outb: ioperm refused\n");
		sys3(SYS_exit, 1, 0, 0);
	}
	__asm__ volatile("outb %b0, %w1" : : "a"((unsigned char)val), "Nd"((unsigned short)port));
	sys3(SYS_exit, 0, 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call start\n"
	"	hlt\n");
