/*
 * One run of a campaign: one kvmbench-vmm process for one task.  What is
 * the same for every run (the VMMs' user when kvmbench is root, the cap on
 * their logs, the grace the pool gives them, --vmm-args), the run's
 * directory (given to the VMMs' user), its command line (plan/vmmargs.c),
 * and the record of its end (store/ingest.c).
 */
#ifndef KB_RUNNER_H
#define KB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exec/env.h"
#include "exec/pool.h"
#include "exec/schedule.h"
#include "store/ingest.h"

/* The same for every run of a campaign. */
struct kb_run_cfg {
	const struct kb_env *env;
	const char *vmm_args; /* --vmm-args: outside the point keys */
	uint64_t log_cap;     /* console.log and vmm.log, bytes (0: none) */
	uint64_t grace_ns;    /* after a VMM's timeout, and after its SIGTERM */
	struct {	      /* the VMMs' user: set, with "-runas UID:GID" for them */
		bool set;
		uid_t uid;
		gid_t gid;
		char arg[32];
	} runas;
};

/* The configuration from KVMBENCH_LOG_CAP, KVMBENCH_GRACE_MS and
 * KVMBENCH_VMM_USER.  0, or -1 with err naming the variable. */
int kb_run_cfg_init(struct kb_run_cfg *c, const struct kb_env *env, const char *vmm_args, char *err,
		    size_t errlen);

/* A run in progress. */
struct kb_run {
	const struct kb_task *t;
	char dir[1100];	  /* LOGROOT/SEQ */
	char started[32]; /* when it started (kb_timestamp) */
};

/* Make t's run directory below logroot and its VMM command line into
 * cmd.  0, or -1 with err. */
int kb_run_start(struct kb_run *r, const struct kb_run_cfg *c, const struct kb_scenario *sc,
		 const char *logroot, const struct kb_task *t, struct kb_pool_cmd *cmd, char *err,
		 size_t errlen);

/* Record how run r ended (e) in campaign through in; rec gets what was
 * recorded (its status).  0, or -1 with err. */
int kb_run_record(struct kb_run *r, const struct kb_run_cfg *c, struct kb_ingest *in,
		  int64_t campaign, const struct kb_pool_end *e, struct kb_run_rec *rec, char *err,
		  size_t errlen);

/* Run r ends unrecorded (interrupted, or after an error): its scratch
 * files go. */
void kb_run_drop(struct kb_run *r);

#endif
