/*
 * Child processes and the files runs leave (see proc.h).  fork() rather
 * than posix_spawn(): the child must call prctl(PR_SET_PDEATHSIG) itself.
 * A close-on-exec pipe tells the parent whether exec worked, and returning
 * only after it did means the child's setpgid() has happened before anyone
 * signals its group.
 */
#include "common/proc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct start {
	char *const *argv;
	int in, out;	 /* -1: the harness's own */
	const char *dir; /* NULL: here */
	bool own_group;	 /* a process group of its own (else the caller's) */
};

/* In the child: set up and exec; on failure, errno to report and exit. */
static void child(const struct start *s, pid_t parent, int report)
{
	sigset_t none;
	int e;

	if (s->own_group)
		setpgid(0, 0);
	/* PDEATHSIG set after the parent died does not fire: look again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((s->in >= 0 && dup2(s->in, 0) < 0) ||
	    (s->out >= 0 && (dup2(s->out, 1) < 0 || dup2(s->out, 2) < 0)) ||
	    (s->dir && chdir(s->dir)))
		goto fail;
	execvp(s->argv[0], s->argv);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static pid_t start(const struct start *s, char *err, size_t errlen)
{
	char *const *argv = s->argv;
	pid_t parent = getpid(), pid;
	int fd[2], e = 0;
	ssize_t got;

	if (pipe2(fd, O_CLOEXEC)) {
		snprintf(err, errlen, "%s: cannot start: %s", argv[0], strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		child(s, parent, fd[1]);
	}
	e = errno;
	close(fd[1]);
	if (pid > 0) {
		while ((got = read(fd[0], &e, sizeof(e))) < 0 && errno == EINTR)
			;
		if (got == sizeof(e)) { /* exec failed: the child has exited */
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			pid = -1;
		}
	}
	close(fd[0]);
	if (pid < 0)
		snprintf(err, errlen, "%s: cannot start: %s", argv[0], strerror(e));
	return pid;
}

pid_t kb_child_start(char *const argv[], int in, int out, const char *dir, char *err, size_t errlen)
{
	return start(&(struct start){argv, in, out, dir, true}, err, errlen);
}

pid_t kb_child_start_fg(char *const argv[], char *err, size_t errlen)
{
	return start(&(struct start){argv, -1, -1, NULL, false}, err, errlen);
}

void kb_child_kill(pid_t child, int sig)
{
	if (child > 0)
		kill(-child, sig);
}

int kb_child_reap(pid_t child)
{
	int st = -1;

	/* Not reaped yet, so its pid (the group's id) cannot have been reused. */
	kb_child_kill(child, SIGKILL);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static volatile sig_atomic_t L_signal;

static void note_signal(int sig)
{
	L_signal = sig;
}

int kb_child_wait(pid_t child)
{
	struct sigaction sa = {.sa_handler = note_signal}, old_int, old_term;
	siginfo_t si;
	int st = -1;

	/* Ctrl-C reaches only the harness (the child has its own group): pass
	 * it on, and end as the signal would have once the child is gone. */
	L_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (old_int.sa_handler == SIG_IGN) /* ignored stays ignored (nohup, sh's &) */
		sigaction(SIGINT, &old_int, NULL);
	if (old_term.sa_handler == SIG_IGN)
		sigaction(SIGTERM, &old_term, NULL);
	while (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		if (L_signal)
			kb_child_kill(child, L_signal);
	st = kb_child_reap(child);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (L_signal)
		raise(L_signal);
	return st;
}

int kb_child_run(char *const argv[], int out, const char *dir, char *err, size_t errlen)
{
	pid_t pid = kb_child_start(argv, -1, out, dir, err, errlen);

	return pid < 0 ? -1 : kb_child_wait(pid);
}

int kb_remove_tree(const char *path)
{
	char *const argv[] = {"rm", "-rf", "--", (char *)path, NULL};
	char why[256];
	int st = kb_child_run(argv, -1, NULL, why, sizeof(why));

	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int kb_argv_add(struct kb_argv *a, const char *fmt, ...)
{
	size_t room = sizeof(a->buf) - a->used;
	va_list ap;
	int n;

	if (a->n == KB_ARGV_MAX) {
		a->full = true;
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		a->buf[a->used] = 0;
		a->full = true;
		return -1;
	}
	a->v[a->n++] = a->buf + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)n + 1;
	assert(a->used <= sizeof(a->buf) && a->n <= KB_ARGV_MAX);
	return 0;
}

void kb_argv_add_words(struct kb_argv *a, const char *words)
{
	for (const char *w = words + strspn(words, " "); *w; w += strspn(w, " ")) {
		size_t n = strcspn(w, " ");

		kb_argv_add(a, "%.*s", (int)n, w);
		w += n;
	}
}
