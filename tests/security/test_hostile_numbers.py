"""Hostile numbers and lines (issue 12 items 8-10): every number read from a scenario,
gates file or command line is finite and bounded, with file:line, key and range in the
error; over-long INI lines are refused where they are, never split into another key;
NaN, infinite or negative values in a stats JSON fail the run with the reason; compare
calls a zero or non-finite baseline not comparable, and its JSON stays JSON.  None of
these needs KVM: the runs come from tests/fake/vmm.sh replaying hand-written stats."""
import json
import sqlite3

import pytest

from framework import fake
from framework.harness import kb, rows, write

# --- numbers in scenario files ---------------------------------------------------

HEAD = "[matrix]\nworkload = w\n[workload.w]\nguest = hello\n"
BAD_NUMBERS = [
    ("[scenario]\ntimeout = nan\n" + HEAD, 2, "timeout: 'nan'"),
    ("[scenario]\ntimeout = -1\n" + HEAD, 2, "timeout: '-1'"),
    ("[scenario]\ntimeout = 1e999\n" + HEAD, 2, "timeout: '1e999'"),
    (HEAD + "timeout = inf\n", 5, "timeout: 'inf'"),
    (HEAD + "timeout = nan\n", 5, "timeout: 'nan'"),
    (HEAD + "timeout = 0x10\n", 5, "timeout: '0x10'"),
    ("[scenario]\nrepeats = 99999999999999999999\n" + HEAD, 2, "repeats: '99999999999999999999'"),
    ("[scenario]\nwarmup = 1.5\n" + HEAD, 2, "warmup: '1.5'"),
    ("[scenario]\njobs = -1\n" + HEAD, 2, "jobs: '-1'"),
    (HEAD + "[metric.t]\nthreshold = nan\n", 6, "threshold: 'nan'"),
    (HEAD + "[metric.t]\nthreshold = nan%\n", 6, "threshold: 'nan%'"),
    (HEAD + "[metric.t]\nthreshold = -5%\n", 6, "threshold: '-5%'"),
    # a bare 5 is 5% to one reader and 500% to another (as --threshold 5)
    (HEAD + "[metric.t]\nthreshold = 5\n", 6, "threshold: ambiguous: write 5% or 0.05"),
    ("[matrix]\nworkload = hello\ntopology = 4194304x4194304x4194304\n", 3,
     "topology: bad value '4194304x4194304x4194304'"),
    ("[matrix]\nworkload = hello\ntopology = -1x1x1\n", 3, "topology: bad value '-1x1x1'"),
    ("[matrix]\nworkload = hello\nmemory = 100000000G\n", 3, "memory: bad size '100000000G'"),
]


@pytest.mark.parametrize("text, line, message", BAD_NUMBERS)
def test_scenario_numbers_are_finite_and_bounded(tmp_path, text, line, message):
    f = write(tmp_path, "bad.ini", text)
    p = kb("show", f)
    assert p.returncode == 1, p.stdout
    assert p.stderr.count("\n") == 1, p.stderr
    assert f"{f}:{line}: {message}" in p.stderr, p.stderr
    if "topology" not in message and "memory" not in message and "ambiguous" not in message:
        assert " in [" in p.stderr, p.stderr  # the allowed range


def test_good_numbers_still_parse(tmp_path):
    f = write(tmp_path, "ok.ini", "[scenario]\ntimeout = 2.5\nrepeats = 7\n" + HEAD +
              "timeout = 0.2\n[metric.t]\nthreshold = 5%\n")
    p = kb("show", f, check=0)
    assert "7 repeats" in p.stdout and "timeout 2.5s" in p.stdout


# --- numbers in gates files and on the command line -----------------------------

@pytest.mark.parametrize("text, line, message", [
    ("[gates]\nthreshold = nan\n", 2, "threshold: 'nan'"),
    ("[gates]\nthreshold = 10\n", 2, "threshold: ambiguous: write 10% or 0.1"),
    ("[gates]\nall_pass = yes\n[gate.t]\nmin = nan\n", 4, "min: 'nan'"),
    ("[gates]\nall_pass = yes\n\n[gate.t]\nmax = inf\n", 5, "max: 'inf'"),
    ("[gate.t]\nmin = 1e999\n", 2, "min: '1e999'"),
    ("[gate.t]\nmin = 5\nmax = 1\n", 3, "min 5 is above max 1"),
])
def test_gates_numbers_are_finite_with_file_and_line(tmp_path, text, line, message):
    g = write(tmp_path, "g.ini", text)
    p = kb("gates", "1", "--gates", g, "--db", tmp_path / "none.db")
    assert p.returncode == 1
    assert f"{g}:{line}: {message}" in p.stderr, p.stderr


