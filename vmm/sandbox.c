/*
 * The sandbox (see sandbox.h).  The allow-lists were derived by running
 * every micro-guest and device under `strace -f` (docs/ARCHITECTURE.md says
 * how to redo it with -sandbox audit), then widened to what the same device
 * code does for a Linux driver (tap, preadv/pwritev, fdatasync).  Filters
 * are compiled once by libseccomp in the main thread; a thread installs
 * its prepared BPF program with one seccomp() call.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "result.h"
#include "common/util.h"

/* Every thread: memory (malloc, thread stacks), locks, the clock where the
 * vDSO falls back to the kernel, signals (the kick, pthread_kill, this
 * handler's return), stderr, entropy, the end. */
static const int common_calls[] = {
    SCMP_SYS(brk),    SCMP_SYS(munmap),	       SCMP_SYS(madvise),	 SCMP_SYS(mremap),
    SCMP_SYS(futex),  SCMP_SYS(clock_gettime), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(getpid), SCMP_SYS(gettid),	       SCMP_SYS(tgkill),	 SCMP_SYS(restart_syscall),
    SCMP_SYS(write),  SCMP_SYS(getrandom),     SCMP_SYS(exit),		 SCMP_SYS(exit_group),
};

/* vCPU and I/O threads: the devices' data paths, wherever they run (the
 * vCPU with ioeventfd off): virtio-blk on a file (pread/pwrite for
 * cache=none, preadv/pwritev, fdatasync), virtio-net on a tap, eventfds,
 * irqfds, and stdio's first write to the console file (fstat). */
static const int device_calls[] = {
    SCMP_SYS(read),	SCMP_SYS(readv),  SCMP_SYS(writev),	SCMP_SYS(pread64),
    SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev),	SCMP_SYS(fdatasync),
    SCMP_SYS(fsync),	SCMP_SYS(fstat),  SCMP_SYS(newfstatat),
};

/* I/O threads wait in poll.  The main thread waits for signals, then reads
 * registers of a hung vCPU, the KVM statistics (pread), /proc/self/status
 * and the guest's residency (mincore), writes the stats (.tmp in the
 * directory opened at start, renamed; unlinked on failure; fcntl: the
 * stdio stream's flags) and tears down. */
static const int io_calls[] = {SCMP_SYS(poll), SCMP_SYS(ppoll)};
static const int main_calls[] = {
    SCMP_SYS(rt_sigtimedwait), SCMP_SYS(openat),  SCMP_SYS(close),	SCMP_SYS(read),
    SCMP_SYS(pread64),	       SCMP_SYS(fstat),	  SCMP_SYS(newfstatat), SCMP_SYS(renameat),
    SCMP_SYS(unlinkat),	       SCMP_SYS(mincore),
};

#ifdef __SANITIZE_ADDRESS__
/* The ASan build (make build/kvmbench-vmm-asan): its runtime's thread exit
 * (sigaltstack) and LeakSanitizer at exit, which clones a tracer that
 * inherits the main thread's filter and ptraces every thread.  Derived with
 * -sandbox audit. */
static const int sanitizer_calls[] = {
    SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(prctl),	  SCMP_SYS(clone),
    SCMP_SYS(wait4),	   SCMP_SYS(getppid),	   SCMP_SYS(sched_yield), SCMP_SYS(ptrace),
    SCMP_SYS(open),	   SCMP_SYS(getdents),	   SCMP_SYS(getdents64),  SCMP_SYS(lseek),
};
#else
static const int sanitizer_calls[] = {-1};
#endif

static const char *const kind_name[KB_THREAD_KINDS] = {"main", "vcpu", "io"};

static struct {
	enum kb_sandbox_mode mode;
	struct sock_fprog prog[KB_THREAD_KINDS];
	kb_sandbox_hook *hook;
	uint64_t fsize, nofile;
	int selftest; /* the thread kind that tests the filter, or -1 */
	bool no_new_privs;
	int tripped, filtered;
} sb = {.selftest = -1};

static __thread enum kb_thread_kind my_kind; /* KB_THREAD_MAIN until enter */

