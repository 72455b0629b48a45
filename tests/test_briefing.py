"""简报取数: the bulletin's wording, the exports (DOCX, XLSX, CSV) from the CLI and from the page, the audit log,
and the page itself (figures with 口径, sentences, roles)."""
from __future__ import annotations

import datetime as dt
import getpass

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


@pytest.fixture(autouse=True)
def _fresh():
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
    assert scope["统计期"] == "2021-01-01 至 2021-02-28" and scope["数据截止（as-of）"] == "2021-03-13 23:59:59"
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
