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

/*
 * A sample made ready for resampling in time linear in its size: its values
 * sorted, the rank of each original index, and one resample's draw counts
 * per rank.  A resample draws indices into the original order, as a plain
 * bootstrap does, so its values (and so its median) are exactly those of
 * sorting the drawn values; counting replaces that sort.
 */
struct resampler {
	size_t n;
	double *sorted;
	size_t *rank;
	unsigned *count;
};

struct ranked {
	double v;
	size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

static void resampler_free(struct resampler *r)
{
	free(r->sorted);
	free(r->rank);
	free(r->count);
}

/* 0, or -1 out of memory (r freed). */
static int resampler_init(struct resampler *r, const double *v, size_t n)
{
	struct ranked *p = malloc((n ? n : 1) * sizeof(*p));

	r->n = n;
	r->sorted = malloc((n ? n : 1) * sizeof(*r->sorted));
	r->rank = malloc((n ? n : 1) * sizeof(*r->rank));
	r->count = malloc((n ? n : 1) * sizeof(*r->count));
	if (!p || !r->sorted || !r->rank || !r->count) {
		free(p);
		resampler_free(r);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (struct ranked){v[i], i};
	qsort(p, n, sizeof(*p), cmp_ranked);
	for (size_t k = 0; k < n; k++) {
		r->sorted[k] = p[k].v;
		r->rank[p[k].i] = k;
	}
	free(p);
	return 0;
}

/* The value of rank k (from 0) of the resample whose draws are r->count. */
static double rank_value(const struct resampler *r, size_t k)
{
	size_t seen = 0, i = 0;

	for (; i < r->n; i++) {
		seen += r->count[i];
		if (seen > k)
			break;
	}
	assert(i < r->n);
	return r->sorted[i];
}

static double resampled_median(struct resampler *r, uint64_t *seed)
{
	size_t n = r->n;
	double m;

	memset(r->count, 0, n * sizeof(*r->count));
	for (size_t i = 0; i < n; i++)
		r->count[r->rank[next(seed) % n]]++;
	m = rank_value(r, n / 2);
	return n % 2 ? m : (rank_value(r, n / 2 - 1) + m) / 2;
}

double kb_bootstrap_median(const double *v, size_t n, unsigned iters, uint64_t seed, double *lo,
			   double *hi)
{
	double *meds = malloc((iters ? iters : 1) * sizeof(*meds));
	double m = kb_median(v, n);
	struct resampler r;

	*lo = *hi = m;
	if (meds && n && !resampler_init(&r, v, n)) {
		seed = seed ? seed : 0x9e3779b97f4a7c15ull;
		for (unsigned i = 0; i < iters; i++)
			meds[i] = resampled_median(&r, &seed);
		if (iters)
			percentiles95(meds, iters, lo, hi);
		resampler_free(&r);
	}
	free(meds);
	return m;
}

double kb_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb, unsigned iters,
			  uint64_t seed, double *lo, double *hi)
{
	double ma = kb_median(a, na), mb = kb_median(b, nb);
	double *ratios = malloc((iters ? iters : 1) * sizeof(*ratios));
	struct resampler ra, rb;
	unsigned k = 0;

	*lo = *hi = mb / ma;
	if (!ratios || !na || !nb || resampler_init(&ra, a, na)) {
		free(ratios);
		return mb / ma;
	}
	if (resampler_init(&rb, b, nb)) {
		resampler_free(&ra);
		free(ratios);
		return mb / ma;
	}
	seed = seed ? seed : 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < iters; i++) {
		double ma_i = resampled_median(&ra, &seed);
		double mb_i = resampled_median(&rb, &seed);

		if (ma_i != 0)
			ratios[k++] = mb_i / ma_i;
	}
	if (k)
		percentiles95(ratios, k, lo, hi);
	resampler_free(&ra);
	resampler_free(&rb);
	free(ratios);
	return mb / ma;
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
