/*
 * The report's exit breakdowns (stacked bars, split into parts so that their
 * labels never overlap, a fixed colour per exit reason and device region)
 * and KVM statistics table; and the helpers every figure uses (figure.h).
 * Distributions are in dist.c, scaling curves in scaling.c.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "report/bucket.h"
#include "report/figstyle.h"
#include "report/figure.h"
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

/* The figure's gnuplot commands: terminal, output, title, axis labels. */
static void fig_head(struct kb_plotctx *c, const struct kb_figspec *fs)
{
	char file[160], q[600];

	snprintf(file, sizeof(file), "%s.svg", fs->name);
	fprintf(c->gp,
		"reset\nset datafile separator \"\\t\"\n"
		"set terminal svg size %d,%d dynamic enhanced font \"sans,10\" "
		"background \"#ffffff\"\nset output %s\n",
		fs->width, fs->height, kb_esc_gp(q, sizeof(q), file));
	snprintf(file, sizeof(file), "%s.dat", fs->name);
	fprintf(c->gp, "data = %s\n", kb_esc_gp(q, sizeof(q), file));
	fprintf(c->gp, "set title %s noenhanced\nset grid ytics\n",
		kb_esc_gp(q, sizeof(q), fs->title));
	fprintf(c->gp, "set xlabel %s noenhanced\n", kb_esc_gp(q, sizeof(q), fs->xlabel));
	fprintf(c->gp, "set ylabel %s noenhanced\n", kb_esc_gp(q, sizeof(q), fs->ylabel));
}

void kb_fig_add(struct kb_plotctx *c, FILE *html, const struct kb_figspec *fs, const char *fmt, ...)
{
	char file[160], q[600];
	va_list ap;

	assert(fs->xlabel && fs->xlabel[0] && fs->ylabel && fs->ylabel[0] && fs->title);
	fig_head(c, fs);
	va_start(ap, fmt);
	vfprintf(c->gp, fmt, ap);
	va_end(ap);
	fprintf(c->gp, "\nunset output\n");
	if (c->png) {
		snprintf(file, sizeof(file), "%s.png", fs->name);
		fprintf(c->gp,
			"set terminal pngcairo size %d,%d font \"sans,9\"\n"
			"set output %s\nreplot\nunset output\n",
			fs->width, fs->height, kb_esc_gp(q, sizeof(q), file));
	}
	kb_html(html, "<figure data-title=\"%s\" data-xlabel=\"%s\" data-ylabel=\"%s\">", fs->title,
		fs->xlabel, fs->ylabel);
	kb_html(html, "<img src=\"plots/%s.svg\" alt=\"%s\"", fs->name, fs->title);
	fprintf(html, " width=\"%d\"><figcaption>", fs->width);
	kb_esc_html(html, fs->title);
	if (c->png)
		kb_html(html, " (<a href=\"plots/%s.png\">PNG</a>)", fs->name);
	fprintf(html, "</figcaption></figure>\n");
	c->nfigures++;
}

void kb_html(FILE *html, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		if (f[0] != '%' || !f[1]) { /* a '%' at the end is itself */
			fputc(*f, html);
			continue;
		}
		assert(strchr("sdu%", f[1]));
		switch (*++f) {
		case 's': kb_esc_html(html, va_arg(ap, const char *)); break;
		case 'd': fprintf(html, "%d", va_arg(ap, int)); break;
		case 'u': fprintf(html, "%u", va_arg(ap, unsigned)); break;
		default: fputc('%', html); break;
		}
	}
	va_end(ap);
}

/* Medians of exit counts per point and name: at most EXIT_NAMES names, in
 * the order they come (by name). */
#define EXIT_NAMES 64

