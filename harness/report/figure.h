/*
 * What the report's figure files (figures.c, tables.c, pagingfig.c,
 * trend.c) share: a figure's data file and gnuplot commands, a point's
 * series, the page's escaped printf (implemented in figures.c).
 */
#ifndef KB_FIGURE_H
#define KB_FIGURE_H

#include <stdbool.h>
#include <stdio.h>

#include "report/plot.h"

/* Open plots/NAME.dat for the figure's data (tab-separated). */
FILE *kb_fig_data(struct kb_plotctx *c, const char *name);

/* What every figure has: the labels carry their unit ("vCPUs",
 * "cycles per iteration (log scale)"); none may be NULL or empty. */
struct kb_figspec {
	const char *name; /* file stem: plots/NAME.svg, NAME.dat */
	const char *title;
	const char *xlabel, *ylabel;
	int width, height;
};

/*
 * Add figure fs->name: its title and axis labels, then the gnuplot
 * commands (printf-style; the data file is "NAME.dat") go to plots/all.gp
 * with an SVG terminal (and PNG with --png); the <figure> element, with
 * data-title, data-xlabel and data-ylabel for the page's checks, to html.
 */
void kb_fig_add(struct kb_plotctx *c, FILE *html, const struct kb_figspec *fs, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether point p is the first of its workload and the workload has a main
 * metric: where a figure per workload starts. */
bool kb_plot_workload_first(const struct kb_plotctx *c, unsigned p);

/* fmt to the page, its only conversions %s (a string escaped as HTML text,
 * NULL as ""), %d, %u and %%: no width, precision or length. */
void kb_html(FILE *html, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The medians of the KVM statistics (kb_kstat_names) of every point into
 * c->kstat, NAN where a point has none; once.  0, or -1 (query failed, with
 * c->err; or out of memory). */
int kb_plot_kstat_medians(struct kb_plotctx *c);

/* The series of point p for metric name, or NULL. */
struct kb_pseries *kb_plot_series(const struct kb_plotctx *c, unsigned p, const char *name);

/* A page's head: doctype, title, the report's one style sheet, the script
 * that marks on <body> how many figures loaded (data-figures-loaded,
 * data-figures-broken) and how many blocks stick out past the page
 * (data-too-wide); then <body> and the title as <h1>. */
void kb_page_start(FILE *f, const char *title);

#endif
