/*
 * smpwork: every vCPU runs the same compute loop (registers only, no
 * memory traffic) for ms=N milliseconds (default 200) after a common
 * start; reports each vCPU's rate and the total in millions of loop
 * iterations per second.  On an overcommitted host the total shows how
 * many physical CPUs the vCPUs really got.
 */
#include "kb.h"

static volatile uint64_t rate_kops[KB_GUEST_MAX_CPUS]; /* thousands/s */
static volatile unsigned done;

static uint64_t work(uint64_t cycles)
{
	uint64_t start = rdtsc(), n = 0, x = 1;

	/* rdtsc may trap on some hosts: read it rarely. */
	while (rdtsc() - start < cycles) {
		for (int i = 0; i < 65536; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		n += 65536;
	}
	__asm__ volatile("" ::"r"(x));
	return n * (kb_tsc_khz() ? kb_tsc_khz() : 1000000) / (rdtsc() - start); /* per ms */
}

static void run_on(unsigned cpu)
{
	uint64_t ms = kb_arg_u64("ms", 200);
	uint64_t khz = kb_tsc_khz() ? kb_tsc_khz() : 1000000;

	kb_barrier(kb_bi->ncpus);
	rate_kops[cpu] = work(ms * khz);
	__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
}

void kb_ap_main(unsigned cpu)
{
	run_on(cpu);
}

int main(void)
{
	char name[KB_BENCH_NAME_MAX];
	uint64_t total = 0;

	run_on(0);
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < kb_bi->ncpus)
		cpu_relax();
	for (unsigned i = 0; i < kb_bi->ncpus; i++) {
		kb_snprintf(name, sizeof(name), "smpwork_vcpu%u", i);
		kb_metric(name, (int64_t)rate_kops[i], -3, "Mops/s");
		total += rate_kops[i];
	}
	kb_metric("smpwork_total", (int64_t)total, -3, "Mops/s");
	kb_metric("smpwork_vcpus", kb_bi->ncpus, 0, "count");
	kb_printf("smpwork: %u vCPUs, %llu.%03llu Mops/s in all\n", kb_bi->ncpus,
		  (unsigned long long)(total / 1000), (unsigned long long)(total % 1000));
	return 0;
}
