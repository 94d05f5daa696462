"""Strings from guests, stats files, scenarios and the command line are data
(issue 12, items 1, 4, 7): names refused at ingest, and every output
language (gnuplot, HTML, JSON, CSV, JUnit XML) quotes what a database from
elsewhere still holds.  No KVM: a fake VMM writes the stats JSON and the
harness records it through its real paths."""
import csv
import io
import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from framework import fake
from framework.harness import kb, rows, write
from framework.paths import KB

TAG = "<img src=x onerror=alert(1)>"
# gnuplot runs what is in backticks inside double quotes: each would create
# a file named pwned* in plots/, where gnuplot runs
EVIL_NAME = 'A`touch${IFS}pwned1`<script>x</script>,"q"\\'
EVIL_UNIT = "exits`touch${IFS}pwned2`"  # "exits...": a unit with a direction
EVIL_EXIT = "com1`touch${IFS}pwned4`\t#<i>"
EVIL_WORKLOAD = "w`touch${IFS}pwned3`"
XSS_WORKLOAD = "<svg onload=alert(2)>"


def stats(metrics=None, marks=None, exits=None, kvm=None, status="pass", reason="ok"):
    return {"schema": 1, "result": {"status": status, "reason": reason},
            "metrics": metrics if metrics is not None else
            [{"name": "lat_ns", "value": 100, "unit": "ns", "vcpu": 0}],
            "marks": marks or [],
            "exits": exits or {"total": 5, "by_reason": {"IO": 5},
                               "by_region": [{"space": "pio", "name": "com1", "count": 5}]},
            "kvm_stats": kvm or {"vm": {}, "vcpu": {"exits": 5}}}


def fake_run(tmp_path, scenario, st, *args, name="s.json"):
    sj = tmp_path / name
    sj.write_bytes(json.dumps(st).encode() if isinstance(st, dict) else st)
    return kb("run", scenario, *args, "--quiet",
              env=fake.env("stats", stats=sj))


def one_point(tmp_path, repeats=1):
    return write(tmp_path, "one.ini", f"[scenario]\nrepeats = {repeats}\nwarmup = 0\n"
                 "[matrix]\nworkload = w\n[workload.w]\nguest = hello\n")


HOSTILE_STATS = [
    ("metric name", stats([{"name": "A`touch${IFS}x`", "value": 1, "unit": "ns"}]),
     "metrics[0].name"),
    ("metric unit", stats([{"name": "a", "value": 1, "unit": "n`id`s"}]), "metrics[0].unit"),
    ("long name", stats([{"name": "a" * 48, "value": 1, "unit": "ns"}]), "metrics[0].name"),
    ("mark name", stats(marks=[{"name": "<b>", "t_ns": 1}]), "marks[0].name"),
    ("exit region", stats(exits={"total": 1, "by_region": [{"space": "pio", "name": "a b",
                                                            "count": 1}]}),
     "exits.by_region[0].name"),
    ("exit reason", stats(exits={"total": 1, "by_reason": {"I\"O": 1}}), "exits.by_reason"),
    ("kvm stat", stats(kvm={"vm": {"x;y": 1}}), "kvm_stats.vm"),
    ("device", {**stats(), "devices": [{"name": "d`x`", "requests": 3}]}, "devices[0].name"),
]


