/*
 * memtouch: first-touch cost per 4 KiB page.  Maps mib=N MiB (default 32)
 * of never-touched RAM with 4 KiB pages under its own page tables, writes
 * one byte per page (first touch: the host allocates and maps the page,
 * through EPT/NPT or the shadow MMU), then does it again (retouch).
 */
#include "kb.h"
#include "pt.h"

int main(void)
{
	uint64_t mib = kb_arg_u64("mib", 32), pages, t0, t1, t2;
	uint64_t *root;
	volatile uint8_t *mem;

	mem = kb_pt_region(mib, &root);
	pages = (mib << 20) >> 12;
	write_cr3((uint64_t)root);
	t0 = rdtsc();
	for (uint64_t p = 0; p < pages; p++)
		mem[p << 12] = 1;
	t1 = rdtsc();
	for (uint64_t p = 0; p < pages; p++)
		mem[p << 12] = 2;
	t2 = rdtsc();
	write_cr3(kb_pt_boot_root());
	kb_metric("memtouch_first", (int64_t)((t1 - t0) * 1000 / pages), -3, "cycles");
	kb_metric("memtouch_retouch", (int64_t)((t2 - t1) * 1000 / pages), -3, "cycles");
	kb_metric("memtouch_pages", (int64_t)pages, 0, "count");
	kb_printf("memtouch: %llu pages, first touch %llu cycles/page, retouch %llu\n",
		  (unsigned long long)pages, (unsigned long long)((t1 - t0) / pages),
		  (unsigned long long)((t2 - t1) / pages));
	return 0;
}