/*
 * SIGSYS from a trapped syscall.  Formatting allocates (libseccomp's name
 * lookup) and the hook takes locks: safe here because every thread kind may
 * make the syscalls malloc and the locks make (brk, mmap, munmap, madvise,
 * futex), so a trapped syscall never interrupts them half-way.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall);
	char why[160];
	int n = snprintf(why, sizeof(why), "seccomp: thread %s made forbidden syscall %s (%d)\n",
			 kind_name[my_kind], name ? name : "unknown", si->si_syscall);

	(void)sig, (void)uc;
	free(name);
	(void)!write(2, why, (size_t)n);
	why[n - 1] = 0;
	if (!__atomic_exchange_n(&sb.tripped, 1, __ATOMIC_SEQ_CST) && sb.hook)
		sb.hook(why, my_kind);
	if (my_kind == KB_THREAD_MAIN)
		_exit(KB_EXIT_VMM_ERROR);
	syscall(SYS_exit, 0); /* this thread only: pthread_join still sees it end */
}

static int allow(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0))
			return -1;
	return 0;
}

/* Libseccomp's BPF for ctx, through a memfd (2.5 exports to a file only). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("kvmbench-seccomp", MFD_CLOEXEC), rc = -1;
	off_t size;

	if (fd < 0 || seccomp_export_bpf(ctx, fd) || (size = lseek(fd, 0, SEEK_END)) <= 0)
		goto out;
	prog->filter = malloc((size_t)size);
	if (prog->filter && pread(fd, prog->filter, (size_t)size, 0) == size) {
		prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
		rc = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* One kind's filter: the lists above, KVM's ioctls and three more (TCGETS
 * from stdio; TUNSETIFF and TUNSETVNETHDRSZ of a tap), and no executable
 * mappings.  Not the rest of 'T': TIOCSTI would type into a terminal. */
static int compile(enum kb_thread_kind kind, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx =
	    seccomp_init(sb.mode == KB_SANDBOX_AUDIT ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	int rc = -1;

#define N(a) (sizeof(a) / sizeof((a)[0]))
	if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) ||
	    allow(ctx, common_calls, N(common_calls)) ||
	    (kind != KB_THREAD_MAIN && allow(ctx, device_calls, N(device_calls))) ||
	    (kind == KB_THREAD_IO && allow(ctx, io_calls, N(io_calls))) ||
	    (kind == KB_THREAD_MAIN && (allow(ctx, main_calls, N(main_calls)) ||
					seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
							 SCMP_A1(SCMP_CMP_EQ, F_GETFL)) ||
					seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
							 SCMP_A1(SCMP_CMP_EQ, F_SETFL)))) ||
	    (sanitizer_calls[0] >= 0 && allow(ctx, sanitizer_calls, N(sanitizer_calls))) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, KVMIO << 8)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, TCGETS)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, TUNSETIFF)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_EQ, TUNSETVNETHDRSZ)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)))
		goto out;
#undef N
	rc = export_bpf(ctx, prog);
out:
	seccomp_release(ctx);
	return rc;
}

/* RLIMIT_FSIZE: at least the largest -drive, whose writes reach its end,
 * and the console's cap with room for its note (none with -serial-cap 0:
 * the console then grows as the user asked). */
static uint64_t fsize_limit(const struct kb_config *cfg)
{
	uint64_t lim = cfg->rlimit_fsize;
	struct stat st;

	if (cfg->serial_path && !cfg->serial_cap)
		return RLIM_INFINITY;
	if (cfg->serial_path && cfg->serial_cap + 4096 > lim)
		lim = cfg->serial_cap + 4096;

	for (unsigned i = 0; i < cfg->ndrives; i++)
		if (!stat(cfg->drives[i].file, &st) && (uint64_t)st.st_size > lim)
			lim = (uint64_t)st.st_size;
	return lim;
}

