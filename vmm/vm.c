/*
 * Machine set-up and teardown (see vm.h).  Everything is initialised in
 * order and torn down in reverse; errors are returned with a message that
 * says what is missing and what would fix it, and only main() exits.
 */
#include "vm.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "acpi.h"
#include "boot/bootmem.h"
#include "boot/longmode.h"
#include "sandbox.h"
#include "stats.h"
#include "common/util.h"

static int open_kvm(struct kb_vm *vm, char *err, size_t errlen)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
	    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
	    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
	};
	int n;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == ENOENT)
			return kb_errf(err, errlen,
				       "/dev/kvm does not exist: KVM is not available "
				       "(load kvm_intel or kvm_amd; enable VT-x/AMD-V)");
		if (errno == EACCES)
			return kb_errf(err, errlen,
				       "/dev/kvm: permission denied (add the user to "
				       "group 'kvm' or run as root)");
		return kb_errf(err, errlen, "/dev/kvm: %s", strerror(errno));
	}
	vm->api_version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (vm->api_version != KVM_API_VERSION)
		return kb_errf(err, errlen, "KVM API version %d, need %d", vm->api_version,
			       KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0)
			return kb_errf(err, errlen,
				       "this KVM lacks %s, which kvmbench-vmm needs "
				       "(kernel too old?)",
				       need[i].name);
	n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	vm->max_vcpus = n > 0 ? (unsigned)n : 4;
	n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	vm->max_vcpu_id = n > 0 ? (unsigned)n : vm->max_vcpus;
	vm->have_stats_fd = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) > 0;
	return 0;
}

static int check_topology(struct kb_vm *vm, char *err, size_t errlen)
{
	const struct kb_smp *smp = &vm->cfg->smp;
	uint32_t max_id = 0;

	kb_topo_init(&vm->topo, smp);
	for (unsigned i = 0; i < smp->maxcpus; i++) {
		uint32_t id = kb_topo_apic_id(&vm->topo, i);

		max_id = id > max_id ? id : max_id;
	}
	if (smp->cpus > vm->max_vcpus)
		return kb_errf(err, errlen, "-smp: %u vCPUs, but this KVM allows %u", smp->cpus,
			       vm->max_vcpus);
	if (max_id >= vm->max_vcpu_id || max_id >= 255)
		return kb_errf(err, errlen,
			       "-smp: the topology needs APIC ID %u, above the limit "
			       "of %u (xAPIC IDs stop at 254); use fewer sockets or "
			       "power-of-two cores/threads",
			       max_id, vm->max_vcpu_id < 255 ? vm->max_vcpu_id - 1 : 254);
	return 0;
}

static int get_supported_cpuid(struct kb_vm *vm, char *err, size_t errlen)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		vm->cpuid = calloc(1, sizeof(*vm->cpuid) + nent * sizeof(struct kvm_cpuid_entry2));
		if (!vm->cpuid)
			return kb_errf(err, errlen, "out of memory");
		vm->cpuid->nent = nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) == 0)
			return 0;
		free(vm->cpuid);
		vm->cpuid = NULL;
		if (errno != E2BIG)
			break;
	}
	return kb_errf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
}

static int open_serial(struct kb_vm *vm, char *err, size_t errlen)
{
	char why[300];

	switch (vm->cfg->serial) {
	case KB_SERIAL_STDIO: vm->serial_out = stdout; break;
	case KB_SERIAL_FILE:
		/* With -runas the file is in a directory of that user (a run's):
		 * root follows no link and opens no FIFO planted there. */
		if (vm->cfg->runas) {
			int fd = kb_open_regular(vm->cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC,
						 why, sizeof(why));

			vm->serial_out = fd >= 0 ? fdopen(fd, "w") : NULL;
			if (!vm->serial_out && fd >= 0)
				close(fd);
		} else if (!(vm->serial_out = fopen(vm->cfg->serial_path, "we"))) {
			snprintf(why, sizeof(why), "%s: %s", vm->cfg->serial_path, strerror(errno));
		}
		if (!vm->serial_out)
			return kb_errf(err, errlen, "-serial file:%s", why);
		break;
	case KB_SERIAL_NONE: vm->serial_out = NULL; break;
	}
	return 0;
}

