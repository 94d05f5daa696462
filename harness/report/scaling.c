/*
 * The report's scaling figures (kb_plot_scaling, see plot.h): per
 * workload, its main metric's median and 95% interval against the number
 * of vCPUs on a numeric axis (log2 when it spans 8x or more).  One series
 * per host and paging mode and per topology family: flat "N" topologies as
 * a line, sockets x cores x threads shapes as separate labelled points;
 * and per host and mode an ideal-scaling line: flat at the smallest vCPU
 * count's median for a lower-is-better metric (cycles, ns per iteration),
 * proportional to vCPUs for a rate (a unit ending "/s").
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/stats.h"
#include "common/escape.h"
#include "plan/scenario.h"
#include "analyze/output.h"
#include "report/figstyle.h"
#include "report/figure.h"

#define MAX_SPOINTS 512
#define MAX_GROUPS 16

/* A point of the figure: its place and its median with the interval. */
struct spoint {
	unsigned p, group;
	int vcpus;
	bool shape; /* sockets x cores x threads, not a flat "N" */
	double med, lo, hi;
};

/* A host and paging mode of the figure, and its ideal's base point. */
struct sgroup {
	const char *host, *paging;
	char rest[300];	  /* the point's other parameters: a series per value of them */
	unsigned variant; /* series before it with the same mode: another shade */
	double base_med;
	int base_vcpus;
};

struct sfig {
	unsigned p0;
	const char *metric, *unit;
	int dir; /* kb_metric_default_direction() of the unit */
	struct spoint pt[MAX_SPOINTS];
	unsigned n;
	struct sgroup g[MAX_GROUPS];
	unsigned ng;
	int vcpus[MAX_SPOINTS]; /* the distinct vCPU counts, ascending */
	unsigned nvcpus;
	char nudge[48]; /* x of a shape: beside a flat point of its count */
	struct kb_range y;
	unsigned dropped; /* points past MAX_GROUPS series or MAX_SPOINTS: said under it */
};

/* params without its topology= and paging= words, into buf. */
static void rest_of(const char *params, char *buf, size_t len)
{
	static const char *const axes[] = {"topology", "paging", NULL};

	kb_params_without(params, axes, buf, len);
}

/* The group of point p (a series: its host, its mode and the values of its
 * other parameters, so that points differing in memory, say, are never one
 * zig-zag line), added when new; MAX_GROUPS when there is no room. */
static unsigned group_of(struct sfig *f, const struct kb_ppoint *p)
{
	unsigned g = 0, variant = 0;
	char rest[300];

	rest_of(p->params, rest, sizeof(rest));
	for (; g < f->ng; g++) {
		if (!strcmp(f->g[g].host, p->host) && !strcmp(f->g[g].paging, p->paging) &&
		    !strcmp(f->g[g].rest, rest))
			return g;
		variant += !strcmp(f->g[g].paging, p->paging);
	}
	if (g == MAX_GROUPS)
		return g;
	f->g[f->ng] = (struct sgroup){p->host, p->paging, "", variant, NAN, 0};
	snprintf(f->g[f->ng++].rest, sizeof(rest), "%s", rest);
	return g;
}

/* Point p's median and interval into s.  0, or -1 out of memory. */
static int summarise(struct spoint *s, const struct kb_pseries *ser)
{
	double *v = malloc(ser->n * sizeof(*v));
	struct kb_summary_stats st;

	if (!v)
		return -1;
	memcpy(v, ser->v, ser->n * sizeof(*v));
	kb_stats_summarise(v, ser->n, &st);
	kb_median_interval(v, ser->n, &s->lo, &s->hi);
	s->med = st.median;
	free(v);
	return 0;
}

static int cmp_spoint(const void *a, const void *b)
{
	const struct spoint *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->shape != y->shape)
		return x->shape ? 1 : -1;
	if (x->vcpus != y->vcpus)
		return x->vcpus < y->vcpus ? -1 : 1;
	return x->p < y->p ? -1 : x->p > y->p;
}

