/*
 * The nightly trend page, trend.html (kb_plot_trend, see plot.h): the
 * finished nightly campaigns of the selection's hosts, and per workload the
 * median of its main metric in each of them, a line per point.
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "report/figure.h"

#define MAX_CAMPAIGNS 512
#define MAX_COLUMNS 64 /* points of a workload on the page */

/* The nightly campaigns of the selection's hosts, at most MAX_CAMPAIGNS, in
 * camp[] and as a list in ids.  Their count, or -1 when the query fails. */
static int nightly_campaigns(struct kb_plotctx *c, int64_t *camp, char *ids, size_t idslen)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT id, started FROM campaigns WHERE kind = 'nightly' AND state = 'done'"
	       " AND host_id IN (SELECT host_id FROM campaigns WHERE id IN (%s)) ORDER BY id");
	int n = 0;

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && n < MAX_CAMPAIGNS) {
		size_t o = strlen(ids);

		camp[n] = sqlite3_column_int64(st, 0);
		snprintf(ids + o, idslen - o, "%s%lld", n ? "," : "", (long long)camp[n]);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

/* Point p's median metric in campaign camp; NAN when it has none. */
static double campaign_median(struct kb_plotctx *c, int64_t camp, unsigned p, const char *metric)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT m.value FROM runs r JOIN metrics m ON m.run_id = r.id WHERE "
	       "r.campaign_id = ?1 AND r.point_key = ?2 AND m.name = ?3 AND r.warmup = 0 "
	       "AND r.status = 'pass' AND m.value IS NOT NULL");

	if (!st)
		return NAN;
	sqlite3_bind_int64(st, 1, camp);
	sqlite3_bind_text(st, 2, c->points[p].pkey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	return kb_plot_median_of(st);
}

/* The figure's data: its head (a column per point of p0's workload) to d,
 * the medians to med[campaign * MAX_COLUMNS + column].  The column count. */
static unsigned trend_columns(struct kb_plotctx *c, FILE *d, unsigned p0, const int64_t *camp,
			      unsigned nc, double *med)
{
	const char *wl = c->points[p0].workload, *metric = c->primary[p0];
	unsigned cols = 0;

	fprintf(d, "campaign");
	for (unsigned p = p0; p < c->npoints && cols < MAX_COLUMNS; p++) {
		if (strcmp(c->points[p].workload, wl))
			continue;
		fputc('\t', d);
		kb_esc_gpdata(d, c->points[p].label);
		for (unsigned k = 0; k < nc; k++)
			med[k * MAX_COLUMNS + cols] = campaign_median(c, camp[k], p, metric);
		cols++;
	}
	fprintf(d, "\n");
	return cols;
}

/* The trend figure of p0's workload over campaigns camp[0..nc). */
static int trend_figure(struct kb_plotctx *c, FILE *html, unsigned p0, const int64_t *camp,
			unsigned nc)
{
	char fig[128], title[256];
	double *med = calloc((size_t)nc * MAX_COLUMNS, sizeof(*med));
	unsigned cols;
	FILE *d;

	kb_esc_filename(fig, sizeof(fig), "trend", c->points[p0].workload, p0);
	if (!med || !(d = kb_fig_data(c, fig))) {
		free(med);
		return -1;
	}
	cols = trend_columns(c, d, p0, camp, nc, med);
	for (unsigned k = 0; k < nc; k++) {
		fprintf(d, "%lld", (long long)camp[k]);
		for (unsigned i = 0; i < cols; i++)
			if (isnan(med[k * MAX_COLUMNS + i]))
				fprintf(d, "\t?");
			else
				fprintf(d, "\t%g", med[k * MAX_COLUMNS + i]);
		fprintf(d, "\n");
	}
	free(med);
	if (fclose(d))
		return -1;
	snprintf(title, sizeof(title), "%s: median %s per nightly campaign", c->points[p0].workload,
		 c->primary[p0]);
	struct kb_figspec fs = {fig, title, "nightly campaign", c->primary[p0], 900, 380};

	kb_fig_add(c, html, &fs,
		   "set datafile missing \"?\"\nset key outside right noenhanced\n"
		   "plot for [i=2:%u] data using 0:i:xtic(1) with linespoints "
		   "title columnheader(i)",
		   cols + 1);
	return 0;
}

int kb_plot_trend(struct kb_plotctx *c, char *err, size_t errlen)
{
	char path[1300], ids[4096] = "";
	int64_t camp[MAX_CAMPAIGNS];
	int nc = nightly_campaigns(c, camp, ids, sizeof(ids));
	FILE *html = NULL;

	snprintf(path, sizeof(path), "%s/trend.html", c->dir);
	if (nc < 0 || !(html = fopen(path, "we"))) {
		snprintf(err, errlen, "%s: cannot write", path);
		return -1;
	}
	fprintf(html,
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Nightly "
		"trend</title><style>body{font-family:sans-serif;margin:2em}</style></head>"
		"<body>\n<h1>Nightly trend</h1>\n<p><a href=\"index.html\">Back to the "
		"report</a>. Nightly campaigns of the same host: %s.</p>\n",
		nc ? ids : "none");
	if (nc < 2)
		fprintf(html, "<p>Fewer than two nightly campaigns: no trend yet.</p>\n");
	for (unsigned p0 = 0; nc >= 2 && p0 < c->npoints; p0++) {
		if (kb_plot_workload_first(c, p0) &&
		    trend_figure(c, html, p0, camp, (unsigned)nc)) {
			fclose(html);
			snprintf(err, errlen, "%s: writing the trend failed%s%s", c->dir,
				 c->err[0] ? ": " : "", c->err);
			return -1;
		}
	}
	fprintf(html, "</body></html>\n");
	if (fclose(html)) {
		snprintf(err, errlen, "%s: write failed", path);
		return -1;
	}
	return 0;
}
