/*
 * The report page (see render.h): header, per-workload tables, exit
 * breakdowns, KVM statistics, distributions, scaling, paging modes side by
 * side, and the nightly trend.  Every figure is a gnuplot script and its
 * data in plots/; all scripts run in one gnuplot process at the end.
 */
#include "report/render.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/compare.h"
#include "store/db.h"
#include "store/select.h"
#include "common/escape.h"
#include "common/util.h"
#include "report/figure.h"
#include "report/overview.h"
#include "report/plot.h"
#include "analyze/stats.h"

/* A campaign's row in the header table. */
static void header_row(FILE *f, sqlite3_stmt *st)
{
	const char *t[18];

	assert(sqlite3_column_count(st) == 18);
	for (int i = 0; i < 18; i++)
		t[i] = (const char *)sqlite3_column_text(st, i);
	fprintf(f, "<tr><td>%lld</td>", (long long)sqlite3_column_int64(st, 0));
	kb_html(f, "<td class=l>%s", t[1]);
	if (sqlite3_column_bytes(st, 13))
		kb_html(f, " tag %s", t[13]);
	kb_html(f, "</td><td>%s</td><td>%s</td><td class=l>%s</td>", t[2], t[3], t[4]);
	kb_html(f, "<td class=l>%s: %s", t[6], t[7]);
	fprintf(f, ", %d CPUs, kernel ", sqlite3_column_int(st, 11));
	kb_html(f, "%s</td><td class=l>%s: %s / %s", t[8], t[15], t[9], t[10]);
	fprintf(f, "%s</td>", sqlite3_column_int(st, 16) ? " (timings emulated)" : "");
	kb_html(f, "<td class=l>%s", t[12]);
	if (sqlite3_column_bytes(st, 14))
		kb_html(f, " (VMM args: %s)", t[14]);
	kb_html(f, "</td><td class=l>%s</td></tr>\n", t[17]);
}

/* The table of the selection's campaigns, and a warning when timings are
 * emulated in some. */
static void header(struct kb_plotctx *c, FILE *f)
{
	int emulated = 0;
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT c.id, c.scenario, c.kind, c.state, c.started, IFNULL(c.finished, ''),"
	       " h.hostname, h.cpu_model, h.kernel, h.kvm_module, h.paging, h.online_cpus,"
	       " IFNULL(b.version, '?') || ' ' || IFNULL(b.git, '?'), IFNULL(c.tag, ''),"
	       " IFNULL(c.vmm_args, ''), IFNULL(h.kind, '?'), h.timings_emulated,"
	       " (SELECT sum(status = 'pass') || ' pass, ' || sum(status NOT IN ('pass', 'skip')) "
	       "|| ' fail, ' ||"
	       "  sum(status = 'skip') || ' skipped' FROM runs r WHERE r.campaign_id = c.id"
	       "  AND r.warmup = 0)"
	       " FROM campaigns c JOIN hosts h ON h.id = c.host_id"
	       " LEFT JOIN builds b ON b.id = c.build_id WHERE c.id IN (%s) ORDER BY c.id");

	fprintf(f,
		"<table><tr><th>campaign</th><th class=l>scenario</th><th>kind</th>"
		"<th>state</th><th class=l>started</th><th class=l>host</th>"
		"<th class=l>KVM / paging</th><th class=l>build</th><th class=l>runs</th></tr>\n");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		header_row(f, st);
		emulated |= sqlite3_column_int(st, 16);
	}
	sqlite3_finalize(st);
	fprintf(f, "</table>\n");
	if (emulated)
		fprintf(f, "<p><b>Timings emulated.</b> Campaigns marked <i>lab</i> ran in the "
			   "kvmbench lab: QEMU's TCG emulating an AMD CPU with SVM, KVM inside it. "
			   "Their exit counts and KVM statistics are real KVM behaviour; their "
			   "cycles and times are QEMU's emulation, comparable only with other lab "
			   "runs (docs/hosts.md).</p>\n");
}

/* The campaigns to report on into c->in (none: the newest, with its
 * group), and the report's name and directory.  0, or -1 with err. */
