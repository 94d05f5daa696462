/*
 * The report page's first screen (see overview.h): what a reader wants
 * before any table.  Did it pass (the banner: counts of passed, failed and
 * skipped runs, coloured), why were runs skipped, on what host and paging
 * mode, what are the numbers (each workload's main metric), and where is
 * the rest (the table of contents).
 */
#include "report/overview.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "analyze/stats.h"
#include "common/escape.h"
#include "plan/scenario.h"
#include "report/figure.h"
#include "store/sqlexpr.h"

/* The key figures table's rows at most. */
#define KEY_ROWS 8
/* Skip reasons and campaigns listed on the first screen at most. */
#define FIRST_SCREEN_LINES 5

/* A campaign's state as the banner says it. */
static const char *state_words(const char *state)
{
	if (!strcmp(state, "done"))
		return "ended";
	if (!strcmp(state, "running"))
		return "is still running";
	if (!strcmp(state, "failed"))
		return "stopped on a harness error";
	return state; /* interrupted */
}

/* The first campaign of the selection not done with all its planned runs,
 * described into n->incomplete, with how many more there are. */
static int find_incomplete(struct kb_plotctx *c, struct kb_page_counts *n)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT c.id, c.state, c.planned_runs, (SELECT count(*) FROM runs r WHERE"
	       " r.campaign_id = c.id) AS got FROM campaigns c WHERE c.id IN (%s) AND"
	       " (c.state != 'done' OR c.planned_runs > got) ORDER BY c.id");
	size_t len = sizeof(n->incomplete), o;
	int more = -1;

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (++more)
			continue;
		o = (size_t)snprintf(n->incomplete, len, "campaign %lld %s",
				     (long long)sqlite3_column_int64(st, 0),
				     state_words((const char *)sqlite3_column_text(st, 1)));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL && o < len)
			snprintf(n->incomplete + o, len - o, ": %d of %d planned runs recorded",
				 sqlite3_column_int(st, 3), sqlite3_column_int(st, 2));
	}
	o = strlen(n->incomplete);
	if (more > 0)
		snprintf(n->incomplete + o, len - o, " (and %d more campaigns)", more);
	sqlite3_finalize(st);
	return 0;
}

int kb_page_count(struct kb_plotctx *c, struct kb_page_counts *n)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT total(status = 'pass'), total(status NOT IN ('pass', 'skip')), total(status "
	       "= 'skip'),"
	       " (SELECT count(DISTINCT " KB_REPORT_POINT_IDENT ") FROM runs r WHERE"
	       " r.campaign_id IN (%s) AND r.warmup = 0 AND r.status NOT IN ('pass', 'skip'))"
	       " FROM runs WHERE campaign_id IN (%s) AND warmup = 0");

	memset(n, 0, sizeof(*n));
	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		n->pass = sqlite3_column_int64(st, 0);
		n->fail = sqlite3_column_int64(st, 1);
		n->skip = sqlite3_column_int64(st, 2);
		n->fail_points = (unsigned)sqlite3_column_int(st, 3);
	}
	sqlite3_finalize(st);
	return find_incomplete(c, n);
}

void kb_page_workload_runs(struct kb_plotctx *c, const char *wl, long n[3])
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT total(status = 'pass'), total(status NOT IN ('pass', 'skip')), total(status "
	       "= 'skip')"
	       " FROM runs WHERE campaign_id IN (%s) AND warmup = 0 AND workload = ?");

	n[0] = n[1] = n[2] = 0;
	if (!st)
		return;
	sqlite3_bind_text(st, 1, wl, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		for (int k = 0; k < 3; k++)
			n[k] = sqlite3_column_int64(st, k);
	sqlite3_finalize(st);
}

void kb_page_anchor(const struct kb_plotctx *c, const char *wl, char *buf, size_t len)
{
	unsigned p = 0;

	while (p < c->npoints && strcmp(c->points[p].workload, wl))
		p++;
	assert(p < c->npoints);
	kb_esc_filename(buf, len, "workload", wl, p);
}

/* "N thing" or "N things". */
static void count(FILE *f, long n, const char *what)
{
	fprintf(f, "%ld %s%s", n, what, n == 1 ? "" : "s");
}

