/*
 * kvmbench lab (see lab.h).  The lab is QEMU started with the kernel and
 * initramfs that images/lab/mklab builds from Debian's packages; the
 * command to run is written as a shell script into a run directory of the
 * project tree, which the lab mounts at the same path, and the lab's init
 * leaves the command's exit status next to it before powering off.  The
 * console is copied to stdout as it comes and watched for the lab kernel's
 * own failures (panic, soft lockup), which end the lab (panic=-1,
 * softlockup_panic=1, -no-reboot) and are reported.
 */
#include "exec/lab.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/proc.h"
#include "common/util.h"

#define QEMU "qemu-system-x86_64"
#define QEMU_MIN_MAJOR 10 /* 7.2's TCG locked the lab kernel up under load */

const char *kb_lab_qemu_missing(void)
{
	static char why[256];
	char line[256] = "";
	int major = 0, minor = 0;
	FILE *p = popen(QEMU " --version 2>/dev/null", "r");

	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = 0;
		pclose(p);
	}
	const char *v = strstr(line, "version ");

	if (!v || sscanf(v + 8, "%d.%d", &major, &minor) != 2) {
		snprintf(why, sizeof(why),
			 "%s is not installed: ci/install-deps installs it (Debian's "
			 "qemu-system-x86 from bookworm-backports)",
			 QEMU);
		return why;
	}
	if (major < QEMU_MIN_MAJOR) {
		snprintf(why, sizeof(why),
			 "%s is version %d.%d; the lab needs %d or later (older TCG locked the "
			 "lab kernel up): ci/install-deps installs it from bookworm-backports",
			 QEMU, major, minor, QEMU_MIN_MAJOR);
		return why;
	}
	return NULL;
}

static double mtime(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
}

int kb_lab_prepare(const struct kb_env *env, char *err, size_t errlen)
{
	static const char *const recipe[] = {"images/lab/init", "images/lab/mklab",
					     "images/lab/SHA256SUMS"};
	static const char *const outputs[] = {"build/lab/vmlinuz", "build/lab/initrd.cpio.gz"};
	char path[1300], cmd[2800];
	double oldest = 1e300, newest = 0;
	const char *why = kb_lab_qemu_missing();

	if (why) {
		snprintf(err, errlen, "lab: %s", why);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", env->root, outputs[i]);
		double t = mtime(path);

		oldest = t < oldest ? t : oldest;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", env->root, recipe[i]);
		double t = mtime(path);

		newest = t > newest ? t : newest;
	}
	if (oldest >= newest)
		return 0;
	fprintf(stderr, "kvmbench lab: building the lab kernel and initramfs (images/lab/mklab)\n");
	snprintf(cmd, sizeof(cmd), "%s/images/lab/mklab", env->root);
	snprintf(path, sizeof(path), "%s/build/lab", env->root);
	char *av[] = {cmd, path, NULL}, failed[256];
	int st = kb_child_run(av, 2, NULL, failed, sizeof(failed)); /* output: stderr */

	if (st < 0) {
		snprintf(err, errlen, "lab: %s", failed);
		return -1;
	}
	if (st != 0) {
		snprintf(err, errlen, "lab: images/lab/mklab failed (status %d): see above",
			 WIFEXITED(st) ? WEXITSTATUS(st) : st);
		return -1;
	}
	return 0;
}

/* Write VALUE as one single-quoted shell word. */
static void sh_quote(FILE *f, const char *v)
{
	fputc('\'', f);
	for (; *v; v++)
		if (*v == '\'')
			fputs("'\\''", f);
		else
			fputc(*v, f);
	fputc('\'', f);
}

static bool env_name_ok(const char *e, size_t n)
{
	static const char *const skip[] = {
	    "KVMBENCH_HOST", "PWD",	  "OLDPWD",   "SHLVL",	       "_",	"UID", "EUID",
	    "PPID",	     "SHELLOPTS", "BASHOPTS", "BASH_VERSINFO", "GROUPS"};

	if (!n || !(isalpha((unsigned char)e[0]) || e[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)e[i]) && e[i] != '_')
			return false;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strlen(skip[i]) == n && !strncmp(skip[i], e, n))
			return false;
	return true;
}

