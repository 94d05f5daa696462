/*
 * Command-line parsing for kvmbench-vmm.
 *
 * Options follow QEMU's spelling so that users' habits carry over; anything
 * kvmbench-vmm cannot honour is rejected by name rather than ignored, since a
 * silently dropped option makes a benchmark lie about what it measured.
 */
#include "options.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/size.h"
#include "devopts.h"
#include "qopts.h"
#include "common/util.h"

int kb_cpulist_parse(const char *s, int *out, unsigned max)
{
	unsigned count = 0;
	const char *p = s;

	while (*p) {
		const char *end = p + strcspn(p, ",");
		const char *dash = memchr(p, '-', (size_t)(end - p));
		unsigned long lo, hi;

		if (dash) {
			if (kb_uint_parse(p, (size_t)(dash - p), 4095, &lo) ||
			    kb_uint_parse(dash + 1, (size_t)(end - dash - 1), 4095, &hi) || hi < lo)
				return -1;
		} else {
			if (kb_uint_parse(p, (size_t)(end - p), 4095, &lo))
				return -1;
			hi = lo;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			if (count == max)
				return -1;
			out[count++] = (int)c;
		}
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -1; /* trailing comma */
	}
	return count ? (int)count : -1;
}

static int parse_serial(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	if (!strcmp(v, "stdio") || !strcmp(v, "mon:stdio")) {
		cfg->serial = KB_SERIAL_STDIO;
	} else if (!strcmp(v, "none") || !strcmp(v, "null")) {
		cfg->serial = KB_SERIAL_NONE;
	} else if (!strncmp(v, "file:", 5) && v[5]) {
		cfg->serial = KB_SERIAL_FILE;
		cfg->serial_path = v + 5;
	} else {
		return kb_errf(err, errlen, "-serial %s: expected stdio, file:PATH or none", v);
	}
	return 0;
}

/* An option's number in [lo, hi] (kb_number_parse); -1 with err. */
static int opt_number(const char *opt, const char *v, double lo, double hi, unsigned flags,
		      double *out, char *err, size_t errlen)
{
	char why[160];

	if (!kb_number_parse(v, lo, hi, flags, out, why, sizeof(why)))
		return 0;
	return kb_errf(err, errlen, "%s: %s", opt, why);
}

/* -sandbox on|off|audit[,fsize=SIZE][,nofile=N] */
static int parse_sandbox(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	struct kb_qopts q;
	const char *mode, *fsize, *nofile;
	char *end;

	if (kb_qopts_parse(&q, "-sandbox", v, "mode", err, errlen))
		return -1;
	mode = kb_qopts_get(&q, "mode");
	fsize = kb_qopts_get(&q, "fsize");
	nofile = kb_qopts_get(&q, "nofile");
	if (mode && strcmp(mode, "on") && strcmp(mode, "off") && strcmp(mode, "audit"))
		return kb_errf(err, errlen, "-sandbox %s: expected on, off or audit", v);
	cfg->sandbox = !mode || !strcmp(mode, "on") ? KB_SANDBOX_ON
		       : !strcmp(mode, "off")	    ? KB_SANDBOX_OFF
						    : KB_SANDBOX_AUDIT;
	if (fsize && (kb_size_parse(fsize, &cfg->rlimit_fsize) || cfg->rlimit_fsize < (1 << 20)))
		return kb_errf(err, errlen, "-sandbox fsize=%s: expected a size of 1M or more",
			       fsize);
	if (nofile) {
		errno = 0;
		cfg->rlimit_nofile = strtoull(nofile, &end, 10);
		if (errno || end == nofile || *end || !isdigit((unsigned char)nofile[0]) ||
		    cfg->rlimit_nofile < 16 || cfg->rlimit_nofile > 1 << 20)
			return kb_errf(err, errlen, "-sandbox nofile=%s: expected 16..1048576",
				       nofile);
	}
	return kb_qopts_check_used(&q, err, errlen);
}

static int parse_machine(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	struct kb_qopts q;
	const char *type;

	if (kb_qopts_parse(&q, "-machine", v, "type", err, errlen))
		return -1;
	type = kb_qopts_get(&q, "type");
	if (type && strcmp(type, "kvmbench"))
		return kb_errf(err, errlen,
			       "-machine %s: the only machine is 'kvmbench' (no firmware, "
			       "direct boot)",
			       v);
	if (kb_qopts_bool(&q, "acpi-pm", cfg->acpi_pm, &cfg->acpi_pm, err, errlen))
		return -1;
	return kb_qopts_check_used(&q, err, errlen);
}

