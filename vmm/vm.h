/*
 * The machine: KVM handles, RAM, bus, devices, vCPUs and how the run ended.
 *
 * Life cycle, as QEMU's start-up: kb_vm_create() opens /dev/kvm and checks
 * what it needs, creates the VM, RAM, in-kernel irqchip and PIT and the
 * devices; kb_vm_load() places the guest and its boot structures;
 * kb_vm_start_vcpus() creates every vCPU (CPUID set per vCPU) and its
 * thread; kb_vm_wait() blocks the main thread until the guest ends, the
 * timeout passes or a signal arrives; kb_vm_destroy() tears down in reverse.
 */
#ifndef KB_VM_H
#define KB_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "boot/boot.h"
#include "bus.h"
#include "cpuid.h"
#include "devices/devices.h"
#include "exit.h"
#include "common/host.h"
#include "kvmstats.h"
#include "memory.h"
#include "options.h"
#include "pci.h"
#include "result.h"
#include "runas.h"
#include "vcpu.h"
#include "virtio/devices.h"

struct kb_timings {
	uint64_t vm_create, load, vcpus_ready, first_entry, end;
};

struct kb_vm {
	const struct kb_config *cfg;
	struct kb_host host;
	int kvm_fd, vm_fd;
	int api_version;
	unsigned max_vcpus, max_vcpu_id;
	bool have_stats_fd;
	struct kb_mem mem;
	struct kb_bus bus;
	struct kb_topo topo;
	struct kb_image image;
	const struct kb_boot_ops *boot; /* how the image is entered (boot/boot.h) */
	uint64_t tsc_khz;
	struct kvm_cpuid2 *cpuid; /* host's supported table */
	struct kb_result result;
	struct kb_bench bench;
	struct kb_uart uart;
	void *devstate[KB_NDEVICES]; /* the device table's (devices/devices.h) */
	struct kb_pci pci;
	struct kb_virtio_dev vdev[KB_MAX_DEVICES]; /* -device, by virtio/devices.h's table */
	unsigned nvdev;
	FILE *serial_out;
	struct kb_kstats kstats;
	struct kb_vcpu *vcpus;
	unsigned nvcpus;
	pthread_t main_thread;
	pthread_mutex_t lock; /* orders vCPU thread creation against stopping */
	int stopping;
	struct kb_timings t;
	uint64_t tsc_begin, ns_begin; /* to convert handling cycles to ns */
	double tsc_per_ns;
	uint64_t rss_peak_kib, guest_resident_kib;
	struct kb_runas runas; /* the VMM's user: -runas's, or as started */
};

/* The signal that kicks vCPU threads out of KVM_RUN. */
#define KB_SIG_KICK SIGUSR1
/* The signal a vCPU thread sends the main thread when the guest ends. */
#define KB_SIG_DONE SIGUSR2

int kb_vm_create(struct kb_vm *vm, const struct kb_config *cfg, char *err, size_t errlen);
int kb_vm_load(struct kb_vm *vm, char *err, size_t errlen);
/* Give root up (-runas) now that everything the VM needs is open: before
 * any thread starts and any filter is installed. */
int kb_vm_drop_root(struct kb_vm *vm, char *err, size_t errlen);
/* Start the I/O threads and the vCPUs; the main thread is then sandboxed. */
int kb_vm_start_vcpus(struct kb_vm *vm, char *err, size_t errlen);
/* Wait for the end; records timeout or signal in vm->result. */
void kb_vm_wait(struct kb_vm *vm);
/* Ask every vCPU to leave KVM_RUN and wake the main thread (idempotent). */
void kb_vm_stop(struct kb_vm *vm);
/* Join the vCPU threads and take the closing statistics. */
void kb_vm_finish(struct kb_vm *vm);
void kb_vm_destroy(struct kb_vm *vm);

#endif
