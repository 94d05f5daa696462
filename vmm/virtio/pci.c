/*
 * The modern virtio-pci transport (see pci.h).  Common configuration
 * layout (virtio 1.x, 4.1.4.3):
 *   0x00 device_feature_select  0x04 device_feature  0x08 driver_feature_select
 *   0x0c driver_feature  0x10 config_msix_vector  0x12 num_queues
 *   0x14 device_status  0x15 config_generation  0x16 queue_select
 *   0x18 queue_size  0x1a queue_msix_vector  0x1c queue_enable
 *   0x1e queue_notify_off  0x20 queue_desc  0x28 queue_driver  0x30 queue_device
 */
#include "pci.h"

#include <assert.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "common/util.h"

/* ISR bit (1 queue, 2 configuration) and the interrupt: the MSI-X vector
 * when MSI-X is on, else INTA#, held until the driver reads the ISR. */
static void raise_irq(struct kb_virtio_dev *v, uint8_t bit, uint16_t vector)
{
	v->isr |= bit;
	kb_pci_interrupt(&v->pci, vector); /* NO_VECTOR is past every device's vectors */
}

void kb_virtio_pci_signal_vq(struct kb_virtio_dev *v, unsigned qi)
{
	assert(qi < v->ops->nqueues);
	raise_irq(v, 1, v->q[qi].msix_vector);
}

void kb_virtio_pci_signal_config(struct kb_virtio_dev *v)
{
	raise_irq(v, 2, v->config_vector);
}

void kb_virtio_pci_reset(struct kb_virtio_dev *v)
{
	v->dfsel = v->gfsel = 0;
	v->queue_sel = 0;
	v->config_vector = KB_VIRTIO_NO_VECTOR;
	v->isr = 0;
	if (v->pci.pci)
		kb_pci_intx(&v->pci, false);
}

/* --- common configuration ------------------------------------------------------ */

static uint64_t common_read(struct kb_virtio_dev *v, unsigned off)
{
	struct kb_vq *q = v->queue_sel < v->ops->nqueues ? &v->q[v->queue_sel] : NULL;

	switch (off) {
	case 0x00: return v->dfsel;
	case 0x04: return v->dfsel < 2 ? (uint32_t)(v->features >> (32 * v->dfsel)) : 0;
	case 0x08: return v->gfsel;
	case 0x0c: return v->gfsel < 2 ? (uint32_t)(v->guest_features >> (32 * v->gfsel)) : 0;
	case 0x10: return v->config_vector;
	case 0x12: return v->ops->nqueues;
	case 0x14: return v->status;
	case 0x15: return v->config_gen;
	case 0x16: return v->queue_sel;
	case 0x18: return q ? q->size : 0;
	case 0x1a: return q ? q->msix_vector : KB_VIRTIO_NO_VECTOR;
	case 0x1c: return q ? q->enabled : 0;
	case 0x1e: return q ? v->queue_sel : 0;
	case 0x20: return q ? q->desc : 0;
	case 0x28: return q ? q->avail : 0;
	case 0x30: return q ? q->used : 0;
	default: return 0;
	}
}

static uint16_t vector_ok(struct kb_virtio_dev *v, uint64_t val)
{
	return val < v->pci.nvec ? (uint16_t)val : KB_VIRTIO_NO_VECTOR;
}

/* queue_enable written 1 while the queue is being set up: its rings are
 * checked first, and a bad one breaks the device. */
static void queue_enable(struct kb_virtio_dev *v, struct kb_vq *q)
{
	char why[160];

	if (kb_vq_check_rings(v->mem, q, why, sizeof(why)))
		kb_virtio_broken(v, "queue %u: %s", v->queue_sel, why);
	else
		q->enabled = true;
}

/* queue_desc, queue_driver or queue_device (0x20-0x37): a whole 64-bit
 * field, or one 32-bit half of it. */
static void queue_addr(struct kb_vq *q, unsigned off, unsigned len, uint64_t val)
{
	uint64_t *a = off < 0x28 ? &q->desc : off < 0x30 ? &q->avail : &q->used;
	unsigned sh = (off & 4) ? 32 : 0;

	if (len == 8 && !(off & 4)) /* a whole field, not two halves */
		*a = val;
	else
		*a = (*a & ~(0xffffffffull << sh)) | ((val & 0xffffffffull) << sh);
}

