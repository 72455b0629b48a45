"""Command-line output that cannot be written, and passwords without a terminal: a Chinese message and a non-zero
exit status (2: refused before any work, 1: the write failed), never a traceback or a half-written file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main as oversight
from cli.output import OutError, check_out, write_out
from tests.dbcache import ROOT


def chinese(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def bad_outs(tmp: Path, suffix: str) -> dict[str, tuple[Path, set[int]]]:
    """Places an output cannot go, and the exit status each may give."""
    (tmp / f"dir{suffix}").mkdir()
    (tmp / "plain.txt").write_text("x")
    full = tmp / f"full{suffix}"
    full.symlink_to("/dev/full")
    cases = {
        "a directory": (tmp / f"dir{suffix}", {2}),
        "under a file": (tmp / "plain.txt" / f"x{suffix}", {2}),
        "a device that is full": (full, {1}),
        "a read-only place": (Path(f"/sys/oversight-test{suffix}"), {2}),
        "a place files cannot be made": (Path(f"/proc/oversight-test{suffix}"), {2}),
        "a trailing slash": (Path(str(tmp / f"dir{suffix}") + "/"), {2}),
    }
    if os.geteuid() != 0:  # root writes into a read-only directory anyway
        ro = tmp / "readonly"
        ro.mkdir()
        ro.chmod(0o555)
        cases["a read-only directory"] = (ro / f"x{suffix}", {2})
    return cases


def run(capsys, *argv):
    rc = oversight.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_template_to_a_bad_place(tmp_path, capsys):
    for what, (path, codes) in bad_outs(tmp_path, ".xlsx").items():
        rc, out, err = run(capsys, "template", "grids", str(path))
        assert rc in codes and chinese(err) and "Traceback" not in err, (what, rc, err)
    assert not list(tmp_path.glob("**/*.part")) and not list(tmp_path.glob("**/.*.part"))
    good = tmp_path / "ok.xlsx"
    assert run(capsys, "template", "grids", str(good))[0] == 0 and good.stat().st_size > 4000
    good.write_bytes(b"old")  # a failed rewrite leaves the old file as it was
    os.chmod(good, 0o644)
    assert oversight.main(["template", "grids", str(tmp_path / "missing" / "x.xlsx")]) == 2


def test_briefing_to_a_bad_place(db, tmp_path, capsys):
    for what, (path, codes) in bad_outs(tmp_path, ".csv").items():
        rc, out, err = run(capsys, "briefing", "--region", "宿迁市", "--from", "2021-01-01", "--to", "2021-02-28",
                           "--out", str(path))
        assert rc in codes and chinese(err) and "Traceback" not in err, (what, rc, err)
    rc, out, err = run(capsys, "briefing", "--region", "宿迁市", "--from", "2021-01-01", "--to", "2021-02-28",
                       "--out", str(tmp_path / "new" / "dir" / "b.csv"))  # missing parents are still made
    assert rc == 0 and (tmp_path / "new" / "dir" / "b.csv").stat().st_size > 100, err


def test_bench_and_loadtest_refuse_a_bad_out_before_starting(tmp_path, capsys):
    for what, (path, codes) in bad_outs(tmp_path, ".json").items():
        if 1 in codes and 2 not in codes:
            continue  # only discoverable by writing, at the end of a run of minutes
        # (a database that is not there: should the check ever let a bad path through, the run fails at once)
        for argv in (["bench", "--db-url", "postgresql+psycopg://nobody@127.0.0.1:9/none", "--out", str(path)],
                     ["loadtest", "--url", "http://127.0.0.1:9", "--minutes", "0.01", "--out", str(path)]):
            rc, out, err = run(capsys, *argv)
            assert rc == 2 and chinese(err) and "Traceback" not in err, (what, argv, rc, err)


def test_bench_refuses_a_bad_number_of_runs_before_starting(capsys):
    for runs in ("0", "-1", "51"):
        rc, out, err = run(capsys, "bench", "--runs", runs, "--db-url", "postgresql+psycopg://nobody@127.0.0.1:9/none")
        assert rc == 2 and "--runs" in err and "Traceback" not in err, (runs, rc, err)
    for runs in ("three", "1.5", ""):
        with pytest.raises(SystemExit) as e:  # argparse's own refusal of what is not a whole number
            run(capsys, "bench", "--runs", runs)
        assert e.value.code == 2


def test_write_out_is_whole_or_nothing(tmp_path):
    target = tmp_path / "a.json"
    write_out(target, "first")
    with pytest.raises(OutError) as e:
        write_out(_full(tmp_path), "x" * 100_000)
    assert "磁盘空间不足" in str(e.value)
    assert target.read_text() == "first" and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    with pytest.raises(OutError):
        check_out(tmp_path)
    with pytest.raises(OutError):
        check_out("")


def _full(tmp: Path) -> Path:
    p = tmp / "full-device.json"
    p.symlink_to("/dev/full")
    return p


def _cli(args, db_url: str, **kw):
    env = {"OVERSIGHT_DB_URL": db_url, "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, cwd=ROOT, timeout=300,
                          **kw)


@pytest.mark.slow
def test_figures_to_a_full_or_closed_stdout(db):
    url = db.url.render_as_string(hide_password=False)
    for fmt in ("json", "markdown"):
        with open("/dev/full", "w") as full:
            r = _cli(["figures", "--region", "宿迁市", "--format", fmt], url, stdout=full, stderr=subprocess.PIPE,
                     text=True)
        assert r.returncode == 1 and chinese(r.stderr) and "Traceback" not in r.stderr, r.stderr
        assert "Exception ignored" not in r.stderr
    p = subprocess.Popen([sys.executable, "-m", "cli", "figures", "--format", "markdown"],
                         env={"OVERSIGHT_DB_URL": url, "PATH": "/usr/bin:/bin"}, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # the reader went away (`| head -0`)
    err = p.stderr.read()
    assert p.wait(timeout=300) == 1 and err == "", err  # quietly, as `| head` expects


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_passwords_without_a_terminal(db):
    url = db.url.render_as_string(hide_password=False)
    cases = [(["users", "reset-password", "leader"], ""),  # stdin is not a terminal, at its end
             (["users", "reset-password", "leader"], "secret\n"),  # a pipe is not a terminal either
             (["users", "reset-password", "leader", "--password-stdin"], ""),  # nothing on stdin
             (["users", "reset-password", "leader", "--password-stdin"], "\n"),
             (["users", "add", "newbie", "--role", "leader"], "")]
    for args, stdin in cases:
        r = _cli(args, url, input=stdin, capture_output=True, text=True)
        assert r.returncode == 2 and chinese(r.stderr) and "Traceback" not in r.stderr, (args, r.stderr)
        assert "ok:" not in r.stdout
    r = _cli(["users", "list"], url, capture_output=True, text=True)
    assert "newbie" not in r.stdout
