/*
 * virtio-rng (virtio 1.x, 5.4): one queue of device-writable buffers,
 * filled from getrandom().
 */
#include <stdlib.h>
#include <sys/random.h>

#include "../options.h"
#include "common/util.h"
#include "devices.h"

static int64_t rng_fill(struct kb_virtio_dev *v, struct kb_vq_chain *c)
{
	uint32_t done = 0;

	for (unsigned i = c->nread; i < c->n; i++) {
		for (uint32_t off = 0; off < c->seg[i].len;) {
			ssize_t n = getrandom(c->seg[i].host + off, c->seg[i].len - off, 0);

			if (n <= 0)
				break;
			off += (uint32_t)n;
			done += (uint32_t)n;
		}
	}
	v->requests++;
	v->bytes_written += done;
	return done;
}

/* The chain being filled lives in the device's own backend state: each
 * device has its own I/O thread and lock, so nothing here may be shared
 * between devices (a static chain let two devices' threads overwrite each
 * other's segments, and getrandom() write past guest RAM). */
static int rng_notify(struct kb_virtio_dev *v, unsigned qi)
{
	return kb_virtio_drain(v, qi, v->be, rng_fill);
}

static const struct kb_virtio_ops rng_ops = {
    .type = "virtio-rng",
    .virtio_id = 4,
    .class_code = 0x00ff00,
    .nqueues = 1,
    .queue_notify = rng_notify,
};

int kb_virtio_rng_init(struct kb_virtio_dev *v, const char *name, bool ioeventfd,
		       struct kb_pci *pci, const struct kb_mem *mem, int vm_fd, char *err,
		       size_t errlen)
{
	v->be = calloc(1, sizeof(struct kb_vq_chain)); /* 4 KiB: off the stack */
	if (!v->be)
		return kb_errf(err, errlen, "%s: out of memory", name);
	return kb_virtio_init(v, &rng_ops, name, 0, NULL, 0, ioeventfd, pci, mem, vm_fd, err,
			      errlen);
}

static int rng_create(struct kb_virtio_dev *v, const char *name, const struct kb_devspec *d,
		      const struct kb_machine *m, char *err, size_t errlen)
{
	return kb_virtio_rng_init(v, name, d->ioeventfd, m->pci, m->mem, m->vm_fd, err, errlen);
}

/* -device virtio-rng-pci: no backend, no properties of its own */
const struct kb_virtio_model kb_virtio_model_rng = {
    .driver = "virtio-rng-pci",
    .usage = "virtio-rng-pci",
    .ops = &rng_ops,
    .create = rng_create,
};
