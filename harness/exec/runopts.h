/*
 * The options of one `kvmbench run`: what the command line asks of a
 * campaign (the scenario, the database, repeats, shard, resume, where it
 * runs).  Read by the campaign's life cycle (campaign.c), its schedule
 * (schedule.c) and its lab parts (labrun.c).
 */
#ifndef KB_RUNOPTS_H
#define KB_RUNOPTS_H

#include <stdbool.h>
#include <stdio.h>

struct kb_run_opts {
	const char *scenario; /* name or path */
	const char *db;
	const char *kind; /* bench, nightly, qualify */
	const char *tag;
	const char *vmm_args;  /* extra VMM arguments for every run (not in keys) */
	const char *manifest;  /* for workloads with image =; default images/manifest.ini */
	bool offline;	       /* images from the cache only */
	unsigned repeat, jobs; /* 0: the scenario's */
	unsigned warmup;       /* warm-up rounds, when warmup_set (else the scenario's) */
	bool warmup_set;
	unsigned shard_k, shard_n;
	bool resume, dry_run, allow_reload, quiet;
	const char *host;	 /* auto (default), native or lab: where the runs go */
	const char *paging_only; /* comma list: only points with these paging values */
	const char *logs;	 /* run logs below this directory, not beside the db */
	FILE *tap;		 /* --format tap: the campaign's points as TAP here at the end */
};

#endif
