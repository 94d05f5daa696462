#!/usr/bin/env python3
"""make bench-harness: what the harness itself costs.

1. Cost per run: a campaign of RUNS hello runs through `kvmbench run`,
   against the same VMM command spawned RUNS times by a bare loop
   (os.posix_spawn + waitpid) in the same benchmark, interleaved in
   BLOCKS.  The difference per run is the harness's own cost (planning,
   logs, polling, JSON parsing, one SQLite transaction).  Also printed: the
   median of (run wall - the VMM's own wall from its stats), which also
   counts the kernel tearing the VM down after the VMM wrote its stats.
2. Ingest rate: `kvmbench ingest-bench` records one stats JSON N times
   (1 vCPU and 16 vCPUs) into a fresh database, one transaction per run.
Goals: at most 5 ms per run; at least 100,000 rows/s.
"""
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KB = os.path.join(ROOT, "build", "kvmbench")
VMM = os.path.join(ROOT, "build", "kvmbench-vmm")
HELLO = os.path.join(ROOT, "build", "guests", "hello.elf")
RUNS = int(os.environ.get("RUNS", "40"))
BLOCKS = int(os.environ.get("BLOCKS", "3"))


def bare_loop(tmp, n):
    """Seconds per run for the VMM spawned directly, as the harness would."""
    t0 = time.monotonic()
    for i in range(n):
        d = os.path.join(tmp, f"bare{i}")
        os.makedirs(d, exist_ok=True)
        pid = os.posix_spawn(VMM, [VMM, "-m", "128M", "-smp", "1", "-kernel", HELLO,
                                   "-serial", f"file:{d}/console.log", "-stats",
                                   f"{d}/stats.json", "-timeout", "30"], os.environ)
        os.waitpid(pid, 0)
    return (time.monotonic() - t0) / n


def harness_loop(tmp, n, db):
    ini = os.path.join(tmp, "h.ini")
    with open(ini, "w") as f:
        f.write(f"[scenario]\nrepeats = {n}\nwarmup = 0\n[matrix]\nworkload = hello\n")
    t0 = time.monotonic()
    subprocess.run([KB, "run", ini, "--db", db, "--quiet"], check=True)
    return (time.monotonic() - t0) / n


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "h.db")
        bare, harn = [], []
        for _ in range(BLOCKS):
            bare.append(bare_loop(tmp, RUNS))
            harn.append(harness_loop(tmp, RUNS, db))
        b, h = statistics.median(bare), statistics.median(harn)
        cost = (h - b) * 1e3
        print(f"Harness cost per run ({BLOCKS} blocks of {RUNS} hello runs, medians):")
        print(f"  bare spawn+wait loop:   {b * 1e3:7.2f} ms per run")
        print(f"  kvmbench run:           {h * 1e3:7.2f} ms per run")
        print(f"  harness's own cost:     {cost:7.2f} ms per run "
              f"(goal <= 5 ms: {'goal met' if cost <= 5 else 'GOAL MISSED'})")
        with sqlite3.connect(db) as c:
            d = [w - v for w, v in c.execute(
                "SELECT wall_ns, vmm_wall_ns FROM runs WHERE vmm_wall_ns IS NOT NULL")]
        print(f"  run wall - VMM's own wall: median {statistics.median(d) / 1e6:.2f} ms "
              f"(includes exec and the kernel's VM teardown after the stats were written)")

        print("Ingest rate (one transaction per run, from the stats file on disk):")
        for label, args in (("1 vCPU pio", ["pio.elf", "-append", "ms=20"]),
                            ("16 vCPU smpwork", ["smpwork.elf", "-smp", "16", "-append",
                                                 "ms=20"])):
            stats = os.path.join(tmp, "s.json")
            subprocess.run([VMM, "-kernel", os.path.join(ROOT, "build", "guests", args[0]),
                            *args[1:], "-serial", "none", "-stats", stats], check=True)
            rates = []
            for i in range(3):
                out = subprocess.run([KB, "ingest-bench", stats, "2000", "--db",
                                      os.path.join(tmp, f"i{label[:2]}{i}.db")],
                                     capture_output=True, text=True, check=True).stdout
                rates.append(float(out.split(": ")[1].split()[0]))
            r = statistics.median(rates)
            print(f"  {label:16s} {out.split(' rows in')[0].split(', ')[1]:>12} per 2000 runs: "
                  f"median {r:,.0f} rows/s of 3 (goal >= 100,000: "
                  f"{'goal met' if r >= 100000 else 'GOAL MISSED'})")


if __name__ == "__main__":
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("bench-harness: needs read/write access to /dev/kvm")
    main()
