/*
 * Modern virtio-pci transport (see virtio.h).  Common configuration layout
 * (virtio 1.x, 4.1.4.3):
 *   0x00 device_feature_select  0x04 device_feature  0x08 driver_feature_select
 *   0x0c driver_feature  0x10 config_msix_vector  0x12 num_queues
 *   0x14 device_status  0x15 config_generation  0x16 queue_select
 *   0x18 queue_size  0x1a queue_msix_vector  0x1c queue_enable
 *   0x1e queue_notify_off  0x20 queue_desc  0x28 queue_driver  0x30 queue_device
 */
#include "virtio.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../sandbox.h"
#include "common/util.h"

#define NO_VECTOR 0xffff

/* ISR bit (1 queue, 2 configuration) and the interrupt: the MSI-X vector
 * when MSI-X is on, else INTA#, held until the driver reads the ISR. */
static void raise_irq(struct kb_virtio_dev *v, uint8_t bit, uint16_t vector)
{
	v->isr |= bit;
	kb_pci_interrupt(&v->pci, vector); /* NO_VECTOR is past every device's vectors */
}

void kb_virtio_broken(struct kb_virtio_dev *v, const char *fmt, ...)
{
	va_list ap;

	v->broken_count++;
	if (v->broken[0])
		return;
	va_start(ap, fmt);
	vsnprintf(v->broken, sizeof(v->broken), fmt, ap);
	va_end(ap);
	memcpy(v->last_broken, v->broken, sizeof(v->broken));
	fprintf(stderr, "kvmbench-vmm: %s: device broken, needs reset: %s\n", v->name, v->broken);
	v->status |= KB_VIRTIO_S_NEEDS_RESET;
	v->config_gen++;
	raise_irq(v, 2, v->config_vector);
}

void kb_virtio_used(struct kb_virtio_dev *v, unsigned qi)
{
	struct kb_vq *q = &v->q[qi];

	if (!kb_vq_want_interrupt(v->mem, q))
		return;
	q->interrupts++;
	raise_irq(v, 1, q->msix_vector);
}

int kb_virtio_drain(struct kb_virtio_dev *v, unsigned qi, struct kb_vq_chain *c,
		    int64_t (*fn)(struct kb_virtio_dev *v, struct kb_vq_chain *c))
{
	char why[200];
	int r;
	bool pushed = false;

	while ((r = kb_vq_pop(v->mem, &v->q[qi], c, why, sizeof(why))) == 1) {
		int64_t len = fn(v, c);

		if (len < 0)
			break;
		kb_vq_push(v->mem, &v->q[qi], c->head, (uint32_t)len);
		pushed = true;
	}
	if (pushed)
		kb_virtio_used(v, qi);
	if (r < 0)
		kb_virtio_broken(v, "queue %u: %s", qi, why);
	return r < 0 || v->broken[0] ? -1 : 0;
}

static void process(struct kb_virtio_dev *v, unsigned qi)
{
	if (v->broken[0] || !(v->status & KB_VIRTIO_S_DRIVER_OK) || !v->q[qi].enabled)
		return;
	v->ops->queue_notify(v, qi);
}

static void reset(struct kb_virtio_dev *v)
{
	v->status = 0;
	v->guest_features = 0;
	v->dfsel = v->gfsel = 0;
	v->queue_sel = 0;
	v->config_vector = NO_VECTOR;
	v->isr = 0;
	if (v->pci.pci)
		kb_pci_intx(&v->pci, false);
	if (v->broken[0])
		v->resets++;
	v->broken[0] = 0;
	for (unsigned i = 0; i < KB_VIRTIO_MAX_QUEUES; i++) {
		struct kb_vq *q = &v->q[i];
		uint64_t keep[4] = {q->chains, q->notifies_exit, q->notifies_eventfd,
				    q->interrupts};

		memset(q, 0, sizeof(*q));
		q->size = KB_VQ_MAX_SIZE;
		q->msix_vector = NO_VECTOR;
		q->chains = keep[0], q->notifies_exit = keep[1];
		q->notifies_eventfd = keep[2], q->interrupts = keep[3];
	}
	if (v->ops->reset)
		v->ops->reset(v);
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
	case 0x1a: return q ? q->msix_vector : NO_VECTOR;
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
	return val < v->pci.nvec ? (uint16_t)val : NO_VECTOR;
}

static void set_status(struct kb_virtio_dev *v, uint8_t s)
{
	if (s == 0) {
		reset(v);
		return;
	}
	if ((s & KB_VIRTIO_S_FEATURES_OK) && !(v->status & KB_VIRTIO_S_FEATURES_OK)) {
		/* refuse what was not offered, and legacy drivers */
		if ((v->guest_features & ~v->features) ||
		    !(v->guest_features & KB_VIRTIO_F_VERSION_1))
			s &= (uint8_t)~KB_VIRTIO_S_FEATURES_OK;
	}
	v->status = (uint8_t)(s | (v->status & KB_VIRTIO_S_NEEDS_RESET));
}

