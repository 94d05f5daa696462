/*
 * One bus for port I/O and MMIO.
 *
 * Devices register [base, base+len) ranges with a handler; overlapping
 * ranges are refused.  Each space keeps its ranges sorted so a lookup is a
 * binary search.  Every region gets a small integer id so the exit
 * accounting can count per region without hashing; ids 0 and 1 are the
 * "unhandled" buckets of the two spaces.  Registration happens before the
 * vCPUs start; afterwards the bus is read-only and needs no lock.
 */
#ifndef KB_BUS_H
#define KB_BUS_H

#include <stdbool.h>
#include <stdint.h>

enum kb_space { KB_SPACE_PIO = 0, KB_SPACE_MMIO = 1 };

/* One access.  For reads the handler fills data[0..len). */
struct kb_io {
	enum kb_space space;
	uint64_t addr;
	uint8_t *data;
	uint32_t len;
	bool write;
	unsigned vcpu;
};

typedef void (*kb_io_fn)(struct kb_io *io, void *opaque);

struct kb_region {
	uint64_t base, len;
	const char *name;
	kb_io_fn fn;
	void *opaque;
	unsigned id;
};

#define KB_REGION_UNHANDLED_PIO 0
#define KB_REGION_UNHANDLED_MMIO 1
#define KB_BUS_MAX_REGIONS 64

struct kb_bus {
	struct kb_region r[2][KB_BUS_MAX_REGIONS]; /* sorted by base */
	unsigned n[2];
	const char *names[KB_BUS_MAX_REGIONS * 2 + 2]; /* by id */
	enum kb_space spaces[KB_BUS_MAX_REGIONS * 2 + 2];
	unsigned nids;
};

void kb_bus_init(struct kb_bus *bus);

/*
 * Add a region.  Returns its id (>= 2), -EINVAL for an empty or wrapping
 * range, -EEXIST when it overlaps a registered range, -ENOSPC when full.
 */
__attribute__((warn_unused_result)) int kb_bus_register(struct kb_bus *bus, enum kb_space space,
							uint64_t base, uint64_t len,
							const char *name, kb_io_fn fn,
							void *opaque);

/* The region wholly containing [addr, addr+len), or NULL. */
const struct kb_region *kb_bus_find(const struct kb_bus *bus, enum kb_space space, uint64_t addr,
				    uint32_t len);

/* Dispatch one access; returns the id of the region charged for it.
 * Unclaimed reads return all ones, like absent ISA/PCI hardware. */
unsigned kb_bus_access(const struct kb_bus *bus, struct kb_io *io);

#endif
