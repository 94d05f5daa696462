"""NPT/EPT against shadow in one step (issue 14), on the fake VMM: from a
database merged from a shadow host and an EPT host, paging.html shows the
shadow / TDP ratio per point with its interval on a log axis against a line
at 1 and the MMU statistics of both modes side by side; index.html has a
short section linking to it (or says there is only one mode); compare --by
paging names the sides by the modes they ran with, suggests --by when given
mode names, and keeps large changes readable within 100 columns."""
import json
import re
import shutil
import sqlite3
import statistics

import pytest

from framework import browser, fake
from framework.harness import Harness, kb, rows

SCENARIO = """[scenario]
repeats = 5
warmup = 0
[matrix]
workload = memtouch, ptchurn
memory = 256M, 1G
[workload.memtouch]
args = fake.ns=3000
[workload.ptchurn]
args = fake.ns=2000
"""

# the EPT host is faster: shadow / EPT is 4 on memtouch, 2 on ptchurn
EPT_SLOW = "memtouch=0.25,ptchurn=0.5"

# per-run MMU statistics of each mode (KVM's counters)
MMU = {"shadow": {"pf_fixed": 50000, "mmu_shadow_zapped": 1200, "mmu_pte_write": 30000,
                  "tlb_flush": 800},
       "ept": {"pf_fixed": 16000, "mmu_shadow_zapped": 0, "mmu_pte_write": 0,
               "tlb_flush": 20}}

RATIO_LABEL = "shadow / TDP ratio of the median (log scale)"


def set_host(db, mode):
    """Record db's campaign as run on a host of paging mode, with its MMU statistics."""
    with sqlite3.connect(db) as c:
        c.execute("UPDATE hosts SET uuid = ?, hostname = ?, paging = ?, kvm_module = ?",
                  (f"{mode}-host", f"{mode}-host", mode,
                   "kvm_intel" if mode == "ept" else "kvm_pvm"))
        for name, value in MMU[mode].items():
            c.execute("UPDATE kvm_stats SET value = ? WHERE name = ?", (value, name))


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """(merged database, the shadow side's database, report directory)."""
    d = tmp_path_factory.mktemp("paging")
    sides = {}
    for mode, knobs in (("shadow", {}), ("ept", {"slow": EPT_SLOW})):
        (d / mode).mkdir()
        h = Harness(d / mode, env=fake.env(spread=0.03, **knobs))
        h.run(h.scenario(SCENARIO), check=0)
        set_host(h.db, mode)
        sides[mode] = h.db
    m = d / "m.db"
    kb("merge", sides["shadow"], sides["ept"], "-o", m, check=0)
    out = d / "rep"
    p = kb("report", "1", "2", "--db", m, "--out", out)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    return m, sides["shadow"], out


def quantity(text):
    """A number as common/quantity writes it ("1.96k", "512", "4.19M")."""
    scale = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    return float(text[:-1]) * scale[text[-1]] if text[-1] in scale else float(text)


def paging_section(html):
    """index.html's paging section (one, near the top: after the failures,
    before the campaigns)."""
    assert html.count("id=paging") == 1 and 'id="paging"' not in html
    sec = html[html.index("<section id=paging>"):]
    sec = sec[:sec.index("</section>")]
    assert html.index("<section id=failures>") < html.index("<section id=paging>") < \
        html.index("<section id=campaigns>")
    return sec


def gp_block(out, name):
    """The gnuplot commands of figure name in plots/all.gp."""
    gp = (out / "plots" / "all.gp").read_text()
    start = gp.index(f"set output '{name}.svg'")
    return gp[start:gp.index("unset output", start)]


def table_rows(html, head):
    """The cells of each row of the first table after the text head."""
    part = html[html.index(head):]
    table = part[part.index("<table>"):part.index("</table>")]
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r) for r in table.split("<tr>")[1:]]
    return [[re.sub(r"<[^>]+>", "", c).replace("&ndash;", "-") for c in r] for r in cells]


def medians(db):
    """{(mode, workload, memory): median of the workload's main metric}."""
    got = {}
    for mode, wl, params, v in rows(
            db, "SELECT h.paging, r.workload, r.params, m.value FROM runs r"
                " JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id"
                " JOIN metrics m ON m.run_id = r.id WHERE m.name = r.workload"
                " AND r.warmup = 0 AND r.status = 'pass'"):
        mem = re.search(r"memory=(\S+)", params).group(1)
        got.setdefault((mode, wl, mem), []).append(v)
    return {k: statistics.median(v) for k, v in got.items()}