static void common_write(struct kb_virtio_dev *v, unsigned off, unsigned len, uint64_t val)
{
	struct kb_vq *q = v->queue_sel < v->ops->nqueues ? &v->q[v->queue_sel] : NULL;
	bool setup = q && !q->enabled && !(v->status & KB_VIRTIO_S_DRIVER_OK);

	switch (off) {
	case 0x00: v->dfsel = (uint32_t)val; break;
	case 0x08: v->gfsel = (uint32_t)val; break;
	case 0x0c:
		if (v->gfsel < 2 && !(v->status & KB_VIRTIO_S_FEATURES_OK)) {
			unsigned sh = 32 * v->gfsel;

			v->guest_features = (v->guest_features & ~(0xffffffffull << sh)) |
					    ((val & 0xffffffffull) << sh);
		}
		break;
	case 0x10: v->config_vector = vector_ok(v, val); break;
	case 0x14: kb_virtio_set_status(v, (uint8_t)val); break;
	case 0x16: v->queue_sel = (uint16_t)val; break;
	case 0x18:
		if (setup)
			q->size = (uint16_t)val;
		break;
	case 0x1a:
		if (q)
			q->msix_vector = vector_ok(v, val);
		break;
	case 0x1c:
		if (setup && val == 1)
			queue_enable(v, q);
		break;
	case 0x20:
	case 0x24:
	case 0x28:
	case 0x2c:
	case 0x30:
	case 0x34:
		if (setup)
			queue_addr(q, off, len, val);
		break;
	default: break; /* read-only or reserved */
	}
}

static void common_io(struct kb_io *io, void *opaque)
{
	struct kb_virtio_dev *v = opaque;
	unsigned off = (unsigned)(io->addr - v->bar0 - KB_VIRTIO_COMMON_OFF);
	uint64_t val = 0;

	pthread_mutex_lock(&v->lock);
	if (io->write) {
		memcpy(&val, io->data, io->len < 8 ? io->len : 8);
		common_write(v, off, io->len, val);
	} else {
		/* A read starting inside a field takes that field's bytes from
		 * there on; the rest of the page (0x38 on) is reserved and reads
		 * zero.  The shift stays below the field's width. */
		static const struct {
			uint8_t start, size;
		} field[] = {{0x00, 4}, {0x04, 4}, {0x08, 4}, {0x0c, 4}, {0x10, 2}, {0x12, 2},
			     {0x14, 1}, {0x15, 1}, {0x16, 2}, {0x18, 2}, {0x1a, 2}, {0x1c, 2},
			     {0x1e, 2}, {0x20, 8}, {0x28, 8}, {0x30, 8}};

		for (unsigned i = 0; i < sizeof(field) / sizeof(field[0]); i++)
			if (kb_range_ok(off, 1, field[i].start, field[i].size))
				val =
				    common_read(v, field[i].start) >> (8 * (off - field[i].start));
		memset(io->data, 0, io->len);
		memcpy(io->data, &val, io->len < 8 ? io->len : 8);
	}
	pthread_mutex_unlock(&v->lock);
}

/* --- ISR, device configuration, notify ------------------------------------------ */

static void isr_io(struct kb_io *io, void *opaque)
{
	struct kb_virtio_dev *v = opaque;

	pthread_mutex_lock(&v->lock);
	if (!io->write) {
		memset(io->data, 0, io->len);
		io->data[0] = v->isr; /* reading clears it, and lowers INTA# */
		v->isr = 0;
		kb_pci_intx(&v->pci, false);
	}
	pthread_mutex_unlock(&v->lock);
}

static void device_io(struct kb_io *io, void *opaque)
{
	struct kb_virtio_dev *v = opaque;
	uint64_t off = io->addr - v->bar0 - KB_VIRTIO_DEVICE_OFF;

	pthread_mutex_lock(&v->lock);
	for (uint32_t i = 0; !io->write && i < io->len; i++)
		io->data[i] = off + i < v->config_len ? v->config[off + i] : 0;
	pthread_mutex_unlock(&v->lock); /* writes: no writable device fields */
}

/* A notify that exits to the VMM: ioeventfd off, or a write KVM did not
 * match (wrong width).  The vCPU processes the queue itself. */
static void notify_io(struct kb_io *io, void *opaque)
{
	struct kb_virtio_dev *v = opaque;
	uint64_t qi = (io->addr - v->bar0 - KB_VIRTIO_NOTIFY_OFF) / KB_VIRTIO_NOTIFY_MULT;

	if (!io->write) {
		memset(io->data, 0, io->len);
		return;
	}
	pthread_mutex_lock(&v->lock);
	if (qi < v->ops->nqueues) {
		v->q[qi].notifies_exit++;
		kb_virtio_process(v, (unsigned)qi);
	}
	pthread_mutex_unlock(&v->lock);
}

/* --- set-up ----------------------------------------------------------------------- */

