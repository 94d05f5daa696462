/*
 * Strings that came from a guest, a stats file, a scenario, a database
 * from elsewhere or the command line are data.  Every output language the
 * harness writes gets them through one writer here, never through a bare
 * "%s": each writer gives a well-formed literal of its language for any
 * bytes (bytes that are not UTF-8 become U+FFFD), and NULL is "".
 */
#ifndef KB_ESCAPE_H
#define KB_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* HTML text or a double-quoted attribute value: & < > " ' as references. */
void kb_esc_html(FILE *f, const char *s);

/* XML 1.0 text or attribute (JUnit): as HTML, and characters XML cannot
 * carry (control characters but tab, newline, return) become U+FFFD. */
void kb_esc_xml(FILE *f, const char *s);

/* A whole JSON string, quotes included. */
void kb_esc_json(FILE *f, const char *s);

/* One RFC 4180 CSV field, always quoted ("" for a quote). */
void kb_esc_csv(FILE *f, const char *s);

/*
 * A gnuplot string literal in single quotes ('' for a quote): gnuplot does
 * no backtick command substitution and no @macro expansion inside them, as
 * it does inside double quotes.  Control characters (a newline would end
 * the command) become spaces.  Written into buf (returned); a string too
 * long for buf is cut, the literal still closed.
 */
char *kb_esc_gp(char *buf, size_t len, const char *s);

/* One field of a tab-separated gnuplot data file: tabs and other control
 * characters become spaces, double quotes (a quoted field to gnuplot)
 * single ones, and a leading '#' (a comment line) '?'. */
void kb_esc_gpdata(FILE *f, const char *s);

/* A stream that writes to out what it is given, control characters other
 * than newline and tab (an escape sequence from a database could clear a
 * terminal or rewrite a line) as '?': for text outputs of database strings.
 * out itself when one cannot be made; fclose() flushes it, not closes out. */
FILE *kb_esc_term_stream(FILE *out);

/*
 * A file name "PREFIX-NAME" for a report file named after a workload: NAME
 * as it is when made of [A-Za-z0-9_-] only, else "PREFIX+IDX" (never the
 * same as a name kept as it is), so no name can leave the directory or
 * need quoting in a URL.
 */
void kb_esc_filename(char *buf, size_t len, const char *prefix, const char *name, unsigned idx);

#endif
