/*
 * A point's VMM command line (see vmmargs.h).
 */
#include "plan/vmmargs.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

const char *kb_root_path(const char *root, const char *p, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", p[0] == '/' ? "" : root, p[0] == '/' ? "" : "/", p);
	return out;
}

/* Each space-separated word of words as an argument. */
static void add_words(struct kb_argv *a, const char *words)
{
	for (const char *w = words + strspn(words, " "); *w; w += strspn(w, " ")) {
		size_t n = strcspn(w, " ");

		kb_argv_add(a, "%.*s", (int)n, w);
		w += n;
	}
}

/* The sparse scratch disk of virtio-blk in dir: 0, or -1 with err. */
static int scratch_disk(const char *dir, char *path, size_t plen, char *err, size_t errlen)
{
	char why[1400] = "";
	int fd;

	snprintf(path, plen, "%s/scratch.img", dir);
	/* the directory may be the VMMs' user's (-runas): no link followed */
	fd = kb_open_regular(path, O_WRONLY | O_CREAT | O_TRUNC, why, sizeof(why));
	if (fd >= 0 && ftruncate(fd, (off_t)KB_SCRATCH_MIB << 20))
		snprintf(why, sizeof(why), "%s: %m", path);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || why[0])
		return kb_errf(err, errlen, "cannot create the scratch disk: %s", why);
	return 0;
}

static int axis_args(const struct kb_point *p, const char *dir, struct kb_argv *a, char *err,
		     size_t errlen)
{
	const char *io = p->v[KB_AX_IOEVENTFD];
	unsigned mask = 0, nodes = 0;
	char smp[80], path[1300];

	kb_smp_format(&p->smp, smp, sizeof(smp)); /* fits: each count at most 256 */
	kb_argv_add(a, "-smp");
	kb_argv_add(a, "%s", smp);
	kb_argv_add(a, "-m");
	kb_argv_add(a, "%lluM", (unsigned long long)(p->memory >> 20));
	if (strcmp(p->v[KB_AX_NUMA], "none")) /* checked at expansion: divides evenly */
		nodes = (unsigned)atoi(p->v[KB_AX_NUMA]);
	for (unsigned i = 0; i < nodes && i < 8; i++) {
		unsigned per = p->smp.cpus / nodes;

		kb_argv_add(a, "-numa");
		kb_argv_add(a, "node,nodeid=%u,cpus=%u-%u,mem=%lluM", i, i * per, (i + 1) * per - 1,
			    (unsigned long long)(p->memory >> 20) / nodes);
	}
	kb_devices_parse(p->v[KB_AX_DEVICES], &mask);
	if (mask & 1) {
		if (scratch_disk(dir, path, sizeof(path), err, errlen))
			return -1;
		kb_argv_add(a, "-drive");
		kb_argv_add(a, "file=%s,format=raw,if=none,id=scratch", path);
		kb_argv_add(a, "-device");
		kb_argv_add(a, "virtio-blk-pci,drive=scratch,ioeventfd=%s", io);
	}
	if (mask & 2) {
		kb_argv_add(a, "-netdev");
		kb_argv_add(a, "loopback,id=loop");
		kb_argv_add(a, "-device");
		kb_argv_add(a, "virtio-net-pci,netdev=loop,ioeventfd=%s", io);
	}
	if (mask & 4) {
		kb_argv_add(a, "-device");
		kb_argv_add(a, "virtio-rng-pci,ioeventfd=%s", io);
	}
	add_words(a, p->v[KB_AX_VMM_ARGS]);
	return 0;
}

/* The run's own options: what it is, where its files go. */
static void run_args(const struct kb_point *p, const struct kb_vmm_run *r, struct kb_argv *a)
{
	char path[1400];

	kb_argv_add(a, "%s", r->vmm);
	kb_argv_add(a, "-name");
	kb_argv_add(a, "%s", p->key);
	kb_argv_add(a, "-kernel");
	if (strchr(p->wl->guest, '/'))
		kb_argv_add(a, "%s", p->wl->guest);
	else
		kb_argv_add(a, "%s/%s.elf", r->guest_dir, p->wl->guest);
	kb_argv_add(a, "-append");
	kb_argv_add(a, "%s", p->cmdline);
	kb_argv_add(a, "-serial");
	kb_argv_add(a, "file:%s/console.log", r->dir);
	kb_argv_add(a, "-serial-cap");
	kb_argv_add(a, "%" PRIu64, r->serial_cap);
	kb_argv_add(a, "-stats");
	kb_argv_add(a, "%s/stats.json", r->dir);
	kb_argv_add(a, "-timeout");
	kb_argv_add(a, "%g", r->timeout);
	if (r->runas) {
		kb_argv_add(a, "-runas");
		kb_argv_add(a, "%s", r->runas);
	}
	if (p->wl->until[0]) {
		kb_argv_add(a, "-until");
		kb_argv_add(a, "%s", p->wl->until);
	}
	if (p->wl->initrd[0]) {
		kb_argv_add(a, "-initrd");
		kb_argv_add(a, "%s", kb_root_path(r->root, p->wl->initrd, path, sizeof(path)));
	}
}

int kb_vmm_argv(const struct kb_point *p, const struct kb_vmm_run *r, struct kb_argv *a, char *err,
		size_t errlen)
{
	run_args(p, r, a);
	if (axis_args(p, r->dir, a, err, errlen))
		return -1;
	add_words(a, r->extra ? r->extra : ""); /* outside the point keys */
	if (a->full)
		return kb_errf(err, errlen,
			       "the VMM's command line is over %d arguments or %zu bytes (vmm_args "
			       "and --vmm-args)",
			       KB_ARGV_MAX, sizeof(a->buf));
	return 0;
}

void kb_vmm_cleanup(const char *dir)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/scratch.img", dir);
	unlink(path);
}
