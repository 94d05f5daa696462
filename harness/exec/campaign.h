/*
 * A campaign's life cycle, in one place: one `kvmbench run` over a
 * scenario's points (or a shard of them).  Load the scenario and bring its
 * images; send it to the lab when this host cannot run it (labrun.c);
 * schedule its runs (schedule.c); open its row, or resume it (rows.c);
 * record the runs it skips; run the rest in the process pool (pool.c), one
 * paging mode at a time (paging.c), each run recorded as soon as it ends
 * (runner.c); close it as done, interrupted or failed.
 */
#ifndef KB_CAMPAIGN_H
#define KB_CAMPAIGN_H

#include <stddef.h>

#include "exec/env.h"
#include "exec/runopts.h"

/* Run it; returns the process exit status (0 all pass, 1 error, 2 some
 * runs failed, 130 interrupted) with a message in err for errors. */
int kb_campaign_run(const struct kb_env *env, const struct kb_run_opts *o, char *err,
		    size_t errlen);

/* Resolve a scenario name to scenarios/NAME.ini (a path is kept). */
void kb_scenario_path(const struct kb_env *env, const char *name, char *out, size_t len);

#endif
