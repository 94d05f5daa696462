"""The assert policy in the Makefile: release objects are built with -DNDEBUG;
the unit tests, the sanitizer VMMs and the fuzz builds keep asserts live.
(tests/unit/test_assert.c checks at run time that assert(0) aborts there.)
Reads the commands `make -n -B` would run: nothing is built."""
import subprocess

import pytest

from framework.paths import ROOT


def commands(target):
    p = subprocess.run(["make", "-n", "-B", "V=1", target], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if " -o " in line]


def compiles(target):
    """The compiler commands (with the host flags) making target."""
    return [c for c in commands(target) if " -std=gnu11 " in c]


@pytest.mark.parametrize("target", ["build/vmm/bus.o", "build/common/util.o",
                                    "build/harness/store/db.o"])
def test_release_objects_define_ndebug(target):
    cc = compiles(target)
    assert len(cc) == 1, cc
    assert "-DNDEBUG" in cc[0] and "-UNDEBUG" not in cc[0]


@pytest.mark.parametrize("target", ["build/tests/test_bus", "build/kvmbench-vmm-asan",
                                    "build/kvmbench-vmm-tsan",                                    "build/fuzz/virtq_smoke", "build/fuzz/ingest_smoke"])
def test_checked_builds_keep_asserts(target):
    cc = compiles(target)
    assert cc, commands(target)
    for c in cc:
        assert "-DNDEBUG" not in c and "-UNDEBUG" in c, c


def test_unit_tests_link_checked_objects_only():
    link = [c for c in commands("build/tests/test_bus") if "-o build/tests/test_bus " in c]
    assert len(link) == 1, link
    objs = [w for w in link[0].split() if w.endswith(".o") or w.endswith(".a")]
    assert objs and all(w.startswith("build/checked/") for w in objs), objs
