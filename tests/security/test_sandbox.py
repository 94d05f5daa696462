"""The VMM's sandbox: a seccomp filter on every thread before the guest runs,
a forbidden syscall from any thread kind ends the run with its reason, the
limits, and the qualification gate on runs without it."""
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from framework.harness import kb, rows, write
from framework.lab import lab_retry
from framework.paths import BUILD, GUESTS, KB, VMM

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
                 "rlimit_nofile": nofile, "threads_filtered": 4, "user": None,
                 "uid": os.getuid(), "gid": os.getgid()}, s


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


# --- -runas: root opens what the VM needs, then the VMM runs as a plain user ---------

NOBODY = 65534


@pytest.fixture
def root(kvm):
    if os.geteuid() != 0:
        pytest.skip(f"-runas needs the tests to run as root (euid {os.geteuid()})")
    import pwd
    try:
        if pwd.getpwnam("nobody").pw_uid != NOBODY:
            pytest.skip("user nobody is not uid 65534 here")
    except KeyError:
        pytest.skip("no user nobody on this host")


def give_nobody(path):
    os.chown(path, NOBODY, NOBODY)
    return path


def test_runas_nobody_passes_hello_and_a_virtio_drive(vmm, root, tmp_path):
    # the stats go to tmp_path (its parents: /tmp/pytest-of-root, mode 0700)
    give_nobody(tmp_path)
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(4 << 20)
    os.chmod(disk, 0o600)  # root's: nobody could not open it, the VMM opened it before
    console = tmp_path / "console.log"
    r = vmm("hello", "-runas", "nobody", "-serial", f"file:{console}")
    assert r.rc == 0, r
    assert r.stats["sandbox"]["user"] == "nobody", r.stats["sandbox"]
    assert (r.stats["sandbox"]["uid"], r.stats["sandbox"]["gid"]) == (NOBODY, NOBODY)
    assert r.stats["sandbox"]["seccomp"] == "on" and r.stats["sandbox"]["threads_filtered"] == 2
    assert "Hello" in console.read_text()
    r = vmm("blkio", "-runas", f"{NOBODY}:{NOBODY}", "-drive", f"file={disk},if=virtio",
            "-device", "virtio-rng-pci", append="qd=32 n=1024")
    assert r.rc == 0, r
    assert r.stats["sandbox"]["user"] == "nobody" and r.stats["sandbox"]["uid"] == NOBODY
    assert r.stats["resources"]["rss_peak_kib"] > 0  # /proc/self/status read as nobody
    assert any(b for b in disk.read_bytes()[:1 << 20]), "blkio wrote nothing to the disk"


