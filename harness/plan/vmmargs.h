/*
 * A point's kvmbench-vmm command line: the run's own options (its name,
 * kernel and command line, console, stats file, timeout, user), then each
 * axis's options in the axes' order (plan/axes.c: -smp written from the
 * parsed topology, -m, -numa, the devices, on a scratch disk in the run's
 * directory for virtio-blk, removed by kb_vmm_cleanup when the run is
 * reaped; the point's vmm_args), then the
 * campaign's --vmm-args: the last two last, so that they win.
 */
#ifndef KB_VMMARGS_H
#define KB_VMMARGS_H

#include <stddef.h>
#include <stdint.h>

#include "common/proc.h"
#include "plan/scenario.h"

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
