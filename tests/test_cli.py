"""``oversight figures`` (JSON and Markdown) and its handling of bad input."""
from __future__ import annotations

import json

from cli import main as oversight


def run(capsys, *argv):
    rc = oversight.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_figures_json_yancheng(db, capsys):
    rc, out, _ = run(capsys, "figures", "--region", "盐城市", "--from", "2021-01-01", "--to", "2021-02-28")
    assert rc == 0
    d = json.loads(out)
    assert d["scope"]["region"] == 320900
    e = d["enforcement"]
    assert (e["enterprises_inspected"], e["hazards_found"], e["suspensions"], e["cases_filed"]) == (11703, 22509, 77, 798)
    assert set(d) >= {"platform", "hazards", "warnings", "enforcement", "risk", "credit", "grids"}


def test_figures_as_of_suqian(db, capsys):
    rc, out, _ = run(capsys, "figures", "--region", "321300", "--to", "2021-03-13", "--as-of", "2021-03-13")
    d = json.loads(out)
    r = d["risk"]
    assert rc == 0 and (r["completed"], r["required"], r["completion_rate"]) == (385, 1720, 22.4)
    assert (r["risks_major_or_above"], r["risks_major"]) == (1019, 56)


def test_figures_markdown_and_several_regions(db, capsys):
    rc, out, _ = run(capsys, "figures", "--region", "南京市", "--region", "宿迁市", "--format", "markdown")
    assert rc == 0
    assert out.count("| key | 指标 |") == 2 and "南京市" in out and "宿迁市" in out
    assert "| grids.anquan | 安全生产监管网格 | 16,000 |" in out


def test_bad_input_exits_2_with_a_message(db, capsys):
    for argv in (["--region", "火星市"], ["--from", "2021-02-30"], ["--as-of", "soon"], ["--industry", "nope"],
                 ["--from", "2021-03-01", "--to", "2021-01-01"]):
        rc, out, err = run(capsys, "figures", *argv)
        assert rc == 2 and out == "" and err.startswith("error:"), argv
