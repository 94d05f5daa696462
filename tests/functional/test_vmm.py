"""kvmbench-vmm end to end on real KVM: exit statuses, stats JSON, devices."""
import json
import os
import struct

import pytest

from framework.paths import GUESTS, VMM


def test_hello_passes_and_prints(vmm):
    r = vmm("hello")
    assert r.rc == 0, r
    assert "Hello from kvmbench guest on 1 vCPU(s), 128 MiB" in r.out
    s = r.stats
    assert s["schema"] == 1
    assert s["result"] == {"status": "pass", "exit_code": 0,
                           "reason": "guest reported pass", "vcpu": 0}
    assert [m["name"] for m in s["marks"]] == ["main", "hello_console"]
    assert s["marks"][1]["guest_tsc"] == 0  # from the console line
    assert s["exits"]["by_reason"]["io"] == s["exits"]["total"]
    assert r.region("com1") > 0 and r.region("bench") == 2
    t = s["timings_ns"]
    assert 0 < t["vm_create"] <= t["vcpus_ready"] <= t["first_entry"] <= t["result"] <= t["total"]
    assert s["host"]["kvm_module"] in ("kvm_intel", "kvm_amd", "kvm_pvm")
    assert s["host"]["paging"] in ("ept", "npt", "shadow")
    assert s["config"]["apic_ids"] == [0]


def test_fail_guest(vmm):
    r = vmm("fail")
    assert r.rc == 2, r
    assert r.stats["result"]["status"] == "fail"
    assert r.stats["result"]["reason"] == "the fail guest fails on purpose"
    assert "guest fail: the fail guest fails on purpose" in r.err


def test_crash_is_a_triple_fault(vmm):
    r = vmm("crash")
    assert r.rc == 3, r
    res = r.stats["result"]
    assert res["status"] == "crash"
    assert "triple fault (KVM_EXIT_SHUTDOWN)" in res["reason"]
    if r.stats["host"]["kvm_module"] == "kvm_amd":
        # SVM's KVM reinitialises the vCPU on a shutdown: no registers to show
        assert "where is unknown: KVM reset the vCPU" in res["reason"], res
    else:
        assert "rip 0x" in res["reason"]
        assert "registers:" in r.err and "cr3 0000000000010000" in r.err
    assert r.stats["exits"]["by_reason"]["shutdown"] == 1


def test_timeout(vmm):
    r = vmm("hello", "-timeout", "0.5", "-smp", "2", append="hang=1")
    assert r.rc == 124, r
    assert r.stats["result"]["status"] == "timeout"
    assert "0.5 s" in r.stats["result"]["reason"]
    assert 0.5 <= r.wall < 5
    assert "Hello from kvmbench" in r.out  # what the guest said is kept
    # where each vCPU was, for the post-mortem of a hung guest
    assert "vCPU 0 (APIC 0) was at rip" in r.err and "cr3 " in r.err, r.err
    assert "vCPU 1 (APIC 1) was at rip" in r.err and "halted" in r.err, r.err


def test_missing_kernel(vmm, tmp_path):
    r = vmm(str(tmp_path / "no-such-guest.elf"))
    assert r.rc == 1
    assert r.stats["result"]["status"] == "error"
    assert "no-such-guest.elf: No such file or directory" in r.stats["result"]["reason"]
    assert r.err.count("\n") == 1 and "no-such-guest.elf" in r.err
    # no image was recognised: the stats do not name a boot protocol (docs/stats-json.md)
    assert r.stats["config"]["boot_protocol"] is None


def test_not_an_elf(vmm, tmp_path):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"MZ" + b"\0" * 200)
    r = vmm(str(bad))
    assert r.rc == 1
    assert "bad magic" in r.stats["result"]["reason"]


@pytest.mark.parametrize("args, message", [
    (["-smp", "3,sockets=2"], "must equal maxcpus"),
    (["-m", "12Q"], "-m 12Q"),
    (["-accel", "tcg"], "supports only kvm"),
    (["-frobnicate"], "unknown option"),
    (["-smp", "300"], "limit"),
])
def test_bad_options_one_line_exit_1(vmm, args, message):
    r = vmm("hello", *args, stats=False)
    assert r.rc == 1
    assert r.err.count("\n") == 1 and message in r.err, r.err