/* RUNDIR/cmd: the caller's environment and directory, then argv. */
static int write_cmd(const char *rundir, const char *cwd, char *const argv[], char *err,
		     size_t errlen)
{
	extern char **environ;
	char path[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cmd", rundir);
	if (!(f = fopen(path, "we"))) {
		snprintf(err, errlen, "lab: %s: %s", path, strerror(errno));
		return -1;
	}
	fputs("# written by kvmbench lab: run inside the lab's chroot\n"
	      "rm -f -- \"$0\" # it holds the caller's environment\n"
	      "rc=\"${0%/cmd}/rc\"\n",
	      f);
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq || !env_name_ok(*e, (size_t)(eq - *e)))
			continue;
		fprintf(f, "export %.*s=", (int)(eq - *e), *e);
		sh_quote(f, eq + 1);
		fputc('\n', f);
	}
	fputs("cd ", f);
	sh_quote(f, cwd);
	fputs(" || exit 125\n", f);
	/* The lab's console is a terminal; ours may not be: then the command's
	 * output goes through a pipe, so it does not draw progress lines and
	 * colours for a terminal nobody sees. */
	bool tty = isatty(1);

	fputs(tty ? "" : "( ", f);
	for (int i = 0; argv[i]; i++) {
		fputs(i ? " " : "", f);
		sh_quote(f, argv[i]);
	}
	/* Without a terminal: the command's status goes to a file as it ends,
	 * and the script does not wait for processes it left behind holding
	 * the pipe (the lab powers off under them), only for cat to copy what
	 * was written (2 s at most). */
	fputs(
	    tty ? "\n"
		: "; echo $? >\"$rc\" ) 2>&1 | cat &\n"
		  "cat_pid=$!\n"
		  "while [ ! -s \"$rc\" ] && kill -0 \"$cat_pid\" 2>/dev/null; do sleep 0.1; done\n"
		  "i=0\n"
		  "while kill -0 \"$cat_pid\" 2>/dev/null && [ \"$i\" -lt 20 ]; do\n"
		  "\tsleep 0.1\n\ti=$((i + 1))\ndone\n"
		  "[ -s \"$rc\" ] && exit \"$(cat \"$rc\")\"\n"
		  "echo \"kvmbench lab: the command's status was lost\" >&2\n"
		  "exit 125\n",
	    f);
	if (fclose(f)) {
		snprintf(err, errlen, "lab: writing %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The QEMU command line into a. */
static void qemu_argv(const struct kb_env *env, const char *root, const struct kb_lab_opts *o,
		      bool interactive, struct kb_argv *a)
{
	static const char *const machine[] = {QEMU, "-accel", "tcg,thread=multi", "-cpu",
					      "qemu64,+svm,+npt"};
	static const char *const bare[] = {"-nodefaults", "-no-user-config", "-display", "none",
					   "-no-reboot"};
	char host[64] = "";

	for (size_t i = 0; i < sizeof(machine) / sizeof(machine[0]); i++)
		kb_argv_add(a, "%s", machine[i]);
	kb_argv_add(a, "-smp");
	kb_argv_add(a, "%u", o->smp);
	kb_argv_add(a, "-m");
	kb_argv_add(a, "%uM", o->mem_mib);
	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++)
		kb_argv_add(a, "%s", bare[i]);
	kb_argv_add(a, "-serial");
	kb_argv_add(a, "%s", interactive ? "mon:stdio" : "stdio");
	kb_argv_add(a, "-kernel");
	kb_argv_add(a, "%s/build/lab/vmlinuz", env->root);
	kb_argv_add(a, "-initrd");
	kb_argv_add(a, "%s/build/lab/initrd.cpio.gz", env->root);
	gethostname(host, sizeof(host) - 1);
	host[strcspn(host, " \t\n'\"\\")] = 0;
	/* loglevel=2: the lab kernel's own failures (panic, soft lockup) reach the console,
	 * its KVM's chatter about guests (unhandled MSRs) does not */
	/* RCU stalls of an emulated CPU under load pass (one made a clean CI run
	 * fail when they panicked): they are reported, and --timeout ends a lab
	 * that does not recover; a soft lockup of a minute panics it */
	kb_argv_add(a, "-append");
	kb_argv_add(a,
		    "console=ttyS0 loglevel=2 panic=-1 oops=panic softlockup_panic=1 "
		    "watchdog_thresh=30 rcupdate.rcu_cpu_stall_timeout=120 "
		    "kblab.npt=%d kblab.tree=%s kblab.host=%s-lab kblab.run=%s%s",
		    o->npt, root, host[0] ? host : "kvmbench", o->rundir,
		    interactive ? " kblab.shell=1" : "");
	kb_argv_add(a, "-virtfs");
	kb_argv_add(a, "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
		       "multidevs=remap");
	kb_argv_add(a, "-virtfs");
	kb_argv_add(a, "local,path=%s,mount_tag=tree,security_model=none,multidevs=remap", root);
	kb_argv_add(a, "-device");
	kb_argv_add(a, "isa-debug-exit,iobase=0xf4,iosize=4");
}

static double now_s(void)
{
	return (double)kb_mono_ns() * 1e-9;
}

/* A console line that means the lab kernel itself failed. */
static bool lab_failure_line(const char *l)
{
	return strstr(l, "Kernel panic - not syncing") || strstr(l, "soft lockup - CPU") ||
	       strstr(l, "self-detected stall") || strstr(l, "detected stalls on CPUs") ||
	       strstr(l, "kvmbench lab: ");
}

struct console {
	char line[1024];
	size_t len;
	char failure[1024]; /* the first failure line */
	double ready;	    /* seconds from start to "KVMBENCH LAB ready" */
};

static void console_feed(struct console *c, const char *buf, size_t n, double t0, bool quiet)
{
	fwrite(buf, 1, n, stdout);
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n' && buf[i] != '\r') {
			if (c->len < sizeof(c->line) - 1)
				c->line[c->len++] = buf[i];
			continue;
		}
		c->line[c->len] = 0;
		if (!c->ready && !strncmp(c->line, "KVMBENCH LAB ready", 18)) {
			c->ready = now_s() - t0;
			if (!quiet)
				fprintf(stderr, "kvmbench lab: booted in %.1f s\n", c->ready);
		} else if (!c->failure[0] && lab_failure_line(c->line)) {
			snprintf(c->failure, sizeof(c->failure), "%s", c->line);
		}
		c->len = 0;
	}
}

