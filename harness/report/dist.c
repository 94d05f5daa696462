/*
 * The report's distribution figures (kb_plot_distributions, see plot.h):
 * per workload, a box of its main metric's runs per point, coloured by the
 * point's paging mode, on an axis from 0 (or a log axis when the points
 * span more than a decade) with the widest spread said under it: a y axis
 * fitted to a 3 % spread would make noise look like differences.
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/stats.h"
#include "common/escape.h"
#include "report/figstyle.h"
#include "report/figure.h"

#define MAX_BOXES 4096

/* The boxes of one workload: its points with the metric, the range of
 * their values, the widest spread (max - min over the median). */
struct dfig {
	unsigned p0, pts[MAX_BOXES], n;
	const char *metric, *unit;
	struct kb_range y;
	double widest;
	unsigned widest_p;
};

/* The points of f->p0's workload with its main metric into f. */
static void dist_points(struct kb_plotctx *c, struct dfig *f)
{
	const char *wl = c->points[f->p0].workload;

	for (unsigned p = f->p0; p < c->npoints && f->n < MAX_BOXES; p++) {
		struct kb_pseries *s =
		    strcmp(c->points[p].workload, wl) ? NULL : kb_plot_series(c, p, f->metric);
		double lo = INFINITY, hi = -INFINITY, med;

		if (!s || !s->n)
			continue;
		f->pts[f->n++] = p;
		f->unit = s->unit;
		for (size_t i = 0; i < s->n; i++) {
			kb_range_add(&f->y, s->v[i]);
			lo = s->v[i] < lo ? s->v[i] : lo;
			hi = s->v[i] > hi ? s->v[i] : hi;
		}
		med = kb_median(s->v, s->n);
		if (med > 0 && (hi - lo) / med > f->widest) {
			f->widest = (hi - lo) / med;
			f->widest_p = p;
		}
	}
}

/* Boxes [from, to) of f as figure fig. */
static int dist_part(struct kb_plotctx *c, FILE *html, const struct dfig *f, const char *fig,
		     const char *title, unsigned from, unsigned to)
{
	const char *label[KB_FIG_MAX_LABELS + 1];
	char ylabel[300], yl[340], *cmd = NULL;
	size_t clen = 0;
	FILE *d = kb_fig_data(c, fig), *gp;

	assert(to - from <= KB_FIG_MAX_LABELS);
	for (unsigned b = from; d && b < to; b++) {
		struct kb_pseries *s = kb_plot_series(c, f->pts[b], f->metric);

		for (size_t i = 0; i < s->n; i++)
			fprintf(d, "%u\t%g\n", b - from, s->v[i]);
		fprintf(d, "\n\n"); /* one data block per point */
		label[b - from] = c->points[f->pts[b]].label;
	}
	if (!d || fclose(d) || !(gp = open_memstream(&cmd, &clen)))
		return -1;
	snprintf(ylabel, sizeof(ylabel), "%s (%s) per run", f->metric, f->unit);
	kb_fig_yaxis(gp, &f->y, ylabel, yl, sizeof(yl));
	kb_fig_xtics(gp, label, to - from, KB_FIG_MAX_LABELS, -35);
	fprintf(gp, "colors = \"");
	for (unsigned b = from; b < to; b++)
		fprintf(gp, "%s%s", b > from ? " " : "",
			kb_fig_paging_color(c->points[f->pts[b]].paging, 0));
	fprintf(gp,
		"\"\nset style fill solid 0.4 border -1\nset style boxplot outliers pointtype 7\n"
		"set boxwidth 0.5\nunset key\nset xrange [-0.7:%u.7]\n"
		"plot for [i=0:%u] data index i using (i):2:(0.5) with boxplot lc rgb "
		"word(colors, i + 1)",
		to - from - 1, to - from - 1);
	if (fclose(gp)) {
		free(cmd);
		return -1;
	}
	struct kb_figspec fs = {fig, title, "point", yl, 900, 380};

	kb_fig_add(c, html, &fs, "%s", cmd);
	free(cmd);
	return 0;
}

/* What the reader needs to read f's boxes right. */
static void dist_note(const struct kb_plotctx *c, FILE *html, const struct dfig *f)
{
	fprintf(html, "<p class=note>A box per point: median, quartiles, whiskers to 1.5 "
		      "interquartile ranges, outliers as dots; blue for two-dimensional paging "
		      "(EPT/NPT), red for shadow paging. ");
	if (kb_range_log(&f->y))
		fprintf(html, "Log y axis: the runs span %.0fx. ", f->y.hi / f->y.lo);
	else
		fprintf(html, "The y axis starts at 0. ");
	kb_html(html, "The widest point, %s, ", c->points[f->widest_p].label);
	fprintf(html, "spans %.1f%% of its median from its fastest to its slowest run.</p>\n",
		f->widest * 100);
}

/* The distribution figures of p0's workload: a box per point, in parts of
 * at most KB_FIG_MAX_LABELS points. */
static int dist_figure(struct kb_plotctx *c, FILE *html, struct dfig *f)
{
	const char *wl = c->points[f->p0].workload;
	char fig[128], name[160], title[300];
	unsigned parts;

	dist_points(c, f);
	assert(f->n > 0); /* p0 has the metric */
	parts = kb_fig_parts(f->n);
	kb_esc_filename(fig, sizeof(fig), "dist", wl, f->p0);
	for (unsigned i = 0; i < parts; i++) {
		unsigned from = kb_fig_part_start(f->n, i), to = kb_fig_part_start(f->n, i + 1);
		int o = snprintf(title, sizeof(title), "%s: %s (%s) per run, by point", wl,
				 f->metric, f->unit);

		if (parts > 1)
			snprintf(title + o, sizeof(title) - (size_t)o, ", points %u-%u of %u",
				 from + 1, to, f->n);
		snprintf(name, sizeof(name), i ? "%s-%u" : "%s", fig, i + 1);
		if (dist_part(c, html, f, name, title, from, to))
			return -1;
	}
	dist_note(c, html, f);
	return 0;
}

int kb_plot_distributions(struct kb_plotctx *c, FILE *html)
{
	struct dfig *f = malloc(sizeof(*f));

	if (!f)
		return -1;
	fprintf(html, "<h2>Distributions</h2>\n");
	for (unsigned p0 = 0; p0 < c->npoints; p0++) {
		if (!kb_plot_workload_first(c, p0))
			continue;
		memset(f, 0, sizeof(*f));
		f->p0 = p0;
		f->metric = c->primary[p0];
		f->y = (struct kb_range)KB_RANGE_EMPTY;
		if (dist_figure(c, html, f)) {
			free(f);
			return -1;
		}
	}
	free(f);
	return 0;
}
