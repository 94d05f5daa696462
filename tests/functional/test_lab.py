"""The kvmbench lab (QEMU TCG emulating SVM, kvm_amd inside): kvmbench lab
itself, and campaigns run through it (run --host lab, paging npt against
shadow).  Each lab boot takes 10-20 s of this machine's time, so the tests
share boots where they can.  These tests boot labs: they run on the host
(marker starts_lab), never inside a lab."""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from framework.harness import kb, write
from framework.host import kvm_unusable_reason
from framework.paths import ROOT

TREE_TMP = ROOT / "build" / "lab"


def test_lab_options_are_checked_before_any_boot():
    for args, word in ((["--npt", "maybe"], "--npt maybe: want on or off"),
                       (["--smp", "0"], "--smp 0: '0' is not a whole number in [1, "),
                       (["--timeout", "nan"], "--timeout nan: 'nan' is not a number in ["),
                       (["--frobnicate", "1"], "--frobnicate: unknown option"),
                       (["--mem"], "--mem: needs a value")):
        p = kb("lab", *args, "--", "true", timeout=10)
        usage = args[0] in ("--frobnicate", "--mem")  # usage errors: 2 (tests/functional/test_cli.py)
        assert p.returncode == (2 if usage else 1) and word in p.stderr, (args, p.stderr)
    p = kb("run", "smoke", "--host", "elsewhere", timeout=10)
    assert p.returncode == 1 and "--host elsewhere: want auto, native or lab" in p.stderr


def lab_dirs():
    return {d.name for d in TREE_TMP.iterdir() if d.name.startswith(("run-", "parts-"))}


NASTY = "it's $(touch /tmp/kb-pwned) `id` \\ \"q\"\nline2"


def test_lab_runs_a_command_on_its_kvm_and_returns_its_status(lab, tmp_path):
    TREE_TMP.mkdir(parents=True, exist_ok=True)
    before = lab_dirs()
    mark = TREE_TMP / f"written-in-lab-{os.getpid()}"
    mark.unlink(missing_ok=True)
    script = ("build/kvmbench host; cat /sys/module/kvm_amd/parameters/npt; "
              f"echo from-the-lab > {mark}; printf 'env=%s|\\n' \"$KB_TEST_VAR\"; "
              "test -e /tmp/kb-pwned && echo PWNED; "
              "touch /etc/kvmbench-lab-probe && echo root-overlay-writable; "
              "build/kvmbench-vmm -kernel build/guests/hello.elf; exit 7")
    p = kb("lab", "--npt", "on", "--timeout", "300", "--", "sh", "-c", script,
           env={"KB_TEST_VAR": NASTY}, timeout=400)
    assert p.returncode == 7, p.stdout[-3000:] + p.stderr[-3000:]
    assert "kind          lab (timings emulated)" in p.stdout
    assert "kvm_module    kvm_amd" in p.stdout and "paging        npt" in p.stdout
    assert "kvm           usable" in p.stdout
    # the caller's environment, byte for byte, never run as code
    assert f"env={NASTY}|" in p.stdout and "PWNED" not in p.stdout, p.stdout[-2000:]
    assert "Hello from kvmbench guest" in p.stdout
    assert "kvmbench lab: booted in" in p.stderr
    # the project tree is the real one, read-write; the host's / is only an overlay
    assert mark.read_text() == "from-the-lab\n"
    mark.unlink()
    assert "root-overlay-writable" in p.stdout and not os.path.exists("/etc/kvmbench-lab-probe")
    # nothing of the run is left behind (its script held the environment)
    assert lab_dirs() <= before


def test_a_stuck_lab_is_ended_by_its_timeout_and_says_so(lab):
    # the timeout counts from QEMU's start: 60 s is six of the usual 10 s
    # boots, so a slow host's boot still ends inside it
    p = kb("lab", "--timeout", "60", "--", "sleep", "1000", timeout=180,
           env={"KVMBENCH_LAB_MONITOR": "1"})
    assert p.returncode == 124, p.stderr
    assert "kvmbench lab: ended after its 60 s timeout" in p.stderr
    assert "booted in" in p.stderr  # it was the command that hung, not the boot
    # where its vCPUs were, from QEMU's monitor, named from the kernel's
    # symbols (a first boot wrote build/lab/kallsyms; this one, where its _text is)
    where = re.findall(r"vCPU (\d+): in (the kernel at [\w.]+\+0x[0-9a-f]+ \(0x[0-9a-f]+\)|"
                       r"user mode at 0x[0-9a-f]+)", p.stderr)
    assert sorted(int(n) for n, _ in where) == [0, 1], p.stderr
    regs = re.search(r"registers: (\S+-registers\.txt)", p.stderr).group(1)
    assert "CPU#1" in open(regs).read() and "RIP=" in open(regs).read()
    os.unlink(regs)


