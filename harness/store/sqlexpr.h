/*
 * SQL expressions over the results database (docs/db-schema.md) that more
 * than one reader needs, defined once here so analyze/ and report/ resolve
 * the same things the same way.  Each is a string literal to paste into a
 * statement; the table aliases are arguments (string literals too).
 */
#ifndef KB_SQLEXPR_H
#define KB_SQLEXPR_H

/*
 * The paging mode run R (an alias of runs) really ran with, H being the
 * hosts row of its campaign: a point that asked for "host" or "tdp" (either
 * vendor's two-dimensional paging) ran in the host's mode (ept, npt or
 * shadow); any other ran in the mode it names.
 */
#define KB_SQL_PAGING_OF(R, H) \
	"(CASE WHEN " R ".paging IN ('host', 'tdp') THEN " H ".paging ELSE " R ".paging END)"

/* The same for runs r of a statement that joins their host as h. */
#define KB_SQL_PAGING KB_SQL_PAGING_OF("r", "h")

/*
 * A point as a reader tells it apart: run r's point key and the paging mode
 * it really ran with, "KEY/MODE", so that the same point from merged hosts
 * stays apart.  Needs only the alias r (its host is looked up as hh).
 */
#define KB_SQL_PAGING_HH KB_SQL_PAGING_OF("r", "hh")
#define KB_SQL_POINT_IDENT                                                                    \
	"(r.point_key || '/' || (SELECT " KB_SQL_PAGING_HH " FROM campaigns cc JOIN hosts hh" \
	" ON hh.id = cc.host_id WHERE cc.id = r.campaign_id))"

#endif
