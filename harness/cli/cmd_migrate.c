/*
 * kvmbench migrate: bring a database to this build's schema in place
 * (the commands that only read refuse an older one and name this).
 */
#include "cli/cli.h"
#include "store/db.h"

static const struct kb_option migrate_opts[] = {{"db", 0, "PATH", KB_DB_HELP}, {0}};

static int migrate_run(void *state, const struct kb_cli *cli)
{
	const char *db = *(const char **)state ? *(const char **)state : cli->db;
	char err[1024];
	int from;

	if (kb_db_migrate(db, &from, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", err);
		return 1;
	}
	if (from == KB_DB_SCHEMA)
		printf("%s: schema version %d already\n", db, from);
	else
		printf("%s: schema version %d to %d\n", db, from, KB_DB_SCHEMA);
	return 0;
}

const struct kb_command kb_cmd_migrate = {
    .name = "migrate",
    .summary = "upgrade an older database's schema in place",
    .max_args = 0,
    .opts = migrate_opts,
    .state_size = sizeof(const char *),
    .option = kb_only_option,
    .run = migrate_run,
    .help = "Commands that only read never write a database; run and merge -o migrate\n"
	    "it themselves (docs/db-schema.md).\n",
};