/* The points of f->p0's workload with its metric into f, by group, family
 * and vCPUs.  Their count (0 unless two topologies or more), or -1. */
static int collect(struct kb_plotctx *c, struct sfig *f)
{
	const struct kb_ppoint *p0 = &c->points[f->p0];
	bool varied = false;

	for (unsigned p = f->p0; p < c->npoints; p++) {
		struct kb_pseries *s = strcmp(c->points[p].workload, p0->workload)
					   ? NULL
					   : kb_plot_series(c, p, f->metric);
		struct spoint *sp = &f->pt[f->n < MAX_SPOINTS ? f->n : 0];

		if (!s)
			continue;
		if (f->n == MAX_SPOINTS || (sp->group = group_of(f, &c->points[p])) == MAX_GROUPS) {
			f->dropped++;
			continue;
		}
		sp->p = p;
		sp->vcpus = c->points[p].vcpus;
		sp->shape = strchr(c->points[p].topology, 'x') != NULL;
		if (summarise(sp, s))
			return -1;
		f->unit = s->unit;
		varied |= strcmp(c->points[p].topology, p0->topology) != 0;
		f->n++;
	}
	if (!varied || f->n < 2)
		return 0;
	qsort(f->pt, f->n, sizeof(f->pt[0]), cmp_spoint);
	return (int)f->n;
}

/* Each group's ideal base (its smallest flat point, else its smallest
 * shape: the first by the sort), the distinct vCPU counts and the y range
 * of the medians, intervals and ideal lines. */
static void measure(struct sfig *f)
{
	f->dir = kb_metric_default_direction(f->unit);
	for (unsigned i = 0; i < f->n; i++) {
		struct spoint *s = &f->pt[i];
		struct sgroup *g = &f->g[s->group];
		unsigned k = 0;

		if (isnan(g->base_med) || (!s->shape && s->vcpus < g->base_vcpus)) {
			g->base_med = s->med;
			g->base_vcpus = s->vcpus;
		}
		while (k < f->nvcpus && f->vcpus[k] < s->vcpus)
			k++;
		if (k == f->nvcpus || f->vcpus[k] != s->vcpus) {
			memmove(&f->vcpus[k + 1], &f->vcpus[k], (f->nvcpus - k) * sizeof(int));
			f->vcpus[k] = s->vcpus;
			f->nvcpus++;
		}
		kb_range_add(&f->y, s->lo);
		kb_range_add(&f->y, s->hi);
		kb_range_add(&f->y, s->med);
	}
	for (unsigned i = 0; i < f->n; i++) {
		const struct sgroup *g = &f->g[f->pt[i].group];

		if (f->dir > 0 && g->base_vcpus > 0)
			kb_range_add(&f->y, g->base_med * f->pt[i].vcpus / g->base_vcpus);
	}
}

/* Group g's ideal at v vCPUs. */
static double ideal(const struct sfig *f, const struct sgroup *g, int v)
{
	if (f->dir > 0 && g->base_vcpus > 0)
		return g->base_med * v / g->base_vcpus;
	return g->base_med;
}

/* The blocks of group g to d (flat, shapes, ideal; an empty one left out),
 * their indexes into blk[3] (-1: none); the next block index. */
static int write_group(struct kb_plotctx *c, FILE *d, const struct sfig *f, unsigned g, int next,
		       int blk[3])
{
	for (int fam = 0; fam < 2; fam++) {
		blk[fam] = -1;
		for (unsigned i = 0; i < f->n; i++) {
			const struct spoint *s = &f->pt[i];

			if (s->group != g || s->shape != (fam == 1))
				continue;
			if (blk[fam] < 0)
				blk[fam] = next++;
			fprintf(d, "%d\t%g\t%g\t%g\t", s->vcpus, s->med, s->lo, s->hi);
			kb_esc_gpdata(d, c->points[s->p].topology);
			fputc('\n', d);
		}
		if (blk[fam] >= 0)
			fprintf(d, "\n\n");
	}
	blk[2] = next++;
	for (unsigned k = 0; k < f->nvcpus; k++) {
		double y = ideal(f, &f->g[g], f->vcpus[k]);

		fprintf(d, "%d\t%g\t%g\t%g\tideal\n", f->vcpus[k], y, y, y);
	}
	fprintf(d, "\n\n");
	return next;
}

