"""The report's figures read right (issue 14), without KVM: scaling against
the number of vCPUs with an ideal line and intervals, nightly trends per
host with regressions marked, log axes where values span more than a
decade, tic labels that never overlap, every figure's axis labels in its
SVG, one colour per meaning, the KVM statistics table without its all-zero
columns.  Campaigns run on the fake VMM; the larger cases are synthetic
databases written straight into the schema."""
import html
import math
import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from framework import browser, fake
from framework.harness import Harness, kb, rows, write
from framework.paths import ROOT

SCENARIO = ("[scenario]\nrepeats = 5\nwarmup = 0\n[matrix]\nworkload = pio, cpuid\n"
            "topology = 1, 2, 4, 8, 1x2x2\n[workload.pio]\nargs = fake.ns=5000\n"
            "[workload.cpuid]\nargs = fake.ns=20000\n")
MAX_LABELS = 25  # KB_FIG_MAX_LABELS


def run(db, scenario, **knobs):
    """One nightly campaign of scenario into db on the fake VMM."""
    env = fake.env(spread=0.03, **knobs)
    kb("run", scenario, "--db", db, "--quiet", "--kind", "nightly", env=env, check=0)


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    """Two hosts' nightly campaigns merged into one database: this host's
    1 and 2, unchanged; host h2's 3 and 4, pio 30 % slower in 4.  The
    report of 2 and 4 in DIR/rep; (DIR, this host's name)."""
    d = tmp_path_factory.mktemp("hosts")
    f = write(d, "s.ini", SCENARIO)
    a, b, m = d / "a.db", d / "b.db", d / "m.db"
    run(a, f)
    run(a, f)
    run(b, f)
    run(b, f, slow="pio=1.3")
    with sqlite3.connect(b) as c:
        c.execute("UPDATE hosts SET uuid = 'h2', hostname = 'h2'")
    kb("merge", a, b, "-o", m, check=0)
    kb("report", "2", "4", "--db", m, "--out", d / "rep", check=0)
    with sqlite3.connect(a) as c:
        here = c.execute("SELECT hostname FROM hosts").fetchone()[0]
    return d, here


def blocks(dat):
    """A gnuplot data file's blocks (two blank lines apart), rows split at
    tabs, comments left out."""
    out = []
    for chunk in re.split(r"\n\n\n?", dat.strip("\n")):
        rows = [l.split("\t") for l in chunk.splitlines() if l and not l.startswith("#")]
        if rows:
            out.append(rows)
    return out


def script(rep, name):
    """The gnuplot commands of figure name in plots/all.gp."""
    gp = (rep / "plots" / "all.gp").read_text()
    start = gp.index(f"set output '{name}.svg'")
    return gp[start:gp.index("unset output", start)]


def figures(page):
    """Each <figure> of page: its attributes and its image's src."""
    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "figure":
                found.append(dict(attrs))
            elif tag == "img" and found and "src" not in found[-1]:
                found[-1]["src"] = dict(attrs)["src"]

    P().feed(page.read_text())
    return found


def test_scaling_is_drawn_against_vcpus_per_host_with_ideal_and_intervals(two_hosts):
    d, here = two_hosts
    rep = d / "rep"
    data = blocks((rep / "plots" / "scaling-pio.dat").read_text())
    # per host: flat topologies, shapes, ideal; x is the vCPU count
    assert len(data) == 6, data
    for flat, shapes, ideal in (data[0:3], data[3:6]):
        assert [(int(r[0]), r[4]) for r in flat] == [(1, "1"), (2, "2"), (4, "4"), (8, "8")]
        assert [(int(r[0]), r[4]) for r in shapes] == [(4, "1x2x2")]
        assert all(float(r[2]) <= float(r[1]) <= float(r[3]) for r in flat + shapes)
        assert {r[4] for r in ideal} == {"ideal"} and len({r[1] for r in ideal}) == 1
        assert float(ideal[0][1]) == float(flat[0][1])  # flat at the 1-vCPU median
    gp = script(rep, "scaling-pio")
    assert "using 1:2:3:4 with yerrorlines" in gp and "with yerrorbars" in gp
    assert "using 0:" not in gp and "xtic(" not in gp
    assert "set logscale x 2" in gp and 'set xtics ("1" 1, "2" 2, "4" 4, "8" 8)' in gp
    assert "ideal: flat" in gp and f"@{here}:" in gp and "@h2:" in gp
    assert "set xlabel 'vCPUs'" in gp and "set ylabel 'pio (cycles), median'" in gp


