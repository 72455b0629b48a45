"""The figures catalogue: each figure declared once, beside its query function, with a better direction; the CLI
shows the direction; pages take catalogue figures' labels and help texts from the catalogue, never their own."""
from __future__ import annotations

import ast
import json

import pytest

from cli import main as oversight
from queries import figure_defs, figures
from tests.dbcache import ROOT

TOPIC_ORDER = ["platform", "hazards", "warnings", "enforcement", "risk", "credit", "grids", "supervision"]


def _calls(tree: ast.AST, name: str):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == name) or (isinstance(f, ast.Attribute) and f.attr == name):
                yield node


# --- the declarations ---------------------------------------------------------------------------------------------

def test_every_figure_declares_a_better_direction():
    cat = figures.catalogue()
    assert len(cat) == 85 and list(dict.fromkeys(d.topic for d in cat.values())) == TOPIC_ORDER
    bad = {k: d.better for k, d in cat.items() if d.better not in ("up", "down", None)}
    assert not bad, bad
    assert {d.better for d in cat.values()} == {"up", "down", None}
    # written out in every declaration (None too), not left to a default: read from the source
    missing = []
    for f in sorted((ROOT / "queries").glob("*.py")):
        for call in _calls(ast.parse(f.read_text(encoding="utf-8")), "fig"):
            if "better" not in {k.arg for k in call.keywords}:
                missing.append(f"{f.name}:{call.lineno}")
    assert not missing, missing


def test_some_directions_that_a_reader_relies_on():
    cat = figures.catalogue()
    want = {"enforcement.rectification_rate": "up", "enforcement.hazards_found": "up", "hazards.points_offline": "down",
            "hazards.online_rate": "up", "warnings.open": "down", "warnings.avg_ack_min": "down", "credit.red": "down",
            "credit.green": "up", "credit.red_yellow": "down", "credit.red_yellow_share": "down",
            "risk.outstanding": "down",
            "platform.enterprises": None, "grids.enterprises_filed": None}
    assert {k: cat[k].better for k in want} == want


def test_a_bad_declaration_is_refused():
    def src(scope, *, engine=None):
        return {}

    with pytest.raises(ValueError, match="better"):
        figure_defs.declare("t", src, basis="period", figures=[figure_defs.fig("x", "X", "个", "d", better="higher")])
    with pytest.raises(ValueError, match="basis"):
        figure_defs.declare("t", src, basis="now", figures=[figure_defs.fig("x", "X", "个", "d", better=None)])
    with pytest.raises(TypeError):
        figure_defs.fig("x", "X", "个", "d")  # no direction


