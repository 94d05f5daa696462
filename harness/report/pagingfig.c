/*
 * The paging comparison's figures and headline (see paging.h): the shadow /
 * TDP ratio per pair of points with its 95% interval on a log axis against
 * a reference line at 1, and the MMU statistics of both modes as grouped
 * bars on a log axis.  TDP is always KB_PG_TDP_COLOUR, shadow
 * KB_PG_SHADOW_COLOUR, the ratio KB_PG_RATIO_COLOUR.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "report/figure.h"
#include "report/paging.h"

/* "3.21", "15.3", "240": a ratio as it reads. */
const char *kb_pg_num(double x, char buf[24])
{
	snprintf(buf, 24, x < 9.995 ? "%.2f" : x < 99.95 ? "%.1f" : "%.0f", x);
	return buf;
}

/* Pair p's change as "slower" or "faster" for its metric's direction: the
 * factor and its interval (>= 1), or 0 when the interval holds 1. */
static int factor(const struct kb_pgpair *p, double *f, double *lo, double *hi)
{
	/* time-like metrics (lower is better): shadow / TDP is the slowdown */
	double s = p->dir > 0 ? 1 / p->ratio : p->ratio;
	double slo = p->dir > 0 ? 1 / p->hi : p->lo, shi = p->dir > 0 ? 1 / p->lo : p->hi;

	if (slo > 1) {
		*f = s, *lo = slo, *hi = shi;
		return 1;
	}
	if (shi < 1) {
		*f = 1 / s, *lo = 1 / shi, *hi = 1 / slo;
		return -1;
	}
	*f = p->ratio, *lo = p->lo, *hi = p->hi;
	return 0;
}

/* The sentence for one pair p of workload w. */
static void one_pair(FILE *f, const struct kb_pgset *s, const struct kb_pgpair *p, const char *w)
{
	char a[24], b[24], x[24];
	double fa, lo, hi;
	int d = factor(p, &fa, &lo, &hi);

	if (d)
		kb_html(f, "shadow is <b>%sx %s</b> than %s on %s", kb_pg_num(fa, x),
			d > 0 ? "slower" : "faster", s->tdp_name, w);
	else
		kb_html(f, "no clear difference between shadow and %s on %s (shadow / %s %s",
			s->tdp_name, w, s->tdp_name, kb_pg_num(fa, x));
	kb_html(f, "%s95%% interval %s&ndash;%s; %s)", d ? " (" : ", ", kb_pg_num(lo, a),
		kb_pg_num(hi, b), p->metric);
}

/* The sentence for the k pairs p[0..k) of workload w, all with a ratio. */
static void some_pairs(FILE *f, const struct kb_pgset *s, const struct kb_pgpair *const *p,
		       unsigned k, const char *w)
{
	double mn = INFINITY, mx = 0, lmin = INFINITY, hmax = 0, fa, lo, hi;
	int dir = 2;
	char a[24], b[24], x[24], y[24], n[16];

	for (unsigned i = 0; i < k; i++) {
		int d = factor(p[i], &fa, &lo, &hi);

		dir = dir == 2 || dir == d ? d : 3;
		mn = fmin(mn, fa), mx = fmax(mx, fa), lmin = fmin(lmin, lo), hmax = fmax(hmax, hi);
	}
	snprintf(n, sizeof(n), "%u", k);
	kb_pg_num(mn, x);
	kb_pg_num(mx, y);
	if (dir == 1 || dir == -1)
		kb_html(f, "shadow is <b>%sx%s%s%s %s</b> than %s on %s", x,
			strcmp(x, y) ? " to " : "", strcmp(x, y) ? y : "", strcmp(x, y) ? "x" : "",
			dir > 0 ? "slower" : "faster", s->tdp_name, w);
	else if (dir == 0)
		kb_html(f, "no clear difference between shadow and %s on %s (shadow / %s %s%s%s",
			s->tdp_name, w, s->tdp_name, x, strcmp(x, y) ? " to " : "",
			strcmp(x, y) ? y : "");
	if (dir != 3) {
		kb_html(f, "%s%s points; 95%% intervals within %s&ndash;%s; %s)", dir ? " (" : ", ",
			n, kb_pg_num(lmin, a), kb_pg_num(hmax, b), p[0]->metric);
		return;
	}
	mn = INFINITY, mx = 0;
	for (unsigned i = 0; i < k; i++)
		mn = fmin(mn, p[i]->ratio), mx = fmax(mx, p[i]->ratio);
	kb_html(f,
		"on %s, shadow / %s ranges from %s to %s over %s points, not all clearly "
		"different from 1 (%s)",
		w, s->tdp_name, kb_pg_num(mn, x), kb_pg_num(mx, y), n, p[0]->metric);
}

