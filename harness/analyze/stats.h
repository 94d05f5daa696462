/*
 * Statistics for summaries and comparisons: median, spread, and a
 * bootstrap confidence interval for the ratio of two medians.
 */
#ifndef KB_STATS_H
#define KB_STATS_H

#include <stddef.h>
#include <stdint.h>

struct kb_summary_stats {
	double median, min, max, mean, cv, mad;
	size_t n;
};

/* Append x to the growing array *v of *n values, room for *cap (the array
 * grows as needed; start from NULL, 0, 0).  0, or -1 when out of memory
 * (*v unchanged). */
int kb_values_add(double **v, size_t *n, size_t *cap, double x);

/* Sorts v[0..n) in place and fills s (all zero for n == 0). */
void kb_stats_summarise(double *v, size_t n, struct kb_summary_stats *s);

/* Distribution-free 95% interval of the median of sorted v[0..n): order
 * statistics around n/2 (normal approximation of the binomial); [min, max]
 * for small n. */
void kb_median_interval(const double *sorted, size_t n, double *lo, double *hi);

/* Median of v[0..n) (sorts a copy); NAN for n == 0. */
double kb_median(const double *v, size_t n);

/* Median of the numbers of a comma-separated list (SQLite's group_concat),
 * the first KB_LIST_MAX of them; NAN for none (list NULL or ""). */
#define KB_LIST_MAX 4096
double kb_median_list(const char *list);

/*
 * 95% percentile-bootstrap interval for median(b) / median(a), iters
 * resamples, with a fixed seed so the same data always give the same
 * interval.  Returns the point estimate; *lo, *hi the interval.
 */
double kb_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb, unsigned iters,
			  uint64_t seed, double *lo, double *hi);

/* Median of v[0..n) and its 95% percentile-bootstrap interval. */
double kb_bootstrap_median(const double *v, size_t n, unsigned iters, uint64_t seed, double *lo,
			   double *hi);

#endif
