/*
 * The nightly trend page, trend.html (kb_plot_trend, see plot.h): per host
 * and paging mode of the selection's points (never two hosts in one
 * series), its finished nightly campaigns, and per workload the median of
 * its main metric with its 95% interval in each of them, a line per point.
 * A campaign whose median is worse than the previous campaign's by more
 * than compare's default threshold, with the two intervals apart, is a
 * regression: ringed in red on the figure and listed under it.
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/compare.h"
#include "analyze/stats.h"
#include "common/escape.h"
#include "plan/scenario.h"
#include "report/bucket.h"
#include "report/figstyle.h"
#include "report/figure.h"

#define MAX_CAMPAIGNS 512 /* the newest of a host */
#define MAX_COLUMNS 64	  /* points of a workload on the page */
#define MAX_LINES 8	  /* points on one figure: more are split over several */
#define REGRESSION_COLOR "#e00000"

struct tcamp {
	int64_t id;
	char date[11]; /* YYYY-MM-DD */
};

/* A host and paging mode: its nightly campaigns, oldest first. */
struct tgroup {
	unsigned index;
	const char *host, *paging;
	struct tcamp camp[MAX_CAMPAIGNS];
	unsigned nc;
};

struct tcell {
	double med, lo, hi;
	bool reg; /* worse than the previous campaign with a value */
};

/* One workload of a group: its points (columns), each campaign's cells. */
struct tfig {
	const struct tgroup *g;
	unsigned p0, col[MAX_COLUMNS], ncols;
	unsigned from, to; /* the columns of the figure being drawn */
	const char *metric, *unit;
	int dir;
	double threshold; /* a regression: worse by more than this (kb_metric_rule) */
	struct tcell cell[MAX_CAMPAIGNS][MAX_COLUMNS];
	struct kb_range y;
};

/* The nightly campaigns of g's host in which points ran with g's mode, the
 * newest MAX_CAMPAIGNS.  0, or -1 when the query fails. */
static int group_campaigns(struct kb_plotctx *c, struct tgroup *g)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT c.id, substr(c.started, 1, 10) FROM campaigns c JOIN hosts h"
	       " ON h.id = c.host_id WHERE c.kind = 'nightly' AND c.state = 'done'"
	       " AND " KB_REPORT_HOST_OF(
		   "h") " = ?1 AND EXISTS (SELECT 1 FROM runs r WHERE"
			" r.campaign_id = c.id AND r.warmup = 0 AND " KB_SQL_PAGING " = ?2)"
			" ORDER BY c.id DESC LIMIT 512");

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, g->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, g->paging, -1, SQLITE_STATIC);
	for (g->nc = 0; g->nc < MAX_CAMPAIGNS && sqlite3_step(st) == SQLITE_ROW; g->nc++) {
		g->camp[g->nc].id = sqlite3_column_int64(st, 0);
		snprintf(g->camp[g->nc].date, sizeof(g->camp[0].date), "%s",
			 sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	for (unsigned i = 0; i < g->nc / 2; i++) { /* oldest first */
		struct tcamp t = g->camp[i];

		g->camp[i] = g->camp[g->nc - 1 - i];
		g->camp[g->nc - 1 - i] = t;
	}
	return 0;
}

/* The index of campaign id in g, or g->nc. */
static unsigned campaign_index(const struct tgroup *g, int64_t id)
{
	unsigned lo = 0, hi = g->nc;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (g->camp[mid].id == id)
			return mid;
		if (g->camp[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return g->nc;
}

/* Whether point p is g's. */
static bool in_group(const struct kb_plotctx *c, const struct tgroup *g, unsigned p)
{
	return !strcmp(c->points[p].host, g->host) && !strcmp(c->points[p].paging, g->paging);
}

/* The values of f's columns in g's campaigns into b (point: campaign *
 * MAX_COLUMNS + column).  0, or -1 (query failed; out of memory). */
static int trend_values(struct kb_plotctx *c, const struct tfig *f, struct kb_buckets *b)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT r.campaign_id, r.point_key, m.value FROM runs r JOIN campaigns c"
	       " ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id JOIN metrics m"
	       " ON m.run_id = r.id WHERE c.kind = 'nightly' AND c.state = 'done'"
	       " AND " KB_REPORT_HOST_OF("h") " = ?1 AND " KB_SQL_PAGING " = ?2 AND r.workload = ?3"
					      " AND m.name = ?4 AND r.warmup = 0 AND r.status = "
					      "'pass' AND m.value IS NOT NULL");
	int rc = st ? 0 : -1;

	if (st) {
		sqlite3_bind_text(st, 1, f->g->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->g->paging, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, c->points[f->p0].workload, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, f->metric, -1, SQLITE_STATIC);
	}
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		unsigned k = campaign_index(f->g, sqlite3_column_int64(st, 0)), i = 0;
		const char *key = (const char *)sqlite3_column_text(st, 1);

		while (i < f->ncols && strcmp(c->points[f->col[i]].pkey, key))
			i++;
		if (k < f->g->nc && i < f->ncols)
			rc = kb_bucket_add(b, k * MAX_COLUMNS + i, "", NULL,
					   sqlite3_column_double(st, 2));
	}
	sqlite3_finalize(st);
	return rc;
}

