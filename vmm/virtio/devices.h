/*
 * The virtio devices: block (a raw image file), network (a tap or the
 * in-VMM loopback) and entropy.  Each is a kb_virtio_dev with its backend
 * state in ->be, and a model in the -device table (KB_VIRTIO_MODELS
 * below): devopts.c parses -device by it, vm.c creates the devices by it.
 */
#ifndef KB_VIRTIO_DEVICES_H
#define KB_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "../device.h"
#include "virtio.h"

struct kb_devspec;
struct kb_qopts;

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

/* A virtio device model: how -device DRIVER,... is parsed and created. */
struct kb_virtio_model {
	const char *driver;		 /* -device name: "virtio-blk-pci" */
	const char *usage;		 /* for -h: "virtio-blk-pci,drive=ID" */
	const struct kb_virtio_ops *ops; /* its type names the devices: TYPE0, TYPE1... */
	/* The -device key naming its backend, "drive" (a -drive id) or
	 * "netdev" (a -netdev id); NULL: none. */
	const char *backend;
	/* Read the model's own properties of -device v from q into d->props
	 * (index: d's place among the devices); NULL: it has none.  Pure.  0,
	 * or -1 with err naming v. */
	int (*parse)(struct kb_qopts *q, const char *v, unsigned index, struct kb_devspec *d,
		     char *err, size_t errlen);
	/* Create the device d as v, named name, on m->pci (its backend is
	 * m->cfg->drives[d->index] or netdevs[d->index]).  0, or -1 with err. */
	int (*create)(struct kb_virtio_dev *v, const char *name, const struct kb_devspec *d,
		      const struct kb_machine *m, char *err, size_t errlen);
};

/*
 * The -device table, in the order -h and errors list the models.  One line
 * per model; each is a `const struct kb_virtio_model kb_virtio_model_NAME`
 * in virtio/NAME.c.
 */
#define KB_VIRTIO_MODELS(X)                 \
	X(blk) /* virtio-blk-pci (blk.c) */ \
	X(net) /* virtio-net-pci (net.c) */ \
	X(rng) /* virtio-rng-pci (rng.c) */

#define KB_VIRTIO_MODEL_DECLARE(name) extern const struct kb_virtio_model kb_virtio_model_##name;
KB_VIRTIO_MODELS(KB_VIRTIO_MODEL_DECLARE)
#undef KB_VIRTIO_MODEL_DECLARE

#endif
