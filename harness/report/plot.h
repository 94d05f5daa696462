/*
 * The report's parts as render.c puts them together: the selection (its
 * points and their metric series, plot.c), the tables (tables.c), the
 * figures (figures.c, dist.c, scaling.c, pagingfig.c; their look in
 * figstyle.h), the nightly trend page (trend.c), each writing data files
 * and gnuplot scripts under plots/ and HTML fragments for the page; all
 * scripts run in one gnuplot at the end.
 */
#ifndef KB_PLOT_H
#define KB_PLOT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/sqlexpr.h"

/*
 * Host row H as the report names it: its hostname (its first 100 bytes: a
 * merged database may hold any), and "#ID" after it when another host row
 * (another machine: another uuid) has the same name, so that two machines
 * called localhost never share a series.  At most 120 bytes: it fits
 * kb_ppoint.host whole, so a query given that back finds the host's runs.
 */
#define KB_REPORT_HOST_OF(H)                                                             \
	"(substr(IFNULL(" H ".hostname, ''), 1, 100) || CASE WHEN (SELECT count(*) FROM" \
	" hosts hx WHERE substr(hx.hostname, 1, 100) IS substr(" H ".hostname, 1, 100))" \
	" > 1 THEN '#' || " H ".id ELSE '' END)"

/*
 * A point as the report tells it apart: run r's point key, the paging mode
 * it really ran with and its host (KB_REPORT_HOST_OF), "KEY/MODE/HOST" (at
 * most 200 bytes), so that the same point from two hosts, even of one mode,
 * stays two points and no figure mixes hosts.  r's host is looked up as hh.
 */
#define KB_REPORT_POINT_IDENT                                                     \
	"substr(r.point_key || '/' || (SELECT " KB_SQL_PAGING_HH " || '/' ||"     \
	" " KB_REPORT_HOST_OF("hh") " FROM campaigns cc JOIN hosts hh ON hh.id =" \
				    " cc.host_id WHERE cc.id = r.campaign_id), 1, 200)"

struct kb_ppoint {
	char key[208]; /* KB_REPORT_POINT_IDENT: point key / paging / host */
	char pkey[17]; /* the point key alone */
	char params[1100];
	char label[200]; /* the axis values that vary, workload first */
	char workload[64];
	char topology[32];
	char paging[16]; /* effective: the host's when the point says host or tdp */
	int vcpus;
	char host[128]; /* the host it ran on (KB_REPORT_HOST_OF) */
};

struct kb_pseries { /* one metric of one point, measured runs only */
	unsigned point;
	char name[128], unit[32];
	double *v;
	size_t n, cap;
};

struct kb_runpoint { /* a measured run of the selection and its point */
	int64_t run;
	unsigned point;
	int64_t campaign;
};

struct kb_runblock { /* measured runs lo..hi, consecutive ids, one campaign */
	int64_t lo, hi;
};

/* One colour per paging mode in every figure: two-dimensional paging (EPT
 * or NPT) and shadow paging. */
#define KB_COLOR_TDP "#1f77b4"
#define KB_COLOR_SHADOW "#d62728"

/* The KVM statistics the report shows (figures.c), in its order. */
#define KB_NKSTAT 16
extern const char *const kb_kstat_names[KB_NKSTAT];

struct kb_plotctx {
	sqlite3 *db;
	char in[512];	/* campaign ids, comma-separated */
	char dir[1024]; /* output directory */
	bool png;
	double threshold; /* the trend's regression markers (--threshold) */
	struct kb_ppoint *points;
	unsigned npoints;
	struct kb_pseries *series;
	size_t nseries;
	char (*primary)[128];	  /* per point: the metric figures use, "" if none */
	struct kb_runpoint *runs; /* by run id (bucket.h) */
	size_t nruns;
	struct kb_runblock *blocks; /* the runs by campaign, then id (bucket.h) */
	size_t nblocks;
	double *kstat; /* [point * KB_NKSTAT + statistic] median, NAN if none */
	FILE *gp;      /* all figure scripts, run by one gnuplot */
	unsigned nfigures;
	char err[256];
};

/* The index of the point whose key (KB_REPORT_POINT_IDENT) is ident, or
 * c->npoints when there is none. */
unsigned kb_plot_point(const struct kb_plotctx *c, const char *ident);

/* Prepare sql_with_in, its "%s" the selection's campaign list (c->in) and
 * "%%" a percent sign.  NULL with c->err. */
sqlite3_stmt *kb_plot_query(struct kb_plotctx *c, const char *sql_with_in);

/* The median of the first column of st's rows (the first 1024), NAN when
 * there are none; finalizes st. */
double kb_plot_median_of(sqlite3_stmt *st);

/* 0 when gnuplot is on PATH, else -1 with err naming the package. */
int kb_plot_have_gnuplot(char *err, size_t errlen);

/* Select the newest campaign with its group into c->in.  0, or -1 with err
 * (no campaigns). */
int kb_plot_newest(struct kb_plotctx *c, char *err, size_t errlen);

/* Load the selection's points (grouped by workload, labelled), their
 * series and main metrics, and open plots/all.gp.  0, or -1 with err. */
int kb_plot_load_points(struct kb_plotctx *c, char *err, size_t errlen);

/* Each part of the page, appended to html (the tables also to out as text,
 * json or csv: fmt); their figures' scripts go to c->gp.  0, or -1 (with
 * c->err when a file could not be written). */
int kb_plot_tables(struct kb_plotctx *c, FILE *html, FILE *out, const char *fmt);
int kb_plot_exits(struct kb_plotctx *c, FILE *html);
int kb_plot_kvm_stats(struct kb_plotctx *c, FILE *html);
int kb_plot_distributions(struct kb_plotctx *c, FILE *html);
int kb_plot_scaling(struct kb_plotctx *c, FILE *html);
int kb_plot_paging(struct kb_plotctx *c, FILE *html);

/* trend.html with its figures.  0, or -1 with err. */
int kb_plot_trend(struct kb_plotctx *c, char *err, size_t errlen);

/* Close plots/all.gp and run gnuplot on it in plots/ (its output in
 * plots/gnuplot.log).  0, or -1 with err. */
int kb_plot_run_gnuplot(struct kb_plotctx *c, char *err, size_t errlen);

/* Free what the context holds (not the database); c is zeroed. */
void kb_plot_free(struct kb_plotctx *c);

#endif
