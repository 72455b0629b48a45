"""The docs match the code: README's layout names every module; every command the CLI lists works with the runtime
dependencies alone (what `make install` installs), not the test extras; nothing points outside the repository."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.dbcache import ROOT

PACKAGES = ["cli", "dashboards", "pages", "queries", "seed"]
# test-only packages (pyproject's [test] extra): a command that needs one fails after `make install`
TEST_ONLY = ("pytest", "hypothesis", "playwright", "xdist", "_pytest")
BLOCKER = f"""
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {TEST_ONLY!r}:
            raise ImportError("test-only package imported by the CLI: " + name)
sys.meta_path.insert(0, _Block())
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def layout_block() -> str:
    text = readme()
    start = text.index("## Layout")
    return text[start:text.index("\n## ", start + 3)]


def modules() -> list[str]:
    out = []
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            rel = f.relative_to(ROOT).as_posix()
            if f.name == "__init__.py" or "/migrations/" in rel:
                continue
            out.append(rel)
    return out


def test_readme_layout_names_every_module():
    block = layout_block()
    missing = [m for m in modules() if not re.search(rf"(?<![\w/]){re.escape(m.rsplit('/', 1)[1])}\b", block)]
    assert not missing, f"README's layout misses: {missing}"


def test_readme_names_every_figure_of_the_json_output():
    """README's table of `oversight figures --format json` keys holds every catalogue figure, in its topic's row."""
    from queries.figures import catalogue

    rows: dict[str, str] = {}
    for m in re.finditer(r"^\| `(\w+)\.[^\n]*", readme(), re.M):  # (a topic may take several rows)
        rows[m.group(1)] = rows.get(m.group(1), "") + m.group(0)
    missing = []
    for key in catalogue():
        topic, name = key.split(".", 1)
        row = rows.get(topic, "")
        ranged = re.sub(r"_\d+$", "", name)  # open_level_3: the row's `open_level_1..4`
        if f"`{name}`" not in row and f"`{topic}.{name}`" not in row and f"`{ranged}_1.." not in row:
            missing.append(key)
    assert not missing, f"README's JSON keys miss: {missing}"


def test_nothing_points_outside_the_repository_or_at_issue_numbers():
    bad = []
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "Makefile"]
    for pkg in PACKAGES + ["tests"]:
        files += sorted((ROOT / pkg).rglob("*.py")) + sorted((ROOT / pkg).rglob("*.md"))
    for f in files:
        text = f.read_text(encoding="utf-8")
        if f.name == "test_docs.py":
            continue
        for pat in (r"\.\./shared", r"\bissue \d+\b", r"\(issue \d+\)", r"#\d{1,3}\b(?![0-9a-fA-F])(?=[\s,.)])"):
            for m in re.finditer(pat, text):
                line = text[:m.start()].count("\n") + 1
                bad.append(f"{f.relative_to(ROOT)}:{line}: {m.group(0)}")
    assert not bad, bad


def _cli(args, env_url=None, **kw):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    if env_url:
        env["OVERSIGHT_DB_URL"] = env_url
    return subprocess.run([sys.executable, "-c", BLOCKER, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, **kw)


HELP_ALL = BLOCKER.replace("from cli.main import main\nsys.exit(main(sys.argv[1:]))\n", """
import contextlib, io, json, re
from cli.main import main

def run(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()

def choices(text, member=None):
    sets = [m.split(",") for m in re.findall(r"\\{([a-z,-]+)\\}", text)]
    return next((x for x in sets if member is None or member in x), [])

cmds = [[c] for c in choices(run(["--help"])[1])]
cmds += [["users", c] for c in choices(run(["users", "--help"])[1], "list")]
print(json.dumps({" ".join(c): run([*c, "--help"]) for c in cmds}))
""")


def test_every_command_answers_help_without_the_test_extras():
    """One process asks every command and subcommand for its help (importing each command's module)."""
    r = subprocess.run([sys.executable, "-c", HELP_ALL], cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    import json

    helps = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(helps) >= 12 and "users list" in helps and "briefing" in helps, sorted(helps)
    failed = {c: err[-400:] for c, (rc, out, err) in helps.items() if rc not in (0, None) or "usage:" not in out}
    assert not failed, failed


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_cheap_real_calls_without_the_test_extras(db, tmp_path):
    url = db.url.render_as_string(hide_password=False)
    calls = [
        (["info"], 0),
        (["figures", "--region", "宿迁市", "--format", "json"], 0),
        (["template", "grids", str(tmp_path / "grids.xlsx")], 0),
        (["users", "list"], 0),
        (["briefing", "--region", "盐城市", "--out", str(tmp_path / "b.csv")], 0),
        (["import", "grids", str(tmp_path / "grids.xlsx"), "--dry-run"], None),  # an empty template: refused or ok
    ]
    for args, want in calls:
        r = _cli(args, url)
        assert "Traceback" not in r.stderr, (args, r.stderr[-800:])
        if want is not None:
            assert r.returncode == want, (args, r.stdout[-400:], r.stderr[-800:])
    assert (tmp_path / "grids.xlsx").stat().st_size > 0 and (tmp_path / "b.csv").stat().st_size > 0
