/*
 * kvmbench summary CAMPAIGN: per point and metric the median, min, max,
 * CV and run count, and the exits.
 */
#include "analyze/summary.h"
#include "cli/cli.h"

/* --db, --format. */
struct summary_state {
	const char *db, *format;
};

static const struct kb_option summary_opts[] = {
    {"db", 0, "PATH", KB_DB_HELP},
    {"format", 0, "FMT", "text (default), json or csv (docs/reports.md)"},
    {0},
};

static int summary_option(void *state, int i, const char *v)
{
	static const char *const formats[] = {"text", "json", "csv", NULL};
	struct summary_state *s = state;

	if (i == 0) {
		s->db = v;
		return 0;
	}
	s->format = v;
	return kb_option_choice("kvmbench summary", "--format", v, formats);
}

static int summary_run(void *state, const struct kb_cli *cli)
{
	struct summary_state *s = state;
	const char *db = s->db;
	char err[2048];

	if (!kb_summary(db ? db : cli->db, cli->args[0], s->format, stdout, err, sizeof(err)))
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
    .state_size = sizeof(struct summary_state),
    .option = summary_option,
    .run = summary_run,
    .help = "CAMPAIGN: an id, tag:T (the newest tagged T), last:KIND or prev:KIND (the\n"
	    "newest finished campaign of that kind, or the one before it on the same host).\n",
};
