"""Linux's own virtio drivers (virtio_blk, virtio_net, virtio-rng) on
kvmbench-vmm's devices, with the data checked: the initramfs's blkcheck,
netcheck and rngcheck workloads (images/linux/init, pktloop.c).

- blk: the test writes a disk of random bytes; the guest prints the sha256
  of its first MIB MiB and of its last 4 KiB (compared here), and writes MIB
  MiB of its own random bytes after them, flushed, read back from the
  device and compared in the guest; here the file must hold exactly what
  the guest says it wrote, and nothing else may have changed.
- net: behind `-netdev loopback`, pktloop sends FRAMES frames of 42 to 1514
  bytes and each must come back once, in order, byte for byte.
- rng: /dev/hwrng is virtio_rng and gives full, different, incompressible
  reads; the device's counters show it served them.

One boot per configuration runs all the workloads (a Linux boot costs
20-40 s in the TCG lab): ioeventfd on, ioeventfd off, and a cache=none
(O_DIRECT) drive, whose boot also checks that a failed check (netcheck
without a NIC) ends the run through isa-debug-exit.  Needs a VMX/SVM KVM
(the svm_kvm fixture: the lab lane of make test on a kvm_pvm host).
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from framework.host import in_lab
from framework.lab import lab_retry, linux_host_fault
from framework.paths import ROOT, VMM

MIB = 8  # read region, then write region
TAIL = 4096  # past the two regions: read back, must stay
DISK = 2 * MIB * 2**20 + TAIL
FRAMES = 500
RNG_KIB = 64


@pytest.fixture(scope="module")
def initramfs(svm_kvm, tmp_path_factory):
    """The initramfs built from this tree (init, pktloop, outb).  In the
    lab, which has no network, mkinitramfs uses the Debian files kept in
    build/images/linux-files by a build on the host (make images)."""
    out = tmp_path_factory.mktemp("initramfs") / "initramfs.cpio.gz"
    p = subprocess.run([str(ROOT / "images/linux/mkinitramfs"), str(out)],
                       capture_output=True, text=True, timeout=600)
    if p.returncode and "apt-get download failed" in p.stderr:
        pytest.fail("mkinitramfs could not download Debian's packages and has no checked "
                    "copy in build/images/linux-files: run `make images` on a machine with "
                    f"network first (the lab has none): {p.stderr[-500:]}")
    assert p.returncode == 0, p.stderr
    return out


def odirect_ok(d):
    """Whether files in directory d can be opened with O_DIRECT (tmpfs
    cannot before Linux 6.6: the lab's /tmp; the lab's 9p tree can)."""
    probe = os.path.join(d, ".odirect-probe")
    try:
        with open(probe, "wb") as f:
            f.write(b"\0" * 4096)
        os.close(os.open(probe, os.O_RDWR | os.O_DIRECT))
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(probe):
            os.unlink(probe)


class Boot:
    """One VMM run of the cloud kernel and the initramfs, and what it left."""

    def __init__(self, proc, wall, workdir, disk, before):
        self.rc, self.err, self.wall = proc.returncode, proc.stderr, wall
        self.console = (workdir / "console.log").read_text(errors="replace")
        self.stats = json.loads((workdir / "stats.json").read_text())
        self.metrics = {m["name"]: m["value"] for m in self.stats["metrics"]}
        self.marks = [m["name"] for m in self.stats["marks"]]
        self.checks = dict(re.findall(r"^KVMBENCH CHECK (\w+) (\S*)\r?$", self.console, re.M))
        self.fails = re.findall(r"^KVMBENCH CHECK FAIL (.*?)\r?$", self.console, re.M)
        self.before = before  # sha256 of each disk region as written by the test
        self.after = regions(disk) if disk else None

    def device(self, kind):
        return next(d for d in self.stats["devices"] if d["type"] == kind)

    def why(self):
        """What to show when an assertion fails: the result, the failures, the console's end."""
        lines = [l for l in self.console.splitlines()
                 if "KVMBENCH" in l or "pktloop" in l or "virtio" in l or "kvmbench" in l]
        return (f"rc {self.rc}, result {self.stats['result']}, fails {self.fails}\n"
                + "\n".join(lines[-40:]) + f"\nstderr: {self.err[-1000:]}")