def test_paging_page_draws_the_ratio_on_a_log_axis(merged):
    _, _, out = merged
    page = out / "paging.html"
    assert page.exists()
    html = page.read_text()
    assert f'data-ylabel="{RATIO_LABEL}"' in html and 'src="plots/paging.svg"' in html
    block = gp_block(out, "paging")
    assert "set logscale y" in block
    # the reference line at 1 across the whole plot
    assert "set arrow from graph 0, first 1 to graph 1, first 1 nohead" in block
    svg = (out / "plots" / "paging.svg").read_text()
    assert RATIO_LABEL in svg and "with its 95% interval" in svg
    # one colour per meaning: the page's TDP and shadow headings
    assert 'class=tdp>EPT median' in html and 'class=shadow>shadow median' in html


def test_ratio_table_matches_the_medians_of_the_database(merged):
    m, _, out = merged
    html = (out / "paging.html").read_text()
    med = medians(m)
    table = table_rows(html, "<h2>Shadow / EPT per point</h2>")
    assert table[0][:2] == ["point", "metric (unit)"] and "shadow / EPT" in table[0]
    got = {}
    for point, metric, ept, shadow, runs, ratio, interval, how in table[1:]:
        wl, mem = point.split()
        assert metric == f"{wl} (cycles)" and runs == "5 / 5" and how == "unpaired runs"
        # written for reading, three digits: 1.96k
        assert quantity(ept) == pytest.approx(med[("ept", wl, mem)], rel=5e-3)
        assert quantity(shadow) == pytest.approx(med[("shadow", wl, mem)], rel=5e-3)
        want = med[("shadow", wl, mem)] / med[("ept", wl, mem)]
        assert float(ratio) == pytest.approx(want, abs=0.006), (point, ratio, want)
        lo, hi = map(float, interval.split("-"))
        assert lo <= float(ratio) <= hi and lo > 1
        got[point] = float(ratio)
    assert set(got) == {"memtouch 256M", "memtouch 1G", "ptchurn 256M", "ptchurn 1G"}
    assert round(got["memtouch 1G"]) == 4 and round(got["ptchurn 1G"]) == 2
    # the headline per workload
    assert re.search(r"shadow is <b>[34]\.\d\dx( to [34]\.\d\dx)? slower</b> than EPT on "
                     r"memtouch", html)
    assert re.search(r"shadow is <b>[12]\.\d\dx( to [12]\.\d\dx)? slower</b> than EPT on "
                     r"ptchurn", html)


def test_mmu_statistics_of_both_modes_side_by_side(merged):
    _, _, out = merged
    html = (out / "paging.html").read_text()
    table = table_rows(html, "<h2>MMU statistics</h2>")
    names = ["pf_fixed", "mmu_shadow_zapped", "mmu_pte_write", "tlb_flush"]
    assert table[0] == ["point"] + names and table[1] == ["EPT", "shadow"] * 4
    for row in table[2:]:
        values = [float(v) for v in row[1:]]
        assert values == [v for n in names for v in (MMU["ept"][n], MMU["shadow"][n])], row
    # the figure: grouped bars on a log axis, a 0 drawn as no bar (not as log 0)
    block = gp_block(out, "paging-mmu")
    assert "set logscale y" in block and 'set datafile missing "?"' in block
    # the same two colours as the scaling and distribution figures (plot.h)
    assert 'lc rgb "#1f77b4"' in block and 'lc rgb "#d62728"' in block
    dat = (out / "plots" / "paging-mmu.dat").read_text().splitlines()
    assert all(line.split("\t")[3] == "?" for line in dat[1:])  # EPT zapped nothing
    assert "0 (or not recorded) has no bar" in html
    assert (out / "plots" / "paging-mmu.svg").stat().st_size > 1000


def test_index_has_a_short_paging_section_linking_the_page(merged):
    _, _, out = merged
    html = (out / "index.html").read_text()
    sec = paging_section(html)
    assert '<a href="paging.html">' in sec and 'src="plots/paging.svg"' in sec
    assert "slower</b> than EPT on memtouch" in sec and "95% interval" in sec
    assert "<table" not in sec  # the tables are on paging.html


def test_paging_page_renders_every_figure(merged, tmp_path):
    _, _, out = merged
    attrs = browser.body(out / "paging.html", tmp_path)
    assert (attrs["data-figures-loaded"], attrs["data-figures-broken"]) == ("2", "0"), attrs


