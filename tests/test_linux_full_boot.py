"""Linux to user space: Debian's cloud kernel with the kvmbench initramfs
(images/linux, `make images`), as a bzImage and as a PVH vmlinux, and the
linux scenario through the harness.

Booting to init needs VMX/SVM: on a kvm_pvm host Linux stops with KVM
internal errors long before init, so the boots are skipped there with that
reason, and the scenario is checked to record every point as skipped with
it (nothing pretends to have run).
"""
import json
import pathlib
import sqlite3
import subprocess

import pytest

from conftest import ROOT, VMM, host_is_pvm
from test_linux import extract_vmlinux, kernel  # noqa: F401  (the fixture)

KB = ROOT / "build" / "kvmbench"
PVM_REASON = ("this host's KVM is kvm_pvm: Linux stops with KVM internal errors "
              "(int3, clac) before init, so a full boot needs a VMX/SVM host")


@pytest.fixture(scope="module")
def initramfs(tmp_path_factory):
    out = tmp_path_factory.mktemp("initramfs") / "initramfs.cpio.gz"
    p = subprocess.run([str(ROOT / "images/linux/mkinitramfs"), str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def boot_to_init(kernel_path, initrd, tmp_path):
    stats = tmp_path / "stats.json"
    p = subprocess.run([str(VMM), "-kernel", str(kernel_path), "-initrd", str(initrd),
                        "-m", "1G", "-smp", "2", "-timeout", "120",
                        "-append", "console=ttyS0 kvmbench.workload=boot,forkexec kvmbench.n=200",
                        "-serial", f"file:{tmp_path / 'console.log'}", "-stats", str(stats)],
                       capture_output=True, text=True, timeout=150)
    log = (tmp_path / "console.log").read_text(errors="replace")
    assert p.returncode == 0, p.stderr + log[-3000:]
    s = json.loads(stats.read_text())
    assert s["result"]["status"] == "reset"  # the init's i8042 reset
    marks = [m["name"] for m in s["marks"]]
    assert {"init", "modules", "done"} <= set(marks), marks
    assert marks.index("init") < marks.index("done")
    metrics = {m["name"]: m["value"] for m in s["metrics"]}
    assert metrics["forkexec_per_s"] > 0
    return s


@pytest.mark.skipif(host_is_pvm(), reason=PVM_REASON)
def test_bzimage_boots_to_init(kvm, kernel, initramfs, tmp_path):
    s = boot_to_init(kernel, initramfs, tmp_path)
    assert s["config"]["boot_protocol"] == "linux64"


@pytest.mark.skipif(host_is_pvm(), reason=PVM_REASON)
def test_pvh_vmlinux_boots_to_init(kvm, kernel, initramfs, tmp_path):
    vmlinux = extract_vmlinux(pathlib.Path(kernel), tmp_path / "vmlinux")
    s = boot_to_init(vmlinux, initramfs, tmp_path)
    assert s["config"]["boot_protocol"] == "pvh"


def test_linux_scenario_runs_or_records_why_not(kvm, tmp_path):
    """On kvm_pvm every point is a recorded skip naming the reason; on a
    VMX/SVM host (with `make images` done) the points pass with their
    metrics."""
    db = tmp_path / "k.db"
    if not host_is_pvm() and not (ROOT / "build/images/initramfs.cpio.gz").exists():
        subprocess.run(["make", "-C", str(ROOT), "images"], check=True, capture_output=True)
    p = subprocess.run([str(KB), "run", "linux", "--db", str(db), "--repeat", "1"],
                       capture_output=True, text=True, timeout=3000)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = sqlite3.connect(db).execute(
        "SELECT workload, status, reason FROM runs WHERE warmup = 0").fetchall()
    assert len(rows) == 11  # 3 topologies x 3 workloads, and blk with ioeventfd on and off
    if host_is_pvm():
        print(f"kvm_pvm: the linux scenario records skips ({rows[0][2]})")
        assert {r[1] for r in rows} == {"skip"}
        assert all("needs=linux-userspace" in r[2] and "kvm_pvm" in r[2] for r in rows)
    else:
        assert {r[1] for r in rows} == {"pass"}, rows


def run_scenario(tmp_path, name, workload_keys):
    """kvmbench run on a one-workload scenario; the finished process."""
    from test_harness import kb, write
    sc = write(tmp_path, name, "[scenario]\nrepeats = 1\n[matrix]\nworkload = hello\n"
               f"[workload.hello]\n{workload_keys}\n")
    return kb("run", sc, "--db", tmp_path / "k.db", timeout=60)


def test_missing_initrd_is_named_before_any_run(kvm, tmp_path):
    p = run_scenario(tmp_path, "rd.ini", "initrd = /nonexistent/initrd.gz")
    assert p.returncode != 0
    assert "rd.ini:" in p.stderr and "initrd /nonexistent/initrd.gz" in p.stderr, p.stderr


def test_bad_needs_value_names_the_line(kvm, tmp_path):
    p = run_scenario(tmp_path, "needs.ini", "needs = magic")
    assert p.returncode != 0 and "needs.ini:6" in p.stderr and "linux-userspace" in p.stderr, \
        p.stderr