def test_trends_are_per_host_and_mark_the_injected_regression(two_hosts):
    d, here = two_hosts
    rep = d / "rep"
    page = (rep / "trend.html").read_text()
    heads = re.findall(r'<h2 data-host="([^"]*)" data-paging="([^"]*)">', page)
    assert [h for h, _ in heads] == [here, "h2"], heads
    mine, theirs = page.split('<h2 data-host="h2"')
    assert "Campaigns 1, 2." in mine and "Campaigns 3, 4." in theirs
    assert "<li" not in mine and mine.count("No regression") == 2
    hit = re.findall(r'<li data-campaign="(\d+)" data-point="([^"]*)"', theirs)
    assert {c for c, _ in hit} == {"4"} and {p.split()[0] for _, p in hit} == {"pio"}, hit
    assert len(hit) == 5  # every pio point, no cpuid point
    # the data: campaign 4 of h2's pio carries its regressions, cpuid none
    rows = blocks((rep / "plots" / "trend.h2-pio.dat").read_text())[0]
    assert [r[1] for r in rows] == ["3", "4"]
    assert all(v == "?" for v in rows[0][6::4]) and all(v != "?" for v in rows[1][6::4])
    for name in ("trend.h2-cpuid", "trend-pio", "trend-cpuid"):
        rows = blocks((rep / "plots" / f"{name}.dat").read_text())[0]
        assert all(v == "?" for r in rows for v in r[6::4]), name
    gp = script(rep, "trend.h2-pio")
    assert "with yerrorlines" in gp and "#e00000" in gp and "regression" in gp
    assert "set ylabel 'pio (cycles), median and 95% interval'" in gp
    assert "#e00000" not in script(rep, "trend.h2-cpuid")
    for name in ("trend-pio", "trend.h2-pio"):
        assert "@h2" in script(rep, name) or here in script(rep, name)
    assert f"pio on {here} (" in page and "pio on h2 (" in page


def test_every_figure_has_axis_labels_and_its_svg_shows_them(two_hosts):
    d, _ = two_hosts
    rep = d / "rep"
    for page in ("index.html", "trend.html"):
        figs = figures(rep / page)
        assert figs, page
        for f in figs:
            assert f.get("data-title") and f.get("data-xlabel") and f.get("data-ylabel"), f
            svg = (rep / f["src"]).read_text()
            ET.fromstring(svg)  # well-formed
            texts = {html.unescape(t) for t in re.findall(r">([^<>]+)</text>", svg)}
            for key in ("data-xlabel", "data-ylabel"):
                assert f[key] in texts, (page, f["src"], f[key])


def test_exits_keep_their_colours_and_kvm_stats_drop_all_zero_columns(two_hosts):
    d, _ = two_hosts
    rep = d / "rep"
    gp = script(rep, "exits-by-reason")
    head = (rep / "plots" / "exits-by-reason.dat").read_text().splitlines()[0].split("\t")
    colours = re.search(r'colors = "([^"]*)"', gp).group(1).split()
    assert dict(zip(head[1:], colours)) == {"hlt": "#8c564b", "io": "#2ca02c"}
    assert "word(colors, i - 1)" in gp
    page = (rep / "index.html").read_text()
    table = page[page.index("<h2>KVM statistics</h2>"):]
    table = table[:table.index("</table>")]
    cols = re.findall(r"<th>([^<]*)</th>", table)
    assert "exits" in cols and "tlb_flush" in cols and "pf_fixed" not in cols, cols
    assert "not shown: " in page and "pf_fixed" in page.split("not shown: ")[1]
    # stacked bars stay linear, and say so when they span more than a decade
    assert "Linear axis: stacked bars cannot be drawn on a log scale" in page
    # boxes from 0, coloured by paging mode, the spread said
    dist = script(rep, "dist-pio")
    assert "set yrange [0:*]" in dist and "logscale" not in dist
    assert "spans " in page and "of its median" in page


def test_both_pages_load_every_figure_in_chromium_at_1400_px(two_hosts, tmp_path):
    d, _ = two_hosts
    for page in ("index.html", "trend.html"):
        attrs = browser.body(d / "rep" / page, tmp_path)
        assert attrs["data-figures-broken"] == "0", (page, attrs)
        assert int(attrs["data-figures-loaded"]) == len(figures(d / "rep" / page)) > 0, page


