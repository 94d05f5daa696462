/*
 * A small streaming JSON writer for the stats file.
 *
 * Callers emit values in order; the writer tracks commas and indentation.
 * Inside an object every value takes a key; inside an array the key is
 * NULL.  Strings are escaped so that any byte sequence yields valid JSON:
 * control characters and bytes >= 0x80 become \u00XX (read as Latin-1).
 */
#ifndef KB_JSON_H
#define KB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define KB_JSON_MAX_DEPTH 16

struct kb_json {
	FILE *f;
	int depth;
	bool first[KB_JSON_MAX_DEPTH];
	bool error; /* nesting misuse; the output is not valid */
};

void kb_json_init(struct kb_json *j, FILE *f);
void kb_json_object(struct kb_json *j, const char *key);
void kb_json_array(struct kb_json *j, const char *key);
void kb_json_end(struct kb_json *j, char close); /* '}' or ']' */
void kb_json_str(struct kb_json *j, const char *key, const char *v);
void kb_json_u64(struct kb_json *j, const char *key, uint64_t v);
void kb_json_i64(struct kb_json *j, const char *key, int64_t v);
void kb_json_dbl(struct kb_json *j, const char *key, double v);
void kb_json_bool(struct kb_json *j, const char *key, bool v);
void kb_json_null(struct kb_json *j, const char *key);
/* Finish the document; returns 0 when well-formed and written, -1 else. */
int kb_json_finish(struct kb_json *j);

#endif
