"""简报取数: the bulletin's wording, the exports (DOCX, XLSX, CSV) from the CLI and from the page, the audit log,
and the page itself (figures with 口径, sentences, roles)."""
from __future__ import annotations

import datetime as dt
import getpass
import re

import pytest

from cli import main as oversight
from queries import audit, briefing, enforcement, risk
from queries.scope import Scope
from tests.apptest_util import app, clear_caches
from tests.briefing_checks import (  # noqa: F401 - downloads is a fixture
    SQ_SENTENCE, YC_SENTENCE, assert_calibration, downloads, figures_table, read_docx, read_xlsx, sentences_shown,
)

BULLETIN = ["--from", "2021-01-01", "--to", "2021-02-28", "--as-of", "2021-03-13"]
PARAMS = {"regions": "320900,321300", "from": "2021-01-01", "to": "2021-02-28", "as_of": "2021-03-13 23:59:59"}
AS_OF = dt.datetime(2021, 3, 13, 23, 59, 59)


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


# --- wording (no database) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("a,b,ref,want", [
    ("2021-01-01", "2021-02-28", "2021-03-13", "1-2月份"),
    ("2021-03-01", "2021-03-31", "2021-04-10", "3月份"),
    ("2020-01-01", "2020-02-29", "2021-03-13", "2020年1-2月份"),
    ("2020-01-01", "2020-12-31", "2021-03-13", "2020年"),
    ("2020-09-01", "2021-03-13", "2021-03-13", "2020年9月以来"),
    ("2021-09-01", None, "2021-10-13", "9月以来"),
    ("2021-01-01", "2021-03-13", "2021-03-13", "今年以来"),
    ("2020-09-01", "2021-02-28", "2021-03-13", "2020年9月至2021年2月"),
    ("2021-01-05", "2021-02-10", "2021-03-13", "1月5日至2月10日"),
    ("2020-12-05", "2021-02-10", "2021-03-13", "2020年12月5日至2021年2月10日"),
    (None, "2021-02-28", "2021-03-13", "截至2月28日"),
    (None, None, "2021-03-13", "截至目前"),
])
def test_period_phrase(a, b, ref, want):
    d = (lambda s: dt.date.fromisoformat(s) if s else None)
    assert briefing.period_phrase(d(a), d(b), d(ref)) == want


def test_whole_region_wording_and_numbers():
    assert briefing.whole_word("province", "江苏省") == "全省"
    assert briefing.whole_word("city", "盐城市") == "全市"
    assert briefing.whole_word("county", "响水县") == "全县"
    assert briefing.whole_word("county", "亭湖区") == "全区"
    assert briefing.whole_word("county", "东台市") == "全市"
    assert [briefing.num(v) for v in (11703, 22.4, 24.0, 1975.86, 4.1)] == ["11703", "22.4", "24", "1975.86", "4.1"]


# --- figures and sentences from the query layer ------------------------------------------------------------------

def test_region_figures_carry_definition_scope_period_as_of_and_source(db):
    s = Scope(region=320900, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28), as_of=AS_OF)
    figs = {f.key: f for f in briefing.region_figures(s, engine=db)}
    e = figs["enforcement.enterprises_inspected"]
    assert e.value == 11703 and e.basis == "period" and e.period == "2021-01-01 至 2021-02-28"
    assert e.as_of == "2021-03-13 23:59:59" and e.scope == "盐城市 · 全部行业"
    assert e.source == "queries.enforcement.summary" and "同一企业多次检查计 1 家" in e.definition
    c = figs["risk.completed"]
    assert c.basis == "cutoff" and c.period == "截至 2021-03-13 23:59:59" and c.source == "queries.risk.completion"
    assert figs["risk.training_sessions"].source == "queries.risk.training"
    assert not any(f.basis == "live" for f in figs.values())  # not reproducible as of a past time: left out
    assert all(f.definition and f.source and f.period and f.as_of for f in figs.values())
    # the to-date figures are those of the as-of time, not of the period's end
    assert c.value == risk.completion(Scope(region=320900, as_of=AS_OF), engine=db)["completed"]