def test_each_declaration_lives_in_the_module_of_its_source_function():
    cat = figures.catalogue()
    seen = []
    for mod in figures._MODULES:
        for d in mod.FIGURES:
            assert d.source.__module__ == mod.__name__, (d.key, d.source_name, mod.__name__)
            assert getattr(mod, d.source.__name__) is d.source, d.key
            assert cat[d.key] is d
            seen.append(d.key)
    assert seen == list(cat), "the catalogue is exactly the modules' declarations, in their order"
    # in the source: every declare(topic, fn, ...) names a function defined in the same file, and no other file
    # (figures.py itself included) declares figures or restates a catalogue definition
    definitions = {d.definition for d in cat.values() if len(d.definition) >= 8}
    declaring = set()
    for f in sorted((ROOT / "queries").rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for call in _calls(tree, "declare"):
            if f.name == "figure_defs.py":
                continue
            fn = call.args[1]
            assert isinstance(fn, ast.Name) and fn.id in defs, f"{f.name}:{call.lineno}: source not defined here"
            declaring.add(f.stem)
        consts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if f.stem not in {m.__name__.rsplit(".", 1)[1] for m in figures._MODULES}:
            assert not consts & definitions, f"{f.name} restates a figure's definition"
    assert declaring == {m.__name__.rsplit(".", 1)[1] for m in figures._MODULES}


# --- the command line ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_cli_shows_the_direction(db, capsys):
    assert oversight.main(["figures", "--region", "宿迁市", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["better"]["hazards"]["points_offline"] == "down" and d["better"]["platform"]["enterprises"] is None
    assert {t: set(v) for t, v in d["better"].items()} == {t: set(d[t]) for t in TOPIC_ORDER}
    assert oversight.main(["figures", "--region", "宿迁市", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| key | 指标 | 数值 | 单位 | 方向 | 口径 |" in out
    assert "| enforcement.rectification_rate | 隐患整改率 |" in out and "| % | 越高越好 | 已整改隐患 ÷ 排查隐患 |" in out
    assert "| 家 | 越低越好 | 最新等级为红色的企业数" in out and "| 家 | 中性 | 平台登记的企业数 |" in out


def test_a_rate_of_nothing_is_no_value(db, capsys):
    """A rate or an average whose base (its denominator) is 0 has no value: the catalogue reads it as None, so the
    figures, the CLI's JSON and markdown and the briefing's sentences show no number, not 0 %; with a base it is
    the source's value."""
    import datetime as dt

    from queries import briefing
    from queries.scope import Scope

    cat = figures.catalogue()
    based = {k: d for k, d in cat.items() if d.base}
    assert len(based) >= 10
    for key, d in based.items():  # the rule itself, on a result of each figure's shape
        assert d.value_of({d.base: 0, d.field: 12.5} if isinstance(d.field, str) else {d.base: 0}) is None, key
        if isinstance(d.field, str):
            assert d.value_of({d.base: 3, d.field: 12.5}) == 12.5 and d.value_of({d.base: 3, d.field: 0.0}) == 0.0
    empty = Scope(region=320100, date_from=dt.date(2018, 1, 1), date_to=dt.date(2018, 12, 31))
    full = Scope(region=320900, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28))
    nothing = set()
    for s in (empty, full):
        results = {}
        for f in figures.collect(s, engine=db, keys=set(based)):
            d = based[f.key]
            res = results.setdefault(d.source, d.source(s, engine=db))
            if res[d.base]:
                assert f.value is not None and f.value == res[d.field], f.key
            else:
                assert f.value is None, f.key
                nothing.add((s.region, f.key))
    assert {(320100, "enforcement.rectification_rate"), (320100, "enforcement.avg_fine_wan"),
            (320100, "credit.red_yellow_share")} <= nothing
    assert not {k for r, k in nothing if r == 320900 and cat[k].topic in ("enforcement", "risk", "credit")}
    assert oversight.main(["figures", "--region", "南京市", "--from", "2018-01-01", "--to", "2018-12-31",
                           "--format", "json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["enforcement"]["rectification_rate"] is None and j["credit"]["red_yellow_share"] is None
    assert j["enforcement"]["hazards_found"] == 0  # a count of nothing is 0
    assert oversight.main(["figures", "--region", "南京市", "--from", "2018-01-01", "--to", "2018-12-31",
                           "--format", "markdown"]) == 0
    assert "| enforcement.rectification_rate | 隐患整改率 |  | % |" in capsys.readouterr().out
    figs = figures.collect(empty, engine=db) + [
        figures.Figure("risk.completion_rate", "risk", "完成上报率", None, "%", "", ""),
        *(figures.Figure(f"warnings.{k}", "warnings", k, v, "", "", "")
          for k, v in (("raised", 5), ("closed", 0), ("avg_close_min", None), ("open", 5)))]
    said = " ".join(x.text for x in briefing.sentences(figs, level="city", name="南京市", date_from=empty.date_from,
                                                     date_to=empty.date_to, as_of=None))
    assert "完成上报率—。" in said and "0.0%" not in said
    # an average of nothing closed is left out of its sentence, not written as "—"; a period without warnings says so
    assert "共产生预警5条，已消警0条；目前尚有未消警预警5条。" in said and "平均消警时长" not in said
    none = [f if f.key != "warnings.raised" else figures.Figure("warnings.raised", "warnings", "", 0, "", "", "")
            for f in figs]
    said = " ".join(x.text for x in briefing.sentences(none, level="city", name="南京市", date_from=empty.date_from,
                                                     date_to=empty.date_to, as_of=None))
    assert "监测预警系统未产生预警；目前尚有未消警预警5条。" in said
    slow = [f if f.key != "warnings.avg_close_min" else figures.Figure(f.key, "warnings", "", 487.5, "", "", "")
            for f in figs]
    said = " ".join(x.text for x in briefing.sentences(slow, level="city", name="南京市", date_from=empty.date_from,
                                                     date_to=empty.date_to, as_of=None))
    assert "平均消警时长487.5分钟（约8.1小时）；" in said


# --- pages: catalogue figures are labelled and explained by the catalogue -------------------------------------

def _literal(node) -> str | None:
    """The text of a string literal, or of an f-string's literal parts (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def page_literal_metrics(root=ROOT) -> list[tuple[str, int, str, str | None]]:
    """(file, line, label, help) of every metric or wall tile on a page whose label is written in the page."""
    out = []
    for f in sorted((root / "pages").glob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for name, label_at in (("metric", 0), ("tile", 1)):
            for call in _calls(tree, name):
                if name == "metric" and isinstance(call.func, ast.Name):
                    continue  # pages.common.metric(key, …): the catalogue's label
                if len(call.args) <= label_at:
                    continue
                label = call.args[label_at]
                # a label with placeholders is not any one text: only a written-out label can be compared
                label = _literal(label) if not isinstance(label, ast.JoinedStr) or all(
                    isinstance(v, ast.Constant) for v in label.values) else None
                help_ = next((_literal(k.value) for k in call.keywords if k.arg == "help"), None)
                if label is not None:
                    out.append((f.name, call.lineno, label, help_))
    return out


def restated(found) -> list[str]:
    """Metrics that write a catalogue figure's label, or a help text holding a catalogue definition."""
    cat = figures.catalogue().values()
    labels = {d.label for d in cat} | {d.short for d in cat}
    definitions = {d.definition for d in cat}
    bad = [f"{f}:{n}: {label}" for f, n, label, _ in found if label in labels]
    bad += [f"{f}:{n}: the help of {label} restates a definition" for f, n, label, h in found
            if h and any(d in h for d in definitions)]
    return bad


def test_pages_write_no_label_or_help_of_a_catalogue_figure():
    found = page_literal_metrics()
    assert len(found) > 20, "the scan finds the pages' own metrics"
    bad = restated(found)
    assert not bad, "use pages.common.metric(key, …) / figure_label / figure_help:\n" + "\n".join(bad)


def test_the_page_scan_would_see_a_restated_figure(tmp_path):
    """The check above can fail: a page that writes a catalogue label, or a definition as its own help, is found."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "x.py").write_text(
        'import streamlit as st\ncols = st.columns(2)\n'
        'cols[0].metric("隐患整改率", "97.0%", border=True, help="整改的隐患占比")\n'
        'st.metric("巡查次数", "3 个", help=f"口径：已整改隐患 ÷ 排查隐患，{3}")\n'
        'tile("a", f"报警监测点", "3 个", help="超限的点")\n'
        'metric("enforcement.rectification_rate", 97.0)\n', encoding="utf-8")
    found = page_literal_metrics(tmp_path)
    assert [label for _, _, label, _ in found] == ["隐患整改率", "巡查次数", "报警监测点"]
    assert len(restated(found)) == 3
