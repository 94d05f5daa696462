/*
 * Reader for KVM's binary statistics file descriptors
 * (Documentation/virt/kvm/api.rst, KVM_GET_STATS_FD).
 */
#include "kvmstats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int load_descriptors(struct kb_kstats *s, const struct kvm_stats_header *h)
{
	size_t dsize = sizeof(struct kvm_stats_desc) + h->name_size;
	uint8_t *raw = malloc(dsize * h->num_desc);
	uint32_t max_end = 0;

	if (!raw)
		return -1;
	s->desc = calloc(h->num_desc, sizeof(*s->desc));
	if (!s->desc || read_full(s->fd, raw, dsize * h->num_desc, h->desc_offset)) {
		free(raw);
		return -1;
	}
	for (uint32_t i = 0; i < h->num_desc; i++) {
		const struct kvm_stats_desc *d = (void *)(raw + i * dsize);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint32_t end = d->offset + d->size * 8u;

		if (end > max_end)
			max_end = end;
		if (d->size != 1 || type > KVM_STATS_TYPE_PEAK)
			continue; /* histograms */
		struct kb_kstat_desc *o = &s->desc[s->n++];

		snprintf(o->name, sizeof(o->name), "%.*s",
			 (int)(h->name_size < 63 ? h->name_size : 63), d->name);
		o->flags = d->flags;
		o->exponent = d->exponent;
		o->offset = d->offset;
	}
	free(raw);
	s->data_offset = h->data_offset;
	s->data_size = max_end;
	return 0;
}

int kb_kstats_open(struct kb_kstats *s, int kvm_object_fd)
{
	struct kvm_stats_header h;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(kvm_object_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return -1;
	if (read_full(s->fd, &h, sizeof(h), 0) || h.num_desc > 4096 || h.name_size > 4096 ||
	    load_descriptors(s, &h))
		goto fail;
	s->buf = malloc(s->data_size ? s->data_size : 1);
	s->begin = calloc(s->n ? s->n : 1, sizeof(uint64_t));
	s->end = calloc(s->n ? s->n : 1, sizeof(uint64_t));
	if (!s->buf || !s->begin || !s->end)
		goto fail;
	return 0;
fail:
	kb_kstats_destroy(s);
	return -1;
}

int kb_kstats_snapshot(struct kb_kstats *s, bool first)
{
	uint64_t *dst = first ? s->begin : s->end;

	if (s->fd < 0)
		return -1;
	if (read_full(s->fd, s->buf, s->data_size, s->data_offset))
		return -1;
	for (unsigned i = 0; i < s->n; i++)
		memcpy(&dst[i], s->buf + s->desc[i].offset, sizeof(uint64_t));
	if (first)
		memcpy(s->end, s->begin, s->n * sizeof(uint64_t));
	return 0;
}

uint64_t kb_kstats_value(const struct kb_kstats *s, unsigned i)
{
	if ((s->desc[i].flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE)
		return s->end[i] - s->begin[i];
	return s->end[i];
}

void kb_kstats_destroy(struct kb_kstats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->desc);
	free(s->buf);
	free(s->begin);
	free(s->end);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