def regions(path):
    data = path.read_bytes()
    return {"size": len(data),
            "read": hashlib.sha256(data[:MIB * 2**20]).hexdigest(),
            "write": hashlib.sha256(data[MIB * 2**20:2 * MIB * 2**20]).hexdigest(),
            "tail": hashlib.sha256(data[2 * MIB * 2**20:]).hexdigest()}


CONFIGS = {
    # name: (workloads, device property suffix, drive options, NIC present)
    "ioeventfd-on": ("blkcheck,netcheck,rngcheck", "", "", True),
    "ioeventfd-off": ("blkcheck,netcheck,rngcheck", ",ioeventfd=off", "", True),
    # a drive opened with O_DIRECT; netcheck without a NIC must fail the run
    "cache-none": ("blkcheck,netcheck", "", ",cache=none", False),
}


@pytest.fixture(scope="module")
def boots(svm_kvm, kernel, initramfs, tmp_path_factory):  # noqa: F811
    """boots(name) -> Boot: each configuration is booted once, when first asked for."""
    done = {}
    cleanup = []

    def boot(name):
        if name in done:
            return done[name]
        workloads, prop, drive, nic = CONFIGS[name]
        work = tmp_path_factory.mktemp(name)
        disk_dir = work
        if "cache=none" in drive and not odirect_ok(str(work)):
            # the lab's /tmp is tmpfs of Linux 6.1: no O_DIRECT; its 9p tree has it
            disk_dir = tempfile.mkdtemp(prefix="linux-virtio-", dir=ROOT / "build")
            cleanup.append(disk_dir)
            if not odirect_ok(disk_dir):
                pytest.skip(f"no O_DIRECT in {work} nor in {disk_dir}")
        disk = pathlib.Path(disk_dir) / "disk.img"
        args = [str(VMM), "-kernel", str(kernel), "-initrd", str(initramfs), "-m", "1G",
                "-smp", "2", "-timeout", "150",
                "-append", f"console=ttyS0 quiet kvmbench.workload={workloads} kvmbench.mib={MIB} "
                f"kvmbench.frames={FRAMES} kvmbench.rng_kib={RNG_KIB}",
                "-drive", f"file={disk},format=raw,if=none,id=d0{drive}",
                "-device", f"virtio-blk-pci,drive=d0{prop}",
                "-device", f"virtio-rng-pci{prop}",
                "-serial", f"file:{work / 'console.log'}", "-stats", str(work / "stats.json")]
        if nic:
            args += ["-netdev", "loopback,id=n0", "-device", f"virtio-net-pci,netdev=n0{prop}"]

        def attempt():  # a fresh disk each time: a lost try may have written it
            disk.write_bytes(os.urandom(DISK))
            before = regions(disk)
            t0 = time.monotonic()
            p = subprocess.run(args, capture_output=True, text=True, timeout=200)
            return Boot(p, time.monotonic() - t0, work, disk, before)

        def fault(b):
            r = b.stats["result"]
            return linux_host_fault(r["status"], r["reason"], b.err)

        b = lab_retry(f"linux virtio {name}", attempt, fault)
        marks = " ".join(f"{m['name']} {m['t_ns'] / 1e9:.1f} s" for m in b.stats["marks"])
        print(f"\n[linux-virtio] {name}: {b.wall:.1f} s, {b.stats['result']['status']}; "
              f"{marks}; {b.metrics}")
        done[name] = b
        return b

    yield boot
    for d in cleanup:
        shutil.rmtree(d, ignore_errors=True)


