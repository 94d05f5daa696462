/*
 * `kvmbench merge`: unions databases from several hosts.
 */
#ifndef KB_MERGE_H
#define KB_MERGE_H

#include <stddef.h>

/* Merge sources[] into out_path (created when missing).  Campaigns and runs
 * already there (by uuid; by point, repeat and warm-up) are not added again,
 * so a re-merge brings in only what a source gained since.  Sources are
 * opened read-only; one older than this build's schema is refused. */
int kb_merge(const char *out_path, char **sources, int nsources, char *err, size_t errlen);

#endif
