/*
 * virtio-blk (virtio 1.x, 5.2) on a raw image file.  Requests: a 16-byte
 * header {type, reserved, sector} the device reads, data, and a status
 * byte the device writes last.  IN and OUT go straight between the file and
 * guest RAM with preadv/pwritev (with cache=none, O_DIRECT through an
 * aligned bounce buffer); FLUSH is fdatasync; GET_ID returns the serial.
 * Requests beyond the image's size, of a length that is not whole sectors,
 * or OUT on a read-only drive complete with VIRTIO_BLK_S_IOERR: the file
 * never grows.  A request without room for its header or status breaks
 * the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../options.h"
#include "../qopts.h"
#include "common/util.h"
#include "devices.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define BOUNCE (KB_VQ_MAX_CHAIN_BYTES)

struct blk {
	int fd;
	bool ro, direct;
	uint64_t bytes;
	char serial[20];
	uint8_t *bounce;
	struct kb_vq_chain c;
};

/* iovecs for [off, off+len) of the chain's readable or writable part */
static int iov_range(const struct kb_vq_chain *c, bool write, uint64_t off, uint64_t len,
		     struct iovec *iov)
{
	int n = 0;

	for (unsigned i = write ? c->nread : 0; i < (write ? c->n : c->nread) && len; i++) {
		if (off >= c->seg[i].len) {
			off -= c->seg[i].len;
			continue;
		}
		uint64_t k = c->seg[i].len - off < len ? c->seg[i].len - off : len;

		iov[n++] = (struct iovec){c->seg[i].host + off, k};
		len -= k;
		off = 0;
	}
	return n;
}

static int do_rw(struct blk *b, const struct kb_vq_chain *c, bool out, uint64_t sector,
		 uint64_t len)
{
	struct iovec iov[KB_VQ_MAX_SIZE];
	uint64_t pos = sector * 512;
	int n = out ? iov_range(c, false, 16, len, iov) : iov_range(c, true, 0, len, iov);
	ssize_t done;

	if (b->direct) {
		if (out) {
			kb_vq_read(c, 16, b->bounce, len);
			done = pwrite(b->fd, b->bounce, len, (off_t)pos);
		} else {
			done = pread(b->fd, b->bounce, len, (off_t)pos);
			if (done > 0)
				kb_vq_write(c, 0, b->bounce, (size_t)done);
		}
	} else {
		done = out ? pwritev(b->fd, iov, n, (off_t)pos) : preadv(b->fd, iov, n, (off_t)pos);
	}
	return done == (ssize_t)len ? S_OK : S_IOERR;
}

static int64_t blk_request(struct kb_virtio_dev *v, struct kb_vq_chain *c)
{
	struct blk *b = v->be;
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} h;
	uint8_t st = S_OK;
	uint32_t written = 1;

	if (c->read_bytes < sizeof(h) || c->write_bytes < 1) {
		kb_virtio_broken(v,
				 "request %u: %llu readable, %llu writable bytes: no room for the "
				 "header and status",
				 c->head, (unsigned long long)c->read_bytes,
				 (unsigned long long)c->write_bytes);
		return -1;
	}
	kb_vq_read(c, 0, &h, sizeof(h));
	uint64_t in_len = c->write_bytes - 1, out_len = c->read_bytes - sizeof(h);
	uint64_t len = h.type == T_IN ? in_len : out_len;

	v->requests++;
	switch (h.type) {
	case T_IN:
	case T_OUT:
		if (len % 512 || h.sector > b->bytes / 512 || /* first: sector * 512 is exact */
		    !kb_range_ok(h.sector * 512, len, 0, b->bytes) || (h.type == T_OUT && b->ro))
			st = S_IOERR;
		else
			st = (uint8_t)do_rw(b, c, h.type == T_OUT, h.sector, len);
		if (st == S_OK && h.type == T_IN)
			v->bytes_read += len, written += (uint32_t)len;
		else if (st == S_OK)
			v->bytes_written += len;
		break;
	case T_FLUSH: st = b->ro || !fdatasync(b->fd) ? S_OK : S_IOERR; break;
	case T_GET_ID:
		written += (uint32_t)kb_vq_write(c, 0, b->serial, in_len < 20 ? in_len : 20);
		break;
	default: st = S_UNSUPP; break;
	}
	if (st != S_OK)
		v->errors++;
	kb_vq_write(c, c->write_bytes - 1, &st, 1);
	return written;
}

