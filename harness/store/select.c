/*
 * Campaign selectors (see select.h).
 */
#include "store/select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

unsigned kb_campaign_group(sqlite3 *db, int64_t id, int64_t *ids, unsigned max)
{
	char err[256];
	sqlite3_stmt *st =
	    kb_db_prepare(db,
			  "SELECT id FROM campaigns WHERE id = ?1 OR run_group ="
			  " (SELECT run_group FROM campaigns WHERE id = ?1) ORDER BY id",
			  err, sizeof(err));
	unsigned n = 0;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		while (n < max && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (!n && max)
		ids[n++] = id;
	return n;
}

int64_t kb_campaign_resolve(sqlite3 *db, const char *sel, char *err, size_t errlen)
{
	char sql[512], *end;
	sqlite3_stmt *st;
	int64_t id = -1;
	long long n = strtoll(sel, &end, 10);
	const char *arg = strchr(sel, ':') ? strchr(sel, ':') + 1 : "";

	if (*sel && !*end && n > 0)
		snprintf(sql, sizeof(sql), "SELECT id FROM campaigns WHERE id = %lld", n);
	else if (!strncmp(sel, "tag:", 4))
		snprintf(sql, sizeof(sql), "SELECT max(id) FROM campaigns WHERE tag = ?1");
	else if (!strncmp(sel, "last:", 5))
		snprintf(sql, sizeof(sql),
			 "SELECT max(id) FROM campaigns WHERE kind = ?1 AND state = 'done'");
	else if (!strncmp(sel, "prev:", 5))
		snprintf(sql, sizeof(sql),
			 "SELECT max(c.id) FROM campaigns c, (SELECT id, host_id FROM campaigns "
			 "WHERE kind = ?1 AND state = 'done' ORDER BY id DESC LIMIT 1) l "
			 "WHERE c.kind = ?1 AND c.state = 'done' AND c.host_id = l.host_id "
			 "AND c.id < l.id");
	else {
		snprintf(err, errlen,
			 "'%s' is not a campaign (an id, tag:T, last:KIND or "
			 "prev:KIND)",
			 sel);
		return -1;
	}
	if (!(st = kb_db_prepare(db, sql, err, errlen)))
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (id < 0)
		snprintf(err, errlen, "no campaign matches '%s' (see kvmbench list)", sel);
	return id;
}

int kb_db_open_campaign(const char *db_path, const char *sel, sqlite3 **db, int64_t *id, char *err,
			size_t errlen)
{
	if (kb_db_open(db_path, false, false, db, err, errlen))
		return -1;
	if ((*id = kb_campaign_resolve(*db, sel, err, errlen)) < 0) {
		kb_db_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

void kb_campaign_group_list(sqlite3 *db, int64_t id, char *buf, size_t len)
{
	int64_t group[8];
	unsigned n = kb_campaign_group(db, id, group, 8);

	for (unsigned k = 0; k < n; k++) {
		size_t o = strlen(buf);

		snprintf(buf + o, len - o, "%s%lld", o ? "," : "", (long long)group[k]);
	}
}
