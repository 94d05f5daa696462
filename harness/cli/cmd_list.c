/*
 * kvmbench list: the database's campaigns, newest last.
 */
#include "analyze/summary.h"
#include "cli/cli.h"

/* --db, --format. */
struct list_state {
	const char *db, *format;
};

static const struct kb_option list_opts[] = {
    {"db", 0, "PATH", KB_DB_HELP},
    {"format", 0, "FMT", "text (default), json or csv (docs/reports.md)"},
    {0},
};

static int list_option(void *state, int i, const char *v)
{
	static const char *const formats[] = {"text", "json", "csv", NULL};
	struct list_state *s = state;

	if (i == 0) {
		s->db = v;
		return 0;
	}
	s->format = v;
	return kb_option_choice("kvmbench list", "--format", v, formats);
}

static int list_run(void *state, const struct kb_cli *cli)
{
	struct list_state *s = state;
	const char *db = s->db;
	char err[2048];

	if (!kb_list(db ? db : cli->db, s->format, stdout, err, sizeof(err)))
		return 0;
	fprintf(stderr, "kvmbench: %s\n", err);
	return 1;
}

const struct kb_command kb_cmd_list = {
    .name = "list",
    .summary = "list the campaigns in the database",
    .max_args = 0,
    .opts = list_opts,
    .state_size = sizeof(struct list_state),
    .option = list_option,
    .run = list_run,
    .help = "Campaign ids are what summary, report, compare and gates take (also tag:T,\n"
	    "last:KIND, prev:KIND).\n",
};