# --- synthetic databases --------------------------------------------------------

def synthetic(db, campaigns, points, repeats, value, unit="cycles"):
    """A database of nightly campaigns (id 1..campaigns, one host) of points
    [(workload, topology, vcpus)], repeats runs each, metric workload =
    value(campaign, point index, repeat) in unit."""
    open(db, "w").close()
    kb("migrate", "--db", db, check=0)
    c = sqlite3.connect(db)
    c.execute("INSERT INTO hosts (id, uuid, hostname, cpu_model, kernel, kvm_module, paging,"
              " online_cpus) VALUES (1, 'h1', 'synth', 'cpu', '6.1', 'kvm_intel', 'ept', 8)")
    run_id = 0
    for cid in range(1, campaigns + 1):
        c.execute("INSERT INTO campaigns (id, uuid, scenario, kind, host_id, started, state)"
                  " VALUES (?, ?, 's', 'nightly', 1, ?, 'done')",
                  (cid, f"c{cid}", f"2026-{1 + cid // 28:02d}-{1 + cid % 28:02d}T01:00:00Z"))
        for i, (w, t, v) in enumerate(points):
            for rep in range(repeats):
                run_id += 1
                c.execute("INSERT INTO runs (id, campaign_id, point_key, seq, repeat, topology,"
                          " vcpus, workload, paging, params, status) VALUES"
                          " (?,?,?,?,?,?,?,?, 'host', ?, 'pass')",
                          (run_id, cid, f"{i:016x}", rep * len(points) + i, rep, t, v, w,
                           f"topology={t} memory=128M numa=none devices=none workload={w} "
                           "paging=host vmm_args="))
                c.execute("INSERT INTO metrics (run_id, name, value, unit) VALUES (?,?,?,?)",
                          (run_id, w, value(cid, i, rep), unit))
                c.executemany("INSERT INTO exits (run_id, kind, space, name, count) VALUES"
                              " (?,?,?,?,?)", [(run_id, "reason", None, "io", 1000),
                                               (run_id, "reason", None, "hlt", 3)])
    c.commit()
    c.close()


def test_a_rate_scales_ideally_in_proportion_on_log_axes(tmp_path):
    db, rep = tmp_path / "r.db", tmp_path / "rep"
    vcpus = [1, 2, 4, 8, 16, 32, 64]
    synthetic(db, 1, [("rx", str(v), v) for v in vcpus], 5,
              lambda c, i, r: 1000 * vcpus[i] ** 0.8 * (1 + 0.01 * r), unit="ops/s")
    p = kb("report", "--db", db, "--out", rep)
    assert p.returncode == 0, p.stdout + p.stderr
    flat, ideal = blocks((rep / "plots" / "scaling-rx.dat").read_text())
    base = float(flat[0][1])
    assert [int(r[0]) for r in ideal] == vcpus
    assert all(abs(float(r[1]) - base * int(r[0])) < 1e-3 * base * int(r[0]) for r in ideal)
    gp = script(rep, "scaling-rx")
    assert "set logscale y" in gp and "(log scale)" in gp and "set logscale x 2" in gp
    assert "ideal: proportional to vCPUs" in gp
    dist = script(rep, "dist-rx")  # 1000 to 28,000 ops/s: more than a decade
    assert "set logscale y" in dist and "(log scale)" in dist


