/*
 * Asserts are live where the tests run.  The unit tests and the VMM and
 * common objects they link are compiled by one Makefile rule
 * (build/checked/, CHECKED_CFLAGS: no NDEBUG), so this file being checked
 * means they all are: a broken invariant aborts a test instead of passing
 * unnoticed.  A child process runs assert(0) and must die of SIGABRT; built
 * with NDEBUG it would return, and the check fails.
 */
#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

static volatile int zero;

/* In a child: quiet, no core file, then assert(zero): returns only if
 * asserts are compiled out. */
static void child_asserts(void)
{
	struct rlimit no_core = {0, 0};
	int null = open("/dev/null", O_WRONLY);

	setrlimit(RLIMIT_CORE, &no_core);
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	assert(zero);
	_exit(0);
}

static void test_assert_aborts(void)
{
	int status = 0;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid < 0)
		return;
	if (pid == 0)
		child_asserts();
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

int main(void)
{
#ifdef NDEBUG
	CHECK(!"the unit-test build defines NDEBUG: asserts are off");
#endif
	test_assert_aborts();
	return unit_summary("assert");
}