def test_isa_debug_exit_status(vmm):
    r = vmm("hello", append="exit=5")
    assert r.rc == (5 << 1) | 1
    assert r.stats["result"]["status"] == "debug-exit"
    assert r.region("isa-debug-exit") == 1


def test_i8042_reset_ends_the_vm(vmm):
    r = vmm("hello", append="reset=1")
    assert r.rc == 0
    assert r.stats["result"]["status"] == "reset"


def test_hostile_bench_requests_are_counted_not_fatal(vmm):
    r = vmm("hello", append="badbench=1")
    assert r.rc == 0, r
    assert r.stats["bench_device"]["bad_requests"] == 3


def test_serial_file_and_none(vmm, tmp_path):
    log = tmp_path / "console.log"
    r = vmm("hello", "-serial", f"file:{log}")
    assert r.rc == 0 and r.out == ""
    assert "Hello from kvmbench" in log.read_text()
    r = vmm("hello", "-serial", "none")
    assert r.rc == 0 and r.out == ""
    assert r.stats["marks"][1]["name"] == "hello_console"  # still parsed


def test_memory_above_4g_and_backing(vmm):
    r = vmm("hello", "-m", "4G")
    assert r.rc == 0, r
    assert "4096 MiB" in r.out
    r = vmm("hello", "-m", "64M", "-mem-prealloc", "-mem-thp", "on")
    assert r.rc == 0, r
    c = r.stats["config"]
    assert c["memory_backing"] == "anonymous+thp" and c["mem_prealloc"] is True
    assert r.stats["resources"]["guest_resident_kib"] >= 60 * 1024
    # the default follows the host's THP mode, as QEMU does (4 KiB backing made
    # a memory-bound guest 1.5x slower than under QEMU); off is 4 KiB pages
    mode = open("/sys/kernel/mm/transparent_hugepage/enabled").read()
    want = "anonymous" if "[never]" in mode else "anonymous+thp"
    assert vmm("hello").stats["config"]["memory_backing"] == want, mode
    assert vmm("hello", "-mem-thp", "off").stats["config"]["memory_backing"] == "anonymous"
    r = vmm("hello", "-mem-thp", "maybe")
    assert r.rc == 1 and "-mem-thp maybe: expected on, off or auto" in r.err


def test_mem_path_errors(vmm, tmp_path):
    r = vmm("hello", "-mem-path", str(tmp_path))
    assert r.rc == 1 and "not a hugetlbfs mount" in r.err
    r = vmm("hello", "-mem-path", str(tmp_path / "nope"))
    assert r.rc == 1 and "No such file" in r.err


def test_vcpu_pin(vmm):
    r = vmm("hello", "-smp", "2", "-vcpu-pin", "0")
    assert r.rc == 0, r
    assert r.stats["config"]["vcpu_pin"] == [0]
    r = vmm("hello", "-vcpu-pin", "4000")
    assert r.rc == 1 and "cannot pin vCPU 0 to CPU 4000" in r.err


def test_stats_json_is_replaced_atomically(vmm, tmp_path):
    r = vmm("hello")
    assert r.rc == 0
    assert not list(tmp_path.glob("*.tmp"))


def test_help(kvm):
    import subprocess
    p = subprocess.run([str(VMM), "-h"], capture_output=True, text=True)
    assert p.returncode == 0 and "-smp" in p.stdout and "124 timeout" in p.stdout