int kb_sandbox_init(const struct kb_config *cfg, kb_sandbox_hook *hook, char *err, size_t errlen)
{
	const char *t = getenv("KVMBENCH_SANDBOX_SELFTEST");
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	sb.mode = cfg->sandbox;
	sb.hook = hook;
	if (sb.mode == KB_SANDBOX_OFF)
		return 0;
	/* glibc reads /etc/localtime on its first gmtime_r(), and the RTC's is
	 * on a vCPU thread (Linux reads the clock at boot): read it now */
	tzset();
	for (int k = 0; t && k < KB_THREAD_KINDS; k++)
		if (!strcmp(t, kind_name[k]))
			sb.selftest = k;
	if (t && sb.selftest < 0)
		return kb_errf(err, errlen,
			       "KVMBENCH_SANDBOX_SELFTEST=%s: expected main, vcpu or io", t);
	for (int k = 0; k < KB_THREAD_KINDS; k++)
		if (compile(k, &sb.prog[k]))
			return kb_errf(err, errlen,
				       "-sandbox: cannot build the seccomp filter (libseccomp): %s "
				       "(-sandbox off runs without)",
				       strerror(errno));
	sb.fsize = fsize_limit(cfg);
	sb.nofile = cfg->rlimit_nofile;
	sigemptyset(&sa.sa_mask);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sigaction(SIGSYS, &sa, NULL))
		return kb_errf(err, errlen, "-sandbox: no_new_privs: %s", strerror(errno));
	sb.no_new_privs = true;
	signal(SIGXFSZ, SIG_IGN); /* past RLIMIT_FSIZE a write fails (EFBIG) */
	return 0;
}

/* The main thread's limits.  RLIMIT_NOFILE by default: what is open now
 * plus room for the stats and /proc reads at the end. */
static int set_rlimits(char *err, size_t errlen)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free number */
	struct rlimit f = {sb.fsize, sb.fsize}, n;

	if (fd >= 0)
		close(fd);
	if (!sb.nofile)
		sb.nofile = (uint64_t)(fd >= 0 ? fd : 1024) + 32;
	n = (struct rlimit){sb.nofile, sb.nofile};
	if (setrlimit(RLIMIT_FSIZE, &f) || setrlimit(RLIMIT_NOFILE, &n))
		return kb_errf(err, errlen, "-sandbox: setrlimit: %s", strerror(errno));
	return 0;
}

int kb_sandbox_enter(enum kb_thread_kind kind, char *err, size_t errlen)
{
	my_kind = kind;
	if (sb.mode == KB_SANDBOX_OFF)
		return 0;
	if (kind == KB_THREAD_MAIN && set_rlimits(err, errlen))
		return -1;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb.prog[kind])) {
		kb_errf(err, errlen, "-sandbox: %s thread: seccomp: %s (-sandbox off runs without)",
			kind_name[kind], strerror(errno));
		if (kind != KB_THREAD_MAIN && sb.hook) /* the thread ends; the run ends with it */
			sb.hook(err, kind);
		return -1;
	}
	__atomic_add_fetch(&sb.filtered, 1, __ATOMIC_SEQ_CST);
	if (sb.selftest == (int)kind &&
	    __atomic_exchange_n(&sb.selftest, -1, __ATOMIC_SEQ_CST) >= 0)
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); /* forbidden everywhere */
	return 0;
}

/* Without a sandbox, whatever the VMM inherited; with one, what it set
 * (the main thread's filter has no prctl or prlimit64 to ask with). */
void kb_sandbox_state(struct kb_sandbox_state *s)
{
	struct rlimit f, n;

	s->seccomp = sb.mode == KB_SANDBOX_ON	   ? "on"
		     : sb.mode == KB_SANDBOX_AUDIT ? "audit"
						   : "off";
	s->threads_filtered = (unsigned)__atomic_load_n(&sb.filtered, __ATOMIC_SEQ_CST);
	if (sb.mode != KB_SANDBOX_OFF) {
		s->no_new_privs = sb.no_new_privs;
		s->rlimit_fsize = sb.fsize;
		s->rlimit_nofile = sb.nofile;
		return;
	}
	s->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	s->rlimit_fsize =
	    getrlimit(RLIMIT_FSIZE, &f) || f.rlim_cur == RLIM_INFINITY ? UINT64_MAX : f.rlim_cur;
	s->rlimit_nofile =
	    getrlimit(RLIMIT_NOFILE, &n) || n.rlim_cur == RLIM_INFINITY ? UINT64_MAX : n.rlim_cur;
}
