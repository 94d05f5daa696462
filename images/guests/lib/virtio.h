/*
 * Guest side of PCI and virtio-pci for the micro-guests: configuration
 * mechanism #1, BARs as the VMM assigned them, the modern virtio
 * capabilities, feature negotiation, split queues, MSI-X.  Small and
 * trusting of the device, unlike the VMM is of the guest; the hostile
 * guest (virtqevil.c) builds its broken rings by hand on top of it.
 */
#ifndef KB_GUEST_VIRTIO_H
#define KB_GUEST_VIRTIO_H

#include "kb.h"

uint32_t kb_pci_cfg_read(unsigned slot, unsigned off);
void kb_pci_cfg_write(unsigned slot, unsigned off, uint32_t v);
/* Slot of the nth (from 0) function with this vendor/device ID, or -1. */
int kb_pci_find(uint16_t vendor, uint16_t device, unsigned nth);

struct kb_vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct kb_vring {
	uint16_t size, index;
	struct kb_vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[] */
	volatile uint32_t *used;  /* flags|idx, then {id, len} pairs */
	volatile uint16_t *notify;
	uint16_t free_head, nfree, last_used;
	uint16_t vector; /* MSI-X vector, or 0xffff */
	volatile uint64_t irqs;
};

struct kb_vdev {
	int slot;
	unsigned msix_cap; /* config offset of the MSI-X capability, or 0 */
	volatile uint8_t *common, *isr, *device, *notify;
	volatile uint32_t *msix;
	uint32_t notify_mult;
	uint64_t features; /* negotiated */
};

#define KB_VRING_WRITE 2 /* device-writable */
#define KB_VRING_NEXT 1

struct kb_vbuf {
	void *addr;
	uint32_t len;
	uint16_t flags; /* KB_VRING_WRITE or 0 */
};

/* Find the virtio device of this type (1 net, 2 blk, 4 rng), reset it and
 * negotiate VERSION_1 plus want & offered.  0, or -1 with *why. */
int kb_virtio_open(struct kb_vdev *d, unsigned virtio_id, uint64_t want, const char **why);
/* The same for the nth (from 0) device of the type. */
int kb_virtio_open_nth(struct kb_vdev *d, unsigned virtio_id, unsigned nth, uint64_t want,
		       const char **why);
/* Set up queue q with size entries (0: the device's); vector: an MSI-X
 * vector whose interrupts go to IDT vector idt_vector on this CPU,
 * KB_VIRTIO_INTX for the legacy INTA# line (through the IOAPIC, the ISR
 * read in the handler), or -1 to poll.  Then kb_virtio_ready(). */
#define KB_VIRTIO_INTX (-2)
int kb_virtio_queue(struct kb_vdev *d, unsigned q, struct kb_vring *r, uint16_t size, int vector,
		    unsigned idt_vector);
void kb_virtio_ready(struct kb_vdev *d);
uint8_t kb_virtio_status(struct kb_vdev *d);
void kb_virtio_reset(struct kb_vdev *d);

/* Post a chain; returns its head, or -1 when the ring is full. */
int kb_vring_add(struct kb_vring *r, const struct kb_vbuf *b, unsigned n);
void kb_vring_kick(struct kb_vring *r);
/* A completed chain's head (its length in *len), or -1 when none. */
int kb_vring_get(struct kb_vring *r, uint32_t *len);
/* Wait for a completion: hlt until an interrupt when the ring has a
 * vector, else spin.  Returns the head. */
int kb_vring_wait(struct kb_vring *r, uint32_t *len);

#define KB_VIRTIO_NEEDS_RESET 0x40

#endif