/* The verdict, its counts and, when a campaign did not finish, why. */
static void banner(FILE *html, const struct kb_page_counts *n)
{
	long total = n->pass + n->fail + n->skip;
	const char *v = n->fail		   ? "FAIL"
			: n->incomplete[0] ? "INCOMPLETE"
			: n->pass	   ? "PASS"
					   : "SKIPPED";

	fprintf(html,
		"<div id=verdict class=\"banner %s\" data-verdict=%s data-pass=%ld "
		"data-fail=%ld data-skip=%ld><b>%s</b>: ",
		n->fail			       ? "fail"
		: n->incomplete[0] || !n->pass ? "none"
					       : "pass",
		v, n->pass, n->fail, n->skip, v);
	if (n->fail) {
		fprintf(html, "%ld of ", n->fail);
		count(html, total, "run");
		fprintf(html, " failed in ");
		count(html, n->fail_points, "point");
	} else if (n->pass) {
		fprintf(html, "%ld of ", n->pass);
		count(html, total, "run");
		fprintf(html, " passed");
	} else {
		fprintf(html, "all ");
		count(html, total, "run");
		fprintf(html, " skipped");
	}
	fprintf(html,
		"<span class=counts>%ld passed &middot; %ld failed &middot; %ld skipped</span>",
		n->pass, n->fail, n->skip);
	if (n->incomplete[0])
		kb_html(html, "<br><span class=why>Incomplete: %s.</span>", n->incomplete);
	fprintf(html, "</div>\n");
}

/* The skipped runs by reason, the commonest first. */
static int skip_reasons(struct kb_plotctx *c, FILE *html)
{
	sqlite3_stmt *st =
	    kb_plot_query(c, "SELECT count(*), IFNULL(reason, 'no reason recorded') FROM runs WHERE"
			     " campaign_id IN (%s) AND warmup = 0 AND status = 'skip' GROUP BY 2"
			     " ORDER BY 1 DESC, 2");
	int i = 0;

	if (!st)
		return -1;
	for (; sqlite3_step(st) == SQLITE_ROW; i++) {
		if (i == FIRST_SCREEN_LINES)
			continue;
		fprintf(html, "%s<li>%d skipped: ", i ? "" : "<ul class=skips>",
			sqlite3_column_int(st, 0));
		kb_html(html, "%s</li>\n", (const char *)sqlite3_column_text(st, 1));
	}
	if (i > FIRST_SCREEN_LINES)
		fprintf(html, "<li>and %d more reasons</li>\n", i - FIRST_SCREEN_LINES);
	if (i)
		fprintf(html, "</ul>\n");
	sqlite3_finalize(st);
	return 0;
}

/* Per campaign: its host, the host's kind and the paging modes its runs
 * ran with (a point may ask for another mode than the host's). */
static int hosts(struct kb_plotctx *c, FILE *html)
{
	sqlite3_stmt *st = kb_plot_query(
	    c,
	    "SELECT c.id, c.scenario, c.state, IFNULL(h.hostname, '?'), IFNULL(h.kind, 'unknown'),"
	    " h.timings_emulated, IFNULL((SELECT group_concat(DISTINCT " KB_SQL_PAGING ") FROM"
	    " runs r WHERE r.campaign_id = c.id AND r.status != 'skip'), h.paging)"
	    " FROM campaigns c JOIN hosts h ON h.id = c.host_id WHERE c.id IN (%s)"
	    " ORDER BY c.id");
	int i = 0;

	if (!st)
		return -1;
	fprintf(html, "<ul class=hosts>\n");
	for (; sqlite3_step(st) == SQLITE_ROW; i++) {
		const char *t[7];

		if (i == FIRST_SCREEN_LINES)
			continue;
		for (int k = 0; k < 7; k++)
			t[k] = (const char *)sqlite3_column_text(st, k);
		kb_html(html, "<li>Campaign %s (%s, %s) on <b>%s</b>: ", t[0], t[1], t[2], t[3]);
		kb_html(html, "<span class=host-kind>%s</span> host, ", t[4]);
		if (sqlite3_column_int(st, 5))
			fprintf(html, "<b>timings emulated</b>, ");
		kb_html(html, "paging <span class=paging>%s</span></li>\n", t[6]);
	}
	if (i > FIRST_SCREEN_LINES)
		fprintf(html, "<li>and %d more campaigns (see Campaigns)</li>\n",
			i - FIRST_SCREEN_LINES);
	fprintf(html, "</ul>\n");
	sqlite3_finalize(st);
	return 0;
}