/* Options taking a value, in the order -h lists them. */
enum opt_id {
	O_M,
	O_SMP,
	O_KERNEL,
	O_APPEND,
	O_SERIAL,
	O_SERIAL_CAP,
	O_NAME,
	O_CPU,
	O_ACCEL,
	O_MEM_PATH,
	O_MEM_THP,
	O_STATS,
	O_TIMEOUT,
	O_PIN,
	O_EXIT_DELAY,
	O_NUMA,
	O_DUMP_ACPI,
	O_INITRD,
	O_MACHINE,
	O_DRIVE,
	O_NETDEV,
	O_DEVICE,
	O_UNTIL,
	O_ENABLE_KVM,
	O_MEM_PREALLOC,
	O_NOGRAPHIC,
	O_SANDBOX,
	O_RUNAS,
	O_HELP,
	O_VERSION,
};

static const struct {
	const char *name;
	enum opt_id id;
	bool has_arg;
	const char *help;
} opts[] = {
    {"m", O_M, true, "SIZE    guest RAM (K/M/G/T suffix, default MiB; 128M)"},
    {"smp", O_SMP, true, "N[,sockets=S][,cores=C][,threads=T][,maxcpus=M]  vCPU topology"},
    {"kernel", O_KERNEL, true,
     "FILE  kernel to boot: micro-guest ELF, bzImage, vmlinux (PVH) or Multiboot"},
    {"append", O_APPEND, true, "STR  guest command line"},
    {"serial", O_SERIAL, true, "stdio|file:PATH|none  COM1 backend"},
    {"serial-cap", O_SERIAL_CAP, true,
     "BYTES  console output kept at most, the rest dropped (K/M/G; 0 none; 64M)"},
    {"name", O_NAME, true, "NAME  name recorded in the stats"},
    {"cpu", O_CPU, true, "host  CPU model (only 'host')"},
    {"accel", O_ACCEL, true, "kvm  accelerator (only 'kvm')"},
    {"mem-path", O_MEM_PATH, true, "DIR  back RAM with hugetlbfs files"},
    {"mem-thp", O_MEM_THP, true, "on|off|auto  transparent huge pages (auto: if the host allows)"},
    {"stats", O_STATS, true, "FILE  write the stats JSON here"},
    {"timeout", O_TIMEOUT, true, "SEC  stop the guest after SEC seconds (exit 124)"},
    {"vcpu-pin", O_PIN, true, "CPULIST  pin vCPU threads round-robin"},
    {"test-exit-delay", O_EXIT_DELAY, true, "NS  (testing) busy-wait NS per handled exit"},
    {"numa", O_NUMA, true, "node,nodeid=N,cpus=A-B,mem=SIZE | dist,src=A,dst=B,val=V"},
    {"dump-acpi", O_DUMP_ACPI, true, "DIR  write the ACPI tables to DIR/NAME.dat"},
    {"initrd", O_INITRD, true, "FILE  initial ramdisk for a Linux kernel"},
    {"machine", O_MACHINE, true,
     "[type=]kvmbench[,acpi-pm=on|off]  PM ports instead of HW-reduced ACPI"},
    {"M", O_MACHINE, true, NULL},
    {"drive", O_DRIVE, true,
     "file=PATH,format=raw,if=none|virtio,id=ID[,readonly=on][,cache=none]"},
    {"netdev", O_NETDEV, true, "tap,id=ID,ifname=TAP | loopback,id=ID  network backend"},
    {"device", O_DEVICE, true, "MODEL,...  (the -device table's models: kb_device_usage)"},
    {"until", O_UNTIL, true, "REGEX  end the VM (status 0) when a console line matches"},
    {"enable-kvm", O_ENABLE_KVM, false, "  same as -accel kvm"},
    {"mem-prealloc", O_MEM_PREALLOC, false, "  fault in all RAM at start"},
    {"nographic", O_NOGRAPHIC, false, "  accepted; there is no display"},
    {"sandbox", O_SANDBOX, true,
     "on|off|audit[,fsize=SIZE][,nofile=N]  seccomp filters per thread, no_new_privs and "
     "rlimits (default on, fsize=1G)"},
    {"runas", O_RUNAS, true, "USER|UID[:GID]  (as root) open what the VM needs, then run as USER"},
    {"h", O_HELP, false, "  this help"},
    {"help", O_HELP, false, NULL},
    {"version", O_VERSION, false, "  print the version"},
};