struct exit_medians {
	char names[EXIT_NAMES][96];
	unsigned nnames;
	double *med; /* [point * EXIT_NAMES + name] */
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rows (run id, name, count) into m: the first EXIT_NAMES names by byte
 * order, the median count of each at each point.  0, or -1 out of memory. */
static int read_exit_medians(const struct kb_plotctx *c, sqlite3_stmt *st, struct exit_medians *m)
{
	struct kb_buckets b = {.n = 0};
	char **names;
	int rc = 0;
	size_t blk = 0;
	int64_t run = -1;
	unsigned pi = c->npoints;

	while (!rc && kb_plot_step_runs(c, st, &blk)) {
		if (sqlite3_column_int64(st, 0) != run) {
			run = sqlite3_column_int64(st, 0);
			pi = kb_plot_run_point(c, run);
		}
		if (pi < c->npoints)
			rc = kb_bucket_add(&b, pi, (const char *)sqlite3_column_text(st, 1), NULL,
					   sqlite3_column_double(st, 2));
	}
	names = calloc(b.n ? b.n : 1, sizeof(*names));
	for (size_t i = 0; !rc && names && i < b.n; i++)
		names[i] = b.s[i].name;
	if (!rc && names && b.n)
		qsort(names, b.n, sizeof(*names), cmp_name);
	for (size_t i = 0; !rc && names && i < b.n && m->nnames < EXIT_NAMES; i++)
		if (!m->nnames || strcmp(m->names[m->nnames - 1], names[i]))
			snprintf(m->names[m->nnames++], sizeof(m->names[0]), "%s", names[i]);
	for (size_t i = 0; !rc && names && i < b.n; i++) {
		unsigned ni = 0;

		while (ni < m->nnames && strcmp(m->names[ni], b.s[i].name))
			ni++;
		if (ni < m->nnames)
			m->med[b.s[i].point * EXIT_NAMES + ni] = kb_median(b.s[i].v, b.s[i].n);
	}
	rc = rc || !names ? -1 : 0;
	free(names);
	kb_bucket_free(&b);
	return rc;
}

/* The data of points [from, to): a row per point, a column per name. */
static int write_exit_data(struct kb_plotctx *c, const char *fig, const struct exit_medians *m,
			   unsigned from, unsigned to)
{
	FILE *d = kb_fig_data(c, fig);

	if (!d)
		return -1;
	fprintf(d, "point");
	for (unsigned i = 0; i < m->nnames; i++) {
		fputc('\t', d);
		kb_esc_gpdata(d, m->names[i]);
	}
	fprintf(d, "\n");
	for (unsigned p = from; p < to; p++) {
		kb_esc_gpdata(d, c->points[p].label);
		for (unsigned i = 0; i < m->nnames; i++)
			fprintf(d, "\t%g", m->med[p * EXIT_NAMES + i]);
		fprintf(d, "\n");
	}
	return fclose(d) ? -1 : 0;
}

/* Under a figure whose values span more than a decade: why its axis is
 * linear anyway, and where the small values are. */
static void exit_span_note(const struct kb_plotctx *c, FILE *html, const char *fig,
			   const struct exit_medians *m)
{
	struct kb_range r = KB_RANGE_EMPTY;

	for (size_t i = 0; i < (size_t)c->npoints * EXIT_NAMES; i++)
		if (m->med[i] > 0)
			kb_range_add(&r, m->med[i]);
	if (!kb_range_log(&r))
		return;
	fprintf(html,
		"<p class=note>Linear axis: stacked bars cannot be drawn on a log scale. The "
		"medians here span %.6g to %.6g exits per run (%.0fx), so the smallest are "
		"slivers: ",
		r.lo, r.hi, r.hi / r.lo);
	kb_html(html, "every median is in <a href=\"plots/%s.dat\">its data file</a>.</p>\n", fig);
}

/* m's names as exits figures draw them: a gnuplot word list of colours. */
static void exit_colors(const struct exit_medians *m, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < m->nnames && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "",
				      kb_fig_color(m->names[i]));
}

/* The stacked-bar figure of m, in parts of at most KB_FIG_MAX_LABELS
 * points so that their labels never overlap. */
