"""Spreadsheet intake: templates, row/column validation in Chinese, one transaction, idempotent upsert, provenance.

Each engine gets a copy of the seeded test database (imports write), shared by this module's tests in order.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from queries import db as dbmod
from queries.intake import KINDS, import_file, template_bytes
from queries.intake.cells import CellError, Col, parse_cell
from seed import schema as S
from seed.uscc import make_uscc
from tests.dbcache import ROOT, clone_database, remove_copy
from tests.intake_util import counties, csv_bytes, enterprises, province_campaign, snapshot, xlsx

NOW = dt.datetime(2021, 6, 1, 9, 0)


@pytest.fixture(scope="module")
def scratch(db, session_tmp):
    url = clone_database(db, f"intake_{db.dialect.name}", session_tmp)
    eng = dbmod.get_engine(url)
    yield eng
    remove_copy(url)


def run(kind, data, eng, name="city.xlsx", **kw):
    kw.setdefault("importer", "tester")
    kw.setdefault("now", NOW)
    return import_file(kind, data, name, engine=eng, **kw)


def problems(rep) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in rep.problems}


def enforcement_rows(eng, prefix="T") -> list[dict]:
    ents = enterprises(eng, 3, city=320100)
    camp = province_campaign(eng)
    return [
        {"record_no": f"{prefix}-JC-0001", "uscc": ents[0]["uscc"], "name": ents[0]["name"],
         "inspected_on": dt.date(2021, 4, 15), "department": "市应急管理局", "campaign": camp["name"],
         "hazards": 3, "major_hazards": 1, "rectified": 2, "rectified_on": dt.date(2021, 4, 30),
         "case_no": f"{prefix}苏宁应急罚〔2021〕1号", "filed_on": dt.date(2021, 4, 20), "stage": "决定",
         "decided_on": dt.date(2021, 5, 10), "fine_yuan": 50000},
        {"record_no": f"{prefix}-JC-0002", "uscc": ents[1]["uscc"], "inspected_on": "2021/4/16",
         "department": "区应急管理局", "online": "否", "hazards": 0, "suspended": "是"},
        {"record_no": f"{prefix}-JC-0003", "uscc": ents[2]["uscc"], "inspected_on": dt.date(2021, 5, 3),
         "department": "市应急管理局", "hazards": 2, "rectify_deadline": dt.date(2021, 6, 30)},
    ]


# --- the tests ----------------------------------------------------------------------------------------------------

def test_templates_have_every_column_and_an_instructions_sheet():
    from openpyxl import load_workbook
    import io

    for key, kind in KINDS.items():
        wb = load_workbook(io.BytesIO(template_bytes(key)))
        assert wb.sheetnames == ["数据", "填写说明"]
        headers = [c.value for c in wb["数据"][1]]
        assert headers == [c.header + ("*" if c.required else "") for c in kind.columns]
        described = [r[0].value for r in wb["填写说明"].iter_rows(min_row=6)]
        assert described == [c.header for c in kind.columns]


def test_enforcement_imports_once_and_reimport_changes_nothing(scratch):
    rows = enforcement_rows(scratch)
    data = xlsx("enforcement", rows)
    before = snapshot(scratch)
    rep = run("enforcement", data, scratch, name="南京市-2021-04.xlsx")
    assert rep.ok and rep.committed, rep.problems
    assert (rep.inserted, rep.updated, rep.unchanged) == (3, 0, 0)
    I, H, C, SO, B = S.inspections, S.hidden_hazards, S.cases, S.suspension_orders, S.import_batches
    with scratch.connect() as c:
        insp = {r.record_no: r for r in c.execute(select(I).where(I.c.record_no.like("T-JC-%")))}
        assert set(insp) == {"T-JC-0001", "T-JC-0002", "T-JC-0003"}
        first = insp["T-JC-0001"]
        assert (first.import_id, first.import_row) == (rep.batch_id, 2)
        assert insp["T-JC-0003"].import_row == 4
        assert first.campaign_id == province_campaign(scratch)["id"]
        assert insp["T-JC-0002"].online is False or insp["T-JC-0002"].online == 0
        hz = c.execute(select(H.c.major, H.c.rectified_on, H.c.rectify_deadline)
                       .where(H.c.inspection_id == first.id)).all()
        assert sorted(bool(h.major) for h in hz) == [False, False, False, True]
        assert sum(h.rectified_on is not None for h in hz) == 2
        assert {h.rectify_deadline for h in hz} == {dt.date(2021, 5, 15)}  # default: 30 days after
        case = c.execute(select(C).where(C.c.case_no == "T苏宁应急罚〔2021〕1号")).one()
        assert case.inspection_id == first.id and Decimal(str(case.fine_yuan)) == Decimal(50000)
        assert case.stage == "decided" and case.import_id == rep.batch_id
        assert c.execute(select(func.count()).select_from(SO).where(
            SO.c.inspection_id == insp["T-JC-0002"].id)).scalar() == 1
        batch = c.execute(select(B).where(B.c.id == rep.batch_id)).one()
        assert (batch.file_name, batch.importer, batch.imported_at) == ("南京市-2021-04.xlsx", "tester", NOW)
        assert (batch.rows, batch.inserted) == (3, 3) and len(batch.file_sha256) == 64
    after = snapshot(scratch)
    written = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    inserted = {k: v for k, v in written.items() if k.endswith(":INSERT")}
    assert inserted == {"inspections:INSERT": 3, "hidden_hazards:INSERT": 6, "cases:INSERT": 1,
                        "suspension_orders:INSERT": 1}, written
    assert set(written) - set(inserted) <= {"inspections:UPDATE"}, written  # the derived counts of the new ones

    again = run("enforcement", data, scratch, name="南京市-2021-04.xlsx", now=NOW + dt.timedelta(days=1))
    assert again.ok and (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.previous and again.previous["id"] == rep.batch_id
    assert snapshot(scratch) == after  # not a row, not a provenance column moved

    rows[0]["hazards"] = 4  # a correction: one more hazard found
    rows[2]["department"] = "省应急管理厅"
    fixed = run("enforcement", xlsx("enforcement", rows), scratch, name="南京市-2021-04-更正.xlsx")
    assert (fixed.inserted, fixed.updated, fixed.unchanged) == (0, 2, 1)
    with scratch.connect() as c:
        n = c.execute(select(func.count()).select_from(H).join(I, I.c.id == H.c.inspection_id)
                      .where(I.c.record_no == "T-JC-0001")).scalar()
        assert n == 5
        prov = c.execute(select(I.c.import_id).where(I.c.record_no == "T-JC-0003")).scalar()
        assert prov == fixed.batch_id
        prov = c.execute(select(I.c.import_id).where(I.c.record_no == "T-JC-0002")).scalar()
        assert prov == rep.batch_id  # unchanged rows keep where they came from


def test_invalid_file_is_reported_by_row_and_column_and_changes_nothing(scratch):
    ents = enterprises(scratch, 4, city=320100, offset=10)
    good = {"record_no": "BAD-0001", "uscc": ents[0]["uscc"], "inspected_on": dt.date(2021, 4, 1),
            "department": "市应急管理局"}
    bad_digit = ents[1]["uscc"][:17] + ("0" if ents[1]["uscc"][17] != "0" else "1")
    rows = [
        good,                                                                          # row 2: fine
        {**good, "record_no": "BAD-0002", "uscc": bad_digit},                          # row 3: check digit
        {**good, "record_no": "BAD-0003", "uscc": make_uscc(320102, 99_999_999)},      # row 4: not registered
        {**good, "record_no": "BAD-0004", "inspected_on": "2021-02-30"},               # row 5: no such date
        {**good, "record_no": "BAD-0001"},                                             # row 6: duplicate of row 2
        {**good, "record_no": "BAD-0006", "hazards": 1, "rectified": 2,
         "rectified_on": dt.date(2021, 4, 9)},                                          # row 7: rectified > found
        {**good, "record_no": "BAD-0007", "case_no": "X-1", "stage": "决定"},           # row 8: no filed_on
        {**good, "record_no": "BAD-0008", "name": "不是这家企业"},                        # row 9: name mismatch
        {**good, "record_no": "BAD-0009", "inspected_on": dt.date(2099, 1, 1)},        # row 10: future
        {**good, "record_no": "BAD-0010", "hazards": -1},                              # row 11: negative
        {"record_no": "BAD-0011", "uscc": ents[2]["uscc"], "inspected_on": dt.date(2021, 4, 1)},  # row 12: dept
        {**good, "record_no": "BAD-0012", "case_no": "X-2", "filed_on": dt.date(2021, 4, 2),
         "stage": "审理"},                                                               # row 13: no such stage
    ]
    before = snapshot(scratch)
    with scratch.connect() as c:
        batches = c.execute(select(func.count()).select_from(S.import_batches)).scalar()
    rep = run("enforcement", xlsx("enforcement", rows), scratch)
    assert not rep.ok and not rep.committed and rep.batch_id is None
    got = problems(rep)
    for expected in [(3, "统一社会信用代码"), (4, "统一社会信用代码"), (5, "检查日期"), (6, "检查编号"),
                     (7, "已整改隐患数"), (8, "立案日期"), (9, "企业名称"), (10, "检查日期"),
                     (11, "一般隐患数"), (12, "检查部门"), (13, "案件阶段")]:
        assert expected in got, (expected, sorted(got))
    assert not any(p.row == 2 for p in rep.problems)
    msg = {(p.row, p.column): p.message for p in rep.problems}
    assert "校验位" in msg[(3, "统一社会信用代码")] and "企业库中没有" in msg[(4, "统一社会信用代码")]
    assert "与第 2 行重复" in msg[(6, "检查编号")] and "必填" in msg[(12, "检查部门")]
    assert "晚于今天" in msg[(10, "检查日期")]
    assert snapshot(scratch) == before
    with scratch.connect() as c:
        assert c.execute(select(func.count()).select_from(S.import_batches)).scalar() == batches
        events = [e for (e,) in c.execute(select(S.audit_log.c.event).order_by(S.audit_log.c.id.desc()).limit(1))]
    assert events == ["import_rejected"]


def test_wrong_header_is_refused_before_any_row(scratch):
    data = csv_bytes("credit", []).replace("评定日期".encode(), "评定时间".encode()) + b"x,y,z,w,v\n"
    rep = run("credit", data, scratch, name="credit.csv")
    assert not rep.ok
    assert (1, "评定时间") in problems(rep) and (1, "评定日期") in problems(rep)
    assert any("缺少必填列" in p.message for p in rep.problems)
    empty = run("credit", csv_bytes("credit", []), scratch, name="credit.csv")
    assert not empty.ok and "没有数据行" in empty.problems[0].message
    for name, data in [("a.xls", b"\xd0\xcf\x11\xe0junk"), ("a.xlsx", b"PK\x03\x04 not a zip"), ("a.pdf", b"%PDF")]:
        rep = run("credit", data, scratch, name=name)
        assert not rep.ok and rep.problems[0].row == 1


def test_dry_run_counts_exactly_and_writes_nothing(scratch):
    rows = enforcement_rows(scratch, prefix="DRY")
    before = snapshot(scratch)
    rep = run("enforcement", xlsx("enforcement", rows), scratch, dry_run=True)
    assert rep.ok and not rep.committed and (rep.inserted, rep.updated, rep.unchanged) == (3, 0, 0)
    assert snapshot(scratch) == before


def test_campaign_stats(scratch):
    camp = province_campaign(scratch)
    cs = counties(scratch, 321300)[:3]
    rows = [{"campaign": camp["name"], "county": str(a), "month": "2021-04", "enterprises_checked": 100 + i,
             "inspections": 120 + i, "hidden_hazards": 300, "major_hazards": 4, "rectified": 280, "suspensions": 2,
             "cases": 9, "fines_yuan": "123456.50"} for i, a in enumerate(cs)]
    data = xlsx("campaign-stats", rows)
    rep = run("campaign-stats", data, scratch)
    assert rep.ok and rep.inserted == 3, rep.problems
    before = snapshot(scratch)
    assert run("campaign-stats", data, scratch).unchanged == 3
    assert snapshot(scratch) == before
    with scratch.connect() as c:
        r = c.execute(select(S.campaign_stats).where(S.campaign_stats.c.county_adcode == cs[0])).one()
    assert (r.city_adcode, r.month, r.inspections) == (321300, dt.date(2021, 4, 1), 120)
    assert Decimal(str(r.fines_yuan)) == Decimal("123456.50")
    bad = [dict(rows[0], county="320999"), dict(rows[1], major_hazards=301), dict(rows[2], month="2019-01"),
           dict(rows[0], campaign="不存在的行动")]
    rep = run("campaign-stats", xlsx("campaign-stats", bad), scratch)
    assert {(2, "县（市、区）代码"), (3, "重大隐患数"), (4, "月份"), (5, "专项行动名称")} <= problems(rep)
    assert snapshot(scratch) == before


def test_risk_reports(scratch):
    ents = enterprises(scratch, 3, city=321300, risk_scope=True, offset=5)
    rows = [
        {"report_no": "FX-T-1", "uscc": ents[0]["uscc"], "kind": "年度", "year": 2021,
         "submitted_at": "2021-03-02 10:15", "zero_risk": "是", "key_control": "是", "verification": "瞒报漏报",
         "verified_on": dt.date(2021, 3, 20), "rectify_deadline": dt.date(2021, 4, 20)},
        {"report_no": "FX-T-2", "uscc": ents[1]["uscc"], "kind": "首次", "year": 2021,
         "submitted_at": dt.datetime(2021, 4, 1, 9, 30)},
        {"report_no": "FX-T-3", "uscc": ents[1]["uscc"], "kind": "变更", "year": 2021,
         "submitted_at": dt.datetime(2021, 5, 6, 14, 0)},
    ]
    data = xlsx("risk-reports", rows)
    rep = run("risk-reports", data, scratch)
    assert rep.ok and rep.inserted == 3, rep.problems
    R, O = S.risk_reports, S.risk_obligations
    with scratch.connect() as c:
        r1 = c.execute(select(R).where(R.c.report_no == "FX-T-1")).one()
        o1 = c.execute(select(O).where(O.c.id == r1.obligation_id)).one()
        assert (o1.kind, o1.year, o1.due_on) == ("annual", 2021, dt.date(2021, 3, 31))
        assert r1.verification == "under_reported" and r1.import_row == 2
        r3 = c.execute(select(R).where(R.c.report_no == "FX-T-3")).one()
        r2 = c.execute(select(R).where(R.c.report_no == "FX-T-2")).one()
        assert r3.kind == "change" and r3.obligation_id in {r2.obligation_id}
    before = snapshot(scratch)
    assert run("risk-reports", data, scratch).unchanged == 3
    assert snapshot(scratch) == before
    bad = [dict(rows[0], report_no="FX-T-9", verification="属实", verified_on=None, rectify_deadline=None),
           dict(rows[1], report_no="FX-T-10", kind="季度"),
           dict(rows[0], report_no="FX-T-11", verification=None, verified_on=None, rectify_deadline=None,
                year=2020)]  # before the rules were in force
    rep = run("risk-reports", xlsx("risk-reports", bad), scratch)
    assert {(2, "核查日期"), (3, "报告类型"), (4, "报告年度")} <= problems(rep)


def test_credit_and_grids_and_csv_in_gbk(scratch):
    ents = enterprises(scratch, 2, city=320100, offset=20)
    rows = [{"uscc": ents[0]["uscc"], "rated_on": "2021年6月1日", "colour": "绿色", "score": 93.5},
            {"uscc": ents[1]["uscc"], "rated_on": "2021-06-01", "colour": "红", "score": "61"}]
    data = csv_bytes("credit", rows, encoding="gb18030")
    rep = run("credit", data, scratch, name="信用.csv", now=dt.datetime(2021, 6, 2))
    assert rep.ok and rep.inserted == 2, rep.problems
    with scratch.connect() as c:
        got = c.execute(select(S.credit_ratings.c.colour, S.credit_ratings.c.score)
                        .where(S.credit_ratings.c.enterprise_id == ents[0]["id"],
                               S.credit_ratings.c.rated_on == dt.date(2021, 6, 1))).one()
    assert got.colour == "green" and got.score == pytest.approx(93.5)
    rows[1]["score"] = 64
    rep = run("credit", csv_bytes("credit", rows), scratch, name="信用.csv", now=dt.datetime(2021, 6, 2))
    assert (rep.updated, rep.unchanged) == (1, 1)
    rep = run("credit", csv_bytes("credit", [dict(rows[0], score=101, colour="紫")]), scratch, name="c.csv")
    assert {(2, "信用分"), (2, "信用等级")} <= problems(rep)

    county = counties(scratch, 320100)[0]
    grows = [{"code": "G-T-1", "name": "测试应急网格", "kind": "应急", "county": county, "enterprises_filed": 12,
              "established_on": dt.date(2020, 6, 30)}]
    rep = run("grids", xlsx("grids", grows), scratch)
    assert rep.ok and rep.inserted == 1
    with scratch.connect() as c:
        g = c.execute(select(S.grids).where(S.grids.c.code == "G-T-1")).one()
    assert (g.kind, g.city_adcode, g.county_adcode) == ("yingji", 320100, county)
    assert run("grids", xlsx("grids", grows), scratch).unchanged == 1


def test_a_city_account_imports_only_its_own_region(scratch):
    own = enterprises(scratch, 1, city=321300, offset=30)[0]
    other = enterprises(scratch, 1, city=320100, offset=30)[0]
    rows = [{"uscc": own["uscc"], "rated_on": dt.date(2021, 5, 1), "colour": "蓝", "score": 85},
            {"uscc": other["uscc"], "rated_on": dt.date(2021, 5, 1), "colour": "蓝", "score": 85}]
    before = snapshot(scratch)
    rep = run("credit", xlsx("credit", rows), scratch, importer="suqian", region=321300)
    assert not rep.ok and problems(rep) == {(3, "统一社会信用代码")}
    assert "管辖范围" in rep.problems[0].message
    assert snapshot(scratch) == before


@pytest.mark.slow
def test_cli_template_import_and_exit_codes(scratch, tmp_path, monkeypatch):
    url = scratch.url.render_as_string(hide_password=False)
    env = {"OVERSIGHT_DB_URL": url, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "cli"]
    out = tmp_path / "grids.xlsx"
    r = subprocess.run(cli + ["template", "grids", str(out)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0 and out.stat().st_size > 4000
    county = counties(scratch, 320200)[0]
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx("grids", [{"code": "G-CLI-1", "name": "CLI 网格", "kind": "综治网格", "county": county,
                                     "enterprises_filed": 3, "established_on": dt.date(2020, 1, 1)}]))
    r = subprocess.run(cli + ["import", "grids", str(good), "--dry-run"], capture_output=True, text=True, env=env,
                       cwd=ROOT)
    assert r.returncode == 0 and "预检" in r.stdout and "新增 1" in r.stdout
    with scratch.connect() as c:
        assert c.execute(select(func.count()).select_from(S.grids).where(S.grids.c.code == "G-CLI-1")).scalar() == 0
    r = subprocess.run(cli + ["import", "grids", str(good)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0 and "已导入" in r.stdout, r.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx("grids", [{"code": "G-CLI-2", "name": "x", "kind": "社区网格", "county": county,
                                    "enterprises_filed": 1, "established_on": dt.date(2020, 1, 1)},
                                   {"code": "G-CLI-3", "name": "y", "kind": "综治网格", "county": "999999",
                                    "enterprises_filed": 1, "established_on": dt.date(2020, 1, 1)}]))
    r = subprocess.run(cli + ["import", "grids", str(bad)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 1
    assert "网格类型" in r.stderr and "县（市、区）代码" in r.stderr and "数据库未做任何改动" in r.stderr
    r = subprocess.run(cli + ["import", "grids", str(tmp_path / "missing.xlsx")], capture_output=True, text=True,
                       env=env, cwd=ROOT)
    assert r.returncode == 1 and "找不到文件" in r.stderr


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.dates(), st.datetimes()),
       st.sampled_from([c for k in KINDS.values() for c in k.columns]))
def test_any_cell_gives_a_value_or_a_chinese_message(value, col: Col):
    try:
        parse_cell(value, col, dt.date(2021, 6, 1))
    except CellError as e:
        assert str(e) and any("\u4e00" <= ch <= "\u9fff" for ch in str(e))


def test_readme_documents_every_template_with_an_example_that_parses():
    """docs/templates.md is the generated reference, and each kind's example row is a valid row."""
    from queries.intake.core import Problems, map_header, parse_rows
    from queries.intake.template import header_text, reference_markdown

    readme = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    assert reference_markdown() in readme, "docs/templates.md is stale: paste reference_markdown() again"
    for key, kind in KINDS.items():
        assert all(c.example for c in kind.columns if c.required), key
        data = (",".join(header_text(c) for c in kind.columns) + "\n"
                + ",".join(c.example for c in kind.columns) + "\n").encode("utf-8")
        from queries.intake.cells import read_rows

        header, raw = read_rows(data, "example.csv")
        probs = Problems(kind)
        rows = parse_rows(kind, map_header(kind, header, probs), raw, NOW.date(), probs)
        assert not probs.items and len(rows) == 1, (key, probs.items)


