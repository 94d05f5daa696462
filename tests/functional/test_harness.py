"""kvmbench (the harness): scenarios, runs into SQLite, failures, resume, shards."""
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from framework import fake
from framework.harness import kb, rows, write
from framework.host import host_is_pvm
from framework.paths import KB, ROOT


# --- scenario files -------------------------------------------------------------

BAD_SCENARIOS = [
    ("[matrix]\nworkload = hello\nspeed = fast\n", 3, "unknown axis 'speed'"),
    ("[matrix]\ntopology = 1, 2x0x1\nworkload = hello\n", 2, "bad value '2x0x1'"),
    ("[scenario]\nrepeats = 2\n", 0, "empty matrix"),
    ("[matrix]\nworkload = hello, nosuchguest\n", 2, "unknown guest or workload 'nosuchguest'"),
    ("[matrix]\nworkload = hello\n[matrix]\ntopology = 2\n", 3, "duplicate section [matrix]"),
    ("[scenario]\nrepeats = 1\nfoo = 2\n[matrix]\nworkload = hello\n", 3, "unknown key 'foo'"),
    ("[matrix]\nworkload = hello\n[exclude]\nrule = workload=hello\n", 2,
     "every point is excluded"),
    ("[matrix]\nworkload = w\n[workload.w]\nguest = ghost\n", 4, "unknown guest 'ghost'"),
    ("[matrix]\nworkload = hello\nmemory = lots\n", 3, "memory: bad size 'lots'"),
    ("[matrix]\nworkload = hello\n[exclude]\nrule = color=red\n", 4, "unknown axis 'color'"),
    ("[matrix]\nworkload = hello\nthis line is wrong\n", 3, "syntax error"),
    ("[matrix]\nworkload = w\n[workload.w]\nguest = hello\nargs = n={bogus}\n", 5,
     "bad placeholder"),
    ("[matrix]\nworkload = hello\npaging = fast\n", 3, "paging: 'fast'"),
]


@pytest.mark.parametrize("text, line, message", BAD_SCENARIOS)
def test_scenario_errors_name_file_and_line(tmp_path, text, line, message):
    f = write(tmp_path, "bad.ini", text)
    p = kb("show", f)
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1, p.stderr
    assert f"{f}:{line}: " in p.stderr and message in p.stderr, p.stderr


EXPECTED_POINTS = {"smoke": 6, "smp16": 20, "exits": 5, "paging": 6, "nightly": 21,
                   "linux-early": 1, "linux": 11, "devices": 34,
                   "qualify": 33}


def test_every_shipped_scenario_expands():
    shipped = {p.stem for p in (ROOT / "scenarios").glob("*.ini")
               if not p.stem.endswith("-gates")}
    assert shipped == set(EXPECTED_POINTS)
    listed = {l.split()[0]: int(l.split()[1]) for l in kb("scenarios", check=0).stdout.splitlines()}
    assert listed == EXPECTED_POINTS
    for name, n in EXPECTED_POINTS.items():
        first = kb("show", name, check=0).stdout
        keys = [l.split()[0] for l in first.splitlines()[2:]]
        assert len(keys) == n == len(set(keys))
        assert kb("show", name, check=0).stdout == first  # same file, same keys


def test_point_keys_do_not_depend_on_order(tmp_path):
    a = write(tmp_path, "a.ini", "[matrix]\ntopology = 1, 2\nworkload = hello, cpuid\n")
    b = write(tmp_path, "b.ini", "[matrix]\nworkload = cpuid, hello\ntopology = 2, 1\n")
    ka = sorted(l.split()[0] for l in kb("show", a, check=0).stdout.splitlines()[2:])
    kb_ = sorted(l.split()[0] for l in kb("show", b, check=0).stdout.splitlines()[2:])
    assert ka == kb_


