/*
 * kvmbench lab (see lab.h).  The lab is QEMU started with the kernel and
 * initramfs that images/lab/mklab builds from Debian's packages; the
 * command to run is written as a shell script into a run directory of the
 * project tree, which the lab mounts at the same path, and the lab's init
 * leaves the command's exit status next to it before powering off.  The
 * console is copied to stdout as it comes and watched for the lab kernel's
 * own failures (panic, soft lockup), which end the lab (panic=-1,
 * softlockup_panic=1, -no-reboot) and are reported.  A lab that does not
 * boot in time is ended and boots once more; with KVMBENCH_LAB_MONITOR=1,
 * where its vCPUs were is said (labhang.h).
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
#include "exec/labhang.h"

#define LAB_BOOT_TRIES 2

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

/* The QEMU command line into a; mon: its monitor's socket (labhang.h), or
 * "" for none (the interactive lab's is on the terminal). */
static void qemu_argv(const struct kb_env *env, const char *root, const struct kb_lab_opts *o,
		      bool interactive, const char *mon, struct kb_argv *a)
{
	static const char *const machine[] = {KB_LAB_QEMU, "-accel", "tcg,thread=multi", "-cpu",
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
		    "kblab.npt=%d kblab.tree=%s kblab.host=%s-lab kblab.run=%s%s%s",
		    o->npt, root, host[0] ? host : "kvmbench", o->rundir,
		    interactive ? " kblab.shell=1" : "", mon[0] ? " kblab.syms=1" : "");
	kb_argv_add(a, "-virtfs");
	kb_argv_add(a, "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
		       "multidevs=remap");
	kb_argv_add(a, "-virtfs");
	kb_argv_add(a, "local,path=%s,mount_tag=tree,security_model=none,multidevs=remap", root);
	kb_argv_add(a, "-device");
	kb_argv_add(a, "isa-debug-exit,iobase=0xf4,iosize=4");
	if (mon[0]) {
		kb_argv_add(a, "-chardev");
		kb_argv_add(a, "socket,id=mon,path=%s,server=on,wait=off", mon);
		kb_argv_add(a, "-mon");
		kb_argv_add(a, "chardev=mon,mode=readline");
	}
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
	bool boot_hung; /* no "ready" within boot_timeout */
	int qemu_status;
	int boots;	     /* boots so far */
	double start;	     /* when the first began (--timeout counts from it) */
	char mon[64];	     /* QEMU's monitor socket (labhang.h) */
	char map[PATH_MAX];  /* the lab kernel's symbols (kallsyms) */
	char dump[PATH_MAX]; /* where a stuck lab's registers go */
	char hang[1024];     /* a stuck lab's vCPUs, a line each */
};

static volatile sig_atomic_t lab_signal;

static void on_signal(int sig)
{
	lab_signal = sig;
}

/* The command's script deletes itself as it starts (write_cmd). */
static bool cmd_started(const struct kb_lab_opts *o)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "%s/cmd", o->rundir);
	return access(cmd, F_OK) != 0;
}

/* The boot's deadline passed: false when it did boot, its "ready" line
 * still in the pipe, or lost (its command started). */
static bool boot_hung_now(int fd, const struct kb_lab_opts *o, struct lab_end *e, double t0)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[4096];
	ssize_t got;

	for (int i = 0; i < 64 && poll(&p, 1, 0) == 1 && (got = read(fd, buf, sizeof(buf))) > 0;
	     i++)
		console_feed(&e->c, buf, (size_t)got, t0, o->quiet);
	if (!e->c.ready && cmd_started(o))
		e->c.ready = now_s() - t0;
	return !e->c.ready;
}

/* The lab is stuck: what its vCPUs are doing, into e. */
static void stuck(const struct kb_lab_opts *o, struct lab_end *e)
{
	if (!e->mon[0]) {
		snprintf(e->hang, sizeof(e->hang),
			 "no registers: this lab has no monitor (KVMBENCH_LAB_MONITOR=1 gives "
			 "one)");
		return;
	}
	if (kb_labhang_dump(e->mon, e->map, kb_labhang_boot_text(o->rundir), e->dump, 3000, e->hang,
			    sizeof(e->hang)) ||
	    access(e->dump, F_OK))
		e->dump[0] = 0;
}

