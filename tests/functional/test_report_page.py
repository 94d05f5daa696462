"""The report page's first screen and its failures (issue 14), on the fake
VMM: the verdict banner with its counts, skipped runs by reason, the key
figures and a table of contents whose links all land; a Failures section
that lists each failed point with its reason and links to logs that exist;
counters out of the main tables; report's exit status (0 complete, 1 a
figure not drawn, 2 runs failed) and its JSON and CSV columns."""
import csv
import io
import json
import os
import sqlite3
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote


from framework import browser as chromium, fake
from framework.harness import Harness, kb

# pio and cpuid on four topologies: 8 points
EIGHT = fake.pio_cpuid(3).replace("[matrix]\n", "[matrix]\ntopology = 1, 2, 4, 1x2x2\n")

# a guest that always skips, and paging modes this host may not give
# (--host native: skipped here, never sent to the lab)
SKIPPING = """[scenario]
repeats = 2
warmup = 0
[matrix]
workload = pio, hello
paging = host, ept, npt
[workload.pio]
args = fake.ns=5000
[workload.hello]
args = fake.status=skip
"""

CSV_COLUMNS = ["point_key", "workload", "label", "params", "paging", "host", "metric", "unit",
               "median", "ci_low", "ci_high", "cv", "n"]


class Page(HTMLParser):
    """What the tests read from a report page: ids, local links, the
    verdict banner's attributes, table cells by section and whether they
    are in a collapsed <details>, and the Failures table's rows."""

    def __init__(self, html):
        super().__init__()
        self.ids, self.links, self.banner = set(), [], {}
        self.cells = []  # (section id, in <details>, text)
        self.failure_rows = []  # [cell text, ...] with the row's hrefs last
        self._section, self._details, self._cell, self._row = None, 0, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "section":
            self._section = a.get("id")
        if tag == "details":
            self._details += 1
        if tag == "div" and a.get("id") == "verdict":
            self.banner = a
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self._row is not None:
                self._row["hrefs"].append(a["href"])
        if tag == "tr" and self._section == "failures":
            self._row = {"cells": [], "hrefs": []}
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "details":
            self._details -= 1
        if tag == "section":
            self._section = None
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            self.cells.append((self._section, self._details > 0, text))
            if self._row is not None:
                self._row["cells"].append(text)
            self._cell = None
        if tag == "tr" and self._row is not None:
            if self._row["cells"] and self._row["cells"][0] != "point":
                self.failure_rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def report(h, *args, env=None):
    """kvmbench report into DIR/reports: (process, its directory, Page)."""
    p, out = h.report(*args, env=env)
    page = out / "index.html"
    return p, out, Page(page.read_text()) if page.exists() else None


def browser(page):
    """The <body> attributes the page's own script sets, in headless
    Chromium at 1400 px; a screenshot of its first screen kept."""
    attrs = chromium.body(page, page.parent)
    chromium.screenshot(page, page.parent, f"page-{page.parent.parent.name}")
    return attrs


def test_a_passing_campaign_says_pass_first(tmp_path):
    h = Harness(tmp_path, env=fake.env(spread=0.03))
    h.run(h.scenario(EIGHT), check=0)
    p, out, page = report(h)
    assert p.returncode == 0, p.stderr
    last = p.stdout.splitlines()[-1]
    assert last.startswith(f"report: {out}/index.html (") and last.endswith(" figures)")
    assert not p.stderr
    b = page.banner
    assert (b["data-verdict"], b["data-pass"], b["data-fail"], b["data-skip"]) == \
        ("PASS", "24", "0", "0"), b
    html = (out / "index.html").read_text()
    assert "<b>PASS</b>: 24 of 24 runs passed" in html
    assert html.index('id=verdict') < html.index("Key figures") < html.index('id=toc') < \
        html.index('id=campaigns')
    # the host's kind and paging mode on the first screen
    kind, paging = h.rows("SELECT kind, paging FROM hosts")[0]
    assert f"<span class=host-kind>{kind}</span> host, paging <span class=paging>{paging}" \
        in html
    # every link of the table of contents lands on the page, or on trend.html
    local = [l for l in page.links if l.startswith("#")]
    assert {"#failures", "#campaigns", "#workload-pio", "#workload-cpuid", "#exits",
            "#kvm-stats", "#distributions", "#scaling", "#paging"} <= set(local)
    assert {l[1:] for l in local} <= page.ids, set(local) - {"#" + i for i in page.ids}
    assert "trend.html" in page.links and (out / "trend.html").exists()
    assert "No failures." in html
    # counters only in the collapsed table; main metrics in the main one
    for sec in ("workload-pio", "workload-cpuid"):
        main = [t for s, d, t in page.cells if s == sec and not d]
        more = [t for s, d, t in page.cells if s == sec and d]
        assert not [t for t in main if t.endswith(("_iterations", "_last_round"))], main
        assert [t for t in more if t.endswith("_iterations")], more
        assert [t for t in main if t.endswith("_ns")], main
    # the key figures: a row per point, each with its median
    assert html.count("<tr><td class=l><a href=\"#workload-") == 8
    attrs = browser(out / "index.html")
    assert attrs["data-figures-broken"] == "0" and attrs["data-too-wide"] == "0", attrs


