"""kvmbench lab's handling of its QEMU (harness/exec/lab.c), without booting
one: a stand-in qemu-system-x86_64 first in PATH plays the lab (its console,
the command's status file, a hang, a panic) in a second, so these run
anywhere the lab's kernel and initramfs are built and fresh (else
kvmbench lab would build them: the tests are skipped)."""
import os
import re
import signal
import subprocess
import time

import pytest

from framework.paths import BUILD, ROOT

KB = BUILD / "kvmbench"

FAKE_QEMU = r"""#!/usr/bin/python3
import os, subprocess, sys, time
if sys.argv[1:] == ["--version"]:
    print("QEMU emulator version 10.0.0")
    sys.exit(0)
append = sys.argv[sys.argv.index("-append") + 1]
rundir = [w for w in append.split() if w.startswith("kblab.run=")][0][len("kblab.run="):]
mode = os.environ["FAKE_LAB"]
with open(os.environ["FAKE_BOOTS"], "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
boots = len(open(os.environ["FAKE_BOOTS"]).readlines())
if mode == "noboot":
    sys.exit(3)
if mode == "silent" or (mode == "silent-once" and boots == 1):
    time.sleep(1000)  # never says ready, nor answers on its monitor
if mode in ("silent-monitor", "mute-monitor"):  # never says ready; a monitor listens
    import socket
    chardev = sys.argv[sys.argv.index("-chardev") + 1]
    path = [w for w in chardev.split(",") if w.startswith("path=")][0][5:]
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    c, _ = srv.accept()
    if mode == "mute-monitor":
        time.sleep(1000)
    c.sendall(b"QEMU 10.0.0 monitor - type 'help' for more information\r\n(qemu) ")
    got = b""
    while b"info registers -a\n" not in got:
        got += c.recv(100)
    # QEMU's readline echoes what it is sent, with terminal escapes
    c.sendall(b"i\x1b[K\x1b[Din\x1b[D\x1b[Dinfo registers -a\r\n" +
              os.environ["FAKE_REGS"].encode() + b"\r\n(qemu) ")
    time.sleep(1000)
if mode == "silent-once":
    mode = "ok"
if mode == "lost-ready":  # the command starts, but its "ready" line never comes
    os.unlink(os.path.join(rundir, "cmd"))
    time.sleep(2.5)
    with open(os.path.join(rundir, "status"), "w") as f:
        f.write("5\n")
    sys.exit(0)
print("KVMBENCH LAB ready", flush=True)
if mode == "ok":
    print("the command ran", flush=True)
    with open(os.path.join(rundir, "status"), "w") as f:
        f.write("7\n")
    sys.exit(0)
if mode == "panic":
    print("Kernel panic - not syncing: fake", flush=True)
    sys.exit(1)
child = subprocess.Popen(["sleep", "1000"])  # in QEMU's process group
with open(os.environ["FAKE_PIDS"], "w") as f:
    f.write(f"{os.getpid()} {child.pid}\n")
time.sleep(1000)
"""


def lab_images_fresh():
    out = [BUILD / "lab" / n for n in ("vmlinuz", "initrd.cpio.gz")]
    recipe = [ROOT / "images" / "lab" / n for n in ("init", "mklab", "SHA256SUMS")]
    if not all(p.exists() for p in out):
        return False
    return min(p.stat().st_mtime for p in out) >= max(p.stat().st_mtime for p in recipe)


pytestmark = pytest.mark.skipif(not lab_images_fresh(),
                                reason="build/lab missing or stale: kvmbench lab would build it")


@pytest.fixture
def fake_env(tmp_path):
    q = tmp_path / "bin" / "qemu-system-x86_64"
    q.parent.mkdir()
    q.write_text(FAKE_QEMU)
    q.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{q.parent}:{env['PATH']}"
    env["FAKE_PIDS"] = str(tmp_path / "pids")
    env["FAKE_BOOTS"] = str(tmp_path / "boots")
    return env


def lab(env, mode, *args, timeout=60):
    env = dict(env, FAKE_LAB=mode)
    return subprocess.run([str(KB), "lab", *args, "--", "true"], capture_output=True, text=True,
                          env=env, timeout=timeout)


def run_dirs():
    d = BUILD / "lab"
    return {p.name for p in d.iterdir() if p.name.startswith("run-")} if d.exists() else set()


