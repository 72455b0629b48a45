"""总览 page: renders for every role that has it; its tiles equal the query layer's figures for the same scope."""
from __future__ import annotations

import datetime as dt

import pytest

from queries import enforcement, hazards, risk, warnings
from queries.scope import Scope
from tests.apptest_util import app, clear_caches, deck_click, metrics, number

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

PERIOD = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


@pytest.mark.parametrize("user,region", [("leader", 320000), ("admin", 320000), ("yancheng", 320900),
                                         ("nanjing", 320100)])
def test_overview_tiles_equal_queries(db, user, region):
    at = app("leadership", user)
    assert not at.exception, at.exception
    m = metrics(at)
    s = Scope(region=region, **PERIOD)
    en = enforcement.summary(s, engine=db)
    assert number(m["检查企业"]) == en["enterprises_inspected"]
    assert number(m["排查隐患"]) == en["hazards_found"]
    assert number(m["立案查处"]) == en["cases_filed"]
    hz = hazards.summary(s, engine=db)
    assert number(m["重大危险源企业"]) == hz["hazard_enterprises"]
    assert number(m["未消警预警"]) == warnings.summary(s, engine=db)["open"]
    assert number(m["风险报告完成上报率"]) == risk.completion(s, engine=db)["completion_rate"]


def test_city_user_cannot_open_another_city_by_url(db):
    at = app("leadership", "suqian", params={"region": 320100})
    assert not at.exception
    assert any("无权查看" in e.value for e in at.error)
    own = enforcement.summary(Scope(region=321300, **PERIOD), engine=db)
    assert number(metrics(at)["检查企业"]) == own["enterprises_inspected"]


def test_duty_role_has_only_the_handling_pages_of_the_leadership_app(db):
    """The duty room handles warnings (the desk, a warning's detail, the enterprise file, its 督办), not the
    cockpit."""
    from pages.app import pages_for

    assert {p.file for p in pages_for("leadership", "duty")} == {"handling.py", "warnings.py", "enterprise.py",
                                                                 "supervision.py"}
    at = app("leadership", "duty")
    assert not at.exception
    assert not any("无权使用" in w.value for w in at.warning)
    assert "预警处置" in " ".join(m.value for m in at.markdown) + " ".join(t.value for t in at.title)


def test_signed_out_sees_only_login(db):
    at = app("leadership")
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert not at.metric


def _click_region(at, key, adcode):
    at.session_state[key] = deck_click(adcode)
    at.run()
    assert not at.exception, at.exception


def test_drill_province_to_yancheng_to_county_and_the_url_reproduces_it(db):
    """Province → click 盐城市 on the map → click one of its counties: figures narrow; the URL reproduces the view."""
    at = app("leadership", "leader")
    province = number(metrics(at)["检查企业"])
    _click_region(at, "overview_map_320000", 320900)
    assert at.query_params["region"] == "320900"
    yc = enforcement.summary(Scope(region=320900, **PERIOD), engine=db)
    assert number(metrics(at)["检查企业"]) == yc["enterprises_inspected"] < province
    county = 320902  # 亭湖区
    _click_region(at, "overview_map_320900", county)
    assert at.query_params["region"] == str(county)
    ct = enforcement.summary(Scope(region=county, **PERIOD), engine=db)
    shown = metrics(at)
    assert number(shown["检查企业"]) == ct["enterprises_inspected"] < yc["enterprises_inspected"]
    # a copied link: a new session opened with the same URL shows the same view and figures
    clear_caches()
    again = app("leadership", "leader", params={k: at.query_params[k] for k in at.query_params})
    assert metrics(again) == shown


# --- 督办事项 -------------------------------------------------------------------------------------------------------

def _dataframe(at, first_column: str):
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def _supervision_expected(db, region: int, binding: int | None, **period):
    from queries import supervision

    now = dt.datetime.now()
    flow = supervision.summary(Scope(region=region, binding=binding, **period), engine=db, now=now)
    standing = supervision.summary(Scope(region=region, binding=binding), engine=db, now=now)
    return flow, standing


