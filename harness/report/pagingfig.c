/*
 * The report's paging-mode comparison (EPT/NPT against shadow paging) and
 * the nightly trend page.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "report/figure.h"
#include "store/sqlexpr.h"
#include "analyze/stats.h"

static double kstat_median(struct kb_plotctx *c, const char *key, const char *name)
{
	sqlite3_stmt *st =
	    kb_plot_query(c, "SELECT k.value FROM kvm_stats k JOIN runs r ON r.id = k.run_id"
			     " WHERE r.campaign_id IN (%s) AND r.warmup = 0 AND r.status = 'pass'"
			     " AND " KB_SQL_POINT_IDENT " = ?1 AND k.name = ?2");
	double v[1024], m;
	size_t n = 0;

	if (!st)
		return NAN;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < 1024)
		v[n++] = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	m = kb_median(v, n);
	return m;
}

/* params without its paging=... word */
static void strip_paging(const char *params, char *out, size_t len)
{
	const char *p = strstr(params, " paging=");
	size_t head = p ? (size_t)(p - params) : strlen(params);

	snprintf(out, len, "%.*s%s", (int)head, params, p ? p + strcspn(p + 1, " ") + 1 : "");
}

int kb_plot_paging(struct kb_plotctx *c, FILE *html)
{
	static const char *const mmu[] = {"pf_fixed", "tlb_flush", "mmu_shadow_zapped",
					  "mmu_pte_write"};
	char modes[2][16] = {"", ""};
	unsigned pa[256], pb[256], n = 0;

	fprintf(html, "<h2>Paging modes</h2>\n");
	for (unsigned p = 0; p < c->npoints; p++) {
		const char *m = c->points[p].paging;

		if (!modes[0][0] || !strcmp(modes[0], m))
			snprintf(modes[0], 16, "%s", m);
		else if (!modes[1][0] || !strcmp(modes[1], m))
			snprintf(modes[1], 16, "%s", m);
	}
	if (!modes[1][0]) {
		fprintf(html, "<p class=note>Only one paging mode (");
		kb_esc_html(html, modes[0]);
		fprintf(html, ") in these campaigns: no EPT/NPT against shadow comparison. Merge "
			      "campaigns from hosts or module settings with the other mode to get "
			      "one.</p>\n");
		return 0;
	}
	if (strcmp(modes[0], modes[1]) > 0) { /* ept/npt first, shadow second */
		char t[16];

		memcpy(t, modes[0], 16);
		memcpy(modes[0], modes[1], 16);
		memcpy(modes[1], t, 16);
	}
	for (unsigned a = 0; a < c->npoints && n < 256; a++) {
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
	if (!n) {
		fprintf(html, "<p class=note>Modes ");
		kb_esc_html(html, modes[0]);
		fprintf(html, " and ");
		kb_esc_html(html, modes[1]);
		fprintf(html, " ran no point in common.</p>\n");
		return 0;
	}
	FILE *d = kb_fig_data(c, "paging");

	if (!d)
		return -1;
	fprintf(d, "point\t");
	kb_esc_gpdata(d, modes[0]);
	fputc('\t', d);
	kb_esc_gpdata(d, modes[1]);
	fputc('\n', d);
	fprintf(html, "<table><tr><th class=l>point</th><th class=l>metric</th><th>");
	kb_esc_html(html, modes[0]);
	fprintf(html, "</th><th>");
	kb_esc_html(html, modes[1]);
	fprintf(html, "</th><th>");
	kb_esc_html(html, modes[1]);
	fprintf(html, " / ");
	kb_esc_html(html, modes[0]);
	fprintf(html, "</th><th>95%% interval</th>");
	for (unsigned k = 0; k < 4; k++) {
		fprintf(html, "<th>%s<br>", mmu[k]);
		kb_esc_html(html, modes[0]);
		fprintf(html, " | ");
		kb_esc_html(html, modes[1]);
		fprintf(html, "</th>");
	}
	fprintf(html, "</tr>\n");
	for (unsigned i = 0; i < n; i++) {
		struct kb_pseries *sa = kb_plot_series(c, pa[i], c->primary[pa[i]]);
		struct kb_pseries *sb = kb_plot_series(c, pb[i], c->primary[pa[i]]);
		double lo, hi,
		    r = kb_bootstrap_ratio(sa->v, sa->n, sb->v, sb->n, 2000, i + 1, &lo, &hi);
		char label[200];

		snprintf(label, sizeof(label), "%s %s", c->points[pa[i]].workload,
			 c->points[pa[i]].topology);
		kb_esc_gpdata(d, label);
		fprintf(d, "\t%g\t%g\n", kb_median(sa->v, sa->n), kb_median(sb->v, sb->n));
		fprintf(html, "<tr><td class=l>");
		kb_esc_html(html, label);
		fprintf(html, "</td><td class=l>");
		kb_esc_html(html, sa->name);
		fprintf(html, " (");
		kb_esc_html(html, sa->unit);
		fprintf(html,
			")</td><td>%.6g</td><td>%.6g</td><td>%.3f</td><td>%.3f &ndash; %.3f</td>",
			kb_median(sa->v, sa->n), kb_median(sb->v, sb->n), r, lo, hi);
		for (unsigned k = 0; k < 4; k++)
			fprintf(html, "<td>%.6g | %.6g</td>",
				kstat_median(c, c->points[pa[i]].key, mmu[k]),
				kstat_median(c, c->points[pb[i]].key, mmu[k]));
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
	fclose(d);
	kb_fig_add(c, html, "paging",
		   "Each workload's main metric: the two paging modes side "
		   "by side (medians)",
		   900, 400,
		   "set style data histograms\nset style histogram clustered gap 1\n"
		   "set style fill solid 0.85 border -1\nset key top left noenhanced\n"
		   "set xtics rotate by -35 font \",8\" noenhanced\nset yrange [0:*]\n"
		   "plot data using 2:xtic(1) title columnheader(2), \"\" using 3 "
		   "title columnheader(3)");
	return 0;
}

int kb_plot_trend(struct kb_plotctx *c, char *err, size_t errlen)
{
	char path[1300], ids[4096] = "";
	int64_t camp[512];
	unsigned nc = 0;
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT id, started FROM campaigns WHERE kind = 'nightly' AND state = 'done'"
	       " AND host_id IN (SELECT host_id FROM campaigns WHERE id IN (%s)) ORDER BY id");
	FILE *html;

	snprintf(path, sizeof(path), "%s/trend.html", c->dir);
	if (!st || !(html = fopen(path, "we"))) {
		sqlite3_finalize(st);
		snprintf(err, errlen, "%s: cannot write", path);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW && nc < 512) {
		camp[nc] = sqlite3_column_int64(st, 0);
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%lld", nc ? "," : "",
			 (long long)camp[nc]);
		nc++;
	}
	sqlite3_finalize(st);
	fprintf(html,
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Nightly "
		"trend</title><style>body{font-family:sans-serif;margin:2em}</style></head>"
		"<body>\n<h1>Nightly trend</h1>\n<p><a href=\"index.html\">Back to the "
		"report</a>. Nightly campaigns of the same host: %s.</p>\n",
		nc ? ids : "none");
	if (nc < 2)
		fprintf(html, "<p>Fewer than two nightly campaigns: no trend yet.</p>\n");
	for (unsigned p0 = 0; nc >= 2 && p0 < c->npoints; p0++) {
		const char *wl = c->points[p0].workload, *metric = c->primary[p0];
		bool seen = false;
		char fig[128], sql[512];
		unsigned cols = 0;

		for (unsigned q = 0; q < p0; q++)
			seen |= !strcmp(c->points[q].workload, wl);
		if (seen || !metric[0])
			continue;
		kb_esc_filename(fig, sizeof(fig), "trend", wl, p0);
		FILE *d = kb_fig_data(c, fig);
		double *med = calloc((size_t)nc * 64, sizeof(*med));

		if (!d || !med) {
			free(med);
			fclose(html);
			return -1;
		}
		snprintf(sql, sizeof(sql),
			 "SELECT m.value FROM runs r JOIN metrics m ON m.run_id = r.id WHERE "
			 "r.campaign_id = ?1 AND r.point_key = ?2 AND m.name = ?3 AND r.warmup = 0 "
			 "AND r.status = 'pass' AND %s IS NOT NULL",
			 "m.value");
		fprintf(d, "campaign");
		for (unsigned p = p0; p < c->npoints && cols < 64; p++) {
			if (strcmp(c->points[p].workload, wl))
				continue;
			fputc('\t', d);
			kb_esc_gpdata(d, c->points[p].label);
			for (unsigned k = 0; k < nc; k++) {
				double v[1024];
				size_t n = 0;

				st = kb_plot_query(c, sql);
				sqlite3_bind_int64(st, 1, camp[k]);
				sqlite3_bind_text(st, 2, c->points[p].pkey, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
				while (st && sqlite3_step(st) == SQLITE_ROW && n < 1024)
					v[n++] = sqlite3_column_double(st, 0);
				sqlite3_finalize(st);
				med[k * 64 + cols] = n ? kb_median(v, n) : NAN;
			}
			cols++;
		}
		fprintf(d, "\n");
		for (unsigned k = 0; k < nc; k++) {
			fprintf(d, "%lld", (long long)camp[k]);
			for (unsigned i = 0; i < cols; i++)
				if (isnan(med[k * 64 + i]))
					fprintf(d, "\t?");
				else
					fprintf(d, "\t%g", med[k * 64 + i]);
			fprintf(d, "\n");
		}
		fclose(d);
		free(med);
		char title[256];

		snprintf(title, sizeof(title), "%s: median %s per nightly campaign", wl, metric);
		kb_fig_add(c, html, fig, title, 900, 380,
			   "set datafile missing \"?\"\nset key outside right noenhanced\n"
			   "set xlabel \"nightly campaign\"\n"
			   "plot for [i=2:%u] data using 0:i:xtic(1) with linespoints "
			   "title columnheader(i)",
			   cols + 1);
	}
	fprintf(html, "</body></html>\n");
	return fclose(html) ? -1 : 0;
}