/* Point p's main metric into v: median and 95% interval; false when it has
 * none. */
static bool point_main(const struct kb_plotctx *c, unsigned p, double v[3])
{
	struct kb_pseries *s = c->primary[p][0] ? kb_plot_series(c, p, c->primary[p]) : NULL;
	struct kb_summary_stats st;

	if (!s || !s->n)
		return false;
	kb_stats_summarise(s->v, s->n, &st); /* sorts s->v */
	v[0] = st.median;
	kb_median_interval(s->v, s->n, &v[1], &v[2]);
	return true;
}

/* x for reading: whole numbers from 1000 up (no exponent below 10^12),
 * else four significant digits. */
static void num(FILE *html, double x)
{
	if (fabs(x) >= 1000 && fabs(x) < 1e12)
		fprintf(html, "%.0f", x);
	else
		fprintf(html, "%.4g", x);
}

/* "median [low, high] unit" of point p's main metric. */
static void value_cell(FILE *html, const struct kb_plotctx *c, unsigned p, const double v[3])
{
	const struct kb_pseries *s = kb_plot_series(c, p, c->primary[p]);

	fprintf(html, "<td>");
	num(html, v[0]);
	fprintf(html, "</td><td>");
	num(html, v[1]);
	fprintf(html, " &ndash; ");
	num(html, v[2]);
	kb_html(html, "</td><td class=l>%s</td>", s ? s->unit : "");
}

/* The key figures' first cell: workload or point, linked to its section. */
static void key_name(FILE *html, const struct kb_plotctx *c, const char *wl, const char *text)
{
	char id[128];

	kb_page_anchor(c, wl, id, sizeof(id));
	kb_html(html, "<tr><td class=l><a href=\"#%s\">%s</a></td>", id, text);
}

/* The end of workload c->points[a]'s points. */
static unsigned workload_end(const struct kb_plotctx *c, unsigned a)
{
	unsigned b = a + 1;

	while (b < c->npoints && !strcmp(c->points[b].workload, c->points[a].workload))
		b++;
	return b;
}

/* A workload without a main metric: why, in one row of cols cells. */
static void key_nomain(struct kb_plotctx *c, FILE *html, const char *wl, int cols)
{
	long n[3];

	kb_page_workload_runs(c, wl, n);
	key_name(html, c, wl, wl);
	fprintf(html, "<td class=l colspan=%d>", cols - 1);
	if (n[1] && !n[0])
		fprintf(html,
			"<span class=bad>no passing run: %ld failed</span>, see <a "
			"href=\"#failures\">Failures</a>",
			n[1]);
	else if (!n[0])
		fprintf(html, "no passing run: all %ld skipped", n[2]);
	else
		fprintf(html, "passed, no metrics (a functional guest)");
	fprintf(html, "</td></tr>\n");
}

/* Workload [a, b)'s best and worst point by its main metric's direction,
 * each with its interval. */
static void key_best_worst(struct kb_plotctx *c, FILE *html, unsigned a, unsigned b)
{
	unsigned best = b, worst = b, pts = 0;
	double v[3], bv[3] = {0}, wv[3] = {0};

	for (unsigned p = a; p < b; p++) {
		const struct kb_pseries *s;
		int dir;

		if (!point_main(c, p, v))
			continue;
		s = kb_plot_series(c, p, c->primary[p]);
		dir = kb_metric_default_direction(s->unit) > 0 ? 1 : -1;
		pts++;
		if (best == b || (v[0] - bv[0]) * dir > 0)
			best = p, memcpy(bv, v, sizeof(v));
		if (worst == b || (v[0] - wv[0]) * dir < 0)
			worst = p, memcpy(wv, v, sizeof(v));
	}
	if (best == b) {
		key_nomain(c, html, c->points[a].workload, 6);
		return;
	}
	key_name(html, c, c->points[a].workload, c->points[a].workload);
	kb_html(html, "<td class=l>%s</td>", c->primary[best]);
	fprintf(html, "<td>%u</td>", pts);
	for (int k = 0; k < 2; k++) {
		const double *x = k ? wv : bv;

		kb_html(html, "<td class=l>%s: ", c->points[k ? worst : best].label);
		num(html, x[0]);
		fprintf(html, " (");
		num(html, x[1]);
		fprintf(html, " &ndash; ");
		num(html, x[2]);
		fprintf(html, ")</td>");
	}
	kb_html(html, "<td class=l>%s</td></tr>\n",
		kb_plot_series(c, best, c->primary[best])->unit);
}