@pytest.mark.parametrize("args, message", [
    (["compare", "1", "2", "--threshold", "nan"], "--threshold nan: "),
    (["compare", "1", "2", "--threshold", "inf%"], "--threshold inf%: "),
    (["compare", "1", "2", "--campaign", "99999999999999999999"], "--campaign 9999"),
    (["run", "x.ini", "--shard", "1/-1"], "--shard 1/-1: "),
    (["run", "x.ini", "--shard", "1/4294967297"], "--shard 1/4294967297: "),
    (["run", "x.ini", "--repeat", "1e3"], "--repeat 1e3: "),
    (["run", "x.ini", "--warmup", "-0"], "--warmup -0: "),
    (["lab", "--smp", "1.5"], "--smp 1.5: "),  # (then --db: never starts a lab)
])
def test_option_numbers_are_finite_and_bounded(tmp_path, args, message):
    p = kb(*args, "--db", tmp_path / "none.db")
    assert p.returncode == 1
    assert message in p.stderr and " in [" in p.stderr, p.stderr
    assert not (tmp_path / "none.db").exists()


# --- over-long lines -------------------------------------------------------------

def long_line(key):
    """A line libinih's 200-byte buffer split: its tail, 'repeats = 7', read as a key."""
    head = f"{key} = "
    return head + "x" * (199 - len(head)) + "repeats = 7\n"


def test_long_scenario_line_is_refused_not_split(tmp_path):
    f = write(tmp_path, "long.ini", "[scenario]\n" + long_line("description") +
              "[matrix]\nworkload = hello\n")
    p = kb("show", f)
    assert p.returncode == 1, p.stdout  # before: "7 repeats", from the description's tail
    assert f"{f}:2: line longer than" in p.stderr, p.stderr


def test_line_numbers_after_a_long_line(tmp_path):
    """A long line is refused where it is; a line just under the limit does not shift
    the line numbers of the errors after it."""
    near = "description = " + "x" * (198 - len("description = ")) + "\n"
    f = write(tmp_path, "n.ini", "[scenario]\n" + near + "[matrix]\nworkload = hello\nfoo = 1\n")
    p = kb("show", f)
    assert f"{f}:5: unknown axis 'foo'" in p.stderr, p.stderr
    f = write(tmp_path, "m.ini", "[scenario]\nrepeats = 1\n\n" + long_line("description"))
    p = kb("show", f)
    assert f"{f}:4: line longer than" in p.stderr, p.stderr


def test_long_gates_and_manifest_lines_are_refused(tmp_path):
    g = write(tmp_path, "g.ini", "[gates]\n" + long_line("baseline"))
    p = kb("gates", "1", "--gates", g, "--db", tmp_path / "none.db")
    assert p.returncode == 1 and f"{g}:2: line longer than" in p.stderr, p.stderr
    m = write(tmp_path, "m.ini", "[image.a]\nkind = kernel\n" + long_line("url"))
    p = kb("images", "--manifest", m)
    assert p.returncode == 1 and f"{m}:3: line longer than" in p.stderr, p.stderr


# --- stats JSON with bad numbers: the run fails, with the reason ---------------------

def stats_json(metrics=None, by_reason=None, total=10):
    return json.dumps({
        "schema": 1, "result": {"status": "pass", "reason": "guest reported pass"},
        "metrics": metrics if metrics is not None else [
            {"name": "t", "value": 5, "unit": "ns", "vcpu": 0}],
        "exits": {"total": total, "by_reason": by_reason or {"io": 10}, "by_region": []},
    })


def run_fake(tmp_path, stats_text, name="s.ini", repeats=1, db=None):
    st = write(tmp_path, name + ".json", stats_text)
    f = write(tmp_path, name, f"[scenario]\nrepeats = {repeats}\nwarmup = 0\n"
              "[matrix]\nworkload = hello\n")
    db = db or tmp_path / "k.db"
    p = kb("run", f, "--db", db, "--quiet",
           env=fake.env("stats", stats=st))
    return p, db