def test_a_campaign_whose_runs_all_crashed_exits_2_and_lists_them(tmp_path):
    h = Harness(tmp_path, env=fake.env("segv"))
    h.run(h.scenario(EIGHT), check=2)
    p, out, page = report(h)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.strip().splitlines() == [
        f"report: {out}/index.html (0 figures); 24 runs failed: see its Failures section"]
    b = page.banner
    assert (b["data-verdict"], b["data-fail"], b["data-pass"]) == ("FAIL", "24", "0"), b
    html = (out / "index.html").read_text()
    assert "<b>FAIL</b>: 24 of 24 runs failed in 8 points" in html
    assert "a functional guest" not in html and html.count("No passing run: 12 failed") == 2
    labels = [r["cells"][0] for r in page.failure_rows]
    assert sorted(labels) == sorted(f"{w} {t}" for w in ("pio", "cpuid")
                                    for t in ("1", "2", "4", "1x2x2")), labels
    for row in page.failure_rows:
        point, failed, status, why, logs = row["cells"]
        assert failed == "3 of 3" and status == "no exit status", row
        assert why == "3 × the VMM died of signal 11 (Segmentation fault)", row
        assert "missing: console, stats JSON" in logs, row  # the VMM died before both
        files = [l for l in row["hrefs"] if not l.startswith("#")]
        assert len(files) == 3 and all(l.endswith("/vmm.log") for l in files), row
        for l in files:
            assert not os.path.isabs(l) and (out / unquote(l)).is_file(), l
    assert browser(out / "index.html")["data-too-wide"] == "0"


def test_only_the_failing_workload_is_listed(tmp_path):
    h = Harness(tmp_path, env=fake.env(status="cpuid=fail"))
    h.run(h.scenario(EIGHT), check=2)
    p, out, page = report(h)
    assert p.returncode == 2 and "12 runs failed: see its Failures section" in p.stderr
    assert page.banner["data-verdict"] == "FAIL" and page.banner["data-pass"] == "12"
    rows = page.failure_rows
    assert sorted(r["cells"][0] for r in rows) == ["cpuid 1", "cpuid 1x2x2", "cpuid 2",
                                                    "cpuid 4"]
    for r in rows:
        assert r["cells"][2] == "exit 2 (fail)"
        assert r["cells"][3] == "3 × fail: the fake guest fails on purpose"
        files = [l for l in r["hrefs"] if not l.startswith("#")]
        assert sorted(os.path.basename(l) for l in files) == \
            ["console.log"] * 3 + ["stats.json"] * 3 + ["vmm.log"] * 3, files
        assert all((out / unquote(l)).is_file() for l in files), files
    html = (out / "index.html").read_text()
    assert html.count("No passing run: 12 failed") == 1  # cpuid; pio has its tables
    pio = html.split('id="workload-pio"')[1].split("</section>")[0]
    assert "failed" not in pio and "pio_ns" in pio


def test_skipped_runs_are_grouped_by_reason(tmp_path):
    h = Harness(tmp_path, env=fake.env())
    h.run(h.scenario(SKIPPING), "--host", "native", check=0)
    p, out, page = report(h)
    assert p.returncode == 0, p.stderr  # skips are not failures
    want = h.rows("SELECT count(*), reason FROM runs WHERE status = 'skip' GROUP BY reason")
    skipped = sum(n for n, _ in want)
    assert skipped >= 6 and len(want) >= 2, want  # hello's 6, and ept or npt here
    assert page.banner["data-skip"] == str(skipped), page.banner
    html = unescape((out / "index.html").read_text())
    for n, why in want:
        assert f"<li>{n} skipped: {why}</li>" in html, (n, why)
    # a workload that never ran says why, not "a functional guest"
    assert "No passing run: all 6 skipped" in html


