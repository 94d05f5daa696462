/*
 * ptchurn: build and tear down page tables and switch CR3, the work a
 * process-heavy guest makes the MMU do.  Each iteration fills 16 PTEs,
 * switches to the new root, touches the 16 pages, switches back and
 * clears the PTEs.  Expensive under shadow paging (write-protected guest
 * tables, resyncs on CR3 loads), cheap with EPT/NPT.
 */
#include "kb.h"
#include "pt.h"

#define PAGES 16

static uint64_t *root, *ptes[PAGES], boot_cr3;
static uint8_t *frames;

static void run(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		for (unsigned p = 0; p < PAGES; p++)
			*ptes[p] = ((uint64_t)frames + p * 4096ull) | 3;
		write_cr3((uint64_t)root);
		for (unsigned p = 0; p < PAGES; p++)
			(void)*(volatile uint8_t *)(KB_PT_TEST_VA + p * 4096ull);
		write_cr3(boot_cr3);
		for (unsigned p = 0; p < PAGES; p++)
			*ptes[p] = 0;
	}
}

static const struct kb_case cases[] = {
    {"ptchurn", run, 0, "map 16 pages, switch CR3, touch, switch back, unmap"},
};

int main(void)
{
	boot_cr3 = kb_pt_boot_root();
	root = kb_pt_new_root();
	frames = kb_alloc(PAGES * 4096, 4096);
	for (unsigned p = 0; p < PAGES; p++)
		ptes[p] = kb_pt_leaf(root, KB_PT_TEST_VA + p * 4096ull);
	kb_run_cases(cases, 1);
	return 0;
}