static void common_write(struct kb_virtio_dev *v, unsigned off, unsigned len, uint64_t val)
{
	struct kb_vq *q = v->queue_sel < v->ops->nqueues ? &v->q[v->queue_sel] : NULL;
	bool setup = q && !q->enabled && !(v->status & KB_VIRTIO_S_DRIVER_OK);
	char why[160];

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
	case 0x14: set_status(v, (uint8_t)val); break;
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
		if (setup && val == 1) {
			if (kb_vq_check_rings(v->mem, q, why, sizeof(why)))
				kb_virtio_broken(v, "queue %u: %s", v->queue_sel, why);
			else
				q->enabled = true;
		}
		break;
	case 0x20:
	case 0x24:
	case 0x28:
	case 0x2c:
	case 0x30:
	case 0x34:
		if (setup) {
			uint64_t *a = off < 0x28 ? &q->desc : off < 0x30 ? &q->avail : &q->used;
			unsigned sh = (off & 4) ? 32 : 0;

			if (len == 8 && !(off & 4)) /* a whole field, not two halves */
				*a = val;
			else
				*a = (*a & ~(0xffffffffull << sh)) | ((val & 0xffffffffull) << sh);
		}
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
		process(v, (unsigned)qi);
	}
	pthread_mutex_unlock(&v->lock);
}

/* --- the I/O thread (ioeventfd=on, or a backend with its own fd) ------------- */

