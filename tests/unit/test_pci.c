/*
 * PCI configuration space and MSI-X without KVM (vm_fd -1): IDs, the BAR
 * size probe, BARs that stay put, the capability list, read-only fields,
 * absent slots, and MSI-X masking with the pending bit array.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kvmbench/abi.h"
#include "pci.h"
#include "unit.h"

static struct kb_bus bus;

static uint32_t cfg(unsigned slot, unsigned off, unsigned len)
{
	uint32_t a = 0x80000000u | slot << 11 | (off & 0xfc), v = 0;
	struct kb_io w = {KB_SPACE_PIO, KB_PORT_PCI_ADDR, (uint8_t *)&a, 4, true, 0};
	struct kb_io r = {KB_SPACE_PIO, KB_PORT_PCI_DATA + (off & 3), (uint8_t *)&v, len, false, 0};

	kb_bus_access(&bus, &w);
	kb_bus_access(&bus, &r);
	return v;
}

static void cfg_w(unsigned slot, unsigned off, uint32_t v, unsigned len)
{
	uint32_t a = 0x80000000u | slot << 11 | (off & 0xfc);
	struct kb_io w = {KB_SPACE_PIO, KB_PORT_PCI_ADDR, (uint8_t *)&a, 4, true, 0};
	struct kb_io d = {KB_SPACE_PIO, KB_PORT_PCI_DATA + (off & 3), (uint8_t *)&v, len, true, 0};

	kb_bus_access(&bus, &w);
	kb_bus_access(&bus, &d);
}

static void mmio_w(uint64_t addr, uint32_t v)
{
	struct kb_io w = {KB_SPACE_MMIO, addr, (uint8_t *)&v, 4, true, 0};

	kb_bus_access(&bus, &w);
}

static uint64_t fired(const struct kb_pci_dev *d, unsigned v)
{
	uint64_t n = 0;

	return read(d->irqfd[v], &n, 8) == 8 ? n : 0;
}

static struct kb_pci pci;
static struct kb_pci_dev d;
static uint64_t bar0, bar1; /* d's BARs: 16 KiB, then 4 KiB (the MSI-X table) */
static unsigned msix;	    /* d's MSI-X capability */

/* a device in slot 1: two BARs, a vendor capability, MSI-X in BAR 1 */
static void test_add(void)
{
	uint8_t cap[8] = {0x09, 0, 8, 0x42};

	kb_bus_init(&bus);
	CHECK(kb_pci_init(&pci, &bus, -1) == 0);
	CHECK(kb_pci_add(&pci, &d, "dev", 0x1af4, 0x1042, 0x018000, 0x1af4, 2, 1) == 0);
	CHECK_EQ(d.slot, 1);
	bar0 = kb_pci_bar(&d, 0, 0x4000);
	bar1 = kb_pci_bar(&d, 1, 0x1000);
	CHECK(bar0 >= KB_PCI_MMIO_START && bar0 % 0x4000 == 0 && bar1 >= bar0 + 0x4000);
	CHECK(kb_pci_bar(&d, 2, 3000) == 0); /* not a power of two */
	CHECK(kb_pci_cap(&d, cap, sizeof(cap)) == 0x40);
	CHECK(kb_pci_msix(&d, 2, 1, 0, 0x800) == 0);
}

/* identity, read-only fields, the BAR size probe */
static void test_config_space(void)
{
	/* identity; host bridge at slot 0; nothing in slot 5 */
	CHECK_EQ(cfg(1, 0, 4), 0x10421af4);
	CHECK_EQ(cfg(1, 2, 2), 0x1042);
	CHECK_EQ(cfg(1, 0x0b, 1), 0x01); /* class: mass storage */
	CHECK_EQ(cfg(0, 0, 4), 0x00081b36);
	CHECK_EQ(cfg(5, 0, 4), 0xffffffff);
	/* read-only IDs; the command register takes memory + bus master */
	cfg_w(1, 0, 0xdeadbeef, 4);
	CHECK_EQ(cfg(1, 0, 4), 0x10421af4);
	cfg_w(1, 4, 0xffff, 2);
	CHECK_EQ(cfg(1, 4, 2), 0x0407);
	/* BAR: the size probe, then the address again; another address does not take */
	cfg_w(1, 0x10, 0xffffffff, 4);
	CHECK_EQ(cfg(1, 0x10, 4), (uint32_t) ~(0x4000u - 1));
	cfg_w(1, 0x10, 0x12340000, 4);
	CHECK_EQ(cfg(1, 0x10, 4), bar0);
}

