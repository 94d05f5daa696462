"""Linux to user space: Debian's cloud kernel with the kvmbench initramfs
(images/linux, `make images`), as a bzImage and as a PVH vmlinux, how it
ends (reboot, poweroff, panic), and the linux scenario through the harness.

Booting to init needs VMX/SVM: on a kvm_pvm host Linux stops with KVM
internal errors long before init, so the boots are skipped there with that
reason (make test runs them in its lab lane), and the scenario is checked
to record every point as skipped with it (nothing pretends to have run).

Measured in the lab (kvm_amd): on the default, hardware-reduced machine
Linux reboots through EFI and then the BIOS (efi_reboot_required() is true
with hardware-reduced ACPI; no EFI, so it jumps to f000:fff0 in real mode),
where the VMM's reset-vector stub resets through the i8042; its poweroff
becomes a halt ("reboot: System halted": no S5 to power off with).
"""
import json
import pathlib
import sqlite3
import subprocess

import pytest

from framework.harness import kb, write
from framework.host import host_is_pvm
from framework.lab import lab_retry, linux_host_fault
from framework.linux import extract_vmlinux
from framework.paths import KB, ROOT, VMM


@pytest.fixture(scope="module")
def initramfs(tmp_path_factory):
    """`make images`'s initramfs when it is built (the lab has no network
    for mkinitramfs's apt-get download), else one built here."""
    built = ROOT / "build/images/initramfs.cpio.gz"
    if built.exists():
        return built
    out = tmp_path_factory.mktemp("initramfs") / "initramfs.cpio.gz"
    p = subprocess.run([str(ROOT / "images/linux/mkinitramfs"), str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def boot(kernel_path, initrd, tmp_path, append, *args, timeout=120, expect_crash=False):
    """One Linux boot on 2 vCPUs: (exit status, stats, console), retried in
    the lab when it ends as the lab's own faults do (framework.lab.lab_retry)."""
    stats = tmp_path / "stats.json"

    def attempt():
        p = subprocess.run([str(VMM), "-kernel", str(kernel_path), "-initrd", str(initrd),
                            "-m", "1G", "-smp", "2", "-timeout", str(timeout),
                            "-append", f"console=ttyS0 {append}", *args,
                            "-serial", f"file:{tmp_path / 'console.log'}", "-stats", str(stats)],
                           capture_output=True, text=True, timeout=timeout + 30)
        log = (tmp_path / "console.log").read_text(errors="replace")
        return p.returncode, json.loads(stats.read_text()), p.stderr + log[-3000:]

    def fault(outcome):
        r = outcome[1]["result"]
        return linux_host_fault(r["status"], r["reason"], outcome[2], expect_crash)

    return lab_retry(f"linux {append!r}", attempt, fault)


def ended_promptly(s, after_ns):
    """The VM ended within seconds of after_ns, not at its -timeout."""
    t = s["timings_ns"]
    assert 0 < t["result"] and t["total"] - after_ns < 20e9, (after_ns, t)


def boot_to_init(kernel_path, initrd, tmp_path):
    rc, s, log = boot(kernel_path, initrd, tmp_path,
                      "kvmbench.workload=boot,forkexec kvmbench.n=200")
    assert rc == 0, log
    # The init resets through the i8042 itself, or (an init that cannot
    # write ports) with reboot -f: Linux's default reboot here jumps to the
    # BIOS, whose reset-vector stub resets through the i8042 too.
    assert s["result"]["status"] == "reset", s["result"]
    assert "guest reset the machine through the i8042" in s["result"]["reason"], s["result"]
    marks = [m["name"] for m in s["marks"]]
    assert {"init", "modules", "done"} <= set(marks), marks
    assert marks.index("init") < marks.index("done")
    metrics = {m["name"]: m["value"] for m in s["metrics"]}
    assert metrics["forkexec_per_s"] > 0
    ended_promptly(s, s["marks"][marks.index("done")]["t_ns"])
    return s


def test_bzimage_boots_to_init(svm_kvm, kernel, initramfs, tmp_path):
    s = boot_to_init(kernel, initramfs, tmp_path)
    assert s["config"]["boot_protocol"] == "linux64"


def test_pvh_vmlinux_boots_to_init(svm_kvm, kernel, initramfs, tmp_path):
    vmlinux = extract_vmlinux(pathlib.Path(kernel), tmp_path / "vmlinux")
    s = boot_to_init(vmlinux, initramfs, tmp_path)
    assert s["config"]["boot_protocol"] == "pvh"


# busybox as init, its arguments after "--": no init script, straight to reboot(2)
REBOOT = "rdinit=/bin/busybox -- reboot -f"
POWEROFF = "rdinit=/bin/busybox -- poweroff -f"


@pytest.mark.parametrize("append, args, status, reason", [
    # the ACPI reset register (the FADT's: 0xFE to port 0x64), Linux's first choice
    # when the FADT is not hardware-reduced
    (REBOOT, ["-machine", "acpi-pm=on"], "reset", "guest reset the machine through the i8042"),
    ("reboot=k " + REBOOT, [], "reset", "guest reset the machine through the i8042"),
    ("reboot=t " + REBOOT, [], "reset", "by a triple fault (KVM_EXIT_SHUTDOWN) after its kernel"),
    ("reboot=p " + REBOOT, [], "reset", "through port 0xCF9 (0x0e)"),
    (POWEROFF, [], "poweroff", "guest kernel halted the machine (\"System halted\")"),
    (POWEROFF, ["-machine", "acpi-pm=on"], "poweroff", "guest powered off through ACPI (S5)"),
], ids=["acpi-reset-register", "reboot=k", "reboot=t", "reboot=pci", "poweroff-halts",
        "poweroff-acpi-s5"])
def test_linux_reboot_and_poweroff_end_the_vm(svm_kvm, kernel, initramfs, tmp_path, append,
                                              args, status, reason):
    rc, s, log = boot(kernel, initramfs, tmp_path, append, *args)
    assert rc == 0, log
    assert s["result"]["status"] == status and reason in s["result"]["reason"], s["result"]
    assert "reset vector" not in s["result"]["reason"]
    ended_promptly(s, s["timings_ns"]["result"])


@pytest.mark.parametrize("panic", ["", "panic=-1", "panic=1"])
def test_linux_panic_is_a_crash(svm_kvm, kernel, initramfs, tmp_path, panic):
    """No init (the initramfs has no /nonexistent, there is no root disk):
    Linux panics.  panic=0 stops there, panic=-1 resets at once, panic=1
    after a second: a crash all the same, decided at the panic."""
    rc, s, log = boot(kernel, initramfs, tmp_path, f"rdinit=/nonexistent {panic}",
                      expect_crash=True)
    assert rc == 3, log
    res = s["result"]
    assert res["status"] == "crash" and res["exit_code"] == 3
    assert res["reason"].startswith("guest kernel panic: VFS: Unable to mount root fs"), \
        (res, log[-3000:])
    if panic == "panic=-1":
        assert "(then: guest reset the machine" in res["reason"], res
    assert "Kernel panic - not syncing" in log and "Call Trace" in log  # the backtrace is kept
    ended_promptly(s, s["timings_ns"]["result"])


def test_linux_scenario_records_why_not_on_kvm_pvm(kvm, tmp_path):
    """On kvm_pvm, with --host native, every point is a recorded skip naming
    the reason (nothing pretends to have run)."""
    if not host_is_pvm():
        pytest.skip("this host boots Linux: test_linux_scenario_passes runs the points")
    db = tmp_path / "k.db"
    p = subprocess.run([str(KB), "run", "linux", "--db", str(db), "--repeat", "1",
                        "--warmup", "0", "--host", "native"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = sqlite3.connect(db).execute("SELECT workload, status, reason FROM runs").fetchall()
    assert len(rows) == 11  # 3 topologies x 3 workloads, and virtio with ioeventfd on and off
    print(f"kvm_pvm: the linux scenario records skips ({rows[0][2]})")
    assert {r[1] for r in rows} == {"skip"}
    assert all("needs=linux-userspace" in r[2] and "kvm_pvm" in r[2] for r in rows)


def test_linux_scenario_passes(svm_kvm, tmp_path):
    """scenarios/linux.ini as shipped, every point once (forkexec's loop
    shortened from 2000 to 300: under the lab's emulation 2000 fork+execs on
    2 vCPUs take most of the 120 s timeout)."""
    if not (ROOT / "build/images/initramfs.cpio.gz").exists():
        subprocess.run(["make", "-C", str(ROOT), "images"], check=True, capture_output=True)
    text = (ROOT / "scenarios/linux.ini").read_text()
    assert "kvmbench.n=2000" in text
    sc = tmp_path / "linux.ini"
    sc.write_text(text.replace("kvmbench.n=2000", "kvmbench.n=300"))
    tries = iter(range(1, 10))

    def attempt():
        db = tmp_path / f"k{next(tries)}.db"
        p = subprocess.run([str(KB), "run", str(sc), "--db", str(db), "--repeat", "1",
                            "--warmup", "0"], capture_output=True, text=True, timeout=1500)
        return p, db

    def fault(outcome):  # every failed run one the lab's faults explain
        if outcome[0].returncode == 0:
            return None
        bad = sqlite3.connect(outcome[1]).execute(
            "SELECT status, reason FROM runs WHERE status != 'pass'").fetchall()
        why = [linux_host_fault(st, r or "", "") for st, r in bad]
        return None if not bad or None in why else "; ".join(why)

    p, db = lab_retry("the linux scenario", attempt, fault)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    c = sqlite3.connect(db)
    rows = c.execute("SELECT workload, topology, status, reason FROM runs").fetchall()
    assert len(rows) == 11 and {r[2] for r in rows} == {"pass"}, rows
    metrics = {n for (n,) in c.execute("SELECT DISTINCT name FROM metrics")}
    assert {"forkexec_per_s", "memtouch_mib_per_s", "blk_read_mib_per_s",
            "net_frames_ok", "rng_bytes"} <= metrics, metrics
    assert c.execute("SELECT count(*) FROM metrics WHERE name = 'checks_failed' AND value != 0"
                     ).fetchone() == (0,)


def run_scenario(tmp_path, name, workload_keys):
    """kvmbench run on a one-workload scenario; the finished process."""
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