/* Whether cell x is worse than the earlier cell a: past the threshold in
 * the metric's direction, the intervals apart. */
static bool regressed(const struct tfig *f, const struct tcell *a, const struct tcell *x)
{
	if (f->dir < 0)
		return x->lo > a->hi && x->med > a->med * (1 + f->threshold);
	return f->dir > 0 && x->hi < a->lo && x->med < a->med * (1 - f->threshold);
}

/* f's cells from the values in b: medians, intervals, regressions. */
static void trend_cells(struct tfig *f, struct kb_buckets *b)
{
	for (unsigned k = 0; k < f->g->nc; k++)
		for (unsigned i = 0; i < f->ncols; i++)
			f->cell[k][i] = (struct tcell){NAN, NAN, NAN, false};
	for (size_t j = 0; j < b->n; j++) {
		struct kb_pseries *s = &b->s[j];
		struct tcell *x = &f->cell[s->point / MAX_COLUMNS][s->point % MAX_COLUMNS];
		struct kb_summary_stats st;

		kb_stats_summarise(s->v, s->n, &st); /* sorts the values */
		kb_median_interval(s->v, s->n, &x->lo, &x->hi);
		x->med = st.median;
		kb_range_add(&f->y, x->lo);
		kb_range_add(&f->y, x->hi);
	}
	for (unsigned i = 0; i < f->ncols; i++)
		for (unsigned k = 1, prev = 0; k < f->g->nc; k++) {
			struct tcell *x = &f->cell[k][i];

			if (isnan(x->med))
				continue;
			x->reg = !isnan(f->cell[prev][i].med) && regressed(f, &f->cell[prev][i], x);
			prev = k;
		}
}

/* The figure's data file: a row per campaign; per column its median, low,
 * high and (a regression) the median again, "?" for none. */
static int trend_data(struct kb_plotctx *c, const char *fig, const struct tfig *f)
{
	FILE *d = kb_fig_data(c, fig);

	if (!d)
		return -1;
	fprintf(d, "# x\tcampaign\tdate");
	for (unsigned i = f->from; i < f->to; i++) {
		fprintf(d, "\t");
		kb_esc_gpdata(d, c->points[f->col[i]].label);
		fprintf(d, ": median\tlow\thigh\tregression");
	}
	fprintf(d, "\n");
	for (unsigned k = 0; k < f->g->nc; k++) {
		fprintf(d, "%u\t%lld\t", k, (long long)f->g->camp[k].id);
		kb_esc_gpdata(d, f->g->camp[k].date);
		for (unsigned i = f->from; i < f->to; i++) {
			const struct tcell *x = &f->cell[k][i];

			if (isnan(x->med))
				fprintf(d, "\t?\t?\t?\t?");
			else if (x->reg)
				fprintf(d, "\t%g\t%g\t%g\t%g", x->med, x->lo, x->hi, x->med);
			else
				fprintf(d, "\t%g\t%g\t%g\t?", x->med, x->lo, x->hi);
		}
		fprintf(d, "\n");
	}
	return fclose(d) ? -1 : 0;
}

