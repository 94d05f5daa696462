/*
 * The report's tables of medians (kb_plot_tables, see plot.h): per
 * workload, each point's main metrics (those with a direction: times,
 * cycles, rates) with their 95% interval, CV and run count, and its
 * counters (no direction: iterations, rounds) in a collapsed table below;
 * on stdout every metric as text, JSON or CSV with the columns compare
 * and summary use (point_key, params, metric, unit, median, ci_low, ...;
 * docs/reports.md).
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "analyze/output.h"
#include "analyze/stats.h"
#include "common/escape.h"
#include "plan/scenario.h"
#include "report/figure.h"
#include "report/overview.h"

/* The machine outputs' columns (CSV header, JSON keys), in order. */
#define TABLE_CSV_HEAD \
	"point_key,workload,label,params,paging,host,metric,unit,median,ci_low,ci_high,cv,n\n"

/* One row: a series summarised. */
struct row {
	const struct kb_ppoint *p;
	const struct kb_pseries *s;
	struct kb_summary_stats st;
	double lo, hi;
};

/* Where rows go: the page, and stdout as fmt says. */
struct tout {
	FILE *html, *out;
	const char *fmt;
	bool first; /* no row written yet (JSON's commas) */
};

static void row_html(FILE *html, const struct row *r)
{
	kb_html(html, "<tr><td class=l>%s</td><td class=l>%s</td>", r->p->label, r->s->name);
	fprintf(html,
		"<td>%.6g</td><td>%.6g &ndash; %.6g</td><td>%.1f%%</td>"
		"<td>%zu</td>",
		r->st.median, r->lo, r->hi, r->st.cv * 100, r->s->n);
	kb_html(html, "<td class=l>%s</td></tr>\n", r->s->unit);
}

/* The row on stdout, as t->fmt says. */
static void row_out(struct tout *t, const struct row *r)
{
	static const char *const key[] = {"point_key", "workload", "label",  "params",
					  "paging",    "host",	   "metric", "unit"};
	const char *val[] = {r->p->pkey,   r->p->workload, r->p->label, r->p->params,
			     r->p->paging, r->p->host,	   r->s->name,	r->s->unit};
	double x[] = {r->st.median, r->lo, r->hi, r->st.cv};
	static const char *const xkey[] = {"median", "ci_low", "ci_high", "cv"};

	if (!strcmp(t->fmt, "json")) {
		fprintf(t->out, "%s\n  {\"point_key\": ", t->first ? "" : ",");
		kb_esc_json(t->out, val[0]);
		for (int k = 1; k < 8; k++)
			kb_out_jstr(t->out, key[k], val[k]);
		for (int k = 0; k < 4; k++)
			kb_out_jnum(t->out, xkey[k], x[k]);
		fprintf(t->out, ", \"n\": %zu}", r->s->n);
	} else if (!strcmp(t->fmt, "csv")) {
		for (int k = 0; k < 8; k++) {
			kb_out_csv(t->out, val[k]);
			fputc(',', t->out);
		}
		for (int k = 0; k < 4; k++) {
			kb_out_num(t->out, x[k], false);
			fputc(',', t->out);
		}
		fprintf(t->out, "%zu\n", r->s->n);
	} else {
		fprintf(t->out, "  %-28s %-24s %12.6g [%.6g, %.6g] CV %5.1f%% n=%zu %s\n",
			r->p->label, r->s->name, r->st.median, r->lo, r->hi, r->st.cv * 100,
			r->s->n, r->s->unit);
	}
	t->first = false;
}

/* A main metric: one with a direction (kb_metric_default_direction). */
static bool is_main(const struct kb_pseries *s)
{
	return kb_metric_default_direction(s->unit) != 0;
}

/* The rows of points [a, b) whose series are main (or not), to the page
 * and stdout; how many. */
static unsigned rows(struct kb_plotctx *c, struct tout *t, unsigned a, unsigned b, bool main)
{
	unsigned n = 0;

	for (unsigned pi = a; pi < b; pi++) {
		struct row r = {.p = &c->points[pi]};

		for (size_t i = 0; i < c->nseries; i++) {
			struct kb_pseries *s = &c->series[i];

			if (s->point != pi || is_main(s) != main)
				continue;
			assert(s->n > 0);
			kb_stats_summarise(s->v, s->n, &r.st); /* sorts s->v */
			kb_median_interval(s->v, s->n, &r.lo, &r.hi);
			r.s = s;
			row_html(t->html, &r);
			row_out(t, &r);
			n++;
		}
	}
	return n;
}

