/*
 * Scenario files: a matrix of axes expanded into points.
 *
 *   [scenario]  name, description, repeats, warmup, timeout, jobs
 *   [matrix]    one key per axis, comma-separated values (vmm_args: '|')
 *   [workload.NAME]  guest, args (with {vcpus} {sockets} {cores} {threads}
 *                    {memory_mib} filled in per point), expect, timeout
 *   [exclude]   rule = axis=value axis=value ...   (drop matching points)
 *   [include]   point = axis=value ...             (add one point)
 *
 * Errors name file:line and the key at fault.  Every point has a key, a
 * hash of its canonical parameters: the same file gives the same keys.
 */
#ifndef KB_SCENARIO_H
#define KB_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/topology.h"

/* The axes, in key order; what each means is its entry in kb_axes[]
 * (plan/axes.h).  A new axis goes last. */
enum kb_axis {
	KB_AX_TOPOLOGY,
	KB_AX_MEMORY,
	KB_AX_NUMA,
	KB_AX_DEVICES,
	KB_AX_WORKLOAD,
	KB_AX_PAGING,
	KB_AX_VMM_ARGS,
	KB_AX_IOEVENTFD, /* added later: left out of params when "on" (omit_default) */
	KB_AX_COUNT
};

#define KB_MAX_VALUES 32
#define KB_MAX_WORKLOADS 32
#define KB_MAX_RULES 64
#define KB_VAL_MAX 128

struct kb_workload {
	char name[64];
	char guest[1300];  /* a micro-guest name or a path to an image */
	char image[64];	   /* a manifest image fetched before the runs, or "" */
	char until[256];   /* end the run when a console line matches (regex) */
	char initrd[1300]; /* -initrd: a path, relative to the repository root */
	char needs[32];	   /* a host capability ("linux-userspace"), or "" */
	char args[512];
	char expect[16]; /* "pass" (default) or "any" */
	double timeout;	 /* 0: the scenario's */
	int line, args_line;
};

/* A set of axis=value constraints (exclude rules, include points). */
struct kb_rule {
	char v[KB_AX_COUNT][KB_VAL_MAX]; /* "" = any */
	int line;
};

struct kb_point {
	char v[KB_AX_COUNT][KB_VAL_MAX];
	char key[17];	   /* 16 hex digits */
	char params[1024]; /* canonical "axis=value ..." */
	/* the values parsed (plan/axes.c) */
	struct kb_smp smp;   /* topology */
	uint64_t memory;     /* bytes */
	unsigned numa_nodes; /* 0: none */
	unsigned devices;    /* a mask of the device kinds */
	const struct kb_workload *wl;
	char cmdline[1024]; /* workload args with placeholders filled */
};

/* [metric.NAME]: how `kvmbench compare` judges a metric. */
struct kb_metric_def {
	char name[KB_VAL_MAX];
	int direction;	  /* -1 lower is better, +1 higher is better, 0 not compared */
	double threshold; /* relative change that matters; < 0: the default */
	int line;
};

#define KB_MAX_METRIC_DEFS 64

struct kb_scenario {
	char path[1024];
	char name[64];
	char description[256];
	unsigned repeats, warmup, jobs;
	double timeout;
	char values[KB_AX_COUNT][KB_MAX_VALUES][KB_VAL_MAX];
	unsigned nvalues[KB_AX_COUNT];
	int axis_line[KB_AX_COUNT];
	struct kb_workload workloads[KB_MAX_WORKLOADS];
	unsigned nworkloads;
	struct kb_rule excludes[KB_MAX_RULES], includes[KB_MAX_RULES];
	unsigned nexcludes, nincludes;
	struct kb_point *points;
	unsigned npoints;
	struct kb_metric_def metric_defs[KB_MAX_METRIC_DEFS];
	unsigned nmetric_defs;
};

/* The direction of a metric from its unit when no [metric.NAME] says:
 * times, cycles and exits lower is better, rates ("/s") higher, counts
 * and sizes are not compared. */
int kb_metric_default_direction(const char *unit);

/* The axis's name in scenario files and params ("topology"). */
const char *kb_axis_name(enum kb_axis a);

/*
 * Parse, validate and expand path.  guest_dir is where micro-guests
 * NAME.elf live (for "unknown guest"); NULL parses without expanding.  Returns 0, or -1 with
 * "file:line: message" in err.  Free with kb_scenario_free().
 */
int kb_scenario_load(const char *path, const char *guest_dir, struct kb_scenario *s, char *err,
		     size_t errlen);
void kb_scenario_free(struct kb_scenario *s);

#endif
