/*
 * The results database (SQLite): schema, migrations, opening with clear
 * errors, and the rows the harness writes.  docs/db-schema.md documents
 * the tables with example queries.
 */
#ifndef KB_DB_H
#define KB_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define KB_DB_SCHEMA 4

/*
 * Open (creating when allowed) and migrate path.  WAL, foreign keys, a
 * busy timeout.  A file that is not a database, is corrupt, is locked past
 * the timeout, is read-only when writing is needed, or has a newer schema
 * gives -1 with the reason (naming path) in err, and nothing is written.
 */
int kb_db_open(const char *path, bool create, bool write, sqlite3 **db, char *err, size_t errlen);
void kb_db_close(sqlite3 *db);

/* Run sql (no result rows); -1 with sqlite's message in err. */
int kb_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

/* Prepare or fail with the statement's error in err. */
sqlite3_stmt *kb_db_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen);

#endif
