/*
 * Summary statistics and the bootstrap (see stats.h).
 */
#include "analyze/stats.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double sorted_median(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int kb_values_add(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		double *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -1;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

void kb_stats_summarise(double *v, size_t n, struct kb_summary_stats *s)
{
	double sum = 0, sq = 0;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	s->min = v[0];
	s->max = v[n - 1];
	s->median = sorted_median(v, n);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (v[i] - s->mean) * (v[i] - s->mean);
	s->cv = n > 1 && s->mean != 0 ? sqrt(sq / (double)(n - 1)) / fabs(s->mean) : 0;
	double *dev = malloc(n * sizeof(*dev));

	if (dev) {
		for (size_t i = 0; i < n; i++)
			dev[i] = fabs(v[i] - s->median);
		qsort(dev, n, sizeof(*dev), cmp_double);
		s->mad = sorted_median(dev, n);
		free(dev);
	}
}

void kb_median_interval(const double *sorted, size_t n, double *lo, double *hi)
{
	double half = 1.96 * sqrt((double)n) / 2;
	long j = (long)floor((double)n / 2 - half), k = (long)ceil((double)n / 2 + half) - 1;

	if (!n) {
		*lo = *hi = NAN;
		return;
	}
	if (j < 0)
		j = 0;
	if (k > (long)n - 1)
		k = (long)n - 1;
	assert(j <= k);
	*lo = sorted[j];
	*hi = sorted[k];
}

double kb_median(const double *v, size_t n)
{
	double *c, m;

	if (!n || !(c = malloc(n * sizeof(*c))))
		return NAN;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	m = sorted_median(c, n);
	free(c);
	return m;
}

static uint64_t next(uint64_t *s) /* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* The 2.5th and 97.5th percentiles of x[0..k) (sorted here), k > 0. */
static void percentiles95(double *x, size_t k, double *lo, double *hi)
{
	size_t i = (size_t)(0.025 * (double)(k - 1)), j = (size_t)(0.975 * (double)(k - 1) + 0.5);

	assert(k > 0 && i <= j && j < k);
	qsort(x, k, sizeof(*x), cmp_double);
	*lo = x[i];
	*hi = x[j];
}

static double resampled_median(const double *v, size_t n, double *tmp, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[next(seed) % n];
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return sorted_median(tmp, n);
}

double kb_bootstrap_median(const double *v, size_t n, unsigned iters, uint64_t seed, double *lo,
			   double *hi)
{
	double *meds = malloc(iters * sizeof(*meds)), *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	double m = kb_median(v, n);

	*lo = *hi = m;
	if (meds && tmp && n) {
		seed = seed ? seed : 0x9e3779b97f4a7c15ull;
		for (unsigned i = 0; i < iters; i++)
			meds[i] = resampled_median(v, n, tmp, &seed);
		if (iters)
			percentiles95(meds, iters, lo, hi);
	}
	free(meds);
	free(tmp);
	return m;
}

double kb_median_list(const char *list)
{
	double v[KB_LIST_MAX];
	size_t n = 0;

	for (const char *p = list; p && *p && n < KB_LIST_MAX;) {
		v[n++] = strtod(p, (char **)&p);
		if (*p == ',')
			p++;
	}
	return kb_median(v, n);
}

double kb_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb, unsigned iters,
			  uint64_t seed, double *lo, double *hi)
{
	double ma = kb_median(a, na), mb = kb_median(b, nb);
	double *ratios = malloc(iters * sizeof(*ratios));
	double *tmp = malloc((na > nb ? na : nb) * sizeof(*tmp));
	unsigned k = 0;

	*lo = *hi = mb / ma;
	if (!ratios || !tmp || !na || !nb) {
		free(ratios);
		free(tmp);
		return mb / ma;
	}
	seed = seed ? seed : 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < iters; i++) {
		double ra = resampled_median(a, na, tmp, &seed);
		double rb = resampled_median(b, nb, tmp, &seed);

		if (ra != 0)
			ratios[k++] = rb / ra;
	}
	if (k)
		percentiles95(ratios, k, lo, hi);
	free(ratios);
	free(tmp);
	return mb / ma;
}
