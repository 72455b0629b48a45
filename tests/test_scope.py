"""The scope: validation, the user's binding enforced inside the query layer, hostile text."""
from __future__ import annotations

import datetime as dt
import importlib
import inspect

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from queries.scope import Scope, ScopeError, parse_date, parse_datetime, resolve, scope_from_params

NJ, SQ = 320100, 321300
MODULES = ["queries.overview", "queries.hazards", "queries.warnings", "queries.enforcement", "queries.risk",
           "queries.credit", "queries.grids", "queries.enterprise", "queries.figures", "queries.handling",
           "queries.supervision", "queries.ranking", "queries.change", "queries.attention"]
NOW = dt.datetime.now().replace(microsecond=0)  # live functions (the handling desk) are compared at one moment
PERIOD = dict(date_from=dt.date(2020, 1, 1), date_to=dt.date(2021, 6, 30))
# take a scope and read nothing: describe a view (a 督办's subject), derive another scope, or say how far a period is
NOT_QUERIES = {"view_subject", "standing_scope", "unfinished"}


def public_scope_functions():
    """Every public query function whose signature takes a ``scope``."""
    out = []
    for name in MODULES:
        mod = importlib.import_module(name)
        for fname, fn in inspect.getmembers(mod, inspect.isfunction):
            if fname.startswith("_") or fn.__module__ != name or fname in NOT_QUERIES:
                continue
            if "scope" in inspect.signature(fn).parameters:
                out.append(fn)
    return out


FUNCS = public_scope_functions()
# functions of one list (queries.supervision's list checks: the list kind comes first)
LIST_FUNCS = {f for f in FUNCS if list(inspect.signature(f).parameters)[0] == "list_kind"}
ID_FUNCS = {f for f in FUNCS if list(inspect.signature(f).parameters)[0] != "scope"
            and not (f in LIST_FUNCS and list(inspect.signature(f).parameters)[1] == "scope")}


def _call(fn, scope, eng, foreign_id=None):
    kw = {"now": NOW} if "now" in inspect.signature(fn).parameters else {}
    if fn.__name__ == "changes":
        kw["keys"] = ("enforcement.hazards_found", "warnings.open", "credit.red", "hazards.points_offline")
    if fn.__name__ == "points_at":
        return fn(scope, NOW, engine=eng)
    if fn in LIST_FUNCS:
        return fn("key_control", *([foreign_id] if fn in ID_FUNCS else []), scope, engine=eng, **kw)
    if fn in ID_FUNCS:
        return fn(foreign_id, scope, engine=eng, **kw)
    if kw:
        return fn(scope, engine=eng, **kw)
    if fn.__name__ == "search":
        return fn(scope, "有限公司", engine=eng)
    if fn.__name__ == "indicator_by_region":
        return fn(scope, "inspections", engine=eng)
    return fn(scope, engine=eng)


def test_there_are_many_public_functions():
    assert len(FUNCS) > 40


@pytest.mark.parametrize("fn", [f for f in FUNCS if f not in ID_FUNCS], ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_bound_user_asking_for_another_city_is_refused(db, fn):
    with pytest.raises(ScopeError, match="无权查看"):
        _call(fn, Scope(region=NJ, binding=SQ, **PERIOD), db)


@pytest.mark.parametrize("fn", [f for f in FUNCS if f not in ID_FUNCS], ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_bound_user_asking_for_province_gets_only_own_city(db, fn):
    """A 宿迁市-bound user asking for the province gets exactly what 宿迁市 gets."""
    got = _call(fn, Scope(binding=SQ, **PERIOD), db)
    own = _call(fn, Scope(region=SQ, **PERIOD), db)
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), own.reset_index(drop=True))
    elif isinstance(got, list):
        assert got == own
    elif hasattr(got, "tables"):  # queries.ranking.Ranking: a table per indicator
        assert (got.region, got.child_kind, list(got.tables)) == (own.region, own.child_kind, list(own.tables))
        for k in got.tables:
            pd.testing.assert_frame_equal(got.tables[k], own.tables[k])
    else:
        got, own = dict(got), dict(own)
        for d in (got, own):
            d.pop("generated_at", None)
        assert got == own


@pytest.mark.parametrize("fn", sorted(ID_FUNCS, key=lambda f: f.__name__), ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_bound_user_cannot_open_foreign_objects(db, fn):
    """Objects addressed by id (enterprise, point, warning, campaign) of 南京市 are refused to a 宿迁市 user."""
    from sqlalchemy import select

    from seed.schema import campaigns, enterprises, monitoring_points, risk_reports, warnings

    table = {"enterprise_points": enterprises, "enterprise_overview": enterprises, "profile": enterprises,
             "enterprise_steps": enterprises,
             "point_trend": monitoring_points,
             "lifecycle": warnings, "history": warnings, "state": warnings,
             "campaign_profile": campaigns, "checklist": campaigns,
             "campaign_reports": campaigns, "check_state": risk_reports, "entry": risk_reports}.get(fn.__name__)
    assert table is not None, f"add {fn.__name__} to this test"
    with db.connect() as c:
        col = table.c.city_adcode
        on_list = risk_reports.c.key_control.is_(True) if table is risk_reports else col == NJ
        foreign = c.execute(select(table.c.id).where(col == NJ, on_list).limit(1)).scalar()
    assert foreign is not None
    with pytest.raises(ScopeError):
        _call(fn, Scope(binding=SQ), db, foreign_id=foreign)


def test_unknown_region_and_industry_are_refused(db):
    for bad in (Scope(region=999999), Scope(region=-1), Scope(region=10**12), Scope(industry="'; DROP TABLE x;--")):
        with pytest.raises(ScopeError):
            resolve(bad, db)


def test_period_must_be_ordered_and_sane(db):
    with pytest.raises(ScopeError):
        resolve(Scope(date_from=dt.date(2021, 3, 1), date_to=dt.date(2021, 1, 1)), db)
    with pytest.raises(ScopeError):
        resolve(Scope(date_from=dt.date(1900, 1, 1)), db)


@pytest.mark.parametrize("text", ["2021-13-01", "2021-02-30", "yesterday", "2021/01/01", "1' OR '1'='1",
                                  "９９９９-01-01", "2021-01-01\x00", "-1", "1" * 400])
def test_malformed_dates_give_a_clear_message(text):
    with pytest.raises(ScopeError, match="日期|截止时间"):
        parse_date(text)
    with pytest.raises(ScopeError):
        parse_datetime(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["region", "industry", "from", "to", "as_of"]),
                              st.one_of(st.text(max_size=60), st.integers(-10**15, 10**15).map(str),
                                        st.sampled_from(["320100", "盐城市", "鼓楼区", "chem", "C", "2021-01-01",
                                                         "2021-02-29", "320100 OR 1=1", "宿迁市'--"]))))
def test_any_text_gives_a_scope_or_a_clear_refusal(db, params):
    try:
        s = scope_from_params(params, db, binding=SQ)
    except ScopeError as e:
        assert str(e)
        return
    rs = resolve(s, db)
    assert rs.ref.contains(SQ, rs.region)


def test_ambiguous_name_is_refused_but_adcode_works(db):
    from queries.regions import reference

    ref = reference(db)
    assert ref.find("鼓楼区") is None  # 南京 320106 and 徐州 320302
    assert ref.find("320302").name == "鼓楼区"
