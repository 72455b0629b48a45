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


@pytest.fixture(autouse=True)
def _fresh():
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
