/*
 * The report's figures: exit breakdowns, KVM statistics, distributions,
 * scaling curves, paging modes side by side, and the nightly trend page.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "report/figure.h"
#include "store/sqlexpr.h"
#include "analyze/stats.h"

FILE *kb_fig_data(struct kb_plotctx *c, const char *name)
{
	char path[1300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/plots/%s.dat", c->dir, name);
	f = fopen(path, "we");
	if (!f)
		snprintf(c->err, sizeof(c->err), "%s: cannot write", path);
	return f;
}

void kb_fig_add(struct kb_plotctx *c, FILE *html, const char *name, const char *title, int width,
		int height, const char *fmt, ...)
{
	char file[160], q[600];
	va_list ap;

	snprintf(file, sizeof(file), "%s.svg", name);
	fprintf(c->gp,
		"reset\nset datafile separator \"\\t\"\n"
		"set terminal svg size %d,%d dynamic enhanced font \"sans,10\" "
		"background \"#ffffff\"\nset output %s\n",
		width, height, kb_esc_gp(q, sizeof(q), file));
	snprintf(file, sizeof(file), "%s.dat", name);
	fprintf(c->gp, "data = %s\n", kb_esc_gp(q, sizeof(q), file));
	fprintf(c->gp, "set title %s noenhanced\nset grid ytics\n", kb_esc_gp(q, sizeof(q), title));
	va_start(ap, fmt);
	vfprintf(c->gp, fmt, ap);
	va_end(ap);
	fprintf(c->gp, "\nunset output\n");
	if (c->png) {
		snprintf(file, sizeof(file), "%s.png", name);
		fprintf(c->gp,
			"set terminal pngcairo size %d,%d font \"sans,9\"\n"
			"set output %s\nreplot\nunset output\n",
			width, height, kb_esc_gp(q, sizeof(q), file));
	}
	fprintf(html, "<figure><img src=\"plots/");
	kb_esc_html(html, name);
	fprintf(html, ".svg\" alt=\"");
	kb_esc_html(html, name);
	fprintf(html, "\" width=\"%d\"><figcaption>", width);
	kb_esc_html(html, title);
	if (c->png) {
		fprintf(html, " (<a href=\"plots/");
		kb_esc_html(html, name);
		fprintf(html, ".png\">PNG</a>)");
	}
	fprintf(html, "</figcaption></figure>\n");
	c->nfigures++;
}

/* Medians of exit counts per point and name, as a stacked-bar figure. */
static int exit_figure(struct kb_plotctx *c, FILE *html, const char *kind, const char *fig,
		       const char *title)
{
	char sql[1024], names[64][96];
	unsigned nnames = 0;
	double *med;
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql),
		 "SELECT " KB_SQL_POINT_IDENT
		 ", IFNULL(e.space || ':', '') || e.name, e.count FROM exits e"
		 " JOIN runs r ON r.id = e.run_id WHERE r.campaign_id IN (%%s) AND r.warmup = 0"
		 " AND r.status = 'pass' AND e.kind = '%s' ORDER BY 2, 1",
		 kind);
	if (!(st = kb_plot_query(c, sql)))
		return -1;
	med = calloc((size_t)c->npoints * 64, sizeof(*med));
	double *v = NULL;
	size_t n = 0, cap = 0;
	int more = sqlite3_step(st) == SQLITE_ROW;
	char key[48] = "", name[96] = "";

	while (more || n) {
		const char *k = more ? (const char *)sqlite3_column_text(st, 0) : "";
		const char *nm = more ? (const char *)sqlite3_column_text(st, 1) : "";

		if (n && (!more || strcmp(k, key) || strcmp(nm, name))) {
			unsigned ni, pi;

			for (ni = 0; ni < nnames && strcmp(names[ni], name); ni++)
				;
			if (ni == nnames && nnames < 64)
				snprintf(names[nnames++], sizeof(names[0]), "%s", name);
			for (pi = 0; pi < c->npoints && strcmp(c->points[pi].key, key); pi++)
				;
			if (ni < 64 && pi < c->npoints)
				med[pi * 64 + ni] = kb_median(v, n);
			n = 0;
		}
		if (!more)
			break;
		snprintf(key, sizeof(key), "%s", k);
		snprintf(name, sizeof(name), "%s", nm);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n++] = sqlite3_column_double(st, 2);
		more = sqlite3_step(st) == SQLITE_ROW;
	}
	free(v);
	sqlite3_finalize(st);
	if (!nnames) {
		free(med);
		fprintf(html, "<p class=note>");
		kb_esc_html(html, title);
		fprintf(html, ": no exits recorded.</p>\n");
		return 0;
	}
	FILE *d = kb_fig_data(c, fig);

	if (!d) {
		free(med);
		return -1;
	}
	fprintf(d, "point");
	for (unsigned i = 0; i < nnames; i++) {
		fputc('\t', d);
		kb_esc_gpdata(d, names[i]);
	}
	fprintf(d, "\n");
	for (unsigned p = 0; p < c->npoints; p++) {
		kb_esc_gpdata(d, c->points[p].label);
		for (unsigned i = 0; i < nnames; i++)
			fprintf(d, "\t%g", med[p * 64 + i]);
		fprintf(d, "\n");
	}
	fclose(d);
	free(med);
	kb_fig_add(
	    c, html, fig, title, 900, 420,
	    "set style data histograms\nset style histogram rowstacked\n"
	    "set style fill solid 0.85 border -1\nset boxwidth 0.7\n"
	    "set key outside right noenhanced\nset xtics rotate by -35 font \",8\" noenhanced\n"
	    "set ylabel \"exits per run (median)\"\nset yrange [0:*]\n"
	    "plot for [i=2:%u] data using i:xtic(1) title columnheader(i)",
	    nnames + 1);
	return 0;
}