/* How a lab's QEMU ended. */
struct lab_end {
	struct console c;
	bool timed_out, interrupted;
	int qemu_status;
};

static volatile sig_atomic_t lab_signal;

static void on_signal(int sig)
{
	lab_signal = sig;
}

/* Copy and watch QEMU's console (fd) until it closes, the lab outlives
 * o->timeout or a SIGINT or SIGTERM comes: then QEMU's group is killed. */
static void watch(int fd, pid_t pid, const struct kb_lab_opts *o, struct lab_end *e)
{
	double t0 = now_s();
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;

	lab_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (;;) {
		double left = o->timeout > 0 ? o->timeout - (now_s() - t0) : 1e9;
		struct pollfd p = {fd, POLLIN, 0};
		char buf[4096];

		if (lab_signal || left <= 0) {
			e->interrupted = lab_signal != 0;
			e->timed_out = !lab_signal;
			kb_child_kill(pid, SIGKILL);
			break;
		}
		int r = poll(&p, 1, left > 1000 ? 1000000 : (int)(left * 1000) + 1);

		if (r <= 0)
			continue; /* EINTR: the loop looks at lab_signal */
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got <= 0)
			break;
		console_feed(&e->c, buf, (size_t)got, t0, o->quiet);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
}

/* Run QEMU with its console on a pipe we copy and watch; wait for it.  QEMU
 * gets a process group of its own: a Ctrl-C reaches us, and we stop it.
 * 0, or -1 with err when it could not start. */
static int supervise(char *const av[], const struct kb_lab_opts *o, struct lab_end *e, char *err,
		     size_t errlen)
{
	int fd[2], null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char why[512];
	siginfo_t si;
	pid_t pid;

	if (null < 0 || pipe2(fd, O_CLOEXEC)) {
		snprintf(err, errlen, "lab: cannot run %s: %s", QEMU, strerror(errno));
		if (null >= 0)
			close(null);
		return -1;
	}
	pid = kb_child_start(av, null, fd[1], NULL, why, sizeof(why));
	close(null);
	close(fd[1]);
	if (pid >= 0)
		watch(fd[0], pid, o, e);
	close(fd[0]);
	if (pid < 0)
		return kb_errf(err, errlen, "lab: %s", why);
	/* the console closed: QEMU is ending; its own exit status, then
	 * nothing of its group left */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	e->qemu_status = kb_child_reap(pid);
	return 0;
}

/* The interactive lab: QEMU on the terminal (Ctrl-C goes to the lab's
 * shell).  0, or -1 with err when it could not start. */
static int interact(char *const av[], struct lab_end *e, char *err, size_t errlen)
{
	char why[512];
	pid_t pid = kb_child_start_fg(av, why, sizeof(why));

	while (pid > 0 && waitpid(pid, &e->qemu_status, 0) < 0 && errno == EINTR)
		;
	e->c.ready = 1; /* its console went to the terminal, not through us */
	return pid < 0 ? kb_errf(err, errlen, "lab: %s", why) : 0;
}

static int read_status(const char *rundir)
{
	char path[1200];
	int st = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", rundir);
	if (!(f = fopen(path, "re")))
		return -1;
	if (fscanf(f, "%d", &st) != 1 || st < 0 || st > 255)
		st = -1;
	fclose(f);
	return st;
}

