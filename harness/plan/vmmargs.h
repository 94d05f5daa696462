/*
 * A point's kvmbench-vmm command line: the run's own options (its name,
 * kernel and command line, console, stats file, timeout, user), then the
 * point's axes as options: -smp written from its parsed topology, -m from
 * its memory, numa=N nodes of whole sockets and equal memory; virtio-blk on
 * a sparse scratch disk of KB_SCRATCH_MIB in the run's directory (removed
 * by kb_vmm_cleanup when the run is reaped), virtio-net on the loopback
 * backend, virtio-rng; each device with the point's ioeventfd; then the
 * point's vmm_args and the campaign's --vmm-args, last so that they win.
 */
#ifndef KB_VMMARGS_H
#define KB_VMMARGS_H

#include <stddef.h>
#include <stdint.h>

#include "common/proc.h"
#include "plan/scenario.h"

#define KB_SCRATCH_MIB 16

/* What a run adds to its point. */
struct kb_vmm_run {
	const char *vmm;       /* the kvmbench-vmm binary */
	const char *guest_dir; /* where micro-guests NAME.elf are */
	const char *root;      /* the repository root: scenario paths are relative to it */
	const char *dir;       /* the run's directory: console.log, stats.json, scratch disk */
	double timeout;	       /* seconds (-timeout) */
	uint64_t serial_cap;   /* -serial-cap: console.log's cap */
	const char *runas;     /* -runas UID:GID, or NULL */
	const char *extra;     /* the campaign's --vmm-args (space-separated), or NULL */
};

/* The command line of point p's run r into a.  0, or -1 with err (the
 * scratch disk could not be made, or the arguments do not fit). */
int kb_vmm_argv(const struct kb_point *p, const struct kb_vmm_run *r, struct kb_argv *a, char *err,
		size_t errlen);

/* Remove what kb_vmm_argv made in dir. */
void kb_vmm_cleanup(const char *dir);

/* A path from a scenario (initrd): absolute, or relative to root.  out. */
const char *kb_root_path(const char *root, const char *p, char *out, size_t len);

#endif
