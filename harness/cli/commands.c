/*
 * The subcommands, in the order `kvmbench --help` lists them.  Each is
 * defined in its own cmd_NAME.c as `const struct kb_command kb_cmd_NAME`;
 * a new one is that file and one line here.
 */
#include <string.h>

#include "common/version.h"
#include "cli/cli.h"

#define KB_COMMANDS(X)  \
	X(run)          \
	X(scenarios)    \
	X(show)         \
	X(list)         \
	X(summary)      \
	X(report)       \
	X(compare)      \
	X(gates)        \
	X(merge)        \
	X(migrate)      \
	X(images)       \
	X(fetch)        \
	X(host)         \
	X(lab)          \
	X(ingest_bench) \
	X(help)

#define DECLARE(name) extern const struct kb_command kb_cmd_##name;
#define ENTRY(name) &kb_cmd_##name,

KB_COMMANDS(DECLARE)
const struct kb_command *const kb_commands[] = {KB_COMMANDS(ENTRY) NULL};

const struct kb_command *kb_command_find(const char *name)
{
	for (size_t i = 0; kb_commands[i]; i++)
		if (!strcmp(kb_commands[i]->name, name))
			return kb_commands[i];
	return NULL;
}

int kb_unknown_command(const char *name)
{
	const char *names[64];
	size_t n = 0;

	while (kb_commands[n] && n < 64) {
		names[n] = kb_commands[n]->name;
		n++;
	}
	const char *close = kb_closest(name, names, n);

	if (close)
		fprintf(stderr, "kvmbench: '%s' is not a command; did you mean '%s'?\n", name,
			close);
	else
		fprintf(stderr, "kvmbench: '%s' is not a command; try 'kvmbench --help'\n", name);
	return KB_EXIT_USAGE;
}

void kb_commands_help(FILE *f)
{
	fprintf(f, "usage: kvmbench COMMAND [ARGUMENTS] [OPTIONS]\n"
		   "       kvmbench COMMAND --help   the command's arguments and options\n"
		   "       kvmbench --version\n\ncommands:\n");
	for (size_t i = 0; kb_commands[i]; i++)
		fprintf(f, "  %-14s %s\n", kb_commands[i]->name, kb_commands[i]->summary);
	fprintf(f, "\nCampaigns: an id, tag:T, last:KIND or prev:KIND.  Default database:\n"
		   "results/kvmbench.db.  Exit status: 0 ok, 1 error, 2 a usage error (but\n"
		   "for run: 1 a usage error, 2 some runs failed), 10 regression or failed\n"
		   "gate, 130 interrupted (resume with --resume).\n");
}

void kb_version(FILE *f)
{
	fprintf(f, "kvmbench %s (git %s)\n", KB_VERSION, KB_GIT);
}
