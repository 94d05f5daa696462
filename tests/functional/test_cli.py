"""kvmbench's command line (harness/cli): each command takes only its own
options and arguments, says so in one line with exit status 2 otherwise,
and has its own --help.  No KVM needed: nothing here runs a VMM."""
import os
import re
import shlex
import subprocess

import pytest

from framework.paths import BUILD, ROOT

KB = BUILD / "kvmbench"
USAGE = 2  # the exit status of a usage error


def kb(*args, root=None):
    """kvmbench args; with root (a scratch directory), in root and with root
    as the project root (no scenarios, no database): so that nothing runs
    and nothing is written in the tree even where an option is taken."""
    env = dict(os.environ)
    if root is not None:
        env["KVMBENCH_ROOT"] = str(root)
    return subprocess.run([str(KB), *map(str, args)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=root)


def commands():
    """The command table, as kvmbench --help lists it."""
    out = kb("--help").stdout
    block = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()]


def options_in_help(text):
    """The long options a command's --help lists."""
    section = text.split("options:\n", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", section, re.M))


def one_usage_error(p, cmd):
    # run's usage errors exit 1: its 2 means "some runs failed" (cmd_run.c)
    want = 1 if cmd == "run" else USAGE
    assert p.returncode == want, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr  # no page of usage
    assert f"try 'kvmbench {cmd} --help'" in lines[0], lines[0]
    return lines[0]


# one option each command does not take (another command's, mostly)
FOREIGN = [
    (["list", "--junit", "x.xml"], "--junit"),
    (["list", "--png"], "--png"),
    (["summary", "1", "--threshold", "5"], "--threshold"),
    (["summary", "1", "--png"], "--png"),
    (["run", "smoke", "--png"], "--png"),
    (["scenarios", "--db", "x.db"], "--db"),
    (["show", "smoke", "--repeat", "3"], "--repeat"),
    (["report", "--gates", "g.ini"], "--gates"),
    (["compare", "1", "2", "--junit", "x.xml"], "--junit"),
    (["gates", "1", "--gates", "g.ini", "--threshold", "5%"], "--threshold"),
    (["merge", "a.db", "-o", "b.db", "--db", "c.db"], "--db"),
    (["migrate", "--out", "x"], "--out"),
    (["images", "--offline"], "--offline"),
    (["fetch", "--db", "x.db"], "--db"),
    (["host", "--db", "x.db"], "--db"),
    (["lab", "--db", "x.db", "--", "true"], "--db"),
    (["ingest-bench", "s.json", "1", "--out", "x"], "--out"),
    (["help", "--db", "x.db"], "--db"),
]


@pytest.mark.parametrize("args, opt", FOREIGN, ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_a_command_refuses_an_option_it_does_not_take(tmp_path, args, opt):
    p = kb(*args, root=tmp_path)
    line = one_usage_error(p, args[0])
    assert line.startswith(f"kvmbench {args[0]}: {opt}: "), line
    assert p.stdout == ""
    assert not (tmp_path / "results").exists()


def test_the_refusal_names_the_command_that_takes_the_option(tmp_path):
    line = one_usage_error(kb("list", "--junit", "x.xml", root=tmp_path), "list")
    assert "not an option of list (gates takes it)" in line, line
    line = one_usage_error(kb("lab", "--frobnicate", "1", "--", "true", root=tmp_path), "lab")
    assert "--frobnicate: unknown option" in line, line


def test_a_misspelt_option_gets_a_suggestion(tmp_path):
    line = one_usage_error(kb("run", "smoke", "--repaet", "3", root=tmp_path), "run")
    assert "--repaet: unknown option (did you mean --repeat?)" in line, line
    line = one_usage_error(kb("run", "smoke", "--re", "3", root=tmp_path), "run")
    assert "ambiguous: --repeat or --resume" in line, line
    line = one_usage_error(kb("run", "smoke", "--quiet=yes", root=tmp_path), "run")
    assert "--quiet: takes no value" in line, line
    line = one_usage_error(kb("lab", "--mem", "--", "true", root=tmp_path), "lab")
    assert "--mem: needs a value" in line, line
    line = one_usage_error(kb("run", "smoke", "--db", root=tmp_path), "run")
    assert "--db: needs a value" in line, line
    line = one_usage_error(kb("merge", "a.db", "-o", root=tmp_path), "merge")
    assert "-o: needs a value" in line, line


@pytest.mark.parametrize("args, word", [
    (["summary"], "missing CAMPAIGN"),
    (["compare", "1"], "missing CANDIDATE"),
    (["run"], "missing SCENARIO"),
    (["merge", "-o", "x.db"], "missing DB..."),
    (["list", "extra"], "unexpected argument 'extra'"),
    (["show", "a", "b"], "unexpected argument 'b'"),
    (["gates", "1"], "--gates FILE is required"),
    (["merge", "a.db"], "-o OUT is required"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else None)
def test_a_wrong_number_of_arguments_is_a_usage_error(tmp_path, args, word):
    line = one_usage_error(kb(*args, root=tmp_path), args[0])
    assert word in line, line


def test_an_unknown_command_is_one_line_with_the_closest_name():
    for word, close in (("sumary", "summary"), ("lsit", "list"), ("comapre", "compare"),
                        ("scenario", "scenarios"), ("migr", "migrate")):
        p = kb(word)
        assert p.returncode == USAGE and p.stdout == "", p
        assert p.stderr == f"kvmbench: '{word}' is not a command; did you mean '{close}'?\n"
    p = kb("frobnicate")
    assert p.returncode == USAGE and len(p.stderr.splitlines()) == 1, p.stderr
    assert "not a command" in p.stderr and "did you mean" not in p.stderr
    p = kb("help", "sumary")
    assert p.returncode == USAGE and "did you mean 'summary'" in p.stderr
    p = kb("--db", "x.db", "list")
    assert p.returncode == USAGE and len(p.stderr.splitlines()) == 1, p.stderr


def test_a_misspelt_scenario_gets_the_closest_name():
    for cmd in ("show", "run"):
        p = kb(cmd, "smok")
        assert p.returncode == 1, p.stderr
        assert "smok.ini: cannot open" in p.stderr and "did you mean 'smoke'?" in p.stderr


def test_version():
    p = kb("--version")
    assert p.returncode == 0 and p.stderr == ""
    assert re.fullmatch(r"kvmbench \S+ \(git \S+\)\n", p.stdout), p.stdout


def test_every_command_has_its_own_help():
    names = commands()
    assert {"run", "list", "summary", "compare", "report", "gates", "lab", "help"} <= set(names)
    seen = {}
    for name in names:
        p = kb(name, "--help")
        assert p.returncode == 0 and p.stderr == "", (name, p.stderr)
        assert p.stdout.startswith(f"usage: kvmbench {name}"), (name, p.stdout)
        assert "--help" in options_in_help(p.stdout), name
        assert kb(name, "-h").stdout == p.stdout
        assert kb("help", name).stdout == p.stdout
        assert p.stdout not in seen.values(), (name, "same help as another command")
        seen[name] = p.stdout
    listing = kb("--help")
    assert listing.returncode == 0 and all(f"  {n} " in listing.stdout for n in names)


@pytest.mark.parametrize("cmd, has, lacks", [
    ("list", {"--db"}, {"--junit", "--png", "--threshold", "--repeat"}),
    ("summary", {"--db"}, {"--threshold", "--junit", "--repeat"}),
    ("compare", {"--db", "--by", "--threshold", "--format", "--campaign", "--mixed-hosts"},
     {"--junit", "--repeat", "--png"}),
    ("gates", {"--db", "--gates", "--junit"}, {"--threshold", "--png"}),
    ("report", {"--db", "--out", "--name", "--png", "--format", "--threshold"}, {"--junit"}),
    ("run", {"--db", "--repeat", "--warmup", "--jobs", "--shard", "--tag", "--kind", "--resume",
             "--dry-run", "--host", "--vmm-args", "--quiet"}, {"--junit", "--threshold"}),
    ("lab", {"--npt", "--smp", "--mem", "--timeout", "--quiet"}, {"--db"}),
    ("merge", {"--out"}, {"--db"}),
    ("host", set(), {"--db"}),
])
def test_help_lists_only_the_commands_own_options(cmd, has, lacks):
    listed = options_in_help(kb(cmd, "--help").stdout)
    assert has <= listed and not (lacks & listed), listed


@pytest.mark.parametrize("value, ok", [("5%", True), ("0.05", True), ("150%", True),
                                       ("5", False), ("1", False), ("nan", False)])
def test_threshold_takes_a_percentage_or_a_fraction(tmp_path, value, ok):
    p = kb("compare", "1", "2", "--threshold", value, "--db", tmp_path / "none.db")
    assert p.returncode == 1, p.stderr
    if ok:
        assert "no such database" in p.stderr, p.stderr
    else:
        assert f"--threshold {value}: " in p.stderr and "no such database" not in p.stderr
    if value == "5":
        assert "ambiguous: write 5% or 0.05" in p.stderr, p.stderr


# The invocations of the Makefile, ci/ and the documentation (README.md,
# docs/), as written there; each must still parse (checked with --help
# after the command's options: every option before it is taken and its
# value checked, and nothing runs).
INVOCATIONS = [
    "run smoke --db results/kvmbench.db",  # Makefile: bench
    "summary last:bench --db results/kvmbench.db",
    "report last:bench --db results/kvmbench.db --name smoke-latest",
    "report --db results/kvmbench.db",  # Makefile: report
    "run nightly --kind nightly --db results/kvmbench.db --tag nightly-20250101",  # ci/nightly
    "report last:nightly --db results/kvmbench.db --name nightly-20250101-000000",
    "compare prev:nightly last:nightly --db results/kvmbench.db --threshold 5%",
    "run qualify --kind qualify --db results/kvmbench.db --tag release-0.2",  # ci/qualify
    "gates last:qualify --gates scenarios/qualify-gates.ini --junit j.xml --db k.db",
    "run smoke --shard 1/4 --db s.db --tag t --resume",  # ci/shard-slurm.sh
    "run smoke --shard 2/4 --db s.db --quiet",  # ci/shard-parallel.sh
    "merge a.db b.db -o all.db",
    "run smp16 --repeat 3 --jobs 2 --shard 1/2 --tag T --db k.db --resume --dry-run "
    "--kind nightly --host auto",  # README.md
    "run paging --host lab",
    "host",
    "scenarios",
    "show smp16",
    "list",
    "summary 3",
    "migrate --db old.db",
    "report 3 --png",
    "compare 3 4",
    "compare ept shadow --by paging",
    "compare on off --by ioeventfd",  # docs/devices.md
    "report 1 2 --db k.db --out r --name n --png --format json",  # docs/reports.md
    "compare 1 2 --by vmm_args --campaign 2 --threshold 0.05 --format csv --scenario s.ini "
    "--mixed-hosts",
    "images --manifest images/manifest.ini",
    "fetch debian-cloud-kernel --offline --manifest images/manifest.ini",
    "run linux --db k.db --repeat 1 --warmup 0 --host native --vmm-args '-m 64M'",  # tests/
    "run x.ini --host native --offline --paging-only npt --logs l --manifest m.ini "
    "--allow-kvm-reload",  # exec/labrun.c: the lab's part
    "ingest-bench stats.json 2000 --db k.db",  # tests/performance/bench_harness.py
]


@pytest.mark.parametrize("line", INVOCATIONS)
def test_existing_invocations_still_parse(tmp_path, line):
    p = kb(*shlex.split(line), "--help", root=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: kvmbench {line.split()[0]}")


def test_no_command_lists_the_commands_on_stderr():
    p = kb()
    assert p.returncode == USAGE and p.stdout == ""
    assert "commands:" in p.stderr


def test_an_option_as_a_value_is_a_forgotten_value(tmp_path):
    # run x.ini --db --dry-run once ran the whole campaign into a file named --dry-run
    p = kb("run", "smoke", "--db", "--dry-run", root=tmp_path)
    line = one_usage_error(p, "run")
    assert "--db: needs a value, not the option --dry-run" in line
    assert not (tmp_path / "--dry-run").exists()
    p = kb("summary", "1", "--db", "--format")
    assert "--db: needs a value, not the option --format" in one_usage_error(p, "summary")


@pytest.mark.parametrize("name", ["../escaped", "a/b", "/tmp/x", ".", ".."])
def test_report_name_is_not_a_path(tmp_path, name):
    """--name is a directory under reports/: a path out of it is refused in
    one line, exit 1, before anything is read or written."""
    p = kb("report", "--name", name, root=tmp_path)
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and f"--name '{name}': a name under reports/" in lines[0], lines
    assert os.listdir(tmp_path) == []


def test_report_name_plain_is_taken(tmp_path):
    p = kb("report", "--name", "smoke-latest", root=tmp_path)
    assert p.returncode == 1 and "no such database" in p.stderr, p.stderr


def test_make_bench_names_the_report_by_the_scenario_base_name():
    """make bench SCENARIO=/tmp/x.ini: reports/x-latest, not reports//tmp/x.ini-latest."""
    p = subprocess.run(["make", "-n", "bench", "SCENARIO=/tmp/x.ini"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "--name x-latest " in p.stdout and "reports/x-latest/index.html" in p.stdout
    assert "x.ini-latest" not in p.stdout
