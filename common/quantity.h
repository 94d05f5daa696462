/*
 * A measured value with its unit, written for a person to read
 * (common/quantity.c): times in the largest of ns, us, ms and s that keeps
 * the number at 1 or more, other units with a k, M or G multiplier, three
 * significant digits.  Machine outputs keep the raw value.
 */
#ifndef KB_QUANTITY_H
#define KB_QUANTITY_H

#include <stddef.h>

/* v in unit (ns, us, ms, s, cycles, exits, count, X/s, ... or "" for a
 * bare number) into buf: "4.94 us", "12.8k cycles", "1.2M/s", a count bare ("2.05k"), "n/a" when
 * v is not finite.  Returns buf. */
const char *kb_quantity(char *buf, size_t len, double v, const char *unit);

/* Two values of one metric in one scale, the unit said once: "4.92 ->
 * 6.52 us", "12.8k -> 16.9k cycles" (the scale of the larger; "n/a" for a
 * value that is not finite).  Returns buf. */
const char *kb_quantity_pair(char *buf, size_t len, double a, double b, const char *unit);

#endif