def test_fifty_points_and_forty_campaigns_never_crowd_their_labels(tmp_path):
    db, rep = tmp_path / "f.db", tmp_path / "rep"
    points = [(f"w{w}", t, v) for w in range(2) for t, v in
              [(str(n), n) for n in range(1, 25)] + [("2x2x1", 4)]]
    assert len(points) == 50
    synthetic(db, 40, points, 3, lambda c, i, r: 1000 + i + r + (c % 3))
    p = kb("report", "--db", db, "--out", rep)
    assert p.returncode == 0, p.stdout + p.stderr
    gp = (rep / "plots" / "all.gp").read_text()
    for fig in re.findall(r"set output '([^']+)\.svg'", gp):
        cmds = script(rep, fig)
        m = re.search(r"set xtics \((.*)\)", cmds)
        if m:  # labels given: count the ones that show
            shown = [s for s in re.findall(r"'((?:[^']|'')*)' \d+", m.group(1)) if s]
            shown += re.findall(r'"([^"]*)" \d+', m.group(1))
        elif "xtic(1)" in cmds:  # labels from the data's first column, a row each
            shown = (rep / "plots" / f"{fig}.dat").read_text().splitlines()[1:]
        else:
            shown = []
        assert len(shown) <= MAX_LABELS, (fig, len(shown))
    # the trend: 40 campaigns on one figure, every other label shown
    trend = script(rep, "trend-w0")
    labels = re.findall(r"'#(\d+) ", trend)
    assert 10 <= len(labels) <= 20 and labels[:2] == ["1", "3"], labels
    # a figure with a bar per point: split into two parts of 25
    for name in ("exits-by-reason", "exits-by-reason-2"):
        assert len((rep / "plots" / f"{name}.dat").read_text().splitlines()) == 26
        assert ", points " in script(rep, name)
    assert not (rep / "plots" / "exits-by-reason-3.dat").exists()
    # the trend of 25 points: 4 figures of 6 or 7 lines
    assert [len(blocks((rep / "plots" / f"trend-w0{n}.dat").read_text())[0][0]) for n in
            ("", "-2", "-3", "-4")] == [3 + 4 * 6, 3 + 4 * 6, 3 + 4 * 6, 3 + 4 * 7]
    assert not (rep / "plots" / "trend-w0-5.dat").exists()
    assert (rep / "plots" / "dist-w0.svg").exists()
    assert not (rep / "plots" / "dist-w0-2.svg").exists()  # 25 points: one figure


def test_scaling_draws_a_line_per_value_of_another_axis(tmp_path):
    """Points that differ in memory as well as topology are two lines, each
    named by its memory, not one zig-zag; many vCPU counts on a log axis keep
    their labels apart (1/25 of the axis at least)."""
    h = Harness(tmp_path, env=fake.env(spread=0.02))
    tops = ", ".join(str(n) for n in range(1, 33))
    h.run(h.scenario(f"[scenario]\nrepeats = 2\nwarmup = 0\n[matrix]\nworkload = pio\n"
                     f"topology = {tops}\nmemory = 128M, 256M\n[workload.pio]\n"
                     "args = fake.ns=5000\n"), check=0)
    p, rep = h.report()
    assert p.returncode == 0, p.stderr
    gp = script(rep, "scaling-pio")
    assert "memory=128M: flat N vCPUs" in gp and "memory=256M: flat N vCPUs" in gp, gp
    blocks = (rep / "plots" / "scaling-pio.dat").read_text().split("\n\n\n")
    for b in blocks:  # within a line, each vCPU count once
        xs = [ln.split("\t")[0] for ln in b.splitlines() if ln and not ln.startswith("#")]
        assert len(xs) == len(set(xs)), b[:300]
    tics = [int(t) for t in re.findall(r'"(\d+)" \d+', gp.split("set xtics (")[1].split(")")[0])]
    assert tics[0] == 1 and tics[-1] == 32
    logs = [math.log2(t) for t in tics]
    assert all(b - a >= 5 / 25 - 1e-9 for a, b in zip(logs, logs[1:])), tics


def test_the_trend_threshold_is_the_nightly_one(two_hosts, tmp_path):
    """`report --threshold` (make nightly passes its THRESHOLD): pio 30%
    slower is marked at 5% and at 25%, not at 50%; a bare 15 is refused as
    ambiguous like compare's."""
    d, _ = two_hosts
    for t, marked in (("25%", True), ("0.5", False)):
        out = tmp_path / t
        p = kb("report", "2", "4", "--db", d / "m.db", "--out", out, "--threshold", t)
        assert p.returncode == 0, p.stderr
        page = (out / "trend.html").read_text()
        assert ('<li data-campaign="4"' in page) == marked, t
        assert f"by more than {25 if marked else 50}%" in page
    for cmd in ("report", "compare"):
        p = kb(cmd, "1", "2", "--db", d / "m.db", "--threshold", "15")
        assert p.returncode in (1, 2) and len(p.stderr.splitlines()) == 1, p.stderr
        assert "ambiguous: write 15% or 0.15" in p.stderr, p.stderr


