/*
 * kvmbench help [COMMAND]: the list of commands, or one command's usage
 * (the same as kvmbench --help and kvmbench COMMAND --help).
 */
#include "cli/cli.h"

static int help_run(void *state, const struct kb_cli *cli)
{
	const struct kb_command *c;

	(void)state;
	if (!cli->nargs) {
		kb_commands_help(stdout);
		return 0;
	}
	if (!(c = kb_command_find(cli->args[0])))
		return kb_unknown_command(cli->args[0]);
	kb_command_help(c, stdout);
	return 0;
}

const struct kb_command kb_cmd_help = {
    .name = "help",
    .summary = "the commands, or one command's arguments and options",
    .args = "[COMMAND]",
    .min_args = 0,
    .max_args = 1,
    .run = help_run,
};
