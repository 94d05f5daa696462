/*
 * The machine formats every analysis command writes (list, summary,
 * compare, gates): one spelling of the formats, JSON numbers that are
 * always JSON, and CSV cells a spreadsheet will not run as formulas.
 */
#ifndef KB_OUTPUT_H
#define KB_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

enum kb_format { KB_FMT_TEXT, KB_FMT_JSON, KB_FMT_CSV, KB_FMT_TAP };

/* The format named name (NULL: text), or -1 when it names none. */
int kb_format_parse(const char *name);

/* One CSV cell of text s (kb_esc_csv): a cell starting with = + - or @,
 * which a spreadsheet would evaluate as a formula, gets a ' in front. */
void kb_out_csv(FILE *f, const char *s);

/* Number x: %.6g, or when it is not finite null (json) or nothing (CSV). */
void kb_out_num(FILE *f, double x, bool json);

/* ", \"key\": " then x as kb_out_num's JSON. */
void kb_out_jnum(FILE *f, const char *key, double x);

/* ", \"key\": " then s as a JSON string. */
void kb_out_jstr(FILE *f, const char *key, const char *s);

/* Is the word w (w_len bytes, a point's "key=value") one of the
 * space-separated words of s? */
bool kb_has_word(const char *s, const char *w, size_t w_len);

/* The words of s that are not in every one of all[0..n), into buf ("-"
 * when none), or with common, the words of all[0] that are in every one:
 * the part of a point's parameters that tells it from the other rows, and
 * what the rows share (said once above them). */
const char *kb_params_part(const char *s, const char *const *all, size_t n, bool common, char *buf,
			   size_t len);

/* The words of s ("key=value ...") whose key is none of keys (a NULL-ended
 * list), into buf: a point's parameters without, say, its paging= word,
 * to pair it with the same point in the other mode. */
const char *kb_params_without(const char *s, const char *const *keys, char *buf, size_t len);

#endif
