/*
 * crash: triple fault.  With an empty IDT the first exception cannot be
 * delivered, which escalates to a double fault and then a shutdown
 * (KVM_EXIT_SHUTDOWN): exit status 3.
 */
#include "kb.h"

int main(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = {0, 0};

	kb_printf("crash: loading an empty IDT and faulting\n");
	__asm__ volatile("lidt %0; ud2" ::"m"(empty));
	return 1;
}
