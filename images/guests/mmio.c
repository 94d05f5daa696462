/* mmio: the round trip of an MMIO exit (a write to unbacked address space). */
#include "kb.h"

static void run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		mmio_write32(KB_MMIO_SCRATCH, (uint32_t)i);
}

static const struct kb_case cases[] = {
    {"mmio", run, 0, "write to unbacked MMIO"},
};

int main(void)
{
	kb_run_cases(cases, 1);
	return 0;
}
