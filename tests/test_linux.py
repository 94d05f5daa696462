"""A Debian cloud kernel (fetched through the manifest) on the VMM: early boot.

On this kvm_pvm host Linux runs slowly and cannot finish booting (KVM
internal errors at int3/clac), so the test stops it with -until once its
log shows the 16 CPUs it allows; by then it has printed its command line
and the two NUMA nodes it read from the SRAT.  Booting on to an init needs
VMX/SVM and an initramfs (images/linux/, not built yet): no test claims it.
"""
import os
import subprocess
import time

import pytest

from conftest import ROOT, VMM

KB = ROOT / "build" / "kvmbench"


@pytest.fixture(scope="module")
def kernel():
    p = subprocess.run([str(KB), "fetch", "debian-cloud-kernel"], capture_output=True, text=True,
                       timeout=600)
    if p.returncode and "apt-get download" in p.stderr:
        pytest.skip(f"the Debian cloud kernel cannot be downloaded here: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    return p.stdout.split()[1]


def test_debian_kernel_early_boot_sees_topology_and_numa(kvm, kernel, tmp_path, capsys):
    log, stats = tmp_path / "console.log", tmp_path / "stats.json"
    cmdline = "console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr kvmbench.probe=42"
    t0 = time.monotonic()
    p = subprocess.run([str(VMM), "-kernel", kernel, "-m", "1G",
                        "-smp", "16,sockets=2,cores=4,threads=2",
                        "-numa", "node,nodeid=0,cpus=0-7,mem=512M",
                        "-numa", "node,nodeid=1,cpus=8-15,mem=512M",
                        "-numa", "dist,src=0,dst=1,val=21", "-append", cmdline,
                        "-until", "smpboot: Allowing [0-9]+ CPUs", "-timeout", "175",
                        "-serial", f"file:{log}", "-stats", str(stats)],
                       capture_output=True, text=True, timeout=200)
    wall = time.monotonic() - t0
    with capsys.disabled():  # the figure belongs in make test's output
        print(f"\n[test_linux] Debian kernel to 'smpboot: Allowing 16 CPUs': {wall:.1f} s")
    text = log.read_text(errors="replace")
    assert p.returncode == 0, p.stderr + text[-3000:]
    assert f"Command line: {cmdline}" in text
    assert "smpboot: Allowing 16 CPUs, 0 hotplug CPUs" in text
    assert "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x1fffffff]" in text
    assert "ACPI: SRAT: Node 1 PXM 1 [mem 0x20000000-0x3fffffff]" in text
    assert "SRAT: PXM 1 -> APIC 0x0f -> Node 1" in text
    assert "BIOS-e820: [mem 0x0000000000100000-0x000000003fffffff] usable" in text
