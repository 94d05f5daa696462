/*
 * SQLite plumbing for the results database.  Migrations are a list of
 * scripts; PRAGMA user_version says how many have run.  A database from a
 * newer kvmbench (user_version above what this build knows) is refused
 * rather than guessed at.  Only writers migrate: a reader opens the file
 * read-only and refuses an older schema, naming `kvmbench migrate`.
 */
#include "store/db.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/schema.sql.h"
#include "common/util.h"

static const char *const migrations[] = {kb_schema_v1, kb_schema_v2, kb_schema_v3, kb_schema_v4};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == KB_DB_SCHEMA,
	       "one migration per schema version");

static int dberr(char *err, size_t errlen, const char *path, const char *what, sqlite3 *db)
{
	int code = db ? sqlite3_extended_errcode(db) & 0xff : 0;
	const char *hint = code == SQLITE_NOTADB     ? " (not an SQLite database)"
			   : code == SQLITE_CORRUPT  ? " (the database is corrupt)"
			   : code == SQLITE_BUSY     ? " (locked by another process; try again)"
			   : code == SQLITE_READONLY ? " (read-only: check its permissions)"
						     : "";

	snprintf(err, errlen, "%s: %s: %s%s", path, what, db ? sqlite3_errmsg(db) : "", hint);
	return -1;
}

int kb_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

sqlite3_stmt *kb_db_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* PRAGMA quick_check answers one row "ok" when the file is sound. */
static int quick_check(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) == SQLITE_OK &&
		 sqlite3_step(st) == SQLITE_ROW &&
		 !strcmp((const char *)sqlite3_column_text(st, 0), "ok");

	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

/*
 * journal_mode=WAL and synchronous=NORMAL.  Switching the journal mode does
 * not wait in the busy handler, so two kvmbench processes creating the
 * same database at once retry here for up to the busy timeout.
 */
static int set_wal(sqlite3 *db, int timeout_ms)
{
	int tries = timeout_ms / 10;
	char why[256];

	for (int i = 0; i <= tries; i++) {
		if (!kb_db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", why,
				sizeof(why)))
			return 0;
		int code = sqlite3_errcode(db);

		if (code != SQLITE_BUSY && code != SQLITE_LOCKED)
			return -1;
		usleep(10000);
	}
	return -1;
}

static int migrate(sqlite3 *db, const char *path, int from, char *err, size_t errlen)
{
	char sql[64], why[512], ignore[64];

	if (kb_db_exec(db, "BEGIN IMMEDIATE", why, sizeof(why)))
		return dberr(err, errlen, path, "cannot start the schema upgrade", db);
	/* Another kvmbench may have upgraded it while we waited for the lock. */
	if (user_version(db, &from)) {
		kb_db_exec(db, "ROLLBACK", ignore, sizeof(ignore));
		return dberr(err, errlen, path, "cannot read", db);
	}
	for (int v = from; v < KB_DB_SCHEMA; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (kb_db_exec(db, migrations[v], why, sizeof(why)) ||
		    kb_db_exec(db, sql, why, sizeof(why))) {
			kb_db_exec(db, "ROLLBACK", ignore, sizeof(ignore));
			snprintf(err, errlen, "%s: schema upgrade to version %d failed: %s", path,
				 v + 1, why);
			return -1;
		}
	}
	if (kb_db_exec(db, "COMMIT", why, sizeof(why))) {
		snprintf(err, errlen, "%s: schema upgrade failed: %s", path, why);
		return -1;
	}
	return 0;
}

int kb_db_uri(const char *path, bool readonly, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "file:%s", path[0] == '/' ? "//" : "");

	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (n + 4 > len)
			return -1;
		if ((*c < 128 && isalnum(*c)) || strchr("/-._~", *c))
			out[n++] = (char)*c;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", *c);
	}
	return (size_t)snprintf(out + n, len - n, "%s", readonly ? "?mode=ro" : "") < len - n ? 0
											      : -1;
}

/*
 * A reader (report, compare, summary) reads a large database's pages many
 * times over, a page per read() with SQLite's 2 MiB default cache: that
 * copying was most of a report's time on 100,000 runs.  A reader maps the
 * file instead (up to 1 GiB; the rest is read as before) and keeps up to
 * 64 MiB of pages.  Both only change how pages are read; a failure to set
 * them leaves the defaults.
 */
