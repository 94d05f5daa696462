/*
 * kvmbench's command line: a table of subcommands (commands.c), each in
 * its own file cmd_NAME.c declaring its arguments, its own options, its
 * handler and its help.  command.c parses one command's options from its
 * table (getopt_long), refuses any other option and a wrong number of
 * arguments (exit 2, one line and a --help hint), and prints its help.
 * Adding a subcommand is one new file and one line of KB_COMMANDS
 * (commands.c).
 */
#ifndef KB_CLI_H
#define KB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exec/env.h"

/* Exit status of a usage error: unknown command or option, wrong arguments. */
#define KB_EXIT_USAGE 2

/* One option of a command: --name, and -c too when short_name is set. */
struct kb_option {
	const char *name; /* long name without "--"; NULL ends a table */
	char short_name;  /* -c, or 0 */
	const char *arg;  /* its value's name in help ("N", "FILE"); NULL: a flag */
	const char *help; /* one line */
	bool repeat;	  /* may be given more than once (else the last wins) */
};

/* --db's help, in the tables of the commands that take it. */
#define KB_DB_HELP "the database (default results/kvmbench.db)"

/* What every handler gets besides its own state. */
struct kb_cli {
	const struct kb_env *env;
	const struct kb_command *cmd;
	char **args; /* the arguments left after the options, in order */
	int nargs;
	const char *db; /* the default database: results/kvmbench.db */
};

struct kb_command {
	const char *name;
	const char *summary;	      /* one line, for kvmbench --help */
	const char *args;	      /* the arguments in usage: "SCENARIO", "[IMAGE...]" */
	int min_args, max_args;	      /* max_args -1: no limit */
	bool rest;		      /* options end at the first argument (lab [--] CMD...) */
	const struct kb_option *opts; /* indexed by the command's own enum; may be NULL */
	size_t state_size;	      /* the handler's state, zeroed before init */
	/* optional: defaults into the state */
	void (*init)(void *state);
	/* opts[i] was given with val (NULL for a flag): 0, or an exit status
	 * after printing one line naming the option and what is wrong */
	int (*option)(void *state, int i, const char *val);
	/* the command, after its options and its argument count were checked:
	 * returns the process's exit status */
	int (*run)(void *state, const struct kb_cli *cli);
	const char *help; /* paragraphs after the options in `kvmbench CMD --help` */
	/* the exit status of its usage errors when not KB_EXIT_USAGE: run's 2
	 * means "some runs failed", which scripts act on (ci/nightly) */
	int usage_status;
};

/* The table (commands.c), ended by NULL. */
extern const struct kb_command *const kb_commands[];

/* The command named name, or NULL. */
const struct kb_command *kb_command_find(const char *name);

/* Print "'name' is not a command" with the closest one, if any; returns
 * KB_EXIT_USAGE. */
int kb_unknown_command(const char *name);

/*
 * Which of names[0..n) word was meant as: the only one it begins, else the
 * closest by edit distance (adjacent transpositions count one) when that
 * is at most 1 (words of up to 4 letters) or 2; NULL when none is close.
 */
const char *kb_closest(const char *word, const char *const *names, size_t n);

/* kvmbench --version: the version and the build's git description. */
void kb_version(FILE *f);

/* kvmbench --help: usage, the commands with their summaries, exit statuses. */
void kb_commands_help(FILE *f);

/* kvmbench CMD --help: usage, options, long help. */
void kb_command_help(const struct kb_command *c, FILE *f);

/*
 * Run command c on argv[0..argc) (argv[0] is the command's name): parse its
 * options into a fresh state, check the argument count, call its handler.
 * Returns the process's exit status: the handler's, 0 after --help, or
 * KB_EXIT_USAGE after a usage error printed in one line.
 */
int kb_command_main(const struct kb_command *c, const struct kb_env *env, const char *db, int argc,
		    char **argv);

/* Print "kvmbench CMD: what; try 'kvmbench CMD --help'" and return
 * KB_EXIT_USAGE: for usage errors a handler finds itself. */
int kb_usage_error(const struct kb_command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * run and show (cmd_scenarios.c): is name (a scenario name, or a path kept as it is) there?
 * 0, or 1 after one line saying it is not, with the closest scenario name.
 */
int kb_scenario_check(const struct kb_cli *cli, const char *name);

/* option() of the commands with a single option, which takes a value
 * (--db; merge's -o): their state is a const char *, NULL when not given. */
int kb_only_option(void *state, int i, const char *val);

/* The state, options and option() of the commands that take only --db and
 * --format text|json|csv (list, summary). */
struct kb_db_format {
	const char *db, *format;
};
extern const struct kb_option kb_db_format_opts[];
int kb_db_format_option(void *state, int i, const char *val);

/* --threshold v: 5% or 0.05 into *out; a bare number of 1 or more (5:
 * 500 %, or a forgotten %?) is refused as ambiguous, whatever its size.
 * 0, or 1 with one line on stderr. */
int kb_option_threshold(const char *who, const char *v, double *out);

/* Where a command's output in format (NULL: text) goes: for text, stdout
 * through kb_esc_term_stream (strings from a database reach no terminal as
 * escape sequences); for a machine format, stdout.  kb_text_done() when
 * written. */
FILE *kb_text_out(const char *format);
void kb_text_done(FILE *out);

struct kb_manifest;
struct kb_fetch_opts;
/*
 * images and fetch (cmd_images.c): load the manifest (images/manifest.ini without one),
 * check that it names each of cli's arguments, and fill fo's defaults.
 * 0, or 1 after one line on stderr.
 */
int kb_images_open(const struct kb_cli *cli, const char *manifest, struct kb_manifest *m,
		   struct kb_fetch_opts *fo);

/* An option's value v as a whole number in [lo, hi] into *out: 0, or 1
 * after "who: opt v: why" on stderr. */
int kb_option_uint(const char *who, const char *opt, const char *v, unsigned lo, unsigned hi,
		   unsigned *out);

/* v one of choices[] (NULL-ended): 0, or 1 after "who: opt v: want A, B
 * or C" on stderr. */
int kb_option_choice(const char *who, const char *opt, const char *v, const char *const *choices);

#endif
