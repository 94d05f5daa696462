/*
 * The report's figures and tables (used by render.c): data files and
 * gnuplot scripts under plots/, HTML fragments for the page.
 */
#ifndef KB_PLOT_H
#define KB_PLOT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kb_ppoint {
	char key[48];  /* KB_SQL_POINT_IDENT: point key / effective paging */
	char pkey[17]; /* the point key alone */
	char params[1100];
	char label[200]; /* the axis values that vary, workload first */
	char workload[64];
	char topology[32];
	char paging[16]; /* effective: the host's when the point says host */
	int vcpus;
};

struct kb_pseries { /* one metric of one point, measured runs only */
	unsigned point;
	char name[128], unit[32];
	double *v;
	size_t n, cap;
};

struct kb_plotctx {
	sqlite3 *db;
	char in[512];	/* campaign ids, comma-separated */
	char dir[1024]; /* output directory */
	bool png;
	struct kb_ppoint *points;
	unsigned npoints;
	struct kb_pseries *series;
	size_t nseries;
	char (*primary)[128]; /* per point: the metric figures use, "" if none */
	FILE *gp;	      /* all figure scripts, run by one gnuplot */
	unsigned nfigures;
	char err[256];
};

/* The index of the point whose key (KB_SQL_POINT_IDENT) is ident, or
 * c->npoints when there is none. */
unsigned kb_plot_point(const struct kb_plotctx *c, const char *ident);

sqlite3_stmt *kb_plot_query(struct kb_plotctx *c, const char *sql_with_in);
/* The median of the first column of st's rows (the first 1024), NAN when
 * there are none; finalizes st. */
double kb_plot_median_of(sqlite3_stmt *st);

int kb_plot_have_gnuplot(char *err, size_t errlen);
int kb_plot_newest(struct kb_plotctx *c, char *err, size_t errlen);
int kb_plot_load_points(struct kb_plotctx *c, char *err, size_t errlen);
int kb_plot_tables(struct kb_plotctx *c, FILE *html, FILE *out, const char *fmt);
int kb_plot_exits(struct kb_plotctx *c, FILE *html);
int kb_plot_kvm_stats(struct kb_plotctx *c, FILE *html);
int kb_plot_distributions(struct kb_plotctx *c, FILE *html);
int kb_plot_scaling(struct kb_plotctx *c, FILE *html);
int kb_plot_paging(struct kb_plotctx *c, FILE *html);
int kb_plot_trend(struct kb_plotctx *c, char *err, size_t errlen);
int kb_plot_run_gnuplot(struct kb_plotctx *c, char *err, size_t errlen);
void kb_plot_free(struct kb_plotctx *c);

#endif
