/* fail: reports a failure with a reason (exit status 2). */
#include "kb.h"

int main(void)
{
	kb_fail("the fail guest fails on purpose");
}
