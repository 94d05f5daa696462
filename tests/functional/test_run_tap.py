"""kvmbench run --format tap (issue 14): the campaign's points as TAP
version 13 on stdout, everything else on stderr; on the fake VMM."""
import sqlite3
from pathlib import Path

import pytest

from framework import fake
from framework.harness import Harness
from framework.host import host_is_pvm

FAILING = fake.failing(warmup=1)


@pytest.fixture
def h(tmp_path):
    return Harness(tmp_path, env=fake.env())


def tap_results(out):
    """The TAP document's plan and its test lines, checked for form."""
    lines = out.splitlines()
    assert lines[0] == "TAP version 13", out
    assert lines[1].startswith("1.."), out
    results = [ln for ln in lines if ln.startswith(("ok ", "not ok "))]
    for i, ln in enumerate(results, 1):
        assert ln.split(" - ")[0].endswith(f"ok {i}"), ln
    assert all(ln.startswith(("ok ", "not ok ", "# ", "TAP ", "1..", "Bail out!"))
               for ln in lines), out
    return int(lines[1][3:]), results


def test_run_tap_a_line_per_point_failures_with_reason_and_logs(h):
    p = h("run", h.scenario(FAILING), "--format", "tap")  # not --quiet: progress on
    assert p.returncode == 2, p.stderr
    n, results = tap_results(p.stdout)
    assert n == len(results) == 3
    bad = [ln for ln in results if ln.startswith("not ok")]
    assert len(bad) == 1 and "workload=cpuid" in bad[0] and "2 failed" in bad[0]
    logs = [ln for ln in p.stdout.splitlines() if ln.startswith("# logs: ")]
    assert len(logs) == 1
    log_dir = logs[0].split()[2]
    assert Path(log_dir).is_dir() and (Path(log_dir) / "console.log").exists(), log_dir
    assert any("workload=pio" in ln and ln.startswith("ok ") and "#" not in ln
               for ln in results)
    # the progress and closing summary went to stderr, not into the TAP
    assert "campaign 1" in p.stderr and "campaign 1" not in p.stdout


def test_run_tap_skipped_point_says_why(h):
    if not host_is_pvm():
        pytest.skip("needs a host without EPT/NPT (kvm_pvm) so that paging=ept is skipped")
    s = h.scenario("[scenario]\nrepeats = 2\nwarmup = 0\n[matrix]\nworkload = pio\n"
                   "paging = shadow, ept\n[workload.pio]\nargs = fake.ns=5000\n")
    p = h.run(s, "--format", "tap", "--host", "native")
    assert p.returncode == 0, p.stderr
    n, results = tap_results(p.stdout)
    assert n == 2 and "paging=ept" in results[1] and "# SKIP paging=ept:" in results[1]


def test_run_tap_error_is_a_bail_out(h):
    bad = h.scenario("[scenario]\nrepeats = x\n")
    p = h.run(bad, "--format", "tap")
    assert p.returncode == 1
    n, results = tap_results(p.stdout)
    assert n == 0 and not results
    assert p.stdout.splitlines()[-1].startswith("Bail out! ") and "repeats" in p.stdout


def test_run_tap_refuses_dry_run_and_other_formats(h):
    s = h.scenario(FAILING)
    p = h.run(s, "--format", "tap", "--dry-run")
    assert p.returncode == 1 and "--dry-run" in p.stderr and p.stdout == ""
    p = h.run(s, "--format", "json")
    assert p.returncode == 1 and "--format" in p.stderr and len(p.stderr.splitlines()) == 1


def test_run_tap_cannot_be_forged_by_a_parameter(h):
    """A '#' in a point's parameters would start a TAP directive ("# TODO"
    excuses a failure in prove); a newline in a reason a forged line."""
    s = h.scenario("[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\nworkload = cpuid\n"
                   "vmm_args = -name a # TODO later\n[workload.cpuid]\nargs = fake.status=crash\n")
    p = h.run(s, "--format", "tap")
    assert p.returncode == 2, p.stderr
    n, results = tap_results(p.stdout)
    assert n == 1 and results[0].startswith("not ok 1 - ")
    assert "\\# TODO later" in results[0] and " # TODO" not in results[0], results[0]
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE runs SET reason = 'x' || char(10) || 'ok 7 - forged'")
    g = h.scenario("[gates]\nall_pass = yes\n", "g.ini")
    p = h("gates", "1", "--gates", g, "--format", "tap")
    assert "\nok 7 - forged" not in p.stdout and "x ok 7 - forged" in p.stdout, p.stdout
