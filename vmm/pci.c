/*
 * PCI host bridge, configuration space, BARs and MSI-X (see pci.h).
 */
#include "pci.h"

#include <assert.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvmbench/abi.h"
#include "common/util.h"

#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000
#define FIRST_MSI_GSI 24

/* --- MSI-X routes ---------------------------------------------------------- */

static uint16_t msix_ctrl(const struct kb_pci_dev *d)
{
	uint16_t v;

	memcpy(&v, d->cfg + d->msix_cap + 2, 2);
	return v;
}

static bool vector_live(const struct kb_pci_dev *d, unsigned v)
{
	uint16_t c = msix_ctrl(d);

	return (c & MSIX_ENABLE) && !(c & MSIX_MASKALL) && !(d->msix[v].ctrl & 1);
}

/* KVM_SET_GSI_ROUTING replaces the whole table, so it carries KVM's
 * default IOAPIC and PIC routes (what KVM_CREATE_IRQCHIP set up) plus one
 * MSI route per live vector.  Called with the lock held. */
static void update_routes(struct kb_pci *pci)
{
	unsigned max = 24 + 16 + KB_PCI_SLOTS * KB_PCI_MAX_VECTORS, n = 0;
	struct kvm_irq_routing *r =
	    calloc(1, sizeof(*r) + max * sizeof(struct kvm_irq_routing_entry));

	if (!r)
		return;
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		r->entries[n++] = (struct kvm_irq_routing_entry){
		    .gsi = gsi,
		    .type = KVM_IRQ_ROUTING_IRQCHIP,
		    .u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi}};
		if (gsi < 16)
			r->entries[n++] = (struct kvm_irq_routing_entry){
			    .gsi = gsi,
			    .type = KVM_IRQ_ROUTING_IRQCHIP,
			    .u.irqchip = {.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							     : KVM_IRQCHIP_PIC_SLAVE,
					  .pin = gsi % 8}};
	}
	for (unsigned s = 0; s < KB_PCI_SLOTS; s++) {
		struct kb_pci_dev *d = pci->dev[s];

		for (unsigned v = 0; d && v < d->nvec; v++)
			if (d->gsi[v] >= 0 && vector_live(d, v))
				r->entries[n++] = (struct kvm_irq_routing_entry){
				    .gsi = (uint32_t)d->gsi[v],
				    .type = KVM_IRQ_ROUTING_MSI,
				    .u.msi = {.address_lo = d->msix[v].addr_lo,
					      .address_hi = d->msix[v].addr_hi,
					      .data = d->msix[v].data}};
	}
	assert(n <= max);
	r->nr = n;
	if (pci->vm_fd >= 0 && ioctl(pci->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		fprintf(stderr, "kvmbench-vmm: KVM_SET_GSI_ROUTING: %s\n", strerror(errno));
	free(r);
}

static void fire(struct kb_pci_dev *d, unsigned v)
{
	uint64_t one = 1;

	assert(v < d->nvec);
	d->interrupts++;
	if (d->irqfd[v] >= 0 && write(d->irqfd[v], &one, 8) != 8)
		d->interrupts--;
}

/* After the guest changed masks: routes, then what was pending. */
static void msix_changed(struct kb_pci_dev *d)
{
	update_routes(d->pci);
	for (unsigned v = 0; v < d->nvec; v++)
		if ((d->pending >> v & 1) && vector_live(d, v)) {
			d->pending &= ~(1ull << v);
			fire(d, v);
		}
}

static bool msix_enabled(const struct kb_pci_dev *d)
{
	return d->msix_cap && (msix_ctrl(d) & MSIX_ENABLE);
}

/* Lock held. */
static void msix_send(struct kb_pci_dev *d, unsigned v)
{
	if (!msix_enabled(d) || v >= d->nvec)
		return;
	if (vector_live(d, v)) {
		fire(d, v);
	} else {
		d->pending |= 1ull << v;
		d->masked_interrupts++;
	}
}

void kb_pci_notify(struct kb_pci_dev *d, unsigned v)
{
	pthread_mutex_lock(&d->pci->lock);
	msix_send(d, v);
	pthread_mutex_unlock(&d->pci->lock);
}

/* Lock held. */
static void set_intx(struct kb_pci_dev *d, bool level)
{
	bool disabled = d->cfg[0x05] & 0x04; /* command: INTx disable */
	struct kvm_irq_level irq = {.irq = KB_PCI_INTX_GSI(d->slot)};

	if (disabled)
		level = false;
	if (level == d->intx_level)
		return;
	d->intx_level = level;
	d->intx_asserts += level;
	if (level)
		d->cfg[0x06] |= 0x08; /* status: interrupt */
	else
		d->cfg[0x06] &= (uint8_t)~0x08;
	irq.level = level;
	if (d->pci->vm_fd >= 0)
		ioctl(d->pci->vm_fd, KVM_IRQ_LINE, &irq);
}

void kb_pci_intx(struct kb_pci_dev *d, bool level)
{
	pthread_mutex_lock(&d->pci->lock);
	d->pending_intx = level; /* what the device wants, whatever the command register says */
	set_intx(d, level);
	pthread_mutex_unlock(&d->pci->lock);
}

void kb_pci_interrupt(struct kb_pci_dev *d, unsigned v)
{
	pthread_mutex_lock(&d->pci->lock); /* the guest may flip MSI-X meanwhile */
	if (msix_enabled(d)) {
		msix_send(d, v);
	} else {
		d->pending_intx = true;
		set_intx(d, true);
	}
	pthread_mutex_unlock(&d->pci->lock);
}

static void msix_io(struct kb_io *io, void *opaque)
{
	struct kb_pci_dev *d = opaque;
	uint32_t bar = kb_le32(d->cfg + d->msix_cap + 4), pba = kb_le32(d->cfg + d->msix_cap + 8);
	uint64_t base = kb_le32(d->cfg + 0x10 + 4 * (bar & 7)) & ~0xfull;
	uint64_t off = io->addr - base - (bar & ~7u), pba_off = (pba & ~7u) - (bar & ~7u);

	pthread_mutex_lock(&d->pci->lock);
	if (off >= pba_off) { /* pending bit array: read-only */
		uint64_t p = d->pending;

		for (uint32_t i = 0; i < io->len; i++) {
			uint64_t b = off - pba_off + i;

			if (!io->write)
				io->data[i] = b < 8 ? (uint8_t)(p >> (8 * b)) : 0;
		}
	} else if (off / 16 < d->nvec && kb_range_ok(off % 16, io->len, 0, 16)) {
		uint8_t *e = (uint8_t *)&d->msix[off / 16] + off % 16;

		if (io->write) {
			memcpy(e, io->data, io->len);
			d->msix[off / 16].ctrl &= 1; /* only the mask bit exists */
			msix_changed(d);
		} else {
			memcpy(io->data, e, io->len);
		}
	} else if (!io->write) {
		memset(io->data, 0, io->len);
	}
	pthread_mutex_unlock(&d->pci->lock);
}

/* --- configuration space ------------------------------------------------------ */

static uint32_t cfg_read(struct kb_pci_dev *d, unsigned off)
{
	unsigned bar = (off - 0x10) / 4;

	if (off >= 0x10 && off < 0x28 && d->bar_probe[bar])
		return d->bar_size[bar] ? ~(d->bar_size[bar] - 1) : 0;
	return kb_le32(d->cfg + off);
}

static void cfg_write(struct kb_pci_dev *d, unsigned off, const uint8_t *data, unsigned len)
{
	uint16_t before = d->msix_cap ? msix_ctrl(d) : 0;

	if (off >= 0x10 && off < 0x28) { /* BARs: only the size probe "takes" */
		unsigned bar = (off - 0x10) / 4;
		uint32_t v = 0;

		memcpy(&v, data, len);
		d->bar_probe[bar] = len == 4 && v == 0xffffffffu;
		return;
	}
	for (unsigned i = 0; i < len && off + i < 256; i++) {
		uint8_t m = d->wmask[off + i];

		d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~m) | (data[i] & m));
	}
	if (d->msix_cap && msix_ctrl(d) != before)
		msix_changed(d);
	if (kb_range_ok(0x05, 1, off, len)) /* INTx disable flipped: follow it */
		set_intx(d, d->pending_intx);
}

