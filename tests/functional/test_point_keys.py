"""Point keys are what match points across campaigns, shards, hosts and
databases: a change to them orphans every stored run.  These are pinned.

If this fails after adding a scenario axis, its entry in kb_axes[]
(harness/plan/axes.c) lacks `.omit_default = true` (harness/plan/axes.h):
an axis at its default must stay out of a point's parameters."""
import re

from framework.harness import kb, write

# `kvmbench run smoke --dry-run`: each point's key and canonical parameters
SMOKE = {
    "ee2dd0ff0989280e": "topology=1 memory=128M numa=none devices=none workload=hello "
                        "paging=host vmm_args=",
    "ad6b5f4533d38ead": "topology=1 memory=128M numa=none devices=none workload=cpuid "
                        "paging=host vmm_args=",
    "d0340aebc2480022": "topology=1 memory=128M numa=none devices=none workload=pio "
                        "paging=host vmm_args=",
    "c1d2b4203100c0bf": "topology=2 memory=128M numa=none devices=none workload=hello "
                        "paging=host vmm_args=",
    "66fcdd3dffe6eb00": "topology=2 memory=128M numa=none devices=none workload=cpuid "
                        "paging=host vmm_args=",
    "0fefd6c96093618b": "topology=2 memory=128M numa=none devices=none workload=pio "
                        "paging=host vmm_args=",
}

# an axis left out at its default (ioeventfd) and written when it is not
OMITTED = {
    "ee2dd0ff0989280e": "topology=1 memory=128M numa=none devices=none workload=hello "
                        "paging=host vmm_args=",
    "505b1df67ec24438": "topology=1 memory=128M numa=none devices=none workload=hello "
                        "paging=host vmm_args= ioeventfd=off",
    "0b1cd76a510ba453": "topology=1 memory=128M numa=none devices=virtio-blk workload=hello "
                        "paging=host vmm_args=",
    "a89fe625d1febc6d": "topology=1 memory=128M numa=none devices=virtio-blk workload=hello "
                        "paging=host vmm_args= ioeventfd=off",
}

RUN_LINE = re.compile(r"^run +\d+ ([0-9a-f]{16}) (.*?) r\d+( warmup)?$")


def fnv1a64(text):
    """The key's hash, as docs/scenario-format.md states it."""
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
    return "%016x" % h


def dry_run_points(scenario):
    p = kb("run", scenario, "--dry-run", check=0, timeout=60)
    points = {}
    for line in p.stdout.splitlines():
        m = RUN_LINE.match(line)
        if m:
            points[m.group(1)] = m.group(2)
    return points


def test_smoke_point_keys_are_pinned():
    assert dry_run_points("smoke") == SMOKE


def test_an_axis_at_its_default_keeps_the_keys(tmp_path):
    f = write(tmp_path, "k.ini",
              "[matrix]\nworkload = hello\nioeventfd = on, off\ndevices = none, virtio-blk\n")
    assert dry_run_points(f) == OMITTED


def test_key_is_fnv1a_of_the_parameters():
    for key, params in {**SMOKE, **OMITTED}.items():
        assert fnv1a64(params) == key, params
