/*
 * What compare.c (the sides loaded and judged) and comparetext.c (the
 * verdicts written as text, JSON or CSV) share; not for other files.
 */
#ifndef KB_COMPAREINT_H
#define KB_COMPAREINT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/compare.h"
#include "plan/scenario.h"

/* The longest side value (a campaign selector, a vmm_args value, ...):
 * longer ones are refused, never cut (a cut value can name the other side). */
#define KB_SIDE_MAX 1024

struct series {
	char key[1100];	   /* match key */
	char params[1100]; /* for display */
	char metric[KB_VAL_MAX];
	char unit[32];
	double *v[2];
	int64_t *pair[2]; /* campaign and repeat of each value: runs made back to back */
	size_t n[2], cap[2];
};

struct table {
	struct series *s;
	size_t n, cap;
	size_t *slot;		    /* hash of (key, metric): series index + 1, 0 empty */
	size_t nslot;		    /* a power of two, over twice n */
	char kinds[2][64];	    /* each side's host kinds (vmx, svm, pvm, lab), comma-joined */
	int emulated[2];	    /* a side has runs with emulated timings (the lab) */
	char label[2][KB_SIDE_MAX]; /* each side as the output names it (--by paging: the modes) */
	bool point_keyed;	    /* a series' key is its point key (not params less an axis) */
};

struct verdict {
	const struct series *s;
	double ratio, lo, hi, threshold;
	const char *word;
	const char *why; /* not comparable: the reason */
	size_t pairs;	 /* > 0: judged on the ratios of runs made back to back */
};

#define NOT_COMPARABLE "not comparable"

/* The verdicts, as counted in the text summary (regressed first). */
#define KB_NWORDS 5
extern const char *const kb_compare_words[KB_NWORDS];

/* How one side is selected: its filter (?1 the side's value), the key that
 * matches its points with the other side's, and what the output shows of a
 * point (the key when the side's value is part of the params). */
struct side_query {
	char where[512], key[256];
	bool show_key;
};

/* The side query of --by by (campaign, paging, host, build, tag, vmm_args,
 * ioeventfd or another axis of the plan).  0, or -1 when by names none. */
int kb_compare_side_sql(const char *by, struct side_query *q);

/* Side bad of o was no campaign (err says so, from kb_campaign_resolve):
 * when it is a value of another --by, err becomes a hint to compare by
 * that ("'ept' is not a campaign; to compare paging modes: kvmbench
 * compare ept shadow --by paging"). */
/* The paging modes the database's runs ran with, comma-joined ("npt,
 * shadow"; "none"), into out. */
void kb_compare_known_modes(sqlite3 *db, char *out, size_t len);

void kb_compare_not_a_campaign(sqlite3 *db, const struct kb_compare_opts *o, const char *bad,
			       char *err, size_t errlen);

/* The n verdicts v[] as fmt (text, json or csv) to out, text sorted by
 * verdict; the sides named by t->label; counts[w] per kb_compare_words. */
void kb_compare_print(FILE *out, const char *fmt, struct verdict *v, size_t n,
		      const struct kb_compare_opts *o, const struct table *t,
		      const size_t counts[KB_NWORDS]);

#endif