void kb_options_usage(FILE *f)
{
	char dev[300];

	fprintf(f, "usage: kvmbench-vmm -kernel FILE [options]\n");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].help)
			fprintf(f, "  -%s %s\n", opts[i].name,
				opts[i].id == O_DEVICE ? kb_device_usage(dev, sizeof(dev))
						       : opts[i].help);
	fprintf(f, "exit status: 0 pass, 1 VMM error, 2 guest failed, "
		   "3 guest crashed, 77 skipped, 124 timeout,\n"
		   "  (v << 1) | 1 for isa-debug-exit value v\n");
}

/* -m [size=]SIZE: a whole number of pages */
static int parse_mem(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	if (!strncmp(v, "size=", 5))
		v += 5;
	if (kb_size_parse(v, &cfg->mem_size) || cfg->mem_size == 0)
		return kb_errf(err, errlen, "-m %s: not a size (try 512M or 2G)", v);
	if (cfg->mem_size % 4096)
		return kb_errf(err, errlen, "-m %s: not a multiple of 4 KiB", v);
	return 0;
}

static int parse_append(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	if (strlen(v) >= KB_CMDLINE_MAX)
		return kb_errf(err, errlen, "-append: longer than %d bytes", KB_CMDLINE_MAX - 1);
	cfg->append = v;
	return 0;
}

/* -cpu and -accel: accepted for QEMU's command lines, with the one value
 * that means what kvmbench-vmm does anyway */
static int check_cpu_accel(enum opt_id id, const char *v, char *err, size_t errlen)
{
	if (id == O_CPU && strcmp(v, "host") && strcmp(v, "max"))
		return kb_errf(err, errlen,
			       "-cpu %s: only 'host' is supported (KVM passes "
			       "the host CPU through)",
			       v);
	if (id == O_ACCEL && strcmp(v, "kvm") && strncmp(v, "kvm,", 4))
		return kb_errf(err, errlen, "-accel %s: kvmbench-vmm supports only kvm", v);
	return 0;
}

static int parse_thp(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "auto"))
		return kb_errf(err, errlen, "-mem-thp %s: expected on, off or auto", v);
	cfg->thp = !strcmp(v, "on") ? KB_THP_ON : !strcmp(v, "off") ? KB_THP_OFF : KB_THP_AUTO;
	return 0;
}

static int parse_pin(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	int n = kb_cpulist_parse(v, cfg->pin, KB_MAX_VCPUS);

	if (n < 0)
		return kb_errf(err, errlen, "-vcpu-pin %s: expected a CPU list like 0-1,3", v);
	cfg->npin = (unsigned)n;
	return 0;
}

static int parse_serial_cap(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	if (kb_bytes_parse(v, &cfg->serial_cap))
		return kb_errf(err, errlen, "-serial-cap %s: not a size in bytes (try 16M)", v);
	return 0;
}

/* looked up when the VM is made: no NSS in the option parser */
static int parse_runas(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	if (!*v)
		return kb_errf(err, errlen, "-runas: empty; give a user name or UID[:GID]");
	cfg->runas = v;
	return 0;
}

/* compiled here to check it, and again by the bench device */
static int parse_until(const char *v, struct kb_config *cfg, char *err, size_t errlen)
{
	regex_t re;
	int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);

	regfree(&re);
	if (rc)
		return kb_errf(err, errlen, "-until %s: not a valid extended regex", v);
	cfg->until = v;
	return 0;
}

static int parse_exit_delay(const char *name, const char *v, struct kb_config *cfg, char *err,
			    size_t errlen)
{
	double ns;

	if (opt_number(name, v, 0, 1e9, KB_NUM_INT, &ns, err, errlen))
		return -1;
	cfg->exit_delay_ns = (uint64_t)ns;
	return 0;
}

