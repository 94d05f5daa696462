"""Host gating: what this host's KVM can do, and where a test runs.

make test (tests/run-all) runs pytest natively when /dev/kvm is usable, and
boots the kvmbench lab (QEMU TCG emulating SVM, kvm_amd inside) for what the
host's KVM cannot do, selecting with the marks in MARKS.  conftest.py gives
each test the marks of the fixtures it uses (FIXTURE_MARKS).
"""
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from framework.paths import BUILD, KB

#   kvm        the test needs a KVM (it uses the kvm fixture): in the lab
#              when this host has none
#   lab_lane   it needs a VMX/SVM KVM (Linux to init; the svm_kvm fixture):
#              on a kvm_pvm host it runs in the lab lane of every make test
#   starts_lab it boots labs itself (the lab fixture): never inside a lab
MARKS = (("kvm", "needs a KVM (native, or the lab)"),
         ("lab_lane", "needs a VMX/SVM KVM: Linux to init"),
         ("starts_lab", "boots labs itself"))
FIXTURE_MARKS = {"kvm": "kvm", "svm_kvm": "lab_lane", "lab": "starts_lab"}

PVM_LINUX_REASON = ("needs a VMX/SVM KVM: this host's kvm_pvm stops Linux with KVM internal "
                    "errors (int3, clac) before init; make test runs this in its lab lane")


def marks_for(fixturenames):
    """The marks (names) a test using these fixtures carries, in MARKS order."""
    return [FIXTURE_MARKS[f] for f in FIXTURE_MARKS if f in set(fixturenames)]


def kvm_unusable_reason():
    """Why KVM cannot be used here, or None when it can."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm does not exist on this host"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "no read/write permission on /dev/kvm"
    return None


def host_is_pvm():
    """This host's KVM is kvm_pvm (software nested virtualization)."""
    return os.path.isdir("/sys/module/kvm_pvm")


def in_lab():
    """pytest runs inside the kvmbench lab (its kernel command line says so)."""
    try:
        return "kblab.npt=" in Path("/proc/cmdline").read_text()
    except OSError:
        return False


def lab_unavailable_reason():
    """Why `kvmbench lab` cannot boot here (kvmbench host says), or None."""
    out = subprocess.run([str(KB), "host"], capture_output=True, text=True)
    if "lab           available" in out.stdout:
        return None
    return f"the lab cannot run here: {out.stdout}{out.stderr}"


def _takes_o_direct(d):
    probe = d / ".odirect"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600))
        return True
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


@contextmanager
def direct_io_dir(tmp_path):
    """A directory whose file system takes O_DIRECT (-drive cache=none):
    tmp_path, or where that refuses it (tmpfs before Linux 6.6: the lab's
    /tmp) a scratch directory in the project tree, removed afterwards."""
    if _takes_o_direct(tmp_path):
        yield tmp_path
        return
    (BUILD / "tmp").mkdir(parents=True, exist_ok=True)
    d = Path(tempfile.mkdtemp(prefix="odirect-", dir=BUILD / "tmp"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