/* capabilities: status bit, our vendor cap, then MSI-X, then the end;
 * out-of-range offsets and a disabled address register read as absent */
static void test_capabilities(void)
{
	CHECK(cfg(1, 6, 2) & 0x10);
	unsigned p = cfg(1, 0x34, 1);
	CHECK_EQ(p, 0x40);
	CHECK_EQ(cfg(1, p, 1), 0x09);
	p = cfg(1, p + 1, 1);
	CHECK_EQ(cfg(1, p, 1), 0x11);
	CHECK_EQ(cfg(1, p + 2, 2) & 0x7ff, 1); /* table size - 1 */
	CHECK_EQ(cfg(1, p + 1, 1), 0);
	msix = p;
	CHECK_EQ(cfg(1, 0xfe, 4), 0xffffffff); /* crosses the end of the space */
	uint32_t off = 0x12345678;	       /* enable bit clear */
	struct kb_io w = {KB_SPACE_PIO, KB_PORT_PCI_ADDR, (uint8_t *)&off, 4, true, 0};
	uint32_t v = 0;
	struct kb_io r = {KB_SPACE_PIO, KB_PORT_PCI_DATA, (uint8_t *)&v, 4, false, 0};
	kb_bus_access(&bus, &w);
	kb_bus_access(&bus, &r);
	CHECK_EQ(v, 0xffffffff);
}

/* MSI-X: off -> nothing; enabled but entry masked -> pending; unmask -> fires */
static void test_msix(void)
{
	kb_pci_notify(&d, 0);
	CHECK_EQ(fired(&d, 0), 0);
	cfg_w(1, msix + 2, 0x8000, 2);
	kb_pci_notify(&d, 0);
	CHECK_EQ(fired(&d, 0), 0);
	CHECK_EQ(d.pending, 1);
	CHECK_EQ(d.masked_interrupts, 1);
	mmio_w(bar1 + 0, 0xfee00000); /* address */
	mmio_w(bar1 + 8, 0x51);	      /* data: vector */
	mmio_w(bar1 + 12, 0);	      /* unmask: the pending one goes out */
	CHECK_EQ(fired(&d, 0), 1);
	CHECK_EQ(d.pending, 0);
	kb_pci_notify(&d, 0);
	CHECK_EQ(fired(&d, 0), 1);
	CHECK_EQ(d.interrupts, 2);
	/* the function mask holds everything back */
	cfg_w(1, msix + 2, 0xc000, 2);
	kb_pci_notify(&d, 0);
	CHECK_EQ(fired(&d, 0), 0);
	cfg_w(1, msix + 2, 0x8000, 2);
	CHECK_EQ(fired(&d, 0), 1);
	/* vector numbers past the table are ignored; table writes past it too */
	kb_pci_notify(&d, 7);
	mmio_w(bar1 + 16 * 9, 1);
	CHECK_EQ(d.interrupts, 3);
}

/* INTx: pin A on GSI 16 + slot, the status bit follows the line, the
 * command register's INTx disable holds it low and lets it go again */
static void test_intx(void)
{
	CHECK_EQ(cfg(1, 0x3c, 1), KB_PCI_INTX_GSI(1));
	CHECK_EQ(cfg(1, 0x3d, 1), 1);
	CHECK_EQ(cfg(0, 0x3d, 1), 0); /* the host bridge has no interrupt */
	cfg_w(1, 4, 0x0006, 2);	      /* memory, bus master; INTx allowed */
	kb_pci_intx(&d, true);
	CHECK(cfg(1, 6, 2) & 0x08);
	CHECK_EQ(d.intx_asserts, 1);
	kb_pci_intx(&d, true); /* already high: no new edge */
	CHECK_EQ(d.intx_asserts, 1);
	cfg_w(1, 4, 0x0406, 2); /* INTx disable */
	CHECK(!(cfg(1, 6, 2) & 0x08));
	cfg_w(1, 4, 0x0006, 2); /* enabled again: the device still wants it */
	CHECK(cfg(1, 6, 2) & 0x08);
	CHECK_EQ(d.intx_asserts, 2);
	kb_pci_intx(&d, false);
	CHECK(!(cfg(1, 6, 2) & 0x08));
}

int main(void)
{
	test_add();
	test_config_space();
	test_capabilities();
	test_msix();
	test_intx();
	kb_pci_destroy(&pci);
	return unit_summary("pci");
}
