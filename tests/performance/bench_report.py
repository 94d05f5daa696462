#!/usr/bin/env python3
"""make bench-report: time `kvmbench report` on a database of RUNS runs.

The database is synthetic but shaped like real campaigns: 50 points (5
workloads x 5 topologies x 2 paging modes, the second mode on a second host
row as a merged database has), RUNS/50 repeats each, per run 4 metrics, 6
exit rows and 16 KVM statistics.  It times RUNS runs (default 100,000) and
a tenth of that in the same run, and prints the ratio: the report's cost
should grow no faster than the data (ratio <= 10), and 100,000 runs take
under 10 s (issue 14).  Figures only: nothing here fails on a slow machine.
"""
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KB = os.path.join(ROOT, "build", "kvmbench")
RUNS = int(os.environ.get("RUNS", "100000"))
GOAL_S = 10.0  # for 100,000 runs


def build(db, runs):
    open(db, "w").close()
    subprocess.run([KB, "migrate", "--db", db], check=True, capture_output=True)  # schema
    rnd = random.Random(1)
    c = sqlite3.connect(db)
    c.execute("INSERT INTO hosts (id, uuid, hostname, cpu_model, kernel, kvm_module, paging,"
              " online_cpus) VALUES (1, 'h1', 'a', 'cpu', '6.1', 'kvm_intel', 'ept', 8),"
              " (2, 'h2', 'b', 'cpu', '6.1', 'kvm_intel', 'shadow', 8)")
    c.execute("INSERT INTO builds (id, uuid, version, git) VALUES (1, 'b', '0.1', 'x')")
    for cid in (1, 2):
        c.execute("INSERT INTO campaigns (id, uuid, scenario, kind, host_id, build_id, started,"
                  " state) VALUES (?, ?, 'synthetic', 'nightly', ?, 1, '2026-11-22', 'done')",
                  (cid, f"c{cid}", cid))
    workloads = ["pio", "cpuid", "mmio", "memtouch", "ipi"]
    topologies = ["1", "2", "4", "2x2x1", "8"]
    points = [(w, t, cid) for cid in (1, 2) for w in workloads for t in topologies]
    per = max(1, runs // len(points))
    run_id = 0
    for rep in range(per):
        for i, (w, t, cid) in enumerate(points):
            run_id += 1
            params = (f"topology={t} memory=128M numa=none devices=none workload={w} "
                      f"paging=host vmm_args=")
            c.execute("INSERT INTO runs (id, campaign_id, point_key, seq, repeat, topology,"
                      " vcpus, workload, paging, params, status, wall_ns) VALUES"
                      " (?,?,?,?,?,?,?,?, 'host', ?, 'pass', 1000000)",
                      (run_id, cid, f"{i % 25:016x}", rep * 50 + i, rep, t,
                       int(t.split("x")[0]) if "x" not in t else 4, w, params))
            base = 1000 * (1 + i % 25) * (1.3 if cid == 2 else 1)
            c.executemany("INSERT INTO metrics (run_id, name, value, unit) VALUES (?,?,?,?)",
                          [(run_id, w, base * rnd.gauss(1, 0.05), "cycles"),
                           (run_id, w + "_ns", base / 2.6 * rnd.gauss(1, 0.05), "ns"),
                           (run_id, w + "_iterations", 4095, "count"),
                           (run_id, w + "_last_round", 2048, "count")])
            c.executemany("INSERT INTO exits (run_id, kind, space, name, count) VALUES "
                          "(?,?,?,?,?)",
                          [(run_id, "total", None, "total", 4200), (run_id, "reason", None,
                           "io", 4100), (run_id, "reason", None, "mmio", 100),
                           (run_id, "region", "pio", "com1", 80),
                           (run_id, "region", "pio", "unhandled", 4000),
                           (run_id, "region", "mmio", "unhandled", 100)])
            c.executemany("INSERT INTO kvm_stats (run_id, scope, name, value) VALUES (?,?,?,?)",
                          [(run_id, "vcpu" if k < 10 else "vm", n, rnd.randint(0, 5000))
                           for k, n in enumerate(["exits", "io_exits", "mmio_exits",
                                                  "halt_exits", "insn_emulation", "pf_taken",
                                                  "pf_fixed", "tlb_flush", "invlpg",
                                                  "irq_injections", "mmu_shadow_zapped",
                                                  "mmu_pte_write", "mmu_cache_miss",
                                                  "mmu_unsync", "remote_tlb_flush",
                                                  "pages_4k"])])
    c.commit()
    c.close()
    return run_id


def time_report(tmp, runs):
    """Build a database of about runs runs; the best of 3 reports on it (s)."""
    db = os.path.join(tmp, f"r{runs}.db")
    t0 = time.monotonic()
    n = build(db, runs)
    print(f"built a database of {n} runs in {time.monotonic() - t0:.1f} s")
    times, cpus = [], []
    for i in range(3):
        t0, r0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([KB, "report", "1", "2", "--db", db, "--out",
                        os.path.join(tmp, f"r{runs}-{i}")], check=True, capture_output=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(time.monotonic() - t0)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    os.unlink(db)
    # CPU time (user + system, gnuplot included) as well: on a busy machine
    # the wall time also counts the time spent waiting for a CPU.
    print(f"kvmbench report on {n} runs (2 campaigns, 50 points, 2 paging modes): "
          f"{', '.join(f'{t:.2f}' for t in times)} s; best {min(times):.2f} s "
          f"(CPU best {min(cpus):.2f} s)")
    return n, min(times)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        small_n, small = time_report(tmp, max(50, RUNS // 10))
        big_n, big = time_report(tmp, RUNS)
    ratio = big / small if small > 0 else float("inf")
    data = big_n / small_n
    print(f"{small_n} runs: {small:.2f} s; {big_n} runs: {big:.2f} s; "
          f"time ratio {ratio:.1f} for {data:.0f}x the data "
          f"({'no faster than the data' if ratio <= data * 1.2 else 'FASTER THAN THE DATA'})")
    if big_n == 100000:
        print(f"goal: 100000 runs under {GOAL_S:.0f} s: "
              f"{'goal met' if big < GOAL_S else 'GOAL MISSED'} ({big:.2f} s)")
    else:
        print(f"goal (100000 runs under {GOAL_S:.0f} s): not measured at RUNS={RUNS}")


if __name__ == "__main__":
    if not os.path.exists(KB):
        sys.exit("bench-report: build first (make)")
    main()
