"""The store and its readers: what ingest records of the VMM's stats, and the
paging mode a run really ran with (one SQL definition, harness/store/sqlexpr.h)
as report and compare see it.  No KVM needed: the fake VMM writes the stats."""
import json
import os
import sqlite3
import subprocess

from framework.paths import BUILD, ROOT

KB = BUILD / "kvmbench"
FAKE = ROOT / "tests" / "fake" / "vmm.sh"


def kb(*args, env=None, check=None):
    e = dict(os.environ, **(env or {}))
    p = subprocess.run([str(KB), *map(str, args)], capture_output=True, text=True,
                       timeout=120, env=e)
    if check is not None:
        assert p.returncode == check, p.stdout[-3000:] + p.stderr[-3000:]
    return p


def query(db, sql, *args):
    with sqlite3.connect(db) as c:
        return c.execute(sql, args).fetchall()


def stats(value=5, config=None):
    s = {"schema": 1, "result": {"status": "pass", "reason": "guest reported pass"},
         "metrics": [{"name": "w_ns", "value": value, "unit": "ns", "vcpu": 0}]}
    if config is not None:
        s["config"] = config
    return json.dumps(s)


def run_fake(tmp_path, stats_text, matrix="workload = hello", repeats=1, db=None):
    """A campaign of the fake VMM writing stats_text for every run."""
    st = tmp_path / "stats.json"
    st.write_text(stats_text)
    f = tmp_path / "s.ini"
    f.write_text(f"[scenario]\nrepeats = {repeats}\nwarmup = 0\n[matrix]\n{matrix}\n")
    db = db or tmp_path / "k.db"
    p = kb("run", f, "--db", db, "--quiet",
           env={"KVMBENCH_VMM": str(FAKE), "FAKE_MODE": "stats", "FAKE_STATS": str(st)})
    return p, db


# --- paging: "host" and "tdp" are the host's mode, one definition ------------------

def test_tdp_runs_of_an_ept_and_an_npt_host_stay_apart_in_the_report(tmp_path):
    p, db = run_fake(tmp_path, stats(100), repeats=3)
    assert p.returncode == 0, p.stderr
    with sqlite3.connect(db) as c:  # campaign 2: the same runs on an NPT host, 2x slower
        c.execute("UPDATE hosts SET paging = 'ept', kvm_module = 'kvm_intel'")
        c.execute("INSERT INTO hosts (id, uuid, hostname, kvm_module, paging, kind) VALUES"
                  " (2, 'npt-host', 'npt-host', 'kvm_amd', 'npt', 'svm')")
        c.execute("UPDATE hosts SET kind = 'svm'")
        c.execute("INSERT INTO campaigns (id, uuid, scenario, kind, host_id, started, state)"
                  " SELECT 2, 'c2', scenario, kind, 2, started, state FROM campaigns")
        c.execute("INSERT INTO runs (campaign_id, point_key, seq, repeat, warmup, topology,"
                  " vcpus, workload, paging, params, status) SELECT 2, point_key, seq,"
                  " repeat, warmup, topology, vcpus, workload, paging, params, status FROM runs")
        c.execute("INSERT INTO metrics (run_id, name, value, unit, vcpu) SELECT r2.id, m.name,"
                  " m.value * 2, m.unit, m.vcpu FROM metrics m JOIN runs r1 ON r1.id = m.run_id"
                  " JOIN runs r2 ON r2.campaign_id = 2 AND r2.seq = r1.seq")
        c.execute("UPDATE runs SET paging = 'tdp', params = replace(params, 'paging=host',"
                  " 'paging=tdp')")
    j = json.loads(kb("report", "1", "2", "--db", db, "--out", tmp_path / "rep",
                      "--format", "json", check=0).stdout)
    got = {(r["params"].split(" paging=")[1].split()[0], r["median"], r["n"])
           for r in j["rows"] if r["metric"] == "w_ns"}
    assert got == {("ept", 100, 3), ("npt", 200, 3)}, got
    # two TDP modes and no shadow: the paging section says so (no paging page)
    assert "paging modes (ept, npt)" in (tmp_path / "rep" / "index.html").read_text()
    p = kb("compare", "ept", "npt", "--by", "paging", "--db", db, "--format", "json",
           "--mixed-hosts")
    assert p.returncode == 10, p.stdout + p.stderr
    (r,) = json.loads(p.stdout)["results"]
    assert (r["median_baseline"], r["median_candidate"]) == (100, 200)


# --- ingest: the run's shape as the VMM reported it -------------------------------

SHAPE = "SELECT vcpus, sockets, cores, threads, memory_bytes, numa, topology, reason FROM runs"
PLAN_2X1X1 = "topology = 2x1x1\nmemory = 256M\nnuma = 2\nworkload = hello"


def config(vcpus=2, sockets=2, cores=1, threads=1, memory=256 << 20, nodes=2):
    return {"vcpus": vcpus, "maxcpus": vcpus, "sockets": sockets, "cores": cores,
            "threads": threads, "numa_nodes": nodes, "memory_bytes": memory}


def test_ingest_records_what_the_vmm_reported_when_it_agrees_with_the_plan(tmp_path):
    p, db = run_fake(tmp_path, stats(config=config()), PLAN_2X1X1)
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    assert query(db, SHAPE) == [(2, 2, 1, 1, 256 << 20, "2", "2x1x1",
                                 "pass: guest reported pass")]


def test_ingest_records_the_vmm_s_shape_over_the_plan_and_says_so(tmp_path):
    cfg = config(vcpus=4, sockets=1, cores=4, memory=512 << 20, nodes=1)
    p, db = run_fake(tmp_path, stats(config=cfg), PLAN_2X1X1)
    assert p.returncode == 0, p.stderr
    (row,) = query(db, SHAPE)
    assert row[:7] == (4, 1, 4, 1, 512 << 20, "1", "2x1x1")  # topology: the point's axis
    said = ("the VMM reported vcpus 4 (plan 2), sockets 1 (plan 2), cores 4 (plan 1), "
            f"memory_bytes {512 << 20} (plan {256 << 20}), numa_nodes 1 (plan 2)")
    assert row[7] == "pass: guest reported pass; " + said
    assert "warning: campaign 1 point" in p.stderr and said in p.stderr, p.stderr


def test_ingest_takes_the_plan_where_the_stats_lack_a_value(tmp_path):
    p, db = run_fake(tmp_path, stats(), PLAN_2X1X1)  # no config at all
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    assert query(db, SHAPE)[0][:7] == (2, 2, 1, 1, 256 << 20, "2", "2x1x1")
    bad = {"vcpus": -1, "sockets": "2", "cores": 0, "threads": 1.5, "memory_bytes": None,
           "numa_nodes": 1 << 40}
    p, db = run_fake(tmp_path, stats(config=bad), PLAN_2X1X1, db=tmp_path / "b.db")
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    assert query(db, SHAPE)[0][:7] == (2, 2, 1, 1, 256 << 20, "2", "2x1x1")


def test_ingest_of_a_plain_topology_matches_the_vmm_s_reading_of_smp_n(tmp_path):
    # -smp 4 is 1 socket of 4 cores for the VMM (QEMU's rule) and for the plan
    p, db = run_fake(tmp_path, stats(config=config(4, 1, 4, 1, 128 << 20, 1)),
                     "topology = 4\nworkload = hello")
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    assert query(db, SHAPE)[0][:7] == (4, 1, 4, 1, 128 << 20, "none", "4")
