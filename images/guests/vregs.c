/*
 * vregs: the virtio-pci register windows read at every offset and width.
 * Against a virtio-rng (no device configuration), after queue 0 is set
 * up: bytes of the common configuration's queue address fields read back
 * as written at any offset inside them; everything past the last field
 * (0x38 to the end of the page) and the rest of BAR 0 (ISR, device
 * configuration, notify pages) reads zero.  Once a read at 0x38 or above
 * shifted a 64-bit value by 64 bits or more (undefined; the VMM's UBSan
 * build aborted, the plain build returned queue_device again).
 */
#include "virtio.h"

static uint64_t rd(volatile uint8_t *p, unsigned w)
{
	switch (w) {
	case 1: return *p;
	case 2: return *(volatile uint16_t *)p;
	case 4: return *(volatile uint32_t *)p;
	default: return *(volatile uint64_t *)p;
	}
}

static uint64_t mask(unsigned w)
{
	return w == 8 ? ~0ull : (1ull << (8 * w)) - 1;
}

int main(void)
{
	struct kb_vdev d;
	struct kb_vring r;
	const char *why;
	unsigned reads = 0;

	if (kb_virtio_open(&d, 4, 0, &why))
		kb_skip("virtio-rng: %s", why);
	if (kb_virtio_queue(&d, 0, &r, 0, -1, 0))
		kb_fail("queue set-up refused");
	const uint64_t addr[3] = {(uintptr_t)r.desc, (uintptr_t)r.avail, (uintptr_t)r.used};

	/* inside the address fields, at every offset: the field's bytes from there */
	for (unsigned off = 0x20; off < 0x38; off++)
		for (unsigned w = 1; w <= 8; w *= 2) {
			uint64_t want = (addr[(off - 0x20) / 8] >> (8 * (off % 8))) & mask(w);
			uint64_t got = rd(d.common + off, w);

			reads++;
			if (got != want)
				kb_fail("common config +0x%x (%u bytes): 0x%llx, not 0x%llx", off,
					w, (unsigned long long)got, (unsigned long long)want);
		}
	/* past the last field, to the end of the page, and the rest of BAR 0 */
	for (unsigned off = 0x38; off < 0x4000; off++)
		for (unsigned w = 1; w <= 8; w *= 2) {
			if ((off & 0xfff) + w > 0x1000 || (off >= 0x1000 && off % w))
				continue; /* no access across a page; aligned beyond the first */
			uint64_t got = rd(d.common + off, w);

			reads++;
			if (got)
				kb_fail("BAR 0 +0x%x (%u bytes) reads 0x%llx, not 0", off, w,
					(unsigned long long)got);
		}
	kb_printf("vregs: %u reads, every one as expected\n", reads);
	kb_pass();
}
