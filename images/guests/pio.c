/*
 * pio: the round trip of a port-I/O exit to the VMM.  The port
 * (KB_PORT_UNUSED) belongs to no device, so the VMM answers it as absent
 * hardware and counts it as "unhandled": pio_iterations equals the
 * number of exits the VMM charges to that port.
 */
#include "kb.h"

/* The same three instructions as the floor loop in vmm/tools/kvm-floor.c,
 * so make bench-vmm compares like with like. */
static void run(uint64_t n)
{
	__asm__ volatile("1: outb %%al, %1\n\tdec %0\n\tjnz 1b"
			 : "+c"(n)
			 : "i"(KB_PORT_UNUSED), "a"(0)
			 : "memory");
}

static const struct kb_case cases[] = {
    {"pio", run, 0, "OUT to an unclaimed port"},
};

int main(void)
{
	kb_run_cases(cases, 1);
	return 0;
}
