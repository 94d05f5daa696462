/*
 * kvmbench list: the database's campaigns, newest last.
 */
#include "analyze/summary.h"
#include "cli/cli.h"

static const struct kb_option list_opts[] = {{"db", 0, "PATH", KB_DB_HELP}, {0}};

static int list_run(void *state, const struct kb_cli *cli)
{
	const char *db = *(const char **)state;
	char err[2048];

	if (!kb_list(db ? db : cli->db, stdout, err, sizeof(err)))
		return 0;
	fprintf(stderr, "kvmbench: %s\n", err);
	return 1;
}

const struct kb_command kb_cmd_list = {
    .name = "list",
    .summary = "list the campaigns in the database",
    .max_args = 0,
    .opts = list_opts,
    .state_size = sizeof(const char *),
    .option = kb_only_option,
    .run = list_run,
    .help = "Campaign ids are what summary, report, compare and gates take (also tag:T,\n"
	    "last:KIND, prev:KIND).\n",
};
