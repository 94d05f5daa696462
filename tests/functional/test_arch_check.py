"""tests/arch-check itself: a tree that breaks a rule is flagged, a good one passes."""
import subprocess
import sys

import pytest

from framework.paths import ROOT

CHECK = ROOT / "tests" / "arch-check"


def function(name, body_lines):
    """A C function whose '{' .. '}' spans body_lines + 3 lines."""
    body = "".join("\tx += %d;\n" % i for i in range(body_lines))
    return "int %s(int x)\n{\n%s\treturn x;\n}\n" % (name, body)


def make_tree(tmp_path, files):
    for name, text in files.items():
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    return tmp_path


def run_check(root):
    return subprocess.run([sys.executable, str(CHECK), str(root)], capture_output=True,
                          text=True, timeout=60)


GOOD = {
    "include/kvmbench/abi.h": "#include <stdint.h>\n",
    "common/util.h": '#include "kvmbench/abi.h"\n',
    "common/util.c": '#include "common/util.h"\n' + function("kb_util", 76),
    "harness/plan/scenario.h": '#include "common/util.h"\n',
    "harness/store/db.h": '#include "plan/scenario.h"\n',
    "harness/cli/main.c": '#include "store/db.h"\n#include <stdio.h>\n',
    "vmm/vm.h": '#include "bus.h"\n',
    "vmm/bus.h": '#include "common/util.h"\n',
    "vmm/devices/devices.h": '#include "../bus.h"\n',
    "vmm/vm.c": '#include "vm.h"\n#include "devices/devices.h"\n',
    "images/guests/lib/kb.h": '#include "kvmbench/abi.h"\n',
    "images/guests/hello.c": '#include "kb.h"\n',
    "tests/unit/test_bus.c": '#include "bus.h"\n#include "common/util.h"\n',
    # a data table longer than a function may be
    "vmm/table.c": "static const int table[] = {\n" + "\t1,\n" * 100 + "};\n",
}


def test_good_tree_passes(tmp_path):
    r = run_check(make_tree(tmp_path, GOOD))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "files follow the rules" in r.stdout


def test_80_line_function_passes_81_fails(tmp_path):
    r = run_check(make_tree(tmp_path, dict(GOOD, **{"common/long.c": function("ok", 77)})))
    assert r.returncode == 0, r.stdout + r.stderr  # 77 + return + braces = 80
    (tmp_path / "common/long.c").write_text(function("too_long", 78))
    r = run_check(tmp_path)
    assert r.returncode == 1
    assert "common/long.c:1: function too_long is 81 lines" in r.stdout
    assert "no function over 80 lines" in r.stdout


@pytest.mark.parametrize("path, text, layer", [
    ("common/bad.c", '#include "vmm/bus.h"\n', "vmm"),
    ("harness/plan/bad.c", '#include "store/db.h"\n', "harness/store"),
    ("harness/store/bad.c", '#include "vm.h"\n#include "../../vmm/vm.h"\n', "vmm/top"),
    ("vmm/devices/bad.c", '#include "../vm.h"\n', "vmm/top"),
    ("vmm/bad.c", '#include "harness/plan/scenario.h"\n', "harness/plan"),
    ("include/kvmbench/bad.h", '#include "common/util.h"\n', "common"),
    ("images/guests/bad.c", '#include "../../common/util.h"\n', "common"),
])
def test_upward_include_is_flagged(tmp_path, path, text, layer):
    r = run_check(make_tree(tmp_path, dict(GOOD, **{path: text})))
    assert r.returncode == 1, r.stdout
    assert "%s:" % path in r.stdout
    assert "layer %s)" % layer in r.stdout
    assert "may include only" in r.stdout


def test_every_violation_is_named(tmp_path):
    files = dict(GOOD)
    files["common/bad.c"] = '#include "harness/store/db.h"\n' + function("long_one", 90)
    files["vmm/big.c"] = "int x;\n" * 601
    files["stray/x.c"] = "int y;\n"
    files["common/missing.c"] = '#include "nowhere.h"\n'
    files["vmm/sig.c"] = "static int\nsplit_sig(int a,\n\t  int b)\n{\n" + "\ta++;\n" * 80 + "}\n"
    r = run_check(make_tree(tmp_path, files))
    assert r.returncode == 1
    out = r.stdout
    assert 'common/bad.c:1: include "harness/store/db.h"' in out
    assert "common/bad.c:2: function long_one is 93 lines" in out
    assert "vmm/big.c:1: file is 601 lines (rule: no source file over 600 lines)" in out
    assert "stray/x.c:1: file is in no layer" in out
    assert "common/missing.c:1: include \"nowhere.h\" names no file in the tree" in out
    assert "vmm/sig.c:2: function split_sig is 82 lines" in out
    assert "arch-check: 6 violation(s)" in r.stderr


def test_untracked_file_is_checked_ignored_is_not(tmp_path):
    """A new file is checked before git add; one .gitignore names is not."""
    root = make_tree(tmp_path, dict(GOOD, **{".gitignore": "/build/\n"}))
    (root / "common" / "new.c").write_text(function("untracked_long", 90))
    (root / "build").mkdir()
    (root / "build" / "gen.c").write_text(function("ignored_long", 90))
    r = run_check(root)
    assert r.returncode == 1
    assert "common/new.c:1: function untracked_long is 93 lines" in r.stdout
    assert "build/gen.c" not in r.stdout
    assert "arch-check: 1 violation(s)" in r.stderr


def test_allow_list_is_empty():
    text = CHECK.read_text()
    assert "\nALLOW = set()\n" in text
