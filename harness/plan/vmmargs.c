/*
 * A point's axes as VMM options (see vmmargs.h).
 */
#include "plan/vmmargs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static void add(char **argv, int *argc, const char *opt, char *val)
{
	argv[(*argc)++] = (char *)opt;
	argv[(*argc)++] = val;
}

int kb_axis_args(const struct kb_point *p, const char *dir, struct kb_axis_args *a, char **argv,
		 int *argc, char *err, size_t errlen)
{
	const char *io = p->v[KB_AX_IOEVENTFD];
	unsigned mask = 0, nodes = 0;

	kb_smp_format(&p->smp, a->smp, sizeof(a->smp)); /* fits: each count at most 256 */
	add(argv, argc, "-smp", a->smp);
	snprintf(a->mem, sizeof(a->mem), "%lluM", (unsigned long long)(p->memory >> 20));
	add(argv, argc, "-m", a->mem);
	if (strcmp(p->v[KB_AX_NUMA], "none")) /* checked at expansion: divides evenly */
		nodes = (unsigned)atoi(p->v[KB_AX_NUMA]);
	for (unsigned i = 0; i < nodes && i < 8; i++) {
		unsigned per = p->smp.cpus / nodes;

		snprintf(a->numa[i], sizeof(a->numa[i]), "node,nodeid=%u,cpus=%u-%u,mem=%lluM", i,
			 i * per, (i + 1) * per - 1, (unsigned long long)(p->memory >> 20) / nodes);
		add(argv, argc, "-numa", a->numa[i]);
	}
	kb_devices_parse(p->v[KB_AX_DEVICES], &mask);
	if (mask & 1) {
		char path[1300], why[1400] = "";
		int fd;

		snprintf(path, sizeof(path), "%s/scratch.img", dir);
		/* the directory may be the VMMs' user's (-runas): no link followed */
		fd = kb_open_regular(path, O_WRONLY | O_CREAT | O_TRUNC, why, sizeof(why));
		if (fd >= 0 && ftruncate(fd, (off_t)KB_SCRATCH_MIB << 20))
			snprintf(why, sizeof(why), "%s: %m", path);
		if (fd < 0 || why[0]) {
			snprintf(err, errlen, "cannot create the scratch disk: %s", why);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		snprintf(a->dev[0], sizeof(a->dev[0]), "file=%s,format=raw,if=none,id=scratch",
			 path);
		snprintf(a->dev[1], sizeof(a->dev[1]), "virtio-blk-pci,drive=scratch,ioeventfd=%s",
			 io);
		add(argv, argc, "-drive", a->dev[0]);
		add(argv, argc, "-device", a->dev[1]);
	}
	if (mask & 2) {
		snprintf(a->dev[2], sizeof(a->dev[2]), "virtio-net-pci,netdev=loop,ioeventfd=%s",
			 io);
		add(argv, argc, "-netdev", "loopback,id=loop");
		add(argv, argc, "-device", a->dev[2]);
	}
	if (mask & 4) {
		snprintf(a->dev[3], sizeof(a->dev[3]), "virtio-rng-pci,ioeventfd=%s", io);
		add(argv, argc, "-device", a->dev[3]);
	}
	return 0;
}

void kb_axis_args_cleanup(const char *dir)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/scratch.img", dir);
	unlink(path);
}
