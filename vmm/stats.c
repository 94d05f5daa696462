/*
 * The stats JSON: one document per VMM run, schema 1, documented field by
 * field in docs/stats-json.md.  It is written to PATH.tmp and renamed, so a
 * reader never sees half a file, and it is written whatever happened: a
 * VMM that failed half-way still says what it had and why it stopped.
 */
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "sandbox.h"
#include "common/util.h"
#include "kvmbench/abi.h"
#include "vm.h"
#include "common/version.h"

static const char *serial_name(enum kb_serial s)
{
	return s == KB_SERIAL_STDIO ? "stdio" : s == KB_SERIAL_FILE ? "file" : "none";
}

static void put_config(struct kb_json *j, const struct kb_config *cfg, const struct kb_vm *vm)
{
	kb_json_object(j, "config");
	kb_json_u64(j, "vcpus", cfg->smp.cpus);
	kb_json_u64(j, "maxcpus", cfg->smp.maxcpus);
	kb_json_u64(j, "sockets", cfg->smp.sockets);
	kb_json_u64(j, "cores", cfg->smp.cores);
	kb_json_u64(j, "threads", cfg->smp.threads);
	kb_json_u64(j, "numa_nodes", cfg->numa.nnodes ? cfg->numa.nnodes : 1);
	kb_json_u64(j, "memory_bytes", cfg->mem_size);
	kb_json_str(j, "memory_backing", vm ? vm->mem.backing : NULL);
	kb_json_u64(j, "backing_page_size", vm ? vm->mem.page_size : 0);
	kb_json_bool(j, "mem_prealloc", cfg->mem_prealloc);
	kb_json_str(j, "kernel", cfg->kernel);
	kb_json_str(j, "cmdline", cfg->append);
	kb_json_str(j, "boot_protocol", vm && vm->boot ? vm->boot->name : NULL);
	kb_json_str(j, "serial", serial_name(cfg->serial));
	kb_json_u64(j, "serial_cap", cfg->serial_cap);
	kb_json_dbl(j, "timeout_s", cfg->timeout_s);
	kb_json_array(j, "vcpu_pin");
	for (unsigned i = 0; i < cfg->npin; i++)
		kb_json_i64(j, NULL, cfg->pin[i]);
	kb_json_end(j, ']');
	kb_json_u64(j, "test_exit_delay_ns", cfg->exit_delay_ns);
	kb_json_array(j, "apic_ids");
	for (unsigned i = 0; vm && i < vm->nvcpus; i++)
		kb_json_u64(j, NULL, vm->vcpus[i].apic_id);
	kb_json_end(j, ']');
	kb_json_end(j, '}');
}

static void put_host(struct kb_json *j, const struct kb_vm *vm)
{
	struct kb_host h;

	if (vm)
		h = vm->host;
	else
		kb_host_detect(&h);
	kb_json_object(j, "host");
	kb_json_str(j, "cpu_vendor", h.cpu_vendor);
	kb_json_str(j, "cpu_model", h.cpu_model);
	kb_json_str(j, "kernel", h.kernel);
	kb_json_str(j, "kvm_module", h.kvm_module);
	kb_json_str(j, "paging", h.paging);
	kb_json_bool(j, "pvm", h.pvm);
	kb_json_str(j, "kind", h.kind);
	kb_json_bool(j, "timings_emulated", h.emulated);
	kb_json_str(j, "tdp_mmu", h.tdp_mmu);
	kb_json_str(j, "thp", h.thp);
	kb_json_i64(j, "online_cpus", h.online_cpus);
	kb_json_i64(j, "kvm_api_version", vm ? vm->api_version : 0);
	kb_json_u64(j, "kvm_max_vcpus", vm ? vm->max_vcpus : 0);
	kb_json_u64(j, "tsc_khz", vm ? vm->tsc_khz : 0);
	kb_json_end(j, '}');
}

static void put_sandbox(struct kb_json *j, const struct kb_vm *vm)
{
	struct kb_sandbox_state s;

	kb_sandbox_state(&s);
	kb_json_object(j, "sandbox");
	kb_json_str(j, "seccomp", s.seccomp);
	kb_json_bool(j, "no_new_privs", s.no_new_privs);
	if (s.rlimit_fsize == UINT64_MAX)
		kb_json_null(j, "rlimit_fsize");
	else
		kb_json_u64(j, "rlimit_fsize", s.rlimit_fsize);
	if (s.rlimit_nofile == UINT64_MAX)
		kb_json_null(j, "rlimit_nofile");
	else
		kb_json_u64(j, "rlimit_nofile", s.rlimit_nofile);
	kb_json_u64(j, "threads_filtered", s.threads_filtered);
	kb_json_str(j, "user", vm && vm->runas.set ? vm->runas.user : NULL);
	kb_json_u64(j, "uid", vm ? vm->runas.uid : (uint64_t)getuid());
	kb_json_u64(j, "gid", vm ? vm->runas.gid : (uint64_t)getgid());
	kb_json_end(j, '}');
}