static void vcap(uint8_t *c, uint8_t type, uint32_t off, uint32_t len, uint8_t caplen)
{
	memset(c, 0, caplen);
	c[0] = 0x09; /* vendor-specific */
	c[2] = caplen;
	c[3] = type;
	c[4] = 0; /* BAR 0 */
	memcpy(c + 8, &off, 4);
	memcpy(c + 12, &len, 4);
}

/* The four structures' capabilities: common, notify, ISR and (when the
 * device has one) its configuration.  0, or -1 with err. */
static int add_caps(struct kb_virtio_dev *v, char *err, size_t errlen)
{
	uint8_t cap[20];
	bool fits;

	vcap(cap, 1, KB_VIRTIO_COMMON_OFF, 0x38, 16);
	kb_pci_cap(&v->pci, cap, 16);
	vcap(cap, 2, KB_VIRTIO_NOTIFY_OFF, KB_VIRTIO_NOTIFY_MULT * v->ops->nqueues, 20);
	memcpy(cap + 16, &(uint32_t){KB_VIRTIO_NOTIFY_MULT}, 4);
	kb_pci_cap(&v->pci, cap, 20);
	vcap(cap, 3, KB_VIRTIO_ISR_OFF, 1, 16);
	fits = kb_pci_cap(&v->pci, cap, 16);
	/* A device without configuration (virtio-rng) has no capability for it:
	 * Linux refuses a zero-length one ("bad capability len 0", -EINVAL). */
	if (v->config_len) {
		vcap(cap, 4, KB_VIRTIO_DEVICE_OFF, v->config_len, 16);
		fits = kb_pci_cap(&v->pci, cap, 16);
	}
	if (!fits)
		return kb_errf(err, errlen, "%s: PCI capabilities overflow", v->name);
	return 0;
}

/* With ioeventfd: KVM signals an eventfd per queue for a 2-byte write to
 * its notify address, and the I/O thread waits on them.  0, or -1. */
static int add_ioeventfds(struct kb_virtio_dev *v, char *err, size_t errlen)
{
	for (unsigned i = 0; v->ioeventfd && i < v->ops->nqueues; i++) {
		struct kvm_ioeventfd ev = {
		    .addr = v->bar0 + KB_VIRTIO_NOTIFY_OFF + KB_VIRTIO_NOTIFY_MULT * i, .len = 2};

		v->notify_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ev.fd = v->notify_fd[i];
		if (v->notify_fd[i] < 0 || ioctl(v->vm_fd, KVM_IOEVENTFD, &ev) < 0)
			return kb_errf(err, errlen, "%s: KVM_IOEVENTFD: %s", v->name,
				       strerror(errno));
	}
	return 0;
}

int kb_virtio_pci_init(struct kb_virtio_dev *v, struct kb_pci *pci, char *err, size_t errlen)
{
	static const char *const part[4] = {"common", "isr", "device", "notify"};
	static const uint32_t part_off[4] = {KB_VIRTIO_COMMON_OFF, KB_VIRTIO_ISR_OFF,
					     KB_VIRTIO_DEVICE_OFF, KB_VIRTIO_NOTIFY_OFF};
	static const kb_io_fn part_fn[4] = {common_io, isr_io, device_io, notify_io};
	const struct kb_virtio_ops *ops = v->ops;
	int r;

	if ((r = kb_pci_add(pci, &v->pci, v->name, 0x1af4, (uint16_t)(0x1040 + ops->virtio_id),
			    ops->class_code, 0x1af4, ops->virtio_id, 1)))
		return kb_errf(err, errlen, "%s: no free PCI slot", v->name);
	v->bar0 = kb_pci_bar(&v->pci, 0, KB_VIRTIO_BAR0_SIZE);
	if (!v->bar0 || !kb_pci_bar(&v->pci, 1, 0x1000))
		return kb_errf(err, errlen, "%s: the PCI memory window is full", v->name);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(v->rname[i], sizeof(v->rname[i]), "%s.%s", v->name, part[i]);
		r = kb_bus_register(pci->bus, KB_SPACE_MMIO, v->bar0 + part_off[i], 0x1000,
				    v->rname[i], part_fn[i], v);
		if (r < 0)
			return kb_errf(err, errlen, "%s: bus: %s", v->name, strerror(-r));
	}
	if (add_caps(v, err, errlen))
		return -1;
	if ((r = kb_pci_msix(&v->pci, ops->nqueues + 1, 1, 0, KB_VIRTIO_MSIX_PBA_OFF)))
		return kb_errf(err, errlen, "%s: MSI-X: %s", v->name, strerror(-r));
	return add_ioeventfds(v, err, errlen);
}
