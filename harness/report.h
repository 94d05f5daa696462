/*
 * Reading the database back: `kvmbench list`, `kvmbench summary`, and
 * `kvmbench merge`, which unions databases from several hosts.
 */
#ifndef KB_REPORT_H
#define KB_REPORT_H

#include <stddef.h>
#include <stdio.h>

int kb_list(const char *db_path, FILE *out, char *err, size_t errlen);
int kb_summary(const char *db_path, const char *campaign, FILE *out, char *err, size_t errlen);
/* Merge sources[] into out_path (created when missing).  Campaigns and runs
 * already there (by uuid; by point, repeat and warm-up) are not added again,
 * so a re-merge brings in only what a source gained since.  Sources are
 * opened read-only; one older than this build's schema is refused. */
int kb_merge(const char *out_path, char **sources, int nsources, char *err, size_t errlen);

#endif