static void put_timings(struct kb_json *j, const struct kb_vm *vm, const struct kb_result *res)
{
	kb_json_object(j, "timings_ns");
	kb_json_u64(j, "epoch_monotonic", kb_epoch_ns());
	kb_json_u64(j, "vm_create", vm ? vm->t.vm_create : 0);
	kb_json_u64(j, "load", vm && vm->t.load ? vm->t.load - vm->t.vm_create : 0);
	kb_json_u64(j, "vcpus_ready", vm ? vm->t.vcpus_ready : 0);
	kb_json_u64(j, "first_entry", vm && vm->nvcpus ? vm->vcpus[0].first_entry_ns : 0);
	kb_json_u64(j, "result", res->set ? res->t_ns : 0);
	kb_json_u64(j, "total", vm && vm->t.end ? vm->t.end : kb_now_ns());
	kb_json_end(j, '}');
}

static void put_records(struct kb_json *j, const struct kb_vm *vm)
{
	kb_json_array(j, "marks");
	for (unsigned i = 0; vm && i < vm->bench.nmarks; i++) {
		const struct kb_mark *m = &vm->bench.marks[i];

		kb_json_object(j, NULL);
		kb_json_str(j, "name", m->name);
		kb_json_u64(j, "vcpu", m->vcpu);
		kb_json_u64(j, "t_ns", m->t_ns);
		kb_json_u64(j, "guest_tsc", m->guest_tsc);
		kb_json_end(j, '}');
	}
	kb_json_end(j, ']');
	kb_json_array(j, "metrics");
	for (unsigned i = 0; vm && i < vm->bench.nmetrics; i++) {
		const struct kb_metric *m = &vm->bench.metrics[i];

		kb_json_object(j, NULL);
		kb_json_str(j, "name", m->name);
		kb_json_dbl(j, "value", m->value);
		kb_json_str(j, "unit", m->unit);
		kb_json_u64(j, "vcpu", m->vcpu);
		kb_json_end(j, '}');
	}
	kb_json_end(j, ']');
	kb_json_object(j, "bench_device");
	kb_json_u64(j, "bad_requests", vm ? vm->bench.bad_requests : 0);
	if (vm && vm->bench.first_bad[0])
		kb_json_str(j, "first_bad_request", vm->bench.first_bad);
	kb_json_u64(j, "dropped_records", vm ? vm->bench.dropped : 0);
	kb_json_end(j, '}');
	kb_json_object(j, "console");
	kb_json_u64(j, "bytes", vm ? vm->uart.bytes_out : 0);
	kb_json_u64(j, "dropped_bytes", vm ? vm->uart.out_dropped : 0);
	kb_json_end(j, '}');
}

static void put_reasons(struct kb_json *j, const struct kb_acct *a)
{
	kb_json_object(j, "by_reason");
	for (unsigned r = 0; r < KB_EXIT_REASONS; r++) {
		char other[32];
		const char *name = kb_exit_reason_name(r);

		if (!a->by_reason[r])
			continue;
		if (!name) {
			snprintf(other, sizeof(other), "reason_%u", r);
			name = other;
		}
		kb_json_u64(j, name, a->by_reason[r]);
	}
	kb_json_end(j, '}');
}

static uint64_t cycles_to_ns(const struct kb_vm *vm, uint64_t c)
{
	return vm->tsc_per_ns > 0 ? (uint64_t)((double)c / vm->tsc_per_ns) : 0;
}

static void put_regions(struct kb_json *j, const struct kb_vm *vm, const struct kb_acct *all)
{
	kb_json_array(j, "by_region");
	for (unsigned id = 0; id < vm->bus.nids; id++) {
		const struct kb_region *r = NULL;
		enum kb_space sp = vm->bus.spaces[id];

		if (!all->by_region[id])
			continue;
		for (unsigned k = 0; k < vm->bus.n[sp]; k++)
			if (vm->bus.r[sp][k].id == id)
				r = &vm->bus.r[sp][k];
		kb_json_object(j, NULL);
		kb_json_str(j, "space", sp == KB_SPACE_PIO ? "pio" : "mmio");
		kb_json_str(j, "name", vm->bus.names[id]);
		if (r) {
			kb_json_u64(j, "base", r->base);
			kb_json_u64(j, "length", r->len);
		}
		kb_json_u64(j, "count", all->by_region[id]);
		kb_json_end(j, '}');
	}
	kb_json_end(j, ']');
	kb_json_array(j, "unhandled");
	for (unsigned i = 0; i < all->nunhandled; i++) {
		kb_json_object(j, NULL);
		kb_json_str(j, "space", all->unhandled[i].space == KB_SPACE_PIO ? "pio" : "mmio");
		kb_json_u64(j, "addr", all->unhandled[i].addr);
		kb_json_u64(j, "count", all->unhandled[i].count);
		kb_json_end(j, '}');
	}
	kb_json_end(j, ']');
	kb_json_u64(j, "unhandled_other", all->unhandled_other);
}

