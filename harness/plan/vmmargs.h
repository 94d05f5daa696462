/*
 * A point's axes as kvmbench-vmm options: -smp written from its topology,
 * -m from its memory, numa=N nodes of
 * whole sockets and equal memory; virtio-blk on a sparse scratch disk of
 * KB_SCRATCH_MIB in the run's directory (removed when the run is reaped),
 * virtio-net on the loopback backend, virtio-rng; each device with the
 * point's ioeventfd.
 */
#ifndef KB_VMMARGS_H
#define KB_VMMARGS_H

#include <stddef.h>

#include "plan/scenario.h"

#define KB_SCRATCH_MIB 16

struct kb_axis_args { /* storage the argv entries point into */
	char dev[4][1400];
	char numa[8][96];
	char smp[80], mem[32];
};

/* Append to argv (at most 30 entries).  0, or -1 with err (the scratch
 * disk could not be made). */
int kb_axis_args(const struct kb_point *p, const char *dir, struct kb_axis_args *a, char **argv,
		 int *argc, char *err, size_t errlen);

/* Remove what kb_axis_args made in dir. */
void kb_axis_args_cleanup(const char *dir);

#endif
