/*
 * The paging comparison in the report (kb_plot_paging, see plot.h): a
 * short section of index.html (id "paging": the headline per workload, the
 * ratio figure and a link), and paging.html, its page of its own: the
 * headline, the shadow / TDP ratio per pair of points as a figure and a
 * table, and the MMU statistics of both modes side by side.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/quantity.h"
#include "report/figure.h"
#include "report/paging.h"

/* Why there is no comparison, on index.html. */
static void no_pairs(FILE *html, const struct kb_pgset *s)
{
	if (!strchr(s->modes, ','))
		kb_html(html,
			"<p>Only one paging mode (%s) in these campaigns: no comparison of "
			"shadow paging against EPT/NPT.",
			s->modes);
	else if (!s->shadow || !s->tdp)
		kb_html(html,
			"<p>These campaigns' paging modes (%s) are not shadow paging and "
			"EPT/NPT: no comparison.",
			s->modes);
	else
		kb_html(html, "<p>The paging modes %s ran no point in common: no comparison.",
			s->modes);
	fprintf(html, " To get one, run make bench SCENARIO=paging (both modes; in the kvmbench "
		      "lab where this host lacks one), or merge campaigns of hosts with the other "
		      "mode (kvmbench merge); see docs/reports.md.</p>\n");
}

/* The pairs' ratios as a table. */
static void ratio_table(FILE *f, const struct kb_pgset *s)
{
	char a[24], b[24], r[24];

	kb_html(f,
		"<table><tr><th class=l>point</th><th class=l>metric (unit)</th>"
		"<th class=tdp>%s median</th><th class=shadow>shadow median</th>"
		"<th>runs %s / shadow</th>",
		s->tdp_name, s->tdp_name);
	kb_html(f,
		"<th>shadow / %s</th><th>95%% interval</th><th class=l>interval from</th></tr>\n",
		s->tdp_name);
	for (unsigned i = 0; i < s->n; i++) {
		const struct kb_pgpair *p = &s->p[i];

		kb_html(f, "<tr><td class=l>%s</td><td class=l>%s (%s)</td>", p->label, p->metric,
			p->unit);
		char q[2][32]; /* the medians for reading: 4.19M, not 4.18641e+06 */

		kb_quantity(q[0], sizeof(q[0]), p->med[0], "");
		kb_quantity(q[1], sizeof(q[1]), p->med[1], "");
		fprintf(f, "<td>%s</td><td>%s</td><td>%zu / %zu</td>", q[0], q[1], p->n[0],
			p->n[1]);
		if (isnan(p->ratio))
			kb_html(f, "<td></td><td></td><td class=l>no ratio: %s</td></tr>\n",
				p->why);
		else
			fprintf(f, "<td>%s</td><td>%s&ndash;%s</td><td class=l>%s</td></tr>\n",
				kb_pg_num(p->ratio, r), kb_pg_num(p->lo, a), kb_pg_num(p->hi, b),
				p->pairs ? "paired runs" : "unpaired runs");
	}
	fprintf(f, "</table>\n");
}

/* The MMU statistics of both sides as a table: a column per side and
 * statistic. */