def test_runas_every_thread_runs_as_nobody(root, tmp_path):
    from pathlib import Path
    stats = give_nobody(tmp_path) / "s.json"

    def attempt():
        p = subprocess.Popen([str(VMM), "-kernel", str(GUESTS / "hlt.elf"), "-append",
                              "ms=1500", "-stats", str(stats), "-runas", "nobody",
                              *KINDS_ARGS],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        proc = Path(f"/proc/{p.pid}")
        try:
            deadline = time.monotonic() + 10
            while True:  # main, two vCPUs and the I/O thread, each filtered
                tasks = [proc_status(t) for t in (proc / "task").iterdir()]
                if len(tasks) >= 4 and all(t["Seccomp"].strip() == "2" for t in tasks):
                    break
                assert time.monotonic() < deadline, tasks
                time.sleep(0.05)
            ids = f"{NOBODY}\t{NOBODY}\t{NOBODY}\t{NOBODY}"  # real, effective, saved, fs
            assert all(t["Uid"].strip() == ids and t["Gid"].strip() == ids
                       for t in tasks), tasks
            assert all(t["Groups"].strip() == "" for t in tasks), tasks
            # not dumpable: another process of nobody's cannot trace it or read its memory
            assert (proc / "mem").stat().st_uid == 0  # root's while not dumpable
        finally:
            err = p.communicate(timeout=30)[1]
        return p.returncode, err

    # the lab's emulated SVM loses a vCPU's state now and then (docs/hosts.md):
    # a triple fault the hlt guest cannot cause is tried again there, said
    rc, err = lab_retry("hlt -runas nobody", attempt,
                        lambda o: o[1] if o[0] == 3 and "triple fault" in o[1] else None)
    assert rc == 0, err
    import json
    s = json.loads(stats.read_text())["sandbox"]
    assert s["user"] == "nobody" and s["threads_filtered"] == 4, s


@pytest.mark.parametrize("user,why", [
    ("no-such-user-kb", "-runas no-such-user-kb: no such user in /etc/passwd"),
    ("4000000", "-runas 4000000: no user with this UID in /etc/passwd: give the group too"),
    ("12:x", "-runas 12:x: expected a user name or UID[:GID]"),
    ("", "-runas: empty; give a user name or UID[:GID]"),
])
def test_runas_a_bad_user_is_refused(vmm, root, user, why):
    r = vmm("hello", "-runas", user)
    assert r.rc == 1 and why in r.err, r
    assert "Hello" not in r.out, "the guest ran"


def test_runas_a_stats_directory_the_user_cannot_write_fails_first(vmm, root):
    r = vmm("hlt", "-runas", "nobody", append="ms=20000")  # tmp_path stays root's
    assert r.rc == 1, r
    assert f"uid {NOBODY} cannot write its directory: Permission denied" in r.err, r.err
    assert r.wall < 10, "the guest ran before the error"


def test_runas_without_the_right_to_change_user_is_refused(root):
    # root without CAP_SETUID/CAP_SETGID, as a plain user would be: setgroups fails
    import shutil
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    p = subprocess.run(["setpriv", "--inh-caps=-setuid,-setgid", "--bounding-set=-setuid,-setgid",
                        str(VMM), "-kernel", str(GUESTS / "hello.elf"), "-runas", "nobody"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p
    assert "-runas nobody: setgroups: Operation not permitted (-runas needs root: " \
        "CAP_SETUID, CAP_SETGID)" in p.stderr, p.stderr
    assert "Hello" not in p.stdout, "the guest ran"


def campaign_stats(tmp_path):
    import json
    return [json.loads(f.read_text()) for f in sorted(tmp_path.glob("logs/*/*/stats.json"))]


def test_harness_as_root_runs_its_vmms_as_nobody(root, tmp_path):
    f = write(tmp_path, "r.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello, blkio\ndevices = virtio-blk\n[workload.blkio]\n"
              "args = qd=1 n=64\n")
    db = tmp_path / "r.db"
    env = {k: v for k, v in os.environ.items() if k != "KVMBENCH_VMM_USER"}
    p = subprocess.run([str(KB), "run", str(f), "--db", str(db), "--quiet"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert rows(db, "SELECT status FROM runs") == [("pass",), ("pass",)]
    stats = campaign_stats(tmp_path)
    assert [(s["sandbox"]["user"], s["sandbox"]["uid"]) for s in stats] == \
        [("nobody", NOBODY)] * 2, [s["sandbox"] for s in stats]
    runs = sorted(tmp_path.glob("logs/*/*/"))
    assert [d.stat().st_uid for d in runs] == [NOBODY] * 2  # the only place it writes
    assert runs[0].parent.stat().st_uid == 0 and (tmp_path / "logs").stat().st_uid == 0


@pytest.mark.parametrize("user,code,want", [
    ("root", 0, (None, 0)),
    ("", 0, (None, 0)),
    ("no-such-user-kb", 1, "KVMBENCH_VMM_USER=no-such-user-kb: no such user"),
])
def test_harness_vmm_user_from_the_environment(root, tmp_path, user, code, want):
    f = write(tmp_path, "r.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
              "workload = hello\n")
    p = kb("run", f, "--db", tmp_path / "r.db", "--quiet", env={"KVMBENCH_VMM_USER": user})
    assert p.returncode == code, p.stdout + p.stderr
    if code:
        assert want in p.stderr, p.stderr
        return
    s = campaign_stats(tmp_path)[0]["sandbox"]
    assert (s["user"], s["uid"]) == want, s


def test_sigkill_of_the_harness_takes_a_vmm_that_dropped_root(root, tmp_path):
    # the kernel clears PR_SET_PDEATHSIG when the credentials change: -runas
    # arms it again, or the VMM would outlive the harness
    f = write(tmp_path, "k.ini", "[scenario]\nrepeats = 1\nwarmup = 0\ntimeout = 60\n"
              "[matrix]\nworkload = hlt\n[workload.hlt]\nargs = ms=30000\n")
    p = subprocess.Popen([str(KB), "run", str(f), "--db", str(tmp_path / "k.db")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def uid_of(pid):  # the real uid of a live process, or None
        try:
            st = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
            return None if st["State"].split()[0] == "Z" else int(st["Uid"].split()[0])
        except (OSError, KeyError, ValueError):
            return None

    def vmm_pid():  # the harness's child that runs as nobody
        for d in filter(str.isdigit, os.listdir("/proc")):
            try:
                ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == p.pid and uid_of(d) == NOBODY:
                return int(d)
        return None

    try:
        deadline = time.monotonic() + 30
        while (pid := vmm_pid()) is None:
            assert time.monotonic() < deadline and p.poll() is None, "no VMM ran as nobody"
            time.sleep(0.05)
    finally:
        p.kill()
        p.wait()
    deadline = time.monotonic() + 5
    while uid_of(pid) is not None:
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            pytest.fail("the VMM, running as nobody, outlived the harness")
        time.sleep(0.05)


@pytest.mark.parametrize("cap, want", [("0", None), ("2G", (2 << 30) + 4096)])  # None: unlimited
def test_file_size_limit_leaves_room_for_the_console_cap(vmm, tmp_path, cap, want):
    """RLIMIT_FSIZE (1 GiB by default) must not cut the console file short of
    its own cap, silently: -serial-cap 0 (no cap) lifts it."""
    r = vmm("hello", "-serial", f"file:{tmp_path / 'console.log'}", "-serial-cap", cap)
    assert r.rc == 0, r
    assert r.stats["sandbox"]["rlimit_fsize"] == want, r.stats["sandbox"]