/* The device table (devices/devices.h): the machine's own devices. */
#define DEVICE(name) &kb_device_##name,
static const struct kb_device *const devices[] = {KB_DEVICES(DEVICE)};
#undef DEVICE

/* The PCI host bridge and a virtio device per -device (its model:
 * virtio/devices.h), named TYPE0, TYPE1... by type and order. */
static int create_pci(struct kb_vm *vm, const struct kb_machine *m, char *err, size_t errlen)
{
	const struct kb_config *c = vm->cfg;
	int r;

	if ((r = kb_pci_init(&vm->pci, &vm->bus, vm->vm_fd)))
		return kb_errf(err, errlen, "PCI host bridge: %s", strerror(-r));
	for (unsigned i = 0; i < c->ndevices; i++, vm->nvdev++) {
		const struct kb_devspec *d = &c->devices[i];
		unsigned same = 0;
		char name[32];

		/* kb_resolve_devices() gave each its backend */
		assert(d->model && !d->model->backend == (d->index < 0));
		for (unsigned k = 0; k < i; k++)
			same += c->devices[k].model == d->model;
		snprintf(name, sizeof(name), "%s%u", d->model->ops->type, same);
		if (d->model->create(&vm->vdev[i], name, d, m, err, errlen))
			return -1;
	}
	return 0;
}

/* Every device, in one place: the bench device and the UART (the VM reads
 * them), the device table's, then PCI.  Their order is their regions'. */
static int create_devices(struct kb_vm *vm, char *err, size_t errlen)
{
	const struct kb_machine m = {vm->cfg, &vm->bus, &vm->mem, &vm->result, &vm->pci, vm->vm_fd};
	int r;

	if (open_serial(vm, err, errlen))
		return -1;
	if ((r = kb_bench_init(&vm->bench, &vm->bus, vm->cfg->until, &vm->mem, &vm->result)) ||
	    (r = kb_uart_init(&vm->uart, &vm->bus, vm->serial_out, &vm->bench)))
		return kb_errf(err, errlen, "device registration failed: %s", strerror(-r));
	kb_uart_set_irq(&vm->uart, vm->vm_fd, KB_IRQ_COM1);
	kb_uart_set_cap(&vm->uart, vm->cfg->serial_cap);
	for (unsigned i = 0; i < KB_NDEVICES; i++)
		if ((r = devices[i]->create(&m, &vm->devstate[i])))
			return kb_errf(err, errlen, "device registration failed: %s", strerror(-r));
	if (create_pci(vm, &m, err, errlen))
		return -1;
	vm->pci.result = &vm->result;
	return 0;
}

/* The device table's devices, in reverse (the vCPUs have stopped); those
 * never created have no state. */
static void destroy_devices(struct kb_vm *vm)
{
	for (unsigned i = KB_NDEVICES; i-- > 0;) {
		if (devices[i]->destroy)
			devices[i]->destroy(vm->devstate[i]);
		else
			free(vm->devstate[i]);
		vm->devstate[i] = NULL;
	}
}

/* An outcome became pending: the main thread recomputes its deadline. */
static void wake_main(void *arg)
{
	struct kb_vm *vm = arg;

	pthread_kill(vm->main_thread, KB_SIG_DONE);
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

/*
 * The main thread and (by inheritance) every vCPU thread block these
 * signals; the main thread takes SIGINT, SIGTERM and KB_SIG_DONE with
 * sigtimedwait, vCPU threads unblock KB_SIG_KICK only.  Blocking them
 * before anything else means a signal during set-up waits its turn.
 */
static void setup_signals(void)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(KB_SIG_KICK, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, KB_SIG_KICK);
	sigaddset(&block, KB_SIG_DONE);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
}

