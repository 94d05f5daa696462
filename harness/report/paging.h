/*
 * The report's paging comparison (pagingdata.c, pagingfig.c): the pairs of
 * points that differ only in their paging mode, one with two-dimensional
 * paging (TDP: EPT or NPT), the other with shadow paging; per pair the
 * shadow / TDP ratio of the main metric's medians with its bootstrap
 * interval (as compare judges it) and the MMU statistics of both.
 */
#ifndef KB_PAGING_REPORT_H
#define KB_PAGING_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report/plot.h"

/* The MMU statistics shown for both modes, in their order. */
#define KB_PG_MMU 4
extern const char *const kb_pg_mmu[KB_PG_MMU];

enum { KB_PG_TDP, KB_PG_SHADOW }; /* a pair's sides */

struct kb_pgpair {
	unsigned point[2];  /* [KB_PG_TDP], [KB_PG_SHADOW]: indexes in c->points */
	char label[200];    /* workload and the values that vary, not the mode */
	char words[1100];   /* the params that vary, "key=value ..." */
	const char *metric; /* the TDP point's main metric, c->primary */
	char unit[32];
	int dir;		  /* the metric's direction: -1 lower is better, 1 higher */
	double med[2];		  /* its median on each side */
	size_t n[2];		  /* its measured runs on each side */
	double ratio, lo, hi;	  /* shadow / TDP and its 95% interval; NAN: none */
	size_t pairs;		  /* > 0: from the ratios of runs made back to back */
	const char *why;	  /* no ratio: the reason */
	double mmu[KB_PG_MMU][2]; /* median per run; NAN when not recorded */
};

struct kb_pgset {
	struct kb_pgpair *p;
	unsigned n;
	char modes[64];	   /* the selection's modes, comma-joined */
	bool tdp, shadow;  /* whether it has each kind */
	char tdp_name[16]; /* EPT, NPT or EPT/NPT: the TDP modes of the pairs */
	char kinds[2][64]; /* the kinds of host each side ran on, comma-joined */
	bool interleaved;  /* a campaign ran both modes: its runs may pair up */
	char common[1100]; /* the params every pair has */
};

/* One colour per meaning, in every paging figure and table head: the
 * report's own (plot.h), which the scaling and distribution figures use. */
#define KB_PG_TDP_COLOUR KB_COLOR_TDP
#define KB_PG_SHADOW_COLOUR KB_COLOR_SHADOW
#define KB_PG_RATIO_COLOUR "#222222"

/* The selection's pairs into s (s->n 0: none, s->modes says why).  0, or
 * -1 with c->err (a query failed, or out of memory). */
int kb_paging_pairs(struct kb_plotctx *c, struct kb_pgset *s);

/* Free what s holds; s is zeroed. */
void kb_paging_free(struct kb_pgset *s);

/* x as a ratio reads ("3.21", "15.3", "240") in buf; buf. */
const char *kb_pg_num(double x, char buf[24]);

/* A sentence per workload of the pairs as an HTML list: "shadow is 3.21x
 * slower than EPT on memtouch (95% interval 3.02-3.40; memtouch_first)". */
void kb_pg_headlines(FILE *f, const struct kb_plotctx *c, const struct kb_pgset *s);

/* The ratio figure (plots/paging.svg: shadow / TDP per pair with its
 * interval, log axis, a line at 1), its <figure> to html; a note instead
 * when no pair has a ratio.  0, or -1 (a file could not be written). */
int kb_pg_ratio_figure(struct kb_plotctx *c, const struct kb_pgset *s, FILE *html);

/* The MMU statistics figure(s) (plots/paging-mmu*.svg: TDP and shadow side
 * by side, log axis, a 0 drawn as no bar), to html.  0, or -1. */
int kb_pg_mmu_figures(struct kb_plotctx *c, const struct kb_pgset *s, FILE *html);

#endif
