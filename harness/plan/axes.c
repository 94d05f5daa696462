/*
 * The scenario's axes (see axes.h): each axis's functions, then the table.
 * A value is checked (and parsed) by the same function when the file is
 * read and when a point is made from it.
 */
#include "plan/axes.h"

#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/size.h"
#include "common/util.h"
#include "kvmbench/abi.h"

/* --- topology: "N" or "SxCxT", as -smp ------------------------------------------ */

static int topology_parse(const char *v, struct kb_point *pt, char *why, size_t len)
{
	if (kb_smp_shape_parse(v, &pt->smp))
		return kb_errf(why, len,
			       "topology: bad value '%s' (want N or SxCxT, each > 0, at most 256 "
			       "vCPUs)",
			       v);
	return 0;
}

static int topology_args(const struct kb_point *pt, const char *dir, struct kb_argv *a, char *err,
			 size_t errlen)
{
	char smp[80];

	(void)dir, (void)err, (void)errlen;
	kb_smp_format(&pt->smp, smp, sizeof(smp)); /* fits: each count at most 256 */
	kb_argv_add(a, "-smp");
	kb_argv_add(a, "%s", smp);
	return 0;
}

/* --- memory: what kvmbench-vmm -m takes, as -m ------------------------------------ */

static int memory_parse(const char *v, struct kb_point *pt, char *why, size_t len)
{
	if (kb_size_parse(v, &pt->memory) || pt->memory < (4 << 20) || pt->memory % 4096 ||
	    pt->memory > (uint64_t)(KB_PT_MAX_GIB - 1) << 30)
		return kb_errf(why, len,
			       "memory: bad size '%s' (try 128M or 2G: from 4M to %uG, in whole "
			       "4 KiB pages)",
			       v, (unsigned)KB_PT_MAX_GIB - 1);
	return 0;
}

static int memory_args(const struct kb_point *pt, const char *dir, struct kb_argv *a, char *err,
		       size_t errlen)
{
	(void)dir, (void)err, (void)errlen;
	kb_argv_add(a, "-m");
	kb_argv_add(a, "%lluM", (unsigned long long)(pt->memory >> 20));
	return 0;
}

/* --- numa: none, or N nodes of whole sockets and equal memory ----------------------- */

static int numa_parse(const char *v, struct kb_point *pt, char *why, size_t len)
{
	double d;

	pt->numa_nodes = 0;
	if (!strcmp(v, "none"))
		return 0;
	if (kb_number_parse(v, 1, 8, KB_NUM_INT, &d, NULL, 0))
		return kb_errf(why, len, "numa: '%s' (want none or a node count 1 to 8)", v);
	pt->numa_nodes = (unsigned)d;
	return 0;
}

static int numa_check(const struct kb_point *pt, char *why, size_t len)
{
	unsigned n = pt->numa_nodes;

	if (n && (pt->smp.sockets % n || (pt->memory >> 20) % n))
		return kb_errf(why, len,
			       "numa=%u with topology=%s memory=%s: the nodes need whole sockets "
			       "and equal MiB of memory",
			       n, pt->v[KB_AX_TOPOLOGY], pt->v[KB_AX_MEMORY]);
	return 0;
}

static int numa_args(const struct kb_point *pt, const char *dir, struct kb_argv *a, char *err,
		     size_t errlen)
{
	unsigned n = pt->numa_nodes, per = n ? pt->smp.cpus / n : 0;

	(void)dir, (void)err, (void)errlen;
	assert(!n || (pt->smp.cpus % n == 0 && (pt->memory >> 20) % n == 0)); /* numa_check */
	for (unsigned i = 0; i < n; i++) {
		kb_argv_add(a, "-numa");
		kb_argv_add(a, "node,nodeid=%u,cpus=%u-%u,mem=%lluM", i, i * per, (i + 1) * per - 1,
			    (unsigned long long)(pt->memory >> 20) / n);
	}
	return 0;
}

/* --- devices: none, all, or kinds joined with '+'; each with the point's ioeventfd - */

enum { DEV_BLK = 1, DEV_NET = 2, DEV_RNG = 4 };

#define SCRATCH_MIB 16 /* virtio-blk's disk: sparse, in the run's directory */

/* v into *mask (DEV_*): 0, or -1. */
static int devices_mask(const char *v, unsigned *mask)
{
	static const char *const kind[] = {"virtio-blk", "virtio-net", "virtio-rng"};
	const char *p = v;

	*mask = 0;
	if (!strcmp(v, "none"))
		return 0;
	if (!strcmp(v, "all")) {
		*mask = DEV_BLK | DEV_NET | DEV_RNG;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, "+");
		unsigned k = 0;

		while (k < 3 && (strlen(kind[k]) != n || strncmp(p, kind[k], n)))
			k++;
		if (k == 3 || (*mask & 1u << k))
			return -1;
		*mask |= 1u << k;
		p += n;
		if (*p == '+' && !*++p)
			return -1;
	}
	return *mask ? 0 : -1;
}