def test_sentences_in_the_bulletins_words(db):
    b = briefing.build([Scope(region=r, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28), as_of=AS_OF)
                        for r in (320900, 321300, 320921)], engine=db, issue_no="第5期")
    yc, sq, xs = b.sections
    assert yc.sentences[0].text == YC_SENTENCE
    assert SQ_SENTENCE in [s.text for s in sq.sentences]
    assert xs.data.name == "响水县" and xs.sentences[0].text.startswith("1-2月份，全县共检查企业")
    assert xs.data.table_kind == "行业"


# --- CLI -------------------------------------------------------------------------------------------------------

def _cli(capsys, *argv):
    rc = oversight.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])
def test_cli_exports_hold_the_calibration_figures_and_sentences(db, capsys, tmp_path, fmt):
    since = dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=1)
    out = tmp_path / f"brief.{fmt}"
    rc, stdout, err = _cli(capsys, "briefing", "--region", "盐城市", "--region", "宿迁市", *BULLETIN,
                           "--issue", "第5期", "--out", str(out))
    assert rc == 0, err
    assert "2 region(s)" in stdout and "as of 2021-03-13 23:59:59" in stdout
    assert_calibration(fmt, out.read_bytes())
    rec = audit.recent(event="export", username=getpass.getuser(), since=since, engine=db)
    assert rec and rec[0]["detail"]["format"] == fmt and rec[0]["detail"]["source"] == "cli"
    assert rec[0]["detail"]["scope"] == {"regions": [320900, 321300], "region_names": ["盐城市", "宿迁市"],
                                         "industry": None, "industry_name": "全部行业", "from": "2021-01-01",
                                         "to": "2021-02-28", "as_of": "2021-03-13 23:59:59"}


def test_docx_is_a_bulletin_issue(db, capsys, tmp_path):
    out = tmp_path / "brief.docx"
    rc, _, err = _cli(capsys, "briefing", "--region", "盐城市", "--region", "宿迁市", *BULLETIN, "--issue", "第5期",
                      "--out", str(out))
    assert rc == 0, err
    _, text, doc = read_docx(out.read_bytes(), ["盐城市", "宿迁市"])
    paras = [p.text for p in doc.paragraphs]
    assert paras[0] == "江苏应急管理简报" and paras[1] == "第5期"
    assert paras[2] == "江苏省应急管理厅\t2021年3月13日"
    assert "内 容 要 目" in paras and paras.count("【地方工作】") == 2
    titles = [p for p in paras if p.endswith("工作情况")]
    assert titles[:2] == titles[2:] and len(titles) == 4 and titles[0].startswith("盐城市")  # 要目 = section titles
    assert "抄送：国务院安委会办公室。" in paras and paras[-1] == "江苏省应急管理厅\t2021年3月13日印发"
    # Chinese text carries an East Asian font, so Word and LibreOffice render it
    from docx.oxml.ns import qn

    run = doc.paragraphs[0].runs[0]
    assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    body = next(p for p in doc.paragraphs if YC_SENTENCE in p.text)
    assert all(r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in body.runs)


def test_xlsx_has_a_scope_sheet_and_a_sheet_per_topic(db, capsys, tmp_path):
    out = tmp_path / "brief.xlsx"
    rc, _, err = _cli(capsys, "briefing", "--region", "盐城市", *BULLETIN, "--out", str(out))
    assert rc == 0, err
    _, _, wb = read_xlsx(out.read_bytes())
    assert wb.sheetnames[:2] == ["说明", "简报句子"]
    assert {"执法专项行动", "风险报告", "安全信用脸谱", "网格化监管", "明细-盐城市"} <= set(wb.sheetnames)
    scope = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert scope["统计期"] == "2021-01-01 至 2021-02-28" and scope["数据截止时间"] == "2021-03-13 23:59:59"
    assert not [k for k in scope if re.search("[A-Za-z]", k)]  # the writers' sheet names its items in Chinese
    assert scope["生成人"] == getpass.getuser() and scope["生成时间"][:4].isdigit()
    assert "oversight briefing --region 320900" in scope["复现命令"]


