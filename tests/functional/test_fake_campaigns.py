"""The harness and its reports on the fake VMM (tests/fake/vmm.py): passing
campaigns recorded whole, every outcome a run can have, summary, compare
(an injected slowdown flagged, an A/A pair quiet, noise called noisy) and a
report, all without KVM."""
import json
from pathlib import Path

import pytest

from framework import fake

SMOKE_LIKE = """[scenario]
repeats = 3
warmup = 1
[matrix]
topology = 1, 2
workload = hello, pio, rng
[workload.pio]
args = ms=10
[workload.rng]
args = n=4
[exclude]
rule = workload=rng topology=2
[include]
point = workload=rng devices=virtio-rng
"""

AB = fake.pio_cpuid(10, warmup=1)


def test_a_campaign_of_passing_fake_runs_is_recorded_whole(fake_harness):
    h = fake_harness
    p = h("run", h.scenario(SMOKE_LIKE))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "campaign 1 done: pass 18" in p.stdout, p.stdout
    assert h.rows("SELECT status, count(*) FROM runs GROUP BY 1") == [("pass", 24)]
    assert h.rows("SELECT state, planned_runs FROM campaigns") == [("done", 24)]
    for t in ("hosts", "builds", "campaigns", "metrics", "marks", "exits", "kvm_stats"):
        assert h.rows(f"SELECT count(*) FROM {t}")[0][0] > 0, t
    # every run's exit counts and metrics are those of its stats JSON
    for run_id, log_dir in h.rows("SELECT id, log_dir FROM runs"):
        stats = json.loads((Path(log_dir) / "stats.json").read_text())
        assert dict(h.rows("SELECT name, count FROM exits WHERE run_id = ? AND kind = 'reason'",
                           run_id)) == stats["exits"]["by_reason"]
        got = dict(h.rows("SELECT name, value FROM metrics WHERE run_id = ?", run_id))
        assert {m["name"]: m["value"] for m in stats["metrics"]}.items() <= got.items()
        assert h.rows("SELECT sandbox FROM runs WHERE id = ?", run_id) == [("on",)]
    # the device's derived metrics (ingest.c): requests and exits per request
    assert h.rows("SELECT count(*), min(value) FROM metrics WHERE name = "
                  "'virtio-rng0.requests'") == [(4, 16.0)]
    s = h("summary", "1", check=0).stdout
    assert s.count("\npoint ") == 6 and s.count("runs 3: pass 3, fail 0, skip 0") == 6, s
    assert "pio_ns" in s and "exits.io" in s
    listed = h("list", check=0).stdout.splitlines()[1].split()
    assert listed[:4] == ["1", "s", "bench", "done"] and listed[-2:] == ["18", "0"], listed


@pytest.mark.parametrize("args, status, code, reason", [
    ("", "pass", 0, "pass: guest reported pass"),
    ("fake.status=fail", "fail", 2, "fail: the fake guest fails on purpose"),
    ("fake.status=crash", "fail", 3, "crash: vCPU 0: triple fault"),
    ("fake.status=skip", "skip", 77, "skip: the fake guest skips"),
    ("fake.status=error", "fail", 1, "error: fake VMM error on purpose"),
    ("fake.sleep=30", "fail", 124, "timeout: no result within 0.5 s (-timeout)"),
])
def test_every_outcome_is_recorded_as_the_vmm_ends(fake_harness, args, status, code, reason):
    h = fake_harness
    p = h.run(h.scenario("[scenario]\nrepeats = 1\nwarmup = 0\ntimeout = 0.5\n[matrix]\n"
                         f"workload = w\n[workload.w]\nguest = pio\nargs = {args}\n"))
    assert p.returncode == (2 if status == "fail" else 0), p.stdout + p.stderr
    (st, rc, why), = h.rows("SELECT status, exit_code, reason FROM runs")
    assert (st, rc) == (status, code) and why.startswith(reason), why


def test_outcomes_per_workload_from_the_environment(fake_harness):
    h = fake_harness
    f = h.scenario("[scenario]\nrepeats = 2\nwarmup = 0\n[matrix]\nworkload = pio, cpuid, hlt\n")
    p = h.run(f, env={"FAKE_STATUS": "cpuid=fail,hlt=crash"})
    assert p.returncode == 2, p.stdout + p.stderr
    assert h.rows("SELECT workload, status, count(*) FROM runs GROUP BY 1, 2 ORDER BY 1") == [
        ("cpuid", "fail", 2), ("hlt", "fail", 2), ("pio", "pass", 2)]
    assert "runs 2: pass 0, fail 2, skip 0" in h("summary", "1", check=0).stdout


def compare(h, *args):
    p = h("compare", *args)
    verdicts = {}
    for line in p.stdout.splitlines():
        words = line.split()
        if len(words) > 3 and words[0] in ("regressed", "improved", "unchanged", "noisy"):
            verdicts.setdefault(words[0], set()).update(w for w in words
                                                        if w in ("pio_ns", "cpuid_ns"))
    return p, verdicts


def test_compare_flags_an_injected_slowdown_and_not_an_aa_pair(fake_harness):
    """Three campaigns of the same points, values with a 3 % spread: the
    second as the first (A/A), the third with 500 ns more per exit
    (-test-exit-delay, as test_report.py slows the real VMM): +10 % for pio
    at 5 us, flagged; +2.5 % for cpuid at 20 us, under the 5 % threshold."""
    h = fake_harness
    f = h.scenario(AB)
    for extra in ([], [], ["--vmm-args", "-test-exit-delay 500"]):
        p = h.run(f, *extra, env={"FAKE_SPREAD": "0.03"}, check=0)
    p, verdicts = compare(h, "1", "2")
    assert p.returncode == 0, p.stdout
    assert set(verdicts) == {"unchanged"}, p.stdout
    assert "0 regressed" in p.stdout and "0 improved" in p.stdout, p.stdout
    p, verdicts = compare(h, "1", "3")
    assert p.returncode == 10, p.stdout
    assert "pio_ns" in verdicts["regressed"] and "cpuid_ns" in verdicts["unchanged"], p.stdout
    j = json.loads(h("compare", "1", "3", "--format", "json").stdout)
    pio = [r for r in j["results"] if r["metric"] == "pio_ns"][0]
    assert pio["verdict"] == "regressed" and 1.05 < pio["low"] <= pio["ratio"] < 1.15, pio


def test_compare_calls_a_noisy_aa_pair_noisy(fake_harness):
    h = fake_harness
    f = h.scenario(AB)
    for _ in range(2):
        h.run(f, "--repeat", "4", env={"FAKE_SPREAD": "0.5"}, check=0)
    p, verdicts = compare(h, "1", "2")
    assert p.returncode == 0, p.stdout
    assert verdicts.get("noisy") == {"pio_ns", "cpuid_ns"}, p.stdout


def test_report_of_a_fake_campaign(fake_harness):
    h = fake_harness
    h.run(h.scenario(SMOKE_LIKE), check=0)
    p, out = h.report("1")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "pio_ns" in p.stdout and "hello: no metrics" in p.stdout, p.stdout
    html = (out / "index.html").read_text()
    figures = html.count("<figure ")
    assert figures >= 4 and f"({figures} figures)" in p.stdout, p.stdout
    for name in ("exits-by-reason", "exits-by-device", "dist-pio", "scaling-pio"):
        assert (out / "plots" / f"{name}.svg").stat().st_size > 1000, name