def assert_booted(b):
    """The init ran to its end: `done`, or `checks_failed` when a check failed."""
    assert b.rc != 1 and "init" in b.marks, b.why()
    assert ("done" in b.marks) != ("checks_failed" in b.marks), b.why()
    assert "kvmbench init: insmod" not in b.console, b.why()  # a module did not load


# --- virtio-blk -----------------------------------------------------------------

@pytest.mark.parametrize("config", ["ioeventfd-on", "ioeventfd-off", "cache-none"])
def test_blk_reads_and_writes_are_the_files_bytes(boots, config):
    b = boots(config)
    assert_booted(b)
    assert not [f for f in b.fails if f.startswith("blkcheck")], b.why()
    assert b.metrics.get("blk_bytes") == DISK, b.why()
    # what the guest read is what the test wrote
    assert b.checks.get("blk_read_sha256") == b.before["read"], b.why()
    assert b.checks.get("blk_tail_sha256") == b.before["tail"], b.why()
    # what it wrote reached the file, in its place; nothing else changed
    wrote = b.checks.get("blk_write_sha256")
    assert wrote and wrote != b.before["write"], b.why()
    assert b.after["write"] == wrote, ("the file's write region is not what the guest wrote"
                                       + (" (unchanged)" if b.after["write"] == b.before["write"]
                                          else ""), b.why())
    assert b.after["read"] == b.before["read"] and b.after["tail"] == b.before["tail"]
    assert b.after["size"] == DISK  # never grown
    assert b.metrics.get("blk_checked_mib") == 2 * MIB
    d = b.device("virtio-blk")
    assert d["broken"] is None and d["errors"] == 0, d
    assert d["bytes_read"] >= MIB * 2**20 + TAIL and d["bytes_written"] >= MIB * 2**20, d
    q = d["queues"][0]
    if config == "ioeventfd-off":  # every notify an MMIO exit to the VMM
        assert d["ioeventfd"] is False and q["notifies_eventfd"] == 0 and q["notifies_exit"] > 0
    else:  # KVM turns them into eventfd signals
        assert d["ioeventfd"] is True and q["notifies_exit"] == 0 and q["notifies_eventfd"] > 0


# --- virtio-net -----------------------------------------------------------------

@pytest.mark.parametrize("config", ["ioeventfd-on", "ioeventfd-off"])
def test_net_loopback_returns_every_frame_intact(boots, config):
    b = boots(config)
    assert_booted(b)
    assert not [f for f in b.fails if f.startswith("net")], b.why()
    assert b.metrics.get("net_frames_ok") == FRAMES, b.why()
    assert b.metrics.get("net_frames_per_s", 0) > 0
    d = b.device("virtio-net")
    assert d["broken"] is None and d["dropped"] == 0 and d["errors"] == 0, d
    assert d["requests"] >= FRAMES and d["bytes_written"] >= b.metrics["net_bytes_ok"], d
    rx, tx = d["queues"]
    assert rx["chains"] >= FRAMES and tx["chains"] >= FRAMES, d


# --- virtio-rng -----------------------------------------------------------------

# kvmbench-vmm once gave virtio-rng (no device configuration) a
# VIRTIO_PCI_CAP_DEVICE_CFG capability of length 0, which Linux 6.1's
# virtio_pci refuses ("bad capability len 0 (>0 expected)", -EINVAL): Linux's
# own driver on our device is what catches that.
RNG_BUG = "virtio_pci: bad capability len"


@pytest.mark.parametrize("config", ["ioeventfd-on", "ioeventfd-off"])
def test_rng_is_virtio_rng_and_random(boots, config):
    b = boots(config)
    assert_booted(b)
    assert RNG_BUG not in b.console, b.why()
    assert b.checks.get("rng_current", "").startswith("virtio_rng"), b.why()
    assert not [f for f in b.fails if f.startswith("rngcheck")], b.why()
    assert b.metrics.get("rng_bytes") == 2 * RNG_KIB * 1024, b.why()
    assert b.metrics["rng_gzip_pct"] >= 99 and b.metrics["rng_distinct_bytes"] >= 240
    d = b.device("virtio-rng")
    assert d["broken"] is None and d["errors"] == 0, d
    assert d["requests"] > 0 and d["bytes_written"] >= 2 * RNG_KIB * 1024, d


