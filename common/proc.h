/*
 * The harness's child processes (VMMs, gnuplot, apt-get, modprobe) and the
 * files runs leave behind.  A child runs in a process group of its own, so
 * it and anything it forks are stopped together, and dies with the harness
 * (PR_SET_PDEATHSIG), so not even a SIGKILL of kvmbench leaves it running.
 * A file a run leaves is opened only when it is a regular file: a FIFO, a
 * device or a symbolic link there is refused instead of hanging or
 * following it.
 */
#ifndef KB_PROC_H
#define KB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A command line being built: each argument a copy in buf. */
#define KB_ARGV_MAX 128
struct kb_argv {
	char *v[KB_ARGV_MAX + 1]; /* NULL-terminated */
	int n;
	bool full; /* an argument did not fit and was left out */
	size_t used;
	char buf[16384];
};

/* Append one argument, printf-style: 0, or -1 (and a->full) when it does
 * not fit.  Start from a zeroed struct. */
int kb_argv_add(struct kb_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append each space-separated word of words as an argument (as
 * kb_argv_add). */
void kb_argv_add_words(struct kb_argv *a, const char *words);

/*
 * Start argv[0] (searched in PATH) with stdin from in and stdout and stderr
 * to out (-1: the harness's own), in dir (NULL: here), with default signal
 * dispositions and an empty signal mask.  Returns once the program runs:
 * its pid (also its process group), or -1 with why it could not start
 * (naming argv[0]) in err.  The caller closes in and out.
 */
pid_t kb_child_start(char *const argv[], int in, int out, const char *dir, char *err,
		     size_t errlen);

/*
 * kb_child_start() for a child that shares the terminal with the harness:
 * in the caller's process group (the terminal's foreground group, so the
 * keyboard's signals reach it), with the caller's stdin, stdout and
 * stderr.  Wait for it with waitpid(); kb_child_kill() does not reach it.
 */
pid_t kb_child_start_fg(char *const argv[], char *err, size_t errlen);

/*
 * Run argv to its end: kb_child_start() (out and dir as there) then
 * kb_child_wait().  Returns its wait status, or -1 with why it could not
 * start in err.
 */
int kb_child_run(char *const argv[], int out, const char *dir, char *err, size_t errlen);

/* rm -rf path (a run's or a lab's directory): 0 when it is gone. */
int kb_remove_tree(const char *path);

/* Send sig to child's whole process group. */
void kb_child_kill(pid_t child, int sig);

/*
 * Reap child once it has ended (a pidfd said so), after killing what is
 * left of its group: nothing it forked outlives it.  Returns its wait
 * status.
 */
int kb_child_reap(pid_t child);

/* Wait for child to end, then kb_child_reap(): its wait status, -1 when
 * there is no such child.  A SIGINT or SIGTERM meanwhile is passed on to
 * the child's group, then raised again once it has ended. */
int kb_child_wait(pid_t child);

#endif
