"""The harness against hostile surroundings (issue 12, items 11, 12, 15): merges
that pick up what is new, read-only commands that write nothing, VMMs that
leave children or outlive the harness, a FIFO where the stats should be, and a
database locked in the middle of a campaign.  No KVM needed: tests/fake/vmm.sh
stands in for the VMM."""
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from framework import fake as fake_vmm
from framework.harness import kb, rows, write
from framework.paths import KB


def fake(mode, **extra):
    return {**fake_vmm.env(mode), "KVMBENCH_GRACE_MS": "300", **extra}


def alive(pid):
    """A process that exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = what()
        if v:
            return v
        time.sleep(0.02)
    return None


def pids(tmp_path, name="vmm.pid"):
    return [int(p.read_text()) for p in tmp_path.glob(f"logs/*/*/{name}") if p.read_text().strip()]


@pytest.fixture
def reap():
    """Kills whatever pids a test collected, should it fail half-way."""
    left = []
    yield left
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def one_run(tmp_path):
    return write(tmp_path, "one.ini", "[scenario]\nrepeats = 1\nwarmup = 0\ntimeout = 5\n"
                 "[matrix]\nworkload = hello\n")


# --- 11: merge is incremental -------------------------------------------------------

def test_remerge_picks_up_runs_added_to_a_source(tmp_path):
    f = write(tmp_path, "m.ini", "[scenario]\nrepeats = 6\nwarmup = 0\n[matrix]\n"
              "workload = hello\n")
    src, out = tmp_path / "src.db", tmp_path / "out.db"
    p = subprocess.Popen([str(KB), "run", str(f), "--db", str(src), "--quiet"],
                         env=dict(os.environ, **fake("pass", FAKE_SLEEP="0.2")),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def recorded():
        try:
            return rows(src, "SELECT count(*) FROM runs")[0][0] >= 2
        except sqlite3.Error:
            return False
    assert wait_for(recorded), "no runs recorded"
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=30) == 130
    (first,), = rows(src, "SELECT count(*) FROM runs")
    assert 2 <= first < 6
    assert "1 campaign added in all" in kb("merge", src, "-o", out, check=0).stdout
    assert rows(out, "SELECT count(*), state FROM runs, campaigns") == [(first, "interrupted")]

    kb("run", f, "--db", src, "--resume", "--quiet", env=fake("pass"), check=0)
    o = kb("merge", src, "-o", out, check=0).stdout
    assert f"0 campaigns added in all, {6 - first} runs" in o, o
    q = "SELECT point_key, repeat, status FROM runs ORDER BY 1, 2"
    assert rows(out, q) == rows(src, q) and len(rows(out, q)) == 6
    assert rows(out, "SELECT count(*) FROM metrics") == [(6,)]
    assert rows(out, "SELECT state FROM campaigns") == [("done",)]
    # and once more: nothing twice
    assert "0 campaigns added in all, 0 runs" in kb("merge", src, "-o", out, check=0).stdout
    assert rows(out, "SELECT count(*) FROM runs") == [(6,)]
    assert rows(out, "SELECT count(*) FROM metrics") == [(6,)]


def test_merge_refuses_the_output_under_another_name(tmp_path):
    db = tmp_path / "k.db"
    kb("run", one_run(tmp_path), "--db", db, "--quiet", env=fake("nojson"))
    p = kb("merge", f"{tmp_path}/./k.db", "-o", db)
    assert p.returncode == 1 and "both a source and the output" in p.stderr, p.stderr


# --- 12: read-only commands write nothing ---------------------------------------------

def old_schema_copy(tmp_path):
    """A schema 1 database, checkpointed: the file is all of it."""
    db = tmp_path / "k.db"
    kb("run", one_run(tmp_path), "--db", db, "--quiet", env=fake("nojson"))
    with sqlite3.connect(db) as c:
        for sql in ("ALTER TABLE campaigns DROP COLUMN vmm_args",
                    "ALTER TABLE hosts DROP COLUMN kind",
                    "ALTER TABLE hosts DROP COLUMN timings_emulated",
                    "ALTER TABLE campaigns DROP COLUMN run_group",
                    "ALTER TABLE runs DROP COLUMN sandbox",
                    "PRAGMA user_version = 1"):
            c.execute(sql)
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    old = tmp_path / "old.db"
    shutil.copyfile(db, old)
    return old


READERS = [
    ["list"],
    ["summary", "1"],
    ["report", "1", "--out", "OUT"],
    ["compare", "1", "1"],
    ["gates", "1", "--gates", "GATES"],
]


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_read_only_commands_leave_an_old_schema_untouched(tmp_path, args):
    old = old_schema_copy(tmp_path)
    gates = write(tmp_path, "g.ini", "[gates]\nall_pass = yes\n[gate.fake_ns]\nmax = 1\n")
    subst = {"GATES": str(gates), "OUT": str(tmp_path / "report")}
    args = [subst.get(a, a) for a in args]
    before = old.read_bytes()
    p = kb(*args, "--db", old)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "schema version 1 is older than 4" in p.stderr, p.stderr
    assert f"kvmbench migrate --db {old}" in p.stderr, p.stderr
    assert old.read_bytes() == before
    assert rows(old, "PRAGMA user_version") == [(1,)]


def test_merge_never_writes_to_its_sources(tmp_path):
    old = old_schema_copy(tmp_path)
    before = old.read_bytes()
    p = kb("merge", old, "-o", tmp_path / "out.db")
    assert p.returncode == 1 and "older than 4" in p.stderr and "kvmbench migrate" in p.stderr
    assert old.read_bytes() == before

    # a current source whose last commits are still in its WAL (its writer
    # died): merging reads them and leaves the file as it was
    cur = tmp_path / "cur.db"
    kb("run", one_run(tmp_path), "--db", cur, "--quiet", env=fake("nojson"))
    live = sqlite3.connect(cur, isolation_level=None)
    live.execute("PRAGMA wal_autocheckpoint = 0")
    live.execute("UPDATE campaigns SET tag = 'from-the-wal'")
    crashed = tmp_path / "crashed.db"
    shutil.copyfile(cur, crashed)
    shutil.copyfile(str(cur) + "-wal", str(crashed) + "-wal")
    live.close()
    before = crashed.read_bytes(), (tmp_path / "crashed.db-wal").read_bytes()
    kb("merge", crashed, "-o", tmp_path / "out.db", check=0)
    assert rows(tmp_path / "out.db", "SELECT tag FROM campaigns") == [("from-the-wal",)]
    assert (crashed.read_bytes(), (tmp_path / "crashed.db-wal").read_bytes()) == before


def test_migrate_upgrades_in_place(tmp_path):
    old = old_schema_copy(tmp_path)
    assert "version 1 to 4" in kb("migrate", "--db", old, check=0).stdout
    assert rows(old, "PRAGMA user_version") == [(4,)]
    assert " one " in kb("list", "--db", old, check=0).stdout


# --- 15: nothing outlives a run, nothing hangs the harness -------------------------------

def test_a_vmm_grandchild_is_gone_after_the_run(tmp_path, reap):
    p = kb("run", one_run(tmp_path), "--db", tmp_path / "k.db", env=fake("grandchild"),
           timeout=60)
    assert p.returncode == 2, p.stderr
    gc = pids(tmp_path, "grandchild.pid")
    reap.extend(gc)
    assert len(gc) == 1
    assert wait_for(lambda: not alive(gc[0]), 5), "the VMM's child outlived its run"


def test_sigkill_of_the_harness_takes_its_vmms(tmp_path, reap):
    f = write(tmp_path, "k.ini", "[scenario]\nrepeats = 2\nwarmup = 0\ntimeout = 60\njobs = 2\n"
              "[matrix]\nworkload = hello\n")
    p = subprocess.Popen([str(KB), "run", str(f), "--db", str(tmp_path / "k.db")],
                         env=dict(os.environ, **fake("pidfile")), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        vmms = wait_for(lambda: len(pids(tmp_path)) == 2 and pids(tmp_path))
    finally:
        p.kill()
        p.wait()
    assert vmms, "the VMMs did not start"
    reap.extend(vmms)
    assert wait_for(lambda: not any(map(alive, vmms)), 5), "a VMM outlived the harness"


def test_a_fifo_at_the_stats_path_fails_the_run(tmp_path):
    db = tmp_path / "k.db"
    try:
        p = kb("run", one_run(tmp_path), "--db", db, env=fake("fifo"), timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the harness hung on a FIFO at the stats path")
    assert p.returncode == 2, p.stderr
    (status, reason), = rows(db, "SELECT status, reason FROM runs")
    assert status == "fail" and "stats.json" in reason and "not a regular file" in reason, reason
    assert rows(db, "SELECT state FROM campaigns") == [("done",)]


def test_a_database_locked_mid_campaign_settles_it(tmp_path, reap):
    f = write(tmp_path, "l.ini", "[scenario]\nrepeats = 4\nwarmup = 0\ntimeout = 60\njobs = 2\n"
              "[matrix]\nworkload = hello\n")
    db = tmp_path / "k.db"
    p = subprocess.Popen([str(KB), "run", str(f), "--db", str(db)],
                         env=dict(os.environ, **fake("first-quick", KVMBENCH_DB_TIMEOUT_MS="1000")),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    locker = None
    try:
        # run 0 ends a second after it starts; lock before it is recorded
        vmms = wait_for(lambda: len(pids(tmp_path)) == 2 and pids(tmp_path))
        assert vmms, "the VMMs did not start"
        reap.extend(vmms)
        locker = sqlite3.connect(db, isolation_level=None, timeout=10)
        locker.execute("BEGIN IMMEDIATE")
        assert locker.execute("SELECT count(*) FROM runs").fetchone() == (0,), \
            "this machine was too slow: run 0 was recorded before the lock"
        # recording run 0 times out; the harness stops the other VMM, then waits
        # for the lock to settle the campaign
        stopped = wait_for(lambda: not any(map(alive, vmms)), 15)
        locker.execute("ROLLBACK")
        assert stopped, "the VMMs outlived the campaign's failure"
        out, err = p.communicate(timeout=30)
    finally:
        if locker:
            locker.close()
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 1 and "locked" in err, err
    assert rows(db, "SELECT state, finished IS NOT NULL FROM campaigns") == [("failed", 1)]
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]
