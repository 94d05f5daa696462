/*
 * Page tables built by the guest itself, for the paging benchmarks: a new
 * root that keeps the boot identity map (PML4 slot 0) and maps test
 * regions with 4 KiB pages from KB_PT_TEST_VA up.
 */
#include "kb.h"
#include "pt.h"

#define P 0x1ull
#define RW 0x2ull
#define ADDR_MASK 0x000ffffffffff000ull

uint64_t *kb_pt_new_root(void)
{
	uint64_t *root = kb_alloc(4096, 4096);
	const uint64_t *boot = (const uint64_t *)kb_pt_boot_root();

	memset(root, 0, 4096);
	root[0] = boot[0]; /* identity map of RAM, MMIO hole and APIC */
	return root;
}

static uint64_t *next_level(uint64_t *table, unsigned idx)
{
	if (!(table[idx] & P)) {
		uint64_t *t = kb_alloc(4096, 4096);

		memset(t, 0, 4096);
		table[idx] = (uint64_t)t | P | RW;
	}
	return (uint64_t *)(table[idx] & ADDR_MASK);
}

uint64_t *kb_pt_leaf(uint64_t *root, uint64_t va)
{
	uint64_t *pdpt = next_level(root, (va >> 39) & 511);
	uint64_t *pd = next_level(pdpt, (va >> 30) & 511);
	uint64_t *pt = next_level(pd, (va >> 21) & 511);

	return &pt[(va >> 12) & 511];
}

void kb_pt_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += 4096)
		*kb_pt_leaf(root, va + off) = (pa + off) | P | RW;
}

void *kb_pt_region(uint64_t mib, uint64_t **root_out)
{
	uint64_t bytes = mib << 20;

	/* the region, its page tables and 2 MiB of alignment slack */
	if (mib == 0 || bytes + (bytes >> 9) + (2 << 20) > kb_free_ram())
		kb_skip("mib=%llu does not fit in %llu MiB of free guest RAM",
			(unsigned long long)mib, (unsigned long long)(kb_free_ram() >> 20));
	uint64_t *root = kb_pt_new_root();
	void *phys = kb_alloc(bytes, 2 << 20);

	kb_pt_map(root, KB_PT_TEST_VA, (uint64_t)phys, bytes);
	*root_out = root;
	return (void *)KB_PT_TEST_VA;
}
