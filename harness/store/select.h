/*
 * Campaign selectors, as every command that takes a CAMPAIGN argument
 * reads them: an id, tag:T, last:KIND or prev:KIND, and the group of
 * campaigns one `kvmbench run` made (one per lab: npt and shadow).
 */
#ifndef KB_SELECT_H
#define KB_SELECT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Resolve a campaign selector: an id, "tag:T" (the newest campaign tagged
 * T), "last:KIND" (the newest finished campaign of that kind) or
 * "prev:KIND" (the one before it on the same host).  -1 with err.
 */
int64_t kb_campaign_resolve(sqlite3 *db, const char *sel, char *err, size_t errlen);

/* Open db_path read-only (kb_db_open) and resolve sel in it: 0 with *db
 * (close with kb_db_close) and *id, or -1 with err and nothing open. */
int kb_db_open_campaign(const char *db_path, const char *sel, sqlite3 **db, int64_t *id, char *err,
			size_t errlen);

/*
 * The campaigns one `kvmbench run` made with campaign id (one per lab when
 * it ran in labs: npt=1 and npt=0), id among them, in order; at most max.
 */
unsigned kb_campaign_group(sqlite3 *db, int64_t id, int64_t *ids, unsigned max);

/* Append id's group (at most 8) to the comma-separated id list in buf,
 * as far as it fits in len bytes. */
void kb_campaign_group_list(sqlite3 *db, int64_t id, char *buf, size_t len);

#endif
