/*
 * PCI and virtio-pci for the micro-guests (see virtio.h).
 */
#include "virtio.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

uint32_t kb_pci_cfg_read(unsigned slot, unsigned off)
{
	outl(CFG_ADDR, 0x80000000u | slot << 11 | (off & 0xfc));
	return inl(CFG_DATA);
}

void kb_pci_cfg_write(unsigned slot, unsigned off, uint32_t v)
{
	outl(CFG_ADDR, 0x80000000u | slot << 11 | (off & 0xfc));
	outl(CFG_DATA, v);
}

int kb_pci_find(uint16_t vendor, uint16_t device, unsigned nth)
{
	for (unsigned s = 0; s < 32; s++)
		if (kb_pci_cfg_read(s, 0) == ((uint32_t)device << 16 | vendor) && nth-- == 0)
			return (int)s;
	return -1;
}

static volatile uint8_t *bar(unsigned slot, unsigned n)
{
	return (volatile uint8_t *)(uintptr_t)(kb_pci_cfg_read(slot, 0x10 + 4 * n) & ~0xfu);
}

#define C8(d, o) (*(volatile uint8_t *)((d)->common + (o)))
#define C16(d, o) (*(volatile uint16_t *)((d)->common + (o)))
#define C32(d, o) (*(volatile uint32_t *)((d)->common + (o)))

void kb_virtio_reset(struct kb_vdev *d)
{
	C8(d, 0x14) = 0;
	while (C8(d, 0x14))
		cpu_relax();
}

uint8_t kb_virtio_status(struct kb_vdev *d)
{
	return C8(d, 0x14);
}

int kb_virtio_open(struct kb_vdev *d, unsigned virtio_id, uint64_t want, const char **why)
{
	return kb_virtio_open_nth(d, virtio_id, 0, want, why);
}

int kb_virtio_open_nth(struct kb_vdev *d, unsigned virtio_id, unsigned nth, uint64_t want,
		       const char **why)
{
	int slot = kb_pci_find(0x1af4, (uint16_t)(0x1040 + virtio_id), nth);

	memset(d, 0, sizeof(*d));
	if (slot < 0) {
		*why = "no such virtio-pci device (add it with -device)";
		return -1;
	}
	d->slot = slot;
	kb_pci_cfg_write((unsigned)slot, 0x04, 0x06); /* memory space, bus master */
	for (unsigned p = kb_pci_cfg_read((unsigned)slot, 0x34) & 0xff; p;
	     p = kb_pci_cfg_read((unsigned)slot, p) >> 8 & 0xff) {
		uint32_t h = kb_pci_cfg_read((unsigned)slot, p);

		if ((h & 0xff) == 0x11) { /* MSI-X: table in BAR (BIR) at offset */
			uint32_t t = kb_pci_cfg_read((unsigned)slot, p + 4);

			d->msix = (volatile uint32_t *)(bar((unsigned)slot, t & 7) + (t & ~7u));
			d->msix_cap = p; /* enabled by the first queue that wants a vector */
			continue;
		}
		if ((h & 0xff) != 0x09)
			continue;
		unsigned type = h >> 24;
		uint32_t b = kb_pci_cfg_read((unsigned)slot, p + 4) & 0xff;
		volatile uint8_t *at =
		    bar((unsigned)slot, b) + kb_pci_cfg_read((unsigned)slot, p + 8);

		if (type == 1)
			d->common = at;
		else if (type == 2) {
			d->notify = at;
			d->notify_mult = kb_pci_cfg_read((unsigned)slot, p + 16);
		} else if (type == 3)
			d->isr = at;
		else if (type == 4)
			d->device = at;
	}
	if (!d->common || !d->notify || !d->isr) {
		*why = "the device lacks a virtio capability";
		return -1;
	}
	kb_virtio_reset(d);
	C8(d, 0x14) = 1 | 2; /* ACKNOWLEDGE, DRIVER */
	C32(d, 0x00) = 0;
	uint64_t offered = C32(d, 0x04);
	C32(d, 0x00) = 1;
	offered |= (uint64_t)C32(d, 0x04) << 32;
	d->features = offered & (want | 1ull << 32);
	if (!(d->features >> 32 & 1)) {
		*why = "the device does not offer VIRTIO_F_VERSION_1";
		return -1;
	}
	C32(d, 0x08) = 0;
	C32(d, 0x0c) = (uint32_t)d->features;
	C32(d, 0x08) = 1;
	C32(d, 0x0c) = (uint32_t)(d->features >> 32);
	C8(d, 0x14) = 1 | 2 | 8; /* FEATURES_OK */
	if (!(C8(d, 0x14) & 8)) {
		*why = "the device refused the features";
		return -1;
	}
	return 0;
}

static struct kb_vring *by_vector[256];
static struct kb_vdev *intx_dev[256];

static void on_irq(struct kb_frame *f)
{
	struct kb_vring *r = by_vector[f->vector & 0xff];
	struct kb_vdev *d = intx_dev[f->vector & 0xff];

	if (d)
		(void)*d->isr; /* INTA# is level-triggered: the read lowers it, before the EOI */
	if (r)
		r->irqs++;
	kb_lapic_eoi();
}

/* IOAPIC redirection entry for gsi: vector, level-triggered, active low
 * (PCI INTx), fixed delivery to this CPU. */
