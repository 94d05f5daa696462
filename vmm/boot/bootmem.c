/*
 * RAM map and initrd placement shared by the boot protocols (bootmem.h).
 */
#include "bootmem.h"

#include <string.h>

#include "kvmbench/abi.h"
#include "common/util.h"

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
	uint64_t to = size <= top ? (top - size) & ~4095ull : 0;

	if (above > top || !kb_range_ok(to, size, above, top - above))
		return kb_errf(err, errlen,
			       "-initrd: %zu bytes do not fit between the kernel's end "
			       "0x%llx and 0x%llx (raise -m)",
			       size, (unsigned long long)above, (unsigned long long)top);
	*at = to;
	memcpy(m->host + to, initrd, size);
	return 0;
}

void kb_boot_reset_stub(struct kb_mem *m)
{
	static const uint8_t stub[] = {
	    0xb0, 0xfe, /* mov al, 0xfe */
	    0xe6, 0x64, /* out 0x64, al: pulse the reset line */
	    0xfa,	/* cli */
	    0xf4,	/* hlt */
	    0xeb, 0xfd, /* jmp to the hlt */
	};
	uint8_t *p = kb_mem_gpa(m, KB_RESET_VECTOR, 16);

	if (!p)
		return; /* RAM ends below 1 MiB: nothing to jump to anyway */
	memset(p, 0xf4, 16);
	memcpy(p, stub, sizeof(stub));
}