@pytest.mark.parametrize("stats, what", [
    (stats_json([{"name": "t", "value": float("nan"), "unit": "ns"}]), "metric 't'"),
    (stats_json([{"name": "t", "value": float("inf"), "unit": "ns"}]), "metric 't'"),
    (stats_json([{"name": "t", "value": "1e999", "unit": "ns"}]).replace('"1e999"', "1e999"),
     "metric 't'"),
    (stats_json([{"name": "t", "value": -3, "unit": "ns"}]), "metric 't'"),
    (stats_json([{"name": "t", "value": None, "unit": "ns"}]), "metric 't'"),
    (stats_json([{"name": "t", "value": "5", "unit": "ns"}]), "metric 't'"),
    (stats_json(by_reason={"io": -4}), "exits.by_reason.io"),
    (stats_json(by_reason={"io": float("nan")}), "exits.by_reason.io"),
    (stats_json(total=-1), "exits.total"),
])
def test_bad_numbers_in_stats_fail_the_run(tmp_path, stats, what):
    p, db = run_fake(tmp_path, stats)
    assert p.returncode == 2, p.stdout + p.stderr
    (status, reason), = rows(db, "SELECT status, reason FROM runs")
    assert status == "fail" and what in reason and "finite number" in reason, reason


def test_good_stats_pass(tmp_path):
    p, db = run_fake(tmp_path, stats_json())
    assert p.returncode == 0, p.stdout + p.stderr
    assert rows(db, "SELECT status FROM runs") == [("pass",)]
    assert rows(db, "SELECT value FROM metrics WHERE name = 't'") == [(5.0,)]


# --- compare: a zero or non-finite baseline is not comparable --------------------------

def two_campaigns(tmp_path, base, cand):
    mk = lambda v: stats_json([{"name": "t", "value": v, "unit": "ns", "vcpu": 0}])
    _, db = run_fake(tmp_path, mk(base), "s.ini", repeats=3)
    run_fake(tmp_path, mk(cand), "s.ini", repeats=3, db=db)
    return db


@pytest.mark.parametrize("base, cand", [(0, 0), (0, 5), ("inf", 5)])
def test_compare_zero_or_infinite_baseline_is_not_comparable(tmp_path, base, cand):
    db = two_campaigns(tmp_path, 1 if base == "inf" else base, cand)
    if base == "inf":  # a value the ingest now refuses, in a database from before
        with sqlite3.connect(db) as c:
            c.execute("UPDATE metrics SET value = ? WHERE run_id IN "
                      "(SELECT id FROM runs WHERE campaign_id = 1)", (float("inf"),))
    p = kb("compare", "1", "2", "--db", db)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    row = [i for i, l in enumerate(lines) if " t " in l]
    assert len(row) == 1 and lines[row[0]].startswith("not comparable"), p.stdout
    why = lines[row[0] + 1]  # the reason, on its own line under the row
    assert "baseline" in why and "nan" not in p.stdout and "inf" not in p.stdout, p.stdout
    assert "1 not comparable" in p.stdout and "0 improved" in p.stdout
    p = kb("compare", "1", "2", "--db", db, "--format", "json")
    r, = json.loads(p.stdout)["results"]  # before: "ratio": -nan or inf, not JSON
    assert r["verdict"] == "not comparable" and "baseline" in r["reason"], r
    assert r["ratio"] is None and r["low"] is None and r["high"] is None
    p = kb("compare", "1", "2", "--db", db, "--format", "csv")
    assert "not comparable" in p.stdout and "nan" not in p.stdout and "inf" not in p.stdout


# --- numbers in the environment --------------------------------------------------

@pytest.mark.parametrize("var, value", [
    ("KVMBENCH_GRACE_MS", "nan"), ("KVMBENCH_GRACE_MS", "99999999999999999999"),
    ("KVMBENCH_DB_TIMEOUT_MS", "-5"), ("KVMBENCH_DB_TIMEOUT_MS", "1e3"),
    ("KVMBENCH_FETCH_RETRIES", "-1"), ("KVMBENCH_FETCH_TIMEOUT_S", "inf"),
])
def test_environment_numbers_are_checked(tmp_path, var, value):
    """Each variable once, through the command that reads it; before, atoi()
    took garbage as 0 or a default and a huge grace overflowed."""
    if var.startswith("KVMBENCH_FETCH"):
        p = kb("fetch", "debian-cloud-kernel", "--offline", env={var: value})
    else:
        f = write(tmp_path, "s.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n"
                  "[matrix]\nworkload = hello\n")
        p = kb("run", f, "--db", tmp_path / "k.db", "--quiet",
               env={var: value, **fake.env("nojson")})
    assert p.returncode != 0
    assert f"{var}={value}: '{value}' is not a whole number in" in p.stderr, p.stderr