/* The x axis: vCPUs, log2 when they span 8x or more, a tic at each count
 * (every k-th labelled when there are many); f->nudge for it. */
static void xaxis(FILE *gp, struct sfig *f)
{
	int lo = f->vcpus[0], hi = f->vcpus[f->nvcpus - 1];
	bool lg = lo > 0 && hi >= 8 * lo;
	/* a label where it is at least 1/KB_FIG_MAX_LABELS of the axis from the
	 * one before and the last: on a log axis the counts crowd at the top */
	double span = lg ? log2(hi) - log2(lo) : hi - lo, last = -INFINITY;
	double sep = span / KB_FIG_MAX_LABELS, top = lg ? log2(hi) : hi;

	if (lg) {
		fprintf(gp, "set logscale x 2\nset xrange [%g:%g]\n", lo / 1.4, hi * 1.4);
		snprintf(f->nudge, sizeof(f->nudge), "($1*1.05)");
	} else {
		fprintf(gp, "set xrange [%g:%g]\n", lo - 0.5, hi + 0.5);
		snprintf(f->nudge, sizeof(f->nudge), "($1+%g)", 0.015 * (hi - lo + 1));
	}
	fprintf(gp, "set xtics (");
	for (unsigned i = 0; i < f->nvcpus; i++) {
		double x = lg ? log2(f->vcpus[i]) : f->vcpus[i];

		if (i + 1 < f->nvcpus && (x - last < sep || top - x < sep))
			continue;
		fprintf(gp, "%s\"%d\" %d", last > -INFINITY ? ", " : "", f->vcpus[i], f->vcpus[i]);
		last = x;
	}
	fprintf(gp, ")\nset grid xtics ytics\nset key below noenhanced\n");
}

/* The plot elements of group g (blocks blk) to gp. */
static void plot_group(FILE *gp, const struct sfig *f, unsigned g, const int blk[3], bool first)
{
	const struct sgroup *gr = &f->g[g];
	const char *col = kb_fig_paging_color(gr->paging, gr->variant);
	char who[200], q[600], t[400];

	who[0] = 0;
	if (f->ng > 1) {
		const char *all[MAX_GROUPS];
		char part[300];

		for (unsigned i = 0; i < f->ng; i++)
			all[i] = f->g[i].rest;
		kb_params_part(gr->rest, all, f->ng, false, part, sizeof(part));
		if (!strcmp(part, "-")) /* nothing tells it apart but host and mode */
			part[0] = 0;
		snprintf(who, sizeof(who), "%s @%s%s%s: ", gr->paging, gr->host, part[0] ? " " : "",
			 part);
	}
	fprintf(gp, "%s", first ? "plot " : ", \\\n     ");
	if (blk[0] >= 0) {
		snprintf(t, sizeof(t), "%sflat N vCPUs (median, 95%% interval)", who);
		fprintf(gp,
			"data index %d using 1:2:3:4 with yerrorlines lw 1.5 pt 7 lc rgb '%s' "
			"title %s, \\\n     ",
			blk[0], col, kb_esc_gp(q, sizeof(q), t));
	}
	if (blk[1] >= 0) {
		snprintf(t, sizeof(t), "%ssockets x cores x threads (median, 95%% interval)", who);
		fprintf(gp,
			"data index %d using %s:2:3:4 with yerrorbars pt 5 ps 1.2 lc rgb '%s' "
			"title %s, \\\n     data index %d using %s:2:5 with labels left offset "
			"char 0.8,0 font \",8\" tc rgb '%s' noenhanced notitle, \\\n     ",
			blk[1], f->nudge, col, kb_esc_gp(q, sizeof(q), t), blk[1], f->nudge, col);
	}
	snprintf(t, sizeof(t), "%sideal: %s", who,
		 f->dir > 0 ? "proportional to vCPUs" : "flat (no cost added per vCPU)");
	fprintf(gp, "data index %d using 1:2 with lines dt 2 lw 1.2 lc rgb '%s' title %s", blk[2],
		col, kb_esc_gp(q, sizeof(q), t));
}

