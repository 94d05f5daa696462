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

int main(void)
{
	uint16_t cnt = inw(KB_ACPI_PM1_CNT);

	if (cnt == 0xffff || !(cnt & 1))
		kb_skip("no ACPI PM block: run with -machine acpi-pm=on");
	if (!kb_bi->tsc_khz)
		kb_skip("the TSC frequency is unknown");
	uint32_t t0 = inl(KB_ACPI_PM_TMR), t1;
	uint64_t tol = kb_arg_u64("tol", 2), ms = kb_arg_u64("ms", 20);
	uint64_t c0 = rdtsc(), c1, want = kb_bi->tsc_khz * (ms < 4000 ? ms : 4000);

	do {
		t1 = inl(KB_ACPI_PM_TMR);
		c1 = rdtsc();
	} while (c1 - c0 < want);
	uint64_t ticks = (uint32_t)(t1 - t0), hz = ticks * kb_bi->tsc_khz * 1000 / (c1 - c0);

	kb_metric("pm_timer_hz", (int64_t)hz, 0, "Hz");
	kb_printf("PM timer: %llu ticks in %llu TSC cycles: %llu Hz\n", (unsigned long long)ticks,
		  (unsigned long long)(c1 - c0), (unsigned long long)hz);
	if (hz * 100 < KB_ACPI_PM_TMR_HZ * (100 - tol) ||
	    hz * 100 > KB_ACPI_PM_TMR_HZ * (100 + tol))
		kb_fail("PM timer runs at %llu Hz, not %u", (unsigned long long)hz,
			KB_ACPI_PM_TMR_HZ);
	outw(KB_ACPI_PM1_CNT, (uint16_t)(KB_ACPI_S5_TYP << 10 | 1 << 13));
	kb_fail("still running after the S5 write");
}
