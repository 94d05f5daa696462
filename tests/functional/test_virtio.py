"""PCI and virtio-pci devices on real KVM: virtio-blk on real files,
virtio-net on the loopback backend and on a tap in a network namespace,
virtio-rng, hostile drivers, and the exit accounting per device region
with ioeventfd on and off."""
import hashlib
import shutil
import subprocess

import pytest

from framework.harness import kb, write
from framework.paths import GUESTS, VMM
from framework.vmm import run_under_asan

M = 0x9e3779b97f4a7c15


def pattern_block(block, seed):
    words = (((((block << 32) | w) * M) & (2**64 - 1)) ^ seed for w in range(512))
    return b"".join(w.to_bytes(8, "little") for w in words)


def regions(r):
    return {x["name"]: x["count"] for x in r.stats["exits"]["by_region"]}


def device(r, i=0):
    return r.stats["devices"][i]


@pytest.fixture
def disk(direct_io_dir):
    p = direct_io_dir / "disk.img"  # some tests open it with cache=none (O_DIRECT)
    p.write_bytes(b"\xab" * (1 << 20))
    return p


@pytest.mark.parametrize("ioeventfd", ["on", "off"])
@pytest.mark.parametrize("qd", [1, 32])
def test_blkio_writes_reads_and_verifies_a_real_file(vmm, disk, qd, ioeventfd):
    r = vmm("blkio", "-drive", f"file={disk},format=raw,if=none,id=d0",
            "-device", f"virtio-blk-pci,drive=d0,ioeventfd={ioeventfd},serial=kbdisk",
            append=f"qd={qd} n=64", timeout=120)
    assert r.rc == 0, r
    data = disk.read_bytes()
    assert len(data) == 1 << 20  # never grown, not even by the write past the end
    for b in range(64):  # the guest's last pattern, block by block
        assert data[b * 4096:(b + 1) * 4096] == pattern_block(b, 2), f"block {b}"
    assert data[64 * 4096:] == b"\xab" * ((1 << 20) - 64 * 4096)
    assert "serial 'kbdisk'" in r.out
    d = device(r)
    assert d["type"] == "virtio-blk" and d["broken"] is None
    assert d["requests"] == 4 * 64 + 3  # the phases, GET_ID, FLUSH, the write past the end
    assert d["errors"] == 1 and d["bytes_written"] == 2 * 64 * 4096
    q = d["queues"][0]
    names = regions(r)
    assert names["virtio-blk0.common"] > 0 and names["virtio-blk0.msix"] > 0
    if ioeventfd == "on":  # KVM absorbs the notifies: no userspace exits for them
        assert "virtio-blk0.notify" not in names and q["notifies_exit"] == 0
        assert q["notifies_eventfd"] > 0
    else:
        assert names["virtio-blk0.notify"] == q["notifies_exit"] > 0
        assert q["notifies_eventfd"] == 0
    metrics = {m["name"]: m["value"] for m in r.stats["metrics"]}
    assert metrics["seqread_iops"] > 0 and metrics["randwrite_lat_ns"] > 0


def test_readonly_drive_rejects_writes(vmm, disk):
    before = hashlib.sha256(disk.read_bytes()).hexdigest()
    r = vmm("blkio", "-drive", f"file={disk},if=none,id=d0,readonly=on",
            "-device", "virtio-blk-pci,drive=d0", append="ro=1")
    assert r.rc == 0, r
    assert "the write was refused with IOERR" in r.out
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == before
    assert device(r)["errors"] == 1


def test_drive_if_virtio_shorthand_and_cache_none(vmm, disk):
    r = vmm("blkio", "-drive", f"file={disk},if=virtio,cache=none", append="n=8 qd=4")
    assert r.rc == 0, r
    assert device(r)["name"] == "virtio-blk0"
    assert disk.read_bytes()[:4096] == pattern_block(0, 2)