/* The headline of workload w: its pairs' ratios in one sentence. */
static void headline(FILE *f, const struct kb_plotctx *c, const struct kb_pgset *s, const char *w)
{
	const struct kb_pgpair **p = calloc(s->n, sizeof(*p));
	unsigned k = 0, none = 0;
	const char *why = NULL;

	for (unsigned i = 0; p && i < s->n; i++) {
		if (strcmp(c->points[s->p[i].point[KB_PG_TDP]].workload, w))
			continue;
		if (isnan(s->p[i].ratio))
			none++, why = s->p[i].why;
		else
			p[k++] = &s->p[i];
	}
	fprintf(f, "<li>");
	if (k == 1)
		one_pair(f, s, p[0], w);
	else if (k > 1)
		some_pairs(f, s, p, k, w);
	if (none)
		kb_html(f, "%s%s: no ratio (%s)", k ? "; " : "", w, why ? why : "");
	fprintf(f, "</li>\n");
	free(p);
}

void kb_pg_headlines(FILE *f, const struct kb_plotctx *c, const struct kb_pgset *s)
{
	fprintf(f, "<ul class=headline>\n");
	for (unsigned i = 0; i < s->n; i++) {
		const char *w = c->points[s->p[i].point[KB_PG_TDP]].workload;
		bool seen = false;

		for (unsigned j = 0; j < i && !seen; j++)
			seen = !strcmp(c->points[s->p[j].point[KB_PG_TDP]].workload, w);
		if (!seen)
			headline(f, c, s, w);
	}
	fprintf(f, "</ul>\n");
}

/* Ticks for a log axis over [lo, hi]: the coarsest of 1-2-5 steps and finer
 * that gives at least four, as a gnuplot list "(1, 2, 5)". */
static void log_ticks(double lo, double hi, char *out, size_t len)
{
	static const double steps[][16] = {
	    {1, 0},
	    {1, 2, 5, 0},
	    {1, 1.5, 2, 3, 5, 7, 0},
	    {1, 1.1, 1.2, 1.3, 1.5, 1.7, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 0}};
	size_t o = 0;

	for (unsigned s = 0; s < 4; s++) {
		unsigned n = 0;

		o = (size_t)snprintf(out, len, "(");
		for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10)
			for (unsigned i = 0; steps[s][i] && o < len; i++)
				if (steps[s][i] * d >= lo && steps[s][i] * d <= hi)
					o += (size_t)snprintf(out + o, len - o, "%s%g",
							      n++ ? ", " : "", steps[s][i] * d);
		if (n >= 4)
			break;
	}
	snprintf(out + (o < len ? o : len - 1), len - (o < len ? o : len - 1), ")");
}

/* A figure's width for units things along x, per pixels each: 900 to
 * 1300. */
static int fig_width(unsigned units, int per)
{
	unsigned w = 160 + (unsigned)per * units;

	return w < 900 ? 900 : w > 1300 ? 1300 : (int)w;
}

int kb_pg_ratio_figure(struct kb_plotctx *c, const struct kb_pgset *s, FILE *html)
{
	double lo = 1, hi = 1;
	unsigned n = 0;
	char ticks[512], title[160], key[64];
	FILE *d = kb_fig_data(c, "paging");

	if (!d)
		return -1;
	fprintf(d, "# x\tpoint\tratio\tlow\thigh\n");
	for (unsigned i = 0; i < s->n; i++) {
		const struct kb_pgpair *p = &s->p[i];

		if (isnan(p->ratio) || !(p->lo > 0)) /* no place on a log axis: the table has it */
			continue;
		fprintf(d, "%u\t", n++);
		kb_esc_gpdata(d, p->label);
		fprintf(d, "\t%g\t%g\t%g\n", p->ratio, p->lo, p->hi);
		lo = fmin(lo, fmin(p->lo, p->ratio));
		hi = fmax(hi, fmax(p->hi, p->ratio));
	}
	if (fclose(d))
		return -1;
	if (!n) {
		kb_html(html, "<p class=note>No pair of points has a ratio to draw.</p>\n");
		return 0;
	}
	lo /= 1.15, hi *= 1.15;
	log_ticks(lo, hi, ticks, sizeof(ticks));
	snprintf(title, sizeof(title), "Shadow against %s: the ratio of the medians per point",
		 s->tdp_name);
	snprintf(key, sizeof(key), "shadow / %s with its 95%% interval", s->tdp_name);
	struct kb_figspec fs = {"paging",
				title,
				"point (workload and the parameters that vary)",
				"shadow / TDP ratio of the median (log scale)",
				fig_width(n, 60),
				440};

	kb_fig_add(c, html, &fs,
		   "set logscale y\nset yrange [%g:%g]\nset ytics %s\nset format y \"%%g\"\n"
		   "set xrange [-0.6:%g]\nset xtics %s font \",9\" noenhanced\n"
		   "set key below noenhanced\n"
		   "set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 dt 2 "
		   "lc rgb \"#777777\"\n"
		   "plot data using 1:3:4:5:xtic(2) with yerrorbars pt 7 ps 1.2 lw 1.5 "
		   "lc rgb \"" KB_PG_RATIO_COLOUR "\" title \"%s\", "
		   "data using 1:3:($3 < 9.995 ? sprintf(\"%%.2f\", $3) : $3 < 99.95 ? "
		   "sprintf(\"%%.1f\", $3) : sprintf(\"%%.0f\", $3)) with labels left offset 1,0 "
		   "font \",8\" notitle",
		   lo, hi, ticks, n - 0.4, n > 6 ? "rotate by -30" : "", key);
	return 0;
}