def test_placeholders_and_include(tmp_path):
    f = write(tmp_path, "t.ini", "[matrix]\ntopology = 2x2x1\nworkload = topology\n"
              "[workload.topology]\nargs = sockets={sockets} cores={cores} threads={threads}\n"
              "[include]\npoint = topology=4 workload=hello memory=256M\n")
    out = kb("show", f, check=0).stdout
    assert "[sockets=2 cores=2 threads=1]" in out
    assert "topology=4 memory=256M" in out and "workload=hello" in out
    assert "2 points" in out


# --- runs ------------------------------------------------------------------------

def test_smoke_end_to_end_fills_every_table(kvm, tmp_path):
    db = tmp_path / "k.db"
    p = kb("run", "smoke", "--db", db, check=0)
    assert "campaign 1 done: pass 18" in p.stdout
    assert f"database: {db}" in p.stdout
    (n,), = rows(db, "SELECT count(*) FROM runs")
    assert n == 6 * (3 + 1)
    assert rows(db, "SELECT count(DISTINCT point_key), sum(warmup) FROM runs") == [(6, 6)]
    for t in ("hosts", "builds", "campaigns", "metrics", "marks", "exits", "kvm_stats"):
        (c,), = rows(db, f"SELECT count(*) FROM {t}")
        assert c > 0, t
    assert rows(db, "SELECT state, planned_runs FROM campaigns") == [("done", 24)]
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]
    # every run's exit counts are those of its stats JSON
    for run_id, log_dir in rows(db, "SELECT id, log_dir FROM runs"):
        stats = json.loads((Path(log_dir) / "stats.json").read_text())
        got = dict(rows(db, "SELECT name, count FROM exits WHERE run_id = ? AND kind = "
                            "'reason'", run_id))
        assert got == stats["exits"]["by_reason"]
        (total,), = rows(db, "SELECT count FROM exits WHERE run_id = ? AND kind = 'total'",
                         run_id)
        assert total == stats["exits"]["total"]
        (nm,), = rows(db, "SELECT count(*) FROM metrics WHERE run_id = ?", run_id)
        assert nm == len(stats["metrics"])
        assert (Path(log_dir) / "console.log").exists()
    pio = rows(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
                   "WHERE r.workload = 'pio' AND m.name = 'pio_iterations'")
    assert len(pio) == 8 and all(v >= 1 for (v,) in pio)
    s = kb("summary", "1", "--db", db, check=0).stdout
    assert s.count("\npoint ") == 6 and "pio_ns" in s and "exits.io" in s
    assert "smoke" in kb("list", "--db", db, check=0).stdout


@pytest.mark.parametrize("mode, reason", [
    ("hang", "the VMM hung: killed with SIGTERM"),
    ("hang-hard", "killed with SIGKILL"),
    ("segv", "died of signal 11"),
    ("garbage", "unreadable"),
    ("nojson", "unreadable"),
])
def test_misbehaving_vmm_is_a_recorded_failure(tmp_path, mode, reason):
    f = write(tmp_path, "s.ini", "[scenario]\nrepeats = 1\nwarmup = 0\ntimeout = 0.2\n"
              "[matrix]\nworkload = hello\n")
    db = tmp_path / "k.db"
    p = kb("run", f, "--db", db, env={**fake.env(mode), "KVMBENCH_GRACE_MS": "300"})
    assert p.returncode == 2, p.stderr
    (status, r, log_dir), = rows(db, "SELECT status, reason, log_dir FROM runs")
    assert status == "fail" and reason in r, r
    assert log_dir and Path(log_dir).is_dir()
    assert rows(db, "SELECT state FROM campaigns") == [("done",)]