/* The x axis: a campaign per place, labelled "#ID DATE", thinned so that
 * labels never overlap. */
static void trend_xaxis(FILE *gp, const struct tgroup *g)
{
	char(*lab)[48] = calloc(g->nc ? g->nc : 1, sizeof(*lab));
	const char **label = calloc(g->nc ? g->nc : 1, sizeof(*label));

	for (unsigned k = 0; lab && label && k < g->nc; k++) {
		snprintf(lab[k], sizeof(lab[0]), "#%lld %s", (long long)g->camp[k].id,
			 g->camp[k].date);
		label[k] = lab[k];
	}
	if (lab && label)
		kb_fig_xtics(gp, label, g->nc, 20, -35);
	fprintf(gp, "set xrange [-0.5:%u.5]\nset datafile missing \"?\"\n", g->nc - 1);
	fprintf(gp, "set key below noenhanced\nset grid xtics ytics\n");
	free(lab);
	free(label);
}

/* The plot command: per column its medians with their intervals, and its
 * regressions ringed in red. */
static void trend_plot(struct kb_plotctx *c, FILE *gp, const struct tfig *f)
{
	char q[420];
	bool keyed = false;

	fprintf(gp, "plot ");
	for (unsigned i = f->from; i < f->to; i++)
		fprintf(gp,
			"%sdata using 1:%u:%u:%u with yerrorlines pt 7 ps 0.7 lc rgb '%s' "
			"title %s",
			i > f->from ? ", \\\n     " : "", 4 + 4 * (i - f->from),
			5 + 4 * (i - f->from), 6 + 4 * (i - f->from), kb_fig_series_color(i),
			kb_esc_gp(q, sizeof(q), c->points[f->col[i]].label));
	for (unsigned i = f->from; i < f->to; i++) {
		bool any = false;

		for (unsigned k = 0; k < f->g->nc; k++)
			any |= f->cell[k][i].reg;
		if (!any)
			continue;
		fprintf(gp,
			", \\\n     data using 1:%u with points pt 6 ps 2.4 lw 2.5 lc rgb '%s' "
			"%s",
			7 + 4 * (i - f->from), REGRESSION_COLOR,
			keyed ? "notitle" : "title 'regression (worse than the campaign before)'");
		keyed = true;
	}
}

/* Under the figure: its regressions, or that there are none. */
static void trend_regressions(struct kb_plotctx *c, FILE *html, const struct tfig *f)
{
	unsigned nreg = 0;

	for (unsigned i = f->from; i < f->to; i++)
		for (unsigned k = 0; k < f->g->nc; k++)
			nreg += f->cell[k][i].reg;
	if (!f->dir && kb_metric_default_direction(f->unit)) {
		kb_html(html,
			"<p class=note>Not judged: the scenario sets <code>[metric.%s] direction = "
			"none</code>.</p>\n",
			f->metric);
		return;
	}
	if (!f->dir) {
		kb_html(html,
			"<p class=note>Not judged: %s has no better direction (its unit is %s; a "
			"scenario gives one with <code>[metric.%s] direction</code>).</p>\n",
			f->metric, f->unit[0] ? f->unit : "none", f->metric);
		return;
	}
	if (!nreg) {
		fprintf(html,
			"<p class=note>No regression: no campaign is worse than the one "
			"before it by more than %g%% with their 95%% intervals apart.</p>\n",
			f->threshold * 100);
		return;
	}
	fprintf(html,
		"<p class=regressions>Regressions (worse than the campaign before by "
		"more than %g%%, 95%% intervals apart):</p>\n<ul class=regressions>\n",
		f->threshold * 100);
	for (unsigned i = f->from; i < f->to; i++)
		for (unsigned k = 1, prev = 0; k < f->g->nc; k++) {
			const struct tcell *x = &f->cell[k][i], *a = &f->cell[prev][i];

			if (isnan(x->med))
				continue;
			if (x->reg) {
				fprintf(html, "<li data-campaign=\"%lld\" data-point=\"",
					(long long)f->g->camp[k].id);
				kb_html(html, "%s\">", c->points[f->col[i]].label);
				fprintf(html, "campaign #%lld (", (long long)f->g->camp[k].id);
				kb_html(html, "%s): %s ", f->g->camp[k].date,
					c->points[f->col[i]].label);
				fprintf(html, "%+.1f%%: %.6g ", (x->med / a->med - 1) * 100,
					x->med);
				kb_html(html, "%s", f->unit);
				fprintf(html,
					" [%.6g, %.6g] against %.6g [%.6g, %.6g] in #%lld</li>\n",
					x->lo, x->hi, a->med, a->lo, a->hi,
					(long long)f->g->camp[prev].id);
			}
			prev = k;
		}
	fprintf(html, "</ul>\n");
}

