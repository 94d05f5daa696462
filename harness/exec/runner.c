/*
 * Campaign execution (see runner.h).
 *
 * The plan is a deterministic list of tasks (point, repeat, warm-up), so
 * a resumed campaign skips exactly the tasks whose runs are recorded.  Up
 * to `jobs` VMMs run at once; the loop waits in poll() on their pidfds and
 * a signalfd for SIGINT/SIGTERM, with the nearest deadline as timeout.
 * It also reads each VMM's stdout and stderr from a pipe into its vmm.log,
 * up to a cap (KVMBENCH_LOG_CAP, which is also the VMM's -serial-cap for
 * console.log): past it the output is read and dropped, and the log and the
 * run's reason say so.
 */
#include "exec/labrun.h"
#include "exec/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/campaign.h"
#include "store/db.h"
#include "images/fetch.h"
#include "images/manifest.h"
#include "common/util.h"
#include "store/ingest.h"
#include "exec/paging.h"
#include "common/proc.h"
#include "plan/scenario.h"
#include "common/size.h"
#include "plan/vmmargs.h"

/* A path from a scenario: absolute, or relative to the repository root. */
static const char *kb_root_path(const struct kb_env *env, const char *p, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", p[0] == '/' ? "" : env->root, p[0] == '/' ? "" : "/", p);
	return out;
}

/* --vmm-args of the running campaign (one campaign per process). */
static const char *L_vmm_args;
/* its cap on each run's console.log and vmm.log (0: none) */
static uint64_t L_log_cap;
/* the grace after a VMM's timeout and after its SIGTERM (grace()) */
static uint64_t L_grace_ns;
/* the VMMs' user (vmm_user()): set, with "-runas UID:GID" for them */
static struct {
	bool set;
	uid_t uid;
	gid_t gid;
	char arg[32];
} L_runas;

struct slot {
	bool busy;
	pid_t pid;
	int pidfd;
	const struct kb_task *t;
	uint64_t start_ns, deadline_ns;
	int killed;		  /* 0, SIGTERM or SIGKILL sent */
	int out;		  /* read end of the VMM's stdout/stderr pipe, or -1 */
	int log;		  /* vmm.log */
	uint64_t logged, dropped; /* bytes of out written to log, and past the cap */
	char dir[1100];
	char started[32];
};

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

/*
 * When kvmbench runs as root, each VMM gives root up once it has opened
 * what it needs (-runas), for KVMBENCH_VMM_USER: a name or UID, default
 * nobody; "root" or empty keeps root.  Looked up here, through NSS, which
 * the static VMM has not: it gets UID:GID.  0, or -1 with err.
 */