static void pci_io(struct kb_io *io, void *opaque)
{
	struct kb_pci *pci = opaque;

	pthread_mutex_lock(&pci->lock);
	if (io->addr == KB_PORT_RESET_CONTROL && io->len == 1) {
		/* PIIX's reset control, as QEMU: RST_CPU (bit 2) resets, SYS_RST
		 * (bit 1, hard or soft) is kept; Linux's reboot=pci writes 0x02
		 * then 0x06 (0x0e for a cold reboot) */
		if (io->write && (io->data[0] & 0x04) && pci->result)
			kb_result_set(pci->result, KB_EXIT_PASS, "reset", (int)io->vcpu,
				      "guest reset the machine through port 0xCF9 (0x%02x)",
				      io->data[0]);
		else if (io->write)
			pci->rcr = io->data[0] & 0x02;
		else
			io->data[0] = pci->rcr;
		pthread_mutex_unlock(&pci->lock);
		return;
	}
	if (io->addr < KB_PORT_PCI_DATA) { /* 0xCF8: only whole dwords */
		if (io->len == 4 && io->write)
			memcpy(&pci->addr, io->data, 4);
		else if (io->len == 4)
			memcpy(io->data, &pci->addr, 4);
		else if (!io->write)
			memset(io->data, 0xff, io->len);
		pthread_mutex_unlock(&pci->lock);
		return;
	}
	unsigned bus = pci->addr >> 16 & 0xff, slot = pci->addr >> 11 & 0x1f,
		 fn = pci->addr >> 8 & 7;
	unsigned off = (pci->addr & 0xfc) + (unsigned)(io->addr - KB_PORT_PCI_DATA);
	struct kb_pci_dev *d = (pci->addr >> 31) && !bus && !fn ? pci->dev[slot] : NULL;

	if (!d || !kb_range_ok(off, io->len, 0, sizeof(d->cfg))) {
		if (!io->write)
			memset(io->data, 0xff, io->len);
	} else if (io->write) {
		cfg_write(d, off, io->data, io->len);
	} else {
		uint32_t v = cfg_read(d, off & ~3u);

		memcpy(io->data, (uint8_t *)&v + (off & 3), io->len);
	}
	pthread_mutex_unlock(&pci->lock);
}

