"""Machine outputs (issue 14): --format text|json|csv on list and summary,
JUnit with complete attributes from gates, TAP from gates, and compare's
text sorted by verdict within 100 columns; all on the fake VMM."""
import csv
import io
import json
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from framework import fake
from framework.harness import Harness

TWO = fake.pio_cpuid(3)

FAILING = fake.failing(warmup=0)

GATES = """[gates]
all_pass = yes
allow_skip = yes
[gate.pio_ns]
min = 1
max = 1e9
workload = pio
"""


@pytest.fixture
def h(tmp_path):
    return Harness(tmp_path, env=fake.env())


def strict_json(text):
    """json.loads refusing NaN and Infinity (not JSON)."""
    def bad(c):
        raise ValueError(f"not JSON: {c}")
    return json.loads(text, parse_constant=bad)


def test_list_formats_share_the_campaign_columns(h):
    h.run(h.scenario(TWO), check=0)
    text = h("list", check=0).stdout
    assert text == h("list", "--format", "text", check=0).stdout
    js = strict_json(h("list", "--format", "json", check=0).stdout)
    (c,) = js["campaigns"]
    assert c["id"] == 1 and c["scenario"] == "s" and c["state"] == "done"
    assert c["runs"] == 6 and c["fail"] == 0
    rows = list(csv.DictReader(io.StringIO(h("list", "--format", "csv", check=0).stdout)))
    assert len(rows) == 1 and rows[0]["id"] == "1" and rows[0]["runs"] == "6"
    p = h("list", "--format", "xml")
    assert p.returncode in (1, 2) and "--format" in p.stderr and len(p.stderr.splitlines()) == 1


def test_summary_json_and_csv_have_point_key_medians_intervals(h):
    h.run(h.scenario(TWO), check=0)
    text = h("summary", "1", check=0).stdout
    assert text == h("summary", "1", "--format", "text", check=0).stdout
    js = strict_json(h("summary", "1", "--format", "json", check=0).stdout)
    (camp,) = js["campaigns"]
    assert camp["id"] == 1 and len(camp["points"]) == 2
    keys = {k for (k,) in h.rows("SELECT DISTINCT point_key FROM runs")}
    assert {p["point_key"] for p in camp["points"]} == keys
    pt = next(p for p in camp["points"] if "pio" in p["params"])
    assert pt["runs"] == 3 and pt["pass"] == 3
    m = next(m for m in pt["metrics"] if m["metric"] == "pio_ns")
    assert m["ci_low"] <= m["median"] <= m["ci_high"] and m["n"] == 3 and m["unit"] == "ns"
    rows = list(csv.DictReader(io.StringIO(h("summary", "1", "--format", "csv",
                                             check=0).stdout)))
    assert {"campaign", "point_key", "params", "metric", "unit", "median", "ci_low", "ci_high",
            "n"} <= set(rows[0])
    r = next(r for r in rows if r["metric"] == "pio_ns")
    assert float(r["median"]) == pytest.approx(m["median"], rel=1e-5)


def test_json_has_null_for_values_that_are_not_numbers(h):
    h.run(h.scenario(TWO), check=0)
    with __import__("sqlite3").connect(h.db) as c:
        c.execute("UPDATE metrics SET value = 1e999 WHERE name = 'pio_ns'")
    out = h("summary", "1", "--format", "json", check=0).stdout
    strict_json(out)


def test_csv_cells_cannot_start_a_spreadsheet_formula(h):
    h.run(h.scenario(TWO), "--tag", "=HYPERLINK(1)", check=0)
    out = h("list", "--format", "csv", check=0).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["tag"] == "'=HYPERLINK(1)", out


