/*
 * The report's paging-mode comparison: EPT/NPT against shadow paging, point
 * by point, with the MMU statistics of both.
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "report/figure.h"
#include "analyze/stats.h"

/* The median KVM statistic name of point p's measured runs, NAN when
 * none (kb_plot_kstat_medians() has run). */
static double kstat_median(const struct kb_plotctx *c, unsigned p, const char *name)
{
	for (unsigned w = 0; w < KB_NKSTAT; w++)
		if (!strcmp(kb_kstat_names[w], name))
			return c->kstat[p * KB_NKSTAT + w];
	assert(0); /* mmu[] names only statistics the table has */
	return NAN;
}

/* params without its paging=... word */
static void strip_paging(const char *params, char *out, size_t len)
{
	const char *p = strstr(params, " paging=");
	size_t head = p ? (size_t)(p - params) : strlen(params);

	snprintf(out, len, "%.*s%s", (int)head, params, p ? p + strcspn(p + 1, " ") + 1 : "");
}

/* The first two paging modes of the points, EPT/NPT first, shadow second
 * (by name); modes[1] is "" when there is one. */
static void find_modes(const struct kb_plotctx *c, char modes[2][16])
{
	modes[0][0] = modes[1][0] = 0;
	for (unsigned p = 0; p < c->npoints; p++) {
		const char *m = c->points[p].paging;

		if (!modes[0][0] || !strcmp(modes[0], m))
			snprintf(modes[0], 16, "%s", m);
		else if (!modes[1][0] || !strcmp(modes[1], m))
			snprintf(modes[1], 16, "%s", m);
	}
	if (modes[1][0] && strcmp(modes[0], modes[1]) > 0) {
		char t[16];

		memcpy(t, modes[0], 16);
		memcpy(modes[0], modes[1], 16);
		memcpy(modes[1], t, 16);
	}
}

/* Pairs of points (pa[i] in modes[0], pb[i] in modes[1]) that differ only
 * in their paging mode, the first with a main metric the second has too;
 * at most max.  Returns the count. */
static unsigned pair_points(const struct kb_plotctx *c, char modes[2][16], unsigned *pa,
			    unsigned *pb, unsigned max)
{
	unsigned n = 0;

	for (unsigned a = 0; a < c->npoints && n < max; a++) {
		char ka[1100], kb[1100];

		if (strcmp(c->points[a].paging, modes[0]) || !c->primary[a][0])
			continue;
		strip_paging(c->points[a].params, ka, sizeof(ka));
		for (unsigned b = 0; b < c->npoints; b++) {
			strip_paging(c->points[b].params, kb, sizeof(kb));
			if (!strcmp(c->points[b].paging, modes[1]) && !strcmp(ka, kb) &&
			    kb_plot_series(c, b, c->primary[a])) {
				pa[n] = a;
				pb[n++] = b;
				break;
			}
		}
	}
	return n;
}

/* Why there is no comparison: one mode, or no point in common. */
static void no_pairs(FILE *html, char modes[2][16])
{
	if (!modes[1][0])
		kb_html(html,
			"<p class=note>Only one paging mode (%s) in these campaigns: no EPT/NPT "
			"against shadow comparison. Merge campaigns from hosts or module settings "
			"with the other mode to get one.</p>\n",
			modes[0]);
	else
		kb_html(html, "<p class=note>Modes %s and %s ran no point in common.</p>\n",
			modes[0], modes[1]);
}

/* The MMU statistics the table shows for both modes. */
static const char *const mmu[] = {"pf_fixed", "tlb_flush", "mmu_shadow_zapped", "mmu_pte_write"};

/* The table's head, and the data file's. */
static void paging_head(FILE *html, FILE *d, char modes[2][16])
{
	fprintf(d, "point\t");
	kb_esc_gpdata(d, modes[0]);
	fputc('\t', d);
	kb_esc_gpdata(d, modes[1]);
	fputc('\n', d);
	kb_html(html,
		"<table><tr><th class=l>point</th><th class=l>metric</th><th>%s</th><th>%s</th>"
		"<th>%s / %s</th><th>95%% interval</th>",
		modes[0], modes[1], modes[1], modes[0]);
	for (unsigned k = 0; k < 4; k++)
		kb_html(html, "<th>%s<br>%s | %s</th>", mmu[k], modes[0], modes[1]);
	fprintf(html, "</tr>\n");
}

/* Pair i: point a in the first mode, b in the second, on the page and in
 * the data file. */
static void paging_row(struct kb_plotctx *c, FILE *html, FILE *d, unsigned i, unsigned a,
		       unsigned b)
{
	struct kb_pseries *sa = kb_plot_series(c, a, c->primary[a]);
	struct kb_pseries *sb = kb_plot_series(c, b, c->primary[a]);
	double lo, hi, r;
	char label[200];

	assert(sa && sb); /* pair_points() paired points with the metric */
	r = kb_bootstrap_ratio(sa->v, sa->n, sb->v, sb->n, 2000, i + 1, &lo, &hi);
	snprintf(label, sizeof(label), "%s %s", c->points[a].workload, c->points[a].topology);
	kb_esc_gpdata(d, label);
	fprintf(d, "\t%g\t%g\n", kb_median(sa->v, sa->n), kb_median(sb->v, sb->n));
	kb_html(html, "<tr><td class=l>%s</td><td class=l>%s (%s)</td>", label, sa->name, sa->unit);
	fprintf(html, "<td>%.6g</td><td>%.6g</td><td>%.3f</td><td>%.3f &ndash; %.3f</td>",
		kb_median(sa->v, sa->n), kb_median(sb->v, sb->n), r, lo, hi);
	for (unsigned k = 0; k < 4; k++)
		fprintf(html, "<td>%.6g | %.6g</td>", kstat_median(c, a, mmu[k]),
			kstat_median(c, b, mmu[k]));
	fprintf(html, "</tr>\n");
}

int kb_plot_paging(struct kb_plotctx *c, FILE *html)
{
	char modes[2][16];
	unsigned pa[256], pb[256], n = 0;
	FILE *d;

	fprintf(html, "<h2>Paging modes</h2>\n");
	find_modes(c, modes);
	if (modes[1][0])
		n = pair_points(c, modes, pa, pb, 256);
	if (!n) {
		no_pairs(html, modes);
		return 0;
	}
	if (kb_plot_kstat_medians(c) || !(d = kb_fig_data(c, "paging")))
		return -1;
	paging_head(html, d, modes);
	for (unsigned i = 0; i < n; i++)
		paging_row(c, html, d, i, pa[i], pb[i]);
	fprintf(html, "</table>\n");
	if (fclose(d))
		return -1;
	struct kb_figspec fs = {"paging",
				"Each workload's main metric: the two paging modes side "
				"by side (medians)",
				"point",
				"median of the main metric",
				900,
				400};

	kb_fig_add(c, html, &fs,
		   "set style data histograms\nset style histogram clustered gap 1\n"
		   "set style fill solid 0.85 border -1\nset key top left noenhanced\n"
		   "set xtics rotate by -35 font \",8\" noenhanced\nset yrange [0:*]\n"
		   "plot data using 2:xtic(1) title columnheader(2), \"\" using 3 "
		   "title columnheader(3)");
	return 0;
}
