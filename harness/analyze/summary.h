/*
 * Reading the database back as text: `kvmbench list` and `kvmbench summary`.
 */
#ifndef KB_SUMMARY_H
#define KB_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

int kb_list(const char *db_path, FILE *out, char *err, size_t errlen);
int kb_summary(const char *db_path, const char *campaign, FILE *out, char *err, size_t errlen);

#endif
