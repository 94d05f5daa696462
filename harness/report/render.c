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
#include "report/plot.h"
#include "analyze/stats.h"

static const char css[] =
    "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.85em}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
    "td.l,th.l{text-align:left}figure{margin:1em 0}img{max-width:100%}"
    "figcaption{font-size:0.85em;color:#555}.bad{color:#b00}.note{color:#555}";

/* Marks on <body> whether every figure loaded: the tests read it back. */
static const char check_script[] =
    "<script>window.addEventListener('load',function(){var im=document.images,ok=0,bad=0;"
    "for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;else bad++;}"
    "document.body.setAttribute('data-figures-loaded',ok);"
    "document.body.setAttribute('data-figures-broken',bad);});</script>";

static void page_start(FILE *f, const char *title)
{
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	kb_esc_html(f, title);
	fprintf(f, "</title><style>%s</style>%s</head>\n<body>\n<h1>", css, check_script);
	kb_esc_html(f, title);
	fprintf(f, "</h1>\n");
}

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
	       " (SELECT sum(status = 'pass') || ' pass, ' || sum(status = 'fail') || ' fail, ' ||"
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

/* index.html: the header, the tables (also to out, as fmt says) and the
 * figures.  0, or -1 with err. */
static int write_page(struct kb_plotctx *c, const char *name, FILE *out, const char *fmt, char *err,
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
	page_start(f, name);
	fprintf(f,
		"<p class=note>%u points; warm-up runs left out; medians with 95%% "
		"intervals of the median (order statistics). <a href=\"trend.html\">Nightly "
		"trend</a></p>\n",
		c->npoints);
	header(c, f);
	rc = kb_plot_tables(c, f, out, fmt) || kb_plot_exits(c, f) || kb_plot_kvm_stats(c, f) ||
	     kb_plot_distributions(c, f) || kb_plot_scaling(c, f) || kb_plot_paging(c, f);
	if (!rc)
		fprintf(f, "</body></html>\n");
	if (fclose(f) || rc) {
		snprintf(err, errlen, "%s: writing the report failed%s%s", c->dir,
			 c->err[0] ? ": " : "", c->err);
		return -1;
	}
	return 0;
}

int kb_report(const struct kb_report_opts *o, FILE *out, char *err, size_t errlen)
{
	struct kb_plotctx c = {.png = o->png};
	char path[1300], name[256] = "";
	int rc = -1;
	const char *fmt = o->format ? o->format : "text";

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
	if (kb_plot_load_points(&c, err, errlen) || write_page(&c, name, out, fmt, err, errlen) ||
	    kb_plot_trend(&c, err, errlen) || kb_plot_run_gnuplot(&c, err, errlen))
		goto out;
	fprintf(strcmp(fmt, "text") ? stderr : out, "report: %s/index.html (%u figures)\n", c.dir,
		c.nfigures);
	rc = 0;
out:
	kb_plot_free(&c);
	kb_db_close(c.db);
	return rc;
}
