"""风险报告 page: the bulletin's 宿迁 figures (S1–S4) on the page, tiles equal the query layer for the same scope,
deadline at the cut-off, drill-down by region / sector / enterprise, city binding, every role."""
from __future__ import annotations

import datetime as dt

import pytest

from pages.common import scope_token
from queries import risk
from queries.scope import Scope
from tests.apptest_util import app, clear_caches, metrics, number, plotly_click

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

SQ, NJ, YC = 321300, 320100, 320900
BULLETIN = dt.datetime(2021, 3, 13, 23, 59, 59)
SQ_PARAMS = {"region": SQ, "to": "2021-03-13", "as_of": "2021-03-13 23:59:59"}
SQ_SCOPE = dict(region=SQ, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 3, 13), as_of=BULLETIN)
DEFAULT = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))  # the app's default period
PAGE = "risk.py"


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def _page(user, params=None):
    at = app("leadership", user, params=params, page=PAGE)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("user", ["suqian", "leader"])
def test_bulletin_suqian_s1_to_s4_on_the_page(db, user):
    m = metrics(_page(user, SQ_PARAMS))
    assert m["已完成风险报告的规上企业"] == "385 家"
    assert m["应报规上工业企业"] == "1,720 家"
    assert m["风险报告完成上报率"] == "22.4%"
    assert m["上报较大以上风险"] == "1,019 条"
    assert m["上报重大风险"] == "56 条"
    assert m["距首次报告期限"] == "剩余 49 天"  # 2021-03-13 → 2021-05-01


def test_all_tiles_equal_the_queries(db):
    m = metrics(_page("suqian", SQ_PARAMS))
    s = Scope(**SQ_SCOPE, binding=SQ)
    c = risk.completion(s, engine=db)
    assert number(m["未完成上报企业"]) == c["outstanding"] == c["required"] - c["completed"]
    assert number(m["“零风险”报告"]) == c["zero_risk_reports"]
    k = risk.key_control_summary(s, engine=db)
    assert number(m["高危零风险报告"]) == k["zero_risk_high_risk"]
    assert number(m["纳入重点管控清单"]) == k["key_control"] == c["key_control"]
    assert number(m["核查发现瞒报漏报"]) == k["under_reported"] == c["under_reported"]
    from queries import supervision as SV

    assert number(m["核查发现瞒报漏报"]) == SV.check_rates("key_control", s, engine=db)["substantiated"]
    t = risk.training(s, engine=db)
    assert (number(m["推进部署会、教育培训会"]), number(m["参培人员"]), number(m["参培企业"])) == \
        (t["sessions"], t["participants"], t["enterprises"])


def test_completion_is_to_date_at_the_cut_off(db):
    """Later cut-off: more reports, the deadline passed; the same obligations."""
    m = metrics(_page("suqian"))
    c = risk.completion(Scope(region=SQ, **DEFAULT, binding=SQ), engine=db)
    assert number(m["已完成风险报告的规上企业"]) == c["completed"] > 385
    assert number(m["应报规上工业企业"]) == c["required"]
    assert m["距首次报告期限"] == f"已过 {-c['days_to_deadline']} 天"


@pytest.mark.parametrize("user,region", [("leader", 320000), ("admin", 320000), ("nanjing", NJ), ("yancheng", YC),
                                         ("suqian", SQ)])
def test_every_role_sees_its_own_scope(db, user, region):
    m = metrics(_page(user))
    b = None if region == 320000 else region
    c = risk.completion(Scope(region=region, **DEFAULT, binding=b), engine=db)
    assert number(m["风险报告完成上报率"]) == c["completion_rate"]
    assert number(m["上报较大以上风险"]) == c["risks_major_or_above"]


def test_city_user_cannot_open_another_city(db):
    at = _page("suqian")
    at.query_params["region"] = str(NJ)
    at.run()
    assert not at.exception, at.exception
    assert any("无权查看" in e.value for e in at.error)
    own = risk.completion(Scope(region=SQ, **DEFAULT, binding=SQ), engine=db)
    assert number(metrics(at)["已完成风险报告的规上企业"]) == own["completed"]


def test_county_in_the_url_narrows_the_figures(db):
    reg = risk.by_region(Scope(**SQ_SCOPE), engine=db)
    county = reg.iloc[0]
    m = metrics(_page("suqian", {**SQ_PARAMS, "region": int(county["adcode"])}))
    assert number(m["已完成风险报告的规上企业"]) == county["completed"] < 385
    assert number(m["应报规上工业企业"]) == county["required"]
    assert number(m["风险报告完成上报率"]) == county["completion_rate"]


def test_clicking_a_region_bar_drills_down(db):
    at = _page("suqian", SQ_PARAMS)
    county = int(risk.by_region(Scope(**SQ_SCOPE), engine=db).iloc[2]["adcode"])
    at.session_state[f"risk_region_bar_{SQ}"] = plotly_click([county])
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["region"] == str(county)
    c = risk.completion(Scope(**{**SQ_SCOPE, "region": county}), engine=db)
    assert number(metrics(at)["已完成风险报告的规上企业"]) == c["completed"]


def test_clicking_a_sector_bar_sets_the_industry(db):
    at = _page("suqian", SQ_PARAMS)
    at.session_state[f"risk_sector_{SQ}_None"] = plotly_click("chem")
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["industry"] == "chem"
    c = risk.completion(Scope(**SQ_SCOPE, industry="chem"), engine=db)
    m = metrics(at)
    assert number(m["应报规上工业企业"]) == c["required"] < 1720
    assert number(m["已完成风险报告的规上企业"]) == c["completed"]


def test_key_control_list_and_opening_an_entry(db):
    """The list is the key-control reports with their checks; selecting one opens its check record with a link to
    the enterprise file (the scope stays)."""
    from queries import supervision as SV

    at = _page("suqian", SQ_PARAMS)
    s = Scope(**SQ_SCOPE, binding=SQ)
    kl = SV.entries("key_control", s, engine=db)
    tok = scope_token(s)
    shown = at.dataframe(key=f"kc_list_{tok}_all_0").value
    assert len(shown) == len(kl) == risk.key_control_summary(s, engine=db)["key_control"]
    assert list(shown["企业"]) == list(kl["enterprise"]) == list(risk.key_control(s, engine=db)["enterprise"])
    at.session_state[f"kc_list_{tok}_all_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["entry"] == str(int(kl.iloc[0]["entry_id"]))
    assert at.query_params["as_of"] == "2021-03-13 23:59:59"  # the scope stays
    assert f"##### {kl.iloc[0]['enterprise']}" in [m.value for m in at.markdown]
    link = [p.proto for p in at.get("page_link") if p.proto.label == "企业档案 →"]
    assert len(link) == 1 and f"enterprise={int(kl.iloc[0]['enterprise_id'])}" in str(link[0]), link


def test_clicking_a_county_on_the_map_drills_down(db):
    at = _page("suqian", SQ_PARAMS)
    county = int(risk.by_region(Scope(**SQ_SCOPE), engine=db).iloc[1]["adcode"])
    at.session_state[f"risk_map_{SQ}"] = {"selection": {"indices": {"regions": [1]},
                                                        "objects": {"regions": [{"properties": {"adcode": county}}]}}}
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["region"] == str(county)
    c = risk.completion(Scope(**{**SQ_SCOPE, "region": county}), engine=db)
    assert number(metrics(at)["风险报告完成上报率"]) == c["completion_rate"]
