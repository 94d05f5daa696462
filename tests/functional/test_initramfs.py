"""images/linux: the initramfs recipe (Debian busybox-static + the kernel's
virtio modules, checked against SHA256SUMS, and pktloop and outb built
here) and its /init.  Booting it needs a VMX/SVM host (kvm_pvm stops Linux
before init), so here the archive's contents and the script are checked;
tests/functional/test_linux_virtio.py boots it."""
import re
import subprocess

import pytest

from framework.paths import ROOT


def test_initramfs_builds_with_init_busybox_and_modules(tmp_path):
    out = tmp_path / "out" / "initramfs.cpio.gz"
    # a relative output path is relative to the caller's directory (the
    # script works in a temporary directory of its own)
    p = subprocess.run([str(ROOT / "images/linux/mkinitramfs"), "out/initramfs.cpio.gz"],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path)
    if p.returncode and "apt-get download failed" in p.stderr:
        pytest.skip(f"Debian packages cannot be downloaded here: {p.stderr.strip()[:300]}")
    assert p.returncode == 0, p.stderr
    listing = subprocess.run(f"gzip -dc {out} | cpio -itv --quiet", shell=True,
                             capture_output=True, text=True, check=True).stdout.splitlines()
    names = {l.split()[-1]: l.split()[0] for l in listing}
    assert names["init"].startswith("-rwx") and names["bin/busybox"].startswith("-rwx")
    assert names["bin/pktloop"].startswith("-rwx") and names["bin/outb"].startswith("-rwx")
    # /init is a #!/bin/sh script: without bin/sh Linux panics "Failed to execute /init"
    assert any(l.startswith("l") and l.endswith("bin/sh -> busybox") for l in listing), listing
    mods = sorted(n for n in names if n.startswith("lib/modules/"))
    assert len(mods) == 10 and "lib/modules/virtio_blk.ko" in mods
    for d in ("proc", "sys", "dev", "tmp"):
        assert names[d].startswith("d")
    # reproducible: the same tree gives the same bytes
    again = tmp_path / "again.cpio.gz"
    subprocess.run([str(ROOT / "images/linux/mkinitramfs"), str(again)], check=True,
                   capture_output=True, timeout=600)
    assert again.read_bytes() == out.read_bytes()
    # the init loads each module after those it depends on (modinfo's depends=)
    x = tmp_path / "x"
    x.mkdir()
    subprocess.run(f"gzip -dc {out} | cpio -id --quiet 'lib/modules/*'", shell=True, cwd=x,
                   check=True)
    order = re.search(r"^for m in (.*?); do$", (ROOT / "images/linux/init").read_text(),
                      re.M | re.S).group(1).replace("\\\n", " ").split()
    assert sorted(order) == sorted(m[len("lib/modules/"):-3] for m in mods)
    for i, m in enumerate(order):
        deps = re.search(rb"\bdepends=([^\0]*)", (x / f"lib/modules/{m}.ko").read_bytes())
        for d in filter(None, deps.group(1).decode().split(",")):
            assert d in order[:i], f"{m} depends on {d}, which the init loads later"


def test_init_script_is_valid_and_reports_to_the_vmm():
    init = ROOT / "images/linux/init"
    assert subprocess.run(["sh", "-n", str(init)]).returncode == 0
    text = init.read_text()
    for line in ('echo "KVMBENCH MARK init"', "KVMBENCH METRIC forkexec_per_s",
                 "KVMBENCH METRIC memtouch_mib_per_s", "KVMBENCH METRIC blk_read_mib_per_s",
                 "KVMBENCH CHECK blk_read_sha256", "KVMBENCH CHECK blk_write_sha256",
                 "pktloop eth0", "KVMBENCH METRIC rng_bytes", "KVMBENCH METRIC checks_failed",
                 "outb 0xf4 2", "outb 0x64 0xfe"):
        assert line in text
