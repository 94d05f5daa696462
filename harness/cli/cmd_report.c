/*
 * kvmbench report [CAMPAIGN...]: the database as a page a person can read
 * (report/render.c), its tables on stdout.
 */
#include <string.h>

#include "cli/cli.h"
#include "report/render.h"

enum { O_DB, O_OUT, O_NAME, O_PNG, O_FORMAT, O_THRESHOLD, O_END };

static const struct kb_option report_opts[] = {
    [O_DB] = {"db", 0, "PATH", KB_DB_HELP},
    [O_OUT] = {"out", 0, "DIR", "the report's directory (default reports/NAME)"},
    [O_NAME] = {"name", 0, "NAME", "its name (default campaign-<ids>)"},
    [O_PNG] = {"png", 0, NULL, "PNG figures besides the SVGs"},
    [O_FORMAT] = {"format", 0, "FMT", "stdout: text (default), json or csv"},
    [O_THRESHOLD] = {"threshold", 0, "T",
		     "the trend's regression markers: 5% or 0.05 (default 5%)"},
    [O_END] = {0},
};

/* --name is a directory under reports/, never a path out of it. */
static int check_name(const char *v)
{
	if (*v && !strchr(v, '/') && strcmp(v, ".") && strcmp(v, ".."))
		return 0;
	fprintf(stderr,
		"kvmbench report: --name '%s': a name under reports/, not a path "
		"(no '/', not '.' or '..'; --out DIR for another place)\n",
		v);
	return 1;
}

static int report_option(void *state, int i, const char *v)
{
	struct kb_report_opts *o = state;

	switch (i) {
	case O_DB: o->db = v; break;
	case O_OUT: o->out = v; break;
	case O_NAME:
		if (check_name(v))
			return 1;
		o->name = v;
		break;
	case O_PNG: o->png = true; break;
	case O_FORMAT: o->format = v; break;
	case O_THRESHOLD: return kb_option_threshold("kvmbench report", v, &o->threshold);
	}
	return 0;
}

static int report_run(void *state, const struct kb_cli *cli)
{
	struct kb_report_opts *o = state;
	char err[2048];
	int rc;

	if (!o->db)
		o->db = cli->db;
	o->root = cli->env->root;
	o->campaigns = cli->args;
	o->ncampaigns = cli->nargs;
	FILE *out = kb_text_out(o->format);

	rc = kb_report(o, out, err, sizeof(err));
	kb_text_done(out);
	if (rc == KB_REPORT_FIGURES || rc == KB_REPORT_PARTIAL)
		fprintf(stderr, "%s\n", err); /* the page is written: err says what it lacks */
	else if (rc)
		fprintf(stderr, "kvmbench: %s\n", err);
	return rc < 0 ? 1 : rc;
}

const struct kb_command kb_cmd_report = {
    .name = "report",
    .summary = "an HTML report (figures, tables, trends) of campaigns",
    .args = "[CAMPAIGN...]",
    .min_args = 0,
    .max_args = -1,
    .opts = report_opts,
    .state_size = sizeof(struct kb_report_opts),
    .option = report_option,
    .run = report_run,
    .help = "Without CAMPAIGN: the newest campaign.  The report is DIR/index.html and\n"
	    "trend.html, drawn by gnuplot (docs/reports.md): a verdict and the key figures\n"
	    "first, then the failures with their logs, the tables and the figures.\n"
	    "Exit status: 0 the page is complete; 1 no page, or a figure it lists is not\n"
	    "drawn (the line names it; see DIR/plots/gnuplot.log); 2 the page is written but\n"
	    "runs failed or a campaign did not finish (see its Failures section).\n",
};
