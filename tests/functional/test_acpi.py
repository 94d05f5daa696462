"""ACPI tables and -numa: generated from the configuration, decompiled by iasl."""
import re
import shutil
import subprocess

import pytest

from framework.host import in_lab


def decompile(d):
    iasl = shutil.which("iasl")
    if not iasl:
        pytest.fail("iasl is missing: ci/install-deps installs acpica-tools")
    out = {}
    for dat in sorted(d.glob("*.dat")):
        p = subprocess.run([iasl, "-d", str(dat)], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
        text = p.stdout + p.stderr
        assert not re.search(r"(?i)error|incorrect checksum|invalid", text), text
        out[dat.stem] = dat.with_suffix(".dsl").read_text()
    return out


def fields(dsl, name):
    return [l.split(":", 1)[1].strip() for l in dsl.splitlines()
            if l.split(":", 1)[0].strip().endswith(name)]


def test_tables_for_16_vcpus_on_two_numa_nodes(vmm, tmp_path):
    d = tmp_path / "acpi"
    r = vmm("hello", "-smp", "16,sockets=2,cores=4,threads=2", "-m", "1G",
            "-numa", "node,nodeid=0,cpus=0-7,mem=512M", "-numa",
            "node,nodeid=1,cpus=8-15,mem=512M", "-numa", "dist,src=0,dst=1,val=21",
            "-dump-acpi", str(d))
    assert r.rc == 0, r
    assert r.stats["config"]["numa_nodes"] == 2
    t = decompile(d)
    assert set(t) == {"XSDT", "FACP", "DSDT", "APIC", "SRAT", "SLIT"}
    rsdp = (d / "RSDP.bin").read_bytes()
    assert rsdp[:8] == b"RSD PTR " and rsdp[15] == 2 and len(rsdp) == 36
    assert sum(rsdp[:20]) % 256 == 0 and sum(rsdp) % 256 == 0
    xsdt = int.from_bytes(rsdp[24:32], "little")
    assert 0xE0000 <= xsdt < 0x100000
    apic_ids = [int(x, 16) for x in fields(t["APIC"], "Local Apic ID")]
    assert apic_ids == r.stats["config"]["apic_ids"]
    assert fields(t["APIC"], "Subtable Type").count("01 [I/O APIC]") == 1
    assert "Interrupt Source Override" in t["APIC"]
    srat_ids = [int(x, 16) for x in fields(t["SRAT"], "Apic ID")]
    domains = [int(x, 16) for x in fields(t["SRAT"], "Proximity Domain Low(8)")]
    assert srat_ids == apic_ids and domains == [0] * 8 + [1] * 8
    assert fields(t["SRAT"], "Base Address") == ["0000000000000000", "0000000020000000"]
    assert fields(t["SRAT"], "Address Length") == ["0000000020000000", "0000000020000000"]
    assert fields(t["SLIT"], "Locality   0") == ["0A 15"]
    assert fields(t["SLIT"], "Locality   1") == ["15 0A"]
    assert 'EisaId ("PNP0501")' in t["DSDT"] and "0x03F8" in t["DSDT"]
    # the PCI host bridge: bus 0-0xFF, the CF8 ports, the BAR window of include/kvmbench/abi.h
    assert "Device (PCI0)" in t["DSDT"] and 'EisaId ("PNP0A08")' in t["DSDT"]
    assert re.search(r"WordBusNumber \(ResourceProducer.*?0x00FF,\s+// Range Maximum",
                     t["DSDT"], re.S)
    assert re.search(r"DWordMemory \(ResourceProducer.*?0xE0000000,\s+// Range Minimum\s+"
                     r"0xFEBFFFFF,\s+// Range Maximum", t["DSDT"], re.S)
    # _PRT: INTA# of slots 1-31 to GSI 16 + slot % 8
    prt = re.findall(r"Package \(0x04\)\s*\{\s*0x00(..)FFFF,\s*Zero,\s*Zero,\s*0x(..)\s*\}",
                     t["DSDT"])
    assert len(prt) == 31
    assert all(int(g, 16) == 16 + int(s, 16) % 8 for s, g in prt), prt
    assert "Hardware Reduced (V5) : 1" in t["FACP"]
    assert fields(t["FACP"], "DSDT Address")[1] == "00000000000E0030"


def test_numa_memory_split_around_the_hole(vmm, tmp_path):
    d = tmp_path / "acpi"
    r = vmm("hello", "-smp", "2", "-m", "4G", "-numa", "node,cpus=0,mem=2G", "-numa",
            "node,cpus=1,mem=2G", "-dump-acpi", str(d))
    assert r.rc == 0, r
    t = decompile(d)
    # node 1 is RAM bytes 2G..4G: 2G..3G below the hole, then 4G..5G
    assert fields(t["SRAT"], "Base Address") == ["0000000000000000", "0000000080000000",
                                                  "0000000100000000"]
    assert fields(t["SRAT"], "Proximity Domain")[-3:] == ["00000000", "00000001", "00000001"]


def test_no_numa_no_srat(vmm, tmp_path):
    d = tmp_path / "acpi"
    r = vmm("hello", "-smp", "4", "-dump-acpi", str(d))
    assert r.rc == 0
    assert sorted(p.stem for p in d.glob("*.dat")) == ["APIC", "DSDT", "FACP", "XSDT"]
    assert len(fields(decompile(d)["APIC"], "Local Apic ID")) == 4


def test_bad_numa_is_one_line(vmm):
    r = vmm("hello", "-smp", "4", "-m", "512M", "-numa", "node,cpus=0-3,mem=256M", stats=False)
    assert r.rc == 1 and r.err.count("\n") == 1 and "adds up to 256 MiB" in r.err


def test_fadt_with_pm_ports_and_poweroff(vmm, tmp_path):
    """-machine acpi-pm=on: the FADT names the PM1a blocks and the PM timer
    (not hardware-reduced), a FACS exists, the DSDT has \\_S5; the acpipm
    guest finds the timer at 3.58 MHz and powers off through S5."""
    d = tmp_path / "acpi"
    # the lab's timings are emulated: a PM read's exit there takes milliseconds
    # of the TSC, so it measures over half a second and judges within 25 %
    tol = 25 if in_lab() else 2
    r = vmm("acpipm", "-machine", "acpi-pm=on", "-dump-acpi", str(d),
            append=f"ms=500 tol={tol}" if in_lab() else "")
    assert r.rc == 0 and r.stats["result"]["status"] == "poweroff", r
    hz = {m["name"]: m["value"] for m in r.stats["metrics"]}["pm_timer_hz"]
    print(f"PM timer measured at {hz} Hz")
    assert abs(hz - 3579545) < tol / 100 * 3579545
    pio = {x["name"]: x["count"] for x in r.stats["exits"]["by_region"]}
    assert pio["acpi-pm"] >= 3  # PM1_CNT read, timer reads, the S5 write
    t = decompile(d)
    assert "Hardware Reduced (V5) : 0" in t["FACP"]
    assert "32-bit PM Timer (V1) : 1" in t["FACP"]
    assert fields(t["FACP"], "PM1A Event Block Address") == ["00000600"]
    assert fields(t["FACP"], "PM1A Control Block Address") == ["00000604"]
    assert fields(t["FACP"], "PM Timer Block Address") == ["00000608"]
    assert fields(t["FACP"], "SCI Interrupt") == ["0009"]
    assert fields(t["FACP"], "FACS Address")[0] != "00000000"
    assert "Value to cause reset : FE" in t["FACP"]
    assert re.search(r"Name \(_S5, Package \(0x02\)\s*// _S5_: S5 System State\s*"
                     r"\{\s*0x05,\s*0x05\s*\}", t["DSDT"]), t["DSDT"]


def test_pm_guest_skips_on_hardware_reduced(vmm, tmp_path):
    r = vmm("acpipm")
    assert r.rc == 77 and "acpi-pm=on" in r.stats["result"]["reason"], r
    d = tmp_path / "acpi"
    assert vmm("hello", "-dump-acpi", str(d)).rc == 0
    t = decompile(d)
    assert "Hardware Reduced (V5) : 1" in t["FACP"] and "_S5" not in t["DSDT"]
    assert fields(t["FACP"], "PM Timer Block Address") == ["00000000"]


@pytest.mark.parametrize("value, message", [
    ("acpi-pm=maybe", "acpi-pm=maybe: expected on or off"),
    ("q35", "the only machine is 'kvmbench'"),
    ("acpi-pm=on,pm=on", "unknown parameter 'pm'"),
    ("acpi-pm=on,acpi-pm=off", "'acpi-pm' given twice"),
])
def test_bad_machine_option(vmm, value, message):
    r = vmm("hello", "-machine", value)
    assert r.rc == 1 and message in r.err and len(r.err.strip().splitlines()) == 1, r