/* A project path the kernel command line and QEMU's -virtfs can carry. */
static int check_root(const struct kb_env *env, char *root, char *err, size_t errlen)
{
	if (!realpath(env->root, root)) {
		snprintf(err, errlen, "lab: %s: %s", env->root, strerror(errno));
		return -1;
	}
	if (strpbrk(root, " \t\n'\"\\,") || strlen(root) > 512) {
		snprintf(err, errlen,
			 "lab: the project path '%s' has spaces, quotes or commas, or is over "
			 "512 bytes; the lab's kernel command line and QEMU's -virtfs cannot "
			 "carry it: move the tree",
			 root);
		return -1;
	}
	return 0;
}

/* The lab's run directory in the project tree: 0, or -1 with err. */
static int make_rundir(const char *root, struct kb_lab_opts *o, char *err, size_t errlen)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/build/lab", root);
	mkdir(path, 0755);
	snprintf(o->rundir, sizeof(o->rundir), "%s/build/lab/run-XXXXXX", root);
	if (mkdtemp(o->rundir))
		return 0;
	snprintf(err, errlen, "lab: cannot make a run directory in %s: %s", path, strerror(errno));
	o->rundir[0] = 0;
	return -1;
}

/* What the lab's end means: the command's exit status, or a KB_LAB_E*
 * code with err. */
static int verdict(const struct kb_lab_opts *o, const struct lab_end *e, char *err, size_t errlen)
{
	int st = read_status(o->rundir);
	int qst = WIFEXITED(e->qemu_status) ? WEXITSTATUS(e->qemu_status) : -1;

	if (e->interrupted) {
		snprintf(err, errlen, "lab: interrupted; the lab was stopped");
		return KB_LAB_EINTERRUPTED;
	}
	if (st >= 0 && !e->timed_out)
		return st;
	if (e->timed_out) {
		snprintf(err, errlen, "lab: ended after its %g s timeout%s%s", o->timeout,
			 e->c.failure[0] ? "; the lab's console said: " : "", e->c.failure);
		return KB_LAB_ETIMEOUT;
	}
	if (e->c.failure[0])
		snprintf(err, errlen, "lab: the lab failed before the command ended: %s",
			 e->c.failure);
	else if (!e->c.ready)
		snprintf(err, errlen, "lab: the lab did not boot (QEMU exit status %d)", qst);
	else
		snprintf(err, errlen,
			 "lab: the lab ended without the command's exit status (QEMU exit "
			 "status %d)",
			 qst);
	return KB_LAB_EFAILED;
}

int kb_lab_run(const struct kb_env *env, struct kb_lab_opts *o, char *const argv[], char *err,
	       size_t errlen)
{
	char root[PATH_MAX], cwd[PATH_MAX];
	struct lab_end e = {0};
	struct kb_argv *av = NULL;
	int rc;

	o->rundir[0] = 0;
	if (!o->smp)
		o->smp = 2;
	if (!o->mem_mib)
		o->mem_mib = 8192;
	if (check_root(env, root, err, errlen) || kb_lab_prepare(env, err, errlen))
		return KB_LAB_EFAILED;
	if (!getcwd(cwd, sizeof(cwd)) || strncmp(cwd, root, strlen(root)) ||
	    (cwd[strlen(root)] && cwd[strlen(root)] != '/'))
		snprintf(cwd, sizeof(cwd), "%s", root);
	if (make_rundir(root, o, err, errlen) ||
	    (argv && write_cmd(o->rundir, cwd, argv, err, errlen)))
		return KB_LAB_EFAILED;
	if (!(av = calloc(1, sizeof(*av))))
		return kb_errf(err, errlen, "lab: out of memory"), KB_LAB_EFAILED;
	qemu_argv(env, root, o, !argv, av);
	if (!o->quiet)
		fprintf(stderr,
			"kvmbench lab: booting (QEMU TCG, SVM, kvm_amd npt=%d, %u CPUs, %u MiB)\n",
			o->npt, o->smp, o->mem_mib);
	rc = argv ? supervise(av->v, o, &e, err, errlen) : interact(av->v, &e, err, errlen);
	free(av);
	return rc ? KB_LAB_EFAILED : verdict(o, &e, err, errlen);
}

void kb_lab_done(struct kb_lab_opts *o)
{
	if (!o->rundir[0])
		return;
	if (kb_remove_tree(o->rundir))
		fprintf(stderr, "kvmbench lab: could not remove %s\n", o->rundir);
	o->rundir[0] = 0;
}
