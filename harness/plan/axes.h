/*
 * The scenario's axes, one table entry each (kb_axes[], axes.c): its name,
 * its default, how a value is checked and what it sets in a point, how
 * points are checked across axes, and the kvmbench-vmm options it becomes.
 * The scenario parser (scenario.c), the matrix expansion (expand.c) and the
 * VMM command line (vmmargs.c) know no axis but through this table, but
 * for workload (resolved against the scenario's [workload.*] sections and
 * the micro-guests) and paging (the host is switched for it: exec/).
 *
 * Adding an axis: its constant last in enum kb_axis (scenario.h), its entry
 * in kb_axes[], and its functions (in axes.c, or in a file of its own that
 * axes.c declares), with omit_default set: left out of a point's params at
 * its default, so the keys of points from before it hold.
 */
#ifndef KB_AXES_H
#define KB_AXES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/proc.h"
#include "plan/scenario.h"

struct kb_axis_def {
	const char *name;
	const char *def;   /* its value when [matrix] leaves it out */
	const char *sep;   /* between a [matrix] line's values; NULL: "," */
	bool empty_ok;	   /* a value may be empty (vmm_args) */
	bool omit_default; /* left out of a point's params at its default: an axis added
			    * after points were keyed, whose keys must hold */
	/* Check value v and set what it means in pt (a blank point when only
	 * v is checked).  NULL: any value, nothing set.  0, or -1 with the
	 * message (naming the axis and the value) in why. */
	int (*parse)(const char *v, struct kb_point *pt, char *why, size_t len);
	/* Check pt across axes once every axis is parsed (NULL: nothing to
	 * check).  0, or -1 with the message in why. */
	int (*check_point)(const struct kb_point *pt, char *why, size_t len);
	/* Append pt's options for this axis to a (NULL: none); dir is the run's
	 * directory, for files the options name.  0, or -1 with err. */
	int (*vmm_args)(const struct kb_point *pt, const char *dir, struct kb_argv *a, char *err,
			size_t errlen);
	/* Remove what vmm_args made in dir (NULL: nothing). */
	void (*cleanup)(const char *dir);
};

extern const struct kb_axis_def kb_axes[KB_AX_COUNT];

#endif
