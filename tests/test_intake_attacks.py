"""The intake under attack, on SQLite and PostgreSQL (each engine gets its own copy of the seeded database):

- a city account cannot reach another region's records through a natural key (grid code, inspection number,
  case number, risk-report number, credit code, county): refused with one message that tells nothing about the
  other region, audited, nothing written — also for a dry run; the province still updates anything;
- the scope columns a record copies from its enterprise follow it on every update, for every kind;
- numbers out of a column's range are cell errors (row and column), not a database failure;
- two imports of one file at once both end cleanly (the loser of the race runs again), and a unique violation
  that does not go away is a Chinese message.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from queries import db as dbmod
from queries.intake import KINDS, ImportRefused, import_file
from queries.intake.cells import INT_MAX, read_rows
from queries.intake.core import (OUT_OF_SCOPE, Ctx, OutOfScope, Problems, Report, Row, map_header, problems_csv,
                                 upsert)
from seed import schema as S
from tests.dbcache import ROOT, clone_database, remove_copy
from tests.intake_util import counties, enterprises, province_campaign, snapshot, xlsx

NOW = dt.datetime(2021, 6, 1, 9, 0)
NANJING, SUZHOU, SUQIAN = 320100, 320500, 321300
SCOPE = ("city_adcode", "county_adcode", "industry_code", "sector_code")


@pytest.fixture(scope="module")
def scratch(db, session_tmp):
    url = clone_database(db, f"intake_attacks_{db.dialect.name}", session_tmp)
    eng = dbmod.get_engine(url)
    yield eng
    remove_copy(url)


def run(kind, rows, eng, **kw):
    kw.setdefault("importer", "tester")
    kw.setdefault("now", NOW)
    return import_file(kind, xlsx(kind, rows), f"{kind}.xlsx", engine=eng, **kw)


def problems(rep) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in rep.problems}


def rejections(eng) -> list[dict]:
    A = S.audit_log
    with eng.connect() as c:
        return [json.loads(d) for d in c.execute(select(A.c.detail).where(A.c.event == "import_rejected")
                                                 .order_by(A.c.id)).scalars()]


def ent_scope(eng, ent_id: int) -> dict:
    E = S.enterprises
    with eng.connect() as c:
        return dict(c.execute(select(*(E.c[k] for k in SCOPE)).where(E.c.id == ent_id)).mappings().one())


def scope_rows(eng, table, where) -> list[dict]:
    with eng.connect() as c:
        return [dict(r) for r in c.execute(select(table.c.enterprise_id, *(table.c[k] for k in SCOPE))
                                           .where(where)).mappings()]


def enf_row(no: str, ent: dict, **kw) -> dict:
    return {"record_no": no, "uscc": ent["uscc"], "inspected_on": dt.date(2021, 4, 15), "department": "市应急管理局",
            **kw}


def grid_row(code: str, county: int, **kw) -> dict:
    return {"code": code, "name": "攻击测试网格", "kind": "应急网格", "county": str(county), "enterprises_filed": 5,
            "established_on": dt.date(2020, 6, 30), **kw}


def stat_row(eng, county: int, **kw) -> dict:
    return {"campaign": province_campaign(eng)["name"], "county": str(county), "month": "2021-04",
            "enterprises_checked": 10, "inspections": 12, "hidden_hazards": 30, "major_hazards": 1, "rectified": 25,
            "suspensions": 1, "cases": 2, "fines_yuan": "1000.00", **kw}


def assert_out_of_scope(eng, kind, rows, expect: set[tuple[int, str]], *, region=SUQIAN, importer="suqian"):
    """Refused as a dry run and as an import: the same single message on each expected cell, nothing written,
    and each attempt audited (the dry run too: it is how one would probe)."""
    before, audited = snapshot(eng), len(rejections(eng))
    messages = set()
    for dry in (True, False):
        rep = run(kind, rows, eng, importer=importer, region=region, dry_run=dry)
        assert not rep.ok and not rep.committed and rep.batch_id is None
        assert (rep.inserted, rep.updated, rep.unchanged) == (0, 0, 0)  # no counts to read anything from
        assert problems(rep) == expect, (kind, rep.problems)
        messages |= {p.message for p in rep.problems}
    assert messages == {OUT_OF_SCOPE}
    assert snapshot(eng) == before
    audit = rejections(eng)[audited:]
    assert [a["dry_run"] for a in audit] == [True, False]
    assert all(a["out_of_scope"] == len(expect) and a["region"] == region and a["kind"] == kind for a in audit)
    return messages


# --- 1. every write is scoped like every read --------------------------------------------------------------------

def test_another_citys_grid_cannot_be_moved_by_its_code(scratch):
    with scratch.connect() as c:
        nj = c.execute(select(S.grids).where(S.grids.c.city_adcode == NANJING).order_by(S.grids.c.id)).first()
    sq = counties(scratch, SUQIAN)
    assert_out_of_scope(scratch, "grids", [grid_row(nj.code, sq[0])], {(2, "网格编码")})
    # among rows of its own: only that row is named, and the good ones are not written either
    assert_out_of_scope(scratch, "grids", [grid_row("ATK-SQ-NEW-1", sq[1]), grid_row(nj.code, sq[0], name="x"),
                                           grid_row("ATK-SQ-NEW-2", sq[2])], {(3, "网格编码")})
    # a grid of another city under a new code: refused in the county column with the very same message
    assert_out_of_scope(scratch, "grids", [grid_row("ATK-SQ-NEW-3", counties(scratch, NANJING)[0])],
                        {(2, "县（市、区）代码")})
    with scratch.connect() as c:
        after = c.execute(select(S.grids).where(S.grids.c.id == nj.id)).one()
    assert (after.city_adcode, after.county_adcode, after.name) == (nj.city_adcode, nj.county_adcode, nj.name)


def test_a_county_account_is_held_to_its_county(scratch):
    own, other = counties(scratch, SUQIAN)[:2]
    assert run("grids", [grid_row("ATK-CTY-1", own)], scratch, importer="county", region=own, dry_run=True).ok
    assert_out_of_scope(scratch, "grids", [grid_row("ATK-CTY-1", other)], {(2, "县（市、区）代码")}, region=own,
                        importer="county")


def test_another_citys_inspection_and_case_cannot_be_taken_over(scratch):
    nj = enterprises(scratch, 1, city=NANJING, offset=40)[0]
    sq = enterprises(scratch, 1, city=SUQIAN, offset=40)[0]
    rep = run("enforcement", [enf_row("ATK-NJ-1", nj, hazards=2, suspended="是", case_no="ATK苏宁应急罚1号",
                                      filed_on=dt.date(2021, 4, 20), stage="立案")], scratch)
    assert rep.committed, rep.problems
    I, H = S.inspections, S.hidden_hazards
    with scratch.connect() as c:
        insp = c.execute(select(I).where(I.c.record_no == "ATK-NJ-1")).one()
    # the same inspection number, now "found" at a Suqian enterprise: would re-point it and delete its hazards
    assert_out_of_scope(scratch, "enforcement", [enf_row("ATK-NJ-1", sq)], {(2, "检查编号")})
    # a new inspection of its own, filing Nanjing's case number
    assert_out_of_scope(scratch, "enforcement", [enf_row("ATK-SQ-1", sq, case_no="ATK苏宁应急罚1号",
                                                         filed_on=dt.date(2021, 4, 20), stage="立案")],
                        {(2, "案件编号")})
    # the province's account may correct anything (here: nothing changes)
    again = run("enforcement", [enf_row("ATK-NJ-1", nj, hazards=2, suspended="是", case_no="ATK苏宁应急罚1号",
                                        filed_on=dt.date(2021, 4, 20), stage="立案")], scratch, region=320000)
    assert again.ok and again.unchanged == 1
    with scratch.connect() as c:
        assert c.execute(select(I.c.enterprise_id, I.c.city_adcode).where(I.c.id == insp.id)).one() == (
            nj["id"], NANJING)
        assert c.execute(select(func.count()).select_from(H).where(H.c.inspection_id == insp.id)).scalar() == 2


def test_another_citys_risk_report_cannot_be_taken_over(scratch):
    nj = enterprises(scratch, 1, city=NANJING, risk_scope=True, offset=40)[0]
    sq = enterprises(scratch, 1, city=SUQIAN, risk_scope=True, offset=40)[0]
    report = {"report_no": "ATK-FX-NJ-1", "kind": "年度", "year": 2021, "submitted_at": "2021-03-02 10:15"}
    assert run("risk-reports", [{**report, "uscc": nj["uscc"]}], scratch).committed
    assert_out_of_scope(scratch, "risk-reports", [{**report, "uscc": sq["uscc"]}], {(2, "报告编号")})
    with scratch.connect() as c:
        r = c.execute(select(S.risk_reports).where(S.risk_reports.c.report_no == "ATK-FX-NJ-1")).one()
    assert (r.enterprise_id, r.city_adcode) == (nj["id"], NANJING)


def test_another_citys_enterprise_credit_and_campaign_statistics(scratch):
    nj = enterprises(scratch, 1, city=NANJING, offset=41)[0]
    rating = {"uscc": nj["uscc"], "rated_on": dt.date(2021, 5, 1), "colour": "红", "score": 40}
    assert_out_of_scope(scratch, "credit", [rating], {(2, "统一社会信用代码")})
    # a wrong name does not make it say what the right one is
    rep = run("credit", [{**rating, "name": "随便写的名字"}], scratch, importer="suqian", region=SUQIAN)
    assert problems(rep) == {(2, "统一社会信用代码")} and nj["name"] not in " ".join(p.message for p in rep.problems)
    assert_out_of_scope(scratch, "campaign-stats", [stat_row(scratch, counties(scratch, NANJING)[0])],
                        {(2, "县（市、区）代码")})


def test_the_province_still_updates_anything(scratch):
    with scratch.connect() as c:
        nj = c.execute(select(S.grids).where(S.grids.c.city_adcode == NANJING).order_by(S.grids.c.id.desc())).first()
    for i, region in enumerate((None, 320000)):
        rep = run("grids", [grid_row(nj.code, nj.county_adcode, name=f"省厅更正{i}")], scratch, region=region)
        assert rep.committed and rep.updated == 1, rep.problems


def test_the_write_function_itself_refuses_rows_outside_the_region(scratch):
    """``upsert`` is where the scope is enforced, so a write path that forgets to check inherits it."""
    with scratch.connect() as c:
        nj = c.execute(select(S.grids).where(S.grids.c.city_adcode == NANJING).order_by(S.grids.c.id)).first()
    sq = counties(scratch, SUQIAN)[0]
    rec = {"code": nj.code, "name": "x", "kind": "yingji", "county_adcode": sq, "city_adcode": SUQIAN,
           "enterprises_filed": 1, "established_on": dt.date(2020, 1, 1)}
    cols = ["name", "kind", "county_adcode", "city_adcode", "enterprises_filed", "established_on"]
    new = {**rec, "code": "ATK-UPSERT-1", "county_adcode": nj.county_adcode, "city_adcode": NANJING}
    before = snapshot(scratch)
    with scratch.connect() as c:
        for records in ([(Row(2, {}), rec)], [(Row(2, {}), new)], [(Row(2, {}), {**rec, "code": "ATK-UPSERT-2"}),
                                                                   (Row(3, {}), rec)]):
            with c.begin():
                with pytest.raises(OutOfScope) as e:
                    upsert(c, S.grids, ("code",), records, cols, Ctx(now=NOW, importer="t", region=SUQIAN))
                assert e.value.rows == [(records[-1][0].num, "code")]
        with c.begin() as t:  # a table that cannot be scoped is not written by a bound importer at all
            with pytest.raises(ValueError):
                upsert(c, S.import_batches, ("file_sha256",), [(Row(2, {}), {"file_sha256": "x"})], [],
                       Ctx(now=NOW, importer="t", region=SUQIAN))
            t.rollback()
    assert snapshot(scratch) == before


# --- 2. scope columns follow the enterprise on every update ---------------------------------------------------------

def test_an_inspection_moved_to_another_enterprise_takes_everything_along(scratch):
    a = enterprises(scratch, 1, city=NANJING, offset=60)[0]
    b = enterprises(scratch, 1, city=SUZHOU, offset=60)[0]
    extra = dict(hazards=2, major_hazards=1, rectified=1, rectified_on=dt.date(2021, 4, 30), suspended="是",
                 case_no="ATK苏宁应急罚2号", filed_on=dt.date(2021, 4, 20), stage="立案")
    assert run("enforcement", [enf_row("ATK-MOVE-1", a, **extra)], scratch).committed
    rep = run("enforcement", [enf_row("ATK-MOVE-1", b, **extra)], scratch)  # hazards etc. exactly as before
    assert rep.committed and rep.updated == 1, rep.problems
    want = {"enterprise_id": b["id"], **ent_scope(scratch, b["id"])}
    assert want["city_adcode"] == SUZHOU
    I, H, SO, C = S.inspections, S.hidden_hazards, S.suspension_orders, S.cases
    with scratch.connect() as c:
        iid = c.execute(select(I.c.id).where(I.c.record_no == "ATK-MOVE-1")).scalar()
    for table, where, n in ((I, I.c.id == iid, 1), (H, H.c.inspection_id == iid, 3),
                            (SO, SO.c.inspection_id == iid, 1), (C, C.c.case_no == "ATK苏宁应急罚2号", 1)):
        got = scope_rows(scratch, table, where)
        assert len(got) == n and all(g == want for g in got), (table.name, got, want)
    with scratch.connect() as c:  # the date moves the hazards too
        assert set(c.execute(select(H.c.found_on).where(H.c.inspection_id == iid)).scalars()) == {
            dt.date(2021, 4, 15)}
    rep = run("enforcement", [enf_row("ATK-MOVE-1", b, **{**extra, "inspected_on": dt.date(2021, 4, 16)})], scratch)
    with scratch.connect() as c:
        assert set(c.execute(select(H.c.found_on).where(H.c.inspection_id == iid)).scalars()) == {
            dt.date(2021, 4, 16)}
        assert c.execute(select(SO.c.ordered_on).where(SO.c.inspection_id == iid)).scalar() == dt.date(2021, 4, 16)


def test_a_risk_report_moved_to_another_enterprise_counts_in_its_city(scratch):
    a = enterprises(scratch, 1, city=NANJING, risk_scope=True, offset=61)[0]
    b = enterprises(scratch, 1, city=SUZHOU, risk_scope=True, offset=61)[0]
    report = {"report_no": "ATK-FX-MOVE", "kind": "年度", "year": 2021, "submitted_at": "2021-03-02 10:15"}
    assert run("risk-reports", [{**report, "uscc": a["uscc"]}], scratch).committed
    rep = run("risk-reports", [{**report, "uscc": b["uscc"]}], scratch)
    assert rep.committed and rep.updated == 1
    R, O = S.risk_reports, S.risk_obligations
    got = scope_rows(scratch, R, R.c.report_no == "ATK-FX-MOVE")
    assert got == [{"enterprise_id": b["id"], **ent_scope(scratch, b["id"])}]
    with scratch.connect() as c:
        o = c.execute(select(O).join(R, R.c.obligation_id == O.c.id).where(R.c.report_no == "ATK-FX-MOVE")).one()
    assert (o.enterprise_id, o.city_adcode) == (b["id"], SUZHOU)


def _move_enterprise(eng, ent_id: int, to: dict) -> None:
    with eng.begin() as c:
        c.execute(update(S.enterprises).where(S.enterprises.c.id == ent_id).values(**to))


def test_a_credit_rating_follows_its_enterprise_when_it_moves(scratch):
    e = enterprises(scratch, 1, city=NANJING, offset=62)[0]
    rows = [{"uscc": e["uscc"], "rated_on": dt.date(2021, 5, 2), "colour": "蓝", "score": 80}]
    assert run("credit", rows, scratch).committed
    other = enterprises(scratch, 1, city=SUZHOU, offset=62)[0]
    _move_enterprise(scratch, e["id"], ent_scope(scratch, other["id"]))
    rep = run("credit", rows, scratch)  # the same file: only the enterprise moved
    assert rep.committed and rep.updated == 1
    CR = S.credit_ratings
    assert scope_rows(scratch, CR, (CR.c.enterprise_id == e["id"]) & (CR.c.rated_on == dt.date(2021, 5, 2))) == [
        {"enterprise_id": e["id"], **ent_scope(scratch, other["id"])}]
    assert run("credit", rows, scratch).unchanged == 1


def test_a_grid_moved_to_another_county_takes_that_city(scratch):
    nj, sz = counties(scratch, NANJING)[0], counties(scratch, SUZHOU)[0]
    assert run("grids", [grid_row("ATK-GRID-MOVE", nj)], scratch).committed
    assert run("grids", [grid_row("ATK-GRID-MOVE", sz)], scratch).updated == 1
    with scratch.connect() as c:
        g = c.execute(select(S.grids).where(S.grids.c.code == "ATK-GRID-MOVE")).one()
    assert (g.county_adcode, g.city_adcode) == (sz, SUZHOU)


def test_campaign_statistics_city_is_rewritten_from_the_county(scratch):
    county = counties(scratch, SUZHOU)[1]
    rows = [stat_row(scratch, county, month="2021-03")]
    assert run("campaign-stats", rows, scratch).committed
    CS = S.campaign_stats
    with scratch.begin() as c:  # a stale city (e.g. from before a boundary change)
        c.execute(update(CS).where(CS.c.county_adcode == county, CS.c.month == dt.date(2021, 3, 1))
                  .values(city_adcode=NANJING))
    assert run("campaign-stats", rows, scratch).updated == 1
    with scratch.connect() as c:
        assert c.execute(select(CS.c.city_adcode).where(CS.c.county_adcode == county,
                                                        CS.c.month == dt.date(2021, 3, 1))).scalar() == SUZHOU


# --- 7. numbers out of a column's range ----------------------------------------------------------------------------

HUGE = [2**31, 1e30, 99999999999999999999, "99999999999999999999", 1e308]


def _range_cases(eng):
    e = enterprises(eng, 1, city=SUQIAN, offset=70)[0]
    re_ = enterprises(eng, 1, city=SUQIAN, risk_scope=True, offset=70)[0]
    county = counties(eng, SUQIAN)[0]
    return [
        ("grids", "enterprises_filed", "建档企业数", lambda i, v: grid_row(f"ATK-RANGE-{i}", county,
                                                                      enterprises_filed=v)),
        ("enforcement", "hazards", "一般隐患数", lambda i, v: enf_row(f"ATK-RANGE-{i}", e, hazards=v)),
        ("enforcement", "major_hazards", "重大隐患数", lambda i, v: enf_row(f"ATK-RANGE-M{i}", e, major_hazards=v)),
        ("campaign-stats", "inspections", "检查次数", lambda i, v: stat_row(eng, county, inspections=v,
                                                                         month=f"2021-{1 + i:02d}")),
        ("campaign-stats", "fines_yuan", "罚款金额（元）", lambda i, v: stat_row(
            eng, county, fines_yuan=10**12 if v == 2**31 else v, month=f"2021-{1 + i:02d}")),  # Numeric(14, 2)
        ("risk-reports", "year", "报告年度", lambda i, v: {"report_no": f"ATK-RANGE-{i}", "uscc": re_["uscc"],
                                                       "kind": "年度", "year": v, "submitted_at": "2021-03-02"}),
        ("credit", "score", "信用分", lambda i, v: {"uscc": e["uscc"], "rated_on": dt.date(2021, 1, 1 + i),
                                                 "colour": "绿", "score": v}),
    ]


def test_numbers_out_of_a_columns_range_are_cell_errors(scratch):
    before = snapshot(scratch)
    for kind, key, header, make in _range_cases(scratch):
        rows = [make(i, v) for i, v in enumerate(HUGE)]
        rep = run(kind, rows, scratch)
        assert not rep.ok, (kind, key)
        assert {(i + 2, header) for i in range(len(HUGE))} <= problems(rep), (kind, key, rep.problems)
    assert snapshot(scratch) == before
    # the largest value each integer column can hold is still accepted
    county = counties(scratch, SUQIAN)[0]
    assert run("grids", [grid_row("ATK-RANGE-MAX", county, enterprises_filed=INT_MAX)], scratch,
               dry_run=True).ok
    assert problems(run("grids", [grid_row("ATK-RANGE-MAX", county, enterprises_filed=INT_MAX + 1)], scratch,
                        dry_run=True)) == {(2, "建档企业数")}


def test_text_and_integer_columns_fit_the_database():
    stored = {("enforcement", "record_no"): S.inspections.c.record_no,
              ("enforcement", "department"): S.inspections.c.department,
              ("enforcement", "case_no"): S.cases.c.case_no,
              ("risk-reports", "report_no"): S.risk_reports.c.report_no,
              ("grids", "code"): S.grids.c.code, ("grids", "name"): S.grids.c.name}
    for (kind, key), column in stored.items():
        assert KINDS[kind].col(key).max_len <= column.type.length, (kind, key)
    for kind in KINDS.values():
        for c in kind.columns:
            if c.kind == "int":
                assert c.hi is None or c.hi <= INT_MAX  # parse_int caps everything else at INT_MAX


def test_a_huge_number_through_the_cli_exits_1_with_row_and_column(scratch, tmp_path):
    county = counties(scratch, SUQIAN)[0]
    f = tmp_path / "huge.xlsx"
    f.write_bytes(xlsx("grids", [grid_row("ATK-RANGE-CLI", county, enterprises_filed=1e30)]))
    env = {"OVERSIGHT_DB_URL": scratch.url.render_as_string(hide_password=False), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "cli", "import", "grids", str(f)], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 1 and "建档企业数" in r.stderr and "不能大于" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


# --- 7. concurrent imports ---------------------------------------------------------------------------------------------

def _import_at_once(scratch, monkeypatch, kind: str, files: list[bytes], calls: list | None = None) -> list:
    """Import ``files`` (two) at the same moment: each validates, then waits until the other has validated too,
    before either writes. Returns each import's report or exception; ``calls`` collects the validating threads."""
    spec = KINDS[kind]
    original = spec.check
    both_validated = threading.Barrier(2, timeout=120)
    mine = threading.local()

    def check(conn, rs, ctx, probs):  # both have looked and found nothing before either writes
        original(conn, rs, ctx, probs)
        if calls is not None:
            calls.append(threading.get_ident())
        if not getattr(mine, "waited", False):
            mine.waited = True
            both_validated.wait()

    monkeypatch.setattr(spec, "check", check)
    results: list = [None, None]

    def go(i):
        try:
            results[i] = import_file(kind, files[i], f"race{i}.xlsx", engine=scratch, importer=f"t{i}", now=NOW)
        except Exception as e:  # noqa: BLE001 - judged by the caller
            results[i] = e

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.parametrize("kind", ["grids", "enforcement"])
def test_two_imports_of_one_file_at_once(scratch, monkeypatch, kind):
    n = 40
    if kind == "grids":
        cs = counties(scratch, SUZHOU)
        rows = [grid_row(f"ATK-RACE-{i:03d}", cs[i % len(cs)]) for i in range(n)]
    else:
        ents = enterprises(scratch, n, city=SUZHOU, offset=100)
        rows = [enf_row(f"ATK-RACE-{i:03d}", e, hazards=1 + i % 2, case_no=f"ATK苏州罚{i}号",
                        filed_on=dt.date(2021, 4, 20), stage="立案") for i, e in enumerate(ents)]
    data = xlsx(kind, rows)
    calls: list = []
    results = _import_at_once(scratch, monkeypatch, kind, [data, data], calls)
    for r in results:
        if isinstance(r, ImportRefused):  # allowed only as a clear Chinese message
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(r)) and not any(
                w in str(r).lower() for w in ("duplicate", "unique", "violat", "integrity")), str(r)
        else:
            assert not isinstance(r, Exception), repr(r)
            assert r.committed, r.problems
    done = [r for r in results if not isinstance(r, Exception)]
    assert done and sum(r.inserted for r in done) == n
    assert all(r.inserted + r.unchanged == n for r in done)
    with scratch.connect() as c:
        got = c.execute(select(func.count()).select_from(S.inspections if kind == "enforcement" else S.grids)
                        .where((S.inspections.c.record_no if kind == "enforcement" else S.grids.c.code)
                               .like("ATK-RACE-%"))).scalar()
    assert got == n
    if scratch.dialect.name == "postgresql":
        # the writing parts queue on the imports' advisory lock (queries.intake.core.IMPORT_WRITE_LOCK): the second
        # writes after the first committed, finds its rows and leaves them alone — no collision, no second run
        assert len(calls) == 2, calls
        assert sorted(r.inserted for r in done) == [0, n] and sorted(r.unchanged for r in done) == [0, n]


