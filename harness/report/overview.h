/*
 * The report page's first screen (overview.c): the verdict banner with the
 * run counts, skipped runs by reason, each campaign's host kind and paging
 * mode, the key figures and the table of contents; and the failures
 * section that follows it (failures.c).  What render.c needs to choose the
 * exit status comes back in struct kb_page_counts.
 */
#ifndef KB_OVERVIEW_H
#define KB_OVERVIEW_H

#include <stddef.h>
#include <stdio.h>

#include "report/plot.h"

struct kb_page_counts {
	long pass, fail, skip; /* measured runs of the selection */
	unsigned fail_points;  /* points with a failed measured run */
	char incomplete[200];  /* "" or why a campaign is not complete */
};

/* The run counts of the selection (c->in) and whether every campaign
 * finished with all its planned runs.  0, or -1 with c->err. */
int kb_page_count(struct kb_plotctx *c, struct kb_page_counts *n);

/* The measured runs of workload wl in the selection: n[0] passed, n[1]
 * failed, n[2] skipped (zeros when the query fails). */
void kb_page_workload_runs(struct kb_plotctx *c, const char *wl, long n[3]);

/* The id of workload wl's section ("workload-NAME", kb_esc_filename) into
 * buf; wl is a workload of c->points. */
void kb_page_anchor(const struct kb_plotctx *c, const char *wl, char *buf, size_t len);

/* The banner, skip reasons, hosts, key figures and table of contents to
 * html.  0, or -1 (a query failed: c->err). */
int kb_page_overview(struct kb_plotctx *c, FILE *html, const struct kb_page_counts *n);

/* The Failures section (id "failures"): each failed point, its failed runs
 * by exit status and reason, and links to their console, VMM log and
 * stats JSON (db: the database's path, for log directories recorded
 * relative to it).  0, or -1 (c->err). */
int kb_page_failures(struct kb_plotctx *c, FILE *html, const char *db);

#endif
