"""The harness runner: build/kvmbench with a database and results directory
of the test's own."""
import os
import sqlite3
import subprocess

from framework.paths import KB


def kb(*args, env=None, timeout=300, check=None):
    """Run `kvmbench ARGS` (environment: this one updated with env); with
    check, assert its exit status, showing the output's tail."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([str(KB), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=e)
    if check is not None:
        assert p.returncode == check, p.stdout[-3000:] + p.stderr[-3000:]
    return p


def write(tmp_path, name, text):
    """tmp_path/name holding text; its path."""
    f = tmp_path / name
    f.write_text(text)
    return f


def rows(db, sql, *args):
    """Every row of one query on the database file db."""
    with sqlite3.connect(db) as c:
        return c.execute(sql, args).fetchall()


class Harness:
    """kvmbench on one database, DIR/k.db; the runs' logs go beside it
    (DIR/logs), reports to DIR/reports.  env is added to every command's
    environment (a fake VMM's settings, framework.fake.env)."""

    def __init__(self, workdir, env=None):
        self.dir = workdir
        self.db = workdir / "k.db"
        self.env = dict(env or {})

    def __call__(self, *args, env=None, **kw):
        """kvmbench ARGS --db DB (before a "--" in ARGS): the finished
        process; keywords as kb's."""
        args = list(args)
        at = args.index("--") if "--" in args else len(args)
        args[at:at] = ["--db", self.db]
        return kb(*args, env={**self.env, **(env or {})}, **kw)

    def run(self, scenario, *args, **kw):
        """kvmbench run SCENARIO ARGS --quiet --db DB."""
        return self("run", scenario, *args, "--quiet", **kw)

    def scenario(self, text, name="s.ini"):
        """A scenario file in DIR holding text."""
        return write(self.dir, name, text)

    def rows(self, sql, *args):
        """Every row of one query on the database."""
        return rows(self.db, sql, *args)

    def report(self, *args, **kw):
        """kvmbench report ARGS into DIR/reports; (process, its directory)."""
        out = self.dir / "reports"
        return self("report", *args, "--out", out, **kw), out
