/* msr: RDMSR of IA32_APIC_BASE, which KVM emulates in the kernel. */
#include "kb.h"

#define MSR_IA32_APIC_BASE 0x1b

static void run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		(void)rdmsr(MSR_IA32_APIC_BASE);
}

static const struct kb_case cases[] = {
    {"msr", run, 0, "RDMSR IA32_APIC_BASE"},
};

int main(void)
{
	kb_run_cases(cases, 1);
	return 0;
}
