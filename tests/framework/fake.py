"""The fake VMM (tests/fake/vmm.sh, tests/fake/vmm.py): a stand-in for
kvmbench-vmm that needs no KVM.  The harness runs it in place of the VMM
when KVMBENCH_VMM names it; FAKE_* variables choose what it does."""
import sys

from framework.paths import FAKE_VMM


def env(mode="run", **knobs):
    """The environment that makes kvmbench run the fake VMM in mode.

    mode "run" writes a valid stats JSON for whatever workload it is given
    (tests/fake/vmm.py); knobs are its settings, status="cpuid=fail",
    spread=0.02, slow=1.2, ns=1000, sleep=0.5, seed=1, ... becoming
    FAKE_STATUS, FAKE_SPREAD, ...  Other modes are the misbehaviours of
    tests/fake/vmm.sh (hang, segv, garbage, nojson, stats, chatty, pass, ...),
    whose knobs are FAKE_STATS and FAKE_SLEEP."""
    e = {"KVMBENCH_VMM": str(FAKE_VMM), "FAKE_MODE": mode, "FAKE_PYTHON": sys.executable}
    e.update({f"FAKE_{k.upper()}": str(v) for k, v in knobs.items()})
    return e


def pio_cpuid(repeats, warmup=0):
    """A scenario of two fake workloads, pio (5 us an iteration) and cpuid
    (20 us), repeats times each: the A/B material of harness tests."""
    return (f"[scenario]\nrepeats = {repeats}\nwarmup = {warmup}\n[matrix]\n"
            "workload = pio, cpuid\n[workload.pio]\nargs = fake.ns=5000\n"
            "[workload.cpuid]\nargs = fake.ns=20000\n")


def failing(repeats=2, warmup=0):
    """A scenario of three fake workloads: pio passes, cpuid crashes, hello
    skips: the failures and skips of output tests."""
    return (f"[scenario]\nrepeats = {repeats}\nwarmup = {warmup}\n[matrix]\n"
            "workload = pio, cpuid, hello\n[workload.pio]\nargs = fake.ns=5000\n"
            "[workload.cpuid]\nargs = fake.status=crash\n[workload.hello]\n"
            "args = fake.status=skip\n")