int kb_plot_exits(struct kb_plotctx *c, FILE *html)
{
	fprintf(html, "<h2>Exits</h2>\n");
	return exit_figure(c, html, "reason", "exits-by-reason",
			   "Exits by KVM exit reason, per point (median per run)") ||
	       exit_figure(c, html, "region", "exits-by-device",
			   "I/O and MMIO exits by device region, per point (median per run)");
}

int kb_plot_kvm_stats(struct kb_plotctx *c, FILE *html)
{
	static const char *const want[] = {
	    "exits",	      "io_exits",	"mmio_exits",	  "halt_exits",
	    "insn_emulation", "pf_taken",	"pf_fixed",	  "pf_guest",
	    "tlb_flush",      "invlpg",		"irq_injections", "mmu_shadow_zapped",
	    "mmu_pte_write",  "mmu_cache_miss", "mmu_unsync",	  "remote_tlb_flush",
	};
	enum { NW = sizeof(want) / sizeof(want[0]) };
	double *med = calloc((size_t)c->npoints * NW, sizeof(*med));
	bool used[NW] = {false};
	sqlite3_stmt *st = kb_plot_query(
	    c,
	    "SELECT " KB_SQL_POINT_IDENT " AS ident, k.name, group_concat(k.value) FROM kvm_stats k"
	    " JOIN runs r ON r.id = k.run_id WHERE r.campaign_id IN (%s) AND r.warmup = 0"
	    " AND r.status = 'pass' GROUP BY ident, k.name");

	if (!st || !med) {
		free(med);
		sqlite3_finalize(st);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		unsigned pi, wi;
		double v[4096];
		size_t n = 0;

		for (wi = 0; wi < NW && strcmp(want[wi], name); wi++)
			;
		for (pi = 0; pi < c->npoints && strcmp(c->points[pi].key, key); pi++)
			;
		if (wi == NW || pi == c->npoints)
			continue;
		for (const char *p = (const char *)sqlite3_column_text(st, 2);
		     p && *p && n < 4096;) {
			v[n++] = strtod(p, (char **)&p);
			if (*p == ',')
				p++;
		}
		med[pi * NW + wi] = kb_median(v, n);
		used[wi] |= med[pi * NW + wi] != 0;
	}
	sqlite3_finalize(st);
	fprintf(html, "<h2>KVM statistics</h2>\n<p class=note>KVM_GET_STATS_FD, change over the "
		      "run, median per run; vCPU statistics summed over vCPUs.</p>\n<table><tr>"
		      "<th class=l>point</th>");
	for (unsigned w = 0; w < NW; w++)
		if (used[w])
			fprintf(html, "<th>%s</th>", want[w]);
	fprintf(html, "</tr>\n");
	for (unsigned p = 0; p < c->npoints; p++) {
		fprintf(html, "<tr><td class=l>");
		kb_esc_html(html, c->points[p].label);
		fprintf(html, "</td>");
		for (unsigned w = 0; w < NW; w++)
			if (used[w])
				fprintf(html, "<td>%.6g</td>", med[p * NW + w]);
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
	free(med);
	return 0;
}

struct kb_pseries *kb_plot_series(struct kb_plotctx *c, unsigned p, const char *name)
{
	for (size_t i = 0; i < c->nseries; i++)
		if (c->series[i].point == p && !strcmp(c->series[i].name, name))
			return &c->series[i];
	return NULL;
}

int kb_plot_distributions(struct kb_plotctx *c, FILE *html)
{
	fprintf(html, "<h2>Distributions</h2>\n");
	for (unsigned p0 = 0; p0 < c->npoints; p0++) {
		const char *wl = c->points[p0].workload, *metric = c->primary[p0];
		bool seen = false;
		char fig[128];

		for (unsigned q = 0; q < p0; q++)
			seen |= !strcmp(c->points[q].workload, wl);
		if (seen || !metric[0])
			continue;
		kb_esc_filename(fig, sizeof(fig), "dist", wl, p0);
		FILE *d = kb_fig_data(c, fig);
		const char *unit = "";
		char *xtics = NULL, q[420];
		size_t xlen = 0;
		FILE *x = open_memstream(&xtics, &xlen);
		unsigned blocks = 0;

		if (!d || !x) {
			if (d)
				fclose(d);
			if (x)
				fclose(x);
			free(xtics);
			return -1;
		}
		for (unsigned p = p0; p < c->npoints; p++) {
			struct kb_pseries *s =
			    strcmp(c->points[p].workload, wl) ? NULL : kb_plot_series(c, p, metric);

			if (!s)
				continue;
			for (size_t i = 0; i < s->n; i++)
				fprintf(d, "%u\t%g\n", blocks, s->v[i]);
			fprintf(d, "\n\n"); /* one data block per point */
			fprintf(x, "%s%s %u", blocks ? ", " : "",
				kb_esc_gp(q, sizeof(q), c->points[p].label), blocks);
			unit = s->unit;
			blocks++;
		}
		fclose(d);
		fclose(x);
		char title[256];

		snprintf(title, sizeof(title), "%s: %s (%s) per run, by point", wl, metric, unit);
		kb_fig_add(
		    c, html, fig, title, 900, 380,
		    "set style fill solid 0.4 border -1\nset style boxplot outliers pointtype 7\n"
		    "set boxwidth 0.5\nunset key\nset xrange [-0.7:%u.7]\n"
		    "set xtics (%s) rotate by -35 font \",8\" noenhanced\nset ylabel %s "
		    "noenhanced\n"
		    "plot for [i=0:%u] data index i using (i):2:(0.5) with boxplot",
		    blocks - 1, xtics, kb_esc_gp(q, sizeof(q), unit), blocks - 1);
		free(xtics);
	}
	return 0;
}

int kb_plot_scaling(struct kb_plotctx *c, FILE *html)
{
	bool any = false;

	fprintf(html, "<h2>Scaling over vCPUs and topology</h2>\n");
	for (unsigned p0 = 0; p0 < c->npoints; p0++) {
		const char *wl = c->points[p0].workload, *metric = c->primary[p0];
		unsigned order[512], n = 0;
		bool seen = false, varied = false;
		char fig[128], title[256];

		for (unsigned q = 0; q < p0; q++)
			seen |= !strcmp(c->points[q].workload, wl);
		if (seen || !metric[0])
			continue;
		for (unsigned p = p0; p < c->npoints && n < 512; p++)
			if (!strcmp(c->points[p].workload, wl) && kb_plot_series(c, p, metric)) {
				order[n++] = p;
				varied |=
				    strcmp(c->points[p].topology, c->points[p0].topology) != 0;
			}
		if (!varied || n < 2)
			continue;
		for (unsigned i = 1; i < n; i++) /* by vCPU count, stable */
			for (unsigned j = i;
			     j > 0 && c->points[order[j]].vcpus < c->points[order[j - 1]].vcpus;
			     j--) {
				unsigned t = order[j];

				order[j] = order[j - 1];
				order[j - 1] = t;
			}
		kb_esc_filename(fig, sizeof(fig), "scaling", wl, p0);
		FILE *d = kb_fig_data(c, fig);
		const char *unit = "";

		if (!d)
			return -1;
		for (unsigned i = 0; i < n; i++) {
			struct kb_pseries *s = kb_plot_series(c, order[i], metric);
			double *v = malloc(s->n * sizeof(*v)), lo, hi;
			struct kb_summary_stats st;

			memcpy(v, s->v, s->n * sizeof(*v));
			kb_stats_summarise(v, s->n, &st);
			kb_median_interval(v, s->n, &lo, &hi);
			free(v);
			fprintf(d, "%d\t", c->points[order[i]].vcpus);
			kb_esc_gpdata(d, c->points[order[i]].label);
			fprintf(d, "\t%g\t%g\t%g\n", st.median, lo, hi);
			unit = s->unit;
		}
		fclose(d);
		snprintf(title, sizeof(title), "%s: median %s over vCPUs and topology shape", wl,
			 metric);
		char q[80];

		kb_fig_add(c, html, fig, title, 900, 380,
			   "unset key\nset xtics rotate by -35 font \",8\" noenhanced\n"
			   "set ylabel %s noenhanced\nset yrange [0:*]\n"
			   "plot data using 0:3:4:5:xtic(2) with yerrorlines pointtype 7",
			   kb_esc_gp(q, sizeof(q), unit));
		any = true;
	}
	if (!any)
		fprintf(html, "<p class=note>No workload ran on more than one topology.</p>\n");
	return 0;
}
