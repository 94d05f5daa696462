"""The store and its readers: what ingest records of the VMM's stats, and the
paging mode a run really ran with (one SQL definition, harness/store/sqlexpr.h)
as report and compare see it.  No KVM needed: the fake VMM writes the stats."""
import json
import os
import sqlite3
import subprocess
from pathlib import Path

from conftest import BUILD, ROOT

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
    got = {(r["point"].split(" paging=")[1].split()[0], r["median"], r["n"])
           for r in j["rows"] if r["metric"] == "w_ns"}
    assert got == {("ept", 100, 3), ("npt", 200, 3)}, got
    assert "npt / ept" in (tmp_path / "rep" / "index.html").read_text()
    p = kb("compare", "ept", "npt", "--by", "paging", "--db", db, "--format", "json",
           "--mixed-hosts")
    assert p.returncode == 10, p.stdout + p.stderr
    (r,) = json.loads(p.stdout)["results"]
    assert (r["median_baseline"], r["median_candidate"]) == (100, 200)
