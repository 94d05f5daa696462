/*
 * The report's values by point and name, gathered in one pass over a
 * query's rows: the selection's measured runs mapped to their points once
 * (so no row needs its point worked out in SQL), and the values of each
 * (point, name) pair in a series found by hashing.  Every figure costs time
 * in proportion to its rows, whatever the number of points.
 */
#ifndef KB_BUCKET_H
#define KB_BUCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/plot.h"

struct kb_buckets {
	struct kb_pseries *s; /* in the order first seen */
	size_t n, cap;
	size_t *slot; /* hash of (point, name): series index + 1, 0 empty */
	size_t nslot; /* a power of two, over twice n */
};

/* Map the selection's measured runs (not warm-up, passed) to their points
 * into c->runs, and into c->blocks for kb_plot_step_runs().  0, or -1
 * (query failed, with c->err; or out of memory). */
int kb_plot_map_runs(struct kb_plotctx *c);

/* Step st, a query over the runs whose ids are ?1 to ?2, through every
 * block of c->blocks in turn: true while it has a row.  *next starts at 0
 * (then the next block to bind).  A point's rows come by campaign and then
 * run id when st orders them by run id. */
bool kb_plot_step_runs(const struct kb_plotctx *c, sqlite3_stmt *st, size_t *next);

/* The point of run id, or c->npoints when the run is not a measured run of
 * the selection. */
unsigned kb_plot_run_point(const struct kb_plotctx *c, int64_t run);

/* Value v to the series (point, name) of b, made with unit when new.  0, or
 * -1 out of memory. */
int kb_bucket_add(struct kb_buckets *b, unsigned point, const char *name, const char *unit,
		  double v);

/* Sort b's series by point, then name (byte order, as SQLite's BINARY);
 * b then takes no more values. */
void kb_bucket_sort(struct kb_buckets *b);

/* Free b's series, their values and its hash; b is zeroed. */
void kb_bucket_free(struct kb_buckets *b);

#endif
