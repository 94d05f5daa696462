/*
 * kvmbench report: the database as a page a person can read.  gnuplot
 * (run as an external program) draws the figures from data files the
 * report writes; index.html puts them together with the tables, and
 * trend.html follows the nightly campaigns of the same host.
 */
#ifndef KB_RENDER_H
#define KB_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct kb_report_opts {
	const char *db;
	const char *out;    /* directory; default reports/<name> */
	const char *name;   /* default campaign-<ids> */
	const char *format; /* stdout: text (default), json, csv */
	bool png;
	double threshold; /* the trend's regression markers; 0: 5% */
	char **campaigns; /* selectors; none: the newest campaign */
	int ncampaigns;
	const char *root; /* project root, for the default out directory */
};

/* kb_report's outcomes besides 0 (a complete page) and -1 (no page). */
enum {
	KB_REPORT_FIGURES = 1, /* the page, but a figure it lists is not drawn */
	KB_REPORT_PARTIAL = 2, /* the page, but runs failed or a campaign did not finish */
};

/* The report of o's campaigns into its directory, its tables to out (as
 * o->format says).  Returns 0 when the page is complete (its path and
 * figure count then on out, or stderr with a machine format);
 * KB_REPORT_FIGURES when gnuplot failed or a figure the pages list is
 * missing or cut short, and KB_REPORT_PARTIAL when runs failed or a
 * campaign is interrupted or unfinished, each with one line for stderr in
 * err; -1 with err when no page could be written. */
int kb_report(const struct kb_report_opts *o, FILE *out, char *err, size_t errlen);

#endif
