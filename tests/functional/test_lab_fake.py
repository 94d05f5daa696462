"""kvmbench lab's handling of its QEMU (harness/exec/lab.c), without booting
one: a stand-in qemu-system-x86_64 first in PATH plays the lab (its console,
the command's status file, a hang, a panic) in a second, so these run
anywhere the lab's kernel and initramfs are built and fresh (else
kvmbench lab would build them: the tests are skipped)."""
import os
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
if mode == "noboot":
    sys.exit(3)
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