static int exit_parts(struct kb_plotctx *c, FILE *html, const char *fig, const char *title,
		      const struct exit_medians *m)
{
	unsigned parts = kb_fig_parts(c->npoints);
	char colors[EXIT_NAMES * 8 + 1], name[160], t[300];

	exit_colors(m, colors, sizeof(colors));
	for (unsigned i = 0; i < parts; i++) {
		unsigned from = kb_fig_part_start(c->npoints, i);
		unsigned to = kb_fig_part_start(c->npoints, i + 1);

		snprintf(name, sizeof(name), i ? "%s-%u" : "%s", fig, i + 1);
		snprintf(t, sizeof(t), "%s", title);
		if (parts > 1)
			snprintf(t, sizeof(t), "%s, points %u-%u of %u", title, from + 1, to,
				 c->npoints);
		if (write_exit_data(c, name, m, from, to))
			return -1;
		struct kb_figspec fs = {name, t, "point", "exits per run (median)", 900, 420};

		kb_fig_add(c, html, &fs,
			   "set style data histograms\nset style histogram rowstacked\n"
			   "set style fill solid 0.85 border -1\nset boxwidth 0.7\n"
			   "set key outside right noenhanced\nset xtics rotate by -45 font \",8\" "
			   "noenhanced\nset yrange [0:*]\ncolors = \"%s\"\n"
			   "plot for [i=2:%u] data using i:xtic(1) title columnheader(i) "
			   "lc rgb word(colors, i - 1)",
			   colors, m->nnames + 1);
	}
	exit_span_note(c, html, fig, m);
	return 0;
}

/* Exits of kind (reason or region) as a stacked-bar figure. */
static int exit_figure(struct kb_plotctx *c, FILE *html, const char *kind, const char *fig,
		       const char *title)
{
	struct exit_medians m = {.nnames = 0};
	char sql[1024];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql),
		 "SELECT e.run_id, IFNULL(e.space || ':', '') || e.name, e.count FROM exits e"
		 " WHERE e.run_id BETWEEN ?1 AND ?2 AND e.kind = '%s'",
		 kind);
	if (!(st = kb_plot_query(c, sql)))
		return -1;
	m.med = calloc((size_t)c->npoints * EXIT_NAMES, sizeof(*m.med));
	rc = m.med ? read_exit_medians(c, st, &m) : -1;
	sqlite3_finalize(st);
	if (!rc && !m.nnames) {
		fprintf(html, "<p class=note>");
		kb_esc_html(html, title);
		fprintf(html, ": no exits recorded.</p>\n");
	} else if (!rc) {
		rc = exit_parts(c, html, fig, title, &m);
	}
	free(m.med);
	return rc;
}

int kb_plot_exits(struct kb_plotctx *c, FILE *html)
{
	fprintf(html, "<h2>Exits</h2>\n");
	return exit_figure(c, html, "reason", "exits-by-reason",
			   "Exits by KVM exit reason, per point (median per run)") ||
	       exit_figure(c, html, "region", "exits-by-device",
			   "I/O and MMIO exits by device region, per point (median per run)");
}

const char *const kb_kstat_names[KB_NKSTAT] = {
    "exits",	      "io_exits",	"mmio_exits",	  "halt_exits",
    "insn_emulation", "pf_taken",	"pf_fixed",	  "pf_guest",
    "tlb_flush",      "invlpg",		"irq_injections", "mmu_shadow_zapped",
    "mmu_pte_write",  "mmu_cache_miss", "mmu_unsync",	  "remote_tlb_flush",
};

struct kstat_values { /* one statistic's values at one point */
	double *v;
	size_t n, cap;
};

/* The index of statistic name in kb_kstat_names, KB_NKSTAT if none; rows
 * come in one order run after run, so the search starts after last. */
static unsigned kstat_index(const char *name, unsigned last)
{
	for (unsigned k = 1; k <= KB_NKSTAT; k++) {
		unsigned wi = (last + k) % KB_NKSTAT;

		if (!strcmp(kb_kstat_names[wi], name))
			return wi;
	}
	return KB_NKSTAT;
}

/* Rows (run id, name, value) into kv[point * KB_NKSTAT + statistic].  0,
 * or -1 out of memory. */