static void read_fast(sqlite3 *db)
{
	char ignore[128];

	kb_db_exec(db, "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536", ignore,
		   sizeof(ignore));
}

/*
 * Open path (a URI, so a file: name is never taken for one) with flags and
 * read its schema version; a newer schema or a damaged file is refused.
 */
static int open_checked(const char *path, int flags, sqlite3 **out, int *version, char *err,
			size_t errlen)
{
	sqlite3 *db = NULL;
	char uri[4200];
	double tmo;

	*out = NULL;
	if (kb_env_number("KVMBENCH_DB_TIMEOUT_MS", 1, 3600000, KB_NUM_INT, 5000, &tmo, err,
			  errlen))
		return -1;
	if (kb_db_uri(path, !(flags & SQLITE_OPEN_READWRITE), uri, sizeof(uri))) {
		snprintf(err, errlen, "%.200s...: path too long", path);
		return -1;
	}
	if (sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		dberr(err, errlen, path, "cannot open", db);
		goto fail;
	}
	sqlite3_busy_timeout(db, (int)tmo);
	if (!(flags & SQLITE_OPEN_READWRITE))
		read_fast(db);
	sqlite3_extended_result_codes(db, 1);
	if (user_version(db, version)) {
		dberr(err, errlen, path, "cannot read", db);
		goto fail;
	}
	if (*version > KB_DB_SCHEMA) {
		snprintf(err, errlen,
			 "%s: schema version %d is newer than this kvmbench knows (%d): "
			 "use a newer kvmbench",
			 path, *version, KB_DB_SCHEMA);
		goto fail;
	}
	if (*version > 0 && quick_check(db)) {
		dberr(err, errlen, path, "integrity check failed", db);
		if (!strstr(err, "corrupt"))
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (the database is corrupt)");
		goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

int kb_db_open(const char *path, bool create, bool write, sqlite3 **out, char *err, size_t errlen)
{
	int flags = write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	struct stat st;
	sqlite3 *db = NULL;
	int version = 0;
	char why[512];

	*out = NULL;
	if (stat(path, &st) != 0) {
		if (!create) {
			snprintf(err, errlen, "%s: no such database", path);
			return -1;
		}
		flags |= SQLITE_OPEN_CREATE;
	} else if (write && access(path, W_OK) != 0) {
		snprintf(err, errlen, "%s: read-only: check its permissions", path);
		return -1;
	}
	if (open_checked(path, flags, &db, &version, err, errlen))
		return -1;
	if (write) {
		/* WAL with synchronous=NORMAL: a commit is safe against a crash of
		 * kvmbench (each run is one transaction), without an fsync per run. */
		double tmo = 5000; /* checked by open_checked() */

		kb_env_number("KVMBENCH_DB_TIMEOUT_MS", 1, 3600000, KB_NUM_INT, 5000, &tmo, err,
			      errlen);
		if (set_wal(db, (int)tmo)) {
			dberr(err, errlen, path, "cannot switch to WAL", db);
			goto fail;
		}
		if (version < KB_DB_SCHEMA && migrate(db, path, version, err, errlen))
			goto fail;
	} else if (version == 0) {
		snprintf(err, errlen,
			 "%s: not a kvmbench database (no schema: empty, or another program's)",
			 path);
		goto fail;
	} else if (version < KB_DB_SCHEMA) {
		/* A reader never writes, not even a schema upgrade: the file may be
		 * another host's, a merge source or a backup. */
		snprintf(err, errlen,
			 "%s: schema version %d is older than %d, and this command only reads: "
			 "upgrade it with `kvmbench migrate --db %s`",
			 path, version, KB_DB_SCHEMA, path);
		goto fail;
	}
	if (kb_db_exec(db, "PRAGMA foreign_keys = ON", why, sizeof(why))) {
		dberr(err, errlen, path, "cannot enable foreign keys", db);
		goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

int kb_db_migrate(const char *path, int *from, char *err, size_t errlen)
{
	sqlite3 *db;

	if (open_checked(path, SQLITE_OPEN_READONLY, &db, from, err, errlen))
		return -1;
	sqlite3_close(db);
	if (kb_db_open(path, false, true, &db, err, errlen))
		return -1;
	sqlite3_close(db);
	return 0;
}

void kb_db_close(sqlite3 *db)
{
	sqlite3_close(db);
}