static void put_exits(struct kb_json *j, const struct kb_vm *vm)
{
	struct kb_acct all;

	memset(&all, 0, sizeof(all));
	for (unsigned i = 0; vm && i < vm->nvcpus; i++)
		kb_acct_add(&all, &vm->vcpus[i].acct);
	kb_json_object(j, "exits");
	kb_json_u64(j, "total", all.total);
	put_reasons(j, &all);
	if (vm)
		put_regions(j, vm, &all);
	kb_json_object(j, "handling_ns");
	kb_json_u64(j, "total", vm ? cycles_to_ns(vm, all.handle_cycles) : 0);
	kb_json_u64(j, "max", vm ? cycles_to_ns(vm, all.handle_max_cycles) : 0);
	kb_json_end(j, '}');
	kb_json_array(j, "per_vcpu");
	for (unsigned i = 0; vm && i < vm->nvcpus; i++) {
		const struct kb_vcpu *v = &vm->vcpus[i];

		kb_json_object(j, NULL);
		kb_json_u64(j, "vcpu", v->index);
		kb_json_u64(j, "apic_id", v->apic_id);
		kb_json_u64(j, "total", v->acct.total);
		put_reasons(j, &v->acct);
		kb_json_u64(j, "handling_ns", cycles_to_ns(vm, v->acct.handle_cycles));
		kb_json_end(j, '}');
	}
	kb_json_end(j, ']');
	kb_json_end(j, '}');
}

static void put_kstats(struct kb_json *j, const char *key, const struct kb_kstats *s,
		       bool skip_zero)
{
	kb_json_object(j, key);
	for (unsigned i = 0; s->fd >= 0 && i < s->n; i++) {
		uint64_t v = kb_kstats_value(s, i);

		if (!skip_zero || v)
			kb_json_u64(j, s->desc[i].name, v);
	}
	kb_json_end(j, '}');
}

static void put_kvm_stats(struct kb_json *j, const struct kb_vm *vm)
{
	kb_json_object(j, "kvm_stats");
	kb_json_bool(j, "available", vm && vm->kstats.fd >= 0);
	if (vm && vm->kstats.fd >= 0) {
		put_kstats(j, "vm", &vm->kstats, false);
		/* Sum of every vCPU, stat by stat (descriptors are identical). */
		kb_json_object(j, "vcpu");
		const struct kb_kstats *s0 = vm->nvcpus ? &vm->vcpus[0].kstats : NULL;

		for (unsigned i = 0; s0 && s0->fd >= 0 && i < s0->n; i++) {
			uint64_t sum = 0;

			for (unsigned c = 0; c < vm->nvcpus; c++)
				if (vm->vcpus[c].kstats.fd >= 0 && i < vm->vcpus[c].kstats.n)
					sum += kb_kstats_value(&vm->vcpus[c].kstats, i);
			kb_json_u64(j, s0->desc[i].name, sum);
		}
		kb_json_end(j, '}');
		kb_json_array(j, "per_vcpu");
		for (unsigned c = 0; c < vm->nvcpus; c++)
			put_kstats(j, NULL, &vm->vcpus[c].kstats, true);
		kb_json_end(j, ']');
	}
	kb_json_end(j, '}');
}

static void put_devices(struct kb_json *j, const struct kb_vm *vm)
{
	kb_json_array(j, "devices");
	for (unsigned i = 0; vm && i < vm->nvdev; i++) {
		const struct kb_virtio_dev *v = &vm->vdev[i];

		kb_json_object(j, NULL);
		kb_json_str(j, "name", v->name);
		kb_json_str(j, "type", v->ops->type);
		kb_json_u64(j, "pci_slot", v->pci.slot);
		kb_json_bool(j, "ioeventfd", v->ioeventfd);
		kb_json_u64(j, "status", v->status);
		kb_json_u64(j, "features", v->guest_features);
		kb_json_u64(j, "requests", v->requests);
		kb_json_u64(j, "bytes_read", v->bytes_read);
		kb_json_u64(j, "bytes_written", v->bytes_written);
		kb_json_u64(j, "errors", v->errors);
		kb_json_u64(j, "dropped", v->dropped);
		kb_json_u64(j, "interrupts", v->pci.interrupts);
		kb_json_u64(j, "masked_interrupts", v->pci.masked_interrupts);
		kb_json_u64(j, "intx_asserts", v->pci.intx_asserts);
		kb_json_str(j, "broken", v->broken[0] ? v->broken : NULL);
		kb_json_str(j, "last_broken", v->last_broken[0] ? v->last_broken : NULL);
		kb_json_u64(j, "broken_count", v->broken_count);
		kb_json_u64(j, "resets_after_broken", v->resets);
		kb_json_array(j, "queues");
		for (unsigned q = 0; q < v->ops->nqueues; q++) {
			kb_json_object(j, NULL);
			kb_json_u64(j, "index", q);
			kb_json_u64(j, "size", v->q[q].size);
			kb_json_u64(j, "chains", v->q[q].chains);
			kb_json_u64(j, "notifies_exit", v->q[q].notifies_exit);
			kb_json_u64(j, "notifies_eventfd", v->q[q].notifies_eventfd);
			kb_json_u64(j, "interrupts", v->q[q].interrupts);
			kb_json_end(j, '}');
		}
		kb_json_end(j, ']');
		kb_json_end(j, '}');
	}
	kb_json_end(j, ']');
}

