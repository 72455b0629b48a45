"""网格化监管 page: Nanjing's grids (12,000 / 1,780 / 16,000), 400,000+ enterprises filed, 20+ member units and
16,000 key enterprises come out through the page; tiles equal the queries; clicks and URL drill down."""
from __future__ import annotations

import datetime as dt

import pytest

from queries import enforcement, grids, overview
from queries.scope import Scope
from tests.apptest_util import app, clear_caches, metrics, number

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

NJ, JIANGNING, YC = 320100, 320115, 320900


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def page_scope(db, region: int, **kw) -> Scope:
    """The scope the page uses by default: the latest year with enforcement data (pages.common.default_period)."""
    _, last = enforcement.data_range(engine=db)
    return Scope(region=region, date_from=dt.date(last.year, 1, 1), date_to=last, **kw)


def tiles_match(at, s: dict, p: dict) -> None:
    m = metrics(at)
    assert number(m["综治网格"]) == s["zongzhi"]
    assert number(m["应急网格"]) == s["yingji"]
    assert number(m["安全生产监管网格"]) == s["anquan"]
    assert number(m["网格内实有企业建档"]) == s["enterprises_filed"]
    assert number(m["平台登记企业"]) == s["enterprises"]
    assert number(m["已入格企业"]) == s["in_grid"]
    assert number(m["入格率"]) == s["grid_coverage"]
    assert number(m["每个监管网格建档企业"]) == s["filed_per_grid"]
    assert number(m["接入数据的安委会成员单位"]) == p["data_sources"]
    assert number(m["重点企业（监管数据汇集）"]) == p["key_enterprises"]
    assert number(m["规模以上企业"]) == p["above_scale"]


@pytest.mark.parametrize("user,params", [("nanjing", {}), ("leader", {"region": NJ})])
def test_nanjing_bulletin_n1_n2_n8_n9_through_the_page(db, user, params):
    at = app("leadership", user, params=params, page="grids.py")
    assert not at.exception, at.exception
    m = metrics(at)
    # N8: 综治网格 / 应急网格 / 安全生产监管网格
    assert (number(m["综治网格"]), number(m["应急网格"]), number(m["安全生产监管网格"])) == (12000, 1780, 16000)
    # N9: 400,000+ enterprises filed in grids
    assert number(m["网格内实有企业建档"]) == 402316
    assert 400000 < number(m["网格内实有企业建档"]) <= 405000
    # N1 / N2: 20+ member units feeding the platform, 16,000 key enterprises
    assert 20 < number(m["接入数据的安委会成员单位"]) <= 22
    assert number(m["重点企业（监管数据汇集）"]) == 16000
    s = page_scope(db, NJ)
    tiles_match(at, grids.summary(s, engine=db), overview.platform(s, engine=db))


def test_region_table_and_top_grids_equal_queries(db):
    at = app("leadership", "nanjing", page="grids.py")
    s = page_scope(db, NJ)
    reg = grids.by_region(s, engine=db)
    table = at.dataframe[0].value
    assert list(table["name"]) == list(reg["name"])
    assert list(table["enterprises_filed"]) == list(reg["enterprises_filed"])
    assert table["anquan"].sum() == 16000
    top = at.dataframe[1].value
    want = grids.top_grids(s, engine=db, kind="anquan", limit=50)
    assert list(top["code"]) == list(want["code"])
    assert list(top["enterprises_filed"]) == sorted(top["enterprises_filed"], reverse=True)
    # the kind selector switches the list (and is kept in the URL)
    at.segmented_control[0].set_value("yingji").run()
    assert not at.exception, at.exception
    assert at.query_params["kind"] == "yingji"
    top = at.dataframe[1].value
    assert list(top["code"]) == list(grids.top_grids(s, engine=db, kind="yingji", limit=50)["code"])
    assert all("应急网格" in n for n in top["name"])


def test_url_and_click_drill_down(db):
    at = app("leadership", "leader", params={"region": NJ}, page="grids.py")
    at.session_state[f"grids_bar_{NJ}"] = {
        "selection": {"points": [{"customdata": JIANGNING}], "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["region"] == str(JIANGNING)
    s = page_scope(db, JIANGNING)
    summ = grids.summary(s, engine=db)
    assert 0 < summ["anquan"] < 16000
    tiles_match(at, summ, overview.platform(s, engine=db))
    # the map click on the province level drills to a city
    at = app("leadership", "leader", page="grids.py")
    at.session_state["grids_map_320000"] = {
        "selection": {"indices": {"regions": [8]}, "objects": {"regions": [{"properties": {"adcode": YC}}]}}}
    at.run()
    assert at.query_params["region"] == str(YC)
    s = page_scope(db, YC)
    tiles_match(at, grids.summary(s, engine=db), overview.platform(s, engine=db))


def test_city_user_cannot_open_another_city(db):
    at = app("leadership", "yancheng", page="grids.py")
    at.query_params["region"] = str(NJ)  # a hand-edited URL on this page
    at.run()
    assert not at.exception, at.exception
    assert any("无权查看" in e.value for e in at.error)
    s = page_scope(db, YC)
    tiles_match(at, grids.summary(s, engine=db), overview.platform(s, engine=db))
    assert number(metrics(at)["综治网格"]) != 12000


@pytest.mark.parametrize("user", ["leader", "admin", "nanjing", "yancheng", "suqian"])
def test_renders_for_every_allowed_role(db, user):
    at = app("leadership", user, page="grids.py")
    assert not at.exception, at.exception
    assert number(metrics(at)["安全生产监管网格"]) > 0
    assert len(at.dataframe) == 2