static int select_campaigns(const struct kb_report_opts *o, struct kb_plotctx *c, char *name,
			    size_t namelen, char *err, size_t errlen)
{
	if (o->ncampaigns == 0 && kb_plot_newest(c, err, errlen))
		return -1;
	for (int i = 0; i < o->ncampaigns; i++) {
		int64_t id = kb_campaign_resolve(c->db, o->campaigns[i], err, errlen);

		if (id < 0)
			return -1;
		/* a campaign run in labs comes with its other part (npt / shadow) */
		kb_campaign_group_list(c->db, id, c->in, sizeof(c->in));
	}
	snprintf(name, namelen, "campaign-%s", c->in);
	for (char *p = name; *p; p++)
		if (*p == ',')
			*p = '-';
	if (o->name)
		snprintf(name, namelen, "%s", o->name);
	if (o->out)
		snprintf(c->dir, sizeof(c->dir), "%s", o->out);
	else
		snprintf(c->dir, sizeof(c->dir), "%s/reports/%s", o->root, name);
	return 0;
}

/* The campaigns' section: how the numbers were made, then their table. */
static void campaigns(struct kb_plotctx *c, FILE *f)
{
	fprintf(f,
		"<section id=campaigns><h2>Campaigns</h2>\n<p class=note>%u points; warm-up "
		"runs left out; medians with 95%% intervals of the median (order statistics). "
		"<a href=\"trend.html\">Nightly trend</a></p>\n",
		c->npoints);
	header(c, f);
	fprintf(f, "</section>\n");
}

/* The figure sections after the tables, each in a <section> with the id
 * the table of contents links to. */
static int sections(struct kb_plotctx *c, FILE *f)
{
	static const struct {
		const char *id;
		int (*part)(struct kb_plotctx *c, FILE *html);
	} parts[] = {
	    {"exits", kb_plot_exits},
	    {"kvm-stats", kb_plot_kvm_stats},
	    {"distributions", kb_plot_distributions},
	    {"scaling", kb_plot_scaling},
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		fprintf(f, "<section id=%s>\n", parts[i].id);
		if (parts[i].part(c, f))
			return -1;
		fprintf(f, "</section>\n");
	}
	return 0;
}

/* index.html: the first screen, the failures, the campaigns, the tables
 * (also to out, as fmt says) and the figures.  0, or -1 with err. */
