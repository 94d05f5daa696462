/*
 * RAM map and initrd placement shared by the boot protocols (bootmem.h).
 */
#include "bootmem.h"

#include <string.h>

#include "../layout.h"
#include "../util.h"

unsigned kb_boot_ram_map(const struct kb_mem *m, struct kb_ram_range r[4])
{
	const struct kb_ram_range all[4] = {
	    {0, 0x9fc00, KB_E820_RAM},
	    {0x9fc00, 0x100000 - 0x9fc00, KB_E820_RESERVED},
	    {0x100000, m->low - 0x100000, KB_E820_RAM},
	    {KB_HIGH_RAM_START, m->high, KB_E820_RAM},
	};
	unsigned n = 0;

	for (int i = 0; i < 4; i++)
		if (all[i].len)
			r[n++] = all[i];
	return n;
}

int kb_boot_place_initrd(struct kb_mem *m, const uint8_t *initrd, size_t size, uint64_t above,
			 uint64_t limit, uint64_t *at, char *err, size_t errlen)
{
	uint64_t top = limit && limit < m->low ? limit : m->low;

	if (size > top || ((top - size) & ~4095ull) < above)
		return kb_errf(err, errlen,
			       "-initrd: %zu bytes do not fit between the kernel's end "
			       "0x%llx and 0x%llx (raise -m)",
			       size, (unsigned long long)above, (unsigned long long)top);
	*at = (top - size) & ~4095ull;
	memcpy(m->host + *at, initrd, size);
	return 0;
}
