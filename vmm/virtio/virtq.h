/*
 * Split virtqueues (virtio 1.x, 2.7): the device side.  Pure functions over
 * guest RAM, so the unit tests and the fuzz harness drive them with
 * arbitrary memory.  The guest is untrusted: every index, address, length
 * and chain is checked, each descriptor is read once into a local copy
 * (the guest may change the ring under us), and any violation makes the
 * caller mark the device broken (NEEDS_RESET) instead of acting on it.
 */
#ifndef KB_VIRTQ_H
#define KB_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../memory.h"

#define KB_VQ_MAX_SIZE 256		 /* the largest queue the device offers */
#define KB_VQ_MAX_CHAIN_BYTES (4u << 20) /* a chain may describe at most 4 MiB */

#define KB_VQ_DESC_F_NEXT 1
#define KB_VQ_DESC_F_WRITE 2
#define KB_VQ_DESC_F_INDIRECT 4
#define KB_VQ_AVAIL_F_NO_INTERRUPT 1

struct kb_vq {
	uint16_t size;		    /* entries, a power of two; set by the driver */
	bool enabled;		    /* queue_enable written 1 (and the rings checked) */
	uint64_t desc, avail, used; /* guest-physical ring addresses */
	uint16_t last_avail;	    /* next avail entry to take */
	uint16_t used_idx;	    /* our copy of used->idx */
	uint16_t msix_vector;	    /* 0xffff: none */
	uint64_t chains, notifies_exit, notifies_eventfd, interrupts;
};

struct kb_vq_seg {
	uint8_t *host; /* inside guest RAM, checked */
	uint32_t len;
	bool write; /* device-writable */
};

struct kb_vq_chain {
	uint16_t head;
	unsigned n, nread; /* segments; the first nread are device-readable */
	uint64_t read_bytes, write_bytes;
	struct kb_vq_seg seg[KB_VQ_MAX_SIZE];
};

/* Check the ring addresses of a queue being enabled: alignment, sizes, all
 * in RAM.  0, or -1 with err. */
int kb_vq_check_rings(const struct kb_mem *m, const struct kb_vq *q, char *err, size_t errlen);

/* Take the next available chain.  1 with c filled, 0 when the driver has
 * made nothing new available, -1 with err when the ring is malformed
 * (index jump past the queue size, head or next out of range, a loop,
 * indirect descriptors, readable after writable, a buffer outside RAM, a
 * chain over KB_VQ_MAX_CHAIN_BYTES). */
int kb_vq_pop(const struct kb_mem *m, struct kb_vq *q, struct kb_vq_chain *c, char *err,
	      size_t errlen);

/* Return chain head to the driver with len bytes written. */
void kb_vq_push(const struct kb_mem *m, struct kb_vq *q, uint16_t head, uint32_t len);

/* Does the driver want an interrupt for what was just pushed? */
bool kb_vq_want_interrupt(const struct kb_mem *m, const struct kb_vq *q);

/* Copy up to len bytes out of the chain's readable part starting at off;
 * returns bytes copied.  And into its writable part. */
size_t kb_vq_read(const struct kb_vq_chain *c, size_t off, void *dst, size_t len);
size_t kb_vq_write(const struct kb_vq_chain *c, size_t off, const void *src, size_t len);

#endif