static void mmu_table(FILE *f, const struct kb_pgset *s)
{
	fprintf(f, "<table><tr><th class=l rowspan=2>point</th>");
	for (int k = 0; k < KB_PG_MMU; k++)
		kb_html(f, "<th colspan=2>%s</th>", kb_pg_mmu[k]);
	fprintf(f, "</tr>\n<tr>");
	for (int k = 0; k < KB_PG_MMU; k++)
		kb_html(f, "<th class=tdp>%s</th><th class=shadow>shadow</th>", s->tdp_name);
	fprintf(f, "</tr>\n");
	for (unsigned i = 0; i < s->n; i++) {
		kb_html(f, "<tr><td class=l>%s</td>", s->p[i].label);
		for (int k = 0; k < KB_PG_MMU; k++)
			for (int side = 0; side < 2; side++)
				if (isnan(s->p[i].mmu[k][side]))
					fprintf(f, "<td>&ndash;</td>");
				else
					fprintf(f, "<td>%.6g</td>", s->p[i].mmu[k][side]);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
}

/* What the page compares, and the hosts each side ran on. */
static void page_intro(FILE *f, const struct kb_pgset *s)
{
	kb_html(f,
		"<p><a href=\"index.html\">Back to the report</a>. Points that differ only in "
		"their paging mode: <span class=tdp>%s</span> (two-dimensional paging, ran on ",
		s->tdp_name);
	kb_html(f, "%s hosts) against <span class=shadow>shadow paging</span> (on %s hosts). ",
		s->kinds[KB_PG_TDP], s->kinds[KB_PG_SHADOW]);
	kb_html(f, "Every point: %s.</p>\n", s->common);
	if (strcmp(s->kinds[KB_PG_TDP], s->kinds[KB_PG_SHADOW]))
		kb_html(f,
			"<p class=bad>The two modes ran on different kinds of host (%s, %s): "
			"their timings do not compare as they stand (docs/hosts.md); the MMU "
			"statistics do.</p>\n",
			s->kinds[KB_PG_TDP], s->kinds[KB_PG_SHADOW]);
}

/* The points of either mode that are in no pair (their workload failed in
 * the other mode, or never ran there): said, never dropped unsaid. */
static void unpaired(FILE *f, const struct kb_plotctx *c, const struct kb_pgset *s)
{
	unsigned n = 0;

	for (unsigned p = 0; p < c->npoints; p++) {
		const char *m = c->points[p].paging;
		bool paired = false;

		if (strcmp(m, "shadow") && strcmp(m, "ept") && strcmp(m, "npt"))
			continue;
		for (unsigned i = 0; i < s->n && !paired; i++)
			paired = s->p[i].point[KB_PG_TDP] == p || s->p[i].point[KB_PG_SHADOW] == p;
		if (paired)
			continue;
		kb_html(f,
			n++ ? ", %s"
			    : "<p class=bad>Not compared: no passing run of the same "
			      "point in the other mode (see the report's Failures): %s",
			c->points[p].label);
	}
	if (n)
		fprintf(f, ".</p>\n");
}

/* The ratio section of paging.html; fig: the ratio figure's HTML. */
static void page_ratios(FILE *f, const struct kb_pgset *s, const char *fig)
{
	kb_html(f, "<h2>Shadow / %s per point</h2>\n", s->tdp_name);
	fputs(fig, f);
	kb_html(f,
		"<p class=note>Each point's main metric: the ratio of its medians, shadow over "
		"%s, on a log axis (the dashed line: 1, no difference). Above 1 shadow paging "
		"takes more (for a time or cycle count: it is slower). The 95%% interval is "
		"compare's percentile bootstrap (2000 resamples; <code>kvmbench compare ",
		s->tdp_name);
	fprintf(f,
		"%s shadow --by paging</code>): of the median of the per-run ratios where the "
		"runs of the two modes were made back to back (one campaign), else of the ratio "
		"of the medians (unpaired: campaigns of two hosts or labs).</p>\n",
		!strcmp(s->tdp_name, "EPT")   ? "ept"
		: !strcmp(s->tdp_name, "NPT") ? "npt"
					      : "tdp");
	ratio_table(f, s);
}

/* paging.html; fig: the ratio figure's HTML.  0, or -1 with c->err. */
static int write_page(struct kb_plotctx *c, const struct kb_pgset *s, const char *fig)
{
	char path[1300], title[160];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/paging.html", c->dir);
	if (!(f = fopen(path, "we"))) {
		snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(title, sizeof(title), "Paging modes: shadow against %s", s->tdp_name);
	kb_page_start(f, title);
	page_intro(f, s);
	unpaired(f, c, s);
	kb_pg_headlines(f, c, s);
	page_ratios(f, s, fig);
	fprintf(f, "<h2>MMU statistics</h2>\n<p class=note>KVM's statistics per run (median; "
		   "vCPU statistics summed over the vCPUs): page faults fixed, shadow pages "
		   "zapped, guest page-table writes trapped, TLB flushes. On the log axis a "
		   "statistic that is 0 (or not recorded) has no bar; the table gives every "
		   "value (&ndash;: not recorded).</p>\n");
	rc = kb_pg_mmu_figures(c, s, f);
	mmu_table(f, s);
	fprintf(f, "</body></html>\n");
	if (fclose(f) || rc) {
		snprintf(c->err, sizeof(c->err), "%s: write failed", path);
		return -1;
	}
	return 0;
}

/* The ratio figure's <figure> element, once drawn, for both pages (a
 * string to free), or NULL with c->err. */
static char *ratio_figure_html(struct kb_plotctx *c, const struct kb_pgset *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return NULL;
	}
	rc = kb_pg_ratio_figure(c, s, m);
	if (fclose(m) || rc) {
		free(buf);
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "paging figure failed");
		return NULL;
	}
	return buf;
}

int kb_plot_paging(struct kb_plotctx *c, FILE *html)
{
	struct kb_pgset s;
	char path[1300], *fig = NULL;
	int rc = -1;

	if (kb_paging_pairs(c, &s)) {
		kb_paging_free(&s);
		return -1;
	}
	kb_html(html, "<h2>Paging modes</h2>\n");
	snprintf(path, sizeof(path), "%s/paging.html", c->dir);
	if (!s.n) {
		no_pairs(html, &s);
		if (unlink(path) && errno != ENOENT) /* an older report's page */
			snprintf(c->err, sizeof(c->err), "%s: %s", path, strerror(errno));
		else
			rc = 0;
		goto out;
	}
	if (!(fig = ratio_figure_html(c, &s)) || write_page(c, &s, fig))
		goto out;
	kb_pg_headlines(html, c, &s);
	fputs(fig, html);
	kb_html(html,
		"<p><a href=\"paging.html\">Paging modes: shadow against %s</a>: the ratio "
		"per point with its interval, and the MMU statistics of both modes.</p>\n",
		s.tdp_name);
	rc = 0;
out:
	free(fig);
	kb_paging_free(&s);
	return rc;
}
