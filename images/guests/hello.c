/*
 * hello: prints a greeting and reports pass.  The smallest guest, and the
 * one the tests steer through the VMM's other endings:
 *   hang=1      halt with interrupts off and never report (-timeout)
 *   exit=N      leave through isa-debug-exit with value N
 *   reset=1     pulse the reset line through the i8042
 *   badbench=1  send the bench device malformed requests first
 *   rtc=1       read the CMOS clock first (the VMM's RTC, on this vCPU's thread)
 */
#include "kb.h"

static void bad_bench_requests(void)
{
	static struct kb_bench_req bogus; /* magic left zero */

	outl(KB_PORT_BENCH, 0xfffff000);		 /* outside RAM */
	outl(KB_PORT_BENCH, (uint32_t)(uint64_t)&bogus); /* bad magic */
	outb(KB_PORT_BENCH, 1);				 /* wrong width */
}

int main(void)
{
	kb_mark("main");
	kb_printf("Hello from kvmbench guest on %u vCPU(s), %llu MiB\n", kb_bi->ncpus,
		  (unsigned long long)(kb_bi->ram_size >> 20));
	kb_puts("KVMBENCH MARK hello_console\n");
	if (kb_arg_u64("rtc", 0)) {
		outb(0x70, 0); /* seconds */
		kb_printf("rtc seconds %02x\n", inb(0x71));
	}
	if (kb_arg_u64("badbench", 0))
		bad_bench_requests();
	if (kb_arg_u64("exit", 0))
		kb_debug_exit((uint32_t)kb_arg_u64("exit", 0));
	if (kb_arg_u64("reset", 0))
		outb(KB_PORT_I8042_CMD, 0xfe);
	if (kb_arg_u64("hang", 0))
		for (;;)
			__asm__ volatile("cli; hlt");
	return 0;
}
