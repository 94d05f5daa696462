/*
 * The process pool (see pool.h).  A slot is free (busy false) or holds one
 * running child; p->active counts the busy slots.  A child's end is seen
 * on its pidfd; its output is drained before it is reaped, so nothing it
 * wrote is lost.
 */
#include "exec/pool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

#define POOL_MAX_SLOTS 256

struct kb_pool_slot {
	bool busy;
	unsigned job;
	pid_t pid;
	int pidfd;
	int out; /* read end of the child's stdout/stderr pipe, or -1 */
	int log;
	uint64_t start_ns, deadline_ns;
	int killed;		  /* 0, SIGTERM or SIGKILL sent */
	uint64_t logged, dropped; /* bytes of out written to log, and past the cap */
};

int kb_pool_init(struct kb_pool *p, unsigned nslots, const struct kb_pool_ops *ops, void *ctx,
		 char *err, size_t errlen)
{
	assert(nslots >= 1 && nslots <= POOL_MAX_SLOTS);
	p->nslots = nslots;
	p->ops = ops;
	p->ctx = ctx;
	p->stopping = false;
	p->active = 0;
	p->sfd = -1;
	p->log_cap = 0;
	p->grace_ns = 0;
	p->slots = calloc(nslots, sizeof(*p->slots));
	return p->slots ? 0 : kb_errf(err, errlen, "out of memory");
}

void kb_pool_free(struct kb_pool *p)
{
	assert(!p->active);
	free(p->slots);
	p->slots = NULL;
}

/* Move what the child has written to its pipe into its log, up to the cap;
 * past it one note, and the rest is read and dropped, so that the child
 * never blocks on a full pipe.  At end of file the pipe is closed. */
static void drain_log(const struct kb_pool *p, struct kb_pool_slot *s)
{
	char buf[65536];
	ssize_t n;

	while (s->out >= 0 && (n = read(s->out, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: all there is for now */
		}
		uint64_t room = !p->log_cap		 ? (uint64_t)n
				: s->logged < p->log_cap ? p->log_cap - s->logged
							 : 0;
		size_t keep = (uint64_t)n < room ? (size_t)n : (size_t)room;

		if (keep && write(s->log, buf, keep) == (ssize_t)keep)
			s->logged += keep;
		if (keep < (size_t)n && !s->dropped)
			dprintf(s->log,
				"\nkvmbench: VMM output capped at %" PRIu64
				" bytes; the rest is dropped\n",
				p->log_cap);
		s->dropped += (size_t)n - keep;
	}
	if (s->out >= 0)
		close(s->out);
	s->out = -1;
}

/* Start cmd in slot s: its own process group (stopped whole), gone with the
 * harness, its output through a pipe into its log (a regular file, not
 * whatever was planted there), so the log is capped without blocking it.
 * 0 or -1 with err. */
static int spawn(struct kb_pool *p, struct kb_pool_slot *s, const struct kb_pool_cmd *cmd,
		 char *err, size_t errlen)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pipefd[2] = {-1, -1};

	s->log = kb_open_regular(cmd->log, O_WRONLY | O_CREAT | O_TRUNC, err, errlen);
	if (null < 0 || s->log < 0 || pipe2(pipefd, O_CLOEXEC)) {
		if (s->log >= 0)
			snprintf(err, errlen, "%s: %m", null < 0 ? "/dev/null" : "pipe");
		if (null >= 0)
			close(null);
		if (s->log >= 0)
			close(s->log);
		return -1;
	}
	s->pid = kb_child_start(cmd->argv.v, null, pipefd[1], NULL, err, errlen);
	close(null);
	close(pipefd[1]);
	if (s->pid < 0) {
		close(pipefd[0]);
		close(s->log);
		return -1;
	}
	s->out = pipefd[0];
	fcntl(s->out, F_SETFL, O_NONBLOCK);
	s->logged = s->dropped = 0;
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	s->killed = 0;
	s->start_ns = kb_mono_ns();
	/* The child enforces its timeout itself; the pool steps in a grace later. */
	s->deadline_ns = s->start_ns + (uint64_t)(cmd->timeout * 1e9) + p->grace_ns;
	return 0;
}

/* Start job in a free slot: 0 or -1 with err. */
static int start_job(struct kb_pool *p, unsigned job, char *err, size_t errlen)
{
	struct kb_pool_slot *s = NULL;
	struct kb_pool_cmd *cmd;
	unsigned i;
	int rc;

	for (i = 0; i < p->nslots && !s; i++)
		if (!p->slots[i].busy)
			s = &p->slots[i];
	assert(s && p->active < p->nslots);
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return kb_errf(err, errlen, "out of memory");
	rc = p->ops->start(p->ctx, (unsigned)(s - p->slots), job, cmd, err, errlen);
	if (!rc && (rc = spawn(p, s, cmd, err, errlen)))
		p->ops->dropped(p->ctx, (unsigned)(s - p->slots), job);
	free(cmd);
	if (rc)
		return -1;
	s->busy = true;
	s->job = job;
	p->active++;
	return 0;
}

/* Free slot s once its child has ended (or been killed): reaped with what
 * is left of its group, its output drained, its files closed. */
