/*
 * The report's tables of medians (kb_plot_tables, see plot.h): per workload,
 * each point's metrics with their 95% interval, CV and run count, on the
 * page and on stdout as text, JSON or CSV.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "common/escape.h"
#include "report/figure.h"
#include "analyze/stats.h"

/* One row: a series summarised. */
struct row {
	const char *workload;
	const struct kb_ppoint *p;
	const struct kb_pseries *s;
	struct kb_summary_stats st;
	double lo, hi;
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

/* The row on stdout, as fmt says; first: the first row of all. */
static void row_out(FILE *out, const char *fmt, const struct row *r, bool first)
{
	static const char *const key[] = {"workload", "point", "metric", "unit"};
	const char *val[] = {r->workload, r->p->params, r->s->name, r->s->unit};

	if (!strcmp(fmt, "json")) {
		fprintf(out, "%s\n  {", first ? "" : ",");
		for (int k = 0; k < 4; k++) {
			fprintf(out, "%s\"%s\": ", k ? ", " : "", key[k]);
			kb_esc_json(out, val[k]);
		}
		fprintf(out,
			", \"median\": %.9g, \"ci_low\": %.9g, \"ci_high\": %.9g, "
			"\"cv\": %.6g, \"n\": %zu}",
			r->st.median, r->lo, r->hi, r->st.cv, r->s->n);
	} else if (!strcmp(fmt, "csv")) {
		for (int k = 0; k < 4; k++) {
			kb_esc_csv(out, val[k]);
			fputc(',', out);
		}
		fprintf(out, "%.9g,%.9g,%.9g,%.6g,%zu\n", r->st.median, r->lo, r->hi, r->st.cv,
			r->s->n);
	} else {
		fprintf(out, "  %-28s %-24s %12.6g [%.6g, %.6g] CV %5.1f%% n=%zu %s\n", r->p->label,
			r->s->name, r->st.median, r->lo, r->hi, r->st.cv * 100, r->s->n,
			r->s->unit);
	}
}

/* Whether any point of workload wl has a metric. */
static bool has_metrics(const struct kb_plotctx *c, const char *wl)
{
	for (size_t i = 0; i < c->nseries; i++)
		if (!strcmp(c->points[c->series[i].point].workload, wl))
			return true;
	return false;
}

/* Workload wl's heading and the head of its table; false when it has no
 * metrics (a functional guest: a note, and an empty table). */
static bool workload_head(const struct kb_plotctx *c, FILE *html, FILE *out, const char *fmt,
			  const char *wl)
{
	bool any = has_metrics(c, wl), text = !strcmp(fmt, "text");

	fprintf(html, "<h2>Workload ");
	kb_esc_html(html, wl);
	if (!any) {
		if (text)
			fprintf(out, "\n%s: no metrics\n", wl);
		fprintf(html, "</h2>\n<p class=note>No metrics (a functional "
			      "guest).</p>\n<table>\n");
		return false;
	}
	fprintf(html, "</h2>\n<table><tr><th class=l>point</th>"
		      "<th class=l>metric</th><th>median</th><th>95%% interval</th>"
		      "<th>CV</th><th>runs</th><th class=l>unit</th></tr>\n");
	if (text)
		fprintf(out, "\n%s\n", wl);
	return true;
}

int kb_plot_tables(struct kb_plotctx *c, FILE *html, FILE *out, const char *fmt)
{
	const char *wl = "";
	bool first = true;

	if (!strcmp(fmt, "json"))
		fprintf(out, "{\"campaigns\": [%s], \"rows\": [", c->in);
	if (!strcmp(fmt, "csv"))
		fprintf(out, "workload,point,metric,unit,median,ci_low,ci_high,cv,n\n");
	for (unsigned pi = 0; pi < c->npoints; pi++) {
		struct row r = {.p = &c->points[pi]};

		if (strcmp(wl, r.p->workload)) {
			if (*wl)
				fprintf(html, "</table>\n");
			wl = r.p->workload;
			if (!workload_head(c, html, out, fmt, wl))
				continue;
		}
		r.workload = wl;
		for (size_t i = 0; i < c->nseries; i++) {
			struct kb_pseries *s = &c->series[i];

			if (s->point != pi)
				continue;
			assert(s->n > 0);
			kb_stats_summarise(s->v, s->n, &r.st); /* sorts s->v */
			kb_median_interval(s->v, s->n, &r.lo, &r.hi);
			r.s = s;
			row_html(html, &r);
			row_out(out, fmt, &r, first);
			first = false;
		}
	}
	if (*wl)
		fprintf(html, "</table>\n");
	if (!strcmp(fmt, "json"))
		fprintf(out, "\n]}\n");
	return ferror(html) ? -1 : 0;
}
