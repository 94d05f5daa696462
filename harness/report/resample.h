/*
 * The paging figure's bootstrap in time linear in the data: the same
 * resamples, ratios and interval as kb_bootstrap_ratio (analyze/stats.c)
 * draws, each resample's median found by counting how often each value was
 * drawn instead of sorting the resample.
 */
#ifndef KB_RESAMPLE_H
#define KB_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * kb_bootstrap_ratio(a, na, b, nb, iters, seed, lo, hi) to the last bit
 * (same generator, same draws): median(b) / median(a) with its 95%
 * percentile-bootstrap interval in *lo, *hi.  O(iters * (na + nb)) after
 * sorting copies of a and b.
 */
double kb_fast_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb,
			       unsigned iters, uint64_t seed, double *lo, double *hi);

#endif
