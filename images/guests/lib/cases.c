/*
 * The table-driven benchmark runner, shaped like kvm-unit-tests'
 * x86/vmexit.c: each case runs with a doubling iteration count until one
 * round lasts long enough to measure, then reports cycles per iteration.
 * Each round starts with a mark named after the case and the last ends
 * with "<case>_end", so the host's clock times the final round too
 * (make bench-vmm compares that with the bare KVM_RUN loop).
 */
#include "kb.h"
#include "round.h"

uint64_t kb_tsc_khz(void)
{
	return kb_bi->tsc_khz;
}

/* One round of case ctx: its mark, then iters iterations.  Its cycles. */
static uint64_t one_round(void *ctx, uint64_t iters)
{
	const struct kb_case *c = ctx;

	kb_mark(c->name);
	uint64_t t0 = rdtsc();

	c->run(iters);
	return rdtsc() - t0;
}

static void run_case(const struct kb_case *c, uint64_t min_cycles)
{
	struct kb_rounds r;
	char name[KB_BENCH_NAME_MAX];

	kb_rounds_run(min_cycles, one_round, (void *)c, &r);
	uint64_t iters = r.iters, total = r.total, cycles = r.cycles;

	kb_snprintf(name, sizeof(name), "%s_end", c->name);
	kb_mark(name);
	/* Fixed point, thousandths: no floating point in guests. */
	uint64_t milli = cycles * 1000 / iters;

	kb_metric(c->name, (int64_t)milli, -3, "cycles");
	if (kb_tsc_khz()) {
		kb_snprintf(name, sizeof(name), "%s_ns", c->name);
		kb_metric(name, (int64_t)(milli * 1000000 / kb_tsc_khz()), -3, "ns");
	}
	kb_snprintf(name, sizeof(name), "%s_iterations", c->name);
	kb_metric(name, (int64_t)total, 0, "count");
	kb_snprintf(name, sizeof(name), "%s_last_round", c->name);
	kb_metric(name, (int64_t)iters, 0, "count");
	kb_printf("%s: %llu.%03llu cycles per %s (%llu iterations in the last round; %u "
		  "stalled rounds run again)\n",
		  c->name, (unsigned long long)(milli / 1000), (unsigned long long)(milli % 1000),
		  c->what, (unsigned long long)iters, r.stalls);
}

void kb_run_cases(const struct kb_case *cases, unsigned n)
{
	uint64_t ms = kb_arg_u64("ms", 100);
	uint64_t khz = kb_tsc_khz() ? kb_tsc_khz() : 1000000; /* assume 1 GHz */
	unsigned ran = 0;
	const char *why = "no case is valid on this host";

	for (unsigned i = 0; i < n; i++) {
		const char *w = 0;

		if (cases[i].valid && !cases[i].valid(&w)) {
			kb_printf("%s: skipped: %s\n", cases[i].name, w ? w : "not valid here");
			why = w ? w : why;
			continue;
		}
		run_case(&cases[i], ms * khz);
		ran++;
	}
	if (!ran)
		kb_skip("%s", why);
}
