#!/usr/bin/env python3
"""make bench-boot: Linux to init, kvmbench-vmm against QEMU, on one KVM.

The same Debian cloud kernel (images/manifest.ini) and kvmbench initramfs
(make images) boot to the init's first console mark (`KVMBENCH MARK
init`), then do guest work (the init's memtouch and forkexec workloads) to
its `KVMBENCH MARK done`, under three VMMs, all with -accel kvm, 1 GiB, the
same vCPU count and the same kernel command line:
  kvmbench-vmm                direct boot, no firmware
  qemu-system-x86_64 -M microvm   QEMU's minimal machine (no PCI, no firmware
                              ROMs beyond its qboot)
  qemu-system-x86_64 -M pc    the classic PC with SeaBIOS
Each round starts the three in turn (interleaved, so drift hits all alike);
the times are from spawn to the init mark (boot) and from it to the done
mark (guest work: CPU and memory bound), read on the console through a pipe
on this host's clock.  ROUNDS rounds (default 7); medians, min and max, and
the ratio to kvmbench-vmm are printed.  Goals: kvmbench-vmm faster than
microvm to init, and no slower than QEMU at guest work.  Nothing is
asserted: it prints figures.

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
APPEND = ("console=ttyS0 quiet kvmbench.workload=boot,memtouch,forkexec kvmbench.mib=128 "
          "kvmbench.n=300")
MARK = b"KVMBENCH MARK init"
DONE = b"KVMBENCH MARK done"


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


def to_marks(cmd, limit=300.0):
    """Seconds from spawn to the init mark, and from it to the done mark."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    seen, t_init = b"", None
    try:
        while time.monotonic() - t0 < limit:
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            seen = (seen + chunk)[-8192:]
            if t_init is None and MARK in seen:
                t_init = time.monotonic() - t0
            if t_init is not None and DONE in seen:
                return t_init, time.monotonic() - t0 - t_init
        sys.exit(f"bench-boot: {cmd[0]} did not reach the init's done mark in {limit:.0f} s; "
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
    boot = {name: [] for name in cmds}
    work = {name: [] for name in cmds}
    for r in range(ROUNDS):
        for name, cmd in cmds.items():
            b, w = to_marks(cmd)
            boot[name].append(b)
            work[name].append(w)
        print(f"round {r + 1}/{ROUNDS}: " + ", ".join(
            f"{n} {boot[n][-1]:.2f} + {work[n][-1]:.2f} s" for n in cmds), flush=True)
    med = {k: {n: statistics.median(t) for n, t in v.items()} for k, v in
           (("boot", boot), ("work", work))}
    for what, times in (("to init", boot), ("guest work, init to done", work)):
        m = med["boot" if times is boot else "work"]
        print(f"\nLinux {what} ({SMP} vCPU, 1 GiB, {ROUNDS} interleaved rounds, host kind "
              f"{kind}{', timings emulated' if kind == 'lab' else ''}):")
        print(f"{'VMM':<14} {'median s':>9} {'min':>8} {'max':>8} {'/ kvmbench-vmm':>15}")
        for name, t in times.items():
            print(f"{name:<14} {m[name]:9.3f} {min(t):8.3f} {max(t):8.3f} "
                  f"{m[name] / m['kvmbench-vmm']:15.2f}")
    b, w = med["boot"], med["work"]
    print(f"goal: kvmbench-vmm faster than microvm to init: "
          f"{'met' if b['kvmbench-vmm'] < b['qemu microvm'] else 'missed'} "
          f"({b['qemu microvm'] / b['kvmbench-vmm']:.2f}x)")
    fastest_qemu = min(w["qemu microvm"], w["qemu pc"])
    print(f"goal: guest work no slower than QEMU: "
          f"{'met' if w['kvmbench-vmm'] <= fastest_qemu * 1.05 else 'missed'} "
          f"(kvmbench-vmm {w['kvmbench-vmm']:.2f} s, best QEMU {fastest_qemu:.2f} s)")


if __name__ == "__main__":
    main()