def gone(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" in f.read().lower()
    except FileNotFoundError:
        return True


def test_the_commands_status_comes_back_and_the_console_is_copied(fake_env):
    before = run_dirs()
    p = lab(fake_env, "ok")
    assert p.returncode == 7, p.stderr
    assert "the command ran" in p.stdout and "booted in" in p.stderr
    assert run_dirs() <= before


@pytest.mark.parametrize("mode, words", [
    ("panic", "the lab failed before the command ended: Kernel panic - not syncing: fake"),
    ("noboot", "the lab did not boot (QEMU exit status 3)"),
])
def test_a_failed_lab_says_how(fake_env, mode, words):
    p = lab(fake_env, mode)
    assert p.returncode == 125 and words in p.stderr, p.stderr


def test_a_stuck_lab_is_ended_with_its_whole_process_group(fake_env, tmp_path):
    p = lab(fake_env, "hang", "--timeout", "2")
    assert p.returncode == 124, p.stderr
    assert "ended after its 2 s timeout" in p.stderr
    qemu, child = (tmp_path / "pids").read_text().split()
    assert gone(qemu) and gone(child)


def test_a_lab_that_does_not_boot_in_time_is_booted_once_more(fake_env, tmp_path):
    """QEMU's TCG once hung a lab boot in CI with its console silent for 20
    minutes: a boot gets KVMBENCH_LAB_BOOT_TIMEOUT seconds, then the lab is
    ended, what its QEMU said of its vCPUs is printed, and it boots again;
    twice is a failure that says so."""
    env = dict(fake_env, KVMBENCH_LAB_BOOT_TIMEOUT="1", KVMBENCH_LAB_MONITOR="1")
    p = lab(env, "silent-once")
    assert p.returncode == 7, p.stderr
    assert "the lab did not boot within 1 s (boot 1 of 2)" in p.stderr, p.stderr
    assert "booting again" in p.stderr and "the command ran" in p.stdout
    boots = (tmp_path / "boots").read_text().splitlines()
    assert len(boots) == 2
    # each boot has a monitor socket of its own, for the registers of a hang
    mons = [re.search(r"socket,id=mon,path=([^,]+),server=on", b).group(1) for b in boots]
    assert mons[0] != mons[1]

    (tmp_path / "boots").unlink()
    p = lab(env, "silent")
    assert p.returncode == 125, p.stderr
    assert "the lab did not boot within 1 s, in 2 boots" in p.stderr, p.stderr
    # this QEMU has no monitor: that is said, not guessed at
    assert "no registers: QEMU's monitor is not listening" in p.stderr
    # by default the lab has none (asked for with KVMBENCH_LAB_MONITOR=1)
    (tmp_path / "boots").unlink()
    p = lab(dict(env, KVMBENCH_LAB_MONITOR="0"), "silent")
    assert p.returncode == 125 and "-chardev" not in (tmp_path / "boots").read_text()
    assert "no registers: this lab has no monitor (KVMBENCH_LAB_MONITOR=1 gives one)" \
        in p.stderr, p.stderr
    assert len((tmp_path / "boots").read_text().splitlines()) == 2
    # --timeout counts from the first boot, not from each
    p = lab(dict(env, KVMBENCH_LAB_BOOT_TIMEOUT="2"), "silent", "--timeout", "3")
    assert p.returncode == 124 and "ended after its 3 s timeout" in p.stderr, p.stderr
    assert "(boot 1 of 2)" in p.stderr
    # one whose monitor takes the connection but never answers is stuck itself
    p = lab(env, "mute-monitor")
    assert p.returncode == 125, p.stderr
    assert ("no registers: QEMU's monitor did not answer within 3000 ms: QEMU itself is "
            "stuck") in p.stderr, p.stderr
    # the monitor's socket is in a directory nobody else may enter, gone after
    mon = re.search(r"socket,id=mon,path=([^,]+),server=on",
                    (tmp_path / "boots").read_text()).group(1)
    assert mon.startswith("/tmp/kvmbench-lab-") and not os.path.exists(os.path.dirname(mon))

    # one that answers: a line per vCPU, in the mode its registers show
    regs = ("CPU#0\r\nRAX=0 RBX=0\r\nRIP=00000000004011a0 RFL=00000246 [---Z-P-] CPL=3 II=0"
            " A20=1 SMM=0 HLT=0\r\nCPU#1\r\nEAX=00000000\r\nEIP=000fd0c1 EFL=00000002 [-------]"
            " CPL=0 II=0 A20=1 SMM=0 HLT=1\r\nCPU#2\r\nRIP=0000000004f3dbed RFL=00010006"
            " [-----P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n")
    (tmp_path / "boots").unlink()
    p = lab(dict(env, FAKE_REGS=regs), "silent-monitor")
    assert p.returncode == 125, p.stderr
    assert ("vCPU 0: in user mode at 0x4011a0\n"
            "vCPU 1: in 32-bit or real mode at 0xfd0c1, halted\n"
            "vCPU 2: in 64-bit code outside the kernel's text at 0x4f3dbed\n") in p.stderr, \
        p.stderr
    dumps = re.findall(r"registers: (\S+-registers\.txt)", p.stderr)
    assert len(dumps) == 2
    for d in dumps:
        # the registers alone, without QEMU's banner, prompt or carriage returns
        assert open(d).read() == regs.replace("\r", ""), open(d).read()
        os.unlink(d)

    # a command that started is never booted again: its "ready" line was lost
    (tmp_path / "boots").unlink()
    p = lab(env, "lost-ready")
    assert p.returncode == 5 and "did not boot" not in p.stderr, p.stderr
    assert len((tmp_path / "boots").read_text().splitlines()) == 1

    p = lab(dict(fake_env, KVMBENCH_LAB_BOOT_TIMEOUT="0"), "ok")
    assert p.returncode == 125 and "KVMBENCH_LAB_BOOT_TIMEOUT" in p.stderr, p.stderr


def test_ctrl_c_stops_the_lab_and_its_process_group(fake_env, tmp_path):
    env = dict(fake_env, FAKE_LAB="hang")
    p = subprocess.Popen([str(KB), "lab", "--", "true"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    pids = tmp_path / "pids"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not pids.exists():
        time.sleep(0.1)
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130 and "interrupted" in err, err
    qemu, child = pids.read_text().split()
    assert gone(qemu) and gone(child)
