/*
 * The stats JSON (stats.c): one document per VMM run, schema 1, field by
 * field in docs/stats-json.md.  With -runas its directory is opened before
 * root is given up, so that it can still be written at the end.
 */
#ifndef KB_STATS_H
#define KB_STATS_H

#include <stddef.h>

#include "options.h"
#include "result.h"

struct kb_vm;

/* Open the directory of the -stats file (once), so that it can be written
 * after -runas.  0, or -1 with err. */
int kb_stats_open_dir(const char *path, char *err, size_t errlen);
/* Can the VMM's user (after -runas) make the stats file?  0, or -1 with err. */
int kb_stats_dir_writable(const char *path, char *err, size_t errlen);
/* Write the stats JSON: PATH.tmp, renamed to PATH, so that a reader never
 * sees half of it.  vm may be partly set up or NULL.  0, or -1 with err. */
int kb_stats_write(const char *path, const struct kb_config *cfg, struct kb_vm *vm,
		   const struct kb_result *res, char *err, size_t errlen);

#endif