static int devices_parse(const char *v, struct kb_point *pt, char *why, size_t len)
{
	if (devices_mask(v, &pt->devices))
		return kb_errf(why, len,
			       "devices: '%s' (want none, all, or virtio-blk, virtio-net, "
			       "virtio-rng joined with +)",
			       v);
	return 0;
}

/* The sparse scratch disk of virtio-blk in dir: 0, or -1 with err. */
static int scratch_disk(const char *dir, char *path, size_t plen, char *err, size_t errlen)
{
	char why[1400] = "";
	int fd;

	snprintf(path, plen, "%s/scratch.img", dir);
	/* the directory may be the VMMs' user's (-runas): no link followed */
	fd = kb_open_regular(path, O_WRONLY | O_CREAT | O_TRUNC, why, sizeof(why));
	if (fd >= 0 && ftruncate(fd, (off_t)SCRATCH_MIB << 20))
		snprintf(why, sizeof(why), "%s: %m", path);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || why[0])
		return kb_errf(err, errlen, "cannot create the scratch disk: %s", why);
	return 0;
}

static int devices_args(const struct kb_point *pt, const char *dir, struct kb_argv *a, char *err,
			size_t errlen)
{
	const char *io = pt->v[KB_AX_IOEVENTFD];
	char path[1300];

	if (pt->devices & DEV_BLK) {
		if (scratch_disk(dir, path, sizeof(path), err, errlen))
			return -1;
		kb_argv_add(a, "-drive");
		kb_argv_add(a, "file=%s,format=raw,if=none,id=scratch", path);
		kb_argv_add(a, "-device");
		kb_argv_add(a, "virtio-blk-pci,drive=scratch,ioeventfd=%s", io);
	}
	if (pt->devices & DEV_NET) {
		kb_argv_add(a, "-netdev");
		kb_argv_add(a, "loopback,id=loop");
		kb_argv_add(a, "-device");
		kb_argv_add(a, "virtio-net-pci,netdev=loop,ioeventfd=%s", io);
	}
	if (pt->devices & DEV_RNG) {
		kb_argv_add(a, "-device");
		kb_argv_add(a, "virtio-rng-pci,ioeventfd=%s", io);
	}
	return 0;
}

static void devices_cleanup(const char *dir)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/scratch.img", dir);
	unlink(path);
}

/* --- paging: what the host gives guests, switched by exec/ ------------------------- */

static int paging_parse(const char *v, struct kb_point *pt, char *why, size_t len)
{
	(void)pt;
	if (strcmp(v, "host") && strcmp(v, "ept") && strcmp(v, "npt") && strcmp(v, "tdp") &&
	    strcmp(v, "shadow"))
		return kb_errf(why, len, "paging: '%s' (want host, ept, npt, tdp or shadow)", v);
	return 0;
}

/* --- vmm_args: extra VMM arguments, space-separated --------------------------------- */

static int vmm_args_args(const struct kb_point *pt, const char *dir, struct kb_argv *a, char *err,
			 size_t errlen)
{
	(void)dir, (void)err, (void)errlen;
	kb_argv_add_words(a, pt->v[KB_AX_VMM_ARGS]);
	return 0;
}

/* --- ioeventfd: the devices' ioeventfd property (devices_args) ----------------------- */

static int ioeventfd_parse(const char *v, struct kb_point *pt, char *why, size_t len)
{
	(void)pt;
	if (strcmp(v, "on") && strcmp(v, "off"))
		return kb_errf(why, len, "ioeventfd: '%s' (want on or off)", v);
	return 0;
}

/* The table, in key order: a point's params name the axes in this order. */
const struct kb_axis_def kb_axes[KB_AX_COUNT] = {
    [KB_AX_TOPOLOGY] = {.name = "topology",
			.def = "1",
			.parse = topology_parse,
			.vmm_args = topology_args},
    [KB_AX_MEMORY] = {.name = "memory",
		      .def = "128M",
		      .parse = memory_parse,
		      .vmm_args = memory_args},
    [KB_AX_NUMA] = {.name = "numa",
		    .def = "none",
		    .parse = numa_parse,
		    .check_point = numa_check,
		    .vmm_args = numa_args},
    [KB_AX_DEVICES] = {.name = "devices",
		       .def = "none",
		       .parse = devices_parse,
		       .vmm_args = devices_args,
		       .cleanup = devices_cleanup},
    [KB_AX_WORKLOAD] = {.name = "workload", .def = ""}, /* expand.c resolves it */
    [KB_AX_PAGING] = {.name = "paging", .def = "host", .parse = paging_parse},
    [KB_AX_VMM_ARGS] =
	{.name = "vmm_args", .def = "", .sep = "|", .empty_ok = true, .vmm_args = vmm_args_args},
    [KB_AX_IOEVENTFD] = {.name = "ioeventfd",
			 .def = "on",
			 .omit_default = true,
			 .parse = ioeventfd_parse},
};
