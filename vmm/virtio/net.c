/*
 * virtio-net (virtio 1.x, 5.1): receive queue 0, transmit queue 1, a MAC
 * and link status; every buffer starts with the 12-byte virtio_net_hdr
 * (no offloads are offered, so it is zero but for num_buffers = 1).
 *
 * Backends: loopback (in the VMM: each transmitted frame comes back on the
 * receive queue, so network exits are measured without host networking;
 * with no receive buffer posted the frame is dropped and counted), or a
 * tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, header size 12, so frames pass
 * with their header unchanged), read by the device's I/O thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../options.h"
#include "../qopts.h"
#include "common/util.h"
#include "devices.h"

#define RXQ 0
#define TXQ 1
#define HDR 12
#define FRAME_MAX (HDR + 65536)
#define F_MAC (1ull << 5)
#define F_STATUS (1ull << 16)

struct net {
	bool loopback;
	int tap;
	bool rx_wait; /* the tap has a frame but the guest posted no buffer */
	uint8_t frame[FRAME_MAX];
	struct kb_vq_chain c, rc;
};

static int bad(struct kb_virtio_dev *v, unsigned qi, const char *why)
{
	kb_virtio_broken(v, "queue %u: %s", qi, why);
	return -1;
}

/* Loopback: hand len bytes (header included) to the guest's receive queue. */
static int deliver(struct kb_virtio_dev *v, const uint8_t *buf, size_t len)
{
	struct net *n = v->be;
	char why[200];
	int r = kb_vq_pop(v->mem, &v->q[RXQ], &n->rc, why, sizeof(why));
	uint16_t one = 1;

	if (r < 0)
		return bad(v, RXQ, why);
	if (r == 0 || n->rc.write_bytes < len || n->rc.nread) {
		v->dropped++;
		if (r == 1) /* unusable buffer: give it back empty */
			kb_vq_push(v->mem, &v->q[RXQ], n->rc.head, 0);
		return 0;
	}
	kb_vq_write(&n->rc, 0, buf, len);
	kb_vq_write(&n->rc, 10, &one, 2); /* num_buffers */
	kb_vq_push(v->mem, &v->q[RXQ], n->rc.head, (uint32_t)len);
	v->bytes_read += len;
	kb_virtio_used(v, RXQ);
	return 0;
}

/* One transmitted frame: looped back, or written to the tap. */
static int64_t tx_frame(struct kb_virtio_dev *v, struct kb_vq_chain *c)
{
	struct net *n = v->be;

	if (c->read_bytes < HDR || c->write_bytes) {
		kb_virtio_broken(v,
				 "queue %u: a transmit buffer must be device-readable and hold "
				 "the 12-byte header",
				 TXQ);
		return -1;
	}
	size_t len = c->read_bytes > FRAME_MAX ? FRAME_MAX : c->read_bytes;

	v->requests++;
	v->bytes_written += len - HDR;
	if (n->loopback) {
		kb_vq_read(c, 0, n->frame, len);
		return deliver(v, n->frame, len) ? -1 : 0;
	}
	struct iovec iov[KB_VQ_MAX_SIZE];

	for (unsigned i = 0; i < c->nread; i++)
		iov[i] = (struct iovec){c->seg[i].host, c->seg[i].len};
	if (writev(n->tap, iov, (int)c->nread) < 0)
		v->errors++;
	return 0;
}

static int tx(struct kb_virtio_dev *v)
{
	struct net *n = v->be;

	return kb_virtio_drain(v, TXQ, &n->c, tx_frame);
}

static int net_notify(struct kb_virtio_dev *v, unsigned qi)
{
	struct net *n = v->be;

	if (qi == TXQ)
		return tx(v);
	if (n->rx_wait) { /* buffers arrived: the I/O thread may read the tap again */
		n->rx_wait = false;
		kb_virtio_wake(v);
	}
	return 0;
}

static int net_poll_fd(struct kb_virtio_dev *v)
{
	struct net *n = v->be;

	return n->loopback || n->rx_wait ? -1 : n->tap;
}

