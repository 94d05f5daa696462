"""The report as its reader sees it (issue 14), in headless Chromium at
1400 px: a passing, a failing and a paging report, each with a screenshot
of its first screen (kept in build/test-screenshots/) and DOM checks:
every figure loads and has a title and axis labels, the y axis saying its
unit, the labels really drawn in the SVG; nothing sticks out of the page;
the first screen holds the verdict; the failures section lists the
failures.  On the fake VMM: no KVM needed."""
import html
import re
import sqlite3

import pytest

from framework import browser, fake
from framework.harness import Harness, kb

SCENARIO = fake.pio_cpuid(4).replace("[matrix]\n", "[matrix]\ntopology = 1, 2, 4, 1x2x2\n")

# a y label says what is measured and in which unit
UNITS = re.compile(r"\b(cycles|ns|us|ms|s|exits|count|MiB|ratio)\b|/s\b|\(.+\)")


def check_figures(page, tmp_path):
    """Every <figure> of page: loaded, titled, both axes labelled (the y
    label with a unit), and those texts in its SVG.  Returns the figures."""
    attrs = browser.body(page, tmp_path)
    els = browser.Elements(page.read_text())
    figs = els.all("figure")
    assert attrs["data-figures-broken"] == "0", (page.name, attrs)
    assert int(attrs["data-figures-loaded"]) == len(figs), (page.name, attrs)
    assert attrs["data-too-wide"] == "0", (page.name, attrs)  # wide tables scroll inside
    for _, a, caption in figs:
        title, x, y = a.get("data-title"), a.get("data-xlabel"), a.get("data-ylabel")
        assert title and x and y, a
        assert UNITS.search(y), f"{title}: y label without a unit: {y!r}"
        assert caption.strip().startswith(title), (title, caption)
        img = next(e for e in els.found if e[0] == "img" and e[1].get("alt") == title)
        svg = html.unescape((page.parent / img[1]["src"]).read_text())
        for text in (title, x, y):
            assert text in svg, f"{img[1]['src']}: {text!r} not drawn"
    return figs


def test_a_passing_report_reads_right(tmp_path):
    h = Harness(tmp_path, env=fake.env(spread=0.03))
    h.run(h.scenario(SCENARIO), check=0)
    p, out = h.report()
    assert p.returncode == 0, p.stderr
    page = out / "index.html"
    figs = check_figures(page, tmp_path)
    assert len(figs) >= 6
    # the scaling figures are over the vCPU count, not the row
    assert any(a["data-xlabel"] == "vCPUs" for _, a, _ in figs)
    els = browser.Elements(page.read_text())
    verdict = els.by_id("verdict")
    assert verdict[1]["data-verdict"] == "PASS" and "32 of 32 runs passed" in verdict[2]
    assert "No failures." in els.by_id("failures")[2]
    # the first thing on the page after its title is the verdict
    first = [e[0] for e in els.found if e[0] in ("div", "table", "figure", "h2")]
    assert first[0] == "div" and els.found.index(verdict) < els.found.index(els.all("table")[0])
    shot = browser.screenshot(page, tmp_path, "report-passing")
    assert browser.png_size(shot) == (browser.WIDTH, 900) and len(shot) > 20000
    trend = out / "trend.html"
    check_figures(trend, tmp_path)


def test_a_failing_report_lists_its_failures_first(tmp_path):
    h = Harness(tmp_path, env=fake.env(spread=0.03, status="cpuid=crash"))
    h.run(h.scenario(SCENARIO), check=2)
    p, out = h.report()
    assert p.returncode == 2, p.stderr
    page = out / "index.html"
    check_figures(page, tmp_path)
    els = browser.Elements(browser.dom(page, tmp_path))
    verdict = els.by_id("verdict")
    assert verdict[1]["data-verdict"] == "FAIL" and verdict[1]["data-fail"] == "16"
    failures = els.by_id("failures")
    failed = {k for (k,) in h.rows("SELECT DISTINCT params FROM runs WHERE status = 'fail'")}
    assert len(failed) == 4 and all("workload=cpuid" in f for f in failed)
    rows = [e for e in els.all("tr", **{"class": "failed"})]
    assert len(rows) == 4, failures[2][:500]
    for t in ("1", "2", "4", "1x2x2"):
        assert f"cpuid {t}" in failures[2]
    assert "pio 1" not in failures[2]
    shot = browser.screenshot(page, tmp_path, "report-failing")
    assert browser.png_size(shot) == (browser.WIDTH, 900)


@pytest.fixture
def two_modes(tmp_path):
    """A database of one scenario on two hosts: this one's paging mode
    (the fake VMM reports the host's) and an EPT host, the EPT side 3x
    faster."""
    a, b, m = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "m.db"
    sc = tmp_path / "p.ini"
    sc.write_text("[scenario]\nrepeats = 5\nwarmup = 0\n[matrix]\nworkload = memtouch, "
                  "ptchurn\n[workload.memtouch]\nargs = fake.ns=30000\n[workload.ptchurn]\n"
                  "args = fake.ns=9000\n")
    env = fake.env(spread=0.03)
    kb("run", sc, "--db", a, "--quiet", env=env, check=0)
    kb("run", sc, "--db", b, "--quiet", env={**env, "FAKE_SLOW": "0.33"}, check=0)
    with sqlite3.connect(b) as c:
        c.execute("UPDATE hosts SET uuid = 'ept-host', hostname = 'ept-host', "
                  "kvm_module = 'kvm_intel', paging = 'ept'")
    mode = sqlite3.connect(a).execute("SELECT paging FROM hosts").fetchone()[0]
    if mode == "ept":
        pytest.skip("this host has EPT: the merged database would hold one mode")
    kb("merge", a, b, "-o", m, check=0)
    return m


def test_a_paging_report_shows_the_ratio_first(two_modes, tmp_path):
    out = tmp_path / "rep"
    p = kb("report", "1", "2", "--db", two_modes, "--out", out)
    assert p.returncode == 0, p.stderr
    page, paging = out / "index.html", out / "paging.html"
    check_figures(page, tmp_path)
    figs = check_figures(paging, tmp_path)
    ratio = next(a for _, a, _ in figs if "log scale" in a["data-ylabel"]
                 and "ratio" in a["data-ylabel"])
    assert "shadow" in ratio["data-title"].lower() or "shadow" in ratio["data-ylabel"]
    # the index's paging section, near the top, says the result and links the page
    els = browser.Elements(page.read_text())
    sec = els.by_id("paging")
    assert "slower" in sec[2] and "memtouch" in sec[2] and "ptchurn" in sec[2], sec[2][:400]
    assert els.found.index(sec) < els.found.index(els.by_id("campaigns"))
    assert any(a.get("href") == "paging.html" for _, a, _ in els.all("a"))
    # MMU statistics of both modes, side by side
    text = browser.Elements(paging.read_text()).found[0][2]
    for stat in ("pf_fixed", "mmu_shadow_zapped", "mmu_pte_write", "tlb_flush"):
        assert stat in text
    for name, height in (("index", 900), ("paging", 1800)):
        shot = browser.screenshot(out / f"{name}.html", tmp_path, f"report-paging-{name}",
                                  height=height)
        assert browser.png_size(shot) == (browser.WIDTH, height)
