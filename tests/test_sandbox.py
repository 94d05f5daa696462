"""The VMM's sandbox: a seccomp filter on every thread before the guest runs,
a forbidden syscall from any thread kind ends the run with its reason, the
limits, and the qualification gate on runs without it."""
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, GUESTS, VMM
from test_harness import kb, rows, write

# two vCPUs and an I/O thread (virtio-rng with ioeventfd): every thread kind
KINDS_ARGS = ["-smp", "2", "-device", "virtio-rng-pci", "-timeout", "30"]


@pytest.mark.parametrize("kind", ["main", "vcpu", "io"])
def test_a_forbidden_syscall_ends_the_vmm_with_its_reason(vmm, kind):
    os.environ["KVMBENCH_SANDBOX_SELFTEST"] = kind
    try:
        r = vmm("hlt", *KINDS_ARGS, append="ms=20000")
    finally:
        del os.environ["KVMBENCH_SANDBOX_SELFTEST"]
    why = f"seccomp: thread {kind} made forbidden syscall socket (41)"
    assert r.rc == 1, r
    assert why in r.err, r
    assert r.stats["result"] == {"status": "error", "exit_code": 1, "reason": why,
                                 "vcpu": None}, r.stats["result"]
    assert r.wall < 10, f"the VMM took {r.wall:.1f} s to end: the guest ran on"


def test_guest_reading_the_clock_stays_inside_the_sandbox(vmm):
    """The RTC runs on the vCPU's thread; glibc's first gmtime_r() opens
    /etc/localtime, which a vCPU may not (Linux reads the RTC at boot: seen
    in the lab as "thread vcpu made forbidden syscall openat")."""
    r = vmm("hello", append="rtc=1")
    assert r.rc == 0 and "seccomp" not in r.err, r
    assert "rtc seconds " in r.out, r


def test_sandbox_off_lets_the_same_syscall_through(vmm):
    os.environ["KVMBENCH_SANDBOX_SELFTEST"] = "vcpu"
    try:
        r = vmm("hello", "-sandbox", "off")
    finally:
        del os.environ["KVMBENCH_SANDBOX_SELFTEST"]
    assert r.rc == 0 and "seccomp" not in r.err, r
    s = r.stats["sandbox"]
    assert s["seccomp"] == "off" and s["threads_filtered"] == 0, s


def test_unknown_selftest_kind_is_refused(vmm):
    os.environ["KVMBENCH_SANDBOX_SELFTEST"] = "gpu"
    try:
        r = vmm("hello")
    finally:
        del os.environ["KVMBENCH_SANDBOX_SELFTEST"]
    assert r.rc == 1 and "KVMBENCH_SANDBOX_SELFTEST=gpu: expected main, vcpu or io" in r.err, r


def proc_status(tid_dir):
    return dict(line.split(":", 1) for line in (tid_dir / "status").read_text().splitlines())


def test_every_thread_runs_filtered_with_the_limits(kvm, tmp_path):
    from pathlib import Path
    stats = tmp_path / "s.json"
    p = subprocess.Popen([str(VMM), "-kernel", str(GUESTS / "hlt.elf"), "-append", "ms=1500",
                          "-stats", str(stats), *KINDS_ARGS], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    proc = Path(f"/proc/{p.pid}")
    try:
        deadline = time.monotonic() + 10
        # main, two vCPUs and the I/O thread, each with its filter (and
        # maybe KVM's own worker, a kernel task that shows up among them)
        while True:
            tasks = [proc_status(t) for t in (proc / "task").iterdir()]
            if len(tasks) >= 4 and all(t["Seccomp"].strip() == "2" for t in tasks):
                break
            assert time.monotonic() < deadline, tasks
            time.sleep(0.05)
        assert all(t["NoNewPrivs"].strip() == "1" for t in tasks), tasks
        limits = (proc / "limits").read_text()
        assert "Max file size             1073741824" in limits, limits
        nofile = int(limits.split("Max open files")[1].split()[0])
        assert nofile < 100, limits
    finally:
        err = p.communicate(timeout=30)[1]
    assert p.returncode == 0, err
    import json
    s = json.loads(stats.read_text())["sandbox"]
    assert s == {"seccomp": "on", "no_new_privs": True, "rlimit_fsize": 1 << 30,
                 "rlimit_nofile": nofile, "threads_filtered": 4}, s


def test_file_size_limit_covers_the_largest_drive(vmm, tmp_path):
    # blkio writes every block of the 4 MiB disk: past fsize=1M, so the
    # limit is raised to the drive's size, or those writes would fail (EFBIG)
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(4 << 20)
    r = vmm("blkio", "-sandbox", "fsize=1M", "-drive", f"file={disk},if=virtio",
            append="qd=32 n=1024")
    assert r.rc == 0, r
    assert r.stats["sandbox"]["rlimit_fsize"] == 4 << 20, r.stats["sandbox"]


def test_asan_build_runs_the_selftest_too(kvm):
    asan = BUILD / "kvmbench-vmm-asan"
    if not asan.exists():
        pytest.skip("build/kvmbench-vmm-asan is not built (make test builds it)")
    p = subprocess.run([str(asan), "-kernel", str(GUESTS / "hlt.elf"), "-append", "ms=20000",
                        "-serial", "none", *KINDS_ARGS], capture_output=True, text=True,
                       timeout=60, env={"ASAN_OPTIONS": "detect_leaks=0",
                                        "KVMBENCH_SANDBOX_SELFTEST": "io",
                                        "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1 and "seccomp: thread io made forbidden syscall socket" in p.stderr
    assert "AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr


def test_qualification_fails_a_campaign_run_without_the_sandbox(kvm, tmp_path):
    f = write(tmp_path, "q.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello\n")
    gates = write(tmp_path, "g.ini", "[gates]\nall_pass = yes\nsandbox = required\n")
    db = tmp_path / "q.db"
    kb("run", f, "--db", db, "--quiet")
    kb("run", f, "--db", db, "--quiet", "--vmm-args", "-sandbox off")
    assert rows(db, "SELECT campaign_id, sandbox FROM runs ORDER BY id") == \
        [(1, "on"), (2, "off")]
    p = kb("gates", "1", "--gates", gates, "--db", db)
    assert p.returncode == 0 and "QUALIFIED" in p.stdout, p.stdout + p.stderr
    p = kb("gates", "2", "--gates", gates, "--db", db, "--junit", tmp_path / "j.xml")
    assert p.returncode == 10 and "NOT QUALIFIED" in p.stdout, p.stdout + p.stderr
    assert "1 run without the sandbox (seccomp off at" in p.stdout, p.stdout
    failed = [t.get("name") for t in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
              if t.find("failure") is not None]
    assert failed == ["every VMM ran in its sandbox (seccomp on)"], failed
    bad = write(tmp_path, "bad.ini", "[gates]\nsandbox = maybe\n")
    p = kb("gates", "1", "--gates", bad, "--db", db)
    assert p.returncode == 1 and "sandbox = maybe" in p.stderr, p.stderr
