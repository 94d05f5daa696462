/*
 * Reading the database back as text: `kvmbench list` and `kvmbench summary`.
 */
#ifndef KB_SUMMARY_H
#define KB_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

/* The campaigns of db_path, a line each, to out as format (text, json or
 * csv; NULL: text).  0, or -1 with err. */
int kb_list(const char *db_path, const char *format, FILE *out, char *err, size_t errlen);

/* Campaign (a selector, store/select.h) and the others of its group: per
 * point its runs, and the median, min, max and CV of each metric and exit
 * count (JSON and CSV add the median's 95% interval, analyze/stats.h),
 * as format (text, json or csv; NULL: text).  0, or -1 with err. */
int kb_summary(const char *db_path, const char *campaign, const char *format, FILE *out, char *err,
	       size_t errlen);

#endif
