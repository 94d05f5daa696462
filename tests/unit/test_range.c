/*
 * kb_range_ok, the one range check for guest- and image-supplied
 * addresses and lengths, at its edges and where a sum would wrap; and its
 * users that take guest addresses (kb_mem_gpa, the bus).
 */
#include <stdlib.h>

#include "bus.h"
#include "kvmbench/abi.h"
#include "memory.h"
#include "unit.h"
#include "common/util.h"

#define MAX UINT64_MAX

static void range_edges(void)
{
	CHECK(kb_range_ok(0, 0, 0, 0));	  /* empty in empty */
	CHECK(kb_range_ok(0, 16, 0, 16)); /* exactly the whole */
	CHECK(kb_range_ok(8, 8, 0, 16));  /* ends at the end */
	CHECK(kb_range_ok(16, 0, 0, 16)); /* empty, at the end */
	CHECK(!kb_range_ok(17, 0, 0, 16));
	CHECK(!kb_range_ok(8, 9, 0, 16)); /* one byte over */
	CHECK(!kb_range_ok(0, 17, 0, 16));
	CHECK(kb_range_ok(0x1000, 0x1000, 0x1000, 0x1000)); /* with a base */
	CHECK(!kb_range_ok(0xfff, 1, 0x1000, 0x1000));	    /* before it */
	CHECK(!kb_range_ok(0x1800, 0x801, 0x1000, 0x1000));
}

static void range_wraps(void)
{
	/* addr + len wraps to a small number: a naive "addr + len <= limit" passes */
	CHECK(!kb_range_ok(MAX - 0xfff, 0x100000, 0, 64 << 20));
	CHECK(!kb_range_ok(0x100000, MAX, 0, 64 << 20));
	CHECK(!kb_range_ok(MAX, 1, 0, MAX));
	CHECK(!kb_range_ok(MAX, MAX, 0, MAX));
	CHECK(kb_range_ok(MAX, 0, 0, MAX));
	CHECK(kb_range_ok(0, MAX, 0, MAX));
	CHECK(kb_range_ok(MAX - 1, 1, 0, MAX));
	/* base + size past 2^64 needs no special case */
	CHECK(kb_range_ok(MAX - 1, 1, MAX - 16, 100));
	CHECK(!kb_range_ok(MAX - 17, 1, MAX - 16, 100));
	/* len near 2^32 and 2^64 with the address inside */
	CHECK(!kb_range_ok(0x1000, 0xffffffffull, 0, 64 << 20));
	CHECK(!kb_range_ok(0x1000, MAX - 0xfff + 1, 0, MAX));
}

static void gpa(void)
{
	struct kb_mem m = {.size = 8 << 20, .low = 4 << 20, .high = 4 << 20, .fd = -1};
	uint8_t *host = malloc(m.size);

	m.host = host;
	CHECK(kb_mem_gpa(&m, 0, 4 << 20) == host);
	CHECK(kb_mem_gpa(&m, (4 << 20) - 1, 1) == host + (4 << 20) - 1);
	CHECK(!kb_mem_gpa(&m, (4 << 20) - 1, 2)); /* runs into the hole */
	CHECK(!kb_mem_gpa(&m, 4 << 20, 1));	  /* the hole */
	CHECK(kb_mem_gpa(&m, KB_HIGH_RAM_START, 4 << 20) == host + (4 << 20));
	CHECK(!kb_mem_gpa(&m, KB_HIGH_RAM_START, (4 << 20) + 1));
	CHECK(!kb_mem_gpa(&m, KB_HIGH_RAM_START - 1, 2));
	CHECK(!kb_mem_gpa(&m, MAX - 0xfff, 0x2000)); /* wraps into low RAM */
	CHECK(!kb_mem_gpa(&m, 0x1000, MAX));
	CHECK(!kb_mem_gpa(&m, KB_HIGH_RAM_START + 0x1000, MAX - KB_HIGH_RAM_START));
	free(host);
}

static void handler(struct kb_io *io, void *opaque)
{
	(void)io;
	(void)opaque;
}

static void bus(void)
{
	struct kb_bus b;

	kb_bus_init(&b);
	CHECK(kb_bus_register(&b, KB_SPACE_MMIO, 0xd0000000, 0x1000, "r", handler, NULL) >= 2);
	CHECK(kb_bus_register(&b, KB_SPACE_MMIO, MAX - 0xfff, 0x1000, "top", handler, NULL) >= 2);
	CHECK(kb_bus_find(&b, KB_SPACE_MMIO, 0xd0000ff8, 8) != NULL);
	CHECK(kb_bus_find(&b, KB_SPACE_MMIO, 0xd0000ffc, 8) == NULL); /* crosses the end */
	CHECK(kb_bus_find(&b, KB_SPACE_MMIO, MAX - 7, 8) != NULL);    /* ends at 2^64 */
	CHECK(kb_bus_find(&b, KB_SPACE_MMIO, MAX - 3, 8) == NULL);    /* past 2^64 */
	CHECK(kb_bus_register(&b, KB_SPACE_MMIO, MAX - 0xfff, 0x2000, "wrap", handler, NULL) < 0);
}

int main(void)
{
	range_edges();
	range_wraps();
	gpa();
	bus();
	return unit_summary("range");
}
