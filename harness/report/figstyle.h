/*
 * How the report's figures look wherever they are drawn (figstyle.c): one
 * colour per meaning (an exit reason, a device region, a paging mode), the
 * same in every figure and every report; when an axis goes logarithmic;
 * tic labels that never overlap; a figure too wide split into parts.
 */
#ifndef KB_FIGSTYLE_H
#define KB_FIGSTYLE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* At most this many categories (points, campaigns) get a tic label on one
 * figure 900 pixels wide: with more, labels are thinned or the figure
 * split. */
#define KB_FIG_MAX_LABELS 25

/*
 * The colour ("#rrggbb") of what name means: an exit reason ("io", "hlt")
 * or a device region ("pio:com1"): a fixed one for the common names, else
 * one of a palette chosen by a hash of the name, so a name has the same
 * colour in every figure and report.  Never the colour of a paging mode.
 */
const char *kb_fig_color(const char *name);

/*
 * The colour of paging mode (effective: ept, npt, shadow): KB_COLOR_TDP
 * for two-dimensional paging, KB_COLOR_SHADOW for shadow, grey for another;
 * variant 1, 2, ... a darker or lighter shade of it for a second or third
 * host with the same mode.
 */
const char *kb_fig_paging_color(const char *mode, unsigned variant);

/* A categorical colour for the i-th series of a figure whose series have
 * no meaning of their own (points on a trend); never red. */
const char *kb_fig_series_color(unsigned i);

/* The range of the values a figure plots (NAN ignored); start {INFINITY,
 * -INFINITY, INFINITY} (KB_RANGE_EMPTY). */
struct kb_range {
	double lo, hi;
	double pos_lo; /* the smallest value above 0 */
};
#define KB_RANGE_EMPTY                        \
	{                                     \
		INFINITY, -INFINITY, INFINITY \
	}

/* Widen r to hold v (not a number: r unchanged). */
void kb_range_add(struct kb_range *r, double v);

/* Whether the values of r want a logarithmic axis: all above 0 and the
 * largest more than ten times the smallest. */
bool kb_range_log(const struct kb_range *r);

/*
 * The y axis of r to gp: "set logscale y" when kb_range_log(), else a
 * linear axis from 0 (a figure fitted to a 3 % spread exaggerates noise).
 * The ylabel for it into buf: label, with " (log scale)" when log.
 * Returns whether the axis is logarithmic.
 */
bool kb_fig_yaxis(FILE *gp, const struct kb_range *r, const char *label, char *buf, size_t len);

/*
 * "set xtics (...)" to gp: label[i] at x = i for i in [0, n), every k-th
 * shown (k the smallest with at most max shown; the others tics without a
 * label), rotated by rotate degrees (0: level).  Returns the count of
 * labels shown.
 */
unsigned kb_fig_xtics(FILE *gp, const char *const *label, unsigned n, unsigned max, int rotate);

/* Parts of at most KB_FIG_MAX_LABELS categories that n categories are
 * split into, in near-equal sizes; part i is [kb_fig_part_start(n, i),
 * kb_fig_part_start(n, i + 1)). */
unsigned kb_fig_parts(unsigned n);
unsigned kb_fig_part_start(unsigned n, unsigned i);

#endif
