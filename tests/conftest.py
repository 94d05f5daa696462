"""Shared helpers for the integration tests: run kvmbench-vmm, read its stats."""
import json
import os
import subprocess
import time
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