@pytest.mark.parametrize("what, st, where", HOSTILE_STATS, ids=[h[0] for h in HOSTILE_STATS])
def test_ingest_refuses_names_outside_the_charset(tmp_path, what, st, where):
    """A stats file from elsewhere can carry anything: the run is a failure
    that says which field, and nothing of the file is recorded."""
    db = tmp_path / "k.db"
    p = fake_run(tmp_path, one_point(tmp_path), st, "--db", db)
    assert p.returncode == 2, p.stdout + p.stderr
    (status, reason), = rows(db, "SELECT status, reason FROM runs")
    assert status == "fail" and where in reason and "[A-Za-z0-9_.:/%+-]" in reason, reason
    assert "`" not in reason and "<" not in reason  # the reason quotes it defanged
    for table in ("metrics", "marks", "exits", "kvm_stats"):
        assert rows(db, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_ingest_keeps_good_names(tmp_path):
    db = tmp_path / "k.db"
    good = stats([{"name": "virtio-blk0.read_MiB/s", "value": 2, "unit": "MiB/s"},
                  {"name": "x:y+z%", "value": 1, "unit": ""}])
    p = fake_run(tmp_path, one_point(tmp_path), good, "--db", db)
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(rows(db, "SELECT name, unit FROM metrics")) == [
        ("virtio-blk0.read_MiB/s", "MiB/s"), ("x:y+z%", "")]


def hostile_db(tmp_path, workloads=(EVIL_WORKLOAD, XSS_WORKLOAD)):
    """Two campaigns of hostile workload names, vmm_args and tag, then metric
    and exit names only a database from elsewhere (or an older kvmbench)
    holds, since ingest now refuses them."""
    f = write(tmp_path, "h.ini",
              "[scenario]\nrepeats = 3\nwarmup = 0\n[matrix]\n"
              f"workload = {', '.join(workloads)}\n"
              "vmm_args = -name=a\"b | bare | <u>=1\n" +
              "".join(f"[workload.{w}]\nguest = hello\n" for w in workloads))
    db = tmp_path / "h.db"
    for _ in range(2):
        p = fake_run(tmp_path, f, stats(), "--db", db, "--tag", TAG)
        assert p.returncode == 0, p.stdout + p.stderr
    with sqlite3.connect(db) as c:
        c.execute("UPDATE metrics SET name = ?, unit = ?", (EVIL_NAME, EVIL_UNIT))
        c.execute("UPDATE exits SET name = ? WHERE kind = 'region'", (EVIL_EXIT,))
    return db


def test_report_runs_no_backticks(tmp_path):
    """A metric named A`touch${IFS}/tmp/x` created /tmp/x when report ran."""
    db = hostile_db(tmp_path, (EVIL_WORKLOAD, "w2"))
    p = kb("report", "--db", db, "--out", tmp_path / "rep")
    assert not list(tmp_path.rglob("pwned*")), "gnuplot ran a guest's command"
    assert p.returncode == 0, p.stdout + p.stderr
    for svg in (tmp_path / "rep" / "plots").glob("*.svg"):
        ET.parse(svg)  # well-formed


def test_report_escapes_html(tmp_path):
    db = hostile_db(tmp_path)
    out = tmp_path / "rep"
    p = kb("report", "--db", db, "--out", out)
    html = (out / "index.html").read_text()
    assert TAG not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert XSS_WORKLOAD not in html and "<script>x" not in html and "<i>" not in html
    assert "<u>" not in html
    assert p.returncode == 0, p.stdout + p.stderr

    tags = _tags(html)
    assert {t for t, _ in tags} <= {"html", "head", "meta", "title", "style", "script", "body",
                                    "h1", "h2", "p", "a", "table", "tr", "th", "td", "figure",
                                    "img", "figcaption", "br", "b", "div", "span", "ul", "li",
                                    "nav", "section", "details", "summary"}
    assert sum(t == "script" for t, _ in tags) == 1  # the figure check only
    assert not any("onerror" in a or "onload" in a for _, a in tags)
    figures = [a["src"] for t, a in tags if t == "img"]
    assert len(figures) >= 3
    for src in figures:
        ET.parse(out / src)  # there, and well-formed (gnuplot quotes its text)
    # the data files keep one row per point and one column per exit name
    dat = (out / "plots" / "exits-by-device.dat").read_text().splitlines()
    assert len(dat) == 7 and all(len(l.split("\t")) == 2 for l in dat), dat


def test_report_workload_names_are_not_paths(tmp_path):
    db = hostile_db(tmp_path, ("../../w", "w2"))
    out = tmp_path / "a" / "b" / "rep"
    p = kb("report", "--db", db, "--out", out)
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(x.name for x in tmp_path.rglob("*.dat") if out / "plots" != x.parent) == []
    html = (out / "index.html").read_text()
    imgs = [a["src"] for t, a in _tags(html) if t == "img"]
    assert all(s.startswith("plots/") and "/" not in s[6:] for s in imgs), imgs
    assert all((out / s).exists() for s in imgs)


def _tags(html):
    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    P().feed(html)
    return found


def test_report_labels_vmm_args_with_spaces(tmp_path):
    """README's own example, -vcpu-pin 0, made report crash (a label token
    without '=')."""
    f = write(tmp_path, "v.ini", "[scenario]\nrepeats = 3\nwarmup = 0\n[matrix]\n"
              "workload = w\nvmm_args = -vcpu-pin 0 | -name x=y z | bare\n"
              "[workload.w]\nguest = hello\n")
    db = tmp_path / "v.db"
    assert fake_run(tmp_path, f, stats(), "--db", db).returncode == 0
    p = kb("report", "--db", db, "--out", tmp_path / "rep")
    assert p.returncode == 0, p.stdout + p.stderr
    labels = [l.split("\t")[0] for l in
              (tmp_path / "rep" / "plots" / "exits-by-reason.dat").read_text().splitlines()]
    assert labels == ["point", "w -vcpu-pin 0", "w -name x=y z", "w bare"], labels


def run_bytes(*args):
    p = subprocess.run([str(KB), *map(str, args)], capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_json_and_csv_stay_valid(tmp_path):
    db = hostile_db(tmp_path)
    # bytes that are not UTF-8 and a control character, as a merged
    # database or a latin-1 scenario file could hold
    with sqlite3.connect(db) as c:
        c.execute("UPDATE metrics SET name = name || CAST(X'ff01' AS TEXT)")
        c.execute("UPDATE runs SET params = params || CAST(X'e9' AS TEXT)")
    rc, out, err = run_bytes("report", "--db", db, "--out", tmp_path / "r", "--format", "json")
    j = json.loads(out.decode("utf-8"))
    assert {r["metric"] for r in j["rows"]} == {EVIL_NAME + "\ufffd\x01"}
    assert {r["unit"] for r in j["rows"]} == {EVIL_UNIT}
    assert {r["workload"] for r in j["rows"]} == {EVIL_WORKLOAD, XSS_WORKLOAD}
    assert rc == 0, err
    rc, out, err = run_bytes("report", "--db", db, "--out", tmp_path / "r", "--format", "csv")
    assert rc == 0, err
    table = list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))
    assert table[0] == ["point_key", "workload", "label", "params", "paging", "host", "metric",
                        "unit", "median", "ci_low", "ci_high", "cv", "n"]
    assert len(table) == 7 and all(len(r) == 13 for r in table), table
    assert {r[6] for r in table[1:]} == {EVIL_NAME + "\ufffd\ufffd"}
    assert any(r[3].endswith('vmm_args=-name=a"b\ufffd') for r in table[1:])
    for fmt in ("json", "csv"):
        rc, out, err = run_bytes("compare", "1", "2", "--db", db, "--format", fmt)
        assert rc == 0, err
        text = out.decode("utf-8")
        if fmt == "json":
            j = json.loads(text)
            assert {r["metric"] for r in j["results"]} == {EVIL_NAME + "\ufffd\x01"}
        else:
            t = list(csv.reader(io.StringIO(text, newline="")))
            assert len(t) == 7 and all(len(r) == 15 for r in t), t


