/*
 * The platform devices of kvmbench-vmm.  Each registers its ranges on the
 * bus in its init function and keeps its state in its own struct.  The
 * bench device and the UART are the VM's own (vm.c reads their state);
 * the others are entries of the device table, KB_DEVICES below.
 */
#ifndef KB_DEVICES_H
#define KB_DEVICES_H

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../bus.h"
#include "../device.h"
#include "kvmbench/abi.h"
#include "../memory.h"
#include "../result.h"

/* --- bench device: marks, metrics and the guest's verdict --- */
struct kb_mark {
	char name[KB_BENCH_NAME_MAX];
	unsigned vcpu;
	uint64_t t_ns;	    /* host clock, ns since the VMM started */
	uint64_t guest_tsc; /* as the guest read it; 0 from the console */
};

struct kb_metric {
	char name[KB_BENCH_NAME_MAX];
	char unit[KB_BENCH_UNIT_MAX];
	double value;
	unsigned vcpu;
};

#define KB_BENCH_MAX_RECORDS 100000

struct kb_bench {
	pthread_mutex_t lock;
	const struct kb_mem *mem;
	struct kb_result *result;
	struct kb_mark *marks;
	unsigned nmarks, capmarks;
	struct kb_metric *metrics;
	unsigned nmetrics, capmetrics;
	uint64_t dropped;      /* records past KB_BENCH_MAX_RECORDS */
	uint64_t bad_requests; /* malformed or outside RAM */
	char first_bad[160];   /* the first of them, described */
	const char *until_src; /* -until: the pattern, and compiled */
	regex_t until;
	bool restart_announced; /* the guest kernel said it restarts */
};

/* How long a guest kernel's panic may go on printing before the VM ends.
 * Only a bound: the end line, a reset or pvpanic end it sooner.  3 s was
 * too short once in the lab (panic=-1: backtrace, stopping the other vCPU
 * and the reset took longer under emulation, so the reset went unsaid). */
#define KB_PANIC_GRACE_NS 10000000000ull

/* until: a regex ending the VM when a console line matches, or NULL */
int kb_bench_init(struct kb_bench *b, struct kb_bus *bus, const char *until,
		  const struct kb_mem *mem, struct kb_result *result);
/* A console line "KVMBENCH MARK name" or "KVMBENCH METRIC name value
 * unit" is recorded as if sent to the device; Linux's lines about a panic
 * or a restart are noted (see bench.c); other lines are ignored. */
void kb_bench_console_line(struct kb_bench *b, const char *line, unsigned vcpu);
void kb_bench_destroy(struct kb_bench *b);

/* --- 8250 UART on COM1 --- */
struct kb_uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr, scr, dll, dlm, fcr;
	FILE *out; /* NULL for -serial none */
	struct kb_bench *bench;
	char line[256];
	size_t linelen;
	uint64_t bytes_out;
	uint64_t out_cap;     /* bytes written to out at most (0: no cap) */
	uint64_t out_dropped; /* bytes past out_cap, not written */
	/* the interrupt: "THR empty" pending, and the line as last driven */
	int vm_fd; /* -1: no irqchip (unit tests): the line is not driven */
	unsigned irq;
	bool thr_ipending, irq_level;
	uint64_t interrupts; /* rising edges of the line */
};

int kb_uart_init(struct kb_uart *u, struct kb_bus *bus, FILE *out, struct kb_bench *bench);
/* Write at most cap bytes of console output to out (0: no cap); past it
 * one line says so, and the rest is counted in out_dropped.  Lines still
 * reach the bench device.  Before the guest runs. */
void kb_uart_set_cap(struct kb_uart *u, uint64_t cap);
/* Drive ISA IRQ irq of the in-kernel irqchip of vm_fd (KVM_IRQ_LINE). */
void kb_uart_set_irq(struct kb_uart *u, int vm_fd, unsigned irq);
void kb_uart_flush(struct kb_uart *u);

/* --- QEMU fw_cfg on its legacy ports (0x510 selector, 0x511 data) --- */
#define KB_FWCFG_ITEMS 8

struct kb_fwcfg {
	pthread_mutex_t lock;
	uint16_t key;
	uint32_t off;
	struct {
		uint16_t key;
		uint8_t data[16];
		uint32_t len;
	} item[KB_FWCFG_ITEMS];
	unsigned n;
};

/* Items: signature "QEMU", ID (traditional interface), RAM size, CPU
 * count, max CPUs, an empty file directory. */
int kb_fwcfg_init(struct kb_fwcfg *f, struct kb_bus *bus, uint64_t ram, unsigned cpus,
		  unsigned maxcpus);

/* --- CMOS RTC (0x70 index, 0x71 data) with the host's time --- */
struct kb_rtc {
	pthread_mutex_t lock;
	uint8_t index;
};

int kb_rtc_init(struct kb_rtc *r, struct kb_bus *bus);

/* --- ACPI PM1a event/control and PM timer (-machine acpi-pm=on) --- */
struct kb_acpipm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	uint64_t refused_sleeps; /* SLP_EN with a type other than S5 */
	struct kb_result *result;
};

int kb_acpipm_init(struct kb_acpipm *pm, struct kb_bus *bus, struct kb_result *result);

/* --- isa-debug-exit (0xf4) and i8042 reset (0x64 <- 0xfe) --- */
int kb_debugexit_init(struct kb_bus *bus, struct kb_result *result);
int kb_i8042_init(struct kb_bus *bus, struct kb_result *result);
/* --- pvpanic (0x505): a guest's panic ends the VM as a crash --- */
int kb_pvpanic_init(struct kb_bus *bus, struct kb_result *result);

/*
 * The device table: the machine's devices after the bench device and the
 * UART, created in this order (which is also their regions' order in the
 * stats JSON).  One line per device; each is a `const struct kb_device
 * kb_device_NAME` (device.h) in its file.
 */
#define KB_DEVICES(X)                                  \
	X(debugexit) /* isa-debug-exit (platform.c) */ \
	X(i8042)     /* i8042 reset (platform.c) */    \
	X(pvpanic)   /* pvpanic (platform.c) */        \
	X(fwcfg)     /* fw_cfg (fwcfg.c) */            \
	X(rtc)	     /* CMOS RTC (rtc.c) */            \
	X(acpipm)    /* ACPI PM, with -machine acpi-pm=on (acpipm.c) */

#define KB_DEVICE_DECLARE(name) extern const struct kb_device kb_device_##name;
KB_DEVICES(KB_DEVICE_DECLARE)
#undef KB_DEVICE_DECLARE
#define KB_DEVICE_COUNT(name) +1
enum { KB_NDEVICES = 0 KB_DEVICES(KB_DEVICE_COUNT) };
#undef KB_DEVICE_COUNT

#endif