/* Whether statistic k is above 0 on either side of some pair: a log axis
 * can show it. */
static bool mmu_drawable(const struct kb_pgset *s, int k)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->p[i].mmu[k][0] > 0 || s->p[i].mmu[k][1] > 0)
			return true;
	return false;
}

/* Name w (letters, digits, '_') in a gnuplot string of the enhanced
 * terminal: '_' would start a subscript, "\\_" is the character. */
static const char *gp_word(const char *w, char *buf, size_t len)
{
	size_t o = 0;

	for (; *w && o + 3 < len; w++) {
		if (*w == '_')
			buf[o++] = '\\', buf[o++] = '\\';
		buf[o++] = *w;
	}
	buf[o] = 0;
	return buf;
}

/* The MMU figure name of statistics stats[0..ns): grouped bars, a group per
 * statistic, TDP and shadow side by side per pair. */
static int mmu_figure(struct kb_plotctx *c, const struct kb_pgset *s, FILE *html, const int *stats,
		      int ns, const char *name, const char *title)
{
	char plot[4096], q[160];
	size_t o = 0;
	FILE *d = kb_fig_data(c, name);

	if (!d)
		return -1;
	fprintf(d, "# point\t(TDP\tshadow) per statistic\n");
	for (unsigned i = 0; i < s->n; i++) {
		kb_esc_gpdata(d, s->p[i].label);
		for (int k = 0; k < ns; k++)
			for (int side = 0; side < 2; side++) {
				double v = s->p[i].mmu[stats[k]][side];

				fprintf(d, v > 0 ? "\t%g" : "\t?", v); /* 0: no bar on a log axis */
			}
		fprintf(d, "\n");
	}
	if (fclose(d))
		return -1;
	for (int k = 0; k < ns && o < sizeof(plot); k++)
		o += (size_t)snprintf(
		    plot + o, sizeof(plot) - o,
		    "%snewhistogram \"%s\" font \",10\" offset 0,1, "
		    "data using %d:xtic(1) title \"%s\" lc rgb \"" KB_PG_TDP_COLOUR
		    "\", \"\" using %d title \"%s\" lc rgb \"" KB_PG_SHADOW_COLOUR "\"",
		    k ? ", " : "", gp_word(kb_pg_mmu[stats[k]], q, sizeof(q)), 2 + 2 * k,
		    k ? "" : s->tdp_name, 3 + 2 * k, k ? "" : "shadow");
	struct kb_figspec fs = {name,
				title,
				"point, grouped by statistic",
				"count per run (median, log scale)",
				fig_width(s->n * (unsigned)ns, 40),
				480};

	kb_fig_add(c, html, &fs,
		   "set datafile missing \"?\"\nset style data histograms\n"
		   "set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
		   "set logscale y\nset format y \"%%g\"\nset key top right noenhanced\n"
		   "set xtics rotate by -30 font \",8\" noenhanced\nset bmargin 10\n"
		   "set xlabel offset 0,-3\n"
		   "plot %s",
		   plot);
	return 0;
}

int kb_pg_mmu_figures(struct kb_plotctx *c, const struct kb_pgset *s, FILE *html)
{
	int stats[KB_PG_MMU], ns = 0;
	char name[64], title[200];

	for (int k = 0; k < KB_PG_MMU; k++)
		if (mmu_drawable(s, k))
			stats[ns++] = k;
	if (!ns) {
		fprintf(html, "<p class=note>Every MMU statistic is 0 or not recorded on both "
			      "sides: nothing to draw on a log axis.</p>\n");
		return 0;
	}
	if (s->n * (unsigned)ns <= 24) {
		snprintf(title, sizeof(title),
			 "MMU statistics per run, %s against shadow (medians)", s->tdp_name);
		return mmu_figure(c, s, html, stats, ns, "paging-mmu", title);
	}
	for (int k = 0; k < ns; k++) { /* too many groups for one figure: one per statistic */
		snprintf(name, sizeof(name), "paging-mmu-%s", kb_pg_mmu[stats[k]]);
		snprintf(title, sizeof(title), "%s per run, %s against shadow (medians)",
			 kb_pg_mmu[stats[k]], s->tdp_name);
		if (mmu_figure(c, s, html, &stats[k], 1, name, title))
			return -1;
	}
	return 0;
}