static void put_result(struct kb_json *j, const struct kb_vm *vm, const struct kb_result *res)
{
	kb_json_object(j, "resources");
	kb_json_u64(j, "rss_peak_kib", vm ? vm->rss_peak_kib : 0);
	kb_json_u64(j, "guest_resident_kib", vm ? vm->guest_resident_kib : 0);
	kb_json_u64(j, "vmm_overhead_kib",
		    vm && vm->rss_peak_kib > vm->guest_resident_kib
			? vm->rss_peak_kib - vm->guest_resident_kib
			: 0);
	kb_json_end(j, '}');
	kb_json_object(j, "result");
	kb_json_str(j, "status", res->set ? res->status : "unknown");
	kb_json_i64(j, "exit_code", res->set ? res->exit_code : KB_EXIT_GUEST_CRASH);
	kb_json_str(j, "reason", res->set ? res->reason : "the VM ended without a result");
	if (res->vcpu >= 0)
		kb_json_i64(j, "vcpu", res->vcpu);
	else
		kb_json_null(j, "vcpu");
	kb_json_end(j, '}');
}

/* The directory of the stats, opened before -runas gives root up: the
 * file is made in it with openat() and renameat(), for which the directory
 * itself must be writable but not every directory above it (logs/ under
 * root's home, a test's tmp_path, both of mode 0700).  -1 until opened. */
static int stats_dir = -1;

int kb_stats_open_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	if (stats_dir >= 0)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	stats_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (stats_dir < 0)
		return kb_errf(err, errlen, "-stats %s: its directory %s: %s", path, dir,
			       strerror(errno));
	return 0;
}

int kb_stats_dir_writable(const char *path, char *err, size_t errlen)
{
	if (kb_stats_open_dir(path, err, errlen))
		return -1;
	if (faccessat(stats_dir, ".", W_OK | X_OK, 0)) /* the real user: -runas's now */
		return kb_errf(err, errlen, "-stats %s: uid %u cannot write its directory: %s",
			       path, (unsigned)getuid(), strerror(errno));
	return 0;
}

int kb_stats_write(const char *path, const struct kb_config *cfg, struct kb_vm *vm,
		   const struct kb_result *res, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char tmp[4096], why[300];
	struct kb_json j;
	FILE *f = NULL;
	int rc, fd;

	if (kb_stats_open_dir(path, err, errlen))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", base);
	fd = kb_openat_regular(stats_dir, tmp, O_WRONLY | O_CREAT | O_TRUNC, why, sizeof(why));
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return kb_errf(err, errlen, "-stats %s: %s", path, fd < 0 ? why : strerror(errno));
	}
	kb_json_init(&j, f);
	kb_json_object(&j, NULL);
	kb_json_u64(&j, "schema", KB_STATS_SCHEMA);
	kb_json_object(&j, "vmm");
	kb_json_str(&j, "name", "kvmbench-vmm");
	kb_json_str(&j, "version", KB_VERSION);
	kb_json_str(&j, "git", KB_GIT);
	kb_json_end(&j, '}');
	kb_json_str(&j, "name", cfg->name);
	put_config(&j, cfg, vm);
	put_host(&j, vm);
	put_sandbox(&j, vm);
	put_timings(&j, vm, res);
	put_records(&j, vm);
	put_exits(&j, vm);
	put_kvm_stats(&j, vm);
	put_devices(&j, vm);
	put_result(&j, vm, res);
	kb_json_end(&j, '}');
	rc = kb_json_finish(&j);
	if (fclose(f) || rc || renameat(stats_dir, tmp, stats_dir, base)) {
		snprintf(err, errlen, "-stats %s: write failed: %s", path, strerror(errno));
		unlinkat(stats_dir, tmp, 0);
		return -1;
	}
	return 0;
}