/* --- building devices ---------------------------------------------------------- */

static void set16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void header(struct kb_pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_code,
		   uint16_t sv, uint16_t sid, uint8_t rev)
{
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	set16(d->cfg + 0x00, vendor);
	set16(d->cfg + 0x02, device);
	d->cfg[0x08] = rev;
	d->cfg[0x09] = (uint8_t)class_code;
	d->cfg[0x0a] = (uint8_t)(class_code >> 8);
	d->cfg[0x0b] = (uint8_t)(class_code >> 16);
	set16(d->cfg + 0x2c, sv);
	set16(d->cfg + 0x2e, sid);
	set16(d->wmask + 0x04, 0x0407); /* I/O, memory, bus master, INTx disable */
	d->wmask[0x0c] = 0xff;		/* cache line size */
	d->wmask[0x0d] = 0xff;		/* latency timer */
	d->wmask[0x3c] = 0xff;		/* interrupt line */
	for (unsigned v = 0; v < KB_PCI_MAX_VECTORS; v++)
		d->gsi[v] = d->irqfd[v] = -1;
	d->cap_end = 0x40;
	d->cap_last = 0x34;
}

/* INTA# on IOAPIC pin 16 + slot % 8: interrupt pin 1, line = that GSI. */
static void intx_pin(struct kb_pci_dev *d)
{
	d->cfg[0x3c] = (uint8_t)KB_PCI_INTX_GSI(d->slot);
	d->cfg[0x3d] = 1;
}

int kb_pci_init(struct kb_pci *pci, struct kb_bus *bus, int vm_fd)
{
	int id;

	memset(pci, 0, sizeof(*pci));
	pthread_mutex_init(&pci->lock, NULL);
	pci->vm_fd = vm_fd;
	pci->bus = bus;
	pci->mmio_next = KB_PCI_MMIO_START;
	pci->next_gsi = FIRST_MSI_GSI;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_PCI_ADDR, 4, "pci-config", pci_io, pci);
	if (id < 0)
		return id;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_PCI_DATA, 4, "pci-config", pci_io, pci);
	if (id < 0)
		return id;
	/* Red Hat's PCIe host bridge ID, as QEMU's generic host */
	return kb_pci_add(pci, &pci->host_bridge, "pci-host", 0x1b36, 0x0008, 0x060000, 0x1af4,
			  0x1100, 0);
}

