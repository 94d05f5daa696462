/*
 * Command-line options of kvmbench-vmm: a QEMU-compatible subset plus the
 * VMM's own -stats, -timeout, -vcpu-pin, -mem-thp and -serial-cap.
 *
 * Parsing is pure (no I/O, no exit) so tests/unit can drive every error.
 */
#ifndef KB_OPTIONS_H
#define KB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/size.h"
#include "common/topology.h"
#include "kvmbench/abi.h"
#include "numa.h"

enum kb_serial { KB_SERIAL_STDIO, KB_SERIAL_FILE, KB_SERIAL_NONE };
/* -mem-thp: auto (default) asks for transparent huge pages when the host's
 * THP mode allows it (always or madvise), as QEMU does */
enum kb_thp { KB_THP_OFF, KB_THP_ON, KB_THP_AUTO };

/* -sandbox: seccomp filters, no_new_privs and rlimits (on), none (off), or
 * filters that only log what they would refuse (audit: SCMP_ACT_LOG) */
enum kb_sandbox_mode { KB_SANDBOX_ON, KB_SANDBOX_OFF, KB_SANDBOX_AUDIT };

/* -drive, -netdev and -device (QEMU's spelling; see docs/devices.md) */
#define KB_MAX_DRIVES 8
#define KB_MAX_NETDEVS 4
#define KB_MAX_DEVICES 8

struct kb_drive {
	char id[32];
	char file[512];
	bool readonly, direct; /* readonly=on; cache=none */
	bool used;	       /* claimed by a device */
};

struct kb_netdev {
	char id[32];
	bool loopback; /* else tap */
	char ifname[16];
	bool used;
};

struct kb_virtio_model; /* virtio/devices.h */

struct kb_devspec {
	const struct kb_virtio_model *model; /* what -device names */
	char ref[32]; /* its backend (drive= or netdev=) as given; resolved into index */
	int index;    /* into drives[] or netdevs[] */
	bool ioeventfd;
	union { /* the model's own properties (mac=, serial=), as its parse() keeps them */
		uint64_t align;
		unsigned char bytes[32];
	} props;
};

struct kb_config {
	uint64_t mem_size; /* bytes */
	struct kb_smp smp;
	const char *kernel;
	const char *append;
	const char *name;
	enum kb_serial serial;
	const char *serial_path;
	uint64_t serial_cap; /* console bytes written at most; 0: no cap */
	bool mem_prealloc;
	const char *mem_path; /* hugetlbfs directory, or NULL */
	enum kb_thp thp;
	const char *stats_path;
	double timeout_s; /* 0: none */
	int pin[KB_MAX_VCPUS];
	unsigned npin;
	uint64_t exit_delay_ns; /* test-only: busy delay per handled exit */
	struct kb_numa numa;
	const char *dump_acpi; /* directory to write the ACPI tables to */
	const char *initrd;    /* Linux initial ramdisk */
	const char *until;     /* end the VM when a console line matches (regex) */
	bool acpi_pm;	       /* -machine acpi-pm=on: FADT with PM ports, not HW-reduced */
	struct kb_drive drives[KB_MAX_DRIVES];
	unsigned ndrives;
	struct kb_netdev netdevs[KB_MAX_NETDEVS];
	unsigned nnetdevs;
	struct kb_devspec devices[KB_MAX_DEVICES];
	unsigned ndevices;
	enum kb_sandbox_mode sandbox;
	uint64_t rlimit_fsize;	/* -sandbox fsize=, raised to the largest -drive */
	uint64_t rlimit_nofile; /* -sandbox nofile=; 0: what is open + 32 */
	const char *runas;	/* -runas USER|UID[:GID]: drop root to it, or NULL */
	bool help;
	bool version;
};

/* Fill *cfg from argv.  Returns 0, or -1 with a one-line message in err. */
int kb_options_parse(int argc, char **argv, struct kb_config *cfg, char *err, size_t errlen);

/* Parse a CPU list ("0-3,6") into out[]; returns the count, or -1. */
int kb_cpulist_parse(const char *s, int *out, unsigned max);

void kb_options_usage(FILE *f);

#endif
