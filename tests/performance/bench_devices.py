#!/usr/bin/env python3
"""make bench-devices: exits per I/O and throughput of the virtio devices,
ioeventfd on against off, measured in one run.

For each workload (blkio at queue depth 1 and 32, netio on the loopback
backend, rng) the two settings run interleaved ROUNDS times each (on, off,
on, off...), so host drift hits both alike.  Per run:
  userspace exits per request  every exit kvmbench-vmm handled (any
                               reason) divided by the device's requests
  notify exits per request     the exits charged to DEVICE.notify
  KVM exits per request        KVM's own `exits` statistic (includes the
                               exits KVM handles in the kernel, such as
                               ioeventfd writes and HLT)
  throughput                   the guest's IOPS / packets/s / bytes/s
Medians are printed with the ratio off/on.  Figures only: nothing is
asserted (the tests in tests/functional/test_virtio.py assert the behaviour).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMM = os.path.join(ROOT, "build", "kvmbench-vmm")
GUESTS = os.path.join(ROOT, "build", "guests")
ROUNDS = int(os.environ.get("ROUNDS", "5"))

WORKLOADS = [  # name, guest, append, device args (with {io}), throughput metric
    ("blk qd1", "blkio", "qd=1 n=64", ["-drive", "file={disk},if=none,id=d0",
                                      "-device", "virtio-blk-pci,drive=d0,ioeventfd={io}"],
     "seqread_iops"),
    ("blk qd32", "blkio", "qd=32 n=64", ["-drive", "file={disk},if=none,id=d0",
                                        "-device", "virtio-blk-pci,drive=d0,ioeventfd={io}"],
     "seqread_iops"),
    ("net loopback", "netio", "n=256", ["-netdev", "loopback,id=n0",
                                       "-device", "virtio-net-pci,netdev=n0,ioeventfd={io}"],
     "net_pps"),
    ("rng", "rng", "n=64", ["-device", "virtio-rng-pci,ioeventfd={io}"], "rng_bytes_per_s"),
]


def once(guest, append, args, disk, io):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [VMM, "-kernel", os.path.join(GUESTS, guest + ".elf"), "-serial", "none",
               "-stats", f.name, "-timeout", "120", "-append", append,
               *[a.format(disk=disk, io=io) for a in args]]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            sys.exit(f"bench-devices: {' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
        return json.load(open(f.name))


def figures(s):
    d = s["devices"][0]
    req = max(d["requests"], 1)
    notify = sum(r["count"] for r in s["exits"]["by_region"] if r["name"].endswith(".notify"))
    kvm = s["kvm_stats"]["vcpu"].get("exits", 0) if s["kvm_stats"]["available"] else 0
    metrics = {m["name"]: m["value"] for m in s["metrics"]}
    return {"user": s["exits"]["total"] / req, "notify": notify / req, "kvm": kvm / req,
            "metrics": metrics}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(1 << 20)
        print(f"bench-devices: {ROUNDS} interleaved rounds per setting, medians")
        print(f"{'workload':14} {'ioeventfd':9} {'user exits/req':>15} {'notify/req':>11} "
              f"{'KVM exits/req':>14} {'throughput':>14}")
        for name, guest, append, args, metric in WORKLOADS:
            res = {"on": [], "off": []}
            for _ in range(ROUNDS):
                for io in ("on", "off"):
                    res[io].append(figures(once(guest, append, args, disk, io)))
            med = {}
            for io in ("on", "off"):
                r = res[io]
                med[io] = {k: statistics.median(x[k] for x in r) for k in ("user", "notify", "kvm")}
                med[io]["tp"] = statistics.median(x["metrics"][metric] for x in r)
                print(f"{name:14} {io:9} {med[io]['user']:15.2f} {med[io]['notify']:11.2f} "
                      f"{med[io]['kvm']:14.2f} {med[io]['tp']:14.0f} {metric}")
            ratio = med["off"]["tp"] / med["on"]["tp"] if med["on"]["tp"] else float("nan")
            print(f"{'':14} {'off/on':9} {'':15} {'':11} {'':14} {ratio:14.3f}")


if __name__ == "__main__":
    main()
