"""framework.lab.lab_retry: Linux boots in the lab are tried again only when they
end the way the lab's own faults end (docs/hosts.md), and never natively."""
import pytest

from framework import host
from framework.lab import LAB_TRIES, lab_retry, linux_host_fault

LOST = "vCPU 1 ...; its CR3 is not guest RAM: the host's KVM lost this vCPU's state"


@pytest.mark.parametrize("status, reason, stderr, crash, fault", [
    ("timeout", "no result within 120 s (-timeout)", "", False, True),
    ("crash", "vCPU 1: triple fault (KVM_EXIT_SHUTDOWN); where is unknown", "", False, True),
    ("timeout", "no result", LOST, False, True),
    ("crash", "guest kernel panic: VFS: Unable to mount root fs", "", True, False),
    ("crash", "vCPU 1: triple fault (KVM_EXIT_SHUTDOWN)", "", True, True),
    ("reset", "by a triple fault (KVM_EXIT_SHUTDOWN) after its kernel announced", "", False,
     False),
    ("fail", "checks failed", "", False, False),
    ("pass", "guest powered off through ACPI (S5)", "", False, False),
])
def test_what_counts_as_a_lab_fault(status, reason, stderr, crash, fault):
    assert bool(linux_host_fault(status, reason, stderr, crash)) == fault


def run(monkeypatch, lab, outcomes):
    monkeypatch.setattr(host, "in_lab", lambda: lab)
    seq = iter(outcomes)
    tried = []

    def attempt():
        tried.append(1)
        return next(seq)
    return lab_retry("t", attempt, lambda o: None if o == "ok" else "timeout"), len(tried)


def test_lab_retries_until_a_good_end_and_says_so(monkeypatch):
    with pytest.warns(UserWarning, match=r"\[lab retry\] t: try 1 of 3 .*\(timeout\)"):
        assert run(monkeypatch, True, ["bad", "ok", "bad"]) == ("ok", 2)


def test_lab_gives_up_after_its_tries(monkeypatch):
    with pytest.warns(UserWarning):
        assert run(monkeypatch, True, ["bad"] * 5) == ("bad", LAB_TRIES)


def test_native_kvm_never_retries(monkeypatch):
    assert run(monkeypatch, False, ["bad", "ok"]) == ("bad", 1)
