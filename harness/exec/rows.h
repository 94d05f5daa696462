/*
 * A campaign's rows in the database: the host it runs on and the build
 * that runs it (hosts, builds), the campaign itself (created, or found
 * again by --resume with the runs it recorded dropped from the schedule),
 * its skipped runs, and its final state.
 */
#ifndef KB_ROWS_H
#define KB_ROWS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/runopts.h"
#include "exec/schedule.h"
#include "plan/scenario.h"
#include "store/ingest.h"

/* Create the campaign row (or, with --resume, find the interrupted one and
 * drop the tasks it already recorded from p).  0 with *id and its uuid, or
 * -1 with err. */
int kb_campaign_open(sqlite3 *db, const struct kb_scenario *sc, const struct kb_run_opts *o,
		     struct kb_plan *p, int64_t *id, char *uuid, size_t ulen, char *err,
		     size_t errlen);

/* --resume --dry-run: the campaign a resume would go on with into *id and
 * the tasks it recorded dropped from p, writing nothing.  0, or -1 with
 * err (no such campaign, or one still running). */
int kb_campaign_preview(sqlite3 *db, const struct kb_scenario *sc, const struct kb_run_opts *o,
			struct kb_plan *p, int64_t *id, char *err, size_t errlen);

/* Record the plan's skipped runs (those not recorded yet) through in.  0
 * or -1 with err. */
int kb_record_skips(sqlite3 *db, struct kb_ingest *in, int64_t campaign, const struct kb_plan *p,
		    char *err, size_t errlen);

/* Set the final state and print where the results are (not with
 * o->quiet).  0, or 1 with err. */
int kb_campaign_close(sqlite3 *db, int64_t campaign, const char *state, const struct kb_run_opts *o,
		      const char *logdir, char *err, size_t errlen);

/* Now, as the database stores times: "2024-01-31T12:00:00Z" (UTC). */
void kb_timestamp(char *buf, size_t len);

#endif
