/*
 * A virtio device (virtio 1.x) and its core (core.c): the device status
 * and feature negotiation, reset, split queues and how they are drained,
 * NEEDS_RESET, and the I/O thread.  Its transport is the modern
 * virtio-pci one (pci.c, pci.h): the driver reaches the device through its
 * registers, and the device interrupts the driver through it.  A backend
 * (blk.c, net.c, rng.c) is a struct kb_virtio_ops and the state in ->be.
 *
 * Queue notifications either exit to the VMM as MMIO writes (the vCPU
 * thread processes the queue, as QEMU does without ioeventfd) or, with
 * ioeventfd=on, are absorbed by KVM into an eventfd that the device's I/O
 * thread waits on.  Interrupts go out through irqfds (vmm/pci.c).  Every
 * exit is charged to a named region: NAME.common, NAME.isr, NAME.device,
 * NAME.notify, NAME.msix.
 *
 * A driver that breaks the rules (a malformed ring, a bad queue address)
 * puts the device into NEEDS_RESET: it stops processing, raises a
 * configuration interrupt, records the reason (stats JSON) and says so once
 * on stderr; writing status 0 resets it.  The VMM carries on.
 */
#ifndef KB_VIRTIO_H
#define KB_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../memory.h"
#include "../pci.h"
#include "virtq.h"

#define KB_VIRTIO_MAX_QUEUES 3
#define KB_VIRTIO_F_VERSION_1 (1ull << 32)

#define KB_VIRTIO_S_ACKNOWLEDGE 1
#define KB_VIRTIO_S_DRIVER 2
#define KB_VIRTIO_S_DRIVER_OK 4
#define KB_VIRTIO_S_FEATURES_OK 8
#define KB_VIRTIO_S_NEEDS_RESET 0x40
#define KB_VIRTIO_S_FAILED 0x80

#define KB_VIRTIO_NO_VECTOR 0xffff /* an MSI-X vector register: none */

struct kb_virtio_dev;

struct kb_virtio_ops {
	const char *type; /* "virtio-blk" */
	uint16_t virtio_id;
	uint32_t class_code;
	unsigned nqueues;
	/* Process queue q (device lock held).  Returns -1 after
	 * kb_virtio_broken() when the driver broke the rules. */
	int (*queue_notify)(struct kb_virtio_dev *v, unsigned q);
	void (*reset)(struct kb_virtio_dev *v); /* may be NULL */
	/* An extra descriptor for the I/O thread (a tap) or -1; ready() is
	 * called with the lock held when it is readable. */
	int (*poll_fd)(struct kb_virtio_dev *v);
	void (*poll_ready)(struct kb_virtio_dev *v);
	void (*free)(struct kb_virtio_dev *v); /* the backend state; NULL: free(be) */
};

struct kb_virtio_dev {
	/* the device (core.c) */
	const struct kb_virtio_ops *ops;
	const struct kb_mem *mem;
	pthread_mutex_t lock;
	char name[32];
	uint64_t features;	 /* offered (VERSION_1 included) */
	uint64_t guest_features; /* accepted by the driver */
	uint8_t status, config_gen;
	uint8_t config[64];
	unsigned config_len;
	struct kb_vq q[KB_VIRTIO_MAX_QUEUES];
	/* the I/O thread (core.c); the notify eventfds are the transport's */
	bool ioeventfd;
	int notify_fd[KB_VIRTIO_MAX_QUEUES];
	int stop_fd, wake_fd;
	pthread_t thread;
	bool thread_started;
	/* the virtio-pci transport (pci.c) */
	struct kb_pci_dev pci;
	int vm_fd;
	uint64_t bar0;
	char rname[4][48]; /* region names for the exit accounting */
	uint32_t dfsel, gfsel;
	uint8_t isr;
	uint16_t queue_sel, config_vector;
	char broken[200];      /* why the device needs a reset; "" when healthy */
	char last_broken[200]; /* the latest reason, kept across resets */
	uint64_t broken_count;
	/* device counters, kept by the backends */
	uint64_t requests, bytes_read, bytes_written, errors, dropped, resets;
	void *be; /* backend state */
};

/* Set up the device, its transport (the PCI function, BARs, capabilities,
 * MSI-X and, with ioeventfd, the notify eventfds) and the eventfds the I/O
 * thread waits on.  features: the device's own feature bits; config: its
 * configuration structure.  Returns 0, or -1 with err. */
int kb_virtio_init(struct kb_virtio_dev *v, const struct kb_virtio_ops *ops, const char *name,
		   uint64_t features, const void *config, unsigned config_len, bool ioeventfd,
		   struct kb_pci *pci, const struct kb_mem *mem, int vm_fd, char *err,
		   size_t errlen);

/* The driver broke the rules: NEEDS_RESET, a configuration interrupt, the
 * reason kept and printed once.  Lock held. */
void kb_virtio_broken(struct kb_virtio_dev *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Take every available chain of queue q (into c) and hand it to fn, which
 * returns the bytes it wrote into the chain (returned to the driver as
 * used) or -1 after kb_virtio_broken().  A malformed ring breaks the
 * device.  One interrupt for the batch.  Lock held; returns 0 or -1.
 */
int kb_virtio_drain(struct kb_virtio_dev *v, unsigned q, struct kb_vq_chain *c,
		    int64_t (*fn)(struct kb_virtio_dev *v, struct kb_vq_chain *c));

/* Used buffers were added to queue q: interrupt unless suppressed. */
void kb_virtio_used(struct kb_virtio_dev *v, unsigned q);

/* Queue q (< ops->nqueues) was notified: process it unless the device is
 * broken, not DRIVER_OK or the queue not enabled.  Lock held. */
void kb_virtio_process(struct kb_virtio_dev *v, unsigned q);

/* The driver wrote the device status s: 0 resets the device; FEATURES_OK
 * stays clear when the driver accepted what was not offered, or not
 * VERSION_1; NEEDS_RESET stays set.  Lock held. */
void kb_virtio_set_status(struct kb_virtio_dev *v, uint8_t s);

/* Reset the device (status 0): its transport's registers, the queues
 * (their counters kept), NEEDS_RESET cleared, the backend's reset.  Lock
 * held, or before the device is live. */
void kb_virtio_reset(struct kb_virtio_dev *v);

/* Start the device's I/O thread, if it has one (ioeventfd, or a backend's
 * fd): a step of its own, after the VMM gave root up (-runas) with no
 * other thread there.  0, or -1 with err. */
int kb_virtio_start(struct kb_virtio_dev *v, char *err, size_t errlen);

/* Make the I/O thread look at poll_fd() again (after it changed). */
void kb_virtio_wake(struct kb_virtio_dev *v);

/* Stop the I/O thread (before the stats are taken) and free. */
void kb_virtio_stop(struct kb_virtio_dev *v);
void kb_virtio_destroy(struct kb_virtio_dev *v);

#endif