static void *io_thread(void *arg)
{
	struct kb_virtio_dev *v = arg;
	struct pollfd p[KB_VIRTIO_MAX_QUEUES + 3];
	char why[200];

	if (kb_sandbox_enter(KB_THREAD_IO, why, sizeof(why)))
		return NULL; /* the sandbox's hook recorded it and stopped the VM */
	for (;;) {
		unsigned n = 0, nq = v->ioeventfd ? v->ops->nqueues : 0;
		int extra = v->ops->poll_fd ? v->ops->poll_fd(v) : -1;

		p[n++] = (struct pollfd){.fd = v->stop_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = v->wake_fd, .events = POLLIN};
		for (unsigned i = 0; i < nq; i++)
			p[n++] = (struct pollfd){.fd = v->notify_fd[i], .events = POLLIN};
		if (extra >= 0)
			p[n++] = (struct pollfd){.fd = extra, .events = POLLIN};
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		uint64_t cnt;

		if (p[1].revents && read(v->wake_fd, &cnt, 8) < 0)
			continue;
		for (unsigned i = 0; i < nq; i++) {
			if (!p[2 + i].revents || read(v->notify_fd[i], &cnt, 8) != 8)
				continue;
			pthread_mutex_lock(&v->lock);
			v->q[i].notifies_eventfd += cnt;
			process(v, i);
			pthread_mutex_unlock(&v->lock);
		}
		if (extra >= 0 && p[n - 1].revents) {
			pthread_mutex_lock(&v->lock);
			v->ops->poll_ready(v);
			pthread_mutex_unlock(&v->lock);
		}
	}
	return NULL;
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

int kb_virtio_init(struct kb_virtio_dev *v, const struct kb_virtio_ops *ops, const char *name,
		   uint64_t features, const void *config, unsigned config_len, bool ioeventfd,
		   struct kb_pci *pci, const struct kb_mem *mem, int vm_fd, char *err,
		   size_t errlen)
{
	static const char *const part[4] = {"common", "isr", "device", "notify"};
	static const uint32_t part_off[4] = {KB_VIRTIO_COMMON_OFF, KB_VIRTIO_ISR_OFF,
					     KB_VIRTIO_DEVICE_OFF, KB_VIRTIO_NOTIFY_OFF};
	static const kb_io_fn part_fn[4] = {common_io, isr_io, device_io, notify_io};
	uint8_t cap[20];
	int r;

	v->ops = ops;
	v->mem = mem;
	v->vm_fd = vm_fd;
	v->ioeventfd = ioeventfd;
	v->features = features | KB_VIRTIO_F_VERSION_1;
	v->stop_fd = v->wake_fd = -1;
	for (unsigned i = 0; i < KB_VIRTIO_MAX_QUEUES; i++)
		v->notify_fd[i] = -1;
	snprintf(v->name, sizeof(v->name), "%s", name);
	if (config_len > sizeof(v->config))
		return kb_errf(err, errlen, "%s: configuration too large", name);
	if (config_len)
		memcpy(v->config, config, config_len);
	v->config_len = config_len;
	pthread_mutex_init(&v->lock, NULL);
	reset(v);
	if ((r = kb_pci_add(pci, &v->pci, v->name, 0x1af4, (uint16_t)(0x1040 + ops->virtio_id),
			    ops->class_code, 0x1af4, ops->virtio_id, 1)))
		return kb_errf(err, errlen, "%s: no free PCI slot", name);
	v->bar0 = kb_pci_bar(&v->pci, 0, KB_VIRTIO_BAR0_SIZE);
	if (!v->bar0 || !kb_pci_bar(&v->pci, 1, 0x1000))
		return kb_errf(err, errlen, "%s: the PCI memory window is full", name);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(v->rname[i], sizeof(v->rname[i]), "%s.%s", name, part[i]);
		r = kb_bus_register(pci->bus, KB_SPACE_MMIO, v->bar0 + part_off[i], 0x1000,
				    v->rname[i], part_fn[i], v);
		if (r < 0)
			return kb_errf(err, errlen, "%s: bus: %s", name, strerror(-r));
	}
	vcap(cap, 1, KB_VIRTIO_COMMON_OFF, 0x38, 16);
	kb_pci_cap(&v->pci, cap, 16);
	vcap(cap, 2, KB_VIRTIO_NOTIFY_OFF, KB_VIRTIO_NOTIFY_MULT * ops->nqueues, 20);
	memcpy(cap + 16, &(uint32_t){KB_VIRTIO_NOTIFY_MULT}, 4);
	kb_pci_cap(&v->pci, cap, 20);
	vcap(cap, 3, KB_VIRTIO_ISR_OFF, 1, 16);
	bool fits = kb_pci_cap(&v->pci, cap, 16);

	/* A device without configuration (virtio-rng) has no capability for it:
	 * Linux refuses a zero-length one ("bad capability len 0", -EINVAL). */
	if (config_len) {
		vcap(cap, 4, KB_VIRTIO_DEVICE_OFF, config_len, 16);
		fits = kb_pci_cap(&v->pci, cap, 16);
	}
	if (!fits)
		return kb_errf(err, errlen, "%s: PCI capabilities overflow", name);
	if ((r = kb_pci_msix(&v->pci, ops->nqueues + 1, 1, 0, KB_VIRTIO_MSIX_PBA_OFF)))
		return kb_errf(err, errlen, "%s: MSI-X: %s", name, strerror(-r));
	for (unsigned i = 0; ioeventfd && i < ops->nqueues; i++) {
		struct kvm_ioeventfd ev = {
		    .addr = v->bar0 + KB_VIRTIO_NOTIFY_OFF + KB_VIRTIO_NOTIFY_MULT * i, .len = 2};

		v->notify_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ev.fd = v->notify_fd[i];
		if (v->notify_fd[i] < 0 || ioctl(vm_fd, KVM_IOEVENTFD, &ev) < 0)
			return kb_errf(err, errlen, "%s: KVM_IOEVENTFD: %s", name, strerror(errno));
	}
	if (ioeventfd || ops->poll_fd) {
		v->stop_fd = eventfd(0, EFD_CLOEXEC);
		v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->stop_fd < 0 || v->wake_fd < 0)
			return kb_errf(err, errlen, "%s: I/O thread: %s", name, strerror(errno));
	}
	return 0;
}

int kb_virtio_start(struct kb_virtio_dev *v, char *err, size_t errlen)
{
	int r;

	if (v->stop_fd < 0 || v->thread_started) /* no I/O thread: the vCPU does the work */
		return 0;
	if ((r = pthread_create(&v->thread, NULL, io_thread, v)))
		return kb_errf(err, errlen, "%s: I/O thread: %s", v->name, strerror(r));
	v->thread_started = true;
	return 0;
}

void kb_virtio_wake(struct kb_virtio_dev *v)
{
	uint64_t one = 1;

	if (v->wake_fd >= 0 && write(v->wake_fd, &one, 8) != 8)
		return; /* the counter is full: a wake-up is pending anyway */
}

void kb_virtio_stop(struct kb_virtio_dev *v)
{
	uint64_t one = 1;

	if (!v->thread_started)
		return;
	if (write(v->stop_fd, &one, 8) == 8)
		pthread_join(v->thread, NULL);
	v->thread_started = false;
}

void kb_virtio_destroy(struct kb_virtio_dev *v)
{
	kb_virtio_stop(v);
	if (v->ops && v->ops->free && v->be)
		v->ops->free(v);
	else
		free(v->be);
	v->be = NULL;
	for (unsigned i = 0; i < KB_VIRTIO_MAX_QUEUES; i++)
		if (v->notify_fd[i] >= 0)
			close(v->notify_fd[i]);
	if (v->stop_fd >= 0)
		close(v->stop_fd);
	if (v->wake_fd >= 0)
		close(v->wake_fd);
}