def test_one_mode_says_so_and_writes_no_paging_page(merged, tmp_path):
    _, shadow_db, out = merged
    one = tmp_path / "one"
    shutil.copytree(out, one)  # an older report's paging.html goes
    p = kb("report", "--db", shadow_db, "--out", one)
    assert p.returncode == 0, p.stderr
    html = (one / "index.html").read_text()
    sec = paging_section(html)
    assert "Only one paging mode (shadow)" in sec and "make bench SCENARIO=paging" in sec
    assert "docs/reports.md" in sec
    assert not (one / "paging.html").exists()


def test_compare_by_paging_names_the_modes_the_runs_ran_with(merged):
    m, _, _ = merged
    for asked in ("ept", "tdp"):
        p = kb("compare", asked, "shadow", "--by", "paging", "--db", m)
        assert p.returncode == 10, p.stdout + p.stderr
        assert p.stdout.startswith("compare paging ept -> shadow"), p.stdout
        assert "paging=" not in p.stdout and "tdp" not in p.stdout, p.stdout
        j = json.loads(kb("compare", asked, "shadow", "--by", "paging", "--db", m,
                                        "--format", "json").stdout)
        assert (j["baseline"], j["candidate"]) == ("ept", "shadow")
        assert j["results"] and all("paging=" not in r["params"] for r in j["results"])
    p = kb("compare", "host", "shadow", "--by", "paging", "--db", m)
    assert p.returncode == 1 and "ept, shadow" in p.stderr, p.stderr


def test_compare_given_mode_names_suggests_by_paging(merged):
    m, _, _ = merged
    p = kb("compare", "ept", "shadow", "--db", m)
    assert p.returncode == 1 and p.stdout == ""
    # a hint that runs as pasted: on the same database
    assert p.stderr.strip() == ("kvmbench: 'ept' is not a campaign; to compare paging modes: "
                                f"kvmbench compare ept shadow --by paging --db {m}"), p.stderr
    # a value of another axis: its --by, which then works
    p = kb("compare", "256M", "1G", "--db", m)
    assert p.returncode == 1 and "kvmbench compare 256M 1G --by memory" in p.stderr, p.stderr
    p = kb("compare", "256M", "1G", "--by", "memory", "--db", m, "--mixed-hosts")
    assert p.returncode in (0, 10) and p.stdout.startswith("compare memory 256M -> 1G"), p.stderr
    p = kb("compare", "ept-host", "shadow-host", "--db", m)
    assert p.returncode == 1 and "--by host" in p.stderr, p.stderr
    # a hint names only modes the runs ran with ("tdp": the TDP mode that ran)
    p = kb("compare", "tdp", "shadow", "--db", m)
    assert "kvmbench compare tdp shadow --by paging" in p.stderr, p.stderr
    p = kb("compare", "host", "shadow", "--db", m)
    assert p.returncode == 1 and p.stderr.strip().endswith(
        f"name two different ones the runs ran with (kvmbench compare MODE MODE --by paging "
        f"--db {m}): ept, shadow"), p.stderr
    # the same mode twice is not a comparison to suggest
    p = kb("compare", "shadow", "shadow", "--db", m)
    assert p.returncode == 1 and "name two different ones" in p.stderr, p.stderr
    assert "kvmbench compare shadow shadow" not in p.stderr


def test_compare_hint_on_one_mode_says_there_is_none_to_compare(merged):
    _, shadow_db, _ = merged
    for a, b in (("tdp", "shadow"), ("shadow", "shadow")):
        p = kb("compare", a, b, "--db", shadow_db)
        assert p.returncode == 1 and p.stderr.strip().endswith(
            ": shadow only, so there is none to compare"), p.stderr


def test_compare_keeps_a_15x_change_readable_within_100_columns(tmp_path):
    h = Harness(tmp_path, env=fake.env(spread=0.02))
    sc = h.scenario(fake.pio_cpuid(5))
    h.run(sc, check=0)
    h.run(sc, env={"FAKE_SLOW": "15"}, check=0)
    h.run(sc, env={"FAKE_SLOW": "2000"}, check=0)
    for cand, change in (("2", r"\+1[345]\d\d%"), ("3", r"\d{4}x")):
        p = h("compare", "1", cand)
        assert p.returncode == 10, p.stdout + p.stderr
        lines = p.stdout.splitlines()
        assert all(len(ln) <= 100 for ln in lines), max(lines, key=len)
        head = next(ln for ln in lines if ln.startswith("verdict"))
        rows_ = [ln for ln in lines if ln.startswith("regressed")]
        assert len(rows_) == 4, p.stdout
        for ln in rows_:
            assert re.search(rf"{change} \[{change}, {change}\]", ln), ln
            # the interval and the metric columns stay where the head puts them
            assert ln.index("[") == head.index("95% interval")
            assert ln[head.index("metric"):].split()[0] in ("pio", "pio_ns", "cpuid",
                                                             "cpuid_ns"), ln


