"""Retrying what the lab's emulated SVM breaks (docs/hosts.md): about one
Linux boot in 15 loses a vCPU's state there (the lab kernel's own CR3 and
RIP land in the guest's), and the guest then hangs or triple-faults.
Native KVM never retries."""
import warnings

from framework import host

LAB_TRIES = 3


def lab_retry(what, attempt, host_fault):
    """attempt() -> outcome, tried again (at most LAB_TRIES times in all) while
    in the lab and host_fault(outcome) says why it looks like the lab's fault,
    not the guest's; every retry is printed with that reason.  Returns the
    last outcome, for the test to assert on as usual."""
    for n in range(1, LAB_TRIES + 1):
        outcome = attempt()
        why = host_fault(outcome) if host.in_lab() else None
        if not why or n == LAB_TRIES:
            return outcome
        msg = (f"[lab retry] {what}: try {n} of {LAB_TRIES} ended in what looks like "
               f"the lab's fault ({why[:300]}); trying again")
        print("\n" + msg)
        warnings.warn(msg)  # in pytest's warnings summary, passed or not


def linux_host_fault(status, reason, stderr, expect_crash=False):
    """Why a Linux boot's end looks like the lab losing a vCPU, or None: a
    vCPU state no guest can be in (the VMM says so), a timeout, or a triple
    fault the test did not ask for."""
    if "the host's KVM lost this vCPU's state" in stderr:
        return "the VMM found a vCPU state no guest can be in"
    if status == "timeout":
        return reason
    if "triple fault" in reason and not reason.startswith("guest kernel panic") \
            and "after its kernel" not in reason and not expect_crash:
        return reason
    if expect_crash and status == "crash" and not reason.startswith("guest kernel panic"):
        return reason
    return None
