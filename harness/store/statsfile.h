/*
 * A VMM's stats JSON (docs/stats-json.md) as the store reads it: loading a
 * file and checking what it holds before anything of it is recorded (the
 * names that reach gnuplot scripts and web pages, the numbers compare
 * judges), and the json-c lookups ingest uses on it.
 */
#ifndef KB_STATSFILE_H
#define KB_STATSFILE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* o's member key, or NULL (o NULL or not an object, or no such member). */
static inline json_object *kb_stats_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* o's member key when it is a string, else NULL. */
static inline const char *kb_stats_str(json_object *o, const char *key)
{
	json_object *v = kb_stats_get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* o's member key when it is a number (a fraction cut off), else dflt. */
static inline int64_t kb_stats_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v = kb_stats_get(o, key);

	return v && (json_object_is_type(v, json_type_int) ||
		     json_object_is_type(v, json_type_double))
		   ? json_object_get_int64(v)
		   : dflt;
}

/* The length of array a, 0 when a is not one (or NULL). */
static inline size_t kb_stats_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/*
 * The stats at path, parsed: a regular file (a FIFO would hang us) holding
 * a schema 1 object whose names all follow the rule of common/util.h.
 * Returns the tree (free with json_object_put), or NULL with why: one line
 * naming path and what is wrong.
 */
json_object *kb_stats_load(const char *path, char *why, size_t whylen);

/*
 * The stats' metric values and exit counts are finite numbers >= 0 (the
 * VMM writes none that fail this; a foreign or corrupt file might): 0, or
 * -1 with why naming the first that is not.
 */
int kb_stats_check_numbers(json_object *stats, char *why, size_t whylen);

#endif