def test_sigterm_is_recorded(kvm, tmp_path):
    import signal
    import subprocess
    import time
    stats = tmp_path / "s.json"
    p = subprocess.Popen([str(VMM), "-kernel", str(GUESTS / "hello.elf"), "-append", "hang=1",
                          "-smp", "4", "-stats", str(stats), "-timeout", "30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # a signal during set-up would wait its turn anyway
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 128 + signal.SIGTERM, err
    assert "Hello from kvmbench" in out
    s = json.loads(stats.read_text())
    assert s["result"]["status"] == "interrupted"
    assert "Terminated" in s["result"]["reason"]


def test_many_vcpus_end_promptly(vmm):
    # The guest passes while later vCPUs are still being created: every
    # started vCPU must still be stopped (a lost kick once hung this run).
    for _ in range(5):
        r = vmm("hello", "-smp", "64", "-timeout", "20")
        assert r.rc == 0, r
        assert r.wall < 10


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_no_permission_on_dev_kvm(kvm, tmp_path):
    import shutil
    import subprocess
    if os.stat("/dev/kvm").st_mode & 0o006:
        pytest.skip("/dev/kvm is world-accessible here: no permission error to provoke")
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    guest = tmp_path / "hello.elf"
    shutil.copy(GUESTS / "hello.elf", guest)
    os.chmod(tmp_path, 0o755)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        str(VMM), "-kernel", str(guest)], capture_output=True, text=True)
    assert p.returncode == 1
    assert "/dev/kvm: permission denied" in p.stderr


@pytest.fixture
def hugetlbfs(tmp_path):
    """A hugetlbfs mount with 48 free 2 MiB pages, set up and undone here."""
    import subprocess
    if os.geteuid() != 0:
        pytest.skip("needs root to reserve huge pages and mount hugetlbfs")
    nr = "/proc/sys/vm/nr_hugepages"
    before = int(open(nr).read())
    mnt = tmp_path / "huge"
    mnt.mkdir()
    try:
        with open(nr, "w") as f:
            f.write(str(before + 48))
        free = int([l for l in open("/proc/meminfo") if l.startswith("HugePages_Free")][0].split()[1])
        if free < 48:
            pytest.skip(f"the kernel gave only {free} free huge pages")
        subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "none", str(mnt)],
                       check=True)
        yield mnt
        subprocess.run(["umount", str(mnt)], check=True)
    finally:
        with open(nr, "w") as f:
            f.write(str(before))


def test_mem_path_hugetlbfs(vmm, hugetlbfs):
    r = vmm("hello", "-m", "64M", "-mem-path", str(hugetlbfs))
    assert r.rc == 0, r
    c = r.stats["config"]
    assert c["memory_backing"] == "hugetlbfs" and c["backing_page_size"] == 2 << 20
    assert not os.listdir(hugetlbfs)  # the backing file is unlinked
    r = vmm("hello", "-m", "65M", "-mem-path", str(hugetlbfs))
    assert r.rc == 1 and "not a multiple of the 2097152-byte huge page" in r.err


@pytest.mark.parametrize("smp, mem", [("1", "128M"), ("3,maxcpus=4", "256M"), ("16", "1G")])
def test_fw_cfg_as_qemu_test_images_read_it(vmm, smp, mem):
    r = vmm("fwcfg", "-smp", smp, "-m", mem)
    assert r.rc == (0x10 << 1) | 1, r.out + r.err
    assert "signature QEMU" in r.out
    assert r.region("fw_cfg") > 0


@pytest.mark.parametrize("smp", ["1", "2", "4"])
def test_multiboot_kernel_reads_fw_cfg_and_exits(vmm, smp):
    r = vmm(str(GUESTS / "mbtest.mb"), "-smp", smp, "-timeout", "20")
    assert r.rc == ((0x20 + int(smp)) << 1) | 1, r.out + r.err
    assert r.out == "multiboot ok\n"
    assert r.stats["result"]["status"] == "debug-exit"
    assert r.region("fw_cfg") == 2
    # only the boot CPU ran: the others wait for the kernel's INIT/SIPI
    per = r.stats["exits"]["per_vcpu"]
    assert per[0]["by_reason"].get("io", 0) > 0
    assert all("io" not in v["by_reason"] for v in per[1:])


# --- how a guest ends: resets, poweroff, panics (generated guests) -----------
# Each guest is a few bytes of x86-64 code in a one-segment ELF64 at 2 MiB,
# entered in long mode on every vCPU with rdi = the vCPU index, as the
# micro-guests (docs/guests.md).  The console lines are Linux's own.

