/*
 * kvmbench gates CAMPAIGN --gates FILE: release qualification, a campaign
 * against the gates of an INI file (analyze/gates.c), JUnit XML if asked.
 */
#include <string.h>

#include "analyze/gates.h"
#include "cli/cli.h"

enum { O_DB, O_GATES, O_JUNIT, O_FORMAT, O_END };

struct gates_state {
	const char *db, *gates, *junit;
	bool tap;
};

static const struct kb_option gates_opts[] = {
    [O_DB] = {"db", 0, "PATH", KB_DB_HELP},
    [O_GATES] = {"gates", 0, "FILE", "the gates (INI, e.g. scenarios/qualify-gates.ini); required"},
    [O_JUNIT] = {"junit", 0, "FILE", "also write JUnit XML: a testcase per point and per gate"},
    [O_FORMAT] = {"format", 0, "FMT", "text (default) or tap (TAP version 13, a line per case)"},
    [O_END] = {0},
};

static int gates_option(void *state, int i, const char *v)
{
	static const char *const formats[] = {"text", "tap", NULL};
	struct gates_state *s = state;

	if (i == O_FORMAT) {
		s->tap = !strcmp(v, "tap");
		return kb_option_choice("kvmbench gates", "--format", v, formats);
	}
	if (i == O_DB)
		s->db = v;
	else if (i == O_GATES)
		s->gates = v;
	else
		s->junit = v;
	return 0;
}

static int gates_run(void *state, const struct kb_cli *cli)
{
	struct gates_state *s = state;
	char err[2048];
	int rc;

	if (!s->gates)
		return kb_usage_error(cli->cmd, "--gates FILE is required");
	rc = kb_gates(s->db ? s->db : cli->db, cli->args[0], s->gates, s->junit, s->tap, stdout,
		      err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "kvmbench: %s\n", err);
	return rc < 0 ? 1 : rc;
}

const struct kb_command kb_cmd_gates = {
    .name = "gates",
    .summary = "check a campaign against release gates; exit 10 when one fails",
    .args = "CAMPAIGN",
    .min_args = 1,
    .max_args = 1,
    .opts = gates_opts,
    .state_size = sizeof(struct gates_state),
    .option = gates_option,
    .run = gates_run,
    .help = "The gates file's format is in analyze/gates.h and docs/reports.md.  Exit\n"
	    "status: 0 every gate holds, 10 one fails, 1 error.\n",
};
