/*
 * Where a campaign runs, this host or the lab, and its campaigns in the
 * lab: one lab per paging setting it needs, each running its part of the
 * campaign with this kvmbench, the parts merged into --db (see labrun.c).
 */
#ifndef KB_LABRUN_H
#define KB_LABRUN_H

#include <stddef.h>
#include <stdint.h>

#include "exec/env.h"
#include "exec/runopts.h"
#include "plan/scenario.h"

/*
 * Why this campaign runs in the lab (--host lab, no usable KVM, a paging
 * mode this host cannot give), written into buf; NULL: it runs here.
 */
const char *kb_lab_reason(const struct kb_scenario *sc, const struct kb_run_opts *o, char *buf,
			  size_t len);

/*
 * Run the campaign in one lab per paging setting it needs and merge the
 * results into o->db; ids[npt] gets the part's campaign there (-1: none).
 * Returns kb_campaign_run's exit statuses (0, 1 with err, 2 some runs
 * failed, 130 interrupted).
 */
int kb_lab_campaign(const struct kb_env *env, const struct kb_run_opts *o,
		    const struct kb_scenario *sc, const char *why, int64_t ids[2], char *err,
		    size_t errlen);

#endif