static int write_page(struct kb_plotctx *c, const struct kb_report_opts *o, const char *name,
		      const struct kb_page_counts *n, FILE *out, const char *fmt, char *err,
		      size_t errlen)
{
	char path[1300];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/index.html", c->dir);
	if (!(f = fopen(path, "we"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	kb_page_start(f, name);
	rc = kb_page_overview(c, f, n) || kb_page_failures(c, f, o->db);
	/* the paging modes side by side (the headline, the ratio figure, a link
	 * to paging.html) where the first screens show it */
	if (!rc) {
		fprintf(f, "<section id=paging>\n");
		rc = kb_plot_paging(c, f);
		fprintf(f, "</section>\n");
	}
	if (!rc)
		campaigns(c, f);
	rc = rc || kb_plot_tables(c, f, out, fmt) || sections(c, f);
	if (!rc)
		fprintf(f, "</body></html>\n");
	if (fclose(f) || rc) {
		snprintf(err, errlen, "%s: writing the report failed%s%s", c->dir,
			 c->err[0] ? ": " : "", c->err);
		return -1;
	}
	return 0;
}

/* Whether file path (a figure or its PNG) is whole: an SVG ending in its
 * </svg>, a PNG with its signature, anything else not empty. */
static bool figure_whole(const char *path)
{
	static const char png[8] = "\x89PNG\r\n\x1a\n";
	char buf[80] = "";
	struct stat sb;
	size_t len = strlen(path), n = 0;
	bool ok = true;
	FILE *f;

	if (stat(path, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0 || !(f = fopen(path, "rbe")))
		return false;
	if (len > 4 && !strcmp(path + len - 4, ".png")) {
		ok = fread(buf, 1, 8, f) == 8 && !memcmp(buf, png, 8);
	} else if (len > 4 && !strcmp(path + len - 4, ".svg")) {
		if (sb.st_size > 64)
			fseek(f, -64, SEEK_END);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		ok = strstr(buf, "</svg>") != NULL;
	}
	fclose(f);
	return ok;
}

/* The whole of text file path, NUL-terminated (free it), or NULL. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rbe");
	char *text = NULL;
	long size;

	if (f && !fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
	    (text = malloc((size_t)size + 1))) {
		text[fread(text, 1, (size_t)size, f)] = 0;
	}
	if (f)
		fclose(f);
	return text;
}

/* The first file under plots/ the report's page (dir/page) links that is
 * not whole: its path from dir ("plots/NAME.svg") into bad.  false when
 * every one is, or the page is not there. */
static bool figure_missing(const char *dir, const char *page, char *bad, size_t len)
{
	char path[1400], *text;
	bool missing = false;

	snprintf(path, sizeof(path), "%s/%s", dir, page);
	if (!(text = read_text(path)))
		return false;
	for (char *p = text; !missing && (p = strstr(p, "=\"plots/")); p++) {
		char *q = strchr(p + 2, '"');

		if (!q)
			break;
		snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(q - p - 2), p + 2);
		if ((missing = !figure_whole(path)))
			snprintf(bad, len, "%.*s", (int)(q - p - 2), p + 2);
	}
	free(text);
	return missing;
}

/* gnuplot's outcome (gp_rc, gp_err) and the figures the pages list: 0 when
 * all are drawn, else 1 with one line in err naming what is missing. */
static int check_figures(const struct kb_plotctx *c, int gp_rc, const char *gp_err, char *err,
			 size_t errlen)
{
	static const char *const pages[] = {"index.html", "trend.html", "paging.html"};
	char bad[300] = "";
	bool missing = false;

	for (size_t i = 0; !missing && i < sizeof(pages) / sizeof(pages[0]); i++)
		missing = figure_missing(c->dir, pages[i], bad, sizeof(bad));
	if (!missing && !gp_rc)
		return 0;
	if (missing)
		snprintf(err, errlen,
			 "report: %s/index.html written, but its figure %s is missing or "
			 "incomplete: %s%s",
			 c->dir, bad, gp_rc ? "" : "gnuplot drew nothing there, see ",
			 gp_rc ? gp_err : "");
	else
		snprintf(err, errlen, "report: %s/index.html written, but %s", c->dir, gp_err);
	if (missing && !gp_rc) {
		size_t o = strlen(err);

		snprintf(err + o, errlen - o, "%s/plots/gnuplot.log", c->dir);
	}
	return 1;
}

/* What the report says it wrote: 0 on a complete page (the line to out),
 * else 2 with the line in err (runs failed, a campaign unfinished). */
static int verdict(const struct kb_plotctx *c, const struct kb_page_counts *n, FILE *out, char *err,
		   size_t errlen)
{
	if (!n->fail && !n->incomplete[0]) {
		fprintf(out, "report: %s/index.html (%u figures)\n", c->dir, c->nfigures);
		return 0;
	}
	if (n->fail)
		snprintf(err, errlen,
			 "report: %s/index.html (%u figures); %ld run%s failed: see its Failures "
			 "section",
			 c->dir, c->nfigures, n->fail, n->fail == 1 ? "" : "s");
	else
		snprintf(err, errlen, "report: %s/index.html (%u figures); %s", c->dir, c->nfigures,
			 n->incomplete);
	return KB_REPORT_PARTIAL;
}

int kb_report(const struct kb_report_opts *o, FILE *out, char *err, size_t errlen)
{
	struct kb_plotctx c = {.png = o->png, .threshold = o->threshold > 0 ? o->threshold : 0.05};
	struct kb_page_counts n;
	char path[1300], name[256] = "", gp_err[1400] = "";
	int rc = -1, gp_rc;
	const char *fmt = o->format ? o->format : "text";

	err[0] = 0; /* read below to tell a message of c.err from one already here */
	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
		snprintf(err, errlen, "--format %s: want text, json or csv", fmt);
		return -1;
	}
	if (kb_plot_have_gnuplot(err, errlen) ||
	    kb_db_open(o->db, false, false, &c.db, err, errlen))
		return -1;
	if (select_campaigns(o, &c, name, sizeof(name), err, errlen))
		goto out;
	snprintf(path, sizeof(path), "%s/plots", c.dir);
	if (kb_mkdirs(path)) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	if (kb_plot_load_points(&c, err, errlen) || kb_page_count(&c, &n) ||
	    write_page(&c, o, name, &n, out, fmt, err, errlen) || kb_plot_trend(&c, err, errlen)) {
		if (c.err[0] && !err[0])
			snprintf(err, errlen, "%s", c.err);
		goto out;
	}
	gp_rc = kb_plot_run_gnuplot(&c, gp_err, sizeof(gp_err));
	rc = check_figures(&c, gp_rc, gp_err, err, errlen);
	if (!rc)
		rc = verdict(&c, &n, strcmp(fmt, "text") ? stderr : out, err, errlen);
out:
	kb_plot_free(&c);
	kb_db_close(c.db);
	return rc;
}
