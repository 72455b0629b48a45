"""企业档案 page: the profile's figures equal the query layer for the page's scope, the search finds and opens
enterprises in scope only, and a foreign or unknown id shows a clear error and nothing else."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from queries import enforcement, enterprise
from queries.labels import CREDIT_MEANING, CREDIT_NAMES
from queries.scope import Scope
from seed.schema import enterprises as E, hazard_sources as HS
from tests.apptest_util import app, clear_caches, metrics, number

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

NJ, SQ = 320100, 321300
HOME = {"leader": 320000, "admin": 320000, "nanjing": NJ, "yancheng": 320900, "suqian": SQ}


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def open_page(user: str, params: dict | None = None) -> AppTest:
    """The enterprise page as ``user`` with ``params`` in the URL of the page itself."""
    at = app("leadership", user, page="enterprise.py")
    if params:
        for k, v in params.items():
            at.query_params[k] = str(v)
        at.run()
    return at


def page_scope(db, region: int) -> Scope:
    """The page's default scope: the latest calendar year with enforcement data, up to its last day."""
    _, last = enforcement.data_range(engine=db)
    return Scope(region=region, date_from=dt.date(last.year, 1, 1), date_to=last)


def _hazard_enterprise(db, city: int) -> int:
    with db.connect() as c:
        return int(c.execute(select(HS.c.enterprise_id).where(HS.c.city_adcode == city)
                             .order_by(HS.c.enterprise_id).limit(1)).scalar())


def _plain_enterprise(db, city: int) -> int:
    with db.connect() as c:
        return int(c.execute(select(E.c.id).where(E.c.city_adcode == city, E.c.id.not_in(select(HS.c.enterprise_id)))
                             .order_by(E.c.id).limit(1)).scalar())


FIGURES = {"检查企业（家次）": "inspections", "排查隐患": "hazards_found", "立案查处": "cases_filed", "未整改隐患": "hazards_open",
           "重大危险源": "hazard_sources", "未消警预警": "open_warnings", "风险报告": "risk_reports"}


def test_profile_equals_query_and_links_to_hazard_points(db):
    eid = _hazard_enterprise(db, NJ)
    at = open_page("nanjing", {"enterprise": eid})
    assert not at.exception, at.exception
    assert not at.error
    p = enterprise.profile(eid, page_scope(db, NJ), engine=db)
    m = metrics(at)
    for label, key in FIGURES.items():
        assert number(m[label]) == p["figures"][key], label
    assert p["figures"]["hazard_sources"] > 0
    e = p["enterprise"]
    assert any(x.body == f"### {e['name']}" for x in at.markdown)
    basics = at.dataframe[0].value
    row = dict(zip(basics["项目"], basics["内容"]))
    assert row["统一社会信用代码"] == e["uscc"]
    assert row["所在地"] == f"{e['city']} {e['county']}"
    assert row["行业"] == e["sector"]
    assert row["规模以上企业"] == ("是" if e["above_scale"] else "否")
    html = " ".join(x.body for x in at.markdown)
    if p["credit"]:
        assert CREDIT_NAMES[p["credit"]["colour"]] in html
        assert CREDIT_MEANING[p["credit"]["colour"]] in html
    links = [(x.proto.page, x.proto.query_string) for x in at.get("page_link")]
    assert ("hazards", f"enterprise={eid}") in links


def test_enterprise_without_hazard_sources_has_no_hazards_link(db):
    eid = _plain_enterprise(db, SQ)
    at = open_page("suqian", {"enterprise": eid})
    assert not at.exception, at.exception
    assert number(metrics(at)["重大危险源"]) == 0
    assert not any(x.proto.page == "hazards" for x in at.get("page_link"))


def test_profile_follows_the_period(db):
    eid = _hazard_enterprise(db, NJ)
    at = open_page("leader", {"enterprise": eid, "from": "2020-01-01", "to": "2021-06-30"})
    assert not at.exception, at.exception
    s = Scope(date_from=dt.date(2020, 1, 1), date_to=dt.date(2021, 6, 30))
    p = enterprise.profile(eid, s, engine=db)
    m = metrics(at)
    for label, key in FIGURES.items():
        assert number(m[label]) == p["figures"][key], label