/* Workload [a, b)'s rows, a point each. */
static void key_points(struct kb_plotctx *c, FILE *html, unsigned a, unsigned b)
{
	double v[3];
	bool any = false;

	for (unsigned p = a; p < b; p++) {
		if (!point_main(c, p, v))
			continue;
		key_name(html, c, c->points[p].workload, c->points[p].label);
		kb_html(html, "<td class=l>%s</td>", c->primary[p]);
		value_cell(html, c, p, v);
		fprintf(html, "</tr>\n");
		any = true;
	}
	if (!any)
		key_nomain(c, html, c->points[a].workload, 5);
}

/* The rows a point each would take: a point with a main metric, or one
 * for a workload with none. */
static unsigned key_rows_per_point(const struct kb_plotctx *c)
{
	unsigned rows = 0;

	for (unsigned a = 0, b; a < c->npoints; a = b) {
		unsigned r = 0;

		b = workload_end(c, a);
		for (unsigned p = a; p < b; p++)
			r += c->primary[p][0] && kb_plot_series(c, p, c->primary[p]);
		rows += r ? r : 1;
	}
	return rows;
}

/* Each workload's main metric: a row per point when they fit, else the
 * best and worst point of each workload. */
static void key_figures(struct kb_plotctx *c, FILE *html)
{
	bool per_point = key_rows_per_point(c) <= KEY_ROWS;
	unsigned rows = 0, more = 0;

	fprintf(html, "<p class=keyhead><b>Key figures</b>: each workload's main metric, the "
		      "median of its runs with its 95%% interval</p>\n<table class=key>\n");
	if (per_point)
		fprintf(html, "<tr><th class=l>point</th><th class=l>metric</th><th>median</th>"
			      "<th>95%% interval</th><th class=l>unit</th></tr>\n");
	else
		fprintf(html, "<tr><th class=l>workload</th><th class=l>metric</th><th>points</th>"
			      "<th class=l>best: median (95%% interval)</th><th class=l>worst</th>"
			      "<th class=l>unit</th></tr>\n");
	for (unsigned a = 0, b; a < c->npoints; a = b) {
		b = workload_end(c, a);
		if (per_point)
			key_points(c, html, a, b);
		else if (rows < KEY_ROWS)
			key_best_worst(c, html, a, b);
		else
			more++;
		rows++;
	}
	fprintf(html, "</table>\n");
	if (more)
		fprintf(html, "<p class=note>and %u more workloads: see their sections below</p>\n",
			more);
}

/* Links to every section of the page and to the trend page. */
static void contents(const struct kb_plotctx *c, FILE *html, const struct kb_page_counts *n)
{
	static const char *const parts[][2] = {
	    {"exits", "Exits"},
	    {"kvm-stats", "KVM statistics"},
	    {"distributions", "Distributions"},
	    {"scaling", "Scaling"},
	    {"paging", "Paging modes"},
	};
	char id[128];

	fprintf(html,
		"<nav id=toc><b>Contents</b>: <a href=\"#failures\">Failures (%ld)</a> "
		"&middot; <a href=\"#campaigns\">Campaigns</a> &middot; Workloads:",
		n->fail);
	for (unsigned a = 0; a < c->npoints; a = workload_end(c, a)) {
		kb_page_anchor(c, c->points[a].workload, id, sizeof(id));
		kb_html(html, " <a href=\"#%s\">%s</a>", id, c->points[a].workload);
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		fprintf(html, " &middot; <a href=\"#%s\">%s</a>", parts[i][0], parts[i][1]);
	fprintf(html, " &middot; <a href=\"trend.html\">Nightly trend</a></nav>\n");
}

int kb_page_overview(struct kb_plotctx *c, FILE *html, const struct kb_page_counts *n)
{
	banner(html, n);
	if (skip_reasons(c, html) || hosts(c, html))
		return -1;
	key_figures(c, html);
	contents(c, html, n);
	return ferror(html) ? -1 : 0;
}
