/*
 * kvmbench summary CAMPAIGN: per point and metric the median, min, max,
 * CV and run count, and the exits.
 */
#include "analyze/summary.h"
#include "cli/cli.h"

static int summary_run(void *state, const struct kb_cli *cli)
{
	struct kb_db_format *s = state;
	const char *db = s->db;
	char err[2048];

	FILE *out = kb_text_out(s->format);
	int rc = kb_summary(db ? db : cli->db, cli->args[0], s->format, out, err, sizeof(err));

	kb_text_done(out);
	if (!rc)
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
    .opts = kb_db_format_opts,
    .state_size = sizeof(struct kb_db_format),
    .option = kb_db_format_option,
    .run = summary_run,
    .help = "CAMPAIGN: an id, tag:T (the newest tagged T), last:KIND or prev:KIND (the\n"
	    "newest finished campaign of that kind, or the one before it on the same host).\n",
};
