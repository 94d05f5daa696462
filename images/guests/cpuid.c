/* cpuid: the cost of a CPUID exit (handled inside KVM). */
#include "kb.h"

static void run(uint64_t n)
{
	uint32_t r[4];

	for (uint64_t i = 0; i < n; i++)
		cpuid(0, 0, r);
}

static const struct kb_case cases[] = {
    {"cpuid", run, 0, "CPUID leaf 0"},
};

int main(void)
{
	kb_run_cases(cases, 1);
	return 0;
}