def test_junit_stays_valid(tmp_path):
    """A failed run's reason as the VMM recorded it (a console line can
    carry any byte) and a gate's metric name, in JUnit XML."""
    db = tmp_path / "k.db"
    bad = json.dumps(stats(status="fail", reason="bad <x> & ]]> \x01")).encode()
    fake_run(tmp_path, one_point(tmp_path), bad.replace(b"]]>", b"]]>\xff"), "--db", db)
    gates = write(tmp_path, "g.ini", f"[gates]\nall_pass = yes\n[gate.{EVIL_NAME[:9]}]\n"
                  "min = 0\n")
    junit = tmp_path / "j.xml"
    rc, out, err = run_bytes("gates", "1", "--gates", gates, "--junit", junit, "--db", db)
    assert rc == 10, err
    root = ET.parse(junit).getroot()
    msgs = [e.get("message") for e in root.iter("failure")]
    assert any(m.startswith("1 failed, 0 skipped: fail: bad <x> & ]]>\ufffd") for m in msgs), \
        msgs


def test_compare_text_sends_no_escape_sequence_to_a_terminal(tmp_path):
    """A metric name or parameter from a merged database holding ESC and
    BEL: compare's text shows '?' for them, never the bytes."""
    db = tmp_path / "k.db"
    env = fake.env(spread=0.03)
    sc = tmp_path / "s.ini"
    sc.write_text(fake.pio_cpuid(3))
    for _ in range(2):
        kb("run", sc, "--db", db, "--quiet", env=env, check=0)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE metrics SET name = 'pio' || char(27) || '[2J' || char(27) ||"
                  " ']0;pwned' || char(7) WHERE name = 'pio'")
        c.execute("UPDATE runs SET params = params || ' x=' || char(27) || '[31m'")
    rc, out, err = run_bytes("compare", "1", "2", "--db", db)
    assert rc in (0, 10), err
    assert b"\x1b" not in out and b"\x07" not in out and b"pio?[2J?]0;pwned?" in out, out
    # and the other text outputs; their JSON keeps the bytes (escaped)
    for args in (["summary", "1"], ["list"], ["report", "1", "--out", tmp_path / "r"]):
        rc, out, err = run_bytes(*args, "--db", db)
        assert rc == 0 and b"\x1b" not in out and b"\x07" not in out, (args, out[-300:])
    rc, out, err = run_bytes("summary", "1", "--db", db, "--format", "json")
    names = {m["metric"] for p in json.loads(out)["campaigns"][0]["points"] for m in p["metrics"]}
    assert "pio\x1b[2J\x1b]0;pwned\x07" in names, names
