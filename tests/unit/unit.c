#include "unit.h"

int unit_passed, unit_failed;

int unit_summary(const char *name)
{
	printf("unit %s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
