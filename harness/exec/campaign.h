/*
 * A campaign's plan and its rows: which runs to do (shard, warm-ups,
 * interleaved repeats, resume), which to record as skipped (paging modes
 * the host cannot give), and the hosts/builds/campaigns rows.
 */
#ifndef KB_CAMPAIGN_H
#define KB_CAMPAIGN_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exec/runner.h"
#include "plan/scenario.h"

struct kb_task {
	const struct kb_point *pt;
	unsigned seq, repeat;
	bool warmup;
	char paging[8]; /* the mode the run needs: "" = whatever the host has */
};

struct kb_plan {
	struct kb_task *todo;
	unsigned ntodo, ndone;
	struct kb_task *skips;
	char (*skip_reason)[256];
	unsigned nskips;
	unsigned npoints, jobs, repeats, warmup;
	char host_paging[8], host_module[16];
};

int kb_plan_make(const struct kb_scenario *sc, const struct kb_run_opts *o, struct kb_plan *p,
		 char *err, size_t errlen);
void kb_plan_print(const struct kb_plan *p, FILE *f);
void kb_plan_free(struct kb_plan *p);

/* Create the campaign row (or, with --resume, find the interrupted one and
 * drop the tasks it already recorded).  0 or -1 with err. */
int kb_campaign_open(sqlite3 *db, const struct kb_env *env, const struct kb_scenario *sc,
		     const struct kb_run_opts *o, struct kb_plan *p, int64_t *id, char *err,
		     size_t errlen);
/* Record the plan's skipped runs (those not recorded yet). */
int kb_record_skips(sqlite3 *db, int64_t campaign, const struct kb_plan *p, char *err,
		    size_t errlen);
/* Set the final state and print where the results are; 0 or 1. */
int kb_campaign_close(sqlite3 *db, int64_t campaign, const char *state, const struct kb_run_opts *o,
		      const char *logdir, char *err, size_t errlen);

void kb_timestamp(char *buf, size_t len);

#endif
