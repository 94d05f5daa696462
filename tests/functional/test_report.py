"""Reports (gnuplot + HTML, checked in headless Chromium), compare, nightly, qualify."""
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from framework import browser, fake
from framework.harness import kb, rows, write
from framework.host import in_lab
from framework.lab import lab_retry, linux_host_fault
from framework.paths import ROOT

def chromium(page, tmp_path):
    """Open page headless: (figures loaded, figures broken, first-screen
    screenshot bytes)."""
    attrs = browser.body(page, tmp_path)
    shot = browser.screenshot(page, tmp_path, f"report-{page.parent.name}")
    return int(attrs["data-figures-loaded"]), int(attrs["data-figures-broken"]), shot


@pytest.fixture(scope="module")
def smoke_db(kvm, tmp_path_factory):
    d = tmp_path_factory.mktemp("smoke")
    db = d / "k.db"
    kb("run", "smoke", "--db", db, "--quiet", check=0)
    return db


def test_report_on_smoke_renders(kvm, smoke_db, tmp_path):
    out = tmp_path / "rep"
    p = kb("report", "--db", smoke_db, "--out", out, "--png", check=0)
    assert "report: " in p.stdout and "(6 figures)" in p.stdout
    assert "pio_ns" in p.stdout and "hello: no metrics" in p.stdout
    page = out / "index.html"
    html = page.read_text()
    assert html.count("<figure ") == 6 and "http" not in html.replace("https://", "http")
    for name in ("exits-by-reason", "exits-by-device", "dist-cpuid", "dist-pio",
                 "scaling-cpuid", "scaling-pio"):
        assert (out / "plots" / f"{name}.svg").stat().st_size > 1000
        assert (out / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    # the figures' data: every point has its exits (a truncated point key once
    # left every value 0)
    for name in ("exits-by-reason", "exits-by-device"):
        lines = (out / "plots" / f"{name}.dat").read_text().splitlines()
        assert len(lines) == 7, lines  # header + 6 points
        for line in lines[1:]:
            assert sum(float(x) for x in line.split("\t")[1:]) > 0, (name, line)
    dev = (out / "plots" / "exits-by-device.dat").read_text().splitlines()
    com1 = dev[0].split("\t").index("pio:com1")
    assert all(float(l.split("\t")[com1]) > 0 for l in dev[1:])
    assert "KVM statistics" in html and "Only one paging mode (shadow" in html or \
        "Only one paging mode" in html
    loaded, broken, shot = chromium(page, tmp_path)
    assert (loaded, broken) == (6, 0)
    assert shot[:4] == b"\x89PNG" and len(shot) > 20000
    j = json.loads(kb("report", "--db", smoke_db, "--out", out, "--format", "json",
                      check=0).stdout)
    assert {r["workload"] for r in j["rows"]} == {"cpuid", "pio"}
    assert all(r["ci_low"] <= r["median"] <= r["ci_high"] for r in j["rows"])
    csv = kb("report", "--db", smoke_db, "--out", out, "--format", "csv", check=0).stdout
    assert csv.splitlines()[0].startswith("point_key,workload,label,params,paging,host,"
                                          "metric,unit,median")


def test_report_paging_modes_from_a_merged_database(kvm, tmp_path):
    f = write(tmp_path, "m.ini", "[scenario]\nrepeats = 3\nwarmup = 0\n[matrix]\n"
              "workload = memtouch, ptchurn\n[workload.memtouch]\nargs = mib=4\n"
              "[workload.ptchurn]\nargs = ms=10\n")
    a, b, m = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "m.db"
    kb("run", f, "--db", a, "--quiet", check=0)
    kb("run", f, "--db", b, "--quiet", check=0)
    with sqlite3.connect(b) as c:  # the same runs as if recorded on an EPT host
        c.execute("UPDATE hosts SET uuid = 'ept-host', hostname = 'ept-host', "
                  "kvm_module = 'kvm_intel', paging = 'ept'")
    kb("merge", a, b, "-o", m, check=0)
    assert sorted(r[0] for r in rows(m, "SELECT paging FROM hosts")) == sorted(
        {rows(a, "SELECT paging FROM hosts")[0][0], "ept"})
    out = tmp_path / "rep"
    kb("report", "1", "2", "--db", m, "--out", out, check=0)
    html = (out / "index.html").read_text()
    mode = rows(a, "SELECT paging FROM hosts")[0][0]
    if mode == "ept":
        pytest.skip("this host has EPT already: the merged database has one mode")
    if mode != "shadow":  # npt (the lab) and ept: two TDP modes, nothing to compare
        assert "<section id=paging>" in html and f"paging modes ({mode}, ept) are not " \
            "shadow paging and EPT/NPT: no comparison" in html
        assert not (out / "paging.html").exists()
        return
    assert "<section id=paging>" in html and '<a href="paging.html">' in html
    page = (out / "paging.html").read_text()
    assert f"{mode} / EPT" in page and "mmu_pte_write" in page
    assert (out / "plots" / "paging.svg").exists()
    loaded, broken, _ = chromium(out / "index.html", tmp_path)
    assert broken == 0 and loaded == (out / "index.html").read_text().count("<figure ")
    p = kb("compare", "ept", mode, "--by", "paging", "--db", m)
    assert p.returncode in (0, 10) and "memtouch_first" in p.stdout
    here = rows(a, "SELECT hostname FROM hosts")[0][0]
    p = kb("compare", here, "ept-host", "--by", "host", "--db", m)
    assert p.returncode in (0, 10) and "compare host" in p.stdout and "ptchurn" in p.stdout


def test_compare_aa_is_quiet_and_injected_slowdown_is_flagged(kvm, tmp_path):
    """The baseline and the candidate VMM are two values of the vmm_args
    axis of one campaign, so their runs interleave (A B A B ...): exit costs
    on this host jump between about 9.8 and 12.5 us for seconds at a time,
    and campaigns run one after the other (or side by side) differed by up
    to 14% with nothing changed.  Even interleaved, pairs differ: one CI run
    measured a +10% delay as +8.1% [-2.9%, +17.0%] (noisy), so the delay
    injected is 30%, three times that half-width, and the A/A side asks only
    that nothing is flagged."""
    if in_lab():  # as gates do not judge timing bounds there (reports.md)
        pytest.skip("the lab's timings are emulated (docs/hosts.md): an A/A difference of "
                    "9 % was measured there, so neither quietness nor a 30 % slowdown is "
                    "judged; natively this test runs")
    db = tmp_path / "c.db"
    aa = write(tmp_path, "aa.ini", "[scenario]\nrepeats = 40\nwarmup = 1\n[matrix]\n"
               "workload = pio\nvmm_args = -name a | -name b\n[workload.pio]\nargs = ms=10\n")
    kb("run", aa, "--db", db, "--quiet", check=0)
    # values that start with '-' go after "--"
    p = kb("compare", "--by", "vmm_args", "--db", db, "--", "-name a", "-name b")
    assert p.returncode == 0, p.stdout
    assert "regressed" not in p.stdout.replace("0 regressed", "") and \
        "improved" not in p.stdout.replace("0 improved", ""), p.stdout
    (med,), = rows(db, "SELECT avg(value) FROM (SELECT m.value FROM metrics m JOIN runs r "
                       "ON r.id = m.run_id WHERE r.warmup = 0 AND m.name = 'pio_ns' "
                       "ORDER BY m.value LIMIT 2 OFFSET 39)")
    delay = int(med * 0.30)  # +30% on every exit the VMM handles
    ab = write(tmp_path, "ab.ini", "[scenario]\nrepeats = 40\nwarmup = 1\n[matrix]\n"
               f"workload = pio\nvmm_args = -name a | -test-exit-delay {delay}\n"
               "[workload.pio]\nargs = ms=10\n")
    kb("run", ab, "--db", db, "--quiet", check=0)
    cand = f"-test-exit-delay {delay}"
    p = kb("compare", "--by", "vmm_args", "--campaign", "2", "--db", db, "--", "-name a", cand)
    assert p.returncode == 10, p.stdout
    flagged = [l for l in p.stdout.splitlines() if l.startswith("regressed")]
    assert any(" pio_ns " in l for l in flagged), p.stdout
    j = json.loads(kb("compare", "--by", "vmm_args", "--campaign", "2", "--db", db,
                      "--format", "json", "--", "-name a", cand).stdout)
    pio = [r for r in j["results"] if r["metric"] == "pio_ns"][0]
    assert pio["verdict"] == "regressed" and pio["low"] > 1.0
    # a scenario may say the metric is noisier than that, or not worth comparing
    loose = write(tmp_path, "loose.ini", "[metric.pio_ns]\nthreshold = 100%\n"
                  "[metric.pio]\ndirection = none\n")
    p = kb("compare", "--by", "vmm_args", "--campaign", "2", "--db", db, "--scenario", loose,
           "--", "-name a", cand)
    assert p.returncode == 0, p.stdout
    assert "unchanged" in p.stdout and " pio " not in p.stdout
    # all the campaigns carrying a tag make one side with --by tag
    kb("run", aa, "--db", db, "--quiet", "--tag", "t1", "--repeat", "3", check=0)
    kb("run", aa, "--db", db, "--quiet", "--tag", "t2", "--repeat", "3", check=0)
    p = kb("compare", "t1", "t2", "--by", "tag", "--db", db)
    assert p.returncode in (0, 10) and "compare tag t1 -> t2" in p.stdout, p.stdout + p.stderr


def test_report_without_gnuplot_names_the_package(smoke_db, tmp_path):
    p = kb("report", "--db", smoke_db, "--out", tmp_path / "r", env={"PATH": "/nonexistent"})
    assert p.returncode == 1 and "gnuplot-nox" in p.stderr
    assert not (tmp_path / "r").exists()


def test_compare_bad_inputs(tmp_path):
    f = write(tmp_path, "one.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello\n")
    db = tmp_path / "k.db"
    env = fake.env("nojson")
    kb("run", f, "--db", db, "--quiet", env=env)
    p = kb("compare", "1", "99", "--db", db)
    assert p.returncode == 1 and "no campaign matches '99'" in p.stderr
    p = kb("compare", "1", "1", "--db", db)
    assert p.returncode == 1 and "no measured runs" in p.stderr
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    # readers never create the schema (tests/security/test_hostile_db.py)
    for cmd in (["compare", "1", "2"], ["report"]):
        p = kb(*cmd, "--db", empty)
        assert p.returncode == 1 and "not a kvmbench database" in p.stderr, p.stderr
    assert empty.stat().st_size == 0
    p = kb("compare", "1", "2", "--db", db, "--by", "moon")
    assert p.returncode == 1
    p = kb("compare", "tag:nope", "1", "--db", db)
    assert p.returncode == 1 and "no campaign matches 'tag:nope'" in p.stderr


def test_compare_no_common_points(kvm, tmp_path):
    a = write(tmp_path, "a.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = cpuid\n[workload.cpuid]\nargs = ms=5\n")
    b = write(tmp_path, "b.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = pio\n[workload.pio]\nargs = ms=5\n")
    db = tmp_path / "k.db"
    kb("run", a, "--db", db, "--quiet", check=0)
    kb("run", b, "--db", db, "--quiet", check=0)
    p = kb("compare", "1", "2", "--db", db)
    assert p.returncode == 1 and "share no points" in p.stderr


def test_nightly_twice_compares_with_the_first(kvm, tmp_path):
    f = write(tmp_path, "n.ini", "[scenario]\nrepeats = 3\nwarmup = 1\n[matrix]\n"
              "workload = cpuid, hello\n[workload.cpuid]\nargs = ms=5\n")
    env = dict(os.environ, SCENARIO=str(f), DB=str(tmp_path / "n.db"))
    first = subprocess.run([str(ROOT / "ci/nightly")], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "nothing to compare with yet" in first.stdout
    second = subprocess.run([str(ROOT / "ci/nightly")], env=dict(env, THRESHOLD="15%"),
                            capture_output=True, text=True)
    assert second.returncode in (0, 10), second.stdout + second.stderr
    assert "threshold 15.0%" in second.stdout, second.stdout
    assert "compare campaign 1 -> 2" in second.stdout and "summary:" in second.stdout
    report = second.stdout.split("report: ")[1].split()[0]
    trend = (Path(report).parent / "trend.html").read_text()
    assert "Campaigns 1, 2." in trend and "<figure " in trend
    assert rows(tmp_path / "n.db", "SELECT kind, count(*) FROM campaigns GROUP BY kind") == \
        [("nightly", 2)]
    shutil.rmtree(Path(report).parent.parent / Path(report).parent.name, ignore_errors=True)


def test_qualify_passes_and_a_tightened_gate_fails(kvm, tmp_path):
    # the shipped qualify scenario and gates, as `make qualify` runs them
    env = dict(os.environ, DB=str(tmp_path / "q.db"), JUNIT=str(tmp_path / "ok.xml"))

    def attempt():  # a fresh database each time: the verdict names campaign 1
        for f in tmp_path.glob("q.db*"):
            f.unlink()
        return subprocess.run([str(ROOT / "ci/qualify")], env=env, capture_output=True,
                              text=True)

    def fault(p):  # every failed point one the lab's faults explain (docs/hosts.md)
        if p.returncode == 0:
            return None
        bad = sqlite3.connect(tmp_path / "q.db").execute(
            "SELECT status, reason FROM runs WHERE status != 'pass'").fetchall()
        why = [linux_host_fault(st, r or "", "") for st, r in bad]
        return None if not bad or None in why else "; ".join(why)

    p = lab_retry("make qualify", attempt, fault)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "QUALIFIED: campaign 1" in p.stdout
    if in_lab():  # hlt_ns and ipi_ns are times: not judged where timings are emulated
        assert "(2 timing gates not judged: emulated timings)" in p.stdout, p.stdout
        assert "SKIP  gates  metric hlt_ns" in p.stdout
    else:
        assert "5 gates checked, 0 failed" in p.stdout, p.stdout
    suites = ET.parse(tmp_path / "ok.xml").getroot()
    assert suites.get("failures") == "0"
    assert len(suites.findall("./testsuite[@name='points']/testcase")) == 33
    assert len(suites.findall("./testsuite[@name='gates']/testcase")) == 5

    f = write(tmp_path, "q.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello, hlt\n[workload.hlt]\nargs = ms=5\n")
    # a count, not a time: the lab (emulated timings) does not judge time bounds
    tight = write(tmp_path, "tight.ini",
                  "[gates]\nall_pass = yes\n[gate.hlt_iterations]\nmax = 1\n")
    p = subprocess.run([str(ROOT / "ci/qualify")], capture_output=True, text=True,
                       env=dict(env, SCENARIO=str(f), GATES=str(tight),
                                JUNIT=str(tmp_path / "bad.xml")))
    assert p.returncode == 10 and "NOT QUALIFIED" in p.stdout
    suites = ET.parse(tmp_path / "bad.xml").getroot()
    failed = [t.get("name") for t in suites.iter("testcase") if t.find("failure") is not None]
    assert failed == ["metric hlt_iterations within [-inf, 1]"], failed

    bad = write(tmp_path, "bad-gates.ini", "[gates]\nspeed = fast\n")
    p = kb("gates", "1", "--gates", bad, "--db", tmp_path / "q.db")
    assert p.returncode == 1 and "bad-gates.ini" in p.stderr and "speed" in p.stderr
