/*
 * Running a campaign: one `kvmbench run` invocation over a scenario's
 * points (or a shard of them), warm-up runs first, then repeats
 * interleaved across points, each run a kvmbench-vmm process whose stats
 * are ingested as soon as it ends.
 */
#ifndef KB_RUNNER_H
#define KB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

struct kb_env {
	char root[1024];      /* project root */
	char vmm[1200];	      /* kvmbench-vmm (KVMBENCH_VMM overrides) */
	char guest_dir[1200]; /* build/guests */
	char results[1200];   /* results/ (logs go below it) */
};

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
};

/* Run it; returns the process exit status (0 all pass, 1 error, 2 some
 * runs failed, 130 interrupted) with a message in err for errors. */
int kb_campaign_run(const struct kb_env *env, const struct kb_run_opts *o, char *err,
		    size_t errlen);

/* Resolve a scenario name to scenarios/NAME.ini (a path is kept). */
void kb_scenario_path(const struct kb_env *env, const char *name, char *out, size_t len);

#endif
