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

int main(void)
{
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
