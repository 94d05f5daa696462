/*
 * tlbwalk: random reads over a working set of mib=N MiB (default 64)
 * mapped with 4 KiB pages, so nearly every read misses the TLB: the cost
 * of a page walk (two-dimensional with EPT/NPT, one-dimensional on shadow
 * page tables).
 */
#include "kb.h"
#include "pt.h"

static volatile uint8_t *mem;
static uint64_t pages, seed = 88172645463325252ull, sink;

static void run(uint64_t n)
{
	uint64_t x = seed, s = 0;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		s += mem[(x % pages) << 12 | (x >> 52 & 0xfc0)];
	}
	seed = x;
	sink += s;
}

static const struct kb_case cases[] = {
    {"tlbwalk", run, 0, "random read over 4 KiB pages"},
};

int main(void)
{
	uint64_t mib = kb_arg_u64("mib", 64), *root;

	mem = kb_pt_region(mib, &root);
	pages = (mib << 20) >> 12;
	write_cr3((uint64_t)root);
	for (uint64_t p = 0; p < pages; p++) /* fault everything in first */
		mem[p << 12] = (uint8_t)p;
	kb_run_cases(cases, 1);
	kb_metric("tlbwalk_mib", (int64_t)mib, 0, "MiB");
	return 0;
}