class Code:
    """x86-64 machine code, assembled by hand."""

    def __init__(self):
        self.b = bytearray()

    def outb(self, port, value):
        if port < 0x100:
            self.b += bytes([0xb0, value, 0xe6, port])  # mov al, v; out port, al
        else:  # mov dx, port; mov al, v; out dx, al
            self.b += bytes([0x66, 0xba, port & 0xff, port >> 8, 0xb0, value, 0xee])
        return self

    def puts(self, text):
        self.b += b"\x66\xba\xf8\x03"  # mov dx, 0x3f8 (COM1)
        for c in text.encode():
            self.b += bytes([0xb0, c, 0xee])  # mov al, c; out dx, al
        return self

    def hang(self):
        self.b += b"\xfa\xf4\xeb\xfd"  # cli; hlt; jmp to the hlt
        return self

    def spin(self):
        self.b += b"\xeb\xfe"  # jmp $: runs without one exit
        return self

    def triple_fault(self):
        # lidt [rip + 2] (a zero-limit IDT after the ud2); ud2: #UD -> #DF -> shutdown
        self.b += b"\x0f\x01\x1d\x02\x00\x00\x00" + b"\x0f\x0b" + bytes(10)
        return self

    def jump(self, addr):
        self.b += b"\xb8" + struct.pack("<I", addr) + b"\xff\xe0"  # mov eax, addr; jmp rax
        return self

    def per_vcpu(self, bsp, aps):
        """bsp's code on vCPU 0, aps' on the others."""
        a = bytes(aps.b)
        self.b += b"\x85\xff" + b"\x0f\x84" + struct.pack("<i", len(a))  # test edi; jz bsp
        self.b += a + bsp.b
        return self

    def write(self, path):
        base = 0x200000
        ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01".ljust(16, b"\0"),
                           2, 62, 1, base, 64, 0, 0, 64, 56, 1, 0, 0, 0)
        phdr = struct.pack("<IIQQQQQQ", 1, 7, 120, base, base, len(self.b), len(self.b), 8)
        path.write_bytes(ehdr + phdr + bytes(self.b))
        return str(path)


PANIC = "[    1.234567] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n"
PANIC_END = "[    1.234890] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---\r\n"


@pytest.mark.parametrize("code, status, rc, reason", [
    (Code().outb(0xcf9, 0x02).outb(0xcf9, 0x06).hang(), "reset", 0, "port 0xCF9 (0x06)"),
    (Code().puts("[   9.8] reboot: Restarting system\n").triple_fault(), "reset", 0,
     "triple fault (KVM_EXIT_SHUTDOWN) after its kernel said \"Restarting system\""),
    (Code().puts("[   9.8] reboot: System halted\n").hang(), "poweroff", 0, "System halted"),
    (Code().jump(0xffff0), "reset", 0, "through the i8042"),  # the reset vector's stub
    (Code().outb(0x505, 1).hang(), "crash", 3, "guest kernel panic, reported through pvpanic"),
    (Code().outb(0x505, 2).hang(), "crash", 3, "pvpanic crash-loaded"),
    (Code().puts(PANIC + "CPU: 0 PID: 1 Comm: swapper\n" + PANIC_END).hang(), "crash", 3,
     "guest kernel panic: VFS: Unable to mount root fs"),
    (Code().puts(PANIC + "[    1.3] Rebooting in 30 seconds..\n").hang(), "crash", 3,
     "guest kernel panic: VFS"),
])
def test_guest_endings(vmm, tmp_path, code, status, rc, reason):
    r = vmm(code.write(tmp_path / "g.elf"), "-timeout", "30")
    assert r.rc == rc, r
    assert r.stats["result"]["status"] == status
    assert reason in r.stats["result"]["reason"], r.stats["result"]
    assert r.wall < 5  # at once, not at the timeout


