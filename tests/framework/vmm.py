"""The VMM runner: kvmbench-vmm (or another build of it) with arguments and
a timeout; what it left: exit status, console (stdout), stderr, stats JSON."""
import json
import subprocess
import time

from framework.paths import GUESTS, VMM


class Run:
    """One finished VMM run: exit status, console, stderr, stats, wall time."""

    def __init__(self, proc, stats_path, wall):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.wall = wall
        self.stats = None
        if stats_path is not None and stats_path.exists():
            self.stats = json.loads(stats_path.read_text())

    def metrics(self):
        """The stats' metrics as {name: value}."""
        return {m["name"]: m["value"] for m in self.stats["metrics"]}

    def region(self, name, space="pio"):
        """Exits to the device range NAME in SPACE (pio or mmio)."""
        return sum(r["count"] for r in self.stats["exits"]["by_region"]
                   if r["name"] == name and r["space"] == space)

    def __repr__(self):
        return f"Run(rc={self.rc}, err={self.err[-2000:]!r})"


def guest_path(guest):
    """A micro-guest's ELF by name (hello), or GUEST itself when it is a path."""
    return str(GUESTS / f"{guest}.elf") if "/" not in str(guest) else str(guest)


class VmmRunner:
    """runner(guest, *args, append=..., timeout=..., stats=True) -> Run.

    Each call writes its stats JSON to a new file in workdir; guest is a
    micro-guest's name, a path, or None (no -kernel)."""

    def __init__(self, workdir, vmm=VMM):
        self.workdir = workdir
        self.vmm = vmm
        self.count = 0

    def __call__(self, guest, *args, append=None, timeout=60, stats=True):
        self.count += 1
        stats_path = self.workdir / f"stats{self.count}.json"
        cmd = [str(self.vmm)]
        if guest is not None:
            cmd += ["-kernel", guest_path(guest)]
        if append is not None:
            cmd += ["-append", append]
        if stats:
            cmd += ["-stats", str(stats_path)]
        cmd += [str(a) for a in args]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              errors="replace")
        return Run(proc, stats_path if stats else None, time.monotonic() - t0)


def run_under_asan(guest, args, append=None, timeout=60):
    """Run a micro-guest on the ASan/UBSan build of the VMM (LeakSanitizer
    on) and assert that it ended well with no sanitizer report: an
    out-of-bounds access, a use after free, undefined behaviour or a leak in
    the VMM fails the caller."""
    from framework.paths import BUILD

    vmm = BUILD / "kvmbench-vmm-asan"
    assert vmm.exists(), "build it with make build/kvmbench-vmm-asan (make test does)"
    cmd = [str(vmm), "-kernel", guest_path(guest), "-serial", "none", "-timeout", str(timeout),
           *args]
    if append:
        cmd += ["-append", append]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 80,
                       env={"ASAN_OPTIONS": "detect_leaks=1", "PATH": "/usr/bin:/bin"})
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    assert "LeakSanitizer" not in p.stderr, p.stderr
    assert p.returncode == 0, p.stderr
    return p