/* Copy and watch QEMU's console (fd) until it closes, the lab outlives
 * o->timeout, does not boot within o->boot_timeout, or a SIGINT or SIGTERM
 * comes: then QEMU's group is killed. */
static void watch(int fd, pid_t pid, const struct kb_lab_opts *o, struct lab_end *e)
{
	double t0 = now_s();
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;

	lab_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (;;) {
		double left = o->timeout > 0 ? o->timeout - (now_s() - e->start) : 1e9;
		double boot_left = e->c.ready ? 1e9 : o->boot_timeout - (now_s() - t0);
		struct pollfd p = {fd, POLLIN, 0};
		char buf[4096];

		if (!lab_signal && left > 0 && boot_left <= 0 && !boot_hung_now(fd, o, e, t0))
			continue;
		if (lab_signal || left <= 0 || boot_left <= 0) {
			e->interrupted = lab_signal != 0;
			e->timed_out = !lab_signal && left <= 0;
			if (!lab_signal)
				stuck(o, e);
			if (!lab_signal && !e->timed_out && !boot_hung_now(fd, o, e, t0)) {
				unlink(e->dump); /* it started while QEMU answered */
				e->dump[0] = e->hang[0] = 0;
				continue;
			}
			e->boot_hung = !lab_signal && !e->timed_out;
			kb_child_kill(pid, SIGKILL);
			break;
		}
		left = boot_left < left ? boot_left : left;
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
		snprintf(err, errlen, "lab: cannot run %s: %s", KB_LAB_QEMU, strerror(errno));
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

/* s with its newlines as "; ", in buf. */
static const char *oneline(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++)
		if (*s == '\n') {
			memcpy(buf + n, "; ", 2);
			n += 2;
		} else {
			buf[n++] = *s;
		}
	buf[n] = 0;
	return buf;
}

/* What the lab's end means: the command's exit status, or a KB_LAB_E*
 * code with err. */
static int verdict(const struct kb_lab_opts *o, const struct lab_end *e, char *err, size_t errlen)
{
	char hang[sizeof(e->hang)];

	int st = read_status(o->rundir);
	int qst = WIFEXITED(e->qemu_status) ? WEXITSTATUS(e->qemu_status) : -1;

	if (e->interrupted) {
		snprintf(err, errlen, "lab: interrupted; the lab was stopped");
		return KB_LAB_EINTERRUPTED;
	}
	if (st >= 0 && !e->timed_out)
		return st;
	if (e->timed_out) {
		snprintf(err, errlen, "lab: ended after its %g s timeout%s%s%s%s%s%s", o->timeout,
			 e->c.failure[0] ? "; the lab's console said: " : "", e->c.failure,
			 e->hang[0] ? "; " : "", oneline(e->hang, hang, sizeof(hang)),
			 e->dump[0] ? "; registers: " : "", e->dump);
		return KB_LAB_ETIMEOUT;
	}
	if (e->c.failure[0])
		snprintf(err, errlen, "lab: the lab failed before the command ended: %s",
			 e->c.failure);
	else if (e->boot_hung)
		snprintf(err, errlen, "lab: the lab did not boot within %g s, in %d boots: %s%s%s",
			 o->boot_timeout, e->boots, oneline(e->hang, hang, sizeof(hang)),
			 e->dump[0] ? "; registers: " : "", e->dump);
	else if (!e->c.ready)
		snprintf(err, errlen, "lab: the lab did not boot (QEMU exit status %d)", qst);
	else
		snprintf(err, errlen,
			 "lab: the lab ended without the command's exit status (QEMU exit "
			 "status %d)",
			 qst);
	return KB_LAB_EFAILED;
}

/* One boot of the lab (argv NULL: interactive): 0 with e, or -1 with err
 * when QEMU could not start. */
static int boot(const struct kb_env *env, const char *root, struct kb_lab_opts *o,
		char *const argv[], struct lab_end *e, char *err, size_t errlen)
{
	struct kb_argv *av = calloc(1, sizeof(*av));
	int rc;

	if (!av)
		return kb_errf(err, errlen, "lab: out of memory");
	/* the monitor and the symbols only when asked for: the two full lab
	 * runs with them lost their labs (docs/hosts.md) */
	if (argv && getenv("KVMBENCH_LAB_MONITOR") &&
	    !strcmp(getenv("KVMBENCH_LAB_MONITOR"), "1") &&
	    kb_labhang_socket(e->mon, sizeof(e->mon))) {
		free(av);
		return kb_errf(err, errlen,
			       "lab: cannot make a directory in /tmp for QEMU's monitor: %s",
			       strerror(errno));
	}
	if (e->mon[0]) {
		snprintf(e->map, sizeof(e->map), "%s/build/lab/kallsyms", root);
		snprintf(e->dump, sizeof(e->dump), "%s/text", o->rundir);
		unlink(e->dump); /* an earlier boot's */
		snprintf(e->dump, sizeof(e->dump), "%s-boot%d-registers.txt", o->rundir, e->boots);
	}
	qemu_argv(env, root, o, !argv, e->mon, av);
	if (!o->quiet)
		fprintf(stderr,
			"kvmbench lab: booting (QEMU TCG, SVM, kvm_amd npt=%d, %u CPUs, %u "
			"MiB)\n",
			o->npt, o->smp, o->mem_mib);
	rc = argv ? supervise(av->v, o, e, err, errlen) : interact(av->v, e, err, errlen);
	kb_labhang_socket_done(e->mon);
	free(av);
	return rc;
}

/* A boot that hung before its command started is tried again (QEMU's TCG
 * hung one lab boot in CI for 20 minutes, its console silent). */
static bool boot_again(const struct kb_lab_opts *o, const struct lab_end *e, int tries)
{
	if (!e->boot_hung || tries >= LAB_BOOT_TRIES || cmd_started(o))
		return false;
	fprintf(stderr,
		"kvmbench lab: the lab did not boot within %g s (boot %d of %d):\n%s%s%s\n"
		"kvmbench lab: booting again\n",
		o->boot_timeout, tries, LAB_BOOT_TRIES, e->hang, e->dump[0] ? "\nregisters: " : "",
		e->dump);
	return true;
}

int kb_lab_run(const struct kb_env *env, struct kb_lab_opts *o, char *const argv[], char *err,
	       size_t errlen)
{
	char root[PATH_MAX], cwd[PATH_MAX];
	struct lab_end *e = calloc(1, sizeof(*e));
	int rc = KB_LAB_EFAILED;
	double start = now_s();

	o->rundir[0] = 0;
	if (!o->smp)
		o->smp = 2;
	if (!o->mem_mib)
		o->mem_mib = 8192;
	if (!e) {
		snprintf(err, errlen, "lab: out of memory");
		return KB_LAB_EFAILED;
	}
	if (check_root(env, root, err, errlen) || kb_lab_prepare(env, err, errlen) ||
	    (!o->boot_timeout && kb_env_number("KVMBENCH_LAB_BOOT_TIMEOUT", 1, 86400, 0, 300,
					       &o->boot_timeout, err, errlen)))
		goto out;
	if (!getcwd(cwd, sizeof(cwd)) || strncmp(cwd, root, strlen(root)) ||
	    (cwd[strlen(root)] && cwd[strlen(root)] != '/'))
		snprintf(cwd, sizeof(cwd), "%s", root);
	if (make_rundir(root, o, err, errlen) ||
	    (argv && write_cmd(o->rundir, cwd, argv, err, errlen)))
		goto out;
	for (int tries = 1;; tries++) {
		memset(e, 0, sizeof(*e));
		e->start = start;
		e->boots = tries;
		if (boot(env, root, o, argv, e, err, errlen))
			goto out;
		if (!boot_again(o, e, tries))
			break;
	}
	rc = verdict(o, e, err, errlen);
out:
	free(e);
	return rc;
}

void kb_lab_done(struct kb_lab_opts *o)
{
	if (!o->rundir[0])
		return;
	if (kb_remove_tree(o->rundir))
		fprintf(stderr, "kvmbench lab: could not remove %s\n", o->rundir);
	o->rundir[0] = 0;
}
