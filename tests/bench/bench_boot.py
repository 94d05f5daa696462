#!/usr/bin/env python3
"""make bench-boot: Linux to init, kvmbench-vmm against QEMU, on one KVM.

The same Debian cloud kernel (images/manifest.ini) and kvmbench initramfs
(make images) boot to the init's first console mark (`KVMBENCH MARK
init`) under three VMMs, all with -accel kvm, 1 GiB, the same vCPU count
and the same kernel command line:
  kvmbench-vmm                direct boot, no firmware
  qemu-system-x86_64 -M microvm   QEMU's minimal machine (no PCI, no firmware
                              ROMs beyond its qboot)
  qemu-system-x86_64 -M pc    the classic PC with SeaBIOS
Each round starts the three in turn (interleaved, so drift hits all alike);
the time is from spawn to the mark on the console, read through a pipe on
this host's clock.  ROUNDS rounds (default 7); medians, min and max, and
the ratio to kvmbench-vmm are printed.  Goal: kvmbench-vmm faster than
microvm.  Nothing is asserted: it prints figures.

Linux needs a VMX/SVM KVM.  Where this host's is not one (kvm_pvm, or no
/dev/kvm), the benchmark runs itself inside the kvmbench lab (QEMU TCG
emulating SVM): its figures are then emulated, comparable between the
three VMMs of one run and not with hardware.
"""
import os
import select
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMM = os.path.join(ROOT, "build", "kvmbench-vmm")
KB = os.path.join(ROOT, "build", "kvmbench")
INITRD = os.path.join(ROOT, "build", "images", "initramfs.cpio.gz")
ROUNDS = int(os.environ.get("ROUNDS", "7"))
SMP = os.environ.get("SMP", "1")
APPEND = "console=ttyS0 quiet kvmbench.workload=boot"
MARK = b"KVMBENCH MARK init"


def host_kind():
    out = subprocess.run([KB, "host"], capture_output=True, text=True).stdout
    fields = dict(l.split(None, 1) for l in out.splitlines() if " " in l)
    return fields.get("kind", "?").split()[0], fields.get("kvm", "")


def kernel():
    p = subprocess.run([KB, "fetch", "debian-cloud-kernel"], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"bench-boot: cannot fetch the kernel: {p.stderr.strip()}")
    return p.stdout.split()[-1]


def commands(kern):
    qemu = ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "1G", "-smp", SMP,
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
            "-kernel", kern, "-initrd", INITRD, "-append", APPEND]
    return {
        "kvmbench-vmm": [VMM, "-m", "1G", "-smp", SMP, "-kernel", kern, "-initrd", INITRD,
                         "-append", APPEND, "-serial", "stdio", "-timeout", "120"],
        "qemu microvm": qemu[:1] + ["-M", "microvm"] + qemu[1:],
        "qemu pc": qemu[:1] + ["-M", "pc"] + qemu[1:],
    }


def to_init(cmd, limit=180.0):
    """Seconds from spawn to the init mark on the console."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    seen = b""
    try:
        while time.monotonic() - t0 < limit:
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            seen = (seen + chunk)[-8192:]
            if MARK in seen:
                return time.monotonic() - t0
        sys.exit(f"bench-boot: {cmd[0]} did not reach the init in {limit:.0f} s; "
                 f"console ends: {seen[-600:].decode(errors='replace')}")
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def main():
    kind, kvm = host_kind()
    if kind not in ("vmx", "svm", "lab"):
        if "--inside" in sys.argv:
            sys.exit(f"bench-boot: no VMX/SVM KVM here either ({kind})")
        why = kvm if kvm != "usable" else f"this host's KVM is {kind}, which stops Linux before init"
        print(f"bench-boot: {why}: running in the kvmbench lab (timings emulated)", flush=True)
        kernel()  # fetched here: the lab has no network
        os.execv(KB, [KB, "lab", "--timeout", "3600", "--", sys.executable,
                      os.path.abspath(__file__), "--inside"])
    if not os.path.exists(INITRD):
        sys.exit(f"bench-boot: {INITRD} is missing: run make images")
    cmds = commands(kernel())
    times = {name: [] for name in cmds}
    for r in range(ROUNDS):
        for name, cmd in cmds.items():
            times[name].append(to_init(cmd))
        print(f"round {r + 1}/{ROUNDS}: " + ", ".join(
            f"{n} {t[-1]:.3f} s" for n, t in times.items()), flush=True)
    base = statistics.median(times["kvmbench-vmm"])
    print(f"\nLinux to init ({SMP} vCPU, 1 GiB, {ROUNDS} interleaved rounds, host kind {kind}"
          f"{', timings emulated' if kind == 'lab' else ''}):")
    print(f"{'VMM':<14} {'median s':>9} {'min':>8} {'max':>8} {'/ kvmbench-vmm':>15}")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"{name:<14} {med:9.3f} {min(t):8.3f} {max(t):8.3f} {med / base:15.2f}")
    micro = statistics.median(times["qemu microvm"])
    print(f"goal: kvmbench-vmm faster than microvm to init: "
          f"{'met' if base < micro else 'missed'} ({micro / base:.2f}x)")


if __name__ == "__main__":
    main()
