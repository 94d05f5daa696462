"""Shared helpers for the integration tests: run kvmbench-vmm, read its stats."""
import json
import os
import subprocess
import time
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
VMM = BUILD / "kvmbench-vmm"
GUESTS = BUILD / "guests"


def kvm_unusable_reason():
    """Why KVM cannot be used here, or None when it can."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm does not exist on this host"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "no read/write permission on /dev/kvm"
    return None


def host_is_pvm():
    return os.path.isdir("/sys/module/kvm_pvm")


class Run:
    """One finished VMM run: exit status, console, stderr, stats, wall time."""

    def __init__(self, proc, stats_path, wall):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.wall = wall
        self.stats = None
        if stats_path.exists():
            self.stats = json.loads(stats_path.read_text())

    def metrics(self):
        return {m["name"]: m["value"] for m in self.stats["metrics"]}

    def region(self, name, space="pio"):
        return sum(r["count"] for r in self.stats["exits"]["by_region"]
                   if r["name"] == name and r["space"] == space)

    def __repr__(self):
        return f"Run(rc={self.rc}, err={self.err[-2000:]!r})"


@pytest.fixture(scope="session")
def kvm():
    reason = kvm_unusable_reason()
    if reason:
        pytest.skip(f"needs KVM: {reason}")
    if not VMM.exists():
        pytest.fail(f"{VMM} is missing: run make first")


@pytest.fixture
def vmm(kvm, tmp_path):
    """vmm(guest, *args, append=..., timeout=...) -> Run."""
    counter = [0]

    def run(guest, *args, append=None, timeout=60, stats=True):
        counter[0] += 1
        stats_path = tmp_path / f"stats{counter[0]}.json"
        cmd = [str(VMM)]
        if guest is not None:
            cmd += ["-kernel", str(GUESTS / f"{guest}.elf") if "/" not in guest else guest]
        if append is not None:
            cmd += ["-append", append]
        if stats:
            cmd += ["-stats", str(stats_path)]
        cmd += [str(a) for a in args]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              errors="replace")
        return Run(proc, stats_path, time.monotonic() - t0)

    return run


# --- where a test runs -------------------------------------------------------
# make test (tests/run-all) runs pytest natively when /dev/kvm is usable,
# and boots the kvmbench lab (QEMU TCG emulating SVM, kvm_amd inside) for
# what the host's KVM cannot do, selecting with these markers:
#   kvm        the test needs a KVM (it uses the kvm fixture): in the lab
#              when this host has none
#   lab_lane   it needs a VMX/SVM KVM (Linux to init; the svm_kvm fixture):
#              on a kvm_pvm host it runs in the lab lane of every make test
#   starts_lab it boots labs itself (the lab fixture): never inside a lab

def in_lab():
    try:
        return "kblab.npt=" in Path("/proc/cmdline").read_text()
    except OSError:
        return False


# What the lab's emulated SVM does to about one Linux boot in 15 (docs/hosts.md):
# it loses a vCPU's state (the lab kernel's own CR3 and RIP land in the guest's),
# and the guest then hangs or triple-faults.  Native KVM never retries.
LAB_TRIES = 3


def lab_retry(what, attempt, host_fault):
    """attempt() -> outcome, tried again (at most LAB_TRIES times in all) while
    in the lab and host_fault(outcome) says why it looks like the lab's fault,
    not the guest's; every retry is printed with that reason.  Returns the
    last outcome, for the test to assert on as usual."""
    for n in range(1, LAB_TRIES + 1):
        outcome = attempt()
        why = host_fault(outcome) if in_lab() else None
        if not why or n == LAB_TRIES:
            return outcome
        msg = (f"[lab retry] {what}: try {n} of {LAB_TRIES} ended in what looks like "
               f"the lab's fault ({why[:300]}); trying again")
        print("\n" + msg)
        warnings.warn(msg)  # in pytest's warnings summary, passed or not


def linux_host_fault(status, reason, stderr, expect_crash=False):
    """Why a Linux boot's end looks like the lab losing a vCPU, or None: a
    vCPU state no guest can be in (the VMM says so), a timeout, or a triple
    fault the test did not ask for."""
    if "the host's KVM lost this vCPU's state" in stderr:
        return "the VMM found a vCPU state no guest can be in"
    if status == "timeout":
        return reason
    if "triple fault" in reason and not reason.startswith("guest kernel panic") \
            and "after its kernel" not in reason and not expect_crash:
        return reason
    if expect_crash and status == "crash" and not reason.startswith("guest kernel panic"):
        return reason
    return None


PVM_LINUX_REASON = ("needs a VMX/SVM KVM: this host's kvm_pvm stops Linux with KVM internal "
                    "errors (int3, clac) before init; make test runs this in its lab lane")


@pytest.fixture(scope="session")
def svm_kvm(kvm):
    """A KVM that boots Linux to user space (VMX or SVM, the lab included)."""
    if host_is_pvm():
        pytest.skip(PVM_LINUX_REASON)


@pytest.fixture(scope="session")
def lab():
    """Tests that boot labs themselves (kvmbench lab, run --host lab)."""
    if in_lab():
        pytest.skip("boots labs itself, and a lab cannot run inside the lab")
    out = subprocess.run([str(BUILD / "kvmbench"), "host"], capture_output=True, text=True)
    if "lab           available" not in out.stdout:
        pytest.fail(f"the lab cannot run here: {out.stdout}{out.stderr}")


def pytest_configure(config):
    for name, what in (("kvm", "needs a KVM (native, or the lab)"),
                       ("lab_lane", "needs a VMX/SVM KVM: Linux to init"),
                       ("starts_lab", "boots labs itself")):
        config.addinivalue_line("markers", f"{name}: {what}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "kvm" in names:
            item.add_marker(pytest.mark.kvm)
        if "svm_kvm" in names:
            item.add_marker(pytest.mark.lab_lane)
        if "lab" in names:
            item.add_marker(pytest.mark.starts_lab)


@pytest.fixture
def direct_io_dir(tmp_path):
    """A directory whose file system takes O_DIRECT (-drive cache=none):
    tmp_path, or where that refuses it (tmpfs before Linux 6.6: the lab's
    /tmp) a scratch directory in the project tree, removed afterwards."""
    probe = tmp_path / ".odirect"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600))
        direct = True
    except OSError:
        direct = False
    probe.unlink(missing_ok=True)
    if direct:
        yield tmp_path
        return
    import shutil
    import tempfile
    (BUILD / "tmp").mkdir(parents=True, exist_ok=True)
    d = Path(tempfile.mkdtemp(prefix="odirect-", dir=BUILD / "tmp"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