def test_a_figure_gnuplot_did_not_draw_exits_1_naming_it(tmp_path):
    h = Harness(tmp_path, env=fake.env())
    h.run(h.scenario(EIGHT), check=0)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    gp = bindir / "gnuplot"
    gp.write_text("#!/bin/sh\nexit 0\n")  # runs, draws nothing
    gp.chmod(0o755)
    path = {"PATH": f"{bindir}:{os.environ['PATH']}"}
    p, out, page = report(h, env=path)
    assert p.returncode == 1, p.stdout + p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert "index.html written, but its figure plots/exits-by-reason.svg is missing" in line
    assert line.endswith(f"{out}/plots/gnuplot.log") and page is not None
    gp.write_text("#!/bin/sh\necho 'all.gp, line 1: nonsense' >&2\nexit 1\n")
    p, out, _ = report(h, env=path)
    assert p.returncode == 1
    (line,) = p.stderr.strip().splitlines()
    assert "figure plots/exits-by-reason.svg" in line and "gnuplot failed (exit 1)" in line
    # gnuplot draws: the same report is complete again
    assert report(h)[0].returncode == 0


def test_machine_outputs_carry_the_point_key_and_no_nan(tmp_path):
    h = Harness(tmp_path, env=fake.env(status="cpuid=fail"))
    h.run(h.scenario(EIGHT), check=2)

    def strict(text):
        def bad(c):
            raise ValueError(f"not JSON: {c}")
        return json.loads(text, parse_constant=bad)

    p, _, _ = report(h, "--format", "json")
    assert p.returncode == 2
    j = strict(p.stdout)
    keys = {k for (k,) in h.rows("SELECT DISTINCT point_key FROM runs WHERE workload = 'pio'")}
    assert {r["point_key"] for r in j["rows"]} == keys  # cpuid: no passing run, no rows
    for r in j["rows"]:
        assert list(r) == CSV_COLUMNS, list(r)
        assert r["workload"] == "pio" and r["label"].startswith("pio ")
        assert r["ci_low"] <= r["median"] <= r["ci_high"]
    p, _, _ = report(h, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(table[0]) == CSV_COLUMNS and len(table) == len(j["rows"])
    assert {r["point_key"] for r in table} == keys
    # one run a point: the JSON stays JSON whatever its spread comes to
    h2 = Harness(tmp_path / "one", env=fake.env())
    (tmp_path / "one").mkdir()
    h2.run(h2.scenario(fake.pio_cpuid(1)), check=0)
    assert strict(report(h2, "--format", "json")[0].stdout)["rows"]


def test_an_interrupted_campaign_says_so_and_exits_2(tmp_path):
    h = Harness(tmp_path, env=fake.env())
    h.run(h.scenario(EIGHT), check=0)
    with sqlite3.connect(h.db) as c:  # as if stopped after 20 of its 24 runs
        c.execute("UPDATE campaigns SET state = 'interrupted'")
        c.execute("DELETE FROM runs WHERE seq >= 20")
    p, out, page = report(h)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.strip().endswith("campaign 1 interrupted: 20 of 24 planned runs recorded")
    assert page.banner["data-verdict"] == "INCOMPLETE" and page.banner["class"] == "banner none"
    assert "Incomplete: campaign 1 interrupted" in (out / "index.html").read_text()


def test_two_machines_of_one_hostname_stay_apart(tmp_path):
    """Fleet machines are often all called localhost: the report tells hosts
    apart by their row (uuid), never pooling two machines' runs."""
    a, b, m = tmp_path / "a", tmp_path / "b", tmp_path / "m.db"
    ha, hb = Harness(a.mkdir() or a, env=fake.env(spread=0.03)), \
        Harness(b.mkdir() or b, env=fake.env(spread=0.03, slow=2))
    for h in (ha, hb):
        h.run(h.scenario(EIGHT), check=0)
    with sqlite3.connect(hb.db) as c:
        c.execute("UPDATE hosts SET uuid = 'other-machine'")
    kb("merge", ha.db, hb.db, "-o", m, check=0)
    p = kb("report", "1", "2", "--db", m, "--out", tmp_path / "rep", "--format", "json",
           check=0)
    rows = json.loads(p.stdout)["rows"]
    pio = [r for r in rows if r["label"].startswith("pio 1 ") and r["metric"] == "pio"]
    assert len(pio) == 2 and pio[0]["host"] != pio[1]["host"], pio
    assert 1.8 < max(r["median"] for r in pio) / min(r["median"] for r in pio) < 2.2
    assert all(r["n"] == 3 for r in pio)


def test_a_run_of_unknown_status_counts_as_failed(tmp_path):
    """A status other than pass or skip (a corrupt or foreign database) is
    not a pass: it is counted, listed and makes the exit status 2."""
    h = Harness(tmp_path, env=fake.env(spread=0.03))
    h.run(h.scenario(EIGHT), check=0)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE runs SET status = 'weird' WHERE id = 3")
    p, out, page = report(h)
    assert p.returncode == 2, p.stderr
    assert (page.banner["data-verdict"], page.banner["data-fail"]) == ("FAIL", "1")
    assert len(page.failure_rows) == 1
