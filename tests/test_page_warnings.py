"""预警分布 page: the page's own time window (wwin), tiles equal the query layer for the same scope, drill-down
narrows them, one warning's lifecycle, and a city-bound user cannot open another city's warning."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from queries import warnings
from queries.scope import Scope
from seed.schema import warnings as W
from tests.apptest_util import app, clear_caches, click_tab, metrics, number, table_text

# drawn from SQLite; tests/test_pages_postgresql.py draws every page from PostgreSQL and compares
pytestmark = pytest.mark.engines("sqlite")

NJ, YC, SQ = 320100, 320900, 321300
HOME = {"leader": 320000, "admin": 320000, "nanjing": NJ, "yancheng": YC, "suqian": SQ}


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def open_page(user: str, params: dict | None = None) -> AppTest:
    """The warnings page as ``user`` with ``params`` in the URL of the page itself."""
    at = app("leadership", user, page="warnings.py")
    if params:
        for k, v in params.items():
            at.query_params[k] = str(v)
        at.run()
    return at


def window_scope(region: int, win: str = "7d") -> Scope:
    d_from, d_to = warnings.window_dates(win)
    return Scope(region=region, date_from=d_from, date_to=d_to)


def _tiles_equal_summary(m: dict, s: dict) -> None:
    assert number(m["未消警预警"]) == s["open"]
    for lv, name, colour in ((1, "重大", "红"), (2, "较大", "橙"), (3, "一般", "黄"), (4, "低", "蓝")):
        assert number(m[f"未消警{name}预警（{colour}）"]) == s["open_by_level"][lv]
    assert number(m["预警"]) == s["raised"]
    assert number(m["已消警预警"]) == s["closed"]
    assert number(m["已签收"]) == s["acknowledged"]
    assert number(m["平均签收时长"]) == s["avg_ack_min"]
    assert number(m["平均消警时长"]) == s["avg_close_min"]
    assert number(m["预警短信推送"]) == s["sms_sent"]
    assert number(m["推送失败"]) == s["sms_failed"]
    assert number(m["合并的重复报警"]) == s["alarms_merged"]


@pytest.mark.parametrize("user", list(HOME))
def test_tiles_equal_queries_for_every_role(db, user):
    at = open_page(user)
    assert not at.exception, at.exception
    assert not at.error
    s = warnings.summary(window_scope(HOME[user]), engine=db)
    assert s["raised"] > 0
    _tiles_equal_summary(metrics(at), s)
    # the open list: every open warning of the scope (up to 200), the most severe first
    lst = warnings.listing(window_scope(HOME[user]), open_only=True, limit=200, engine=db)
    table = next(table_text(d) for d in at.dataframe if "预警编号" in d.value.columns)
    assert len(table) == len(lst) == min(200, s["open"])
    assert list(table["预警编号"]) == list(lst["code"])


@pytest.mark.parametrize("user", ["leader", "nanjing"])
def test_timeliness_tiles_and_table_equal_queries(db, user):
    from queries import handling

    at = open_page(user)
    assert not at.exception, at.exception
    ws = window_scope(HOME[user])
    t = handling.timeliness(ws, engine=db)
    m = metrics(at)
    assert number(m["签收及时率"]) == round(t["ack_timely_rate"], 1)
    assert number(m["处置及时率"]) == round(t["close_timely_rate"], 1)
    assert abs(number(m["超时未处置预警"]) - t["overdue"]) <= 1  # live: a deadline may pass between the two reads
    by = handling.timeliness_by_region(ws, engine=db)
    kid = "城市" if user == "leader" else "区县"
    table = next(table_text(d) for d in at.dataframe if kid in d.value.columns and "签收及时率(%)" in d.value.columns)
    assert list(table[kid]) == list(by["name"]) and len(by) > 1
    assert list(table["及时签收/应签收"]) == [f"{a:,}/{b:,}" for a, b in zip(by["ack_timely"], by["ack_due"])]


def test_time_window_changes_the_period_figures(db):
    raised = {}
    for win in ("1d", "7d", "30d"):
        at = open_page("leader", {"wwin": win})
        assert not at.exception, at.exception
        assert at.radio[0].value == win
        s = warnings.summary(window_scope(320000, win), engine=db)
        _tiles_equal_summary(metrics(at), s)
        raised[win] = s["raised"]
        # the by-day chart has one bar per day that had warnings in the window
        day = json.loads(at.get("plotly_chart")[-1].proto.spec)
        assert len(day["data"][0]["x"]) == len(warnings.by_day(window_scope(320000, win), engine=db))
    assert 0 < raised["1d"] < raised["7d"] < raised["30d"]


def test_invalid_window_falls_back_to_seven_days(db):
    at = open_page("nanjing", {"wwin": "365d"})
    assert not at.exception, at.exception
    assert any("预警时间范围无效" in w.value for w in at.warning)
    _tiles_equal_summary(metrics(at), warnings.summary(window_scope(NJ), engine=db))


def test_drill_down_narrows_and_city_user_sees_only_their_city(db):
    at = open_page("leader")
    province = number(metrics(at)["预警"])
    at.session_state["w_bar_320000"] = {"selection": {"points": [{"customdata": YC, "x": "盐城市"}],
                                                     "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, at.exception
    assert str(YC) in str(at.query_params["region"])
    s = warnings.summary(window_scope(YC), engine=db)
    _tiles_equal_summary(metrics(at), s)
    assert s["raised"] < province
    # the stacked level bar per county adds up to the city's raised warnings
    bar = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert [t["name"] for t in bar["data"]] == ["重大", "较大", "一般", "低"]
    assert [t["marker"]["color"] for t in bar["data"]] == ["#e02020", "#f08c00", "#f5d000", "#1e78ff"]
    by_region = warnings.by_region(window_scope(YC), engine=db)
    assert list(bar["data"][0]["x"]) == list(by_region["name"])
    # a Yancheng user asking for Nanjing gets a refusal and their own figures
    at = open_page("yancheng", {"region": NJ})
    assert not at.exception
    assert any("无权查看" in e.value for e in at.error)
    _tiles_equal_summary(metrics(at), s)


def _nanjing_warning(db, closed: bool = True) -> int:
    with db.connect() as c:
        cond = W.c.closed_at.is_not(None) if closed else W.c.closed_at.is_(None)
        return int(c.execute(select(W.c.id).where(W.c.city_adcode == NJ, cond).order_by(W.c.raised_at.desc())
                             .limit(1)).scalar())


def test_lifecycle_of_one_warning(db):
    wid = _nanjing_warning(db)
    at = open_page("nanjing", {"warning": wid})
    assert not at.exception, at.exception
    assert not at.error
    lc = warnings.lifecycle(wid, Scope(region=NJ), engine=db)
    w = lc["warning"]
    assert any(m.body == f"### {w['title']}" for m in at.markdown)
    m = metrics(at)
    assert number(m["重复报警次数"]) == w["repeat_count"]
    assert number(m["短信推送"]) == len(lc["sms"])
    html = " ".join(x.body for x in at.markdown)
    for step in lc["steps"]:
        assert step["name"] in html
        if step["at"] is not None:
            assert step["at"].strftime("%Y-%m-%d %H:%M:%S") in html
    assert "已消警" in html and lc["steps"][-1]["at"] is not None
    sms = table_text(at.dataframe[0])
    assert len(sms) == len(lc["sms"])
    assert set(sms["状态"]) <= {"已送达", "发送失败"}


def test_selecting_a_listed_warning_opens_its_lifecycle(db):
    at = open_page("nanjing")
    first = warnings.listing(window_scope(NJ), open_only=True, limit=200, engine=db).iloc[0]
    at.session_state[f"w_open_list_{NJ}"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert str(int(first["id"])) in str(at.query_params["warning"])
    assert any(m.body == f"### {first['title']}" for m in at.markdown)


def test_suqian_cannot_open_a_nanjing_warning(db):
    at = open_page("suqian", {"warning": _nanjing_warning(db, closed=False)})
    assert not at.exception, at.exception
    assert any("不在您的权限范围内" in e.value for e in at.error)
    assert not at.metric
    assert not at.dataframe


@pytest.mark.parametrize("bad", ["x", "-1", "2.5"])
def test_bad_warning_id_gives_a_clear_message(db, bad):
    at = open_page("leader", {"warning": bad})
    assert not at.exception, at.exception
    assert any("预警编号无效" in e.value for e in at.error)
    assert not at.metric


def test_choosing_a_window_is_kept_in_the_url(db):
    at = open_page("yancheng")
    at.radio[0].set_value("30d").run()
    assert not at.exception, at.exception
    assert "30d" in str(at.query_params["wwin"])
    assert at.radio[0].value == "30d"
    _tiles_equal_summary(metrics(at), warnings.summary(window_scope(YC, "30d"), engine=db))


def test_each_listed_warnings_stage_is_its_last_step_by_the_as_of_time(db):
    """The listing's 阶段 is the last lifecycle step the warning had reached (as of the view's time: later steps are
    blanked first), the same as its own lifecycle says, for warnings in every stage."""
    import datetime as dt

    from queries.labels import WARNING_STAGE_NAMES

    steps = ("pushed", "acknowledged", "verified", "closed")
    scope = Scope(320000, None, dt.date(2000, 1, 1), dt.date.today())
    newest = warnings.listing(scope, limit=400, engine=db)
    as_of = newest["raised_at"].min().to_pydatetime() + dt.timedelta(minutes=30)
    seen = set()
    for s in (scope, scope.with_(date_to=as_of.date(), as_of=as_of)):
        df = warnings.listing(s, limit=400, engine=db)
        assert len(df)
        for r in df.to_dict("records"):
            reached = [k for k in steps if not pd.isna(r[f"{k}_at"])]
            assert r["stage"] == WARNING_STAGE_NAMES[reached[-1] if reached else "raised"]
            seen.add(r["stage"])
        lc = warnings.lifecycle(int(df.iloc[-1]["id"]), s, engine=db)
        last = [x for x in lc["steps"] if x["at"] is not None][-1]
        assert df.iloc[-1]["stage"] == last["name"]
    assert len(seen) >= 3, seen  # more than the newest warnings' one or two stages


def test_only_the_open_list_tab_is_read_and_drawn(db):
    """预警清单's two tabs: the open one's list alone is drawn (and prefetched); opening the other draws its list, the
    same as the query gives, and not the first's."""
    from pages import common as pc

    def lists(at):
        return [table_text(d) for d in at.dataframe if "预警编号" in d.value.columns]

    at = open_page("nanjing")
    shown = lists(at)
    want = warnings.listing(window_scope(NJ), open_only=True, limit=200, engine=db)
    assert len(shown) == 1 and list(shown[0]["预警编号"]) == list(want["code"])
    labels = [t.label for t in at.tabs]
    assert labels == ["未消警预警（按等级）", "最新预警"]
    started = []
    real = pc._pool

    class Recording:
        def submit(self, fn, *a, **kw):
            started.append(fn)
            return real().submit(fn, *a, **kw)

    pc._pool = Recording  # (a class: pc._pool() gives an instance)
    try:
        clear_caches()
        at = click_tab(at, labels[1])
    finally:
        pc._pool = real
    assert not at.exception, at.exception
    shown = lists(at)
    newest = warnings.listing(window_scope(NJ), limit=100, engine=db)
    assert len(shown) == 1 and list(shown[0]["预警编号"]) == list(newest["code"])
    prefetched = [repr(f) for f in started if "warnings.listing" in repr(f)]
    assert len(prefetched) == 1 and "open_only" not in prefetched[0], prefetched
    # another window keeps the tab open (its list now the window's)
    at.radio(key="w_window_7d").set_value("30d").run()
    assert not at.exception, at.exception
    assert at.session_state["w_list_tab"] == labels[1]
    shown = lists(at)
    newest = warnings.listing(window_scope(NJ, "30d"), limit=100, engine=db)
    assert len(shown) == 1 and list(shown[0]["预警编号"]) == list(newest["code"])
