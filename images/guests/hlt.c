/*
 * hlt: HLT woken by the local APIC timer.  Each iteration arms a one-shot
 * timer with a short count, halts, and is woken by the interrupt: the
 * cost of blocking in KVM and being woken by an in-kernel timer.
 */
#include "kb.h"

#define TIMER_VECTOR 0x40

static volatile uint64_t ticks;

static void on_timer(struct kb_frame *f)
{
	(void)f;
	ticks++;
	kb_lapic_eoi();
}

static void run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t before = ticks;

		kb_lapic_timer_oneshot(TIMER_VECTOR, 1000);
		while (ticks == before)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

static const struct kb_case cases[] = {
    {"hlt", run, 0, "HLT woken by a LAPIC timer interrupt"},
};

int main(void)
{
	kb_set_handler(TIMER_VECTOR, on_timer);
	kb_lapic_enable();
	kb_run_cases(cases, 1);
	return 0;
}
