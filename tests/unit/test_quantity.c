/* Values with units for reading (common/quantity.c). */
#include <math.h>

#include "common/quantity.h"
#include "unit.h"

static int is(double v, const char *unit, const char *want)
{
	char b[32];

	kb_quantity(b, sizeof(b), v, unit);
	if (strcmp(b, want))
		fprintf(stderr, "kb_quantity(%g, %s) = '%s', want '%s'\n", v, unit, b, want);
	return !strcmp(b, want);
}

static int pair(double a, double b, const char *unit, const char *want)
{
	char buf[64];

	kb_quantity_pair(buf, sizeof(buf), a, b, unit);
	if (strcmp(buf, want))
		fprintf(stderr, "kb_quantity_pair(%g, %g, %s) = '%s', want '%s'\n", a, b, unit, buf,
			want);
	return !strcmp(buf, want);
}

int main(void)
{
	/* one scale for both sides: the larger's */
	CHECK(pair(4921.86, 6517.35, "ns", "4.92 -> 6.52 us"));
	CHECK(pair(999, 1200, "ns", "0.999 -> 1.2 us"));
	CHECK(pair(12796.8, 16945.1, "cycles", "12.8k -> 16.9k cycles"));
	CHECK(pair(512, 2048, "count", "0.512k -> 2.05k"));
	CHECK(pair(1.2e6, 9e5, "/s", "1.2M -> 0.9M/s"));
	CHECK(pair(NAN, 3, "ns", "n/a -> 3 ns"));
	CHECK(pair(0, 0, "ns", "0 -> 0 ns"));
	CHECK(is(4940.6, "ns", "4.94 us"));
	CHECK(is(999, "ns", "999 ns"));
	CHECK(is(1000, "ns", "1 us"));
	CHECK(is(2.5e9, "ns", "2.5 s"));
	CHECK(is(1.5e12, "ns", "1.5e+03 s")); /* no unit above seconds */
	CHECK(is(0.25, "ms", "250 us"));
	CHECK(is(0.5, "ns", "0.5 ns"));
	CHECK(is(12845.6, "cycles", "12.8k cycles"));
	CHECK(is(1245, "exits", "1.25k exits"));
	CHECK(is(3.2e6, "exits/s", "3.2M exits/s"));
	CHECK(is(1.2e6, "/s", "1.2M/s"));
	CHECK(is(512, "count", "512"));
	CHECK(is(2048, "count", "2.05k"));
	CHECK(is(-2500, "cycles", "-2.5k cycles"));
	CHECK(is(7, "", "7"));
	CHECK(is(7, NULL, "7"));
	CHECK(is(NAN, "ns", "n/a"));
	CHECK(is(INFINITY, "cycles", "n/a"));
	CHECK(is(4.2e15, "cycles", "4.2e+03T cycles"));
	return unit_summary("quantity");
}
