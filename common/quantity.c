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

/* How a value of magnitude v in unit reads: divide by div, write mult
 * after each number and unit (with sep before it) once at the end. */
struct scale {
	double div;
	const char *mult, *sep, *unit;
};

static struct scale scale_of(double v, const char *unit)
{
	static const char *const mult[] = {"", "k", "M", "G", "T"};
	const char *u = unit && strcmp(unit, "count") ? unit : ""; /* a count reads bare */
	struct scale s = {1, "", u[0] && u[0] != '/' ? " " : "", u};
	size_t k = 0;

	v = fabs(v);
	for (size_t i = 0; i < NTIMES; i++) {
		if (strcmp(u, times[i].name))
			continue;
		while (k + 1 < NTIMES && v * times[i].ns >= times[k + 1].ns)
			k++;
		s.div = times[k].ns / times[i].ns;
		s.unit = times[k].name;
		return s;
	}
	while (k + 1 < sizeof(mult) / sizeof(mult[0]) && v / s.div >= 1000) {
		s.div *= 1000;
		k++;
	}
	s.mult = mult[k];
	return s;
}

const char *kb_quantity(char *buf, size_t len, double v, const char *unit)
{
	struct scale s = scale_of(v, unit);

	if (!isfinite(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.3g%s%s%s", v / s.div, s.mult, s.sep, s.unit);
	return buf;
}

const char *kb_quantity_pair(char *buf, size_t len, double a, double b, const char *unit)
{
	double fa = isfinite(a) ? fabs(a) : 0, fb = isfinite(b) ? fabs(b) : 0;
	struct scale s = scale_of(fa > fb ? fa : fb, unit);
	char x[32] = "n/a", y[32] = "n/a";

	if (isfinite(a))
		snprintf(x, sizeof(x), "%.3g%s", a / s.div, s.mult);
	if (isfinite(b))
		snprintf(y, sizeof(y), "%.3g%s", b / s.div, s.mult);
	snprintf(buf, len, "%s -> %s%s%s", x, y, s.sep, s.unit);
	return buf;
}
