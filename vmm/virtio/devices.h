/*
 * The virtio devices: block (a raw image file), network (a tap or the
 * in-VMM loopback) and entropy.  Each is a kb_virtio_dev with its backend
 * state in ->be.
 */
#ifndef KB_VIRTIO_DEVICES_H
#define KB_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

struct kb_blk_opts {
	const char *file;
	bool readonly;
	bool direct; /* cache=none: O_DIRECT through an aligned bounce buffer */
	const char *serial;
};

struct kb_net_opts {
	bool loopback;	    /* else a tap */
	const char *ifname; /* tap name */
	uint8_t mac[6];
};

int kb_virtio_blk_init(struct kb_virtio_dev *v, const char *name, const struct kb_blk_opts *o,
		       bool ioeventfd, struct kb_pci *pci, const struct kb_mem *mem, int vm_fd,
		       char *err, size_t errlen);
int kb_virtio_net_init(struct kb_virtio_dev *v, const char *name, const struct kb_net_opts *o,
		       bool ioeventfd, struct kb_pci *pci, const struct kb_mem *mem, int vm_fd,
		       char *err, size_t errlen);
int kb_virtio_rng_init(struct kb_virtio_dev *v, const char *name, bool ioeventfd,
		       struct kb_pci *pci, const struct kb_mem *mem, int vm_fd, char *err,
		       size_t errlen);

#endif
