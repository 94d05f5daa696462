/*
 * kvmbench compare: baseline against candidate, point by point and metric
 * by metric: ratio of medians with a bootstrap 95% interval, judged
 * against a noise threshold in the metric's direction.
 */
#ifndef KB_COMPARE_H
#define KB_COMPARE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct kb_scenario;

#define KB_EXIT_REGRESSED 10

struct kb_compare_opts {
	const char *db;
	const char *by; /* campaign (default), paging, host, build, tag, vmm_args */
	const char *baseline, *candidate;
	double threshold;      /* default 0.05 */
	const char *format;    /* text, json, csv */
	const char *scenario;  /* [metric.*] overrides; default: the campaign's file */
	int64_t campaigns[64]; /* restrict --by paging/host/build to these */
	unsigned ncampaigns;
	bool mixed_hosts; /* compare timings across host kinds anyway */
};

/* Returns 0 (nothing regressed), KB_EXIT_REGRESSED, or -1 with err.  With
 * --by paging the sides are named by the modes their runs really ran with
 * (KB_SQL_PAGING: ept, npt or shadow, never host or tdp). */
int kb_compare(const struct kb_compare_opts *o, FILE *out, char *err, size_t errlen);

/*
 * The ratio median(b) / median(a) and its 95% bootstrap interval [*lo, *hi]
 * as compare judges a point's metric: when at least 3 runs pair up (equal
 * pa[i] and pb[j]: campaign * 1000000 + repeat, runs made back to back) and
 * they are 80% of the fewer side, the median of the per-pair ratios, with
 * *pairs their count; else (or pa or pb NULL) the ratio of the medians,
 * *pairs 0.  seed: from
 * kb_compare_seed(), so the same data give the same interval.
 */
double kb_compare_ratio(const double *a, const int64_t *pa, size_t na, const double *b,
			const int64_t *pb, size_t nb, uint64_t seed, double *lo, double *hi,
			size_t *pairs);

/* The [metric.*] rules of a scenario file into *sc: file when not NULL (a
 * warning when it cannot be read), else the one campaign ran from; none
 * (all defaults) when it cannot be read. */
void kb_metric_rules_load(sqlite3 *db, const char *file, int64_t campaign, struct kb_scenario *sc);

/* How metric (of unit) is judged: returns its direction (-1 lower is
 * better, 1 higher, 0 not judged) and sets *threshold, from sc's
 * [metric.NAME] where it says, else the unit's direction and dflt. */
int kb_metric_rule(const struct kb_scenario *sc, const char *metric, const char *unit, double dflt,
		   double *threshold);

/* The bootstrap seed compare uses for a point (its match key: with --by
 * paging the params without " paging=...") and metric. */
uint64_t kb_compare_seed(const char *key, const char *metric);

#endif