int kb_pci_add(struct kb_pci *pci, struct kb_pci_dev *d, const char *name, uint16_t vendor,
	       uint16_t device, uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys,
	       uint8_t revision)
{
	unsigned s = 0;

	while (s < KB_PCI_SLOTS && pci->dev[s])
		s++;
	if (s == KB_PCI_SLOTS)
		return -ENOSPC;
	d->pci = pci;
	d->slot = s;
	d->name = name;
	header(d, vendor, device, class_code, subsys_vendor, subsys, revision);
	if (s)
		intx_pin(d); /* the host bridge interrupts nobody */
	pci->dev[s] = d;
	return 0;
}

uint64_t kb_pci_bar(struct kb_pci_dev *d, unsigned n, uint32_t size)
{
	struct kb_pci *pci = d->pci;
	uint64_t at = (pci->mmio_next + size - 1) & ~(uint64_t)(size - 1);

	if (n > 5 || size < 4096 || (size & (size - 1)) ||
	    !kb_range_ok(at, size, KB_PCI_MMIO_START, KB_PCI_MMIO_END - KB_PCI_MMIO_START))
		return 0;
	pci->mmio_next = at + size;
	d->bar_size[n] = size;
	memcpy(d->cfg + 0x10 + 4 * n, &(uint32_t){(uint32_t)at}, 4); /* mem32, non-prefetchable */
	return at;
}

unsigned kb_pci_cap(struct kb_pci_dev *d, const uint8_t *body, unsigned len)
{
	unsigned at = (d->cap_end + 3) & ~3u;

	if (len < 2 || !kb_range_ok(at, len, 0, sizeof(d->cfg)))
		return 0;
	memcpy(d->cfg + at, body, len);
	d->cfg[at + 1] = 0; /* end of the list */
	d->cfg[d->cap_last] = (uint8_t)at;
	d->cap_last = at + 1;
	d->cap_end = at + len;
	d->cfg[0x06] |= 0x10; /* status: capability list */
	return at;
}

int kb_pci_msix(struct kb_pci_dev *d, unsigned nvec, unsigned bar, uint32_t table_off,
		uint32_t pba_off)
{
	struct kb_pci *pci = d->pci;
	uint8_t cap[12] = {0x11, 0};
	uint64_t base;
	int id;

	assert(bar < 6); /* the VMM's own choice */
	base = kb_le32(d->cfg + 0x10 + 4 * bar) & ~0xfull;
	if (nvec == 0 || nvec > KB_PCI_MAX_VECTORS || !d->bar_size[bar])
		return -EINVAL;
	set16(cap + 2, (uint16_t)(nvec - 1));
	memcpy(cap + 4, &(uint32_t){table_off | bar}, 4);
	memcpy(cap + 8, &(uint32_t){pba_off | bar}, 4);
	d->msix_cap = kb_pci_cap(d, cap, sizeof(cap));
	if (!d->msix_cap)
		return -ENOSPC;
	set16(d->wmask + d->msix_cap + 2, MSIX_ENABLE | MSIX_MASKALL);
	d->nvec = nvec;
	for (unsigned v = 0; v < nvec; v++) {
		d->msix[v].ctrl = 1; /* masked at reset */
		d->irqfd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->irqfd[v] < 0)
			return -errno;
		d->gsi[v] = pci->next_gsi++;
		struct kvm_irqfd irqfd = {.fd = (uint32_t)d->irqfd[v], .gsi = (uint32_t)d->gsi[v]};

		if (pci->vm_fd >= 0 && ioctl(pci->vm_fd, KVM_IRQFD, &irqfd) < 0)
			return -errno;
	}
	snprintf(d->msix_name, sizeof(d->msix_name), "%s.msix", d->name);
	id = kb_bus_register(pci->bus, KB_SPACE_MMIO, base + table_off, pba_off + 8 - table_off,
			     d->msix_name, msix_io, d);
	return id < 0 ? id : 0;
}

bool kb_pci_enabled(const struct kb_pci_dev *d)
{
	return (d->cfg[0x04] & 0x06) == 0x06;
}

void kb_pci_destroy(struct kb_pci *pci)
{
	for (unsigned s = 0; s < KB_PCI_SLOTS; s++) {
		struct kb_pci_dev *d = pci->dev[s];

		for (unsigned v = 0; d && v < d->nvec; v++)
			if (d->irqfd[v] >= 0)
				close(d->irqfd[v]);
	}
}