/* Part i of nparts of f's figure: columns [f->from, f->to); its data,
 * axes, plot and regressions. */
static int trend_part(struct kb_plotctx *c, FILE *html, const struct tfig *f, unsigned i,
		      unsigned nparts)
{
	const struct kb_ppoint *p0 = &c->points[f->p0];
	char prefix[32], fig[160], title[400], ylabel[300], yl[340], *cmd = NULL;
	size_t clen = 0;
	FILE *gp;
	int o;

	snprintf(prefix, sizeof(prefix), f->g->index ? "trend.h%u" : "trend", f->g->index + 1);
	kb_esc_filename(fig, sizeof(fig), prefix, p0->workload, f->p0);
	if (i)
		snprintf(fig + strlen(fig), sizeof(fig) - strlen(fig), "-%u", i + 1);
	if (trend_data(c, fig, f) || !(gp = open_memstream(&cmd, &clen)))
		return -1;
	snprintf(ylabel, sizeof(ylabel), "%s (%s), median and 95%% interval", f->metric, f->unit);
	kb_fig_yaxis(gp, &f->y, ylabel, yl, sizeof(yl));
	trend_xaxis(gp, f->g);
	trend_plot(c, gp, f);
	if (fclose(gp)) {
		free(cmd);
		return -1;
	}
	o = snprintf(title, sizeof(title), "%s on %s (%s paging): median %s per nightly campaign",
		     p0->workload, f->g->host, f->g->paging, f->metric);
	if (nparts > 1 && o > 0 && (size_t)o < sizeof(title))
		snprintf(title + o, sizeof(title) - (size_t)o, ", points %u-%u of %u", f->from + 1,
			 f->to, f->ncols);
	struct kb_figspec fs = {fig, title, "nightly campaign (id and date)", yl, 900, 420};

	kb_fig_add(c, html, &fs, "%s", cmd);
	free(cmd);
	trend_regressions(c, html, f);
	return 0;
}

/* The figures of f (columns set): its cells, then parts of at most
 * MAX_LINES points, near-equal in size. */
static int trend_figure(struct kb_plotctx *c, FILE *html, struct tfig *f)
{
	struct kb_buckets b = {.n = 0};
	unsigned nparts = (f->ncols + MAX_LINES - 1) / MAX_LINES;
	int rc = trend_values(c, f, &b);

	if (!rc)
		trend_cells(f, &b);
	kb_bucket_free(&b);
	for (unsigned i = 0; !rc && i < nparts; i++) {
		f->from = f->ncols * i / nparts;
		f->to = f->ncols * (i + 1) / nparts;
		rc = trend_part(c, html, f, i, nparts);
	}
	return rc;
}

/* The figures of group g: one per workload of its points with a main
 * metric, a column per point of the workload (MAX_COLUMNS at most). */