/* Points [a, b)'s series: how many are main, how many not. */
static void count_series(const struct kb_plotctx *c, unsigned a, unsigned b, unsigned *nmain,
			 unsigned *nother)
{
	*nmain = *nother = 0;
	for (size_t i = 0; i < c->nseries; i++)
		if (c->series[i].point >= a && c->series[i].point < b)
			(*(is_main(&c->series[i]) ? nmain : nother))++;
}

static void table_head(FILE *html)
{
	fprintf(html, "<table><tr><th class=l>point</th><th class=l>metric</th><th>median</th>"
		      "<th>95%% interval</th><th>CV</th><th>runs</th><th class=l>unit</th></tr>\n");
}

/* What a workload without metrics is: a guest that passed and measures
 * nothing, or one whose runs all failed or were skipped (n: its runs
 * passed, failed, skipped). */
static void no_metrics(struct tout *t, const char *wl, const long n[3])
{
	bool text = !strcmp(t->fmt, "text");

	if (n[0]) {
		fprintf(t->html, "<p class=note>No metrics (a functional guest).</p>\n");
		if (text)
			fprintf(t->out, "\n%s: no metrics (a functional guest)\n", wl);
	} else if (n[1]) {
		fprintf(t->html,
			"<p class=bad>No passing run: %ld failed%s, see <a "
			"href=\"#failures\">Failures</a>.</p>\n",
			n[1], n[2] ? " (the others skipped)" : "");
		if (text)
			fprintf(t->out, "\n%s: no passing run: %ld failed\n", wl, n[1]);
	} else {
		fprintf(t->html,
			"<p class=note>No passing run: all %ld skipped (reasons at the "
			"top).</p>\n",
			n[2]);
		if (text)
			fprintf(t->out, "\n%s: no passing run: all %ld skipped\n", wl, n[2]);
	}
}

/* Workload section of points [a, b): its heading, what its runs did, its
 * main metrics' table and its counters' table, collapsed. */
static void workload(struct kb_plotctx *c, struct tout *t, unsigned a, unsigned b)
{
	const char *wl = c->points[a].workload;
	unsigned nmain, nother;
	char id[128];
	long n[3];

	kb_page_anchor(c, wl, id, sizeof(id));
	kb_page_workload_runs(c, wl, n);
	count_series(c, a, b, &nmain, &nother);
	kb_html(t->html, "<section id=\"%s\"><h2>Workload %s</h2>\n", id, wl);
	if (!nmain && !nother) {
		no_metrics(t, wl, n);
		fprintf(t->html, "</section>\n");
		return;
	}
	if (n[1])
		fprintf(t->html,
			"<p class=bad>%ld of %ld runs failed: see <a "
			"href=\"#failures\">Failures</a>.</p>\n",
			n[1], n[0] + n[1] + n[2]);
	if (!strcmp(t->fmt, "text"))
		fprintf(t->out, "\n%s\n", wl);
	table_head(t->html);
	rows(c, t, a, b, nmain > 0); /* no main metric: the others are the table */
	fprintf(t->html, "</table>\n");
	if (nmain && nother) {
		fprintf(t->html,
			"<details><summary>Counters (%u: no direction, not compared)"
			"</summary>\n",
			nother);
		table_head(t->html);
		rows(c, t, a, b, false);
		fprintf(t->html, "</table></details>\n");
	}
	fprintf(t->html, "</section>\n");
}

int kb_plot_tables(struct kb_plotctx *c, FILE *html, FILE *out, const char *fmt)
{
	struct tout t = {.html = html, .out = out, .fmt = fmt, .first = true};

	if (!strcmp(fmt, "json"))
		fprintf(out, "{\"campaigns\": [%s], \"rows\": [", c->in);
	if (!strcmp(fmt, "csv"))
		fprintf(out, TABLE_CSV_HEAD);
	for (unsigned a = 0, b; a < c->npoints; a = b) {
		for (b = a + 1;
		     b < c->npoints && !strcmp(c->points[b].workload, c->points[a].workload); b++)
			;
		workload(c, &t, a, b);
	}
	if (!strcmp(fmt, "json"))
		fprintf(out, "\n]}\n");
	return ferror(html) ? -1 : 0;
}
