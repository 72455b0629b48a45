"""Derived columns (seed.derived; used by queries when queries.derived.usable): the triggers keep them equal to a fresh computation whatever is written,
and every figure computed with them equals the figure computed without them (OVERSIGHT_DERIVED=0), for
scopes of every kind."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, select, update

from queries import credit, derived, enforcement, risk
from seed import derived as derived_columns
from queries.base import prepare
from queries.regions import PROVINCE, reference
from queries.scope import Scope
from seed import schema as S
from tests.derived_util import assert_same_without_derived

D1, D2 = dt.date(2021, 1, 1), dt.date(2021, 2, 28)
YANCHENG = 320900


def _scopes(db) -> dict[str, Scope]:
    ref = reference(db)
    county = ref.children(YANCHENG)[0].adcode
    sector = ref.sectors()[0].code
    section = next(i.code for i in ref.industries.values() if i.kind == "section")
    with db.connect() as c:  # a division (national-economy class) that has inspections
        division = c.execute(select(S.inspections.c.industry_code).group_by(S.inspections.c.industry_code)
                             .order_by(func.count().desc()).limit(1)).scalar()
    now = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=1)
    return {
        "province": Scope(PROVINCE, None, D1, D2),
        "province-2020": Scope(PROVINCE, None, dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
        "city": Scope(YANCHENG, None, D1, D2),
        "city-mid-month": Scope(YANCHENG, None, dt.date(2020, 11, 17), dt.date(2021, 2, 3)),
        "city-no-start": Scope(YANCHENG, None, None, D2),
        "city-all-time": Scope(YANCHENG),
        "county": Scope(county, None, D1, D2),
        "sector": Scope(PROVINCE, sector, D1, D2),
        "section": Scope(YANCHENG, section, D1, D2),
        "division": Scope(PROVINCE, division, D1, D2),
        "bound": Scope(YANCHENG, None, D1, D2, binding=YANCHENG),
        "as-of-now": Scope(YANCHENG, None, D1, D2, now),  # after every recorded row: the derived columns apply
        "as-of-past": Scope(YANCHENG, None, D1, D2, dt.datetime(2021, 1, 20, 12, 0)),  # before: they do not
    }


# the period figures that the aggregate cells serve (enforcement.summary, by_region, by_sector; risk.completion,
# by_region, by_sector) are compared the same way (OVERSIGHT_DERIVED on and off) in tests/test_cells.py, for every
# kind of scope here and periods that start or end inside a month
FUNCTIONS = [enforcement.by_department, enforcement.campaigns, risk.trend,
             credit.distribution, credit.by_region, credit.by_sector, credit.enterprises]


@pytest.mark.slow
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f"{f.__module__.split('.')[-1]}.{f.__name__}")
def test_figures_equal_with_and_without_derived_columns(db, fn, monkeypatch):
    # the derived columns' own path: with the maintained aggregates on, the figures they serve would read them
    # instead (their sweep against the fact rows: tests/test_cells.py)
    monkeypatch.setenv("OVERSIGHT_CELLS", "0")
    assert_same_without_derived(fn, _scopes(db), db, monkeypatch)


def test_the_derived_path_is_taken_and_the_raw_one_when_as_of_is_past(db, monkeypatch):
    """The comparison above is not vacuous: with the columns on, the statements read them (no DISTINCT, no
    window), except for an as-of before the newest recorded row."""
    from sqlalchemy import event

    seen: list[str] = []

    def rec(conn, cursor, statement, *a):
        seen.append(statement)

    monkeypatch.setenv("OVERSIGHT_CELLS", "0")  # the derived columns' own path (the aggregates: tests/test_cells.py)
    event.listen(db, "before_cursor_execute", rec)
    try:
        sc = _scopes(db)
        enforcement.summary(sc["city"], engine=db)
        credit.distribution(sc["city"], engine=db)
        risk.completion(sc["city"], engine=db)
        fast = " ".join(seen)
        assert "prev_on" in fast and "superseded_on" in fast and "first_for_obligation" in fast
        assert "row_number" not in fast.lower() and "count(DISTINCT inspections" not in fast
        seen.clear()
        enforcement.summary(sc["as-of-past"], engine=db)
        credit.distribution(sc["as-of-past"], engine=db)
        past = " ".join(seen)
        assert "prev_on" not in past and "superseded_on" not in past and "row_number" in past.lower()
    finally:
        event.remove(db, "before_cursor_execute", rec)
    assert derived.usable(prepare(sc["as-of-now"], db)[1], S.inspections, db)
    assert not derived.usable(prepare(sc["as-of-past"], db)[1], S.inspections, db)


def test_derived_columns_match_a_fresh_computation(db):
    with db.connect() as c:
        assert derived_columns.check(c) == {"inspections": 0, "credit_ratings": 0, "risk_reports": 0}


def test_triggers_keep_them_exact_through_any_write(db):
    """Insert into the middle of an enterprise's history, move a row, change a department, delete; the same for
    credit ratings, risk reports, risk items and an obligation; each write checked on the histories it touched,
    everything at the end. Inside one transaction, rolled back."""
    I, CR, RR, RI = S.inspections, S.credit_ratings, S.risk_reports, S.risk_items
    ok = {"inspections": 0, "credit_ratings": 0, "risk_reports": 0}
    with db.connect() as c:
        tx = c.begin()
        try:
            e = c.execute(select(I.c.enterprise_id).group_by(I.c.enterprise_id).having(func.count() >= 3)
                          .order_by(I.c.enterprise_id).limit(1)).scalar()

            def ok_for(enterprises=(), obligations=()):  # the touched histories only: the whole check takes seconds
                return derived_columns.check(c, enterprises=list(enterprises), obligations=list(obligations)) == ok

            rows = c.execute(select(I).where(I.c.enterprise_id == e).order_by(I.c.inspected_on, I.c.id)).mappings().all()
            new = {k: v for k, v in rows[1].items() if k not in ("id", "prev_on", "prev_dept_on", "first_in_campaign")}
            new.update(record_no=None, inspected_on=rows[0]["inspected_on"] + dt.timedelta(days=1))
            c.execute(insert(I).values(**new))
            assert ok_for(enterprises=[e])
            c.execute(update(I).where(I.c.id == rows[0]["id"])
                      .values(inspected_on=rows[-1]["inspected_on"] + dt.timedelta(days=3)))
            assert ok_for(enterprises=[e])
            c.execute(update(I).where(I.c.id == rows[1]["id"]).values(department="测试局"))
            assert ok_for(enterprises=[e])
            for t in (S.cases, S.suspension_orders, S.hidden_hazards):
                c.execute(delete(t).where(t.c.inspection_id == rows[2]["id"]))
            c.execute(delete(I).where(I.c.id == rows[2]["id"]))
            assert ok_for(enterprises=[e])

            cr = c.execute(select(CR).order_by(CR.c.id).limit(1)).mappings().one()
            new = {k: v for k, v in cr.items() if k not in ("id", "superseded_on")}
            c.execute(insert(CR).values(**{**new, "rated_on": cr["rated_on"] + dt.timedelta(days=10)}))
            assert ok_for(enterprises=[cr["enterprise_id"]])
            c.execute(update(CR).where(CR.c.id == cr["id"]).values(rated_on=cr["rated_on"] + dt.timedelta(days=20)))
            assert ok_for(enterprises=[cr["enterprise_id"]])

            rr = c.execute(select(RR).order_by(RR.c.id).limit(1)).mappings().one()
            new = {k: v for k, v in rr.items()
                   if k not in ("id", "first_for_obligation", "items_total", "items_major_or_above", "items_major")}
            rid = c.execute(insert(RR).values(**{**new, "report_no": None,
                                                 "submitted_at": rr["submitted_at"] - dt.timedelta(days=1)})
                            ).inserted_primary_key[0]
            assert ok_for(obligations=[rr["obligation_id"]])
            item = c.execute(select(RI).order_by(RI.c.id).limit(1)).mappings().one()
            c.execute(insert(RI).values(**{**{k: v for k, v in item.items() if k != "id"}, "report_id": rid,
                                           "level": 1}))
            assert ok_for(obligations=[rr["obligation_id"]])
            c.execute(update(RI).where(RI.c.report_id == rid).values(level=3))
            assert ok_for(obligations=[rr["obligation_id"]])
            c.execute(update(RI).where(RI.c.report_id == rid).values(report_id=rr["id"]))
            assert ok_for(obligations=[rr["obligation_id"]])
            c.execute(delete(RR).where(RR.c.id == rid))
            assert ok_for(obligations=[rr["obligation_id"]])
            ob = c.execute(select(S.risk_obligations).where(S.risk_obligations.c.id == rr["obligation_id"])).mappings().one()
            c.execute(update(S.risk_obligations).where(S.risk_obligations.c.id == ob["id"])
                      .values(above_scale=not ob["above_scale"]))  # the obligation no longer counts (or now does)
            assert ok_for(obligations=[rr["obligation_id"]])

            assert derived_columns.check(c) == ok  # and nothing else moved

            # and the check itself sees a stale column
            derived_columns.drop_triggers(c)
            c.execute(update(I).where(I.c.id == rows[1]["id"]).values(inspected_on=dt.date(2019, 1, 1)))
            assert derived_columns.check(c, enterprises=[e], obligations=[])["inspections"] > 0
        finally:
            tx.rollback()
    with db.connect() as c:  # the rollback restored the triggers too
        tx = c.begin()
        try:
            i = c.execute(select(I.c.id).order_by(I.c.id).limit(1)).scalar()
            c.execute(update(I).where(I.c.id == i).values(inspected_on=dt.date(2019, 1, 1)))
            assert derived_columns.check(c) == ok
        finally:
            tx.rollback()
