#!/usr/bin/env python3
"""A well-behaved stand-in for kvmbench-vmm: no KVM, no guest, but the
outcome, console and a valid stats JSON (docs/stats-json.md, schema 1) a
run of the workload would leave, with the exit status of that outcome
(docs/exit-status.md).  tests/fake/vmm.sh runs it (FAKE_MODE=run); it takes
the VMM's options, and uses -kernel (the workload is the guest's name:
build/guests/pio.elf is pio), -append, -smp, -m, -name, -serial, -serial-cap,
-stats, -timeout, -until, -device, -drive and -test-exit-delay.

Settings, each from the guest command line (fake.KEY=VALUE in -append) or
else the environment (FAKE_KEY): a value, or WORKLOAD=VALUE,... for some
workloads only (the others keep the default).
  status  pass (default), fail, crash, timeout, skip or error
  ns      the workload's time per iteration, ns (default: 1000-9999, from
          the workload's name)
  spread  noise: every run's value is ns * (1 + u), u uniform in
          [-spread, spread] (default 0)
  slow    a factor on the time (default 1); -test-exit-delay NS adds NS
          per iteration, as the VMM's busy-wait adds it to every exit
  sleep   seconds the run takes (default 0); a run longer than -timeout
          ends at the timeout with status timeout
  seed    mixed into the noise (default 0); the noise is otherwise fixed by
          the campaign number, the run's directory and -name, so a test
          sees the same values every time
Workloads hello, fail and crash report no metrics, as those guests; any
other workload W that passes reports W (cycles), W_ns, W_iterations and
W_last_round, as the benchmark guests do.  Each -device (and -drive
if=virtio) is a device that served 16 requests, its notify exits counted
when ioeventfd=off.
"""
import hashlib
import json
import os
import random
import re
import sys
import time

VALUED = {"-m", "-smp", "-kernel", "-append", "-serial", "-serial-cap", "-name", "-cpu",
          "-accel", "-mem-path", "-mem-thp", "-stats", "-timeout", "-vcpu-pin",
          "-test-exit-delay", "-numa", "-dump-acpi", "-initrd", "-machine", "-drive",
          "-netdev", "-device", "-until", "-sandbox", "-runas"}
EXIT_STATUS = {"pass": 0, "until": 0, "error": 1, "fail": 2, "crash": 3, "skip": 77,
               "timeout": 124}
REASONS = {"pass": "guest reported pass", "fail": "the fake guest fails on purpose",
           "crash": "vCPU 0: triple fault (KVM_EXIT_SHUTDOWN); fake VMM",
           "skip": "the fake guest skips", "error": "fake VMM error on purpose"}
NO_METRICS = {"hello", "fail", "crash"}
TSC_KHZ = 2600000
ITERATIONS, LAST_ROUND = 1024, 512
REQUESTS = 16


def parse_args(argv):
    """The VMM's options as {option: [values]} (flags: [True])."""
    opts = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in VALUED and i + 1 < len(argv):
            opts.setdefault(a, []).append(argv[i + 1])
            i += 2
        else:
            opts.setdefault(a, []).append(True)
            i += 1
    return opts


def last(opts, name, default=None):
    return opts.get(name, [default])[-1]


def setting(key, workload, cmdline, default):
    """A setting: fake.KEY= on the guest command line, else FAKE_KEY."""
    for word in cmdline.split():
        if word.startswith(f"fake.{key}="):
            return word.split("=", 1)[1]
    value = os.environ.get(f"FAKE_{key.upper()}", "")
    if "=" not in value:
        return value or default
    for part in value.split(","):
        w, _, v = part.partition("=")
        if w.strip() == workload:
            return v.strip()
    return default


