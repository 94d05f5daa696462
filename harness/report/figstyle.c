/*
 * The look the report's figures share (see figstyle.h): colours fixed by
 * meaning, log axes where values span more than a decade, tic labels
 * thinned so they never overlap, wide figures split into parts.
 */
#include "report/figstyle.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "common/escape.h"
#include "report/plot.h"

/* The common exit reasons and device regions, each its own colour. */
static const struct {
	const char *name, *color;
} fixed[] = {
    {"io", "#2ca02c"},
    {"mmio", "#9467bd"},
    {"hlt", "#8c564b"},
    {"shutdown", "#7f7f7f"},
    {"intr", "#bcbd22"},
    {"irq_window_open", "#e377c2"},
    {"internal_error", "#000000"},
    {"fail_entry", "#393b79"},
    {"system_event", "#637939"},
    {"pio:com1", "#ff7f0e"},
    {"pio:bench", "#8c6d31"},
    {"pio:unhandled", "#17becf"},
    {"mmio:unhandled", "#9edae5"},
};

/* The palette of the other names: Tableau's 20 without its blue and red
 * (the paging modes') nor their light shades. */
static const char *const palette[] = {
    "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d",
    "#9edae5", "#393b79", "#637939", "#8c6d31", "#7b4173", "#3182bd",
};

#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

const char *kb_fig_color(const char *name)
{
	unsigned h = 2166136261u; /* FNV-1a: stable across builds and hosts */

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(fixed[i].name, name))
			return fixed[i].color;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return palette[h % NPALETTE];
}

const char *kb_fig_paging_color(const char *mode, unsigned variant)
{
	static const char *const tdp[] = {KB_COLOR_TDP, "#08306b", "#6baed6"};
	static const char *const shadow[] = {KB_COLOR_SHADOW, "#67000d", "#fc9272"};
	static const char *const other[] = {"#555555", "#000000", "#aaaaaa"};

	variant %= 3;
	if (!strcmp(mode, "ept") || !strcmp(mode, "npt") || !strcmp(mode, "tdp"))
		return tdp[variant];
	if (!strcmp(mode, "shadow"))
		return shadow[variant];
	return other[variant];
}

const char *kb_fig_series_color(unsigned i)
{
	return palette[i % NPALETTE];
}

void kb_range_add(struct kb_range *r, double v)
{
	if (isnan(v))
		return;
	if (v < r->lo)
		r->lo = v;
	if (v > r->hi)
		r->hi = v;
	if (v > 0 && v < r->pos_lo)
		r->pos_lo = v;
}

bool kb_range_log(const struct kb_range *r)
{
	return r->lo > 0 && isfinite(r->hi) && r->hi > 10 * r->lo;
}

bool kb_fig_yaxis(FILE *gp, const struct kb_range *r, const char *label, char *buf, size_t len)
{
	bool log = kb_range_log(r);

	snprintf(buf, len, "%s%s", label, log ? " (log scale)" : "");
	if (log)
		fprintf(gp, "set logscale y\nset yrange [%g:%g]\n", r->lo / 1.5, r->hi * 1.5);
	else if (r->lo >= 0 || !isfinite(r->lo))
		fprintf(gp, "set yrange [0:*]\n");
	return log;
}

unsigned kb_fig_xtics(FILE *gp, const char *const *label, unsigned n, unsigned max, int rotate)
{
	unsigned k = max ? (n + max - 1) / max : 1, shown = 0;
	char q[420];

	assert(max > 0);
	if (k == 0)
		k = 1;
	fprintf(gp, "set xtics (");
	for (unsigned i = 0; i < n; i++) {
		if (i % k == 0) {
			fprintf(gp, "%s%s %u", shown || i ? ", " : "",
				kb_esc_gp(q, sizeof(q), label[i]), i);
			shown++;
		} else if (n <= 8 * max) {
			fprintf(gp, ", '' %u 1", i); /* a tic without a label */
		}
	}
	fprintf(gp, ") font \",8\" noenhanced");
	if (rotate)
		fprintf(gp, " rotate by %d", rotate);
	fprintf(gp, "\n");
	return shown;
}

unsigned kb_fig_parts(unsigned n)
{
	return n ? (n + KB_FIG_MAX_LABELS - 1) / KB_FIG_MAX_LABELS : 1;
}

unsigned kb_fig_part_start(unsigned n, unsigned i)
{
	unsigned parts = kb_fig_parts(n);

	return (unsigned)((unsigned long)n * i / parts);
}
