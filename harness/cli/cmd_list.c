/*
 * kvmbench list: the database's campaigns, newest last.
 */
#include "analyze/summary.h"
#include "cli/cli.h"

static int list_run(void *state, const struct kb_cli *cli)
{
	struct kb_db_format *s = state;
	const char *db = s->db;
	char err[2048];

	FILE *out = kb_text_out(s->format);
	int rc = kb_list(db ? db : cli->db, s->format, out, err, sizeof(err));

	kb_text_done(out);
	if (!rc)
		return 0;
	fprintf(stderr, "kvmbench: %s\n", err);
	return 1;
}

const struct kb_command kb_cmd_list = {
    .name = "list",
    .summary = "list the campaigns in the database",
    .max_args = 0,
    .opts = kb_db_format_opts,
    .state_size = sizeof(struct kb_db_format),
    .option = kb_db_format_option,
    .run = list_run,
    .help = "Campaign ids are what summary, report, compare and gates take (also tag:T,\n"
	    "last:KIND, prev:KIND).\n",
};
