#!/usr/bin/env python3
"""make bench-vmm: what kvmbench-vmm itself costs, measured in one run.

1. PIO exit round trip: the `pio` micro-guest through kvmbench-vmm against
   build/kvm-floor, a bare KVM_RUN loop running the same three guest
   instructions.  Both are timed on the host clock (the VMM's by the marks
   that bracket the guest's final round) and interleaved, ROUNDS times
   each, so host drift hits both alike; the ratio of medians is the VMM's
   overhead per exit (goal: at most 1.03).
2. Start-up: wall time from spawning kvmbench-vmm to the `hello` guest's
   exit (goal: under 10 ms), median of STARTS runs.
3. Memory: the VMM's peak RSS beyond the guest RAM it touched (goal: under
   2 MiB), from the stats JSON, for 1 and 64 vCPUs.

Prints figures only; goals are reported as met or missed, never asserted.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMM = os.path.join(ROOT, "build", "kvmbench-vmm")
FLOOR = os.path.join(ROOT, "build", "kvm-floor")
GUESTS = os.path.join(ROOT, "build", "guests")
ROUNDS = int(os.environ.get("ROUNDS", "7"))
STARTS = int(os.environ.get("STARTS", "20"))


def vmm(guest, *args, append=""):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [VMM, "-kernel", os.path.join(GUESTS, guest + ".elf"), "-serial", "none",
               "-stats", f.name, "-timeout", "60", *args]
        if append:
            cmd += ["-append", append]
        t0 = time.monotonic_ns()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = (time.monotonic_ns() - t0) / 1e9
        if p.returncode != 0:
            sys.exit(f"bench-vmm: {' '.join(cmd)} failed ({p.returncode}): {p.stderr}")
        s = json.load(open(f.name))
        # CLOCK_MONOTONIC is shared: spawn to the guest's verdict, in s
        s["spawn_to_result_s"] = (s["timings_ns"]["epoch_monotonic"]
                                  + s["timings_ns"]["result"] - t0) / 1e9
        return s, wall


def vmm_pio_ns():
    s, _ = vmm("pio", append="ms=200")
    marks = s["marks"]
    last = [m for m in marks if m["name"] == "pio"][-1]
    end = [m for m in marks if m["name"] == "pio_end"][-1]
    iters = {m["name"]: m["value"] for m in s["metrics"]}["pio_last_round"]
    return (end["t_ns"] - last["t_ns"]) / iters


def floor_ns(exits=20000):
    p = subprocess.run([FLOOR, str(exits)], capture_output=True, text=True, check=True)
    return float(p.stdout.split()[0])


def goal(ok):
    return "goal met" if ok else "GOAL MISSED"


def main():
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("bench-vmm: needs read/write access to /dev/kvm")
    floor, ours = [], []
    for _ in range(ROUNDS):
        floor.append(floor_ns())
        ours.append(vmm_pio_ns())
    f, o = statistics.median(floor), statistics.median(ours)
    ratio = o / f
    print(f"PIO exit round trip ({ROUNDS} interleaved runs, medians, host clock):")
    print(f"  bare KVM_RUN loop (kvm-floor): {f:9.1f} ns  (min {min(floor):.1f}, max {max(floor):.1f})")
    print(f"  kvmbench-vmm pio guest:        {o:9.1f} ns  (min {min(ours):.1f}, max {max(ours):.1f})")
    print(f"  ratio: {ratio:.3f} (goal <= 1.03: {goal(ratio <= 1.03)})")

    guest, walls, firsts = [], [], []
    for _ in range(STARTS):
        s, wall = vmm("hello")
        guest.append(s["spawn_to_result_s"] * 1e3)
        walls.append(wall * 1e3)
        firsts.append(s["timings_ns"]["first_entry"] / 1e6)
    g = statistics.median(guest)
    print(f"Start-up, spawn to the hello guest's exit ({STARTS} runs): median {g:.2f} ms, "
          f"min {min(guest):.2f}, max {max(guest):.2f} (goal < 10 ms: {goal(g < 10)})")
    print(f"  VMM start to first KVM_RUN: median {statistics.median(firsts):.2f} ms; "
          f"spawn to process exit (adds KVM's VM teardown): median {statistics.median(walls):.2f} ms")

    for smp in ("1", "64"):
        s, _ = vmm("hello", "-smp", smp)
        r = s["resources"]
        kib = r["vmm_overhead_kib"]
        print(f"Peak RSS beyond guest RAM, -smp {smp}: {kib} KiB (peak {r['rss_peak_kib']} KiB, "
              f"guest {r['guest_resident_kib']} KiB) (goal < 2048 KiB: {goal(kib < 2048)})")
    host = s["host"]
    print(f"Host: {host['cpu_model']}, {host['kvm_module']}, paging {host['paging']}, "
          f"kernel {host['kernel']}")


if __name__ == "__main__":
    main()