static int blk_notify(struct kb_virtio_dev *v, unsigned qi)
{
	struct blk *b = v->be;

	return kb_virtio_drain(v, qi, &b->c, blk_request);
}

static void blk_free(struct kb_virtio_dev *v)
{
	struct blk *b = v->be;

	if (b->fd >= 0)
		close(b->fd);
	free(b->bounce);
	free(b);
}

static const struct kb_virtio_ops blk_ops = {
    .type = "virtio-blk",
    .virtio_id = 2,
    .class_code = 0x018000,
    .nqueues = 1,
    .queue_notify = blk_notify,
    .free = blk_free,
};

int kb_virtio_blk_init(struct kb_virtio_dev *v, const char *name, const struct kb_blk_opts *o,
		       bool ioeventfd, struct kb_pci *pci, const struct kb_mem *mem, int vm_fd,
		       char *err, size_t errlen)
{
	struct blk *b = calloc(1, sizeof(*b));
	struct stat st;
	uint8_t cfg[24] = {0};
	uint64_t features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH;

	if (!b)
		return kb_errf(err, errlen, "%s: out of memory", name);
	v->be = b;
	v->ops = &blk_ops;
	b->ro = o->readonly;
	b->direct = o->direct;
	b->fd = open(o->file,
		     (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (o->direct ? O_DIRECT : 0));
	if (b->fd < 0)
		return kb_errf(err, errlen, "-drive file=%s: %s", o->file, strerror(errno));
	if (fstat(b->fd, &st) || !S_ISREG(st.st_mode))
		return kb_errf(err, errlen, "-drive file=%s: not a regular file", o->file);
	if (st.st_size % 512)
		return kb_errf(err, errlen,
			       "-drive file=%s: %lld bytes is not a whole number of 512-byte "
			       "sectors",
			       o->file, (long long)st.st_size);
	if (o->direct && posix_memalign((void **)&b->bounce, 4096, BOUNCE))
		return kb_errf(err, errlen, "%s: out of memory", name);
	b->bytes = (uint64_t)st.st_size;
	snprintf(b->serial, sizeof(b->serial), "%s", o->serial ? o->serial : name);
	uint64_t sectors = b->bytes / 512;
	uint32_t seg_max = KB_VQ_MAX_SIZE - 2, blk_size = 512;

	memcpy(cfg + 0, &sectors, 8);	/* capacity */
	memcpy(cfg + 12, &seg_max, 4);	/* seg_max */
	memcpy(cfg + 20, &blk_size, 4); /* blk_size */
	if (o->readonly)
		features |= F_RO;
	return kb_virtio_init(v, &blk_ops, name, features, cfg, sizeof(cfg), ioeventfd, pci, mem,
			      vm_fd, err, errlen);
}

/* --- -device virtio-blk-pci,drive=ID[,serial=S] ---------------------------------- */

struct blk_props {
	char serial[21]; /* "": the drive's id */
};
_Static_assert(sizeof(struct blk_props) <= sizeof(((struct kb_devspec *)0)->props),
	       "virtio-blk's properties fit a kb_devspec");

static int blk_parse(struct kb_qopts *q, const char *v, unsigned index, struct kb_devspec *d,
		     char *err, size_t errlen)
{
	struct blk_props *p = (struct blk_props *)d->props.bytes;
	const char *serial = kb_qopts_get(q, "serial");

	(void)index;
	if (serial && strlen(serial) > 20)
		return kb_errf(err, errlen, "-device %s: serial= takes at most 20 bytes", v);
	snprintf(p->serial, sizeof(p->serial), "%s", serial ? serial : "");
	return 0;
}

static int blk_create(struct kb_virtio_dev *v, const char *name, const struct kb_devspec *d,
		      const struct kb_machine *m, char *err, size_t errlen)
{
	const struct kb_drive *dr = &m->cfg->drives[d->index];
	const struct blk_props *p = (const struct blk_props *)d->props.bytes;
	struct kb_blk_opts o = {dr->file, dr->readonly, dr->direct,
				p->serial[0] ? p->serial : dr->id};

	return kb_virtio_blk_init(v, name, &o, d->ioeventfd, m->pci, m->mem, m->vm_fd, err, errlen);
}

const struct kb_virtio_model kb_virtio_model_blk = {
    .driver = "virtio-blk-pci",
    .usage = "virtio-blk-pci,drive=ID",
    .ops = &blk_ops,
    .backend = "drive",
    .parse = blk_parse,
    .create = blk_create,
};