static struct kb_vm *sandboxed_vm; /* for the hook, which takes no argument */

/*
 * The sandbox ends the run (sandbox.h): a VMM error with its reason.  A
 * vCPU or I/O thread stops the VM and ends; the main thread, trapped in
 * the middle of anything, cannot return to main(): it writes the stats and
 * exits here.
 */
static void sandbox_end(const char *why, enum kb_thread_kind kind)
{
	struct kb_vm *vm = sandboxed_vm;
	char err[512];

	kb_result_set(&vm->result, KB_EXIT_VMM_ERROR, "error", -1, "%s", why);
	if (kind != KB_THREAD_MAIN) {
		kb_vm_stop(vm);
		return;
	}
	if (vm->cfg->stats_path &&
	    kb_stats_write(vm->cfg->stats_path, vm->cfg, vm, &vm->result, err, sizeof(err)))
		fprintf(stderr, "kvmbench-vmm: %s\n", err);
	exit(KB_EXIT_VMM_ERROR);
}

int kb_vm_create(struct kb_vm *vm, const struct kb_config *cfg, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.fd = -1;
	vm->kstats.fd = -1;
	vm->main_thread = pthread_self();
	pthread_mutex_init(&vm->lock, NULL);
	setup_signals();
	vm->tsc_begin = kb_rdtsc();
	vm->ns_begin = kb_now_ns();
	kb_result_init(&vm->result);
	vm->result.wake = wake_main;
	vm->result.wake_arg = vm;
	kb_bus_init(&vm->bus);
	kb_host_detect(&vm->host);
	vm->boot = NULL; /* the stats say null until an image is recognised */
	sandboxed_vm = vm;
	if (kb_runas_init(cfg->runas, &vm->runas, err, errlen) ||
	    (cfg->stats_path && kb_stats_open_dir(cfg->stats_path, err, errlen)) ||
	    kb_sandbox_init(cfg, sandbox_end, err, errlen) || open_kvm(vm, err, errlen) ||
	    check_topology(vm, err, errlen) || get_supported_cpuid(vm, err, errlen))
		return -1;
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return kb_errf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KB_KVM_TSS_ADDR) < 0)
		return kb_errf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (kb_mem_init(&vm->mem, cfg, err, errlen) ||
	    kb_mem_register(&vm->mem, vm->vm_fd, err, errlen))
		return -1;
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kb_errf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	struct kvm_pit_config pit = {.flags = 0};

	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return kb_errf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
	if (create_devices(vm, err, errlen))
		return -1;
	if (vm->have_stats_fd)
		kb_kstats_open(&vm->kstats, vm->vm_fd);
	vm->t.vm_create = kb_now_ns();
	return 0;
}

/* Load the kernel by its protocol (boot/boot.h), with the initrd if any. */
static int load_kernel(struct kb_vm *vm, const uint8_t *buf, size_t size, char *why, size_t whylen)
{
	struct kb_boot_args a = {buf, size, NULL, 0, strlen(vm->cfg->append), &vm->mem};
	uint8_t *initrd = NULL;
	int rc;

	if (vm->cfg->initrd &&
	    kb_file_read(vm->cfg->initrd, vm->mem.low, &initrd, &a.initrd_size, why, whylen))
		return -1;
	a.initrd = initrd;
	rc = kb_boot_load(&a, &vm->boot, &vm->image, why, whylen);
	free(initrd);
	return rc;
}

int kb_vm_load(struct kb_vm *vm, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t size;
	char why[300];

	if (kb_file_read(vm->cfg->kernel, vm->mem.low, &buf, &size, why, sizeof(why)))
		return kb_errf(err, errlen, "-kernel: %s", why);
	if (kb_longmode_setup(&vm->mem, vm->cfg, &vm->topo, 0, err, errlen) ||
	    kb_acpi_build(&vm->mem, vm->cfg, &vm->topo, vm->cfg->dump_acpi, err, errlen)) {
		free(buf);
		return -1;
	}
	/* The boot structures go first: a Linux kernel's boot_params point at
	 * the command line and the ACPI tables. */
	kb_boot_reset_stub(&vm->mem);
	if (load_kernel(vm, buf, size, why, sizeof(why))) {
		free(buf);
		return kb_errf(err, errlen, "-kernel %s: %s", vm->cfg->kernel, why);
	}
	free(buf);
	vm->t.load = kb_now_ns();
	return 0;
}

