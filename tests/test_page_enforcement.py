"""执法专项行动 page: the bulletin's 盐城 figures on the page, tiles equal the query layer for the same scope,
campaign choice in the URL, drill-down by region / sector / enterprise, city binding, every role."""
from __future__ import annotations

import datetime as dt

import pytest

from pages.common import scope_token
from pages.ui import LATE_COLOUR, NO_COLOUR
from queries import enforcement
from queries.scope import Scope
from tests.apptest_util import app, clear_caches, label_colours, metrics, number, plotly_click, table_text

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

YC, NJ, SQ = 320900, 320100, 321300
YC_PARAMS = {"region": YC, "from": "2021-01-01", "to": "2021-02-28"}
YC_SCOPE = dict(region=YC, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28))
DEFAULT = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))  # the app's default period
PAGE = "enforcement.py"


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def _campaign_of(db, city: int) -> int:
    camps = enforcement.campaigns(Scope(region=city), engine=db)
    return int(camps[camps["city_adcode"] == city].iloc[0]["id"])


def _page(user, params=None):
    at = app("leadership", user, params=params, page=PAGE)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("user", ["leader", "yancheng"])
def test_bulletin_yancheng_january_february_on_the_page(db, user):
    m = metrics(_page(user, YC_PARAMS))
    assert m["检查企业"] == "11,703 家"
    assert m["排查隐患"] == "22,509 个"
    assert m["责令停产停业整顿"] == "77 家"
    assert m["立案查处"] == "798 起"


def test_all_period_tiles_equal_the_query(db):
    m = metrics(_page("yancheng", YC_PARAMS))
    s = enforcement.summary(Scope(**YC_SCOPE, binding=YC), engine=db)
    for label, key in [("检查企业（家次）", "inspections"), ("重大事故隐患", "major_hazards"),
                       ("已整改隐患", "hazards_rectified"), ("隐患整改率", "rectification_rate"),
                       ("罚没款（万元）", "fines_wan"), ("案均罚款（万元）", "avg_fine_wan"),
                       ("移送司法机关", "transferred_judicial"), ("联合（联动）执法", "joint_actions"),
                       ("曝光违法案件", "exposures"), ("联合惩戒", "joint_punishments"), ("纳入黑名单", "blacklisted"),
                       ("“不放心”企业", "watchlist")]:
        assert number(m[label]) == s[key], label
    wo = enforcement.work_orders(Scope(**YC_SCOPE, binding=YC), engine=db)
    assert number(m["提醒、监督类工单"]) == wo["total"]
    assert number(m["提醒类工单"]) + number(m["监督类工单"]) == wo["total"]
    assert number(m["超期未办结工单"]) == wo["overdue"]
    assert number(m["工单办结率"]) == wo["closed_rate"]


def test_rates_of_an_empty_period_show_no_value(db):
    """In a period with no hazard and no decided case the rectification rate and the average fine are no value (—),
    with no change beside them; the counts are 0."""
    at = _page("leader", {"region": NJ, "from": "2018-01-01", "to": "2018-12-31"})
    s = enforcement.summary(Scope(region=NJ, date_from=dt.date(2018, 1, 1), date_to=dt.date(2018, 12, 31)),
                            engine=db)
    assert s["hazards_found"] == 0 and s["cases_decided"] == 0
    tiles = {m.label: m for m in at.metric}
    for label in ("隐患整改率", "案均罚款（万元）"):
        assert tiles[label].value == "—" and not tiles[label].proto.delta, label
    assert number(tiles["排查隐患"].value) == 0


def test_yancheng_campaign_profile_21_14_116_19(db):
    at = _page("yancheng")
    assert at.query_params["campaign"] == str(_campaign_of(db, YC))  # the city's own campaign by default
    m = metrics(at)
    assert (number(m["剖析研判重点行业"]), number(m["共性问题"]), number(m["个性重点事项"]), number(m["参与部门"])) \
        == (21, 14, 116, 19)
    camps = enforcement.campaigns(Scope(region=YC, **DEFAULT, binding=YC), engine=db)
    row = camps[camps["city_adcode"] == YC].iloc[0]
    assert number(m["行动完成进度"]) == row["progress_pct"]
    assert number(m["行动时间进度"]) == row["time_pct"]