# --- the verdict ------------------------------------------------------------------

@pytest.mark.parametrize("config", ["ioeventfd-on", "ioeventfd-off"])
def test_all_checks_passed_and_the_init_reset_the_machine(boots, config):
    b = boots(config)
    assert_booted(b)
    assert b.metrics.get("checks_failed") == 0 and "done" in b.marks, b.why()
    assert b.rc == 0 and b.stats["result"]["status"] == "reset", b.why()


def test_a_failed_check_fails_the_run(boots):
    b = boots("cache-none")  # netcheck with no NIC
    assert_booted(b)
    assert b.fails == ["netcheck: no eth0"], b.why()
    assert b.metrics.get("checks_failed") == 1 and "checks_failed" in b.marks, b.why()
    assert "done" not in b.marks  # done: every check passed
    # isa-debug-exit value 2
    assert b.rc == 5 and b.stats["result"]["status"] == "debug-exit", b.why()


# --- pktloop's own checks, on a tap that plays the loopback (no KVM) -------------

ECHO = r"""
import fcntl, os, select, struct, subprocess, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"kbloop0", 0x0002 | 0x1000))  # TAP, NO_PI
subprocess.run(["ip", "link", "set", "kbloop0", "up"], check=True)
mode, n, held = sys.argv[2], 0, None
p = subprocess.Popen([sys.argv[1], "kbloop0", "200", "16", "1000"])
while p.poll() is None:
    if not select.select([fd], [], [], 0.05)[0]:
        continue
    f = os.read(fd, 2000)
    if f[12:14] != b"\x88\xb5":
        continue
    n += 1
    if mode == "drop" and n == 100:
        continue
    if mode == "corrupt" and n == 50:
        f = f[:30] + bytes([f[30] ^ 1]) + f[31:]
    if mode == "dup" and n == 70:
        os.write(fd, f)
    if mode == "swap" and n == 40:
        held = f
        continue
    os.write(fd, f)
    if mode == "swap" and n == 41:
        os.write(fd, held)
sys.exit(p.returncode)
"""


def tap_namespace_unavailable():
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip is missing"
    p = subprocess.run(["unshare", "-n", "sh", "-c", "test -c /dev/net/tun"],
                       capture_output=True, text=True)
    return None if p.returncode == 0 else f"no network namespace with /dev/net/tun: {p.stderr}"


@pytest.fixture(scope="module")
def pktloop(tmp_path_factory):
    if in_lab():  # no KVM needed: make test runs these on the host
        pytest.skip("pktloop's own checks run on the host (slow under TCG, no KVM needed)")
    why = tap_namespace_unavailable()
    if why:
        pytest.skip(why)
    out = tmp_path_factory.mktemp("pktloop") / "pktloop"
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", str(out),
                    str(ROOT / "images/linux/pktloop.c")], check=True)
    return out


@pytest.mark.parametrize("mode, rc, message", [
    ("echo", 0, None),
    ("drop", 1, "1 lost"),
    ("corrupt", 1, "1 corrupt"),
    ("dup", 1, "1 duplicated"),
    ("swap", 1, "1 late"),
])
def test_pktloop_checks_every_frame(pktloop, mode, rc, message):
    p = subprocess.run(["unshare", "-n", "python3", "-c", ECHO, str(pktloop), mode],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == rc, p.stdout + p.stderr
    ok = re.search(r"KVMBENCH METRIC net_frames_ok (\d+) frames", p.stdout)
    assert ok, p.stdout
    if rc == 0:
        assert int(ok.group(1)) == 200 and "FAIL" not in p.stdout
    else:
        assert re.search(rf"KVMBENCH CHECK FAIL net: .*\b{message}\b", p.stdout), p.stdout