int kb_vm_drop_root(struct kb_vm *vm, char *err, size_t errlen)
{
	if (!vm->runas.set)
		return 0;
	if (kb_runas_drop(&vm->runas, err, errlen))
		return -1;
	/* fail now rather than lose the stats at the end of the run */
	return vm->cfg->stats_path ? kb_stats_dir_writable(vm->cfg->stats_path, err, errlen) : 0;
}

/* Create every vCPU; the TSC frequency into the boot information; the
 * statistics "after set-up": everything from here on is the run. */
static int create_vcpus(struct kb_vm *vm, char *err, size_t errlen)
{
	unsigned n = vm->cfg->smp.cpus;
	struct kb_bootinfo *bi = kb_mem_gpa(&vm->mem, KB_BOOTINFO_ADDR, sizeof(*bi));
	int khz;

	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return kb_errf(err, errlen, "out of memory for %u vCPUs", n);
	for (unsigned i = 0; i < n; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < n; i++, vm->nvcpus++)
		if (kb_vcpu_create(vm, &vm->vcpus[i], i, err, errlen))
			return -1;
	khz = ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	vm->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	bi->tsc_khz = vm->tsc_khz;
	vm->t.vcpus_ready = kb_now_ns();
	kb_kstats_snapshot(&vm->kstats, true);
	for (unsigned i = 0; i < n; i++)
		kb_kstats_snapshot(&vm->vcpus[i].kstats, true);
	return 0;
}

/* Start vCPU i's thread (pinned with -vcpu-pin).  Lock held. */
static int start_vcpu(struct kb_vm *vm, unsigned i, pthread_attr_t *attr, char *err, size_t errlen)
{
	struct kb_vcpu *v = &vm->vcpus[i];
	int r = pthread_create(&v->thread, attr, kb_vcpu_thread, v);
	cpu_set_t set;

	assert(i < vm->nvcpus);
	v->started = r == 0;
	if (r)
		return kb_errf(err, errlen, "cannot start vCPU thread %u: %s", i, strerror(r));
	if (!vm->cfg->npin)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(vm->cfg->pin[i % vm->cfg->npin], &set);
	r = pthread_setaffinity_np(v->thread, sizeof(set), &set);
	if (r)
		return kb_errf(err, errlen, "-vcpu-pin: cannot pin vCPU %u to CPU %d: %s", i,
			       vm->cfg->pin[i % vm->cfg->npin], strerror(r));
	return 0;
}

int kb_vm_start_vcpus(struct kb_vm *vm, char *err, size_t errlen)
{
	pthread_attr_t attr;

	for (unsigned i = 0; i < vm->nvdev; i++) /* the first threads: after kb_vm_drop_root */
		if (kb_virtio_start(&vm->vdev[i], err, errlen))
			return -1;
	if (create_vcpus(vm, err, errlen))
		return -1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	/* Under the lock, a vCPU is either started and kickable or never
	 * started: kb_vm_stop() cannot slip in between.  The lock is held until
	 * this thread is sandboxed too; vCPU threads take it before their first
	 * KVM_RUN, so no guest instruction runs outside the sandbox. */
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nvcpus && !vm->stopping; i++) /* stopping: it ended */
		if (start_vcpu(vm, i, &attr, err, errlen))
			goto fail;
	if (kb_sandbox_enter(KB_THREAD_MAIN, err, errlen))
		goto fail;
	pthread_mutex_unlock(&vm->lock);
	pthread_attr_destroy(&attr);
	return 0;
fail:
	pthread_mutex_unlock(&vm->lock);
	pthread_attr_destroy(&attr);
	kb_vm_stop(vm);
	return -1;
}

