/*
 * A campaign's schedule: which runs it does (the shard's points, warm-up
 * rounds first, then the repeats interleaved across points), which it
 * records as skipped and why (a paging mode or a capability the host
 * cannot give), and the paging mode each run needs switched to first.
 * Deterministic, so a resumed campaign finds exactly the runs it recorded.
 */
#ifndef KB_SCHEDULE_H
#define KB_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exec/runopts.h"
#include "plan/scenario.h"

struct kb_task {
	const struct kb_point *pt;
	unsigned seq, repeat;
	bool warmup;
	char paging[8]; /* the mode the run needs: "" = whatever the host has */
};

struct kb_plan {
	struct kb_task *todo;
	unsigned ntodo, ndone; /* ndone: recorded before a resume (rows.c) */
	struct kb_task *skips;
	char (*skip_reason)[256];
	unsigned nskips;
	unsigned npoints, jobs, repeats, warmup;
	char host_paging[8], host_module[16];
};

/* The schedule of scenario sc's points under o into p (free it with
 * kb_plan_free).  0, or -1 with err. */
int kb_plan_make(const struct kb_scenario *sc, const struct kb_run_opts *o, struct kb_plan *p,
		 char *err, size_t errlen);

/* `kvmbench run --dry-run`: one line a run. */
void kb_plan_print(const struct kb_plan *p, FILE *f);

/* Free what kb_plan_make allocated; a zeroed plan is a no-op. */
void kb_plan_free(struct kb_plan *p);

#endif