/* The figure of f (collected, measured): data, axes and plot. */
static int scaling_figure(struct kb_plotctx *c, FILE *html, struct sfig *f)
{
	const struct kb_ppoint *p0 = &c->points[f->p0];
	char fig[128], title[400], ylabel[300], yl[340], *cmd = NULL;
	size_t clen = 0;
	int blk[MAX_GROUPS][3], next = 0;
	FILE *d, *gp;

	kb_esc_filename(fig, sizeof(fig), "scaling", p0->workload, f->p0);
	if (!(d = kb_fig_data(c, fig)))
		return -1;
	fprintf(d, "# vcpus\tmedian\tlow\thigh\ttopology\n");
	for (unsigned g = 0; g < f->ng; g++)
		next = write_group(c, d, f, g, next, blk[g]);
	if (fclose(d) || !(gp = open_memstream(&cmd, &clen)))
		return -1;
	snprintf(ylabel, sizeof(ylabel), "%s (%s), median", f->metric, f->unit);
	kb_fig_yaxis(gp, &f->y, ylabel, yl, sizeof(yl));
	xaxis(gp, f);
	for (unsigned g = 0; g < f->ng; g++)
		plot_group(gp, f, g, blk[g], g == 0);
	if (fclose(gp)) {
		free(cmd);
		return -1;
	}
	if (f->ng == 1)
		snprintf(title, sizeof(title), "%s: median %s over vCPUs (%s @%s)", p0->workload,
			 f->metric, f->g[0].paging, f->g[0].host);
	else
		snprintf(
		    title, sizeof(title),
		    "%s: median %s over vCPUs, a line per paging mode, host and other parameters",
		    p0->workload, f->metric);
	struct kb_figspec fs = {fig, title, "vCPUs", yl, 900, 460};

	kb_fig_add(c, html, &fs, "%s", cmd);
	free(cmd);
	if (f->dropped)
		kb_html(
		    html,
		    "<p class=bad>%u points of %s are not drawn: a scaling figure holds %d series "
		    "(host, mode and other parameters) and %d points; the workload's table has "
		    "them all.</p>\n",
		    f->dropped, p0->workload, MAX_GROUPS, MAX_SPOINTS);
	return 0;
}

int kb_plot_scaling(struct kb_plotctx *c, FILE *html)
{
	bool any = false;
	struct sfig *f = malloc(sizeof(*f));

	if (!f)
		return -1;
	fprintf(html, "<h2>Scaling over vCPUs and topology</h2>\n");
	for (unsigned p0 = 0; p0 < c->npoints; p0++) {
		int n;

		if (!kb_plot_workload_first(c, p0))
			continue;
		memset(f, 0, sizeof(*f));
		f->p0 = p0;
		f->metric = c->primary[p0];
		f->y = (struct kb_range)KB_RANGE_EMPTY;
		if ((n = collect(c, f)) < 0 ||
		    (n > 0 && (measure(f), scaling_figure(c, html, f)))) {
			free(f);
			return -1;
		}
		any |= n > 0;
	}
	free(f);
	if (!any)
		fprintf(html, "<p class=note>No workload ran on more than one topology.</p>\n");
	return 0;
}