static int release(struct kb_pool *p, struct kb_pool_slot *s)
{
	int wstatus = kb_child_reap(s->pid); /* and whatever it forked */

	assert(s->busy && p->active > 0);
	close(s->pidfd);
	drain_log(p, s); /* what it wrote before it ended */
	if (s->out >= 0) /* something it left behind holds the pipe: not waited for */
		close(s->out);
	s->out = -1;
	close(s->log);
	s->busy = false;
	p->active--;
	return wstatus;
}

/* Slot s's child has ended: tell the caller how (or, interrupted, drop it). */
static int finish(struct kb_pool *p, struct kb_pool_slot *s, char *err, size_t errlen)
{
	struct kb_pool_end e = {.killed = s->killed};

	e.wstatus = release(p, s);
	e.dropped = s->dropped;
	e.wall_ns = kb_mono_ns() - s->start_ns;
	if (p->stopping && s->killed) { /* interrupted: its end means nothing */
		p->ops->dropped(p->ctx, (unsigned)(s - p->slots), s->job);
		return 0;
	}
	return p->ops->done(p->ctx, (unsigned)(s - p->slots), s->job, &e, err, errlen);
}

/* Send TERM, then KILL, to children past their deadline (or all, stopping). */
static void enforce(struct kb_pool *p, uint64_t now)
{
	for (unsigned i = 0; i < p->nslots; i++) {
		struct kb_pool_slot *s = &p->slots[i];

		if (!s->busy)
			continue;
		if ((now >= s->deadline_ns || p->stopping) && !s->killed) {
			kb_child_kill(s->pid, SIGTERM);
			s->killed = SIGTERM;
			s->deadline_ns = now + p->grace_ns;
		} else if (now >= s->deadline_ns && s->killed == SIGTERM) {
			kb_child_kill(s->pid, SIGKILL);
			s->killed = SIGKILL;
			s->deadline_ns = UINT64_MAX;
		}
	}
}

/* The first SIGINT or SIGTERM stops the pool. */
static void read_signal(struct kb_pool *p)
{
	struct signalfd_siginfo si;

	if (read(p->sfd, &si, sizeof(si)) == sizeof(si) && !p->stopping) {
		p->stopping = true;
		if (p->ops->stopping)
			p->ops->stopping(p->ctx, (int)si.ssi_signo);
	}
}

/* Wait for a child to end or write, a signal or the nearest deadline. */
static int wait_some(struct kb_pool *p, char *err, size_t errlen)
{
	struct pollfd pfd[1 + 2 * POOL_MAX_SLOTS]; /* the signalfd, a pidfd and a pipe per slot */
	struct kb_pool_slot *who[1 + 2 * POOL_MAX_SLOTS];
	unsigned n = 0;
	uint64_t now = kb_mono_ns(), next = UINT64_MAX;

	pfd[n] = (struct pollfd){.fd = p->sfd, .events = POLLIN};
	who[n++] = NULL;
	for (unsigned i = 0; i < p->nslots; i++) {
		struct kb_pool_slot *s = &p->slots[i];

		if (!s->busy)
			continue;
		pfd[n] = (struct pollfd){.fd = s->pidfd, .events = POLLIN};
		who[n++] = s;
		pfd[n] = (struct pollfd){.fd = s->out, .events = POLLIN}; /* < 0: ignored */
		who[n++] = s;
		next = s->deadline_ns < next ? s->deadline_ns : next;
	}
	int ms = next == UINT64_MAX ? -1 : next <= now ? 0 : (int)((next - now) / 1000000 + 1);

	if (poll(pfd, n, ms) < 0 && errno != EINTR)
		return kb_errf(err, errlen, "poll: %m");
	if (pfd[0].revents & POLLIN)
		read_signal(p);
	for (unsigned i = 2; i < n; i += 2) /* output first: finish() closes it */
		if (pfd[i].revents & (POLLIN | POLLHUP))
			drain_log(p, who[i]);
	for (unsigned i = 1; i < n; i += 2) {
		assert(who[i]->busy);
		if (pfd[i].revents & (POLLIN | POLLHUP) && finish(p, who[i], err, errlen))
			return -1;
	}
	enforce(p, kb_mono_ns());
	return 0;
}

/* After an error: every child still running is killed (its whole group),
 * reaped and dropped. */
static void stop_all(struct kb_pool *p)
{
	for (unsigned i = 0; i < p->nslots; i++) {
		struct kb_pool_slot *s = &p->slots[i];

		if (!s->busy)
			continue;
		kb_child_kill(s->pid, SIGKILL);
		release(p, s);
		p->ops->dropped(p->ctx, i, s->job);
	}
	assert(!p->active);
}

int kb_pool_run(struct kb_pool *p, unsigned njobs, char *err, size_t errlen)
{
	unsigned next = 0;
	sigset_t set;
	int rc = 0;

	assert(!p->active);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	p->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	while (!rc && ((next < njobs && !p->stopping) || p->active)) {
		while (!rc && !p->stopping && next < njobs && p->active < p->nslots)
			if (!(rc = start_job(p, next, err, errlen)))
				next++;
		if (!rc)
			rc = wait_some(p, err, errlen);
	}
	if (rc)
		stop_all(p);
	close(p->sfd);
	p->sfd = -1;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return rc;
}
