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
 * Open path, creating it when create.  With write: WAL, and an older
 * schema migrated.  Without: SQLITE_OPEN_READONLY, nothing written, and an
 * older schema refused (the error names `kvmbench migrate`).  Both: foreign
 * keys, a busy timeout (KVMBENCH_DB_TIMEOUT_MS, default 5 s).  A file that
 * is not a database, is corrupt, is locked past the timeout, is read-only
 * when writing is needed, or has a newer schema gives -1 with the reason
 * (naming path) in err, and nothing is written.
 */
int kb_db_open(const char *path, bool create, bool write, sqlite3 **db, char *err, size_t errlen);

/* `kvmbench migrate`: bring path to this build's schema in place; *from is
 * the version it had.  0, or -1 with err. */
int kb_db_migrate(const char *path, int *from, char *err, size_t errlen);

/* path as an SQLite URI (percent-escaped, so '?' and '#' in a name stay
 * part of it), read-only when readonly: for sqlite3_open_v2 with
 * SQLITE_OPEN_URI and for ATTACH.  0, or -1 when it does not fit. */
int kb_db_uri(const char *path, bool readonly, char *out, size_t len);

/* Close db (NULL: nothing) once its statements are finalized. */
void kb_db_close(sqlite3 *db);

/* Run sql (no result rows); -1 with sqlite's message in err. */
int kb_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

/* Prepare or fail with the statement's error in err. */
sqlite3_stmt *kb_db_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen);

#endif
