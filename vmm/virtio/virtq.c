/*
 * Split virtqueue device side (see virtq.h).  Layouts: descriptor table
 * entries of 16 bytes {addr, len, flags, next}; avail {flags, idx,
 * ring[size], used_event}; used {flags, idx, ring[size] of {id, len},
 * avail_event}.  All little-endian, as x86 is.
 */
#include "virtq.h"

#include <assert.h>
#include <string.h>

#include "common/util.h"

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

int kb_vq_check_rings(const struct kb_mem *m, const struct kb_vq *q, char *err, size_t errlen)
{
	if (q->size == 0 || q->size > KB_VQ_MAX_SIZE || (q->size & (q->size - 1)))
		return kb_errf(err, errlen, "queue size %u is not a power of two up to %u", q->size,
			       KB_VQ_MAX_SIZE);
	if (q->desc % 16 || q->avail % 2 || q->used % 4)
		return kb_errf(err, errlen,
			       "misaligned rings (desc 0x%llx, avail 0x%llx, used 0x%llx)",
			       (unsigned long long)q->desc, (unsigned long long)q->avail,
			       (unsigned long long)q->used);
	if (!kb_mem_gpa(m, q->desc, 16ull * q->size) ||
	    !kb_mem_gpa(m, q->avail, 6 + 2ull * q->size) ||
	    !kb_mem_gpa(m, q->used, 6 + 8ull * q->size))
		return kb_errf(err, errlen,
			       "rings outside guest RAM (desc 0x%llx, avail 0x%llx, used 0x%llx)",
			       (unsigned long long)q->desc, (unsigned long long)q->avail,
			       (unsigned long long)q->used);
	return 0;
}

static uint16_t load16(const uint8_t *p)
{
	uint16_t v;

	__atomic_load((const uint16_t *)p, &v, __ATOMIC_ACQUIRE);
	return v;
}

int kb_vq_pop(const struct kb_mem *m, struct kb_vq *q, struct kb_vq_chain *c, char *err,
	      size_t errlen)
{
	const uint8_t *avail = kb_mem_gpa(m, q->avail, 6 + 2ull * q->size);
	const uint8_t *table = kb_mem_gpa(m, q->desc, 16ull * q->size);
	uint16_t idx, pending, i;
	uint64_t total = 0;

	if (!q->enabled || !avail || !table)
		return 0;
	idx = load16(avail + 2); /* acquire: ring entries below are read after it */
	pending = (uint16_t)(idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return kb_errf(err, errlen,
			       "avail index %u is %u entries past the last taken (%u); the queue "
			       "holds %u",
			       idx, pending, q->last_avail, q->size);
	memcpy(&i, avail + 4 + 2 * (q->last_avail % q->size), 2);
	if (i >= q->size)
		return kb_errf(err, errlen, "avail ring entry %u names descriptor %u of %u",
			       q->last_avail % q->size, i, q->size);
	c->head = i;
	c->n = c->nread = 0;
	c->read_bytes = c->write_bytes = 0;
	for (;;) {
		struct desc d;

		if (c->n == q->size)
			return kb_errf(err, errlen,
				       "descriptor chain from %u is longer than the queue (%u): a "
				       "loop",
				       c->head, q->size);
		memcpy(&d, table + 16 * i, sizeof(d)); /* one read: the guest may change it */
		if (d.flags & KB_VQ_DESC_F_INDIRECT)
			return kb_errf(err, errlen,
				       "descriptor %u is indirect, a feature not negotiated", i);
		total += d.len;
		if (total > KB_VQ_MAX_CHAIN_BYTES)
			return kb_errf(err, errlen, "descriptor chain from %u exceeds %u bytes",
				       c->head, KB_VQ_MAX_CHAIN_BYTES);
		uint8_t *host = kb_mem_gpa(m, d.addr, d.len ? d.len : 1);

		if (!host)
			return kb_errf(err, errlen,
				       "descriptor %u: buffer [0x%llx, +0x%x) is not in guest RAM",
				       i, (unsigned long long)d.addr, d.len);
		bool w = d.flags & KB_VQ_DESC_F_WRITE;

		if (!w && c->n > c->nread)
			return kb_errf(err, errlen,
				       "descriptor %u: device-readable after device-writable", i);
		assert(c->n < KB_VQ_MAX_SIZE); /* c->n < q->size, checked at queue enable */
		c->seg[c->n++] = (struct kb_vq_seg){host, d.len, w};
		if (w)
			c->write_bytes += d.len;
		else
			c->nread++, c->read_bytes += d.len;
		if (!(d.flags & KB_VQ_DESC_F_NEXT))
			break;
		if (d.next >= q->size)
			return kb_errf(err, errlen,
				       "descriptor %u: next %u is beyond the queue (%u)", i, d.next,
				       q->size);
		i = d.next;
	}
	q->last_avail++;
	q->chains++;
	return 1;
}

void kb_vq_push(const struct kb_mem *m, struct kb_vq *q, uint16_t head, uint32_t len)
{
	uint8_t *used = kb_mem_gpa(m, q->used, 6 + 8ull * q->size);
	uint32_t elem[2] = {head, len};

	assert(head < q->size); /* a chain kb_vq_pop() took */
	if (!used)
		return;
	memcpy(used + 4 + 8 * (q->used_idx % q->size), elem, 8);
	q->used_idx++;
	/* release: the element is visible before the index that publishes it */
	__atomic_store((uint16_t *)(used + 2), &q->used_idx, __ATOMIC_RELEASE);
}

bool kb_vq_want_interrupt(const struct kb_mem *m, const struct kb_vq *q)
{
	const uint8_t *avail = kb_mem_gpa(m, q->avail, 6 + 2ull * q->size);

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* used idx before the flags */
	return avail && !(load16(avail) & KB_VQ_AVAIL_F_NO_INTERRUPT);
}

static size_t copy(const struct kb_vq_chain *c, bool write, size_t off, uint8_t *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = write ? c->nread : 0; i < (write ? c->n : c->nread) && done < len; i++) {
		const struct kb_vq_seg *s = &c->seg[i];

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		size_t n = s->len - off < len - done ? s->len - off : len - done;

		if (write)
			memcpy(s->host + off, buf + done, n);
		else
			memcpy(buf + done, s->host + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t kb_vq_read(const struct kb_vq_chain *c, size_t off, void *dst, size_t len)
{
	return copy(c, false, off, dst, len);
}

size_t kb_vq_write(const struct kb_vq_chain *c, size_t off, const void *src, size_t len)
{
	return copy(c, true, off, (uint8_t *)src, len);
}