static int read_kstats(const struct kb_plotctx *c, sqlite3_stmt *st, struct kstat_values *kv)
{
	int64_t run = -1;
	unsigned pi = c->npoints, wi = KB_NKSTAT - 1;
	size_t blk = 0;
	int rc = 0;

	while (!rc && kb_plot_step_runs(c, st, &blk)) {
		unsigned w = kstat_index((const char *)sqlite3_column_text(st, 1), wi);
		struct kstat_values *k;

		if (sqlite3_column_int64(st, 0) != run) {
			run = sqlite3_column_int64(st, 0);
			pi = kb_plot_run_point(c, run);
		}
		if (w == KB_NKSTAT || pi == c->npoints)
			continue;
		wi = w;
		k = &kv[(size_t)pi * KB_NKSTAT + w];
		rc = kb_values_add(&k->v, &k->n, &k->cap, sqlite3_column_double(st, 2));
	}
	return rc;
}

int kb_plot_kstat_medians(struct kb_plotctx *c)
{
	size_t n = (size_t)c->npoints * KB_NKSTAT;
	struct kstat_values *kv;
	sqlite3_stmt *st;
	int rc;

	if (c->kstat)
		return 0;
	st = kb_plot_query(c, "SELECT k.run_id, k.name, k.value FROM kvm_stats k"
			      " WHERE k.run_id BETWEEN ?1 AND ?2");
	kv = calloc(n ? n : 1, sizeof(*kv));
	if (!st || !kv || !(c->kstat = malloc(n * sizeof(*c->kstat)))) {
		sqlite3_finalize(st);
		free(kv);
		return -1;
	}
	rc = read_kstats(c, st, kv);
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		c->kstat[i] = !rc && kv[i].n ? kb_median(kv[i].v, kv[i].n) : NAN;
		free(kv[i].v);
	}
	free(kv);
	return rc;
}

/* The statistic's median at point p as the table shows it: 0 when none. */
static double kstat_shown(const struct kb_plotctx *c, unsigned p, unsigned w)
{
	double v = c->kstat[p * KB_NKSTAT + w];

	return isnan(v) ? 0 : v;
}

/* The statistics the table leaves out, zero at every point. */
static void zero_columns_note(FILE *html, const bool *used)
{
	unsigned n = 0;

	for (unsigned w = 0; w < KB_NKSTAT; w++)
		if (!used[w])
			fprintf(html, "%s%s",
				n++ ? ", " : "<p class=note>Zero at every point, not shown: ",
				kb_kstat_names[w]);
	if (n)
		fprintf(html, ".</p>\n");
}

int kb_plot_kvm_stats(struct kb_plotctx *c, FILE *html)
{
	bool used[KB_NKSTAT] = {false};

	if (kb_plot_kstat_medians(c))
		return -1;
	for (unsigned p = 0; p < c->npoints; p++)
		for (unsigned w = 0; w < KB_NKSTAT; w++)
			used[w] |= kstat_shown(c, p, w) != 0;
	fprintf(html, "<h2>KVM statistics</h2>\n<p class=note>KVM_GET_STATS_FD, change over the "
		      "run, median per run; vCPU statistics summed over vCPUs.</p>\n<table><tr>"
		      "<th class=l>point</th>");
	for (unsigned w = 0; w < KB_NKSTAT; w++)
		if (used[w])
			fprintf(html, "<th>%s</th>", kb_kstat_names[w]);
	fprintf(html, "</tr>\n");
	for (unsigned p = 0; p < c->npoints; p++) {
		kb_html(html, "<tr><td class=l>%s</td>", c->points[p].label);
		for (unsigned w = 0; w < KB_NKSTAT; w++)
			if (used[w])
				fprintf(html, "<td>%.6g</td>", kstat_shown(c, p, w));
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
	zero_columns_note(html, used);
	return 0;
}

struct kb_pseries *kb_plot_series(const struct kb_plotctx *c, unsigned p, const char *name)
{
	for (size_t i = 0; i < c->nseries; i++)
		if (c->series[i].point == p && !strcmp(c->series[i].name, name))
			return &c->series[i];
	return NULL;
}

bool kb_plot_workload_first(const struct kb_plotctx *c, unsigned p)
{
	for (unsigned q = 0; q < p; q++)
		if (!strcmp(c->points[q].workload, c->points[p].workload))
			return false;
	return c->primary[p][0] != 0;
}
