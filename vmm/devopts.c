/*
 * -drive, -netdev and -device (see devopts.h).  -device takes the models
 * of the virtio device table (virtio/devices.h): the generic properties
 * here, the model's own in its parse().  Pure, like options.c: tests/unit
 * drives the errors.
 */
#include "devopts.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "options.h"
#include "qopts.h"
#include "virtio/devices.h"

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

#define MODEL(name) &kb_virtio_model_##name,
static const struct kb_virtio_model *const models[] = {KB_VIRTIO_MODELS(MODEL)};
#undef MODEL
#define NMODELS (sizeof(models) / sizeof(models[0]))

/* The model -device driver names, or NULL. */
static const struct kb_virtio_model *find_model(const char *driver)
{
	for (size_t i = 0; i < NMODELS; i++)
		if (!strcmp(models[i]->driver, driver))
			return models[i];
	return NULL;
}

static int add_device(struct kb_config *cfg, const struct kb_virtio_model *model, const char *ref,
		      bool ioeventfd, char *err, size_t errlen)
{
	struct kb_devspec *d;

	assert(model);
	if (cfg->ndevices == KB_MAX_DEVICES)
		return kb_errf(err, errlen, "-device: at most %d devices", KB_MAX_DEVICES);
	d = &cfg->devices[cfg->ndevices++];
	memset(d, 0, sizeof(*d));
	d->model = model;
	d->ioeventfd = ioeventfd;
	d->index = -1;
	snprintf(d->ref, sizeof(d->ref), "%s", ref ? ref : "");
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
		return add_device(cfg, &kb_virtio_model_blk, d->id, ioeventfd, err, errlen);
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

const char *kb_device_usage(char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < NMODELS && at < len; i++)
		at +=
		    (size_t)snprintf(buf + at, len - at, "%s%s", i ? " | " : "", models[i]->usage);
	if (at < len)
		snprintf(buf + at, len - at, "  [,ioeventfd=on|off]");
	return buf;
}

/* "virtio-blk-pci, virtio-net-pci, ...": the models, for an error. */
static const char *model_names(char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < NMODELS && at < len; i++)
		at +=
		    (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", models[i]->driver);
	return buf;
}

int kb_parse_device(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	const struct kb_virtio_model *m;
	struct kb_qopts q;
	const char *drv;
	bool ioeventfd;
	char names[200];

	if (kb_qopts_parse(&q, "-device", v, "driver", err, errlen))
		return -1;
	drv = kb_qopts_get(&q, "driver");
	if (kb_qopts_bool(&q, "ioeventfd", true, &ioeventfd, err, errlen))
		return -1;
	if (!drv)
		return kb_errf(err, errlen, "-device %s: name the device first", v);
	if (!(m = find_model(drv)))
		return kb_errf(err, errlen, "-device %s: unknown device '%s' (%s)", v, drv,
			       model_names(names, sizeof(names)));
	if (add_device(cfg, m, m->backend ? kb_qopts_get(&q, m->backend) : NULL, ioeventfd, err,
		       errlen))
		return -1;
	if (m->parse &&
	    m->parse(&q, v, cfg->ndevices - 1, &cfg->devices[cfg->ndevices - 1], err, errlen))
		return -1;
	return kb_qopts_check_used(&q, err, errlen);
}

/* The -drive (kind "drive") or -netdev ("netdev") with this id: its
 * index, and where it is marked used; -1 when there is none. */
static int find_backend(struct kb_config *cfg, const char *kind, const char *id, bool **used)
{
	bool drive = !strcmp(kind, "drive");
	unsigned n = drive ? cfg->ndrives : cfg->nnetdevs;
	int found = -1;

	assert(drive || !strcmp(kind, "netdev")); /* the models' backends */
	for (unsigned k = 0; k < n; k++)
		if (!strcmp(drive ? cfg->drives[k].id : cfg->netdevs[k].id, id))
			found = (int)k;
	if (found >= 0)
		*used = drive ? &cfg->drives[found].used : &cfg->netdevs[found].used;
	return found;
}

/* After all options: every device's drive= or netdev= names one, once. */
int kb_resolve_devices(struct kb_config *cfg, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->ndevices; i++) {
		struct kb_devspec *d = &cfg->devices[i];
		const char *what = d->model->backend;
		bool *used = NULL;

		if (!what)
			continue;
		if (!d->ref[0])
			return kb_errf(err, errlen, "-device %s: %s=ID is required",
				       d->model->driver, what);
		d->index = find_backend(cfg, what, d->ref, &used);
		if (d->index < 0)
			return kb_errf(err, errlen, "-device: %s=%s: no -%s with that id", what,
				       d->ref, what);
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
