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
	char **campaigns; /* selectors; none: the newest campaign */
	int ncampaigns;
	const char *root; /* project root, for the default out directory */
};

/* Returns 0, or -1 with err (one line). */
int kb_report(const struct kb_report_opts *o, FILE *out, char *err, size_t errlen);

#endif