def test_cli_bad_input_exits_2(db, capsys, tmp_path):
    for argv in (["--region", "火星市", "--out", str(tmp_path / "a.docx")],
                 ["--as-of", "soon", "--out", str(tmp_path / "a.docx")],
                 ["--out", str(tmp_path / "a.pdf")],
                 ["--from", "2021-03-01", "--to", "2021-01-01", "--out", str(tmp_path / "a.csv")]):
        rc, out, err = _cli(capsys, "briefing", *argv)
        assert rc == 2 and err.startswith("error:"), argv
    assert not list(tmp_path.iterdir())


# --- the page ------------------------------------------------------------------------------------------------

def test_page_figures_sentences_and_exports(db, downloads):
    since = dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=1)
    at = app("briefing", "writer", params=PARAMS)
    assert not at.exception, at.exception
    codes = sentences_shown(at)
    assert YC_SENTENCE in codes and SQ_SENTENCE in codes
    rows = figures_table(at)
    period = Scope(region=320900, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28), as_of=AS_OF)
    en = enforcement.summary(period, engine=db)
    for k in ("enterprises_inspected", "hazards_found", "suspensions", "cases_filed"):
        assert rows[("盐城市", f"enforcement.{k}")]["数值"] == str(en[k])
    rk = risk.completion(Scope(region=321300, as_of=AS_OF), engine=db)
    assert rows[("宿迁市", "risk.completed")]["数值"] == str(rk["completed"]) == "385"
    assert rows[("宿迁市", "risk.completion_rate")]["数值"] == "22.4"
    for r in rows.values():  # every figure is citable
        assert r["口径"] and r["统计期"] and r["数据截止"] == "2021-03-13 23:59:59" and r["来源查询"].startswith("queries.")
    # the three downloads, as a click would generate them
    assert len(downloads) == 3
    for name, make in downloads.items():
        fmt = name.rsplit(".", 1)[1]
        assert "盐城市、宿迁市" in name and "截至202103132359" in name
        assert_calibration(fmt, make())
    rec = audit.recent(event="export", username="writer", since=since, engine=db)
    assert sorted(r["detail"]["format"] for r in rec[:3]) == ["csv", "docx", "xlsx"]
    assert all(r["detail"]["source"] == "page" and r["detail"]["scope"]["regions"] == [320900, 321300]
               for r in rec[:3])


def test_a_refused_form_says_the_figures_below_are_the_last_ones(db):
    """No region, or half a period: a message, the address and the figures unchanged, and the writer told that the
    figures and files below are still the last ones fetched (not the form's)."""
    at = app("briefing", "writer", params=PARAMS)
    before = dict(at.query_params)
    shown = sentences_shown(at)
    for change in (lambda: at.multiselect[0].set_value([]),
                   lambda: at.date_input[0].set_value((dt.date(2021, 1, 1),))):
        at = app("briefing", "writer", params=PARAMS)
        change()
        at.button[0].click().run()
        assert not at.exception, at.exception
        said = [w.value for w in at.warning]
        assert any(("请至少选择一个地区" in w or "请选择统计期的开始和结束日期" in w) and "以下仍是上次取数的结果" in w
                   for w in said), said
        assert dict(at.query_params) == before and sentences_shown(at) == shown


def test_page_form_writes_the_choice_to_the_url(db):
    at = app("briefing", "writer")
    assert not at.exception, at.exception
    at.multiselect[0].set_value([320900])
    at.date_input[0].set_value((dt.date(2021, 1, 1), dt.date(2021, 2, 28)))
    at.date_input[1].set_value(dt.date(2021, 3, 13))
    at.time_input[0].set_value(dt.time(23, 59))
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.query_params["regions"] == "320900"
    assert at.query_params["as_of"] == "2021-03-13 23:59:59"
    assert YC_SENTENCE in sentences_shown(at)