def test_a_lab_that_does_not_boot_in_time_says_where_it_was(lab):
    """A real QEMU given 3 s to boot: ended twice, each time with where its
    vCPUs were (decompressing, or in the kernel)."""
    p = kb("lab", "--", "true", env={"KVMBENCH_LAB_BOOT_TIMEOUT": "3",
                                     "KVMBENCH_LAB_MONITOR": "1"}, timeout=120)
    assert p.returncode == 125, p.stderr
    assert "the lab did not boot within 3 s (boot 1 of 2)" in p.stderr, p.stderr
    assert "the lab did not boot within 3 s, in 2 boots: vCPU 0: in " in p.stderr, p.stderr
    for regs in re.findall(r"registers: (\S+-registers\.txt)", p.stderr):
        assert "CPU#0" in open(regs).read()
        os.unlink(regs)


def test_ctrl_c_stops_the_lab_and_its_qemu(lab):
    TREE_TMP.mkdir(parents=True, exist_ok=True)
    before = lab_dirs()
    p = subprocess.Popen([str(ROOT / "build/kvmbench"), "lab", "--", "sleep", "1000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (lab_dirs() - before):
        time.sleep(0.5)
    time.sleep(5)  # QEMU is up
    qemu = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout
    assert qemu.strip(), "no QEMU under kvmbench lab"
    p.send_signal(signal.SIGINT)  # QEMU has its own process group: only we get it
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130 and "interrupted" in err, err
    for pid in qemu.split():
        assert not os.path.exists(f"/proc/{pid}") or \
            "zombie" in open(f"/proc/{pid}/status").read().lower(), pid
    assert lab_dirs() <= before


PAGING = """[scenario]
description = npt against shadow in the lab
repeats = 3
warmup = 0
timeout = 120
[matrix]
workload = memtouch, ptchurn
paging = npt, shadow
memory = 256M
[workload.memtouch]
args = mib=16
[workload.ptchurn]
args = ms=50
"""


@pytest.fixture(scope="module")
def paging_db(lab, tmp_path_factory):
    d = tmp_path_factory.mktemp("labpaging")
    sc = write(d, "labpaging.ini", PAGING)
    db = d / "k.db"
    p = kb("run", sc, "--db", db, "--host", "lab", timeout=1500)
    return db, p


def test_paging_runs_npt_and_shadow_in_two_labs(paging_db):
    db, p = paging_db
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-3000:]
    assert "running it in the lab" in p.stderr and "npt=1 then npt=0" in p.stderr
    with sqlite3.connect(db) as c:
        camps = c.execute("SELECT c.id, h.kind, h.paging, h.timings_emulated, h.kvm_module"
                          " FROM campaigns c JOIN hosts h ON h.id = c.host_id"
                          " ORDER BY c.id").fetchall()
        assert [(k, pg, e, m) for _, k, pg, e, m in camps] == [
            ("lab", "npt", 1, "kvm_amd"), ("lab", "shadow", 1, "kvm_amd")]
        runs = c.execute("SELECT c.id, r.paging, r.status, count(*) FROM runs r"
                         " JOIN campaigns c ON c.id = r.campaign_id"
                         " GROUP BY 1, 2, 3 ORDER BY 1, 2").fetchall()
        # each lab ran its own half, every run passed
        assert runs == [(camps[0][0], "npt", "pass", 6), (camps[1][0], "shadow", "pass", 6)]
        stats = dict(c.execute(
            "SELECT r.paging || '.' || k.name, sum(k.value) FROM kvm_stats k"
            " JOIN runs r ON r.id = k.run_id WHERE k.scope = 'vm' GROUP BY 1").fetchall())
        logs = [r[0] for r in c.execute("SELECT log_dir FROM runs")]
        # one kvmbench run: its two campaigns are one group
        assert c.execute("SELECT count(DISTINCT run_group), count(*) FROM campaigns"
                         " WHERE run_group IS NOT NULL").fetchall() == [(1, 2)]
    # KVM's own MMU statistics tell the two modes apart: the shadow MMU builds
    # and zaps shadow pages, two-dimensional paging does not
    shadow_work = sum(stats.get(f"shadow.{n}", 0) for n in ("mmu_cache_miss", "mmu_pte_write"))
    npt_work = sum(stats.get(f"npt.{n}", 0) for n in ("mmu_cache_miss", "mmu_pte_write"))
    print(f"[lab] vm stats: shadow mmu_cache_miss+mmu_pte_write={shadow_work}, npt={npt_work}")
    assert shadow_work > 10 * max(npt_work, 1), stats
    # logs are on the real machine, where the database says
    assert logs and all(os.path.isdir(l) for l in logs), logs[:3]
    # the summary of either part shows both, each saying its timings are emulated
    out = kb("summary", str(camps[1][0]), "--db", db, check=0).stdout
    assert "paging npt" in out and "paging shadow" in out, out[:2000]
    assert out.count("timings emulated (the lab: QEMU TCG)") == 2
    # and so does the report, which says so on its page
    rep = db.parent / "report"
    kb("report", str(camps[0][0]), "--db", db, "--out", rep, check=0)
    html = (rep / "index.html").read_text()
    assert html.count("(timings emulated)") == 2 and "<b>Timings emulated.</b>" in html


def test_compare_npt_against_shadow_and_refuse_mixed_kinds(paging_db, tmp_path):
    db, _ = paging_db
    p = kb("compare", "npt", "shadow", "--by", "paging", "--db", db)
    assert p.returncode in (0, 10), p.stderr
    assert "hosts: lab -> lab\n  (timings emulated" in p.stdout
    assert "memtouch" in p.stdout and "ptchurn" in p.stdout
    if kvm_unusable_reason():
        pytest.skip(f"the mixed-kinds half needs a native KVM: {kvm_unusable_reason()}")
    # a native campaign in the same database: one side then mixes host kinds
    sc = write(tmp_path, "native.ini", PAGING.replace("paging = npt, shadow",
                                                      "paging = host"))
    kb("run", sc, "--db", db, "--host", "native", "--quiet", timeout=600, check=0)
    native = dict(sqlite3.connect(db).execute(
        "SELECT h.kind, h.paging FROM hosts h WHERE h.kind != 'lab'").fetchall())
    assert len(native) == 1, native
    (kind, paging), = native.items()
    a, b = ("npt", "shadow") if paging == "shadow" else ("tdp", "shadow")
    p = kb("compare", a, b, "--by", "paging", "--db", db)
    assert p.returncode == 1, p.stdout
    assert "their timings do not compare" in p.stderr and kind in p.stderr, p.stderr
    assert "--mixed-hosts" in p.stderr
    p = kb("compare", a, b, "--by", "paging", "--db", db, "--mixed-hosts")
    assert p.returncode in (0, 10), p.stderr


def test_make_bench_paging_ends_with_the_paging_page(lab, tmp_path):
    """The user's one command for NPT against shadow: `make bench
    SCENARIO=paging` (the lab on a host that cannot give both modes) ends
    with a report whose paging page has the ratio per point on a log axis
    and the MMU statistics of both modes; real KVM, so shadow paging's MMU
    work shows in KVM's own statistics."""
    name = f"test-paging-{os.getpid()}"
    db = tmp_path / "k.db"
    rep = ROOT / "reports" / name
    try:
        p = subprocess.run(["make", "-s", "bench", "SCENARIO=paging", f"DB={db}",
                            f"BENCH_REPORT={name}"], cwd=ROOT, capture_output=True,
                           text=True, timeout=1500)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        assert f"report:   reports/{name}/index.html" in p.stdout
        assert f"paging:   reports/{name}/paging.html" in p.stdout
        page = (rep / "paging.html").read_text()
        index = (rep / "index.html").read_text()
        gp = (rep / "plots" / "all.gp").read_text()
        assert (rep / "plots" / "paging.svg").stat().st_size > 1000
    finally:
        shutil.rmtree(rep, ignore_errors=True)
    for w in ("memtouch", "ptchurn", "tlbwalk"):
        assert f"than NPT on {w}" in page or f"shadow and NPT on {w}" in page, w
    ratio = gp[gp.index("set output 'paging.svg'"):]
    ratio = ratio[:ratio.index("unset output")]
    assert "set logscale y" in ratio and "shadow / TDP ratio" in ratio
    for stat in ("pf_fixed", "mmu_shadow_zapped", "mmu_pte_write", "tlb_flush"):
        assert stat in page
    assert "<section id=paging>" in index and 'href="paging.html"' in index
    with sqlite3.connect(db) as c:
        fixed = dict(c.execute(
            "SELECT r.paging, sum(k.value) FROM kvm_stats k JOIN runs r ON r.id = k.run_id"
            " WHERE k.name = 'pf_fixed' AND r.warmup = 0 GROUP BY 1").fetchall())
    # the shadow MMU fixes guest page faults itself; NPT leaves them to the guest
    assert fixed.get("shadow", 0) > 10 * max(fixed.get("tdp", 0), 1), fixed
