/*
 * ipi: inter-processor interrupt round trip through the local APICs.
 * CPU 0 sends vector 0x41 to CPU 1, whose handler answers with vector 0x42;
 * one iteration is one ping and one pong.  Needs two vCPUs.
 */
#include "kb.h"

#define PING 0x41
#define PONG 0x42

static volatile uint64_t pongs;
static volatile int ap_ready;

static void on_ping(struct kb_frame *f)
{
	(void)f;
	kb_lapic_eoi();
	kb_lapic_ipi(kb_bi->apic_id[0], PONG);
}

static void on_pong(struct kb_frame *f)
{
	(void)f;
	pongs++;
	kb_lapic_eoi();
}

void kb_ap_main(unsigned cpu)
{
	if (cpu != 1)
		return;
	kb_lapic_enable();
	ap_ready = 1;
	for (;;)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static bool two_cpus(const char **why)
{
	*why = "needs at least 2 vCPUs (-smp 2)";
	return kb_bi->ncpus >= 2;
}

static void run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t before = pongs;

		kb_lapic_ipi(kb_bi->apic_id[1], PING);
		while (pongs == before)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

static const struct kb_case cases[] = {
    {"ipi", run, two_cpus, "IPI round trip between vCPU 0 and 1"},
};

int main(void)
{
	kb_set_handler(PING, on_ping);
	kb_set_handler(PONG, on_pong);
	kb_lapic_enable();
	if (kb_bi->ncpus >= 2)
		while (!ap_ready)
			cpu_relax();
	kb_run_cases(cases, 1);
	return 0;
}