@pytest.mark.slow
def test_two_imports_moving_the_same_aggregate_cells_in_opposite_orders(scratch, monkeypatch):
    """Two different files of one city's inspections, one March then April, the other April then March, written at
    the same moment: every row moves a maintained aggregate's cell (seed.cells) and holds it to the end of its
    transaction, so without the imports' write lock they would deadlock on PostgreSQL. Both commit, and the cells
    equal a fresh computation."""
    from seed import cells as cell_spec

    n = 24
    ents = enterprises(scratch, 2 * n, city=SUZHOU, offset=300)
    march, april = dt.date(2021, 3, 10), dt.date(2021, 4, 10)
    files = []
    for f, (first, second) in enumerate(((march, april), (april, march))):
        mine = ents[f * n:(f + 1) * n]
        files.append(xlsx("enforcement", [enf_row(f"ATK-ORDER-{f}-{i:03d}", e,
                                                  inspected_on=first if i < n // 2 else second)
                                          for i, e in enumerate(mine)]))
    results = _import_at_once(scratch, monkeypatch, "enforcement", files)
    assert all(not isinstance(r, Exception) and r.committed and r.inserted == n for r in results), results
    with scratch.connect() as c:
        assert c.execute(select(func.count()).select_from(S.inspections)
                         .where(S.inspections.c.record_no.like("ATK-ORDER-%"))).scalar() == 2 * n
        assert cell_spec.check(c) == {name: 0 for name in cell_spec.CHECKS}


def test_a_unique_violation_that_persists_is_a_chinese_message(scratch, monkeypatch):
    spec = KINDS["grids"]
    tries = []

    def apply(conn, rows, ctx):
        tries.append(1)
        raise IntegrityError("INSERT INTO grids …", {}, Exception(
            'duplicate key value violates unique constraint "grids_code_key"'))

    monkeypatch.setattr(spec, "apply", apply)
    before = snapshot(scratch)
    with pytest.raises(ImportRefused) as e:
        run("grids", [grid_row("ATK-DUP-1", counties(scratch, SUZHOU)[0])], scratch)
    msg = str(e.value)
    assert "同时" in msg and "未写入任何数据" in msg and "duplicate" not in msg and e.value.transient
    assert len(tries) == 3 and snapshot(scratch) == before


# --- the problem list offered for download -------------------------------------------------------------------------

@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                     "\t=1", "＝1+1", "\r=1"])
def test_the_problem_list_never_starts_a_formula(payload):
    """A header from the file comes back in the problem list (未知列 …): as text, never as a formula."""
    buf = io.StringIO()
    csv.writer(buf).writerows([["网格编码", payload, "网格名称"], ["G", "1", "n"]])
    header, raw = read_rows(buf.getvalue().encode(), "f.csv")
    found = Problems(KINDS["grids"])
    map_header(KINDS["grids"], header, found)
    rep = Report("grids", "f.csv", "0" * 64, problems=found.items, problem_total=found.total)
    cells = [c for r in csv.reader(io.StringIO(problems_csv(rep).decode("utf-8-sig"))) for c in r]
    assert any(payload.strip() in c for c in cells), cells
    assert not any(c[:1] in "=+-@\t\r＝＋－＠" for c in cells if c), cells


def test_the_write_watch_sees_every_kind_of_write(scratch):
    """``snapshot`` (row triggers) notices an insert, an update to the same values and a delete, and nothing of a
    rolled-back transaction: the attack tests above rest on it."""
    before = snapshot(scratch)
    with scratch.connect() as c:
        c.exec_driver_sql("UPDATE grids SET name = name WHERE id = (SELECT min(id) FROM grids)")
        c.rollback()
    assert snapshot(scratch) == before
    with scratch.begin() as c:
        c.exec_driver_sql("UPDATE grids SET name = name WHERE id = (SELECT min(id) FROM grids)")
        c.exec_driver_sql("DELETE FROM credit_ratings WHERE id = (SELECT max(id) FROM credit_ratings)")
    after = snapshot(scratch)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"grids:UPDATE": 1,
                                                                              "credit_ratings:DELETE": 1}
