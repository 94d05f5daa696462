/*
 * One run of a campaign (see runner.h).  The VMM writes its stats, console
 * and (through the pool's pipe) its output into the run's directory; a run
 * it ends by itself is judged from its stats, one the pool had to kill or
 * that died of a signal is a failure with the reason.
 */
#include "exec/runner.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/size.h"
#include "common/util.h"
#include "exec/rows.h"
#include "plan/vmmargs.h"

/* How long a VMM gets past its own -timeout, and after SIGTERM, before the
 * next step (KVMBENCH_GRACE_MS, default 5000; tests shorten it). */
static int grace(uint64_t *ns, char *err, size_t errlen)
{
	double ms;

	if (kb_env_number("KVMBENCH_GRACE_MS", 1, 3600000, KB_NUM_INT, 5000, &ms, err, errlen))
		return -1;
	*ns = (uint64_t)ms * 1000000ull;
	return 0;
}

/* The cap on each run's console.log and vmm.log (KVMBENCH_LOG_CAP, bytes
 * or with K/M/G; default 64M, as the VMM's; 0: no cap).  0, or -1 with err. */
static int log_cap(uint64_t *cap, char *err, size_t errlen)
{
	const char *v = getenv("KVMBENCH_LOG_CAP");

	*cap = KB_SERIAL_CAP_DEFAULT;
	if (v && *v && kb_bytes_parse(v, cap))
		return kb_errf(err, errlen,
			       "KVMBENCH_LOG_CAP=%s: want a size in bytes (e.g. 16M; 0: no cap)",
			       v);
	return 0;
}

/*
 * When kvmbench runs as root, each VMM gives root up once it has opened
 * what it needs (-runas), for KVMBENCH_VMM_USER: a name or UID, default
 * nobody; "root" or empty keeps root.  Looked up here, through NSS, which
 * the static VMM has not: it gets UID:GID.  0, or -1 with err.
 */
