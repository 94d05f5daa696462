/*
 * -drive, -netdev and -device in QEMU's key=value form (docs/devices.md):
 * each parsed into kb_config as given, then kb_resolve_devices() ties every
 * device to its drive or netdev once all options are read (QEMU allows
 * them in any order).  Pure, like options.c: tests/unit drives the errors.
 */
#include "devopts.h"

#include <stdio.h>
#include <string.h>

#include "options.h"
#include "qopts.h"
#include "common/util.h"

/* Copy an identifier: letters, digits, '-', '_', '.'; as QEMU's ids. */
static int copy_id(char *dst, size_t len, const char *v, const char *opt, const char *key,
		   char *err, size_t errlen)
{
	if (!v || !*v)
		return kb_errf(err, errlen, "%s: %s= is required", opt, key);
	if (strlen(v) >= len || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789-_.") != strlen(v))
		return kb_errf(err, errlen,
			       "%s: %s=%s: not an identifier (letters, digits, -_. and "
			       "at most %zu characters)",
			       opt, key, v, len - 1);
	snprintf(dst, len, "%s", v);
	return 0;
}

static int add_device(struct kb_config *cfg, enum kb_dev_type type, const char *ref, bool ioeventfd,
		      char *err, size_t errlen)
{
	struct kb_devspec *d;

	if (cfg->ndevices == KB_MAX_DEVICES)
		return kb_errf(err, errlen, "-device: at most %d devices", KB_MAX_DEVICES);
	d = &cfg->devices[cfg->ndevices++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->ioeventfd = ioeventfd;
	d->index = -1;
	snprintf(d->ref, sizeof(d->ref), "%s", ref ? ref : "");
	/* QEMU's first NIC gets 52:54:00:12:34:56; ours count up from it */
	memcpy(d->mac, (uint8_t[]){0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x55 + cfg->ndevices)},
	       6);
	return 0;
}

int kb_parse_drive(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	struct kb_qopts q;
	struct kb_drive *d;
	const char *file, *fmt, *ifc, *cache, *id;

	if (kb_qopts_parse(&q, "-drive", v, NULL, err, errlen))
		return -1;
	if (cfg->ndrives == KB_MAX_DRIVES)
		return kb_errf(err, errlen, "-drive: at most %d drives", KB_MAX_DRIVES);
	d = &cfg->drives[cfg->ndrives];
	memset(d, 0, sizeof(*d));
	file = kb_qopts_get(&q, "file");
	fmt = kb_qopts_get(&q, "format");
	ifc = kb_qopts_get(&q, "if");
	cache = kb_qopts_get(&q, "cache");
	id = kb_qopts_get(&q, "id");
	if (!file || !*file || strlen(file) >= sizeof(d->file))
		return kb_errf(err, errlen, "-drive %s: file=PATH is required", v);
	snprintf(d->file, sizeof(d->file), "%s", file);
	if (fmt && strcmp(fmt, "raw"))
		return kb_errf(err, errlen, "-drive %s: format=%s: only raw images are supported",
			       v, fmt);
	if (ifc && strcmp(ifc, "none") && strcmp(ifc, "virtio"))
		return kb_errf(err, errlen, "-drive %s: if=%s: expected none or virtio", v, ifc);
	if (cache && strcmp(cache, "none") && strcmp(cache, "writeback"))
		return kb_errf(err, errlen, "-drive %s: cache=%s: expected none or writeback", v,
			       cache);
	d->direct = cache && !strcmp(cache, "none");
	if (kb_qopts_bool(&q, "readonly", false, &d->readonly, err, errlen))
		return -1;
	bool ioeventfd;

	if (kb_qopts_bool(&q, "ioeventfd", true, &ioeventfd, err, errlen) ||
	    kb_qopts_check_used(&q, err, errlen))
		return -1;
	if (ifc && !strcmp(ifc, "virtio")) { /* QEMU's shorthand: the drive and its device */
		snprintf(d->id, sizeof(d->id), "virtio%u", cfg->ndrives);
		if (id && copy_id(d->id, sizeof(d->id), id, "-drive", "id", err, errlen))
			return -1;
		cfg->ndrives++;
		return add_device(cfg, KB_DEV_VIRTIO_BLK, d->id, ioeventfd, err, errlen);
	}
	if (copy_id(d->id, sizeof(d->id), id, "-drive", "id", err, errlen))
		return -1;
	for (unsigned i = 0; i < cfg->ndrives; i++)
		if (!strcmp(cfg->drives[i].id, d->id))
			return kb_errf(err, errlen, "-drive: id=%s is already used", d->id);
	cfg->ndrives++;
	return 0;
}

int kb_parse_netdev(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	struct kb_qopts q;
	struct kb_netdev *n;
	const char *type, *ifname;

	if (kb_qopts_parse(&q, "-netdev", v, "type", err, errlen))
		return -1;
	if (cfg->nnetdevs == KB_MAX_NETDEVS)
		return kb_errf(err, errlen, "-netdev: at most %d", KB_MAX_NETDEVS);
	n = &cfg->netdevs[cfg->nnetdevs];
	memset(n, 0, sizeof(*n));
	type = kb_qopts_get(&q, "type");
	if (!type || (strcmp(type, "tap") && strcmp(type, "loopback")))
		return kb_errf(err, errlen, "-netdev %s: the backends are tap and loopback", v);
	n->loopback = !strcmp(type, "loopback");
	if (copy_id(n->id, sizeof(n->id), kb_qopts_get(&q, "id"), "-netdev", "id", err, errlen))
		return -1;
	ifname = kb_qopts_get(&q, "ifname");
	if (!n->loopback &&
	    copy_id(n->ifname, sizeof(n->ifname), ifname, "-netdev tap", "ifname", err, errlen))
		return -1;
	if (kb_qopts_check_used(&q, err, errlen))
		return -1;
	for (unsigned i = 0; i < cfg->nnetdevs; i++)
		if (!strcmp(cfg->netdevs[i].id, n->id))
			return kb_errf(err, errlen, "-netdev: id=%s is already used", n->id);
	cfg->nnetdevs++;
	return 0;
}

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

int kb_parse_device(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	struct kb_qopts q;
	const char *drv, *mac, *serial;
	bool ioeventfd;

	if (kb_qopts_parse(&q, "-device", v, "driver", err, errlen))
		return -1;
	drv = kb_qopts_get(&q, "driver");
	if (kb_qopts_bool(&q, "ioeventfd", true, &ioeventfd, err, errlen))
		return -1;
	if (!drv)
		return kb_errf(err, errlen, "-device %s: name the device first", v);
	if (!strcmp(drv, "virtio-blk-pci")) {
		if (add_device(cfg, KB_DEV_VIRTIO_BLK, kb_qopts_get(&q, "drive"), ioeventfd, err,
			       errlen))
			return -1;
		serial = kb_qopts_get(&q, "serial");
		if (serial && strlen(serial) > 20)
			return kb_errf(err, errlen, "-device %s: serial= takes at most 20 bytes",
				       v);
		snprintf(cfg->devices[cfg->ndevices - 1].serial, 21, "%s", serial ? serial : "");
	} else if (!strcmp(drv, "virtio-net-pci")) {
		if (add_device(cfg, KB_DEV_VIRTIO_NET, kb_qopts_get(&q, "netdev"), ioeventfd, err,
			       errlen))
			return -1;
		mac = kb_qopts_get(&q, "mac");
		if (mac && parse_mac(mac, cfg->devices[cfg->ndevices - 1].mac))
			return kb_errf(err, errlen,
				       "-device %s: mac=%s: expected a unicast aa:bb:cc:dd:ee:ff",
				       v, mac);
	} else if (!strcmp(drv, "virtio-rng-pci")) {
		if (add_device(cfg, KB_DEV_VIRTIO_RNG, NULL, ioeventfd, err, errlen))
			return -1;
	} else {
		return kb_errf(err, errlen,
			       "-device %s: unknown device '%s' (virtio-blk-pci, virtio-net-pci, "
			       "virtio-rng-pci)",
			       v, drv);
	}
	return kb_qopts_check_used(&q, err, errlen);
}

/* After all options: every device's drive= or netdev= names one, once. */
int kb_resolve_devices(struct kb_config *cfg, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->ndevices; i++) {
		struct kb_devspec *d = &cfg->devices[i];
		bool blk = d->type == KB_DEV_VIRTIO_BLK;
		const char *what = blk ? "drive" : "netdev";

		if (d->type == KB_DEV_VIRTIO_RNG)
			continue;
		if (!d->ref[0])
			return kb_errf(err, errlen, "-device virtio-%s-pci: %s=ID is required",
				       blk ? "blk" : "net", what);
		unsigned n = blk ? cfg->ndrives : cfg->nnetdevs;

		for (unsigned k = 0; k < n; k++)
			if (!strcmp(blk ? cfg->drives[k].id : cfg->netdevs[k].id, d->ref))
				d->index = (int)k;
		if (d->index < 0)
			return kb_errf(err, errlen, "-device: %s=%s: no -%s with that id", what,
				       d->ref, what);
		bool *used = blk ? &cfg->drives[d->index].used : &cfg->netdevs[d->index].used;

		if (*used)
			return kb_errf(err, errlen, "-device: %s=%s is already in use", what,
				       d->ref);
		*used = true;
	}
	for (unsigned k = 0; k < cfg->ndrives; k++)
		if (!cfg->drives[k].used)
			return kb_errf(err, errlen,
				       "-drive id=%s: no device uses it (add -device "
				       "virtio-blk-pci,drive=%s)",
				       cfg->drives[k].id, cfg->drives[k].id);
	return 0;
}
