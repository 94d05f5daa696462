"""kvmbench-vmm end to end on real KVM: exit statuses, stats JSON, devices."""
import json
import os

import pytest

from conftest import GUESTS, VMM, host_is_pvm


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


def test_missing_kernel(vmm, tmp_path):
    r = vmm(str(tmp_path / "no-such-guest.elf"))
    assert r.rc == 1
    assert r.stats["result"]["status"] == "error"
    assert "no-such-guest.elf: No such file or directory" in r.stats["result"]["reason"]
    assert r.err.count("\n") == 1 and "no-such-guest.elf" in r.err


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
    from conftest import GUESTS
    r = vmm(str(GUESTS / "mbtest.mb"), "-smp", smp, "-timeout", "20")
    assert r.rc == ((0x20 + int(smp)) << 1) | 1, r.out + r.err
    assert r.out == "multiboot ok\n"
    assert r.stats["result"]["status"] == "debug-exit"
    assert r.region("fw_cfg") == 2
    # only the boot CPU ran: the others wait for the kernel's INIT/SIPI
    per = r.stats["exits"]["per_vcpu"]
    assert per[0]["by_reason"].get("io", 0) > 0
    assert all("io" not in v["by_reason"] for v in per[1:])