static void ioapic_route(unsigned gsi, unsigned vector)
{
	volatile uint32_t *sel = (volatile uint32_t *)(uintptr_t)KB_IOAPIC_ADDR;
	volatile uint32_t *win = (volatile uint32_t *)(uintptr_t)(KB_IOAPIC_ADDR + 0x10);

	*sel = 0x11 + 2 * gsi;
	*win = kb_lapic_id() << 24;
	*sel = 0x10 + 2 * gsi;
	*win = vector | 1u << 13 | 1u << 15; /* active low, level; unmasked */
}

int kb_virtio_queue(struct kb_vdev *d, unsigned q, struct kb_vring *r, uint16_t size, int vector,
		    unsigned idt_vector)
{
	memset(r, 0, sizeof(*r));
	C16(d, 0x16) = (uint16_t)q;
	if (!size)
		size = C16(d, 0x18);
	C16(d, 0x18) = size;
	r->size = size;
	r->index = (uint16_t)q;
	r->desc = kb_alloc(16ull * size, 4096);
	r->avail = kb_alloc(6 + 2ull * size, 4096);
	r->used = kb_alloc(6 + 8ull * size, 4096);
	if (!r->desc || !r->avail || !r->used)
		return -1;
	for (uint16_t i = 0; i < size; i++)
		r->desc[i].next = (uint16_t)(i + 1);
	r->nfree = size;
	r->vector = 0xffff;
	if (vector == KB_VIRTIO_INTX) {
		kb_lapic_enable();
		by_vector[idt_vector & 0xff] = r;
		intx_dev[idt_vector & 0xff] = d;
		kb_set_handler(idt_vector, on_irq);
		ioapic_route(kb_pci_cfg_read((unsigned)d->slot, 0x3c) & 0xff, idt_vector);
		r->vector = 0xfffe; /* wait with HLT, as for MSI-X */
	} else if (vector >= 0 && d->msix) {
		volatile uint32_t *e = d->msix + 4 * vector;

		kb_pci_cfg_write((unsigned)d->slot, d->msix_cap,
				 kb_pci_cfg_read((unsigned)d->slot, d->msix_cap) | 0x80000000u);
		kb_lapic_enable();
		by_vector[idt_vector & 0xff] = r;
		kb_set_handler(idt_vector, on_irq);
		e[0] = 0xfee00000u | kb_lapic_id() << 12;
		e[1] = 0;
		e[2] = idt_vector;
		e[3] = 0; /* unmasked */
		r->vector = (uint16_t)vector;
	}
	C16(d, 0x1a) = r->vector == 0xfffe ? 0xffff : r->vector;
	*(volatile uint64_t *)(d->common + 0x20) = (uintptr_t)r->desc;
	*(volatile uint64_t *)(d->common + 0x28) = (uintptr_t)r->avail;
	*(volatile uint64_t *)(d->common + 0x30) = (uintptr_t)r->used;
	r->notify = (volatile uint16_t *)(d->notify + C16(d, 0x1e) * d->notify_mult);
	C16(d, 0x1c) = 1;
	return C16(d, 0x1c) == 1 ? 0 : -1;
}

void kb_virtio_ready(struct kb_vdev *d)
{
	C8(d, 0x14) = 1 | 2 | 8 | 4; /* DRIVER_OK */
}

int kb_vring_add(struct kb_vring *r, const struct kb_vbuf *b, unsigned n)
{
	uint16_t head = r->free_head, i = head, last = head;

	if (n == 0 || n > r->nfree)
		return -1;
	for (unsigned k = 0; k < n; k++) {
		r->desc[i].addr = (uintptr_t)b[k].addr;
		r->desc[i].len = b[k].len;
		r->desc[i].flags = (uint16_t)(b[k].flags | (k + 1 < n ? KB_VRING_NEXT : 0));
		last = i;
		i = r->desc[i].next;
	}
	r->free_head = i;
	r->nfree = (uint16_t)(r->nfree - n);
	(void)last;
	uint16_t idx = r->avail[1];

	r->avail[2 + idx % r->size] = head;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->avail[1] = (uint16_t)(idx + 1);
	return head;
}

void kb_vring_kick(struct kb_vring *r)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*r->notify = r->index; /* a 16-bit write: what the ioeventfd matches */
}

int kb_vring_get(struct kb_vring *r, uint32_t *len)
{
	uint16_t idx = (uint16_t)(r->used[0] >> 16);

	if (idx == r->last_used)
		return -1;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	volatile uint32_t *e = r->used + 1 + 2 * (r->last_used % r->size);
	uint16_t head = (uint16_t)e[0], i = head;

	if (len)
		*len = e[1];
	r->last_used++;
	/* return the chain to the free list */
	unsigned n = 1;

	while (r->desc[i].flags & KB_VRING_NEXT)
		i = r->desc[i].next, n++;
	r->desc[i].next = r->free_head;
	r->free_head = head;
	r->nfree = (uint16_t)(r->nfree + n);
	return head;
}

int kb_vring_wait(struct kb_vring *r, uint32_t *len)
{
	int h;

	while ((h = kb_vring_get(r, len)) < 0) {
		if (r->vector != 0xffff)
			__asm__ volatile("cli; sti; hlt; cli" ::: "memory");
		else
			cpu_relax();
	}
	return h;
}