def test_netio_round_trips_frames_on_loopback(vmm):
    r = vmm("netio", "-netdev", "loopback,id=n0", "-device", "virtio-net-pci,netdev=n0",
            append="n=128")
    assert r.rc == 0, r
    d = device(r)
    assert d["type"] == "virtio-net" and d["requests"] == 128 and d["dropped"] == 0
    assert "MAC 52:54:00:12:34:56" in r.out
    metrics = {m["name"]: m["value"] for m in r.stats["metrics"]}
    assert metrics["net_rtt_ns"] > 0 and metrics["net_packets"] == 128


def test_net_mac_option(vmm):
    r = vmm("netio", "-netdev", "loopback,id=n0",
            "-device", "virtio-net-pci,netdev=n0,mac=02:00:00:aa:bb:cc", append="n=4")
    assert r.rc == 0 and "MAC 02:00:00:aa:bb:cc" in r.out, r


def tap_unavailable():
    if not shutil.which("ip"):
        return "the ip command (iproute2) is missing"
    p = subprocess.run(["ip", "netns", "add", "kbtest-probe"], capture_output=True, text=True)
    if p.returncode:
        return f"cannot create a network namespace: {p.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", "kbtest-probe"])
    return None


def test_tap_backend_in_a_network_namespace(vmm):
    why = tap_unavailable()
    if why:
        pytest.skip(f"tap test: {why}")
    ns = "kbtest-tap"
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    try:
        for cmd in (["ip", "netns", "add", ns],
                    ["ip", "-n", ns, "tuntap", "add", "dev", "kbtap0", "mode", "tap", "vnet_hdr"],
                    ["ip", "-n", ns, "addr", "add", "10.77.0.1/24", "dev", "kbtap0"],
                    ["ip", "-n", ns, "link", "set", "kbtap0", "up"]):
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode:
                pytest.skip(f"tap test: {' '.join(cmd)}: {p.stderr.strip()}")
        p = subprocess.run(["ip", "netns", "exec", ns, str(VMM), "-kernel",
                            str(GUESTS / "netio.elf"), "-netdev", "tap,id=n0,ifname=kbtap0",
                            "-device", "virtio-net-pci,netdev=n0",
                            "-append", "arp=10.77.0.1 ip=10.77.0.2", "-timeout", "30"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "ARP reply from 10.77.0.1" in p.stdout
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.mark.parametrize("ioeventfd", ["on", "off"])
def test_rng_returns_random_bytes(vmm, ioeventfd):
    r = vmm("rng", "-device", f"virtio-rng-pci,ioeventfd={ioeventfd}", append="n=16")
    assert r.rc == 0, r
    d = device(r)
    assert d["requests"] == 17 and d["bytes_written"] == 16 * 4096 + 64
    assert d["interrupts"] >= 1 and d["queues"][0]["interrupts"] == 17


@pytest.mark.parametrize("ioeventfd", ["on", "off"])
def test_rng_on_the_intx_line(vmm, ioeventfd):
    """Without MSI-X the device raises INTA# (GSI 16 + slot, level) until the
    driver reads the ISR; the guest routes it through the IOAPIC."""
    r = vmm("rng", "-device", f"virtio-rng-pci,ioeventfd={ioeventfd}", append="irq=intx n=8")
    assert r.rc == 0, r
    d = device(r)
    assert d["interrupts"] == 0 and d["intx_asserts"] >= 1, d  # no MSI-X message at all
    assert d["requests"] == 9


@pytest.mark.parametrize("ioeventfd", ["on", "off"])
def test_hostile_driver_breaks_the_device_not_the_vmm(vmm, ioeventfd):
    r = vmm("virtqevil", "-device", f"virtio-rng-pci,ioeventfd={ioeventfd}", timeout=120)
    assert r.rc == 0, r  # every attack refused, and the device worked again after a reset
    d = device(r)
    assert d["broken_count"] == 12 and d["resets_after_broken"] == 12
    assert d["broken"] is None and "not a power of two" in d["last_broken"]
    for why in ("a loop", "not in guest RAM", "exceeds 4194304 bytes", "entries past",
                "names descriptor 999", "next 500", "indirect", "readable after",
                "rings outside guest RAM"):
        assert "device broken, needs reset: queue 0: " in r.err and why in r.err, why


def test_no_pci_device_no_function(vmm):
    r = vmm("rng")
    assert r.rc == 77 and "no such virtio-pci device" in r.stats["result"]["reason"], r
    assert r.stats["devices"] == []


@pytest.mark.parametrize("args, message", [
    (["-drive", "if=none,id=d0"], "file=PATH is required"),
    (["-drive", "file=/x,id=d0,format=qcow2"], "only raw images"),
    (["-drive", "file=/x,id=d0,cache=maybe"], "cache=maybe"),
    (["-drive", "file=/x,id=d0", "-device", "virtio-blk-pci,drive=d1"], "no -drive with that id"),
    (["-drive", "file=/x,id=d0"], "no device uses it"),
    (["-drive", "file=/x,id=d0", "-drive", "file=/y,id=d0"], "id=d0 is already used"),
    (["-drive", "file=/nonexistent/disk.img,if=virtio"], "/nonexistent/disk.img: No such file"),
    (["-device", "virtio-gpu-pci"], "unknown device 'virtio-gpu-pci'"),
    (["-device", "virtio-rng-pci,speed=9"], "unknown parameter 'speed'"),
    (["-device", "virtio-rng-pci,ioeventfd=sometimes"], "expected on or off"),
    (["-netdev", "tap,id=n0"], "ifname= is required"),
    (["-netdev", "user,id=n0"], "the backends are tap and loopback"),
    (["-netdev", "loopback,id=n0", "-device", "virtio-net-pci,netdev=n0,mac=01:00:00:00:00:01"],
     "unicast"),
    (["-netdev", "loopback,id=n0", "-device", "virtio-net-pci,netdev=n0",
      "-device", "virtio-net-pci,netdev=n0"], "netdev=n0 is already in use"),
    (["-device", "virtio-net-pci"], "netdev=ID is required"),
])
def test_bad_device_options_are_one_line(vmm, args, message):
    r = vmm("hello", *args)
    assert r.rc == 1, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.err


def test_disk_not_whole_sectors(vmm, tmp_path):
    d = tmp_path / "odd.img"
    d.write_bytes(b"x" * 1000)
    r = vmm("hello", "-drive", f"file={d},if=virtio")
    assert r.rc == 1 and "not a whole number of 512-byte sectors" in r.err, r


# --- the devices and ioeventfd axes of the harness ----------------------------

def test_devices_axis_runs_and_records_exits_per_region(kvm, tmp_path):
    import sqlite3
    sc = write(tmp_path, "dev.ini", """
[scenario]
repeats = 2
warmup = 0
[matrix]
devices = virtio-blk+virtio-rng
ioeventfd = on, off
workload = blkio, rng
[workload.blkio]
args = n=8
[workload.rng]
args = n=4
""")
    db = tmp_path / "k.db"
    p = kb("run", str(sc), "--db", str(db))  # logs/ beside the database
    assert p.returncode == 0, p.stdout + p.stderr
    c = sqlite3.connect(db)
    rows = c.execute("SELECT params, status FROM runs").fetchall()
    assert len(rows) == 8 and {r[1] for r in rows} == {"pass"}
    assert sum(" ioeventfd=off" in r[0] for r in rows) == 4
    assert not any("ioeventfd=on" in r[0] for r in rows)  # the default stays out of keys
    notify = dict(c.execute(
        "SELECT instr(r.params, 'ioeventfd=off') > 0, sum(e.count) FROM exits e "
        "JOIN runs r ON r.id = e.run_id WHERE e.name = 'virtio-blk0.notify' "
        "AND r.workload = 'blkio' GROUP BY 1").fetchall())
    assert notify.get(1, 0) >= 2 * 35 and notify.get(0, 0) == 0, notify
    assert not list((tmp_path / "logs").rglob("scratch.img"))  # removed after each run
    # derived per-device metrics: exits charged to the device per request
    per = dict(c.execute(
        "SELECT instr(r.params, 'ioeventfd=off') > 0, avg(m.value) FROM metrics m "
        "JOIN runs r ON r.id = m.run_id WHERE m.name = 'virtio-blk0.exits_per_request' "
        "GROUP BY 1").fetchall())
    assert per[1] > per[0] + 0.9, per  # the notify exit of every request, ioeventfd off
    assert c.execute("SELECT count(*) FROM metrics WHERE name = 'virtio-rng0.requests' "
                     "AND value = 5").fetchone()[0] == 4  # n=4 and the interrupt check
    p = kb("compare", "on", "off", "--by", "ioeventfd", "--db", str(db))
    assert p.returncode in (0, 10) and "seqread_iops" in p.stdout, p.stdout + p.stderr


@pytest.mark.parametrize("value, message", [
    ("devices = virtio-gpu", "devices: 'virtio-gpu'"),
    ("devices = virtio-blk+virtio-blk", "joined with +"),
    ("ioeventfd = maybe", "ioeventfd: 'maybe' (want on or off)"),
])
def test_bad_device_axes_name_the_line(kvm, tmp_path, value, message):
    sc = write(tmp_path, "bad.ini", f"[scenario]\nrepeats = 1\n[matrix]\nworkload = hello\n{value}\n")
    p = kb("run", str(sc), "--db", str(tmp_path / "k.db"))
    assert p.returncode != 0 and "bad.ini:5" in p.stderr and message in p.stderr, p.stderr


@pytest.mark.parametrize("dev, args, reason", [
    ("blk", ["-drive", "file={disk},if=virtio"], "no room for the header and status"),
    ("net", ["-netdev", "loopback,id=n0", "-device", "virtio-net-pci,netdev=n0"],
     "must be device-readable and hold the 12-byte header"),
])
def test_hostile_requests_specific_to_a_device(vmm, disk, dev, args, reason):
    before = disk.read_bytes()
    r = vmm("virtqevil", *[a.format(disk=disk) for a in args], append=f"dev={dev} attack=short")
    assert r.rc == 0, r
    d = device(r)
    assert d["broken_count"] == 1 and reason in d["last_broken"], d
    assert disk.read_bytes() == before


def test_hostile_rings_on_virtio_blk_leave_the_image_alone(vmm, disk):
    before = disk.read_bytes()
    r = vmm("virtqevil", "-drive", f"file={disk},if=virtio", append="dev=blk", timeout=120)
    assert r.rc == 0, r
    assert device(r)["broken_count"] == 12 and disk.read_bytes() == before


ASAN_RUNS = [
    ("virtqevil", ["-device", "virtio-rng-pci"], ""),
    ("virtqevil", ["-device", "virtio-rng-pci,ioeventfd=off"], ""),
    ("virtqevil", ["-drive", "file={disk},if=virtio"], "dev=blk"),
    ("virtqevil", ["-drive", "file={disk},if=virtio"], "dev=blk attack=short"),
    ("virtqevil", ["-netdev", "loopback,id=n0", "-device", "virtio-net-pci,netdev=n0"],
     "dev=net attack=short"),
    ("blkio", ["-drive", "file={disk},if=virtio,cache=none"], "qd=32 n=16"),
    ("netio", ["-netdev", "loopback,id=n0", "-device", "virtio-net-pci,netdev=n0"], "n=16"),
    ("rng", ["-device", "virtio-rng-pci,ioeventfd=off"], "n=4"),
    ("rng", ["-device", "virtio-rng-pci"], "irq=intx n=4"),
]


@pytest.mark.parametrize("guest, args, append", ASAN_RUNS)
def test_devices_under_asan_and_ubsan(kvm, disk, guest, args, append):
    """The same guests on build/kvmbench-vmm-asan (make test builds it): any
    out-of-bounds access, use after free or undefined behaviour in the
    device code aborts the VMM with a report, and fails here."""
    run_under_asan(guest, [a.format(disk=disk) for a in args], append, timeout=60)
