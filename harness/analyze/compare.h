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

/* Returns 0 (nothing regressed), KB_EXIT_REGRESSED, or -1 with err. */
int kb_compare(const struct kb_compare_opts *o, FILE *out, char *err, size_t errlen);

#endif