def topology(smp):
    """-smp N[,sockets=S][,cores=C][,threads=T] -> (vcpus, sockets, cores, threads)."""
    parts = smp.split(",")
    kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    n = int(parts[0])
    threads = int(kv.get("threads", 1))
    sockets = int(kv.get("sockets", 1))
    cores = int(kv.get("cores", max(1, n // (sockets * threads))))
    return n, sockets, cores, threads


def size(text, unit=1 << 20):
    """A size with an optional K/M/G/T suffix; a bare number counts in unit."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text[-1:].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(float(text) * unit)


def noise_source(opts, seed):
    """Random numbers fixed by the run: campaign number, run directory, -name."""
    stats = os.path.abspath(last(opts, "-stats", "stats.json"))
    run_dir = os.path.dirname(stats)
    campaign = os.path.basename(os.path.dirname(run_dir)).split("-")[0]
    ident = f"{seed}/{campaign}/{os.path.basename(run_dir)}/{last(opts, '-name', '')}"
    return random.Random(hashlib.sha256(ident.encode()).hexdigest())


def default_ns(workload):
    return 1000 + int(hashlib.sha256(workload.encode()).hexdigest(), 16) % 9000


def case_metrics(w, ns):
    """The four metrics of benchmark case w at ns per iteration."""
    return [{"name": w, "value": round(ns * TSC_KHZ / 1e6, 3), "unit": "cycles", "vcpu": 0},
            {"name": f"{w}_ns", "value": round(ns, 3), "unit": "ns", "vcpu": 0},
            {"name": f"{w}_iterations", "value": ITERATIONS, "unit": "count", "vcpu": 0},
            {"name": f"{w}_last_round", "value": LAST_ROUND, "unit": "count", "vcpu": 0}]


def device_list(opts):
    """Each -device (and -drive if=virtio): (type, ioeventfd on)."""
    devs = [(d.split(",")[0].removesuffix("-pci"), "ioeventfd=off" not in d)
            for d in opts.get("-device", []) if isinstance(d, str)]
    devs += [("virtio-blk", True) for d in opts.get("-drive", [])
             if isinstance(d, str) and "if=virtio" in d]
    return devs


def devices(opts):
    """The devices section, and the exits charged to each device's regions."""
    out, regions, seen = [], [], {}
    for slot, (kind, ioeventfd) in enumerate(device_list(opts), start=1):
        name = f"{kind}{seen.get(kind, 0)}"
        seen[kind] = seen.get(kind, 0) + 1
        notify = 0 if ioeventfd else REQUESTS
        out.append({"name": name, "type": kind, "pci_slot": slot, "ioeventfd": ioeventfd,
                    "status": 15, "features": 0, "requests": REQUESTS,
                    "bytes_read": REQUESTS * 4096, "bytes_written": 0, "errors": 0,
                    "dropped": 0, "interrupts": REQUESTS, "masked_interrupts": 0,
                    "intx_asserts": 0, "broken": None, "last_broken": None,
                    "broken_count": 0, "resets_after_broken": 0,
                    "queues": [{"index": 0, "size": 256, "chains": REQUESTS,
                                "notifies_exit": notify,
                                "notifies_eventfd": REQUESTS - notify,
                                "interrupts": REQUESTS}]})
        regions.append({"space": "mmio", "name": f"{name}.notify", "base": 0xfe000000 + slot,
                        "length": 4, "count": notify})
    return out, regions


def apic_ids(vcpus, cores, threads):
    """APIC IDs in vCPU order: thread, core and socket fields as CPUID gives them."""
    tbits, cbits = (threads - 1).bit_length(), (cores - 1).bit_length()
    return [((i // (threads * cores)) << (tbits + cbits)) | ((i // threads % cores) << tbits)
            | (i % threads) for i in range(vcpus)]


class Run:
    """One run as the options and settings describe it."""

    def __init__(self, opts):
        self.opts = opts
        self.start = time.monotonic_ns()
        kernel = last(opts, "-kernel", "hello")
        self.workload = os.path.basename(kernel).removesuffix(".elf")
        self.cmdline = last(opts, "-append", "")
        self.vcpus, self.sockets, self.cores, self.threads = topology(last(opts, "-smp", "1"))
        self.status = self.get("status", "pass")
        self.rnd = noise_source(opts, self.get("seed", "0"))

    def get(self, key, default):
        return setting(key, self.workload, self.cmdline, default)

    def metrics(self):
        if self.workload in NO_METRICS or self.status not in ("pass", "until"):
            return []
        spread = float(self.get("spread", "0"))
        ns = float(self.get("ns", default_ns(self.workload)))
        ns *= 1 + spread * (2 * self.rnd.random() - 1)
        ns = ns * float(self.get("slow", "1")) + float(last(self.opts, "-test-exit-delay", 0))
        return case_metrics(self.workload, ns)

    def wait(self):
        """Take the run's time; past -timeout the outcome is a timeout."""
        sleep, timeout = float(self.get("sleep", "0")), float(last(self.opts, "-timeout", 0))
        if self.status == "timeout" or (timeout and sleep > timeout):
            time.sleep(timeout)
            self.status = "timeout"
        else:
            time.sleep(sleep)

    def reason(self, console):
        if self.status == "timeout":
            return f"no result within {float(last(self.opts, '-timeout', 0)):g} s (-timeout)"
        until = last(self.opts, "-until")
        line = next((l for l in console.splitlines() if until and re.search(until, l)), None)
        if self.status == "pass" and line is not None:
            self.status = "until"
            return f"the console matched /{until}/: {line[:150]}"
        return REASONS[self.status]


def console_out(run, metrics):
    """The guest's console, written to the -serial backend; (text, dropped)."""
    mib = size(last(run.opts, "-m", "128M")) >> 20
    text = (f"Hello from kvmbench fake guest {run.workload} on {run.vcpus} vCPU(s), "
            f"{mib} MiB\n" + "".join(f"KVMBENCH METRIC {m['name']} {m['value']} {m['unit']}\n"
                                     for m in metrics))
    cap = size(last(run.opts, "-serial-cap", "64M"), unit=1)
    kept = text if not cap or len(text) <= cap else text[:cap]
    note = "" if kept == text else \
        f"\n[kvmbench-vmm: console output capped at {cap} bytes; the rest is dropped]\n"
    serial = last(run.opts, "-serial", "stdio")
    if serial == "stdio":
        sys.stdout.write(kept + note)
    elif serial.startswith("file:"):
        with open(serial[5:], "w") as f:
            f.write(kept + note)
    return text, len(text) - len(kept)



def exits(run, console_bytes, nmarks, nmetrics, device_regions):
    """The exits section: the console's, the bench device's, the workload's
    (one per iteration, to an unclaimed port) and the devices'."""
    regions = [{"space": "pio", "name": "com1", "base": 0x3f8, "length": 8,
                "count": console_bytes},
               {"space": "pio", "name": "bench", "base": 0x4b0, "length": 4,
                "count": 2 + nmarks + nmetrics}]
    unhandled = ITERATIONS if nmetrics else 0
    if unhandled:
        regions.append({"space": "pio", "name": "unhandled", "count": unhandled})
    regions += device_regions
    io = sum(r["count"] for r in regions if r["space"] == "pio")
    mmio = sum(r["count"] for r in regions if r["space"] == "mmio")
    delay = int(float(last(run.opts, "-test-exit-delay", 0)))
    per_vcpu = [{"vcpu": 0, "apic_id": 0, "total": io + mmio,
                 "by_reason": {k: v for k, v in (("io", io), ("mmio", mmio)) if v},
                 "handling_ns": (io + mmio) * (400 + delay)}]
    per_vcpu += [{"vcpu": i, "apic_id": a, "total": 1, "by_reason": {"hlt": 1},
                  "handling_ns": 200}
                 for i, a in enumerate(apic_ids(run.vcpus, run.cores, run.threads)[1:], 1)]
    by_reason = {}
    for v in per_vcpu:
        for k, n in v["by_reason"].items():
            by_reason[k] = by_reason.get(k, 0) + n
    return {"total": sum(by_reason.values()), "by_reason": by_reason, "by_region": regions,
            "unhandled": [{"space": "pio", "addr": 0xe0, "count": unhandled}] if unhandled
            else [],
            "unhandled_other": 0,
            "handling_ns": {"total": sum(v["handling_ns"] for v in per_vcpu),
                            "max": 400 + delay},
            "per_vcpu": per_vcpu}


def kvm_stats(ex):
    vcpu = {"exits": ex["total"], "io_exits": ex["by_reason"].get("io", 0),
            "mmio_exits": ex["by_reason"].get("mmio", 0),
            "halt_exits": ex["by_reason"].get("hlt", 0), "pf_fixed": 0, "tlb_flush": 1}
    return {"available": True,
            "vm": {"mmu_pte_write": 0, "mmu_shadow_zapped": 0, "remote_tlb_flush": 0},
            "vcpu": vcpu,
            "per_vcpu": [{"exits": v["total"]} for v in ex["per_vcpu"]]}


def host():
    return {"cpu_vendor": "FakeVendor", "cpu_model": "fake CPU", "kernel": os.uname().release,
            "kvm_module": "unknown", "paging": "unknown", "pvm": False, "kind": "none",
            "timings_emulated": False, "tdp_mmu": "", "thp": "never",
            "online_cpus": os.cpu_count(), "kvm_api_version": 12, "kvm_max_vcpus": 1024,
            "tsc_khz": TSC_KHZ}


def config(run):
    o = run.opts
    memory = size(last(o, "-m", "128M"))
    return {"vcpus": run.vcpus, "maxcpus": run.vcpus, "sockets": run.sockets,
            "cores": run.cores, "threads": run.threads,
            "numa_nodes": max(1, sum(str(n).startswith("node") for n in o.get("-numa", []))),
            "memory_bytes": memory, "memory_backing": "anonymous", "backing_page_size": 4096,
            "mem_prealloc": "-mem-prealloc" in o, "kernel": last(o, "-kernel"),
            "cmdline": run.cmdline, "boot_protocol": "micro",
            "serial": last(o, "-serial", "stdio").split(":")[0],
            "serial_cap": size(last(o, "-serial-cap", "64M"), unit=1),
            "timeout_s": float(last(o, "-timeout", 0)), "vcpu_pin": [],
            "test_exit_delay_ns": int(float(last(o, "-test-exit-delay", 0))),
            "apic_ids": apic_ids(run.vcpus, run.cores, run.threads)}


def stats_doc(run):
    """The whole stats JSON of the run (it has waited already)."""
    metrics = run.metrics()
    marks = [{"name": "main", "vcpu": 0, "t_ns": 1000000, "guest_tsc": 0}]
    if metrics:
        marks += [{"name": n, "vcpu": 0, "t_ns": t, "guest_tsc": t * 3}
                  for n, t in ((run.workload, 2000000), (f"{run.workload}_end", 3000000))]
    text, dropped = console_out(run, metrics)
    devs, dev_regions = devices(run.opts)
    ex = exits(run, len(text) - dropped, len(marks), len(metrics), dev_regions)
    total = time.monotonic_ns() - run.start
    reason = run.reason(text)
    return {
        "schema": 1, "vmm": {"name": "kvmbench-vmm", "version": "0.1", "git": "fake"},
        "name": last(run.opts, "-name", "kvmbench"), "config": config(run), "host": host(),
        "sandbox": {"seccomp": "on", "no_new_privs": True, "rlimit_fsize": 1 << 30,
                    "rlimit_nofile": 40, "threads_filtered": 1 + run.vcpus,
                    "user": None, "uid": os.getuid(), "gid": os.getgid()},
        "timings_ns": {"epoch_monotonic": run.start, "vm_create": 100000, "load": 50000,
                       "vcpus_ready": 200000, "first_entry": 300000, "result": total,
                       "total": total},
        "marks": marks, "metrics": metrics,
        "bench_device": {"bad_requests": 0, "dropped_records": 0},
        "console": {"bytes": len(text), "dropped_bytes": dropped},
        "exits": ex, "kvm_stats": kvm_stats(ex), "devices": devs,
        "resources": {"rss_peak_kib": 3000, "guest_resident_kib": 2048,
                      "vmm_overhead_kib": 952},
        "result": {"status": run.status, "exit_code": EXIT_STATUS[run.status],
                   "reason": reason, "vcpu": 0 if run.status in ("pass", "fail") else None},
    }


def main(argv):
    opts = parse_args(argv)
    run = Run(opts)
    if run.status not in EXIT_STATUS or run.status == "until":
        print(f"fake vmm: unknown status '{run.status}'", file=sys.stderr)
        return 1
    run.wait()
    doc = stats_doc(run)
    path = last(opts, "-stats")
    if path:  # as the VMM: FILE.tmp renamed to FILE, so a reader sees all or nothing
        with open(path + ".tmp", "w") as f:
            json.dump(doc, f)
        os.rename(path + ".tmp", path)
    if doc["result"]["status"] not in ("pass", "until"):
        print(f"kvmbench-vmm: {doc['result']['status']}: {doc['result']['reason']}",
              file=sys.stderr)
    return doc["result"]["exit_code"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