static int group_figures(struct kb_plotctx *c, FILE *html, const struct tgroup *g, struct tfig *f)
{
	/* the newest campaign's scenario says how its metrics are judged */
	struct kb_scenario *sc = malloc(sizeof(*sc));

	if (!sc)
		return -1;
	kb_metric_rules_load(c->db, NULL, g->camp[g->nc - 1].id, sc);
	for (unsigned p0 = 0; p0 < c->npoints; p0++) {
		bool first = in_group(c, g, p0) && c->primary[p0][0];

		for (unsigned q = 0; first && q < p0; q++)
			first = !in_group(c, g, q) ||
				strcmp(c->points[q].workload, c->points[p0].workload);
		if (!first)
			continue;
		memset(f, 0, sizeof(*f));
		f->g = g;
		f->p0 = p0;
		f->metric = c->primary[p0];
		f->y = (struct kb_range)KB_RANGE_EMPTY;
		for (unsigned p = p0; p < c->npoints && f->ncols < MAX_COLUMNS; p++)
			if (in_group(c, g, p) &&
			    !strcmp(c->points[p].workload, c->points[p0].workload))
				f->col[f->ncols++] = p;
		f->unit = kb_plot_series(c, p0, f->metric)->unit;
		f->dir = kb_metric_rule(sc, f->metric, f->unit, c->threshold, &f->threshold);
		if (trend_figure(c, html, f)) {
			free(sc);
			return -1;
		}
	}
	free(sc);
	return 0;
}

/* The heading of group g's section: which host and mode, which campaigns. */
static void group_head(FILE *html, const struct tgroup *g)
{
	kb_html(html, "<h2 data-host=\"%s\" data-paging=\"%s\">", g->host, g->paging);
	kb_html(html, "Host %s, %s paging: ", g->host, g->paging);
	fprintf(html, "%u nightly campaign%s", g->nc, g->nc == 1 ? "" : "s");
	if (g->nc)
		kb_html(html, ", %s", g->camp[0].date);
	if (g->nc > 1)
		kb_html(html, " to %s", g->camp[g->nc - 1].date);
	fprintf(html, "</h2>\n<p class=note>Campaigns");
	for (unsigned k = 0; k < g->nc; k++)
		fprintf(html, "%s %lld", k ? "," : "", (long long)g->camp[k].id);
	fprintf(html, "%s</p>\n", g->nc ? "." : ": none.");
	if (g->nc < 2)
		fprintf(html, "<p>Fewer than two nightly campaigns: no trend yet.</p>\n");
}

/* The sections of the page: a group per host and paging mode of the
 * points, in the order they come.  0, or -1. */
static int trend_groups(struct kb_plotctx *c, FILE *html)
{
	struct tgroup *g = malloc(sizeof(*g));
	struct tfig *f = malloc(sizeof(*f));
	int rc = g && f ? 0 : -1;

	for (unsigned p = 0, n = 0; !rc && p < c->npoints; p++) {
		unsigned q = 0;

		g->host = c->points[p].host;
		g->paging = c->points[p].paging;
		while (q < p && !in_group(c, g, q))
			q++;
		if (q < p)
			continue; /* its group came before */
		g->index = n++;
		rc = group_campaigns(c, g);
		if (!rc)
			group_head(html, g);
		if (!rc && g->nc >= 2)
			rc = group_figures(c, html, g, f);
	}
	free(g);
	free(f);
	return rc;
}

int kb_plot_trend(struct kb_plotctx *c, char *err, size_t errlen)
{
	char path[1300];
	FILE *html;
	int rc;

	snprintf(path, sizeof(path), "%s/trend.html", c->dir);
	if (!(html = fopen(path, "we"))) {
		snprintf(err, errlen, "%s: cannot write", path);
		return -1;
	}
	kb_page_start(html, "Nightly trend");
	fprintf(html,
		"<p><a href=\"index.html\">Back to the "
		"report</a>. A section per host and paging mode, never two hosts in one line: "
		"each point's median with its 95%% interval in each nightly campaign. A red ring "
		"marks a regression, a campaign worse than the one before it by more than %g%% "
		"(report --threshold; make nightly passes its THRESHOLD; a scenario's "
		"[metric.NAME] threshold and direction hold for that metric) with the two "
		"intervals apart.</p>\n",
		c->threshold * 100);
	rc = trend_groups(c, html);
	fprintf(html, "</body></html>\n");
	if (fclose(html) || rc) {
		snprintf(err, errlen, "%s: writing the trend failed%s%s", path,
			 c->err[0] ? ": " : "", c->err);
		return -1;
	}
	return 0;
}