void kb_vm_stop(struct kb_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	__atomic_store_n(&vm->stopping, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct kb_vcpu *v = &vm->vcpus[i];

		if (v->run)
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (v->started)
			pthread_kill(v->thread, KB_SIG_KICK);
	}
	pthread_mutex_unlock(&vm->lock);
	pthread_kill(vm->main_thread, KB_SIG_DONE);
}

void kb_vm_wait(struct kb_vm *vm)
{
	sigset_t set;
	bool timed = vm->cfg->timeout_s > 0;
	uint64_t timeout_ns = kb_now_ns() + (uint64_t)(vm->cfg->timeout_s * 1e9);

	sigemptyset(&set);
	sigaddset(&set, KB_SIG_DONE);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	while (!__atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST)) {
		uint64_t now = kb_now_ns(), pending_ns, until = timeout_ns;
		bool pending = kb_result_deadline(&vm->result, &pending_ns);
		struct timespec left;
		int sig;

		if (pending && now >= pending_ns) {
			kb_result_commit(&vm->result); /* its grace period is over */
			break;
		}
		if (timed && now >= timeout_ns) {
			kb_result_set(&vm->result, KB_EXIT_TIMEOUT, "timeout", -1,
				      "no result within %g s (-timeout)", vm->cfg->timeout_s);
			break;
		}
		if (pending && (!timed || pending_ns < until))
			until = pending_ns;
		if (timed || pending) {
			left.tv_sec = (time_t)((until - now) / 1000000000u);
			left.tv_nsec = (long)((until - now) % 1000000000u);
			sig = sigtimedwait(&set, NULL, &left);
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (sig == SIGINT || sig == SIGTERM) {
			kb_result_set(&vm->result, 128 + sig, "interrupted", -1,
				      "the VMM received %s", strsignal(sig));
			break;
		}
	}
	kb_vm_stop(vm);
}

static uint64_t proc_status_kib(const char *key)
{
	char line[256];
	uint64_t v = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen)) {
			v = strtoull(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

void kb_vm_finish(struct kb_vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].started = false;
		}
	vm->t.end = kb_now_ns();
	kb_result_commit(&vm->result); /* a panic still pending when the VM stopped */
	/* A hung guest: say where every vCPU was, for the post-mortem. */
	if (vm->result.set && !strcmp(vm->result.status, "timeout"))
		for (unsigned i = 0; i < vm->nvcpus; i++)
			kb_vcpu_report_state(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->nvdev; i++) /* their counters are final now */
		kb_virtio_stop(&vm->vdev[i]);
	kb_uart_flush(&vm->uart);
	kb_kstats_snapshot(&vm->kstats, false);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		kb_kstats_snapshot(&vm->vcpus[i].kstats, false);
	uint64_t dns = kb_now_ns() - vm->ns_begin;

	vm->tsc_per_ns = dns ? (double)(kb_rdtsc() - vm->tsc_begin) / (double)dns : 0;
	vm->rss_peak_kib = proc_status_kib("VmHWM:");
	vm->guest_resident_kib = kb_mem_resident(&vm->mem) / 1024;
}

void kb_vm_destroy(struct kb_vm *vm)
{
	if (vm->nvcpus && !__atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST))
		kb_vm_stop(vm);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		kb_vcpu_destroy(&vm->vcpus[i]);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nvcpus = 0;
	for (unsigned i = 0; i < vm->nvdev; i++)
		kb_virtio_destroy(&vm->vdev[i]);
	vm->nvdev = 0;
	kb_pci_destroy(&vm->pci);
	destroy_devices(vm);
	kb_kstats_destroy(&vm->kstats);
	kb_bench_destroy(&vm->bench);
	if (vm->serial_out && vm->serial_out != stdout)
		fclose(vm->serial_out);
	vm->serial_out = NULL;
	kb_mem_destroy(&vm->mem);
	free(vm->cpuid);
	vm->cpuid = NULL;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}