def test_a_panic_then_a_reset_is_a_crash(vmm, tmp_path):
    # Linux with panic=-1 (or panic=N once N seconds pass) resets after the panic
    r = vmm(Code().puts(PANIC + "CPU: 0 PID: 1\n").outb(0x64, 0xfe).hang().write(tmp_path / "g"),
            "-timeout", "30")
    assert r.rc == 3, r
    res = r.stats["result"]
    assert res["status"] == "crash" and res["vcpu"] == 0
    assert res["reason"] == ("guest kernel panic: VFS: Unable to mount root fs (then: guest "
                             "reset the machine through the i8042)")
    assert r.wall < 5


def test_a_panic_that_prints_no_end_ends_after_its_grace(vmm, tmp_path):
    r = vmm(Code().puts(PANIC).hang().write(tmp_path / "g"), "-timeout", "30")
    assert r.rc == 3 and r.stats["result"]["status"] == "crash", r
    assert 9.5 < r.wall < 20  # KB_PANIC_GRACE_NS (10 s) for the backtrace
    t = r.stats["timings_ns"]
    assert t["result"] < t["total"] - 9e9  # the panic's time, not the grace's end


def test_a_triple_fault_unannounced_is_still_a_crash(vmm, tmp_path):
    r = vmm(Code().puts("Restarting in a moment\n").triple_fault().write(tmp_path / "g"))
    assert r.rc == 3 and r.stats["result"]["status"] == "crash", r
    assert "triple fault" in r.stats["result"]["reason"]


@pytest.mark.parametrize("smp", [2, 4])
def test_one_vcpu_ends_the_vm_while_others_run_or_halt(vmm, tmp_path, smp):
    # vCPU 0 spins without exits while the others reset; then the reverse,
    # with the others halted (interrupts off): every thread must be kicked.
    for bsp, aps, by_bsp in ((Code().spin(), Code().outb(0x64, 0xfe).hang(), False),
                             (Code().outb(0x64, 0xfe).hang(), Code().hang(), True)):
        r = vmm(Code().per_vcpu(bsp, aps).write(tmp_path / "g"), "-smp", smp, "-timeout", "30")
        assert r.rc == 0 and r.stats["result"]["status"] == "reset", r
        assert r.wall < 5
        assert (r.stats["result"]["vcpu"] == 0) == by_bsp


def test_uart_raises_thr_empty_as_a_16550(vmm, tmp_path):
    # IER = THRI: IIR says "THR empty" (0x02) once, reading it acknowledges
    # it (0x01); each byte sent raises it again.  isa-debug-exit gets the
    # three IIR values (Linux's 8250 driver sends a tty's output on this).
    code = Code().outb(0x3f9, 0x02)
    code.b += b"\x66\xba\xfa\x03\xec\x88\xc3\xec\x88\xc7"  # mov dx, 0x3fa; in al, dx; mov bl, al; in; mov bh, al
    code.outb(0x3f8, ord("x"))
    code.b += b"\x66\xba\xfa\x03\xec\x0f\xb6\xc0\xc1\xe0\x10\x0f\xb7\xdb\x09\xd8"  # in; eax = al << 16 | bx
    code.b += b"\xe7\xf4"  # out 0xf4, eax
    r = vmm(code.write(tmp_path / "g"))
    assert r.stats["result"]["reason"] == "isa-debug-exit wrote 0x20102", r


def test_serial_cap_drops_console_output_past_it(vmm, tmp_path):
    log = tmp_path / "console.log"
    r = vmm("hello", "-serial", f"file:{log}", "-serial-cap", "16")
    assert r.rc == 0, r
    assert log.read_text() == "Hello from kvmbe\n[kvmbench-vmm: console output capped at 16 " \
                              "bytes; the rest is dropped]\n"
    assert "kvmbench-vmm: console output capped at 16 bytes" in r.err
    con = r.stats["console"]
    assert con["dropped_bytes"] == con["bytes"] - 16 > 0
    assert r.stats["config"]["serial_cap"] == 16
    assert [m["name"] for m in r.stats["marks"]] == ["main", "hello_console"]  # still parsed