@pytest.mark.parametrize("user,region,binding", [("leader", 320000, None), ("yancheng", 320900, 320900)])
def test_supervision_block_equals_the_summary(db, user, region, binding):
    """在办 and 超期 are supervision.summary now (whenever sent), 办结率 that of the period's orders; the table's rows
    add up to the tiles; a period with no orders sent shows — for the rate."""
    from queries import supervision

    today = dt.date.today()
    recent = dict(date_from=today - dt.timedelta(days=60), date_to=today)
    for period, params in ((PERIOD, {}), (recent, {"from": recent["date_from"], "to": recent["date_to"]})):
        clear_caches()
        at = app("leadership", user, params=params)
        assert not at.exception, at.exception
        m = metrics(at)
        flow, standing = _supervision_expected(db, region, binding, **period)
        assert number(m["在办督办"]) == standing["open"] and number(m["超期督办"]) == standing["overdue"]
        if flow["sent"]:
            assert number(m["督办办结率"]) == flow["closed_rate"]
        else:
            assert m["督办办结率"] == "—"
        by = _dataframe(at, "城市" if region == 320000 else "区县")
        assert by["在办督办"].sum() == standing["open"] and by["超期督办"].sum() == standing["overdue"]
        assert by["督办件数"].sum() == flow["sent"] and by["已办结督办"].sum() == flow["closed"]
    # the recent period holds the demo's orders: the figures are not all zero
    assert standing["open"] > 0 and standing["overdue"] > 0 and flow["sent"] > 0
    if region == 320000:
        assert 0 < flow["closed_rate"] < 100
    by_region = supervision.by_region(Scope(region=region, binding=binding), engine=db)
    assert list(by["超期督办"]) == list(by_region["overdue"])


def test_supervision_block_of_a_city_user_shows_only_their_city(db):
    """yancheng sees 盐城市's counties and its own orders (市本级), never another city, even when the link asks for
    the province or 南京市."""
    from queries.regions import reference

    ref = reference(db)
    counties = {d.name for d in ref.children(320900)}
    for params in ({}, {"region": 320000}, {"region": 320100}):
        clear_caches()
        at = app("leadership", "yancheng", params=params)
        assert not at.exception, at.exception
        names = set(_dataframe(at, "区县")["区县"])
        assert names <= counties | {"盐城市（市本级）"} and names & counties
        assert not any(d.name in names for d in ref.cities())
        _, standing = _supervision_expected(db, 320900, 320900)
        province = _supervision_expected(db, 320000, None)[1]
        assert number(metrics(at)["在办督办"]) == standing["open"] < province["open"]


@pytest.mark.parametrize("indicator,source,field,base", [
    ("online_rate", hazards.by_region, "online_rate", "points"),
    ("risk_completion", risk.by_region, "completion_rate", "required")])
def test_a_map_rate_of_nothing_is_no_data(db, indicator, source, field, base):
    """A region where a rate's denominator is 0 (no monitoring point of a division, no report due in an industry)
    is drawn as no data, not as the worst 0 %: the overview's map values and a topic page's map alike."""
    import json

    import pandas as pd

    from pages.common import map_values
    from queries import overview

    for s in (Scope(region=320100, industry="C26"), Scope(region=320900, industry="fireworks")):
        df = source(s, engine=db)
        got = overview.indicator_by_region(s, indicator, engine=db).set_index("adcode")["value"]
        for adcode, n, v in zip(df["adcode"], df[base], df[field]):
            assert (pd.isna(got[adcode]) if n == 0 else got[adcode] == v), (s, adcode)
        key = {"online_rate": "hazards.online_rate", "risk_completion": "risk.completion_rate"}[indicator]
        assert map_values(df, key).set_index("adcode")["value"].equals(got.astype(float))
    assert any(pd.isna(v) for v in got) or indicator == "online_rate"
    # on the page the region without a base is grey with —, not coloured
    at = app("leadership", "leader", params={"region": 320900, "industry": "fireworks", "map": indicator})
    assert not at.exception, at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    feats = next(layer for layer in spec["layers"] if layer["id"] == "regions")["data"]["features"]
    assert feats and all(f["properties"]["fill"] == [200, 200, 200, 120] for f in feats)
