"""安全信用脸谱 page: tiles equal the query layer for the page's scope (Nanjing: 9,306 rated in 11 industries),
clicks on the sector bar, the map and the list drill down, and a city-bound user sees only their city."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text as sql_text

from queries import credit, enforcement
from queries.scope import Scope
from tests.apptest_util import app, clear_caches, metrics, number

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

NJ, JIANGNING, SQ = 320100, 320115, 321300


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def page_scope(db, region: int, **kw) -> Scope:
    """The scope the page uses by default: the latest year with enforcement data (pages.common.default_period)."""
    _, last = enforcement.data_range(engine=db)
    return Scope(region=region, date_from=dt.date(last.year, 1, 1), date_to=last, **kw)


def tiles_match(at, d: dict) -> None:
    m = metrics(at)
    assert number(m["安全信用脸谱评定企业"]) == d["rated"]
    assert number(m["覆盖行业"]) == d["sectors"]
    assert number(m["红黄色企业"]) == d["red_yellow"]
    assert number(m["红黄色企业占比"]) == d["red_yellow_share"]
    for label, c in (("绿色企业", "green"), ("蓝色企业", "blue"), ("黄色企业", "yellow"), ("红色企业", "red")):
        assert number(m[label]) == d[c]


def points_layer(at) -> list[dict]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    return layers["points"]["data"] if "points" in layers else []


@pytest.mark.parametrize("user,params", [("nanjing", {}), ("leader", {"region": NJ})])
def test_nanjing_bulletin_n10_through_the_page(db, user, params):
    at = app("leadership", user, params=params, page="credit.py")
    assert not at.exception, at.exception
    m = metrics(at)
    assert number(m["安全信用脸谱评定企业"]) == 9306  # bulletin N10: 9,306 enterprises rated ...
    assert number(m["覆盖行业"]) == 11  # ... in 11 industries
    assert sum(number(m[c]) for c in ("绿色企业", "蓝色企业", "黄色企业", "红色企业")) == 9306
    tiles_match(at, credit.distribution(page_scope(db, NJ), engine=db))
    # the page says which colour is best and worst, and what each colour means for supervision
    text = " ".join(c.value for c in at.caption)
    assert "绿色（最好）" in text and "红色（最差）" in text and "降低检查频次" in text


def test_per_region_table_and_red_yellow_list_equal_queries(db):
    at = app("leadership", "nanjing", page="credit.py")
    s = page_scope(db, NJ)
    reg = credit.by_region(s, engine=db)
    table = at.dataframe[0].value
    assert list(table["name"]) == list(reg["name"])
    assert list(table["rated"]) == list(reg["rated"])
    assert table["rated"].sum() == 9306
    d = credit.distribution(s, engine=db)
    from pages.credit import MAX_LIST

    lst = at.dataframe[1].value
    assert len(lst) == min(d["red_yellow"], MAX_LIST) > 0
    assert set(lst["colour_name"]) == {"红色", "黄色"}
    # the list filter: red only
    at.multiselect(key="credit_list_colour").set_value(["red"]).run()
    assert len(at.dataframe[1].value) == d["red"]


def test_the_list_opens_with_the_worst_and_its_filters_search_every_rated_enterprise(db):
    """The province's red and yellow enterprises are more than the list shows: it opens with the worst MAX_LIST (the
    map's fetch, no statement of its own) and says so; a county, a sector or a name searches all of the view's rated
    enterprises — an enterprise beyond the worst MAX_LIST is found — and equals the query for the narrower view."""
    from pages.credit import MAX_LIST, MAX_POINTS

    at = app("leadership", "leader", page="credit.py")
    assert not at.exception, at.exception
    s = page_scope(db, 320000)
    d = credit.distribution(s, engine=db)
    first = at.dataframe[1].value
    assert d["red_yellow"] > MAX_LIST and len(first) == MAX_LIST
    worst = credit.enterprises(s, engine=db, limit=MAX_POINTS, counts=d)
    assert list(first["id"]) == list(worst[worst["colour"].isin(["red", "yellow"])]["id"].head(MAX_LIST))
    assert any(f"仅列最差的 {MAX_LIST:,} 家" in c.value for c in at.caption)
    # a county whose red and yellow enterprises are not all among the worst listed
    everyone = credit.enterprises(s, engine=db, colours=("red", "yellow"), limit=10 ** 6)
    beyond = everyone[~everyone["id"].isin(first["id"])]
    county_name = beyond["county"].iloc[0]
    with db.connect() as c:
        county = c.execute(sql_text("SELECT county_adcode FROM enterprises WHERE id = :i"),
                           {"i": int(beyond["id"].iloc[0])}).scalar()
    at.selectbox(key="credit_list_county_320000").set_value(county).run()
    assert not at.exception, at.exception
    got = at.dataframe[1].value
    want = credit.enterprises(s.with_(region=county), engine=db, colours=("red", "yellow"), limit=MAX_LIST)
    assert list(got["id"]) == list(want["id"]) and set(got["county"]) == {county_name}
    assert set(got["id"]) & set(beyond["id"]), "an enterprise beyond the worst listed is found"
    # a sector within the county, then a part of a name
    sector = want["sector"].iloc[0]
    code = next(i.code for i in credit_ref(db).sectors() if i.name == sector)
    at.selectbox(key="credit_list_sector_320000_None").set_value(code).run()
    got = at.dataframe[1].value
    assert len(got) and set(got["sector"]) == {sector} and set(got["county"]) == {county_name}
    part = got["name"].iloc[-1][2:5]
    at.text_input(key="credit_list_name").set_value(part).run()
    got = at.dataframe[1].value
    want = credit.enterprises(s.with_(region=county), engine=db, colours=("red", "yellow"), sector=code,
                              name_contains=part, limit=MAX_LIST)
    assert len(got) and list(got["id"]) == list(want["id"]) and all(part in n for n in got["name"])
    assert set(got["sector"]) == {sector} and set(got["county"]) == {county_name}
    assert not any("仅列最差的" in c.value for c in at.caption)  # (not cut: the caption says nothing of it)
    at.multiselect(key="credit_list_colour").set_value([]).run()  # no colour chosen: an empty list
    assert not at.exception and len(at.dataframe[1].value) == 0


def test_the_list_filters_of_a_bound_county_and_an_industry_view(db):
    """A city user's county choices are their city's counties; a county's view offers no county and names it; a
    sector's view offers no sector and names it; a section's view narrows by sector within the section."""
    at = app("leadership", "nanjing", page="credit.py")
    box = at.selectbox(key=f"credit_list_county_{NJ}")
    assert set(box.options) - {"全部"} == {c.name for c in credit_ref(db).children(NJ)}
    at = app("leadership", "nanjing", params={"region": JIANGNING}, page="credit.py")
    box = at.selectbox(key=f"credit_list_county_{JIANGNING}")
    assert box.disabled and box.options == ["江宁区"]
    at = app("leadership", "leader", params={"region": NJ, "industry": "chem"}, page="credit.py")
    box = at.selectbox(key=f"credit_list_sector_{NJ}_chem")
    assert box.disabled and len(box.options) == 1
    at = app("leadership", "leader", params={"region": NJ, "industry": "C"}, page="credit.py")
    box = at.selectbox(key=f"credit_list_sector_{NJ}_C")
    assert not box.disabled and len(box.options) > 2
    chem = next(i for i in credit_ref(db).sectors() if i.code == "chem")
    box.set_value("chem").run()
    got = at.dataframe[1].value
    want = credit.enterprises(page_scope(db, NJ, industry="C"), engine=db, colours=("red", "yellow"), sector="chem",
                              limit=10 ** 6)
    assert list(got["id"]) == list(want["id"].head(len(got))) and set(got["sector"]) <= {chem.name}


@pytest.mark.parametrize("text", ["%", "_", "%%", "\\", "'; DROP TABLE enterprises; --", "\x00江苏"])
def test_the_name_filter_is_taken_literally(db, text):
    """% and _ are no wildcards, a quote or a backslash is a character, a NUL is dropped: nothing matches what no
    name contains, and no text breaks the page."""
    at = app("leadership", "leader", page="credit.py")
    at.text_input(key="credit_list_name").set_value(text).run()
    assert not at.exception, at.exception
    got = at.dataframe[1].value
    wanted = text.replace("\x00", "")
    assert all(wanted in n for n in got["name"])
    if wanted != "江苏":
        assert len(got) == 0
    else:
        assert len(got) > 0


def credit_ref(db):
    from queries.regions import reference

    return reference(db)


def test_map_draws_capped_points_worst_first(db):
    from pages.credit import MAX_POINTS

    at = app("leadership", "leader", page="credit.py")
    assert not at.exception, at.exception
    d = credit.distribution(page_scope(db, 320000), engine=db)
    pts = points_layer(at)
    assert len(pts) == min(MAX_POINTS, d["rated"])
    assert d["rated"] > MAX_POINTS
    assert any("仅绘制最差的" in c.value for c in at.caption)  # the page says the map is capped
    # worst first: every red point precedes every non-red point
    reds = [p["fill"][:3] == [0xE0, 0x20, 0x20] for p in pts]
    assert reds[0] and reds == sorted(reds, reverse=True)


def test_url_drill_narrows_to_county_and_sector(db):
    at = app("leadership", "nanjing", params={"region": JIANGNING, "industry": "construction"}, page="credit.py")
    assert not at.exception, at.exception
    d = credit.distribution(page_scope(db, JIANGNING, industry="construction"), engine=db)
    assert 0 < d["rated"] < 9306
    tiles_match(at, d)
    assert number(metrics(at)["覆盖行业"]) == 1


def test_clicks_drill_sector_then_region_then_enterprise(db):
    at = app("leadership", "nanjing", page="credit.py")
    at.session_state[f"credit_sector_{NJ}_None"] = {
        "selection": {"points": [{"customdata": "construction"}], "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert at.query_params["industry"] == "construction"
    tiles_match(at, credit.distribution(page_scope(db, NJ, industry="construction"), engine=db))
    at.session_state[f"credit_map_{NJ}_construction"] = {
        "selection": {"indices": {"regions": [0]}, "objects": {"regions": [{"properties": {"adcode": JIANGNING}}]}}}
    at.run()
    assert at.query_params["region"] == str(JIANGNING)
    d = credit.distribution(page_scope(db, JIANGNING, industry="construction"), engine=db)
    tiles_match(at, d)
    # a row of the red/yellow list opens the enterprise page for that enterprise, keeping the scope
    first = at.dataframe[1].value.iloc[0]
    at.session_state[f"credit_list_{JIANGNING}_construction"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["enterprise"] == str(int(first["id"]))
    assert at.query_params["region"] == str(JIANGNING)


def test_city_user_cannot_open_another_city(db):
    at = app("leadership", "suqian", page="credit.py")
    at.query_params["region"] = str(NJ)  # a hand-edited URL on this page
    at.run()
    assert not at.exception, at.exception
    assert any("无权查看" in e.value for e in at.error)
    tiles_match(at, credit.distribution(page_scope(db, SQ), engine=db))


@pytest.mark.parametrize("user", ["leader", "admin", "nanjing", "yancheng", "suqian"])
def test_renders_for_every_allowed_role(db, user):
    at = app("leadership", user, page="credit.py")
    assert not at.exception, at.exception
    assert number(metrics(at)["安全信用脸谱评定企业"]) > 0
    assert len(at.dataframe) == 2


def test_a_view_with_no_rated_enterprise_shows_no_share(db):
    """Before the first rating nothing is rated: the share of red and yellow is no value (—), not 0 %."""
    at = app("leadership", "leader", params={"region": NJ, "from": "2018-01-01", "to": "2018-12-31"}, page="credit.py")
    assert not at.exception, at.exception
    m = metrics(at)
    assert credit.distribution(Scope(region=NJ, date_from=dt.date(2018, 1, 1), date_to=dt.date(2018, 12, 31)),
                               engine=db)["rated"] == 0
    assert number(m["安全信用脸谱评定企业"]) == 0 and m["红黄色企业占比"] == "—"
    assert any("没有评级企业" in i.value for i in at.info)
