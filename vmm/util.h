/*
 * Small helpers shared across the VMM.
 */
#ifndef KB_UTIL_H
#define KB_UTIL_H

#include <stddef.h>

/* Format a one-line error into err[errlen]; always returns -1, so callers
 * can write "return kb_errf(err, errlen, ...)". */
int kb_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p: create path and its missing parents (mode 0755).  0 or -1
 * with errno. */
int kb_mkdirs(const char *path);

#endif
