/*
 * The port I/O and MMIO bus: sorted, non-overlapping ranges per space.
 */
#include "bus.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/util.h"

#ifndef NDEBUG
/* Every range of the space ends before the next one starts. */
static bool ordered(const struct kb_bus *bus, enum kb_space space)
{
	const struct kb_region *r = bus->r[space];

	for (unsigned i = 1; i < bus->n[space]; i++)
		if (r[i - 1].base + r[i - 1].len - 1 >= r[i].base)
			return false;
	return true;
}
#endif

void kb_bus_init(struct kb_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	bus->names[KB_REGION_UNHANDLED_PIO] = "unhandled";
	bus->spaces[KB_REGION_UNHANDLED_PIO] = KB_SPACE_PIO;
	bus->names[KB_REGION_UNHANDLED_MMIO] = "unhandled";
	bus->spaces[KB_REGION_UNHANDLED_MMIO] = KB_SPACE_MMIO;
	bus->nids = 2;
}

int kb_bus_register(struct kb_bus *bus, enum kb_space space, uint64_t base, uint64_t len,
		    const char *name, kb_io_fn fn, void *opaque)
{
	struct kb_region *r = bus->r[space];
	unsigned n = bus->n[space], pos = 0;

	if (len == 0 || base + len - 1 < base || !fn || !name)
		return -EINVAL;
	if (n == KB_BUS_MAX_REGIONS)
		return -ENOSPC;
	while (pos < n && r[pos].base < base)
		pos++;
	/* Neighbours are the only candidates for overlap in a sorted set. */
	if (pos > 0 && r[pos - 1].base + r[pos - 1].len - 1 >= base)
		return -EEXIST;
	if (pos < n && base + len - 1 >= r[pos].base)
		return -EEXIST;
	assert(bus->nids < sizeof(bus->names) / sizeof(bus->names[0]));
	memmove(&r[pos + 1], &r[pos], (n - pos) * sizeof(*r));
	r[pos] = (struct kb_region){base, len, name, fn, opaque, bus->nids};
	bus->names[bus->nids] = name;
	bus->spaces[bus->nids] = space;
	bus->n[space]++;
	assert(ordered(bus, space));
	return (int)bus->nids++;
}

const struct kb_region *kb_bus_find(const struct kb_bus *bus, enum kb_space space, uint64_t addr,
				    uint32_t len)
{
	const struct kb_region *r = bus->r[space];
	unsigned lo = 0, hi = bus->n[space];

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (addr < r[mid].base) {
			hi = mid;
		} else if (addr - r[mid].base >= r[mid].len) {
			lo = mid + 1;
		} else {
			/* Found the start; the access must end inside too. */
			return kb_range_ok(addr, len, r[mid].base, r[mid].len) ? &r[mid] : NULL;
		}
	}
	return NULL;
}

unsigned kb_bus_access(const struct kb_bus *bus, struct kb_io *io)
{
	const struct kb_region *r = kb_bus_find(bus, io->space, io->addr, io->len);

	if (!r) {
		if (!io->write)
			memset(io->data, 0xff, io->len);
		return io->space == KB_SPACE_PIO ? KB_REGION_UNHANDLED_PIO
						 : KB_REGION_UNHANDLED_MMIO;
	}
	assert(r->id >= 2 && r->id < bus->nids);
	r->fn(io, r->opaque);
	return r->id;
}