@pytest.mark.parametrize("user", list(HOME))
def test_every_role_can_search_within_its_scope(db, user):
    at = open_page(user, {"qe": "化工"})
    assert not at.exception, at.exception
    res = enterprise.search(page_scope(db, HOME[user]), "化工", engine=db)
    assert len(res) > 0
    table = at.dataframe[0].value
    assert list(table["企业名称"]) == list(res["name"])
    if HOME[user] != 320000:
        assert set(table["城市"]) == {"南京市" if user == "nanjing" else "盐城市" if user == "yancheng" else "宿迁市"}


def test_search_by_credit_code_and_select_opens_profile(db):
    eid = _plain_enterprise(db, SQ)
    with db.connect() as c:
        uscc = c.execute(select(E.c.uscc).where(E.c.id == eid)).scalar()
    at = open_page("suqian", {"qe": uscc[:14]})
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert uscc in list(table["统一社会信用代码"])
    row = list(table["统一社会信用代码"]).index(uscc)
    key = f"e_results_{SQ}_None_{hashlib.md5(uscc[:14].encode()).hexdigest()[:10]}"
    at.session_state[key] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert str(eid) in str(at.query_params["enterprise"])
    assert metrics(at)


def test_search_finds_nothing_outside_the_scope(db):
    with db.connect() as c:
        name = c.execute(select(E.c.name).where(E.c.city_adcode == NJ).order_by(E.c.id).limit(1)).scalar()
    at = open_page("suqian", {"qe": name})
    assert not at.exception, at.exception
    assert any("没有" in w.value for w in at.warning)
    assert not at.dataframe


def test_suqian_cannot_open_a_nanjing_enterprise(db):
    at = open_page("suqian", {"enterprise": _hazard_enterprise(db, NJ)})
    assert not at.exception, at.exception
    assert any("不在您的权限范围内" in e.value for e in at.error)
    assert not at.metric
    assert not at.dataframe
    assert not at.get("page_link")


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "99999999"])
def test_unknown_or_malformed_id_gives_a_clear_message(db, bad):
    at = open_page("leader", {"enterprise": bad})
    assert not at.exception, at.exception
    assert any("企业编号无效" in e.value or "不存在" in e.value for e in at.error)
    assert not at.metric
    assert not at.dataframe


def test_typing_a_search_is_kept_in_the_url(db):
    at = open_page("nanjing")
    assert not at.dataframe
    at.text_input[-1].input("化学").run()
    assert not at.exception, at.exception
    assert "化学" in str(at.query_params["qe"])
    res = enterprise.search(page_scope(db, NJ), "化学", engine=db)
    assert list(at.dataframe[0].value["企业名称"]) == list(res["name"])


@pytest.mark.parametrize("text", ["化工", "江苏", "苏州某某化工", "one enterprise's name"])
def test_the_search_says_whether_it_shows_every_match(db, text):
    """50 matches are shown; the caption says "more than 50" only when there are more (never "found 50" for a
    search that found hundreds)."""
    if text == "one enterprise's name":
        with db.connect() as c:
            text = c.execute(select(E.c.name).order_by(E.c.id).limit(1)).scalar()
    at = open_page("leader", {"qe": text})
    assert not at.exception, at.exception
    every = enterprise.search(page_scope(db, 320000), text, engine=db, limit=100_000)
    shown = at.dataframe[0].value if len(every) else None
    caption = next(c.value for c in at.caption if "企业档案" in c.value) if len(every) else ""
    if len(every) > 50:
        assert len(shown) == 50 and list(shown["企业名称"]) == list(every["name"][:50])
        assert caption.startswith("找到超过 50 家企业，仅显示按名称排序的前 50 家"), caption
    elif len(every):
        assert 0 < len(every) <= 50
        assert len(shown) == len(every) and caption.startswith(f"找到 {len(every):,} 家（按名称排序）"), caption
    else:
        assert any("没有名称包含" in w.value for w in at.warning)
