/*
 * The virtio device core (see virtio.h): status and feature negotiation,
 * reset, draining the split queues into the backend, NEEDS_RESET, and the
 * I/O thread.  Its registers and interrupts are the transport's (pci.c).
 */
#include "virtio.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../sandbox.h"
#include "common/util.h"
#include "pci.h"

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
	kb_virtio_pci_signal_config(v);
}

void kb_virtio_used(struct kb_virtio_dev *v, unsigned qi)
{
	struct kb_vq *q = &v->q[qi];

	assert(qi < v->ops->nqueues);
	if (!kb_vq_want_interrupt(v->mem, q))
		return;
	q->interrupts++;
	kb_virtio_pci_signal_vq(v, qi);
}

int kb_virtio_drain(struct kb_virtio_dev *v, unsigned qi, struct kb_vq_chain *c,
		    int64_t (*fn)(struct kb_virtio_dev *v, struct kb_vq_chain *c))
{
	char why[200];
	int r;
	bool pushed = false;

	assert(qi < v->ops->nqueues);
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

void kb_virtio_process(struct kb_virtio_dev *v, unsigned qi)
{
	assert(qi < v->ops->nqueues);
	if (v->broken[0] || !(v->status & KB_VIRTIO_S_DRIVER_OK) || !v->q[qi].enabled)
		return;
	v->ops->queue_notify(v, qi);
}

void kb_virtio_reset(struct kb_virtio_dev *v)
{
	v->status = 0;
	v->guest_features = 0;
	kb_virtio_pci_reset(v);
	if (v->broken[0])
		v->resets++;
	v->broken[0] = 0;
	for (unsigned i = 0; i < KB_VIRTIO_MAX_QUEUES; i++) {
		struct kb_vq *q = &v->q[i];
		uint64_t keep[4] = {q->chains, q->notifies_exit, q->notifies_eventfd,
				    q->interrupts};

		memset(q, 0, sizeof(*q));
		q->size = KB_VQ_MAX_SIZE;
		q->msix_vector = KB_VIRTIO_NO_VECTOR;
		q->chains = keep[0], q->notifies_exit = keep[1];
		q->notifies_eventfd = keep[2], q->interrupts = keep[3];
	}
	if (v->ops->reset)
		v->ops->reset(v);
}

void kb_virtio_set_status(struct kb_virtio_dev *v, uint8_t s)
{
	if (s == 0) {
		kb_virtio_reset(v);
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

/* --- the I/O thread (ioeventfd=on, or a backend with its own fd) ------------- */

/* What the I/O thread waits on: stop, wake, each queue's notify eventfd
 * (with ioeventfd), then the backend's descriptor if it has one.  The
 * count, with the backend's descriptor (or -1) in *extra. */
static unsigned poll_set(struct kb_virtio_dev *v, struct pollfd *p, int *extra)
{
	unsigned n = 0, nq = v->ioeventfd ? v->ops->nqueues : 0;

	*extra = v->ops->poll_fd ? v->ops->poll_fd(v) : -1;
	p[n++] = (struct pollfd){.fd = v->stop_fd, .events = POLLIN};
	p[n++] = (struct pollfd){.fd = v->wake_fd, .events = POLLIN};
	for (unsigned i = 0; i < nq; i++)
		p[n++] = (struct pollfd){.fd = v->notify_fd[i], .events = POLLIN};
	if (*extra >= 0)
		p[n++] = (struct pollfd){.fd = *extra, .events = POLLIN};
	return n;
}

static void *io_thread(void *arg)
{
	struct kb_virtio_dev *v = arg;
	struct pollfd p[KB_VIRTIO_MAX_QUEUES + 3];
	char why[200];

	if (kb_sandbox_enter(KB_THREAD_IO, why, sizeof(why)))
		return NULL; /* the sandbox's hook recorded it and stopped the VM */
	for (;;) {
		unsigned nq = v->ioeventfd ? v->ops->nqueues : 0;
		int extra;
		unsigned n = poll_set(v, p, &extra);
		uint64_t cnt;

		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && read(v->wake_fd, &cnt, 8) < 0)
			continue;
		for (unsigned i = 0; i < nq; i++) {
			if (!p[2 + i].revents || read(v->notify_fd[i], &cnt, 8) != 8)
				continue;
			pthread_mutex_lock(&v->lock);
			v->q[i].notifies_eventfd += cnt;
			kb_virtio_process(v, i);
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

int kb_virtio_init(struct kb_virtio_dev *v, const struct kb_virtio_ops *ops, const char *name,
		   uint64_t features, const void *config, unsigned config_len, bool ioeventfd,
		   struct kb_pci *pci, const struct kb_mem *mem, int vm_fd, char *err,
		   size_t errlen)
{
	assert(ops->nqueues <= KB_VIRTIO_MAX_QUEUES);
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
	kb_virtio_reset(v);
	if (kb_virtio_pci_init(v, pci, err, errlen))
		return -1;
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