@pytest.mark.parametrize("user,region", [("leader", "江苏省"), ("admin", "江苏省"), ("yancheng", "盐城市"),
                                         ("suqian", "宿迁市")])
def test_page_for_each_role_defaults_to_its_region(db, user, region):
    at = app("briefing", user, params={"from": "2021-01-01", "to": "2021-02-28", "as_of": "2021-03-13"})
    assert not at.exception, at.exception
    rows = figures_table(at)
    assert {k[0] for k in rows} == {region}
    assert sentences_shown(at)[0].startswith("1-2月份，" + ("全省" if region == "江苏省" else "全市") + "共检查企业")


def test_city_user_cannot_brief_another_city(db):
    at = app("briefing", "yancheng", params={**PARAMS, "regions": "321300,320921"})
    assert not at.exception, at.exception
    assert any("无权查看" in e.value for e in at.error)
    assert {k[0] for k in figures_table(at)} == {"响水县"}
    labels = at.multiselect[0].options  # only their city and its counties to choose from
    assert labels[0] == "盐城市" and len(labels) == 10 and all(x.startswith("盐城市") for x in labels)


def test_duty_role_has_no_briefing(db):
    at = app("briefing", "duty")
    assert not at.exception
    assert not at.dataframe and any("无权使用" in w.value for w in at.warning)


# --- 督办 -----------------------------------------------------------------------------------------------------------

DUBAN_KEYS = ("supervision.sent", "supervision.closed", "supervision.closed_rate", "supervision.open",
              "supervision.overdue")


def _duban_periods(now: dt.datetime):
    today = now.date()
    return [(today - dt.timedelta(days=60), today), (dt.date(2021, 1, 1), dt.date(2021, 6, 30))]


@pytest.mark.parametrize("region,name,whole", [(320900, "盐城市", "全市"), (320000, "江苏省", "全省")])
def test_duban_sentence_equals_the_summary(db, region, name, whole):
    """"督办N件，已办结M件；目前超期未反馈督办K件" ("未发出督办；…" when N is 0): N and M those of supervision.summary for
    the period, K that at the as-of time (the figures' 口径: sent in the period; overdue at the cut-off, whenever
    sent)."""
    import re

    from queries import supervision

    now = dt.datetime.now().replace(microsecond=0)
    seen = []
    for date_from, date_to in _duban_periods(now):
        s = Scope(region=region, date_from=date_from, date_to=date_to, as_of=now)
        flow = supervision.summary(s, engine=db)
        standing = supervision.summary(briefing.todate_scope(s), engine=db)
        b = briefing.build([s], engine=db)
        sents = [x for x in b.sections[0].sentences if x.topic == "supervision"]
        assert len(sents) == 1, [x.text for x in b.sections[0].sentences]
        text = sents[0].text
        m = re.fullmatch(r"(.+)，(全省|全市)(?:督办(\d+)件，已办结(\d+)件|未发出督办)；目前超期未反馈督办(\d+)件。", text)
        assert m, text
        assert m.group(1) == briefing.period_phrase(date_from, date_to, now.date()) and m.group(2) == whole
        assert (m.group(3) is None) == (flow["sent"] == 0), text
        assert tuple(int(x or 0) for x in m.groups()[2:]) == (flow["sent"], flow["closed"], standing["overdue"])
        assert sents[0].keys == ("supervision.sent", "supervision.closed", "supervision.overdue")
        # the figures the sentence cites are in the briefing with their 口径
        figs = {f.key: f for f in b.figures}
        assert all(k in figs and figs[k].definition for k in DUBAN_KEYS)
        assert (figs["supervision.sent"].value, figs["supervision.closed"].value, figs["supervision.overdue"].value,
                figs["supervision.open"].value) == (flow["sent"], flow["closed"], standing["overdue"],
                                                    standing["open"])
        seen.append((flow["sent"], standing["overdue"]))
    # the recent period holds the demo's orders, 2021 none (yet some are overdue now): both cases are covered
    assert seen[0][0] > 0 and seen[1][0] == 0 and seen[1][1] > 0