def test_monthly_reports_of_a_city_campaign_reach_the_enforcement_page(scratch, monkeypatch):
    """Cities run campaigns of the same name: each row goes to its own city's campaign; the reports show on the
    执法专项行动 page per region with what was due, next to the inspections the system recorded."""
    from queries import enforcement
    from queries.regions import clear_cache
    from queries.scope import Scope
    from tests.apptest_util import app, clear_caches

    C = S.campaigns
    with scratch.connect() as c:
        camps = {r.city_adcode: r for r in c.execute(select(C).where(C.c.city_adcode.in_([320100, 320200])))}
    assert camps[320100].name == camps[320200].name  # the same name in two cities
    rows = [{"campaign": camps[city].name, "county": county, "month": month, "enterprises_checked": 10 + i,
             "inspections": 20 + i, "hidden_hazards": 30, "major_hazards": 1, "rectified": 25, "suspensions": 1,
             "cases": 2, "fines_yuan": "10000.50"}
            for city in (320100, 320200) for i, county in enumerate(counties(scratch, city)[:2])
            for month in ("2021-01", "2021-02")]
    rep = run("campaign-stats", xlsx("campaign-stats", rows), scratch, name="月报.xlsx")
    assert rep.committed and rep.inserted == 8, rep.problems
    with scratch.connect() as c:
        got = c.execute(select(S.campaign_stats.c.campaign_id, S.campaign_stats.c.city_adcode)
                        .where(S.campaign_stats.c.import_id == rep.batch_id)).all()
    assert {(cid, city) for cid, city in got} == {(camps[320100].id, 320100), (camps[320200].id, 320200)}

    scope = Scope(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 3, 31))
    nj = enforcement.campaign_reports(camps[320100].id, scope, engine=scratch)
    assert list(nj["adcode"]) == [320100]  # a city's campaign: only that city is due
    r = nj.iloc[0]
    n_counties = len(counties(scratch, 320100))
    assert (r.reports, r.due, r.inspections, r.latest_month) == (4, 3 * n_counties, 2 * (20 + 21), "2021-02")
    assert r.fines_wan == pytest.approx(4.0)
    assert r.system_inspections > 0
    by_county = enforcement.campaign_reports(camps[320100].id, scope.with_(region=320100), engine=scratch)
    assert int(by_county["reports"].sum()) == 4 and set(by_county["due"]) == {3}
    with pytest.raises(Exception):  # another city's campaign is not visible from 南京市
        enforcement.campaign_reports(camps[320200].id, scope.with_(region=320100), engine=scratch)

    url = scratch.url.render_as_string(hide_password=False)
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    monkeypatch.delenv("OVERSIGHT_DB_READ_URL", raising=False)
    dbmod._ready.add(str(scratch.url))
    clear_caches()
    clear_cache()
    try:
        at = app("leadership", "nanjing", params={"from": "2021-01-01", "to": "2021-03-31",
                                                  "campaign": camps[320100].id}, page="enforcement.py")
        assert not at.exception, at.exception
        tables = [d.value for d in at.dataframe if "reports" in d.value.columns]
        assert len(tables) == 1
        page = tables[0].set_index("name")
        assert int(page["reports"].sum()) == 4 and int(page["inspections"].sum()) == 2 * (20 + 21)
    finally:
        clear_caches()
        clear_cache()


def test_a_large_file_imports_in_batches_not_row_by_row(scratch):
    """A gross-regression guard (the figures are in README): 2,000 inspections with hazards once took ~55 s on
    SQLite because each new inspection deleted its (absent) hazards with a scan of the whole table."""
    import time

    ents = enterprises(scratch, 2000, city=320500)
    rows = [{"record_no": f"BIG-{i:05d}", "uscc": e["uscc"], "inspected_on": dt.date(2021, 5, 1 + i % 28),
             "department": "市应急管理局", "hazards": 1 + i % 3} for i, e in enumerate(ents)]
    data = xlsx("enforcement", rows)
    t0 = time.perf_counter()
    rep = run("enforcement", data, scratch, name="big.xlsx")
    took = time.perf_counter() - t0
    assert rep.committed and rep.inserted == 2000, rep.problems[:3]
    with scratch.connect() as c:
        n = c.execute(select(func.count()).select_from(S.hidden_hazards)
                      .where(S.hidden_hazards.c.import_id == rep.batch_id)).scalar()
    assert n == sum(1 + i % 3 for i in range(2000))
    assert took < 20, took