/* Option id (named name on the command line) with value v into cfg. */
static int apply(enum opt_id id, const char *name, const char *v, struct kb_config *cfg, char *err,
		 size_t errlen)
{
	switch (id) {
	case O_M: return parse_mem(v, cfg, err, errlen);
	case O_SMP: return kb_smp_parse(v, &cfg->smp, err, errlen);
	case O_KERNEL: cfg->kernel = v; return 0;
	case O_APPEND: return parse_append(v, cfg, err, errlen);
	case O_SERIAL: return parse_serial(v, cfg, err, errlen);
	case O_NAME: cfg->name = v; return 0;
	case O_CPU:
	case O_ACCEL: return check_cpu_accel(id, v, err, errlen);
	case O_MEM_PATH: cfg->mem_path = v; return 0;
	case O_MEM_THP: return parse_thp(v, cfg, err, errlen);
	case O_STATS: cfg->stats_path = v; return 0;
	case O_TIMEOUT: return opt_number(name, v, 0.001, 1e6, 0, &cfg->timeout_s, err, errlen);
	case O_PIN: return parse_pin(v, cfg, err, errlen);
	case O_NUMA: return kb_numa_add(&cfg->numa, v, err, errlen);
	case O_DUMP_ACPI: cfg->dump_acpi = v; return 0;
	case O_INITRD: cfg->initrd = v; return 0;
	case O_SERIAL_CAP: return parse_serial_cap(v, cfg, err, errlen);
	case O_MACHINE: return parse_machine(v, cfg, err, errlen);
	case O_SANDBOX: return parse_sandbox(v, cfg, err, errlen);
	case O_RUNAS: return parse_runas(v, cfg, err, errlen);
	case O_DRIVE: return kb_parse_drive(v, cfg, err, errlen);
	case O_NETDEV: return kb_parse_netdev(v, cfg, err, errlen);
	case O_DEVICE: return kb_parse_device(v, cfg, err, errlen);
	case O_UNTIL: return parse_until(v, cfg, err, errlen);
	case O_EXIT_DELAY: return parse_exit_delay(name, v, cfg, err, errlen);
	case O_ENABLE_KVM:
	case O_NOGRAPHIC: return 0;
	case O_MEM_PREALLOC: cfg->mem_prealloc = true; return 0;
	case O_HELP: cfg->help = true; return 0;
	case O_VERSION: cfg->version = true; return 0;
	}
	assert(!"every option has a case");
	return kb_errf(err, errlen, "%s: internal error", name);
}

int kb_options_parse(int argc, char **argv, struct kb_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 128ULL << 20;
	cfg->smp = (struct kb_smp){1, 1, 1, 1, 1};
	cfg->append = "";
	cfg->name = "kvmbench";
	cfg->serial = KB_SERIAL_STDIO;
	cfg->serial_cap = KB_SERIAL_CAP_DEFAULT;
	cfg->thp = KB_THP_AUTO;
	cfg->rlimit_fsize = 1ULL << 30;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (a[0] != '-' || !a[1])
			return kb_errf(err, errlen,
				       "unexpected argument '%s' (options start with -)", a);
		a += (a[1] == '-') ? 2 : 1;
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(a, opts[k].name))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return kb_errf(err, errlen, "unknown option '%s' (see -h)", argv[i]);
		if (opts[k].has_arg && i + 1 >= argc)
			return kb_errf(err, errlen, "option '%s' needs a value", argv[i]);
		const char *value = opts[k].has_arg ? argv[i + 1] : NULL;

		if (apply(opts[k].id, argv[i], value, cfg, err, errlen))
			return -1;
		i += opts[k].has_arg;
	}
	if (cfg->help || cfg->version)
		return 0;
	if (!cfg->kernel)
		return kb_errf(err, errlen, "no guest: give -kernel FILE (see -h)");
	if (cfg->mem_size > (uint64_t)(KB_PT_MAX_GIB - 1) << 30)
		return kb_errf(err, errlen, "-m: at most %llu GiB is supported",
			       (unsigned long long)KB_PT_MAX_GIB - 1);
	if (cfg->mem_size < (4ULL << 20))
		return kb_errf(err, errlen, "-m: at least 4M of RAM is needed");
	if (cfg->mem_path && cfg->thp == KB_THP_ON)
		return kb_errf(err, errlen,
			       "-mem-path and -mem-thp on contradict each other "
			       "(hugetlbfs pages are already huge)");
	if (kb_resolve_devices(cfg, err, errlen))
		return -1;
	return kb_numa_finish(&cfg->numa, cfg->smp.maxcpus, cfg->mem_size, err, errlen);
}
