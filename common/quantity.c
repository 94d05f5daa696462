/* Values with units for reading (see quantity.h). */
#include "common/quantity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The time units, smallest first, and how many nanoseconds each is. */
static const struct {
	const char *name;
	double ns;
} times[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};

#define NTIMES (sizeof(times) / sizeof(times[0]))

static const char *time_quantity(char *buf, size_t len, double v, size_t unit)
{
	double ns = v * times[unit].ns;
	size_t k = 0;

	while (k + 1 < NTIMES && fabs(ns) >= times[k + 1].ns)
		k++;
	snprintf(buf, len, "%.3g %s", ns / times[k].ns, times[k].name);
	return buf;
}

const char *kb_quantity(char *buf, size_t len, double v, const char *unit)
{
	static const char mult[] = " kMGT";
	const char *u = unit && strcmp(unit, "count") ? unit : ""; /* a count reads bare */
	size_t k = 0;

	if (!isfinite(v)) {
		snprintf(buf, len, "n/a");
		return buf;
	}
	for (size_t i = 0; i < NTIMES; i++)
		if (!strcmp(u, times[i].name))
			return time_quantity(buf, len, v, i);
	while (k + 1 < sizeof(mult) - 1 && fabs(v) >= 1000) {
		v /= 1000;
		k++;
	}
	/* "X/s" reads 1.20M/s; other units get a space: 12.8k cycles */
	snprintf(buf, len, "%.3g%.*s%s%s", v, k ? 1 : 0, &mult[k], u[0] && u[0] != '/' ? " " : "",
		 u);
	return buf;
}
