/*
 * kvmbench merge DB... -o OUT: the union of databases (shards, hosts)
 * without duplicates; merging again adds what the sources gained since.
 */
#include "cli/cli.h"
#include "store/merge.h"

static const struct kb_option merge_opts[] = {
    {"out", 'o', "OUT", "the database to merge into (created when missing); required"},
    {0},
};

static int merge_run(void *state, const struct kb_cli *cli)
{
	const char *out = *(const char **)state;
	char err[2048];

	if (!out)
		return kb_usage_error(cli->cmd, "-o OUT is required");
	if (!kb_merge(out, cli->args, cli->nargs, err, sizeof(err)))
		return 0;
	fprintf(stderr, "kvmbench: %s\n", err);
	return 1;
}

const struct kb_command kb_cmd_merge = {
    .name = "merge",
    .summary = "merge databases into one, without duplicates",
    .args = "DB...",
    .min_args = 1,
    .max_args = -1,
    .opts = merge_opts,
    .state_size = sizeof(const char *),
    .option = kb_only_option,
    .run = merge_run,
    .help = "Campaigns (by uuid) and runs (by point, repeat and warm-up) already in OUT\n"
	    "are not added again.  The sources are opened read-only; one older than this\n"
	    "build's schema is refused.\n",
};