def test_junit_has_counts_times_and_log_paths(h):
    h.run(h.scenario(FAILING), check=2)
    g = h.scenario(GATES, "g.ini")
    junit = h.dir / "j.xml"
    p = h("gates", "1", "--gates", g, "--junit", junit)
    assert p.returncode == 10, p.stdout + p.stderr
    root = ET.parse(junit).getroot()
    suites = root.findall("testsuite")
    npoints = h.rows("SELECT count(DISTINCT point_key) FROM runs")[0][0]
    total = 0
    for s in suites:
        cases = s.findall("testcase")
        for a in ("tests", "failures", "errors", "skipped", "time"):
            assert a in s.attrib, (a, s.attrib)
        assert int(s.get("tests")) == len(cases)
        assert int(s.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(s.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert int(s.get("errors")) == 0
        float(s.get("time"))
        for c in cases:
            assert c.get("classname") and c.get("name")
            float(c.get("time"))
        total += len(cases)
    points = next(s for s in suites if s.get("name") == "points")
    assert int(points.get("tests")) == npoints
    assert int(points.get("failures")) == 1 and int(points.get("skipped")) == 1
    failed = next(c for c in points if c.find("failure") is not None)
    out = failed.find("system-out").text
    (log_dir,) = h.rows("SELECT max(log_dir) FROM runs WHERE status = 'fail'")[0]
    assert log_dir in out and "console" in out and "stats" in out, out
    assert int(root.get("tests")) == total


def test_gates_tap(h):
    h.run(h.scenario(FAILING), check=2)
    g = h.scenario(GATES, "g.ini")
    p = h("gates", "1", "--gates", g, "--format", "tap")
    assert p.returncode == 10
    lines = p.stdout.splitlines()
    assert lines[0] == "TAP version 13"
    n = int(lines[1].split("..")[1])
    results = [ln for ln in lines if ln.startswith(("ok ", "not ok "))]
    assert len(results) == n == 4, p.stdout
    assert any(ln.startswith("not ok") and "workload=cpuid" in ln and "# " in ln
               for ln in results), p.stdout
    assert any(ln.startswith("ok") and "# SKIP" in ln for ln in results), p.stdout
    for i, ln in enumerate(results, 1):
        assert ln.split(" - ")[0].endswith(f"ok {i}"), ln


COMPARE = fake.pio_cpuid(10)


def test_compare_text_is_sorted_by_verdict_and_fits_100_columns(h):
    h.run(h.scenario(COMPARE), check=0)
    h.run(h.scenario(COMPARE), "--vmm-args", "-test-exit-delay 2000", check=0)
    p = h("compare", "1", "2")
    assert p.returncode == 10, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert all(len(ln) <= 100 for ln in lines), max(lines, key=len)
    words = [ln.split()[0] for ln in lines
             if ln.split() and ln.split()[0] in ("regressed", "improved", "unchanged", "noisy")]
    order = {"regressed": 0, "improved": 1, "unchanged": 2, "noisy": 3}
    assert words and words == sorted(words, key=order.get), words
    assert words[0] == "regressed"
    assert "\x1b[" not in p.stdout  # not a TTY: no colour


def test_compare_never_cuts_a_side_value(h):
    """A side named by a long value (a vmm_args A/B with a long build name)
    is compared whole: cut at 63 bytes it once named the other side too,
    and a 40% slowdown came out "unchanged"."""
    a = "-name build-0123456789-abcdefghij-klmnopqrstuvwxyz-ABCDEFGHIJKL"
    h.run(h.scenario("[scenario]\nrepeats = 5\nwarmup = 0\n[matrix]\nworkload = pio\n"
                     f"vmm_args = {a} | {a} -test-exit-delay 2000\n[workload.pio]\n"
                     "args = fake.ns=5000\n"), check=0)
    p = h("compare", "--by", "vmm_args", "--", a, f"{a} -test-exit-delay 2000")
    assert p.returncode == 10, p.stdout + p.stderr
    assert "2 regressed" in p.stdout
    p = h("compare", "--by", "vmm_args", "--", "x" * 2000, a)
    assert p.returncode == 1 and "longer than 1023 bytes" in p.stderr, p.stderr


def test_compare_lists_a_point_that_stopped_passing(h):
    sc = h.scenario(COMPARE)
    h.run(sc, check=0)
    h.run(sc, env={"FAKE_STATUS": "cpuid=crash"}, check=2)
    p = h("compare", "1", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("no passing run in the candidate") == 2, p.stdout  # cpuid, cpuid_ns
    assert "2 not comparable" in p.stdout


def test_compare_marks_a_cut_metric_name(h):
    sc = h.scenario(COMPARE)
    h.run(sc, check=0)
    h.run(sc, check=0)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE metrics SET name = 'virtio-blk0.exits_per_request' WHERE name = 'pio'")
    p = h("compare", "1", "2")
    assert p.returncode in (0, 10), p.stderr
    assert "virtio-blk0.exits_p~ " in p.stdout, p.stdout


def test_compare_prints_no_sign_on_a_change_that_rounds_to_nothing(h):
    """A ratio of 0.9996 is "+0.0%", as Firecracker's A/B tool and any
    reader expects, not "-0.0%" (seen in a real A/A comparison)."""
    sc = h.scenario(COMPARE)
    h.run(sc, check=0)
    h.run(sc, check=0)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE metrics SET value = (SELECT m1.value FROM metrics m1 JOIN runs r1 "
                  "ON r1.id = m1.run_id JOIN runs r2 ON r2.id = metrics.run_id WHERE "
                  "r1.campaign_id = 1 AND r1.point_key = r2.point_key AND r1.repeat = r2.repeat "
                  "AND r1.warmup = r2.warmup AND m1.name = metrics.name) * 0.9996 "
                  "WHERE run_id IN (SELECT id FROM runs WHERE campaign_id = 2)")
    p = h("compare", "1", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    changes = [ln.split()[1] for ln in p.stdout.splitlines()
               if ln.split() and ln.split()[0] in ("unchanged", "noisy")]
    assert changes and set(changes) == {"+0.0%"}, p.stdout
