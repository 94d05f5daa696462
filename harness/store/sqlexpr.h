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

/* The paging mode run r really ran with, its host looked up as hh. */
#define KB_SQL_PAGING_HH KB_SQL_PAGING_OF("r", "hh")

#endif
