"""A Debian cloud kernel (fetched through the manifest) on the VMM: early boot.

On this kvm_pvm host Linux runs slowly and cannot finish booting (KVM
internal errors at int3/clac), so the test stops it with -until once its
log shows the 16 CPUs it allows; by then it has printed its command line
and the two NUMA nodes it read from the SRAT.  The same kernel as an ELF
vmlinux boots through PVH and through the 64-bit entry to its first lines.
Booting on to init needs VMX/SVM: test_linux_full_boot.py.
"""
import json
import os
import pathlib
import re
import struct
import subprocess
import time

import pytest

from framework.linux import extract_vmlinux
from framework.paths import VMM


def test_debian_kernel_early_boot_sees_topology_and_numa(kvm, kernel, tmp_path, capsys):
    """The bzImage unpacks itself in the guest: on kvm_pvm about 100 s of
    guest CPU with few exits, so a busy host stretches it (160 s seen with
    both cores loaded).  The timeout only tells a hang; the time is printed."""
    log, stats = tmp_path / "console.log", tmp_path / "stats.json"
    cmdline = "console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr kvmbench.probe=42"
    t0 = time.monotonic()
    p = subprocess.run([str(VMM), "-kernel", kernel, "-m", "1G",
                        "-smp", "16,sockets=2,cores=4,threads=2",
                        "-numa", "node,nodeid=0,cpus=0-7,mem=512M",
                        "-numa", "node,nodeid=1,cpus=8-15,mem=512M",
                        "-numa", "dist,src=0,dst=1,val=21", "-append", cmdline,
                        "-machine", "acpi-pm=on",
                        "-until", "smpboot: Allowing [0-9]+ CPUs", "-timeout", "600",
                        "-serial", f"file:{log}", "-stats", str(stats)],
                       capture_output=True, text=True, timeout=650)
    wall = time.monotonic() - t0
    with capsys.disabled():  # the figure belongs in make test's output
        print(f"\n[test_linux] Debian kernel to 'smpboot: Allowing 16 CPUs': {wall:.1f} s")
    text = log.read_text(errors="replace")
    assert p.returncode == 0, p.stderr + text[-3000:]
    assert json.loads(stats.read_text())["config"]["boot_protocol"] == "linux64"
    assert f"Command line: {cmdline}" in text
    assert "smpboot: Allowing 16 CPUs, 0 hotplug CPUs" in text
    assert "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x1fffffff]" in text
    assert "ACPI: SRAT: Node 1 PXM 1 [mem 0x20000000-0x3fffffff]" in text
    assert "SRAT: PXM 1 -> APIC 0x0f -> Node 1" in text
    assert "BIOS-e820: [mem 0x0000000000100000-0x000000003fffffff] usable" in text
    # -machine acpi-pm=on: the FADT's PM timer and the FACS reach the kernel
    assert "ACPI: PM-Timer IO Port: 0x608" in text
    assert re.search(r"ACPI: FACS 0x00000000000E[0-9A-F]{4} 000040", text), text[:6000]


# --- the same kernel as an ELF vmlinux (the bzImage's payload) ------------------

PVH_NOTE = struct.pack("<III", 4, 8, 18) + b"Xen\0"  # XEN_ELFNOTE_PHYS32_ENTRY


@pytest.fixture(scope="module")
def vmlinux(kernel, tmp_path_factory):
    return extract_vmlinux(pathlib.Path(kernel), tmp_path_factory.mktemp("vmlinux") / "vmlinux")


def boot_until(kernel, tmp_path, until, extra=()):
    log, stats = tmp_path / "console.log", tmp_path / "stats.json"
    t0 = time.monotonic()
    p = subprocess.run([str(VMM), "-kernel", str(kernel), "-m", "1G", "-smp", "2",
                        "-append", "console=ttyS0 earlyprintk=serial,ttyS0 nokaslr kb.x=1",
                        "-until", until, "-timeout", "120", "-serial", f"file:{log}",
                        "-stats", str(stats), *extra],
                       capture_output=True, text=True, timeout=150)
    text = log.read_text(errors="replace")
    assert p.returncode == 0, p.stderr + text[-3000:]
    return text, json.loads(stats.read_text()), time.monotonic() - t0


def test_vmlinux_boots_through_pvh_with_its_initrd(kvm, vmlinux, tmp_path, capsys):
    """The vmlinux has Xen's PHYS32_ENTRY note: PVH entry, hvm_start_info
    carrying the command line and the initrd as module 0."""
    assert PVH_NOTE in vmlinux.read_bytes()
    rd = tmp_path / "initrd"  # Linux stops long before unpacking it here
    rd.write_bytes(os.urandom(300000))
    text, stats, wall = boot_until(vmlinux, tmp_path, r"RAMDISK: \[mem", ["-initrd", str(rd)])
    with capsys.disabled():
        print(f"\n[test_linux] vmlinux via PVH to 'RAMDISK': {wall:.1f} s")
    assert stats["config"]["boot_protocol"] == "pvh"
    assert "Command line: console=ttyS0 earlyprintk=serial,ttyS0 nokaslr kb.x=1" in text
    at = ((1 << 30) - rd.stat().st_size) & ~4095  # below the top of RAM, page aligned
    assert f"RAMDISK: [mem {at:#010x}-0x3fffffff]" in text


def test_vmlinux_without_pvh_note_boots_the_64bit_protocol(kvm, vmlinux, tmp_path, capsys):
    """The same image with the note's type changed: entered at its physical
    entry in 64-bit mode with boot_params written from scratch."""
    data = bytearray(vmlinux.read_bytes())
    i = data.find(PVH_NOTE)
    data[i + 8:i + 12] = struct.pack("<I", 0x7f)
    plain = tmp_path / "vmlinux-nopvh"
    plain.write_bytes(data)
    text, stats, wall = boot_until(plain, tmp_path, "Command line:")
    with capsys.disabled():
        print(f"\n[test_linux] vmlinux via the 64-bit entry to 'Command line': {wall:.1f} s")
    assert stats["config"]["boot_protocol"] == "linux64"
    assert "Command line: console=ttyS0 earlyprintk=serial,ttyS0 nokaslr kb.x=1" in text