/* The tap has a frame: read it into the next receive buffer. */
static void net_poll_ready(struct kb_virtio_dev *v)
{
	struct net *n = v->be;
	struct iovec iov[KB_VQ_MAX_SIZE];
	char why[200];
	int r;

	if (v->broken[0] || !(v->status & KB_VIRTIO_S_DRIVER_OK) || !v->q[RXQ].enabled) {
		if (read(n->tap, n->frame, sizeof(n->frame)) > 0) /* nobody to take it */
			v->dropped++;
		return;
	}
	r = kb_vq_pop(v->mem, &v->q[RXQ], &n->rc, why, sizeof(why));
	if (r < 0) {
		bad(v, RXQ, why);
		return;
	}
	if (r == 0) {
		n->rx_wait = true;
		return;
	}
	if (n->rc.nread) {
		bad(v, RXQ, "a receive buffer must be device-writable");
		return;
	}
	for (unsigned i = 0; i < n->rc.n; i++)
		iov[i] = (struct iovec){n->rc.seg[i].host, n->rc.seg[i].len};
	ssize_t got = readv(n->tap, iov, (int)n->rc.n);

	if (got < HDR) {
		kb_vq_push(v->mem, &v->q[RXQ], n->rc.head, 0);
		v->errors += got >= 0;
	} else {
		uint16_t one = 1;

		kb_vq_write(&n->rc, 10, &one, 2);
		kb_vq_push(v->mem, &v->q[RXQ], n->rc.head, (uint32_t)got);
		v->bytes_read += (uint64_t)got - HDR;
	}
	kb_virtio_used(v, RXQ);
}

static void net_reset(struct kb_virtio_dev *v)
{
	struct net *n = v->be;

	if (n)
		n->rx_wait = false;
}

static void net_free(struct kb_virtio_dev *v)
{
	struct net *n = v->be;

	if (n->tap >= 0)
		close(n->tap);
	free(n);
}

static const struct kb_virtio_ops net_ops = {
    .type = "virtio-net",
    .virtio_id = 1,
    .class_code = 0x020000,
    .nqueues = 2,
    .queue_notify = net_notify,
    .reset = net_reset,
    .poll_fd = net_poll_fd,
    .poll_ready = net_poll_ready,
    .free = net_free,
};

static int open_tap(const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int hdr = HDR, fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return kb_errf(err, errlen, "-netdev tap: /dev/net/tun: %s", strerror(errno));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		kb_errf(err, errlen, "-netdev tap,ifname=%s: %s", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int kb_virtio_net_init(struct kb_virtio_dev *v, const char *name, const struct kb_net_opts *o,
		       bool ioeventfd, struct kb_pci *pci, const struct kb_mem *mem, int vm_fd,
		       char *err, size_t errlen)
{
	struct net *n = calloc(1, sizeof(*n));
	uint8_t cfg[8] = {0};

	if (!n)
		return kb_errf(err, errlen, "%s: out of memory", name);
	v->be = n;
	v->ops = &net_ops;
	n->loopback = o->loopback;
	n->tap = -1;
	if (!o->loopback && (n->tap = open_tap(o->ifname, err, errlen)) < 0)
		return -1;
	memcpy(cfg, o->mac, 6);
	cfg[6] = 1; /* status: VIRTIO_NET_S_LINK_UP */
	return kb_virtio_init(v, &net_ops, name, F_MAC | F_STATUS, cfg, sizeof(cfg), ioeventfd, pci,
			      mem, vm_fd, err, errlen);
}

/* --- -device virtio-net-pci,netdev=ID[,mac=M] --------------------------------------- */

struct net_props {
	uint8_t mac[6];
};
_Static_assert(sizeof(struct net_props) <= sizeof(((struct kb_devspec *)0)->props),
	       "virtio-net's properties fit a kb_devspec");

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return mac[0] & 1 ? -1 : 0; /* a multicast address is no NIC's */
}

/* QEMU's first NIC gets 52:54:00:12:34:56; ours count up from it with the
 * device's place among all the devices. */
static int net_parse(struct kb_qopts *q, const char *v, unsigned index, struct kb_devspec *d,
		     char *err, size_t errlen)
{
	struct net_props *p = (struct net_props *)d->props.bytes;
	const char *mac = kb_qopts_get(q, "mac");

	memcpy(p->mac, (uint8_t[]){0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + index)}, 6);
	if (mac && parse_mac(mac, p->mac))
		return kb_errf(err, errlen,
			       "-device %s: mac=%s: expected a unicast aa:bb:cc:dd:ee:ff", v, mac);
	return 0;
}

static int net_create(struct kb_virtio_dev *v, const char *name, const struct kb_devspec *d,
		      const struct kb_machine *m, char *err, size_t errlen)
{
	const struct kb_netdev *n = &m->cfg->netdevs[d->index];
	const struct net_props *p = (const struct net_props *)d->props.bytes;
	struct kb_net_opts o = {n->loopback, n->ifname, {0}};

	memcpy(o.mac, p->mac, 6);
	return kb_virtio_net_init(v, name, &o, d->ioeventfd, m->pci, m->mem, m->vm_fd, err, errlen);
}

const struct kb_virtio_model kb_virtio_model_net = {
    .driver = "virtio-net-pci",
    .usage = "virtio-net-pci,netdev=ID[,mac=M]",
    .ops = &net_ops,
    .backend = "netdev",
    .parse = net_parse,
    .create = net_create,
};