def run_until_killed(db, scenario, after_runs):
    p = subprocess.Popen([str(KB), "run", str(scenario), "--db", str(db)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            (n,), = rows(db, "SELECT count(*) FROM runs")
        except sqlite3.Error:
            n = 0
        if n >= after_runs:
            break
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return n


def test_sigkill_then_resume_loses_and_duplicates_nothing(kvm, tmp_path):
    f = write(tmp_path, "r.ini", "[scenario]\nrepeats = 3\nwarmup = 1\n"
              "[matrix]\ntopology = 1, 2\nworkload = hello, cpuid\n"
              "[workload.cpuid]\nargs = ms=20\n")
    db = tmp_path / "k.db"
    killed_at = run_until_killed(db, f, 5)
    assert 5 <= killed_at < 16
    assert rows(db, "SELECT state FROM campaigns") == [("running",)]
    # --dry-run shows what the resume has left, and writes nothing
    before = rows(db, "SELECT id, state, pid, (SELECT count(*) FROM runs) FROM campaigns")
    (done,), = rows(db, "SELECT count(*) FROM runs")
    p = kb("run", f, "--db", db, "--resume", "--dry-run")
    assert p.stdout.startswith(f"--resume: campaign 1, {done} runs recorded, {16 - done} left\n")
    assert len([ln for ln in p.stdout.splitlines() if ln.startswith("run ")]) == 16 - done
    assert rows(db, "SELECT id, state, pid, (SELECT count(*) FROM runs) FROM campaigns") == before
    p = kb("run", f, "--db", db, "--resume", check=0)
    assert "already recorded" in p.stdout
    assert rows(db, "SELECT count(*), count(DISTINCT point_key || '/' || repeat || '/' || "
                    "warmup) FROM runs") == [(16, 16)]
    assert rows(db, "SELECT count(*) FROM campaigns") == [(1,)]
    assert rows(db, "SELECT state FROM campaigns") == [("done",)]
    for dry in ([], ["--dry-run"]):
        p = kb("run", f, "--db", db, "--resume", *dry)
        assert p.returncode == 1 and "no interrupted campaign" in p.stderr, p.stderr


def test_sigint_marks_the_campaign_interrupted(kvm, tmp_path):
    f = write(tmp_path, "i.ini", "[scenario]\nrepeats = 20\nwarmup = 0\n"
              "[matrix]\nworkload = cpuid\n[workload.cpuid]\nargs = ms=30\n")
    db = tmp_path / "k.db"
    p = subprocess.Popen([str(KB), "run", str(f), "--db", str(db)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    # interrupt once the first run is recorded (in the lab a run takes seconds)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            if rows(db, "SELECT count(*) FROM runs")[0][0] > 0:
                break
        except sqlite3.Error:
            pass  # not created yet
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "--resume" in err
    assert rows(db, "SELECT state FROM campaigns") == [("interrupted",)]
    (done,), = rows(db, "SELECT count(*) FROM runs")
    assert 0 < done < 20
    kb("run", f, "--db", db, "--resume", check=0)
    assert rows(db, "SELECT count(*) FROM runs") == [(20,)]


def test_shards_merged_equal_unsharded(kvm, tmp_path):
    f = write(tmp_path, "sh.ini", "[scenario]\nrepeats = 2\nwarmup = 1\n[matrix]\n"
              "topology = 1, 2\nmemory = 64M, 128M\nworkload = hello, cpuid\n"
              "[workload.cpuid]\nargs = ms=5\n")
    procs = [subprocess.Popen([str(KB), "run", str(f), "--shard", f"{k}/3", "--db",
                               str(tmp_path / f"s{k}.db"), "--quiet"])
             for k in (1, 2, 3)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    kb("run", f, "--db", tmp_path / "all.db", "--quiet", check=0)
    merged = tmp_path / "merged.db"
    out = kb("merge", *(tmp_path / f"s{k}.db" for k in (1, 2, 3)), "-o", merged, check=0).stdout
    assert "3 campaigns added in all" in out
    q = "SELECT point_key, repeat, warmup FROM runs ORDER BY 1, 2, 3"
    assert rows(merged, q) == rows(tmp_path / "all.db", q)
    assert len(rows(merged, q)) == 8 * 3
    sizes = [len(rows(tmp_path / f"s{k}.db", "SELECT DISTINCT point_key FROM runs"))
             for k in (1, 2, 3)]
    assert sorted(sizes) == [2, 3, 3]
    before = rows(merged, "SELECT count(*) FROM runs"), rows(merged, "SELECT count(*) FROM metrics")
    out = kb("merge", tmp_path / "s1.db", tmp_path / "s2.db", "-o", merged, check=0).stdout
    assert "0 campaigns added in all" in out
    assert (rows(merged, "SELECT count(*) FROM runs"),
            rows(merged, "SELECT count(*) FROM metrics")) == before
    # children follow their runs
    assert rows(merged, "SELECT count(*) FROM metrics m LEFT JOIN runs r ON r.id = m.run_id "
                        "WHERE r.id IS NULL") == [(0,)]


def test_paging_points_the_host_lacks_are_skipped(kvm, tmp_path):
    f = write(tmp_path, "p.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello\npaging = host, ept, npt, shadow\n")
    db = tmp_path / "k.db"
    # --host native: here, not in the lab the harness would otherwise choose
    # for modes this host lacks (tests/functional/test_lab.py)
    kb("run", f, "--db", db, "--host", "native", check=0)
    host_mode = rows(db, "SELECT paging FROM hosts")[0][0]
    got = dict((p, (s, r)) for p, s, r in rows(db, "SELECT paging, status, reason FROM runs"))
    assert got["host"][0] == "pass"
    for mode in ("ept", "npt", "shadow"):
        if mode == host_mode:
            assert got[mode][0] == "pass"
        else:
            assert got[mode][0] == "skip"
            assert f"paging={mode}" in got[mode][1]
            if host_is_pvm():
                assert "kvm_pvm" in got[mode][1]


# --- bad databases ----------------------------------------------------------------

def test_bad_databases_are_refused_untouched(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    before = junk.read_bytes()
    p = kb("list", "--db", junk)
    assert p.returncode == 1 and "junk.db" in p.stderr and "not an SQLite database" in p.stderr
    p = kb("run", "smoke", "--db", junk)
    assert p.returncode == 1 and "not an SQLite database" in p.stderr
    assert junk.read_bytes() == before

    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as c:
        c.execute("PRAGMA user_version = 99")
    p = kb("run", "smoke", "--db", newer)
    assert p.returncode == 1 and "newer than this kvmbench" in p.stderr
    assert rows(newer, "SELECT count(*) FROM sqlite_master") == [(0,)]

    good = tmp_path / "good.db"
    f = write(tmp_path, "one.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello\n")
    kb("run", f, "--db", good, "--quiet", env=fake.env("nojson"))
    os.chmod(good, 0o444)
    if os.geteuid() != 0:
        p = kb("run", f, "--db", good)
        assert p.returncode == 1 and "read-only" in p.stderr
    else:
        # root ignores file modes: make the directory read-only instead
        ro = tmp_path / "ro"
        ro.mkdir()
        subprocess.run(["mount", "--bind", "-o", "ro", str(tmp_path), str(ro)], check=False)
        if not (ro / "good.db").exists():
            pytest.skip("cannot make a read-only bind mount here")
        try:
            p = kb("run", f, "--db", ro / "good.db")
            assert p.returncode == 1 and ("read-only" in p.stderr or "readonly" in p.stderr), p.stderr
        finally:
            subprocess.run(["umount", str(ro)])
    os.chmod(good, 0o644)

    # a real database with damaged pages
    broken = tmp_path / "broken.db"
    broken.write_bytes(good.read_bytes())
    with sqlite3.connect(broken) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(broken.read_bytes())
    page = 4096
    for off in range(2 * page, len(data), page):
        data[off:off + 64] = os.urandom(64)
    broken.write_bytes(bytes(data))
    before = broken.read_bytes()
    p = kb("run", f, "--db", broken)
    assert p.returncode == 1 and "broken.db" in p.stderr and "corrupt" in p.stderr, p.stderr
    assert broken.read_bytes() == before

    locker = sqlite3.connect(good, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        p = kb("run", f, "--db", good, env={"KVMBENCH_DB_TIMEOUT_MS": "200"})
        assert p.returncode == 1 and "locked" in p.stderr, p.stderr
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert rows(good, "SELECT count(*) FROM runs") == [(1,)]


def test_bad_arguments(tmp_path):
    for args, msg in [(["run", "smoke", "--shard", "4/3"], "--shard 4/3"),
                      (["run", "smoke", "--jobs", "0"], "--jobs 0"),
                      (["run", "nonesuch"], "nonesuch.ini: cannot open"),
                      (["frobnicate"], "not a command"),
                      (["summary", "x", "--db", tmp_path / "none.db"], "no such database"),
                      (["summary", "1", "--db", tmp_path / "none.db"], "no such database")]:
        p = kb(*args)
        usage = args == ["frobnicate"]  # a usage error: 2 (tests/functional/test_cli.py)
        assert p.returncode == (2 if usage else 1) and msg in p.stderr, (args, p.stderr)


def test_fleet_scripts(kvm, tmp_path):
    for script in ("ci/shard-slurm.sh", "ci/shard-parallel.sh", "ci/install-deps"):
        assert subprocess.run(["sh", "-n", str(ROOT / script)]).returncode == 0, script
    # The Slurm script, run as two array tasks would be, then its merge step.
    f = write(tmp_path, "fleet.ini", "[scenario]\nrepeats = 2\nwarmup = 0\n[matrix]\n"
              "topology = 1, 2\nworkload = hello\n")
    work = tmp_path / "proj"
    (work / "build").mkdir(parents=True)
    (work / "build" / "kvmbench").symlink_to(KB)
    env = dict(os.environ, SLURM_SUBMIT_DIR=str(work), SLURM_ARRAY_TASK_COUNT="2",
               SLURM_ARRAY_JOB_ID="42", KVMBENCH_ROOT=str(ROOT))
    def task(k):
        return subprocess.run(["sh", str(ROOT / "ci/shard-slurm.sh"), str(f)], text=True,
                              capture_output=True, env=dict(env, SLURM_ARRAY_TASK_ID=k))
    for k in ("1", "2"):
        p = task(k)
        assert p.returncode == 0, p.stderr
    # a requeued task resumes its interrupted campaign rather than start
    # another, even from a database an older kvmbench wrote (migrated first)
    shard1 = work / "results" / "shards" / "fleet-1.db"
    with sqlite3.connect(shard1) as c:
        c.execute("UPDATE campaigns SET state = 'interrupted'")
        for t in ("metrics", "marks", "exits", "kvm_stats"):
            c.execute(f"DELETE FROM {t} WHERE run_id = (SELECT max(id) FROM runs)")
        c.execute("DELETE FROM runs WHERE id = (SELECT max(id) FROM runs)")
        c.execute("ALTER TABLE runs DROP COLUMN sandbox")  # as schema version 3 had it
        c.execute("PRAGMA user_version = 3")
    p = task("1")
    assert p.returncode == 0 and "1 already recorded" in p.stdout, p.stdout + p.stderr
    assert rows(shard1, "SELECT count(*), min(state) FROM campaigns") == [(1, "done")]
    assert rows(shard1, "SELECT count(*) FROM runs") == [(2,)]
    # a damaged shard database is said, not hidden behind a fresh start
    broken = work / "results" / "shards" / "fleet-3.db"
    broken.write_bytes(b"not a database" * 100)
    p = subprocess.run(["sh", str(ROOT / "ci/shard-slurm.sh"), str(f)], text=True,
                       capture_output=True, env=dict(env, SLURM_ARRAY_TASK_ID="3",
                                                     SLURM_ARRAY_TASK_COUNT="3"))
    assert p.returncode == 1 and "fleet-3.db" in p.stderr, p.stderr
    assert broken.read_bytes() == b"not a database" * 100
    p = subprocess.run(["sh", str(ROOT / "ci/shard-slurm.sh"), "--merge", "fleet", "2"],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0 and "2 campaigns added in all" in p.stdout, p.stderr
    merged = work / "results" / "fleet-merged.db"
    assert rows(merged, "SELECT count(*), count(DISTINCT point_key), min(c.tag) FROM runs r "
                        "JOIN campaigns c ON c.id = r.campaign_id") == [(4, 2, "slurm-42")]
    # a task that ran to the end runs again as a new campaign (the next night)
    p = task("1")
    assert p.returncode == 0 and rows(shard1, "SELECT count(*) FROM campaigns") == [(2,)]


def test_schema_migration_keeps_data(tmp_path):
    f = write(tmp_path, "one.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello\n")
    db = tmp_path / "old.db"
    kb("run", f, "--db", db, "--quiet", env=fake.env("nojson"))
    with sqlite3.connect(db) as c:  # turn it into a schema 1 database
        c.execute("ALTER TABLE campaigns DROP COLUMN vmm_args")
        c.execute("ALTER TABLE hosts DROP COLUMN kind")
        c.execute("ALTER TABLE hosts DROP COLUMN timings_emulated")
        c.execute("ALTER TABLE campaigns DROP COLUMN run_group")
        c.execute("ALTER TABLE runs DROP COLUMN sandbox")
        c.execute("PRAGMA user_version = 1")
    # readers never upgrade (tests/security/test_hostile_db.py); migrate does
    p = kb("list", "--db", db)
    assert p.returncode == 1 and "older than 4" in p.stderr and "kvmbench migrate" in p.stderr
    os.chmod(db, 0o444)
    if os.geteuid() != 0:  # root may write anyway
        p = kb("migrate", "--db", db)
        assert p.returncode == 1 and "read-only" in p.stderr
    os.chmod(db, 0o644)
    assert "version 1 to 4" in kb("migrate", "--db", db, check=0).stdout
    assert rows(db, "PRAGMA user_version") == [(4,)]
    kb("list", "--db", db, check=0)
    # version 3: host kinds, filled from the KVM module for hosts recorded before
    (kind, emulated), = rows(db, "SELECT kind, timings_emulated FROM hosts")
    assert kind in ("pvm", "vmx", "svm", "none") and emulated == 0, kind
    kb("run", f, "--db", db, "--quiet", "--vmm-args", "-m 64M", env=fake.env("nojson"))
    assert rows(db, "PRAGMA user_version") == [(4,)]
    assert rows(db, "SELECT id, vmm_args FROM campaigns ORDER BY id") == [(1, None), (2, "-m 64M")]
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]
    # version 4: the VMM's sandbox per run (the fake VMM wrote no stats: NULL)
    assert rows(db, "SELECT sandbox FROM runs") == [(None,), (None,)]


def test_concurrent_campaigns_share_one_new_database(kvm, tmp_path):
    f = write(tmp_path, "c.ini", "[scenario]\nrepeats = 2\nwarmup = 0\n[matrix]\n"
              "workload = hello, cpuid\n[workload.cpuid]\nargs = ms=5\n")
    db = tmp_path / "shared.db"
    procs = [subprocess.Popen([str(KB), "run", str(f), "--db", str(db), "--quiet", "--tag",
                               f"t{i}"], stderr=subprocess.PIPE, text=True) for i in range(3)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errs
    assert rows(db, "SELECT count(*) FROM campaigns WHERE state = 'done'") == [(3,)]
    assert rows(db, "SELECT count(*) FROM runs") == [(12,)]
    assert rows(db, "PRAGMA user_version") == [(4,)]


def test_until_ends_a_run_at_a_console_line(kvm, tmp_path):
    f = write(tmp_path, "u.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = w\n[workload.w]\nguest = hello\nargs = hang=1\n"
              "until = ^Hello from kvmbench guest on [0-9]+ vCPU\n")
    db = tmp_path / "k.db"
    kb("run", f, "--db", db, "--quiet", check=0)
    (status, reason), = rows(db, "SELECT status, reason FROM runs")
    assert status == "pass" and reason.startswith("until: the console matched"), reason
    assert rows(db, "SELECT name FROM marks WHERE name = 'until'") == [("until",)]
    bad = write(tmp_path, "b.ini", "[matrix]\nworkload = w\n[workload.w]\nguest = hello\n"
                "until = ([\n")
    p = kb("show", bad)
    assert p.returncode == 1 and f"{bad}:5: until" in p.stderr


def test_numa_axis_gives_the_vmm_nodes(kvm, tmp_path):
    sc = write(tmp_path, "numa.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
               "topology = 2x2x1\nmemory = 256M\nnuma = none, 2\nworkload = topology\n"
               "[workload.topology]\nargs = sockets={sockets} cores={cores} threads={threads}\n")
    db = tmp_path / "k.db"
    kb("run", str(sc), "--db", str(db), check=0)
    got = {}
    for numa, log_dir in rows(db, "SELECT numa, log_dir FROM runs"):
        got[numa] = json.loads((Path(log_dir) / "stats.json").read_text())["config"]["numa_nodes"]
    assert got == {"none": 1, "2": 2}
    bad = write(tmp_path, "bad.ini", "[scenario]\n[matrix]\ntopology = 3\nnuma = 2\n"
                "workload = hello\n")
    p = kb("run", str(bad), "--db", str(db))
    assert p.returncode == 1 and "whole sockets" in p.stderr, p.stderr


# --- caps on what a run may write (issue 12 item 13) ----------------------------


def test_vmm_output_is_capped_not_fatal(tmp_path):
    f = write(tmp_path, "s.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\nworkload = hello\n")
    db = tmp_path / "k.db"
    p = kb("run", f, "--db", db, env={**fake.env("chatty"), "KVMBENCH_LOG_CAP": "64K"})
    assert p.returncode == 0, p.stderr
    (status, reason, log_dir), = rows(db, "SELECT status, reason, log_dir FROM runs")
    assert status == "pass" and reason == "pass: chatty; VMM output capped at 65536 bytes", reason
    data = (Path(log_dir) / "vmm.log").read_bytes()
    first, _, rest = data.partition(b"\n")
    assert b" -serial-cap 65536" in first  # the console's cap, for the VMM to enforce
    assert len(data) == 65536 + len(b"\nkvmbench: VMM output capped at 65536 bytes; the rest is "
                                     b"dropped\n"), len(data)
    assert data.endswith(b"v\nkvmbench: VMM output capped at 65536 bytes; the rest is dropped\n")


def test_bad_log_cap_is_an_error(tmp_path):
    f = write(tmp_path, "s.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\nworkload = hello\n")
    p = kb("run", f, "--db", tmp_path / "k.db", env={"KVMBENCH_LOG_CAP": "lots"})
    assert p.returncode == 1 and "KVMBENCH_LOG_CAP=lots" in p.stderr, p.stderr


def test_console_log_is_capped_through_the_harness(kvm, tmp_path):
    f = write(tmp_path, "s.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\nworkload = hello\n")
    db = tmp_path / "k.db"
    p = kb("run", f, "--db", db, env={"KVMBENCH_LOG_CAP": "20"})
    assert p.returncode == 0, p.stderr
    (status, reason, log_dir), = rows(db, "SELECT status, reason, log_dir FROM runs")
    assert status == "pass" and "; console output capped at 20 bytes" in reason, reason
    text = (Path(log_dir) / "console.log").read_text()
    assert text == "Hello from kvmbench \n[kvmbench-vmm: console output capped at 20 bytes; " \
                   "the rest is dropped]\n", text