def test_scaling_says_how_many_points_it_could_not_draw(tmp_path):
    """A scaling figure holds 16 series; the 17th value of another axis is
    not drawn, and the page says so under the figure instead of dropping
    its points unsaid."""
    h = Harness(tmp_path, env=fake.env(spread=0.02))
    mems = ", ".join(f"{64 + 4 * i}M" for i in range(17))
    h.run(h.scenario("[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\nworkload = pio\n"
                     f"topology = 1, 2\nmemory = {mems}\n[workload.pio]\n"
                     "args = fake.ns=5000\n"), check=0)
    p, rep = h.report()
    assert p.returncode == 0, p.stderr
    page = (rep / "index.html").read_text()
    assert "2 points of pio are not drawn: a scaling figure holds 16 series" in page
    lines = [b for b in (rep / "plots" / "scaling-pio.dat").read_text().split("\n\n\n")
             if b.strip() and "ideal" not in b]
    assert len(lines) == 16, len(lines)


@pytest.mark.parametrize("rule, marked, note", [
    ("threshold = 50%", False, "No regression: no campaign is worse than the one before it by "
                               "more than 50%"),
    ("direction = none", False, "Not judged: the scenario sets <code>[metric.pio] direction "
                                "= none</code>"),
    ("threshold = 10%", True, "Regressions (worse than the campaign before by more than 10%"),
])
def test_the_trend_follows_the_scenarios_metric_rules(two_hosts, tmp_path, rule, marked, note):
    """The newest campaign's scenario file says how a metric is judged, as
    compare reads it: a 30% slower pio is no regression under a 50%
    threshold, not judged with no direction, and marked under 10%."""
    d, _ = two_hosts
    db = tmp_path / "m.db"
    shutil.copy(d / "m.db", db)
    f = write(tmp_path, "rules.ini", SCENARIO + f"[metric.pio]\n{rule}\n")
    with sqlite3.connect(db) as c:
        c.execute("UPDATE campaigns SET scenario_file = ? WHERE id = 4", (str(f),))
    kb("report", "2", "4", "--db", db, "--out", tmp_path / "rep", "--threshold", "20%", check=0)
    page = (tmp_path / "rep" / "trend.html").read_text()
    theirs = page.split('<h2 data-host="h2"')[1]
    pio = theirs[theirs.index("pio on h2"):]
    pio = pio[:pio.index("cpuid on h2")] if "cpuid on h2" in pio else pio
    assert note in pio, pio[:3000]
    assert ("<li" in pio) == marked


def test_a_scenario_file_the_database_names_is_read_safely(two_hosts, tmp_path):
    """A campaign's scenario file is named by the database: a FIFO there
    is refused, not waited on (the report once hung), and a file that
    fails halfway (a rule an older kvmbench took) gives the default rules,
    with a warning, not the rules read before the bad line."""
    d, _ = two_hosts
    db = tmp_path / "m.db"
    shutil.copy(d / "m.db", db)
    fifo = tmp_path / "fifo.ini"
    os.mkfifo(fifo)
    old = write(tmp_path, "old.ini", SCENARIO + "[metric.pio]\ndirection = none\nthreshold = 2\n")
    for f, said in ((fifo, "not a regular file"), (old, "threshold: ambiguous")):
        with sqlite3.connect(db) as c:
            c.execute("UPDATE campaigns SET scenario_file = ? WHERE id = 4", (str(f),))
        out = tmp_path / f"rep-{f.stem}"
        p = kb("report", "2", "4", "--db", db, "--out", out, "--threshold", "20%", timeout=60)
        assert p.returncode == 0, p.stderr
        assert f"campaign 4's scenario file: {f}" in p.stderr and said in p.stderr, p.stderr
        theirs = (out / "trend.html").read_text().split('<h2 data-host="h2"')[1]
        assert "<li" in theirs  # pio's 30% judged by the defaults: direction kept


def test_a_campaign_records_its_scenario_file_whole(tmp_path):
    """Given as a relative path, the scenario file is recorded absolute, so
    compare and the trend find its rules from any directory."""
    write(tmp_path, "rel.ini", fake.pio_cpuid(1))
    e = dict(os.environ, **fake.env())
    subprocess.run([str(ROOT / "build/kvmbench"), "run", "rel.ini", "--db", "r.db", "--quiet"],
                   cwd=tmp_path, env=e, check=True, capture_output=True)
    assert rows(tmp_path / "r.db", "SELECT scenario_file FROM campaigns") == \
        [(str(tmp_path / "rel.ini"),)]
