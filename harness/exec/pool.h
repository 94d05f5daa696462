/*
 * The process pool: up to nslots children at once, each started through
 * common/proc.c (a process group of its own, gone with the harness), its
 * stdout and stderr through a pipe into a log capped at log_cap bytes (past
 * the cap the output is read and dropped, so a child never blocks on it),
 * and a deadline: its own timeout plus a grace, then SIGTERM, and a grace
 * later SIGKILL, to its whole group.  One poll() waits on the children's
 * pidfds and pipes and on a signalfd for SIGINT and SIGTERM, which stop the
 * pool.  What a job is (its command, what its end means) is the caller's:
 * the pool calls back.
 */
#ifndef KB_POOL_H
#define KB_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/proc.h"

/* A job's command, filled by the start callback. */
struct kb_pool_cmd {
	struct kb_argv argv;
	char log[1200]; /* its stdout and stderr: a regular file, truncated */
	double timeout; /* seconds it has before the pool steps in (a grace later) */
};

/* How a job ended. */
struct kb_pool_end {
	int wstatus;	  /* its wait status */
	int killed;	  /* 0, or the SIGTERM or SIGKILL the pool sent past its deadline */
	uint64_t wall_ns; /* start to end */
	uint64_t dropped; /* bytes of output past the log's cap */
};

struct kb_pool_ops {
	/* Prepare job (run in slot) into cmd: 0, or -1 with err (the pool
	 * stops: the other jobs are killed and dropped). */
	int (*start)(void *ctx, unsigned slot, unsigned job, struct kb_pool_cmd *cmd, char *err,
		     size_t errlen);
	/* Job ended (by itself, or killed past its deadline): 0, or -1 with
	 * err (the pool stops). */
	int (*done)(void *ctx, unsigned slot, unsigned job, const struct kb_pool_end *e, char *err,
		    size_t errlen);
	/* Job was killed unfinished (the pool stopping); its end means nothing. */
	void (*dropped)(void *ctx, unsigned slot, unsigned job);
	/* The first SIGINT or SIGTERM: no new jobs, the running ones are stopped. */
	void (*stopping)(void *ctx, int sig);
};

struct kb_pool_slot;

struct kb_pool {
	unsigned nslots;
	uint64_t log_cap;  /* bytes of each job's log; 0: no cap */
	uint64_t grace_ns; /* past a deadline, and after SIGTERM */
	const struct kb_pool_ops *ops;
	void *ctx;
	bool stopping; /* a signal came: kept across kb_pool_run() calls */
	/* the pool's own */
	struct kb_pool_slot *slots;
	unsigned active;
	int sfd;
};

/* Set the pool up for nslots (at most 256) jobs at once, no log cap and no
 * grace (set them after): 0, or -1 with err. */
int kb_pool_init(struct kb_pool *p, unsigned nslots, const struct kb_pool_ops *ops, void *ctx,
		 char *err, size_t errlen);
void kb_pool_free(struct kb_pool *p);

/*
 * Run jobs 0 to njobs - 1, at most nslots at once, until all have ended
 * (or, stopping, the running ones were stopped).  0, or -1 with err when a
 * child could not start or a callback failed: every child still running
 * is then killed and dropped.
 */
int kb_pool_run(struct kb_pool *p, unsigned njobs, char *err, size_t errlen);

#endif
