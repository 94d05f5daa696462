/*
 * acpipm: the ACPI PM block of -machine acpi-pm=on.  Checks SCI_EN (ACPI
 * always enabled), that the PM timer counts forward at 3.579545 MHz
 * against the TSC over ms= milliseconds (default 20) within tol= percent
 * (default 2), reports that rate, then powers the machine off by writing
 * \_S5's sleep type with SLP_EN to PM1a_CNT: the VMM ends with status 0,
 * result "poweroff".  Without the PM block it skips.  (In the lab, where
 * timings are emulated, the tests measure longer and judge looser.)
 */
#include "kb.h"

struct stamp {
	uint32_t pm;	     /* the PM timer's count */
	uint64_t tsc, width; /* the TSC at the read (midpoint) and the bracket's width */
};

/*
 * A PM timer read and the TSC at it: the read between two rdtsc, the
 * narrowest of up to 16 tries (one under 50 us is taken at once).  The VMM
 * reads the host clock for the timer; a host stall between that and the
 * guest's rdtsc would otherwise count as timer time (one core busy beside
 * a 20 ms window read -70%).
 */
static struct stamp stamp(void)
{
	struct stamp best = {0, 0, UINT64_MAX};
	uint64_t quick = kb_bi->tsc_khz * 50 / 1000;

	for (int i = 0; i < 16 && best.width > quick; i++) {
		uint64_t a = rdtsc();
		uint32_t pm = inl(KB_ACPI_PM_TMR);
		uint64_t b = rdtsc();

		if (b - a < best.width)
			best = (struct stamp){pm, a + (b - a) / 2, b - a};
	}
	return best;
}

int main(void)
{
	uint16_t cnt = inw(KB_ACPI_PM1_CNT);

	if (cnt == 0xffff || !(cnt & 1))
		kb_skip("no ACPI PM block: run with -machine acpi-pm=on");
	if (!kb_bi->tsc_khz)
		kb_skip("the TSC frequency is unknown");
	uint64_t tol = kb_arg_u64("tol", 2), ms = kb_arg_u64("ms", 20);
	uint64_t want = kb_bi->tsc_khz * (ms < 4000 ? ms : 4000);
	struct stamp s0 = stamp(), s1;

	while (rdtsc() - s0.tsc < want)
		;
	s1 = stamp();
	uint64_t ticks = (uint32_t)(s1.pm - s0.pm), cycles = s1.tsc - s0.tsc;
	uint64_t hz = ticks * kb_bi->tsc_khz * 1000 / cycles;

	kb_metric("pm_timer_hz", (int64_t)hz, 0, "Hz");
	kb_printf("PM timer: %llu ticks in %llu TSC cycles (reads bracketed within %llu and "
		  "%llu cycles): %llu Hz\n",
		  (unsigned long long)ticks, (unsigned long long)cycles,
		  (unsigned long long)s0.width, (unsigned long long)s1.width,
		  (unsigned long long)hz);
	if (hz * 100 < KB_ACPI_PM_TMR_HZ * (100 - tol) ||
	    hz * 100 > KB_ACPI_PM_TMR_HZ * (100 + tol))
		kb_fail("PM timer runs at %llu Hz, not %u", (unsigned long long)hz,
			KB_ACPI_PM_TMR_HZ);
	outw(KB_ACPI_PM1_CNT, (uint16_t)(KB_ACPI_S5_TYP << 10 | 1 << 13));
	kb_fail("still running after the S5 write");
}
