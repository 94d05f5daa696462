/*
 * kvmbench summary CAMPAIGN: per point and metric the median, min, max,
 * CV and run count, and the exits.
 */
#include "analyze/summary.h"
#include "cli/cli.h"

static const struct kb_option summary_opts[] = {{"db", 0, "PATH", KB_DB_HELP}, {0}};

static int summary_run(void *state, const struct kb_cli *cli)
{
	const char *db = *(const char **)state;
	char err[2048];

	if (!kb_summary(db ? db : cli->db, cli->args[0], stdout, err, sizeof(err)))
		return 0;
	fprintf(stderr, "kvmbench: %s\n", err);
	return 1;
}

const struct kb_command kb_cmd_summary = {
    .name = "summary",
    .summary = "a campaign's points: median, min, max, CV of each metric, exits",
    .args = "CAMPAIGN",
    .min_args = 1,
    .max_args = 1,
    .opts = summary_opts,
    .state_size = sizeof(const char *),
    .option = kb_only_option,
    .run = summary_run,
    .help = "CAMPAIGN: an id, tag:T (the newest tagged T), last:KIND or prev:KIND (the\n"
	    "newest finished campaign of that kind, or the one before it on the same host).\n",
};