def test_a_point_failing_in_one_mode_is_named_not_dropped(tmp_path):
    sides = {}
    for mode, knobs in (("shadow", {}), ("ept", {"slow": EPT_SLOW, "status": "ptchurn=crash"})):
        (tmp_path / mode).mkdir()
        h = Harness(tmp_path / mode, env=fake.env(spread=0.03, **knobs))
        h.run(h.scenario(SCENARIO), check=None)
        set_host(h.db, mode)
        sides[mode] = h.db
    m, out = tmp_path / "m.db", tmp_path / "rep"
    kb("merge", sides["shadow"], sides["ept"], "-o", m, check=0)
    p = kb("report", "1", "2", "--db", m, "--out", out)
    assert p.returncode == 2, p.stderr  # runs failed: the page is written, and says so
    page = (out / "paging.html").read_text()
    note = page[page.index("Not compared"):]
    note = note[:note.index("</p>")]
    assert "ptchurn" in note and "memtouch" not in note, note


def interleaved_db(d, host, slow):
    """A campaign whose runs of both modes interleave (as `paging = tdp,
    shadow` gives on one host), made from a vmm_args A/B of the fake VMM:
    A's runs become the host's EPT, B's shadow, on host host (EPT)."""
    d.mkdir()
    h = Harness(d, env=fake.env(spread=0.03, slow=slow))
    h.run(h.scenario("[scenario]\nrepeats = 5\nwarmup = 0\n[matrix]\nworkload = memtouch\n"
                     "vmm_args = -name a | -name b\n[workload.memtouch]\n"
                     "args = fake.ns=3000\n"), check=0)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE hosts SET uuid = ?, hostname = ?, paging = 'ept', "
                  "kvm_module = 'kvm_intel'", (host, host))
        c.execute("UPDATE runs SET paging = 'shadow', params = replace(replace(params, "
                  "'paging=host', 'paging=shadow'), 'vmm_args=-name b', 'vmm_args=-name a') "
                  "WHERE vmm_args = '-name b'")
    return h.db


def test_interleaved_pairs_keep_to_their_host(tmp_path):
    """Two EPT hosts ran the same point; one of them ran shadow too, in the
    same campaign.  Its pair is its own EPT runs against its own shadow
    runs: the other host's EPT runs (ten times slower here) are not pooled
    in, and the other host's EPT point is paired with the one shadow point."""
    a = interleaved_db(tmp_path / "a", "ept-a", "memtouch=1")
    b = tmp_path / "b"
    b.mkdir()
    h = Harness(b, env=fake.env(spread=0.03, slow="memtouch=10"))
    h.run(h.scenario("[scenario]\nrepeats = 5\nwarmup = 0\n[matrix]\nworkload = memtouch\n"
                     "vmm_args = -name a\n[workload.memtouch]\nargs = fake.ns=3000\n"), check=0)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE hosts SET uuid = 'ept-b', hostname = 'ept-b', paging = 'ept', "
                  "kvm_module = 'kvm_intel'")
    m, out = tmp_path / "m.db", tmp_path / "rep"
    kb("merge", a, h.db, "-o", m, check=0)
    p = kb("report", "1", "2", "--db", m, "--out", out)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    html = (out / "paging.html").read_text()
    table = table_rows(html, "<h2>Shadow / EPT per point</h2>")[1:]
    assert len(table) == 2, table
    # A against itself: about 1, paired run by run; B: about 1/10, unpaired
    ratios = sorted(float(r[5]) for r in table)
    assert ratios[0] == pytest.approx(0.1, rel=0.15) and \
        ratios[1] == pytest.approx(1.0, rel=0.15), table
    own = next(r for r in table if float(r[5]) > 0.5)
    assert own[4] == "5 / 5" and "paired" in own[7] and "unpaired" not in own[7], own


def test_a_long_hostname_keeps_its_runs(tmp_path):
    """A merged database may name a host with any length: the report names
    it by its first 100 bytes and still finds its runs by that name (it
    once cut the name at 127 bytes and then matched no run)."""
    long = "h" * 150
    db = interleaved_db(tmp_path / "a", long, "memtouch=1")
    out = tmp_path / "rep"
    p = kb("report", "1", "--db", db, "--out", out)
    assert p.returncode == 0, p.stderr
    table = table_rows((out / "paging.html").read_text(), "<h2>Shadow / EPT per point</h2>")[1:]
    assert len(table) == 1 and table[0][4] == "5 / 5", table
    assert float(table[0][5]) == pytest.approx(1.0, rel=0.15), table
