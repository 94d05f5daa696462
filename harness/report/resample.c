/*
 * A bootstrap of a ratio of medians by counting (see resample.h).
 */
#include "report/resample.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t next(uint64_t *s) /* xorshift64*, as analyze/stats.c */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* The value of rank r (from 0) of the resample whose draw counts of the
 * sorted values v are count[]. */
static double rank_value(const double *v, const unsigned *count, size_t n, size_t r)
{
	size_t seen = 0, i = 0;

	for (; i < n; i++) {
		seen += count[i];
		if (seen > r)
			break;
	}
	assert(i < n);
	return v[i];
}

/* The median of a resample of the sorted v[0..n) (n draws from seed),
 * count[] its scratch: as the sorted resample's median. */
static double resampled_median(const double *v, size_t n, unsigned *count, uint64_t *seed)
{
	double m;

	memset(count, 0, n * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		count[next(seed) % n]++;
	m = rank_value(v, count, n, n / 2);
	return n % 2 ? m : (rank_value(v, count, n, n / 2 - 1) + m) / 2;
}

/* A sorted copy of v[0..n), or NULL. */
static double *sorted_copy(const double *v, size_t n)
{
	double *c = malloc((n ? n : 1) * sizeof(*c));

	if (c && n) {
		memcpy(c, v, n * sizeof(*c));
		qsort(c, n, sizeof(*c), cmp_double);
	}
	return c;
}

/* The 2.5th and 97.5th percentiles of x[0..k) (sorted here), k > 0: as
 * analyze/stats.c's percentiles95. */
static void percentiles95(double *x, size_t k, double *lo, double *hi)
{
	size_t i = (size_t)(0.025 * (double)(k - 1)), j = (size_t)(0.975 * (double)(k - 1) + 0.5);

	assert(k > 0 && i <= j && j < k);
	qsort(x, k, sizeof(*x), cmp_double);
	*lo = x[i];
	*hi = x[j];
}

double kb_fast_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb,
			       unsigned iters, uint64_t seed, double *lo, double *hi)
{
	double ma = kb_median(a, na), mb = kb_median(b, nb);
	double *ratios = malloc(iters * sizeof(*ratios)), *sa = sorted_copy(a, na);
	double *sb = sorted_copy(b, nb);
	unsigned *count = malloc((na > nb ? na : nb) * sizeof(*count) + 1), k = 0;

	*lo = *hi = mb / ma;
	seed = seed ? seed : 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; ratios && sa && sb && count && na && nb && i < iters; i++) {
		double ra = resampled_median(sa, na, count, &seed);
		double rb = resampled_median(sb, nb, count, &seed);

		if (ra != 0)
			ratios[k++] = rb / ra;
	}
	if (k)
		percentiles95(ratios, k, lo, hi);
	free(ratios);
	free(sa);
	free(sb);
	free(count);
	return mb / ma;
}