def test_lagging_campaigns_are_red_labels_in_the_table(db):
    """The campaigns' table says 进度滞后 in red for a campaign whose progress is behind its time, 正常 as plain text
    (a coloured label from the column's configuration, no Styler), row by row as the query has them."""
    at = _page("leader")
    camps = enforcement.campaigns(Scope(**DEFAULT), engine=db)
    table = table_text(at.dataframe[0])
    assert list(table["name"]) == list(camps["name"])
    assert list(table["behind"]) == ["进度滞后" if b else "正常" for b in camps["behind"]]
    assert camps["behind"].any() and not camps["behind"].all()  # both kinds are on the page
    assert label_colours(at.dataframe[0], "behind") == {"进度滞后": LATE_COLOUR, "正常": NO_COLOUR}


def test_campaign_chosen_in_the_url(db):
    yc = _campaign_of(db, YC)
    at = _page("leader", {"campaign": yc})
    m = metrics(at)
    assert (number(m["剖析研判重点行业"]), number(m["个性重点事项"])) == (21, 116)
    assert at.selectbox(key=f"enf_campaign_320000_{yc}").value == yc


@pytest.mark.parametrize("bad", ["abc", "999999"])
def test_bad_campaign_in_the_url_is_a_warning(db, bad):
    at = _page("yancheng", {"campaign": bad})
    assert any("专项行动" in w.value for w in at.warning)
    assert at.query_params["campaign"] == str(_campaign_of(db, YC))


def test_another_citys_campaign_is_not_shown_to_a_city_user(db):
    at = _page("yancheng", {"campaign": _campaign_of(db, NJ)})
    assert any("不在当前查看范围" in w.value for w in at.warning)
    assert at.query_params["campaign"] == str(_campaign_of(db, YC))


@pytest.mark.parametrize("user,region", [("leader", 320000), ("admin", 320000), ("nanjing", NJ), ("yancheng", YC),
                                         ("suqian", SQ)])
def test_every_role_sees_its_own_scope(db, user, region):
    m = metrics(_page(user))
    b = None if region == 320000 else region
    s = enforcement.summary(Scope(region=region, **DEFAULT, binding=b), engine=db)
    assert number(m["检查企业"]) == s["enterprises_inspected"]
    assert number(m["立案查处"]) == s["cases_filed"]


def test_city_user_cannot_open_another_city(db):
    at = _page("suqian")
    at.query_params["region"] = str(NJ)
    at.run()
    assert not at.exception, at.exception
    assert any("无权查看" in e.value for e in at.error)
    own = enforcement.summary(Scope(region=SQ, **DEFAULT, binding=SQ), engine=db)
    assert number(metrics(at)["检查企业"]) == own["enterprises_inspected"]


def test_county_in_the_url_narrows_the_figures(db):
    reg = enforcement.by_region(Scope(**YC_SCOPE), engine=db)
    county = reg.iloc[0]
    m = metrics(_page("yancheng", {**YC_PARAMS, "region": int(county["adcode"])}))
    assert number(m["检查企业"]) == county["enterprises_inspected"] < 11703
    assert number(m["排查隐患"]) == county["hazards_found"]


def test_clicking_a_region_bar_drills_down(db):
    at = _page("yancheng", YC_PARAMS)
    county = int(enforcement.by_region(Scope(**YC_SCOPE), engine=db).iloc[1]["adcode"])
    at.session_state[f"enf_region_bar_{YC}"] = plotly_click([county])
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["region"] == str(county)
    s = enforcement.summary(Scope(**{**YC_SCOPE, "region": county}), engine=db)
    assert number(metrics(at)["检查企业"]) == s["enterprises_inspected"]


def test_clicking_a_sector_bar_sets_the_industry(db):
    at = _page("yancheng", YC_PARAMS)
    at.session_state[f"enf_sector_{YC}_None"] = plotly_click("chem")
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["industry"] == "chem"
    s = enforcement.summary(Scope(**YC_SCOPE, industry="chem"), engine=db)
    assert number(metrics(at)["排查隐患"]) == s["hazards_found"] < 22509


def test_selecting_an_enterprise_opens_its_page(db):
    at = _page("yancheng", YC_PARAMS)
    top = enforcement.enterprises(Scope(**YC_SCOPE), engine=db).iloc[0]
    tok = scope_token(Scope(**YC_SCOPE, binding=YC))
    at.session_state[f"enf_ent_{tok}"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["enterprise"] == str(int(top["id"]))
    assert at.query_params["region"] == str(YC)  # the scope travels with the link