static int vmm_user(struct kb_run_cfg *c, char *err, size_t errlen)
{
	const char *v = getenv("KVMBENCH_VMM_USER");
	struct passwd *pw;
	double uid;

	c->runas.set = false;
	if (geteuid() != 0)
		return 0; /* the VMMs run as this user already */
	if (!v)
		v = "nobody";
	if (!*v || !strcmp(v, "root"))
		return 0;
	errno = 0;
	pw = kb_number_parse(v, 0, 4294967294.0, KB_NUM_INT, &uid, NULL, 0) ? getpwnam(v)
									    : getpwuid((uid_t)uid);
	if (!pw)
		return kb_errf(err, errlen,
			       "KVMBENCH_VMM_USER=%s: %s (the user VMMs run as when kvmbench is "
			       "root; root or empty keeps root)",
			       v, errno ? strerror(errno) : "no such user");
	if (!pw->pw_uid)
		return 0;
	c->runas.set = true;
	c->runas.uid = pw->pw_uid;
	c->runas.gid = pw->pw_gid;
	snprintf(c->runas.arg, sizeof(c->runas.arg), "%u:%u", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	return 0;
}

int kb_run_cfg_init(struct kb_run_cfg *c, const struct kb_env *env, const char *vmm_args, char *err,
		    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->env = env;
	c->vmm_args = vmm_args;
	if (log_cap(&c->log_cap, err, errlen) || grace(&c->grace_ns, err, errlen) ||
	    vmm_user(c, err, errlen))
		return -1;
	return 0;
}

/* A run's directory, given to the VMMs' user: the one place it may write
 * after -runas (its stats; console.log and the disk are opened before). */
static int give_dir(const struct kb_run_cfg *c, const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = -1;
	struct stat st;

	if (fd < 0 || fchown(fd, c->runas.uid, c->runas.gid) || fstat(fd, &st))
		snprintf(err, errlen, "%s: cannot give it to uid %u (KVMBENCH_VMM_USER): %m", dir,
			 (unsigned)c->runas.uid);
	else if (st.st_uid != c->runas.uid) /* 9p with security_model=none ignores chown */
		snprintf(err, errlen,
			 "%s: its filesystem ignored chown to uid %u; KVMBENCH_VMM_USER=root keeps "
			 "the VMMs root",
			 dir, (unsigned)c->runas.uid);
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

int kb_run_start(struct kb_run *r, const struct kb_run_cfg *c, const struct kb_scenario *sc,
		 const char *logroot, const struct kb_task *t, struct kb_pool_cmd *cmd, char *err,
		 size_t errlen)
{
	const struct kb_point *p = t->pt;
	struct kb_vmm_run vr = {.vmm = c->env->vmm,
				.guest_dir = c->env->guest_dir,
				.root = c->env->root,
				.dir = r->dir,
				.timeout = p->wl->timeout > 0 ? p->wl->timeout : sc->timeout,
				.serial_cap = c->log_cap,
				.runas = c->runas.set ? c->runas.arg : NULL,
				.extra = c->vmm_args};
	char stats[1200];

	r->t = t;
	snprintf(r->dir, sizeof(r->dir), "%s/%u", logroot, t->seq);
	if (mkdir(r->dir, 0755) && errno != EEXIST) /* logroot exists already */
		return kb_errf(err, errlen, "%s: cannot create: %m", r->dir);
	if (c->runas.set && give_dir(c, r->dir, err, errlen))
		return -1;
	snprintf(stats, sizeof(stats), "%s/stats.json", r->dir);
	unlink(stats); /* a resumed run's old one: not this run's result */
	if (kb_vmm_argv(p, &vr, &cmd->argv, err, errlen))
		return -1;
	snprintf(cmd->log, sizeof(cmd->log), "%s/vmm.log", r->dir);
	cmd->timeout = vr.timeout;
	kb_timestamp(r->started, sizeof(r->started));
	return 0;
}

/* What the VMM's end says before its stats are read: a forced failure when
 * it hung or died of a signal. */
static void judge_end(const struct kb_run *r, const struct kb_run_cfg *c,
		      const struct kb_pool_end *e, struct kb_run_rec *rec)
{
	int ws = e->wstatus;

	rec->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	if (e->dropped)
		snprintf(rec->note, sizeof(rec->note), "VMM output capped at %" PRIu64 " bytes",
			 c->log_cap);
	if (e->killed) {
		snprintf(rec->status, sizeof(rec->status), "fail");
		snprintf(rec->reason, sizeof(rec->reason),
			 "the VMM hung: killed with %s after the harness deadline (logs: %s)",
			 e->killed == SIGKILL ? "SIGKILL" : "SIGTERM", r->dir);
	} else if (WIFSIGNALED(ws)) {
		snprintf(rec->status, sizeof(rec->status), "fail");
		snprintf(rec->reason, sizeof(rec->reason),
			 "the VMM died of signal %d (%s) (logs: %s)", WTERMSIG(ws),
			 strsignal(WTERMSIG(ws)), r->dir);
	}
}

int kb_run_record(struct kb_run *r, const struct kb_run_cfg *c, struct kb_ingest *in,
		  int64_t campaign, const struct kb_pool_end *e, struct kb_run_rec *rec, char *err,
		  size_t errlen)
{
	const struct kb_task *t = r->t;
	char stats[1200], why[512];

	assert(t && r->dir[0]); /* kb_run_start made it */
	*rec = (struct kb_run_rec){.campaign_id = campaign,
				   .pt = t->pt,
				   .seq = t->seq,
				   .repeat = t->repeat,
				   .warmup = t->warmup,
				   .expect_any = !strcmp(t->pt->wl->expect, "any"),
				   .wall_ns = e->wall_ns};
	snprintf(rec->log_dir, sizeof(rec->log_dir), "%s", r->dir);
	snprintf(rec->started, sizeof(rec->started), "%s", r->started);
	kb_vmm_cleanup(r->dir); /* the devices axis' disk: per run, not kept */
	judge_end(r, c, e, rec);
	snprintf(stats, sizeof(stats), "%s/stats.json", r->dir);
	if (kb_ingest_run(in, rec, rec->status[0] ? NULL : stats, why, sizeof(why)) < 0)
		return kb_errf(err, errlen, "run %u (%s) could not be recorded: %s", rec->seq,
			       r->dir, why);
	return 0;
}

void kb_run_drop(struct kb_run *r)
{
	kb_vmm_cleanup(r->dir);
}
