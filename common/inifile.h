/*
 * Reading INI files (scenarios, manifests, gates) with libinih, one way
 * for all three: the lines are counted, so every error names file:line,
 * and a line too long for libinih's line buffer (Debian builds it with
 * INI_MAX_LINE 200) is refused where it is, instead of being split and its
 * tail parsed as another key.
 */
#ifndef KB_INIFILE_H
#define KB_INIFILE_H

#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kb_ini {
	const char *path;
	int line; /* the line the handler was called for */
	bool failed;
	char *err;
	size_t errlen;
	/* optional: sees each line before libinih does (scenario: duplicate sections) */
	void (*on_line)(struct kb_ini *ini, const char *line);
	FILE *f;
	char *buf;
	size_t cap;
};

/*
 * Parse path with handler(user, ...).  Returns 0, or -1 with
 * "file:line: message" in ini->err (set err, errlen before).  The handler
 * reports through kb_ini_err(), which keeps the first error only.
 */
int kb_ini_parse(struct kb_ini *ini, const char *path, ini_handler handler, void *user);

/* Record "file:line: message" unless an error is recorded; returns 0 (the
 * libinih handler's "stop" value). */
int kb_ini_err(struct kb_ini *ini, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kb_ini_verr(struct kb_ini *ini, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * The value of key as a number in [lo, hi] (kb_number_parse flags).
 * Returns 1 with *out (libinih's "go on"), or 0 with "file:line: key:
 * 'value' is not a number in [lo, hi]" recorded.
 */
int kb_ini_number(struct kb_ini *ini, const char *key, const char *value, double lo, double hi,
		  unsigned flags, double *out);

#endif