def test_duban_sentence_is_left_out_when_all_zero(db):
    s = Scope(region=321300, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28), as_of=AS_OF)
    b = briefing.build([s], engine=db)
    assert not [x for x in b.sections[0].sentences if x.topic == "supervision"]
    assert {f.key: f.value for f in b.figures}["supervision.sent"] == 0  # still cited, as zero


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "csv"])
def test_duban_sentence_and_figures_in_every_export(db, capsys, tmp_path, fmt):
    import re

    from queries import figures, supervision
    from tests.briefing_checks import read_csv

    now = dt.datetime.now().replace(microsecond=0)
    date_from, date_to = _duban_periods(now)[0]
    out = tmp_path / f"brief.{fmt}"
    rc, _, err = _cli(capsys, "briefing", "--region", "盐城市", "--from", str(date_from), "--to", str(date_to),
                      "--as-of", now.isoformat(sep=" "), "--out", str(out))
    assert rc == 0, err
    s = Scope(region=320900, date_from=date_from, date_to=date_to, as_of=now)
    flow = supervision.summary(s, engine=db)
    standing = supervision.summary(briefing.todate_scope(s), engine=db)
    want = f"督办{flow['sent']}件，已办结{flow['closed']}件；目前超期未反馈督办{standing['overdue']}件。"
    data = out.read_bytes()
    cat = figures.catalogue()
    if fmt == "docx":
        _, text, _ = read_docx(data, ["盐城市"])
        para = next(p for p in text.split("\n") if want in p)
        assert re.search(r"[一二三四五六七八九十]是督办落实。", para)
    elif fmt == "xlsx":
        values, text, wb = read_xlsx(data)
        assert want in text
        rows = list(wb["督办"].iter_rows(values_only=True))
        h = list(rows[0])
        cited = {r[h.index("指标代码")]: r for r in rows[1:]}
        # the 督办 sheet cites every figure of the supervision topic (orders and the list checks' rates)
        assert set(cited) == {k for k in cat if k.startswith("supervision.")}
        for k in cited:
            assert cited[k][h.index("口径")] == cat[k].definition
        for k in DUBAN_KEYS:
            assert cited[k][h.index("来源查询")] == "queries.supervision.summary"
        assert values[("盐城市", "supervision.overdue")] == standing["overdue"]
    else:
        values, text, rows = read_csv(data)
        assert want in text
        for k in DUBAN_KEYS:
            r = next(r for r in rows if r["类型"] == "指标" and r["指标代码"] == k)
            assert r["口径"] == cat[k].definition and r["专题"] == "督办"
        assert values[("盐城市", "supervision.sent")] == flow["sent"] > 0
        sent_row = next(r for r in rows if r["类型"] == "句子" and want in r["数值"])
        assert "supervision.sent" in sent_row["口径"] and "supervision.overdue" in sent_row["口径"]


def test_oversight_figures_lists_the_supervision_figures(db, capsys):
    import json

    from queries import supervision
    from cli import main as cli_main

    rc = cli_main.main(["figures", "--region", "盐城市"])
    out = capsys.readouterr().out
    assert rc == 0
    d = json.loads(out)
    assert {"sent", "closed", "closed_rate", "open", "overdue"} <= set(d["supervision"])
    assert {k: d["better"]["supervision"][k] for k in ("sent", "closed", "closed_rate", "open", "overdue")} == \
        {"sent": None, "closed": "up", "closed_rate": "up", "open": "down", "overdue": "down"}
    got = supervision.summary(Scope(region=320900), engine=db)
    assert {k: d["supervision"][k] for k in ("sent", "closed", "open", "overdue")} == \
        {k: got[k] for k in ("sent", "closed", "open", "overdue")} and got["open"] > 0
    rc = cli_main.main(["figures", "--region", "盐城市", "--format", "markdown"])
    md = capsys.readouterr().out
    from queries.figures import catalogue

    for k in DUBAN_KEYS:
        assert f"| {k} | {catalogue()[k].label} |" in md
