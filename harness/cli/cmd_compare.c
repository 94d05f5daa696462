/*
 * kvmbench compare BASELINE CANDIDATE: point by point and metric by metric,
 * the ratio of medians with its bootstrap interval judged against a noise
 * threshold (analyze/compare.c).
 */
#include <string.h>

#include "analyze/compare.h"
#include "cli/cli.h"
#include "common/util.h"

#define WHO "kvmbench compare"

enum { O_DB, O_BY, O_THRESHOLD, O_FORMAT, O_SCENARIO, O_CAMPAIGN, O_MIXED, O_END };

static const struct kb_option compare_opts[] = {
    [O_DB] = {"db", 0, "PATH", KB_DB_HELP},
    [O_BY] = {"by", 0, "AXIS", "campaign (default), paging, host, build, tag or an axis"},
    [O_THRESHOLD] = {"threshold", 0, "T",
		     "the change called a regression: 5% or 0.05 (default 5%)"},
    [O_FORMAT] = {"format", 0, "FMT", "text (default), json or csv"},
    [O_SCENARIO] = {"scenario", 0, "FILE", "[metric.*] thresholds and directions from FILE"},
    [O_CAMPAIGN] = {"campaign", 0, "N", "only campaign N's runs, with --by", true},
    [O_MIXED] = {"mixed-hosts", 0, NULL, "compare timings across kinds of host anyway"},
    [O_END] = {0},
};

static void compare_init(void *state)
{
	struct kb_compare_opts *o = state;

	o->threshold = 0.05;
}

static int compare_option(void *state, int i, const char *v)
{
	struct kb_compare_opts *o = state;
	double id;

	switch (i) {
	case O_DB: o->db = v; break;
	case O_BY: o->by = v; break;
	case O_THRESHOLD: return kb_option_threshold(WHO, v, &o->threshold);
	case O_FORMAT: o->format = v; break;
	case O_SCENARIO: o->scenario = v; break;
	case O_MIXED: o->mixed_hosts = true; break;
	case O_CAMPAIGN:
		if (kb_number_arg(WHO, "--campaign", v, 1, 1e15, KB_NUM_INT, &id))
			return 1;
		if (o->ncampaigns == sizeof(o->campaigns) / sizeof(o->campaigns[0])) {
			fprintf(stderr, WHO ": --campaign: at most %u\n", o->ncampaigns);
			return 1;
		}
		o->campaigns[o->ncampaigns++] = (int64_t)id;
		break;
	}
	return 0;
}

static int compare_run(void *state, const struct kb_cli *cli)
{
	struct kb_compare_opts *o = state;
	char err[2048];
	int rc;

	if (!o->db)
		o->db = cli->db;
	o->baseline = cli->args[0];
	o->candidate = cli->args[1];
	rc = kb_compare(o, stdout, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "kvmbench: %s\n", err);
	return rc < 0 ? 1 : rc;
}

const struct kb_command kb_cmd_compare = {
    .name = "compare",
    .summary = "two campaigns (or sides) metric by metric; exit 10 on a regression",
    .args = "BASELINE CANDIDATE",
    .min_args = 2,
    .max_args = 2,
    .opts = compare_opts,
    .state_size = sizeof(struct kb_compare_opts),
    .init = compare_init,
    .option = compare_option,
    .run = compare_run,
    .help = "With --by campaign (the default) BASELINE and CANDIDATE are campaigns (an id,\n"
	    "tag:T, last:KIND, prev:KIND); with another --by they are values of it\n"
	    "(compare ept shadow --by paging).  Values starting with '-' go after '--'.\n"
	    "Exit status: 0 nothing regressed, 10 something did, 1 error\n"
	    "(docs/reports.md).\n",
};
