"""重大危险源实时监测 page: tiles equal the query layer for the same scope, drill-down narrows them, one
enterprise's points and trend, and a city-bound user cannot open another city's enterprise."""
from __future__ import annotations

import json

import pytest
from pages.ui import NO_COLOUR, POINT_STATUS_HEX
from queries import hazards
from queries.regions import reference
from queries.scope import Scope
from streamlit.testing.v1 import AppTest

from tests.apptest_util import app, clear_caches, label_colours, metrics, number, table_text

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

NJ, SQ = 320100, 321300
HOME = {"leader": 320000, "admin": 320000, "nanjing": NJ, "yancheng": 320900, "suqian": SQ}


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def open_page(user: str, params: dict | None = None) -> AppTest:
    """The hazards page as ``user`` with ``params`` in the URL of the page itself (not of the landing page)."""
    at = app("leadership", user, page="hazards.py")
    if params:
        for k, v in params.items():
            at.query_params[k] = str(v)
        at.run()
    return at


def _tiles_equal_summary(m: dict, s: dict) -> None:
    assert number(m["重大危险源企业"]) == s["hazard_enterprises"]
    assert number(m["接入在线监测的重大危险源企业"]) == s["connected_enterprises"]
    assert number(m["重大危险源"]) == s["hazard_sources"]
    assert number(m["接入监测点（在线采集安全参数）"]) == s["points"]
    assert number(m["报警监测点"]) == s["points_alarm"]
    assert number(m["离线监测点"]) == s["points_offline"]
    assert number(m["监测点在线率"]) == s["online_rate"]
    assert number(m["重大危险源企业接入率"]) == s["access_rate"]
    for lv, name in ((1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")):
        assert number(m[f"{name}重大危险源"]) == s[f"level_{lv}"]


@pytest.mark.parametrize("user", list(HOME))
def test_tiles_equal_queries_for_every_role(db, user):
    at = open_page(user)
    assert not at.exception, at.exception
    assert not at.error
    s = hazards.summary(Scope(region=HOME[user]), engine=db)
    _tiles_equal_summary(metrics(at), s)
    # the enterprise table lists the scope's hazard enterprises, alarms first
    ent = hazards.enterprises(Scope(region=HOME[user]), engine=db)
    table = table_text(at.dataframe[-1])
    assert len(table) == len(ent)
    assert list(table["企业"]) == list(ent["name"])
    assert list(table["报警"]) == sorted(table["报警"], reverse=True)


def test_province_leader_drilled_to_nanjing_sees_bulletin_figures(db):
    province = number(metrics(open_page("leader"))["接入监测点（在线采集安全参数）"])
    at = open_page("leader", {"region": NJ})
    assert not at.exception, at.exception
    m = metrics(at)
    assert number(m["接入在线监测的重大危险源企业"]) == 74  # bulletin N3
    assert number(m["接入监测点（在线采集安全参数）"]) == 4264  # bulletin N4
    assert number(m["接入监测点（在线采集安全参数）"]) < province
    _tiles_equal_summary(m, hazards.summary(Scope(region=NJ), engine=db))
    # the by-county table covers Nanjing's 11 counties and adds up to the city
    counties = table_text(at.dataframe[0])
    assert len(counties) == 11
    assert counties["监测点"].sum() == 4264


def test_clicking_a_bar_drills_down_and_county_narrows(db):
    at = open_page("leader")
    at.session_state["hz_bar_320000"] = {"selection": {"points": [{"customdata": NJ, "x": "南京市"}],
                                                      "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, at.exception
    assert str(NJ) in str(at.query_params["region"])
    assert number(metrics(at)["接入监测点（在线采集安全参数）"]) == 4264
    county = 320115  # 江宁区
    at = open_page("nanjing", {"region": county})
    assert not at.exception, at.exception
    s = hazards.summary(Scope(region=county), engine=db)
    assert 0 < s["points"] < 4264
    _tiles_equal_summary(metrics(at), s)


def test_city_user_sees_only_their_city(db):
    at = open_page("yancheng", {"region": NJ})
    assert not at.exception
    assert any("无权查看" in e.value for e in at.error)
    _tiles_equal_summary(metrics(at), hazards.summary(Scope(region=320900), engine=db))
    own_counties = {d.name for d in reference(db).children(320900)}
    assert set(table_text(at.dataframe[-1])["区县"]) <= own_counties
    assert set(table_text(at.dataframe[0])["区县"]) == own_counties


def _alarm_enterprise(db) -> int:
    ent = hazards.enterprises(Scope(region=NJ), engine=db)
    return int(ent[ent["points_alarm"] > 0].iloc[0]["id"])


def test_enterprise_points_and_trend(db):
    eid = _alarm_enterprise(db)
    at = open_page("nanjing", {"enterprise": eid})
    assert not at.exception, at.exception
    assert not at.error
    m = metrics(at)
    o = hazards.enterprise_overview(eid, Scope(region=NJ), engine=db)
    assert number(m["接入监测点（在线采集安全参数）"]) == o["points"]
    assert number(m["报警监测点"]) == o["points_alarm"] > 0
    assert number(m["离线监测点"]) == o["points_offline"]
    assert number(m["正常监测点"]) == o["points_normal"]
    assert number(m["重大危险源"]) == o["hazard_sources"]
    pts = hazards.enterprise_points(eid, Scope(region=NJ), engine=db)
    table = table_text(at.dataframe[0])
    assert len(table) == len(pts) == o["points"]
    assert table.iloc[0]["状态"] == "报警"  # alarms first
    # a point's status in its colour: alarms red, offline grey, the rest plain
    colours = label_colours(at.dataframe[0], "状态")
    assert colours["报警"] == POINT_STATUS_HEX["alarm"]
    assert all(colours[s] == NO_COLOUR for s in colours if s not in ("报警", "离线"))
    assert colours.get("离线", POINT_STATUS_HEX["offline"]) == POINT_STATUS_HEX["offline"]
    # the trend of the first (alarm) point, with its threshold lines
    trend = hazards.point_trend(int(pts.iloc[0]["id"]), Scope(region=NJ), engine=db)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"][0]["x"]) == len(trend) > 0
    ys = {round(s["y0"], 3) for s in spec["layout"].get("shapes", [])}
    for col in ("high_alarm", "high_high_alarm"):
        if pts.iloc[0][col] is not None:
            assert round(float(pts.iloc[0][col]), 3) in ys
    # a link to the enterprise's profile
    assert any(p.proto.page == "enterprise" and f"enterprise={eid}" in p.proto.query_string
               for p in at.get("page_link"))


def test_choosing_another_point_changes_the_trend(db):
    eid = _alarm_enterprise(db)
    pts = hazards.enterprise_points(eid, Scope(region=NJ), engine=db)
    other = int(pts.iloc[-1]["id"])
    at = open_page("leader", {"enterprise": eid, "point": other})
    assert not at.exception, at.exception
    assert at.selectbox(key=f"hz_point_{eid}_{other}").value == other
    trend = hazards.point_trend(other, Scope(), engine=db)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"][0]["x"]) == len(trend)


def test_selecting_an_enterprise_row_opens_its_points(db):
    at = open_page("nanjing")
    first = hazards.enterprises(Scope(region=NJ), engine=db).iloc[0]
    at.session_state[f"hz_ent_{NJ}_None"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert str(int(first["id"])) in str(at.query_params["enterprise"])
    assert any(m.body == f"### {first['name']}" for m in at.markdown)


def test_suqian_cannot_open_a_nanjing_enterprise(db):
    eid = _alarm_enterprise(db)
    at = open_page("suqian", {"enterprise": eid})
    assert not at.exception, at.exception
    assert any("不在您的权限范围内" in e.value for e in at.error)
    assert not at.metric
    assert not at.dataframe
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("bad", ["abc", "-3", "0", "1 OR 1=1", "99999999"])
def test_bad_enterprise_id_gives_a_clear_message(db, bad):
    at = open_page("leader", {"enterprise": bad})
    assert not at.exception, at.exception
    assert any("企业编号无效" in e.value or "不存在" in e.value for e in at.error)
    assert not at.metric


def test_point_choice_is_kept_in_the_url(db):
    eid = _alarm_enterprise(db)
    pts = hazards.enterprise_points(eid, Scope(region=NJ), engine=db)
    first, second = int(pts.iloc[0]["id"]), int(pts.iloc[1]["id"])
    at = open_page("nanjing", {"enterprise": eid})
    at.selectbox(key=f"hz_point_{eid}_{first}").set_value(second).run()
    assert not at.exception, at.exception
    assert str(second) in str(at.query_params["point"])
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"][0]["x"]) == len(hazards.point_trend(second, Scope(region=NJ), engine=db))


def test_a_region_table_shows_no_rate_where_there_is_nothing_to_rate(db):
    """A county of the view with no monitoring point of the industry has no 在线率 (an empty cell of a progress
    column), not 0.0 %; the others show the query's rate."""
    import pandas as pd

    at = open_page("leader", {"region": 320900, "industry": "fireworks"})
    assert not at.exception, at.exception
    assert at.query_params["industry"] == "fireworks"
    reg = hazards.by_region(Scope(region=320900, industry="fireworks"), engine=db)
    table = next(d.value for d in at.dataframe if "在线率(%)" in d.value.columns)
    got = dict(zip(table["区县"], table["在线率(%)"]))
    assert (reg["points"] == 0).any() and len(got) == len(reg)
    for name, n, rate in zip(reg["name"], reg["points"], reg["online_rate"]):
        assert pd.isna(got[name]) if n == 0 else got[name] == rate, name


@pytest.mark.parametrize("user, region", [("leader", 320000), ("nanjing", 320100), ("suqian", 321300)])
def test_the_enterprise_list_says_how_many_there_are_and_how_many_it_lists(db, user, region):
    """The list is bounded (500, alarms and offline points first); its caption counts every hazard enterprise in
    scope (the summary's figure), not the rows listed."""
    at = open_page(user)
    s = hazards.summary(Scope(region=region), engine=db)
    listed = hazards.enterprises(Scope(region=region), engine=db)
    whole = hazards.enterprises(Scope(region=region), engine=db, limit=100_000)
    assert len(whole) == s["hazard_enterprises"]  # the same enterprises
    captions = [c.value for c in at.caption if "选中一行查看该企业" in c.value]
    if len(listed) < len(whole):
        assert captions == [f"共 {len(whole):,} 家，列出报警、离线在前的 {len(listed):,} 家。选中一行查看该企业的监测点读数与趋势。"]
    else:
        assert captions == [f"共 {len(whole):,} 家，全部列出。选中一行查看该企业的监测点读数与趋势。"]
    assert (region == 320000) == (len(listed) < len(whole))  # the province's list is cut, the cities' are whole