static int vmm_user(char *err, size_t errlen)
{
	const char *v = getenv("KVMBENCH_VMM_USER");
	struct passwd *pw;
	double uid;

	L_runas.set = false;
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
	L_runas.set = true;
	L_runas.uid = pw->pw_uid;
	L_runas.gid = pw->pw_gid;
	snprintf(L_runas.arg, sizeof(L_runas.arg), "%u:%u", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	return 0;
}

/* A run's directory, given to the VMMs' user: the one place it may write
 * after -runas (its stats; console.log and the disk are opened before). */
static int give_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = -1;
	struct stat st;

	if (fd < 0 || fchown(fd, L_runas.uid, L_runas.gid) || fstat(fd, &st))
		snprintf(err, errlen, "%s: cannot give it to uid %u (KVMBENCH_VMM_USER): %m", dir,
			 (unsigned)L_runas.uid);
	else if (st.st_uid != L_runas.uid) /* 9p with security_model=none ignores chown */
		snprintf(err, errlen,
			 "%s: its filesystem ignored chown to uid %u; KVMBENCH_VMM_USER=root keeps "
			 "the VMMs root",
			 dir, (unsigned)L_runas.uid);
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void kb_scenario_path(const struct kb_env *env, const char *name, char *out, size_t len)
{
	if (strchr(name, '/') || strstr(name, ".ini"))
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/scenarios/%s.ini", env->root, name);
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

/* Move what the VMM has written to its pipe into vmm.log, up to the cap;
 * past it one note, and the rest is read and dropped, so that the VMM
 * never blocks on a full pipe.  At end of file the pipe is closed. */
static void drain_log(struct slot *s)
{
	char buf[65536];
	ssize_t n;

	while (s->out >= 0 && (n = read(s->out, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: all there is for now */
		}
		uint64_t room = !L_log_cap		? (uint64_t)n
				: s->logged < L_log_cap ? L_log_cap - s->logged
							: 0;
		size_t keep = (uint64_t)n < room ? (size_t)n : (size_t)room;

		if (keep && write(s->log, buf, keep) == (ssize_t)keep)
			s->logged += keep;
		if (keep < (size_t)n && !s->dropped)
			dprintf(s->log,
				"\nkvmbench: VMM output capped at %" PRIu64
				" bytes; the rest is dropped\n",
				L_log_cap);
		s->dropped += (size_t)n - keep;
	}
	if (s->out >= 0)
		close(s->out);
	s->out = -1;
}

/* Spawn one VMM for task t into slot s; 0 or -1 with err. */
static int spawn(const struct kb_env *env, const struct kb_scenario *sc, const char *logroot,
		 int64_t campaign, const struct kb_task *t, struct slot *s, char *err,
		 size_t errlen)
{
	const struct kb_point *p = t->pt;
	char timeout[32], stats[1200], serial[1200], log[1200], cap[32];
	char *argv[64];
	int argc = 0;
	double tmo = p->wl->timeout > 0 ? p->wl->timeout : sc->timeout;
	char vmm_args[KB_VAL_MAX], *save = NULL;

	(void)campaign;
	snprintf(s->dir, sizeof(s->dir), "%s/%u", logroot, t->seq);
	if (mkdir(s->dir, 0755) && errno != EEXIST) { /* logroot exists already */
		snprintf(err, errlen, "%s: cannot create: %m", s->dir);
		return -1;
	}
	if (L_runas.set && give_dir(s->dir, err, errlen))
		return -1;
	snprintf(timeout, sizeof(timeout), "%g", tmo);
	snprintf(stats, sizeof(stats), "%s/stats.json", s->dir);
	snprintf(serial, sizeof(serial), "file:%s/console.log", s->dir);
	snprintf(log, sizeof(log), "%s/vmm.log", s->dir);
	unlink(stats);
	char kernel[1400];

	if (strchr(p->wl->guest, '/'))
		snprintf(kernel, sizeof(kernel), "%s", p->wl->guest);
	else
		snprintf(kernel, sizeof(kernel), "%s/%s.elf", env->guest_dir, p->wl->guest);
	argv[argc++] = (char *)env->vmm;
	argv[argc++] = "-name";
	argv[argc++] = (char *)p->key;
	argv[argc++] = "-kernel";
	argv[argc++] = kernel;
	argv[argc++] = "-append";
	argv[argc++] = (char *)p->cmdline;
	argv[argc++] = "-serial";
	argv[argc++] = serial;
	snprintf(cap, sizeof(cap), "%" PRIu64, L_log_cap);
	argv[argc++] = "-serial-cap";
	argv[argc++] = cap;
	argv[argc++] = "-stats";
	argv[argc++] = stats;
	argv[argc++] = "-timeout";
	argv[argc++] = timeout;
	if (L_runas.set) {
		argv[argc++] = "-runas";
		argv[argc++] = L_runas.arg;
	}
	if (p->wl->until[0]) {
		argv[argc++] = "-until";
		argv[argc++] = (char *)p->wl->until;
	}
	char initrd[1400];

	if (p->wl->initrd[0]) {
		kb_root_path(env, p->wl->initrd, initrd, sizeof(initrd));
		argv[argc++] = "-initrd";
		argv[argc++] = initrd;
	}
	struct kb_axis_args ax;

	if (kb_axis_args(p, s->dir, &ax, argv, &argc, err, errlen))
		return -1;
	snprintf(vmm_args, sizeof(vmm_args), "%s", p->v[KB_AX_VMM_ARGS]);
	for (char *a = strtok_r(vmm_args, " ", &save); a && argc < 62;
	     a = strtok_r(NULL, " ", &save))
		argv[argc++] = a;
	/* the campaign's --vmm-args: outside the point keys */
	char extra[512];

	snprintf(extra, sizeof(extra), "%s", L_vmm_args ? L_vmm_args : "");
	for (char *a = strtok_r(extra, " ", &save); a && argc < 62; a = strtok_r(NULL, " ", &save))
		argv[argc++] = a;
	argv[argc] = NULL;

	/* Its own process group (stopped whole), gone with the harness, its
	 * output in vmm.log: a regular file, not whatever was planted there. */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pipefd[2] = {-1, -1};

	s->log = kb_open_regular(log, O_WRONLY | O_CREAT | O_TRUNC, err, errlen);
	if (null < 0 || s->log < 0 || pipe2(pipefd, O_CLOEXEC)) {
		if (s->log >= 0)
			snprintf(err, errlen, "%s: %m", null < 0 ? "/dev/null" : "pipe");
		if (null >= 0)
			close(null);
		if (s->log >= 0)
			close(s->log);
		return -1;
	}
	/* its output through a pipe: vmm.log is capped without blocking it */
	s->pid = kb_child_start(argv, null, pipefd[1], NULL, err, errlen);
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
	s->busy = true;
	s->t = t;
	s->killed = 0;
	s->start_ns = now_ns();
	/* The VMM enforces tmo itself; the harness steps in a grace later. */
	s->deadline_ns = s->start_ns + (uint64_t)(tmo * 1e9) + L_grace_ns;
	kb_timestamp(s->started, sizeof(s->started));
	return 0;
}

static void progress(const struct kb_run_opts *o, const struct kb_task *t, const char *status,
		     double secs, unsigned done, unsigned total, unsigned failed, double eta)
{
	if (o->quiet)
		return;
	if (isatty(2)) {
		fprintf(stderr, "\r\033[K[%u/%u] %u failed, ETA %02d:%02d  %s %s %s", done, total,
			failed, (int)eta / 60, (int)eta % 60, t->pt->v[KB_AX_WORKLOAD],
			t->pt->v[KB_AX_TOPOLOGY], status);
		if (done == total)
			fputc('\n', stderr);
	} else {
		printf("[%u/%u] %s%s %s %.2fs %s\n", done, total, t->warmup ? "warmup " : "",
		       t->pt->params, status, secs, t->pt->key);
		fflush(stdout);
	}
}

struct loop {
	const struct kb_env *env;
	const struct kb_run_opts *o;
	struct kb_scenario *sc;
	struct kb_ingest *in;
	int64_t campaign;
	struct kb_task *tasks; /* the group being run */
	unsigned ntasks, next, done, total, failed;
	struct slot *slots;
	unsigned nslots, active;
	uint64_t t0;
	bool stopping;
	int sfd;
	char logroot[1200]; /* logs/ beside the database */
};

/* Reap the slot's process and record the run. */
static int finish(struct loop *L, struct slot *s, char *err, size_t errlen)
{
	struct kb_run_rec r;
	char stats[1200], why[512];
	int wstatus = 0;

	wstatus = kb_child_reap(s->pid); /* and whatever it forked */
	close(s->pidfd);
	drain_log(s);	 /* what it wrote before it ended */
	if (s->out >= 0) /* something it left behind holds the pipe: not waited for */
		close(s->out);
	s->out = -1;
	close(s->log);
	s->busy = false;
	L->active--;
	if (L->stopping && s->killed)
		return 0; /* interrupted: not recorded, a resume re-runs it */
	memset(&r, 0, sizeof(r));
	r.campaign_id = L->campaign;
	r.pt = s->t->pt;
	r.seq = s->t->seq;
	r.repeat = s->t->repeat;
	r.warmup = s->t->warmup;
	r.expect_any = !strcmp(s->t->pt->wl->expect, "any");
	r.wall_ns = now_ns() - s->start_ns;
	r.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	snprintf(r.log_dir, sizeof(r.log_dir), "%s", s->dir);
	kb_axis_args_cleanup(s->dir); /* the devices axis' disk: per run, not kept */
	snprintf(r.started, sizeof(r.started), "%s", s->started);
	if (s->dropped)
		snprintf(r.note, sizeof(r.note), "VMM output capped at %" PRIu64 " bytes",
			 L_log_cap);
	if (s->killed) {
		snprintf(r.status, sizeof(r.status), "fail");
		snprintf(r.reason, sizeof(r.reason),
			 "the VMM hung: killed with %s after the "
			 "harness deadline (logs: %s)",
			 s->killed == SIGKILL ? "SIGKILL" : "SIGTERM", s->dir);
	} else if (WIFSIGNALED(wstatus)) {
		snprintf(r.status, sizeof(r.status), "fail");
		snprintf(r.reason, sizeof(r.reason), "the VMM died of signal %d (%s) (logs: %s)",
			 WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)), s->dir);
	}
	snprintf(stats, sizeof(stats), "%s/stats.json", s->dir);
	if (kb_ingest_run(L->in, &r, r.status[0] ? NULL : stats, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "run %u (%s) could not be recorded: %s", r.seq, s->dir, why);
		return -1;
	}
	L->done++;
	L->failed += !strcmp(r.status, "fail");
	double el = (double)(now_ns() - L->t0) / 1e9;
	double eta = L->done ? el / L->done * (L->total - L->done) : 0;

	progress(L->o, s->t, r.status, (double)r.wall_ns / 1e9, L->done, L->total, L->failed, eta);
	return 0;
}

/* Send TERM, then KILL, to VMMs past their deadline (or all, stopping). */
static void enforce(struct loop *L, uint64_t now)
{
	for (unsigned i = 0; i < L->nslots; i++) {
		struct slot *s = &L->slots[i];

		if (!s->busy)
			continue;
		if ((now >= s->deadline_ns || L->stopping) && !s->killed) {
			kb_child_kill(s->pid, SIGTERM);
			s->killed = SIGTERM;
			s->deadline_ns = now + L_grace_ns;
		} else if (now >= s->deadline_ns && s->killed == SIGTERM) {
			kb_child_kill(s->pid, SIGKILL);
			s->killed = SIGKILL;
			s->deadline_ns = UINT64_MAX;
		}
	}
}

static int wait_some(struct loop *L, char *err, size_t errlen)
{
	struct pollfd pfd[1 + 2 * 256]; /* the signalfd, a pidfd and a pipe per slot */
	struct slot *who[1 + 2 * 256];
	unsigned n = 0;
	uint64_t now = now_ns(), next = UINT64_MAX;

	pfd[n].fd = L->sfd;
	pfd[n].events = POLLIN;
	who[n++] = NULL;
	for (unsigned i = 0; i < L->nslots; i++) {
		if (!L->slots[i].busy)
			continue;
		pfd[n].fd = L->slots[i].pidfd;
		pfd[n].events = POLLIN;
		who[n++] = &L->slots[i];
		pfd[n].fd = L->slots[i].out; /* negative: ignored by poll */
		pfd[n].events = POLLIN;
		who[n++] = &L->slots[i];
		if (L->slots[i].deadline_ns < next)
			next = L->slots[i].deadline_ns;
	}
	int ms = next == UINT64_MAX ? -1 : next <= now ? 0 : (int)((next - now) / 1000000 + 1);

	if (poll(pfd, n, ms) < 0 && errno != EINTR) {
		snprintf(err, errlen, "poll: %m");
		return -1;
	}
	if (pfd[0].revents & POLLIN) {
		struct signalfd_siginfo si;

		if (read(L->sfd, &si, sizeof(si)) == sizeof(si) && !L->stopping) {
			L->stopping = true;
			fprintf(stderr,
				"\nkvmbench: %s: stopping; the campaign can be resumed "
				"with --resume\n",
				strsignal((int)si.ssi_signo));
		}
	}
	for (unsigned i = 2; i < n; i += 2) /* output first: finish() closes it */
		if (pfd[i].revents & (POLLIN | POLLHUP))
			drain_log(who[i]);
	for (unsigned i = 1; i < n; i += 2)
		if (pfd[i].revents & (POLLIN | POLLHUP) && finish(L, who[i], err, errlen))
			return -1;
	enforce(L, now_ns());
	return 0;
}

/* After an error: every VMM still running is killed (its whole group),
 * reaped and left unrecorded. */
static void stop_all(struct loop *L)
{
	for (unsigned i = 0; i < L->nslots; i++) {
		struct slot *s = &L->slots[i];

		if (!s->busy)
			continue;
		kb_child_kill(s->pid, SIGKILL);
		kb_child_reap(s->pid);
		close(s->pidfd);
		if (s->out >= 0)
			close(s->out);
		s->out = -1;
		close(s->log);
		kb_axis_args_cleanup(s->dir);
		s->busy = false;
		L->active--;
	}
}

static int run_loop(struct loop *L, char *err, size_t errlen)
{
	sigset_t set;
	int rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	L->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	L->t0 = now_ns();
	while (!rc && ((L->next < L->ntasks && !L->stopping) || L->active)) {
		while (!rc && !L->stopping && L->next < L->ntasks && L->active < L->nslots) {
			struct slot *s = NULL;

			for (unsigned i = 0; i < L->nslots && !s; i++)
				if (!L->slots[i].busy)
					s = &L->slots[i];
			rc = spawn(L->env, L->sc, L->logroot, L->campaign, &L->tasks[L->next], s,
				   err, errlen);
			if (!rc) {
				L->next++;
				L->active++;
			}
		}
		if (!rc)
			rc = wait_some(L, err, errlen);
	}
	if (rc)
		stop_all(L);
	close(L->sfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return rc;
}

/*
 * Run the plan's tasks grouped by the paging mode they need: first those
 * that run as the host is, then each mode that needs a module reload, and
 * put the host's own mode back at the end.
 */
static int run_groups(struct loop *L, const struct kb_plan *p, char *err, size_t errlen)
{
	static const char *const modes[] = {"", "ept", "npt", "shadow"};
	bool switched = false;
	int rc = 0;

	for (unsigned m = 0; m < 4 && !rc && !L->stopping; m++) {
		L->ntasks = L->next = 0;
		for (unsigned i = 0; i < p->ntodo; i++)
			if (!strcmp(p->todo[i].paging, modes[m]))
				L->tasks[L->ntasks++] = p->todo[i];
		if (!L->ntasks)
			continue;
		if (m && !L->o->quiet)
			printf("reloading %s for paging=%s\n", p->host_module, modes[m]);
		if (m && kb_paging_switch(p->host_module, modes[m], err, errlen))
			return -1;
		switched |= m > 0;
		rc = run_loop(L, err, errlen);
	}
	if (switched) {
		char why[256];

		if (kb_paging_switch(p->host_module, p->host_paging, why, sizeof(why)))
			fprintf(stderr, "kvmbench: could not restore %s paging=%s: %s\n",
				p->host_module, p->host_paging, why);
	}
	return rc;
}

/* Bring the images the scenario's workloads name into the cache first, and
 * check initrds exist, so a missing file fails the campaign before its
 * first run (not for workloads this host skips anyway). */
static int fetch_images(const struct kb_env *env, const struct kb_run_opts *o,
			struct kb_scenario *sc, char *err, size_t errlen)
{
	static struct kb_manifest m;
	struct kb_fetch_opts fo;
	char host_module[32], host_paging[16];

	kb_paging_host(host_module, sizeof(host_module), host_paging, sizeof(host_paging));
	char mpath[1200], path[1300];
	bool loaded = false;

	for (unsigned i = 0; i < sc->nworkloads; i++) {
		struct kb_workload *w = &sc->workloads[i];
		const struct kb_image_entry *e;

		char why[256], rd[1400];

		if (w->initrd[0] && !kb_needs_decide(w->needs, host_module, why, sizeof(why)) &&
		    access(kb_root_path(env, w->initrd, rd, sizeof(rd)), R_OK)) {
			snprintf(err, errlen, "%s:%d: workload %s: initrd %s: %s%s", sc->path,
				 w->line, w->name, rd, strerror(errno),
				 strstr(w->initrd, "build/images/") ? " (build it: make images)"
								    : "");
			return -1;
		}
		if (!w->image[0])
			continue;
		if (!loaded) {
			snprintf(mpath, sizeof(mpath), "%s", o->manifest ? o->manifest : "");
			if (!o->manifest)
				snprintf(mpath, sizeof(mpath), "%s/images/manifest.ini", env->root);
			if (kb_manifest_load(mpath, &m, err, errlen))
				return -1;
			loaded = true;
		}
		if (!(e = kb_manifest_find(&m, w->image))) {
			snprintf(err, errlen, "%s: workload %s: image '%s' is not in %s", sc->path,
				 w->name, w->image, mpath);
			return -1;
		}
		if (kb_fetch_defaults(&fo, env->root, err, errlen))
			return -1;
		fo.offline = o->offline;
		fo.progress = fo.progress && !o->quiet;
		if (kb_fetch_image(e, &fo, path, sizeof(path), err, errlen))
			return -1;
		snprintf(w->guest, sizeof(w->guest), "%s", path);
	}
	return 0;
}

/* After kb_campaign_open: the campaign's log directory, its skipped runs
 * recorded, the run loop's state.  0, or -1 with err. */
static int start_campaign(struct loop *L, sqlite3 *db, const struct kb_plan *plan, char *err,
			  size_t errlen)
{
	const struct kb_run_opts *o = L->o;
	/* logs/<id>-<uuid>/ beside the database: unique across databases */
	const char *slash = strrchr(o->db, '/');
	sqlite3_stmt *st =
	    kb_db_prepare(db, "SELECT substr(uuid, 1, 8) FROM campaigns WHERE id = ?", err, errlen);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, L->campaign);
	sqlite3_step(st);
	if (o->logs) /* a lab's part: logs on the real machine */
		snprintf(L->logroot, sizeof(L->logroot), "%s/%lld-%s", o->logs,
			 (long long)L->campaign, sqlite3_column_text(st, 0));
	else
		snprintf(L->logroot, sizeof(L->logroot), "%.*s/logs/%lld-%s",
			 slash ? (int)(slash - o->db) : 1, slash ? o->db : ".",
			 (long long)L->campaign, sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (kb_mkdirs(L->logroot)) {
		snprintf(err, errlen, "%s: cannot create: %m", L->logroot);
		return -1;
	}
	L->total = plan->ntodo;
	if (kb_record_skips(db, L->campaign, plan, err, errlen))
		return -1;
	L->in = kb_ingest_new(db, err, errlen);
	L->nslots = plan->jobs;
	L->slots = calloc(L->nslots, sizeof(*L->slots));
	L->tasks = calloc(plan->ntodo ? plan->ntodo : 1, sizeof(*L->tasks));
	if (!L->in || !L->slots || !L->tasks) {
		if (L->in)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!o->quiet)
		printf("campaign %lld: %s, %u points, %u runs to do (%u already recorded, %u "
		       "skipped), %u at a time\n",
		       (long long)L->campaign, L->sc->name, plan->npoints, plan->ntodo, plan->ndone,
		       plan->nskips, plan->jobs);
	return 0;
}

/*
 * Mark the campaign done, interrupted or (rc: an error in err) failed, and
 * return the exit status.  A database still locked gets one more busy
 * timeout; the VMMs are already stopped by then.
 */
static int settle(sqlite3 *db, struct loop *L, int rc, char *err, size_t errlen)
{
	const char *state = rc ? "failed" : L->stopping ? "interrupted" : "done";
	char why[512];
	size_t n = strlen(err);

	if (kb_campaign_close(db, L->campaign, state, L->o, L->logroot, why, sizeof(why))) {
		if (!rc)
			snprintf(err, errlen, "%s", why);
		else if (n < errlen)
			snprintf(err + n, errlen - n,
				 "; campaign %lld could not be marked failed either (%s): it "
				 "stays 'running', and --resume continues it",
				 (long long)L->campaign, why);
		return 1;
	}
	return rc ? 1 : L->stopping ? 130 : L->failed ? 2 : 0;
}

int kb_campaign_run(const struct kb_env *env, const struct kb_run_opts *o, char *err, size_t errlen)
{
	struct kb_scenario *sc = calloc(1, sizeof(*sc));
	struct loop L = {.env = env, .o = o, .sc = sc};
	struct kb_plan plan = {0};
	char path[1200];
	sqlite3 *db = NULL;
	int code = 1;

	L_vmm_args = o->vmm_args;
	if (log_cap(&L_log_cap, err, errlen) || grace(&L_grace_ns, err, errlen) ||
	    vmm_user(err, errlen))
		goto out;
	kb_scenario_path(env, o->scenario, path, sizeof(path));
	if (!sc || kb_scenario_load(path, env->guest_dir, sc, err, errlen))
		goto out;
	if (fetch_images(env, o, sc, err, errlen))
		goto out;
	char labwhy[512];
	const char *why = kb_lab_reason(sc, o, labwhy, sizeof(labwhy));

	if (why && o->dry_run) /* the plan below is this host's, for comparison */
		printf("%s: would run in the lab (QEMU TCG emulating SVM): %s\n", sc->name, why);
	else if (why) {
		code = kb_lab_campaign(env, o, sc, why, err, errlen);
		goto out;
	}
	if (kb_plan_make(sc, o, &plan, err, errlen))
		goto out;
	if (o->dry_run) {
		kb_plan_print(&plan, stdout);
		code = 0;
		goto out;
	}
	if (kb_db_open(o->db, true, true, &db, err, errlen))
		goto out;
	if (kb_campaign_open(db, env, sc, o, &plan, &L.campaign, err, errlen))
		goto out;
	/* from here on, every way out settles the campaign: done, interrupted or
	 * failed, never left 'running' */
	int rc = start_campaign(&L, db, &plan, err, errlen);

	if (!rc)
		rc = run_groups(&L, &plan, err, errlen);
	code = settle(db, &L, rc, err, errlen);
out:
	kb_ingest_free(L.in);
	free(L.slots);
	free(L.tasks);
	kb_plan_free(&plan);
	kb_db_close(db);
	if (sc)
		kb_scenario_free(sc);
	free(sc);
	return code;
}
