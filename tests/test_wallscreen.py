"""值班大屏 (pages/wall.py) in AppTest, and its pure parts: freshness, rotation, kiosk sign-in.

Tiles equal the query layer's figures for the same scope; every view renders for every role that has the wall;
staleness turns tiles amber and red with a 数据中断 banner; a database outage keeps the last figures, says so,
and recovers by itself.
"""
from __future__ import annotations

import datetime as dt
import re
import time
import types

import pytest

from pages import auth
from pages import wallkit as wk
from queries import credit, enforcement, risk, wall
from queries.regions import PROVINCE
from queries.scope import Scope
from tests.apptest_util import app, clear_caches, metrics, number

PERIOD = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))
BAD_URLS = {"postgresql": "postgresql+psycopg://nobody@127.0.0.1:1/unreachable",
            "sqlite": "sqlite:////proc/oversight-unreachable/oversight.db"}


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    clear_caches()
    wk.forget_store()
    for k in ("OVERSIGHT_STALE_AMBER_S", "OVERSIGHT_STALE_RED_S", "OVERSIGHT_WALL_VIEWS"):
        monkeypatch.delenv(k, raising=False)
    yield


def htmls(at) -> str:
    return "\n".join(getattr(h.proto, "body", "") for h in at.get("html"))


def alert_figures(at) -> dict[int, float]:
    m = metrics(at)
    return {lv: number(m[f"未消警{name}预警"]) for lv, name in ((1, "重大"), (2, "较大"), (3, "一般"), (4, "低"))}


# --- pure parts ------------------------------------------------------------------------------------------------

NOW = dt.datetime(2021, 3, 13, 10, 0, 0)


@pytest.mark.parametrize("age_s,expected", [(0, "fresh"), (60, "fresh"), (119.9, "fresh"), (120, "amber"),
                                            (299, "amber"), (300, "red"), (3600, "red"), (-30, "fresh")])
def test_freshness_thresholds(age_s, expected):
    assert wall.freshness(NOW - dt.timedelta(seconds=age_s), NOW) == expected


def test_the_theme_and_the_clock_come_whole_from_the_static_files():
    """wall.css and wall.js reach the page as they are; the script has nothing that looks like markup (Streamlit's
    HTML sanitizer drops a script whose text has a less-than sign before a letter or slash) and reads its limit from
    the clock element."""
    import re

    css = (wk._STATIC / "wall.css").read_text(encoding="utf-8")
    js = (wk._STATIC / "wall.js").read_text(encoding="utf-8")
    assert wk.CSS == f"<style>\n{css}</style>\n" and ".wall-chip.level-1" in css and "</style" not in css
    html = wk.clock_html(5)
    assert js in html and not re.search(r"<[/\w]", js), "the sanitizer would drop the clock's script"
    assert 'class="wall-clock" data-limit-ms="30000"' in html and 'data-limit-ms="70000"' in wk.clock_html(15)
    assert "http" not in css + js  # nothing fetched


def test_freshness_without_data_is_red_and_thresholds_are_configurable(monkeypatch):
    assert wall.freshness(None, NOW) == "red"
    assert wall.stale_thresholds() == (120, 300)
    monkeypatch.setenv("OVERSIGHT_STALE_AMBER_S", "5")
    monkeypatch.setenv("OVERSIGHT_STALE_RED_S", "12")
    a, r = wall.stale_thresholds()
    assert (a, r) == (5, 12)
    t = NOW - dt.timedelta(seconds=8)
    assert wall.freshness(t, NOW, amber_s=a, red_s=r) == "amber"
    monkeypatch.setenv("OVERSIGHT_STALE_RED_S", "nonsense")
    assert wall.stale_thresholds() == (5, 300)


def test_rotation_dwell_pin_and_takeover():
    views = list(wk.VIEWS)
    r = wk.rotate(None, 1000.0, views, 20, newest_major=7)
    assert (r.view, r.seen_major, r.takeover) == ("situation", 7, False)  # no take-over at start
    assert wk.rotate(r, 1019.0, views, 20).view == "situation"
    r2 = wk.rotate(r, 1020.0, views, 20)
    assert (r2.view, r2.started) == ("hazards", 1020.0)
    # a view with open 重大/较大 warnings stays dwell × pin
    pinned = wk.MAJOR_VIEWS
    assert wk.rotate(r, 1050.0, views, 20, pin=3, pinned=pinned).view == "situation"
    assert wk.rotate(r, 1060.0, views, 20, pin=3, pinned=pinned).view == "hazards"
    # a new 重大/较大 warning takes the screen, and stays longer
    t = wk.rotate(r2, 1025.0, views, 20, pin=3, newest_major=8)
    assert (t.view, t.takeover, t.seen_major) == ("warnings", True, 8)
    assert wk.rotate(t, 1080.0, views, 20, pin=3, newest_major=8).view == "warnings"
    assert wk.rotate(t, 1086.0, views, 20, pin=3, newest_major=8).view == "campaigns"
    # the playlist wraps around; one pinned view never moves
    last = wk.Rotation("credit", 0.0, 8)
    assert wk.rotate(last, 100.0, views, 20).view == "situation"
    assert wk.rotate(wk.Rotation("hazards", 0.0), 999.0, ["hazards"], 20).view == "hazards"


def test_playlist_from_url_and_env(monkeypatch):
    assert wk.playlist(None) == list(wk.VIEWS)
    assert wk.playlist("credit") == ["credit"]
    assert wk.playlist("nonsense") == list(wk.VIEWS)
    monkeypatch.setenv("OVERSIGHT_WALL_VIEWS", "warnings, situation,bogus")
    assert wk.playlist(None) == ["warnings", "situation"]


# --- kiosk sign-in ---------------------------------------------------------------------------------------------

def test_kiosk_expiry_only_for_the_duty_room(db, monkeypatch):
    def _token(username: str, days: float) -> str:
        return auth.cookie_for(username, engine=db, days=days)

    assert auth.expiry_days("duty") == auth.KIOSK_EXPIRY_DAYS == 30.0
    for role in ("leader", "city", "writer", "admin"):
        assert auth.expiry_days(role) == auth.PERSON_EXPIRY_DAYS == 0.5
    clear_caches()

    def who(token):
        fake = types.SimpleNamespace(session_state={}, context=types.SimpleNamespace(cookies={auth.COOKIE_NAME: token}),
                                     cache_data=auth.st.cache_data, secrets={})
        monkeypatch.setattr(auth, "st", fake)
        try:
            u = auth.user_from_state(db)
        finally:
            monkeypatch.undo()
        return u.username if u else None

    assert who(_token("duty", 29.9)) == "duty"  # the kiosk stays signed in for weeks
    assert who(_token("leader", 0.4)) == "leader"
    assert who(_token("leader", 29.9)) is None  # a long cookie never lengthens a person's session
    assert who(_token("duty", -0.01)) is None  # expired


# --- the page -----------------------------------------------------------------------------------------------------

def test_wall_for_duty_equals_the_queries(db):
    t0 = time.perf_counter()
    at = app("wallscreen", "duty")
    assert not at.exception, at.exception
    first = time.perf_counter() - t0
    p = wall.pulse(Scope(region=PROVINCE), engine=db)
    assert alert_figures(at) == {lv: p["open_by_level"][lv] for lv in (1, 2, 3, 4)}
    assert number(metrics(at)["待签收预警"]) == p["unacked"]
    body = htmls(at)
    assert "值班大屏" in body and "wall-beat" in body and "全省态势" in body
    # no sidebar navigation: the wall is the app's only page
    assert not at.sidebar.get("page_link")
    t0 = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t0
    print(f"\nwall: first run {first:.2f} s, warm run {warm * 1000:.0f} ms")
    assert not at.exception


@pytest.mark.parametrize("view", list(wk.VIEWS))
def test_every_view_renders(db, view):
    at = app("wallscreen", "duty", params={"view": view})
    assert not at.exception, at.exception
    body = htmls(at)
    assert wk.VIEWS[view] in body and "本屏暂时无法显示" not in body
    m = metrics(at)
    p = wall.pulse(Scope(region=PROVINCE), engine=db)
    if view == "hazards":
        assert number(m["接入监测点"]) == p["points"]
        assert number(m["报警监测点"]) == p["points_alarm"]
        assert number(m["离线监测点"]) == p["points_offline"]
        assert number(m["监测点在线率"]) == p["online_rate"]
    elif view == "warnings":
        assert number(m["今日预警"]) == p["today"]
    elif view == "risk":
        c = risk.completion(Scope(region=PROVINCE, **PERIOD), engine=db)
        assert number(m["风险报告完成上报率"]) == c["completion_rate"]
        assert number(m["上报较大以上风险"]) == c["risks_major_or_above"]
    elif view == "credit":
        d = credit.distribution(Scope(region=PROVINCE, **PERIOD), engine=db)
        assert number(m["红色企业（%.1f%%）" % d["shares"]["red"]]) == d["red"]
        assert number(m["绿色企业（%.1f%%）" % d["shares"]["green"]]) == d["green"]
    elif view == "campaigns":
        assert "检查进度" in body
        # each campaign's progress as the cockpit writes it (one decimal), from the same query
        camps = enforcement.campaigns(Scope(region=PROVINCE, **PERIOD), engine=db)
        for _, r in camps.head(16).iterrows():
            assert f"{r['inspections']:,} 家次 · {r['progress_pct']:.1f}%" in body, r["name"]
    elif view == "situation":
        assert "各市实时态势" in body


@pytest.mark.parametrize("user,region", [("leader", PROVINCE), ("admin", PROVINCE), ("nanjing", 320100),
                                         ("yancheng", 320900), ("suqian", 321300)])
def test_roles_see_their_region(db, user, region):
    at = app("wallscreen", user, params={"view": "hazards"})
    assert not at.exception, at.exception
    binding = None if region == PROVINCE else region
    p = wall.pulse(Scope(region=region, binding=binding), engine=db)
    assert alert_figures(at) == {lv: p["open_by_level"][lv] for lv in (1, 2, 3, 4)}
    assert number(metrics(at)["接入监测点"]) == p["points"]
    if binding:
        assert number(metrics(at)["接入监测点"]) < wall.pulse(Scope(), engine=db)["points"]


def test_writer_has_no_wall(db):
    at = app("wallscreen", "writer")
    assert not at.exception
    assert any("无权" in w.value for w in at.warning)
    assert not at.metric


def test_staleness_turns_tiles_amber_then_red(db, monkeypatch):
    p = wall.pulse(Scope(region=PROVINCE), engine=db)
    age = (dt.datetime.now() - p["newest_reading"]).total_seconds()
    cases = [(age + 600, age + 1200, "fresh"), (max(1, age - 60), age + 1200, "amber"),
             (max(1, age - 120), max(2, age - 60), "red")]
    for amber, red, expected in cases:
        monkeypatch.setenv("OVERSIGHT_STALE_AMBER_S", str(int(amber)))
        monkeypatch.setenv("OVERSIGHT_STALE_RED_S", str(int(red)))
        at = app("wallscreen", "duty", params={"view": "hazards"})
        assert not at.exception
        body = htmls(at)
        assert f"wall-status {expected}" in body
        assert ("数据中断" in body) == (expected == "red")
        assert ("数据延迟" in body) == (expected == "amber")
        if expected == "red":  # what the duty officer reads is Chinese (no command names)
            banner = body.split("wall-banner red'>", 1)[1].split("</div>", 1)[0]
            assert "请检查监测数据接入（网关或数据采集程序）" in banner and not re.search("[A-Za-z]", banner), banner
        if expected != "fresh":
            assert "未更新" in body and any("未更新" in (m.delta or "") for m in at.metric)


@pytest.mark.parametrize("outage", list(BAD_URLS))
def test_database_outage_keeps_last_figures_and_recovers(db, monkeypatch, outage):
    good = db.url.render_as_string(hide_password=False)
    at = app("wallscreen", "duty", params={"view": "hazards"})
    assert not at.exception
    before = metrics(at)
    assert "数据库连接中断" not in htmls(at)
    # the database goes away (nothing cached any more either)
    monkeypatch.setenv("OVERSIGHT_DB_URL", BAD_URLS[outage])
    clear_caches()
    at.run()
    assert not at.exception, at.exception
    assert metrics(at) == before, "the last good figures stay on the screen"
    body = htmls(at)
    assert "数据库连接中断" in body and "自动重试" in body
    at.run()  # still down on the next refresh: still there, still saying so
    assert metrics(at) == before and "数据库连接中断" in htmls(at)
    # the database is back: the next refresh recovers by itself
    monkeypatch.setenv("OVERSIGHT_DB_URL", good)
    at.run()
    assert not at.exception
    assert "数据库连接中断" not in htmls(at)
    assert metrics(at) == before


def test_signed_out_screen_during_an_outage_waits_for_the_database(db, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", BAD_URLS["postgresql"])
    at = app("wallscreen")
    assert not at.exception, at.exception
    assert any("数据库暂时无法连接" in e.value for e in at.error)


# --- the 督办 tile ----------------------------------------------------------------------------------------------------

def tiles(at) -> dict[str, object]:
    """The tiles drawn: container key (``tile_<freshness>_<name>``) -> the metric inside it."""
    out = {}

    def walk(node, key=None):
        ident = getattr(getattr(node, "proto", None), "id", "") or ""
        if "-tile_" in ident:
            key = ident.split("-", 2)[2]
        if getattr(node, "type", None) == "metric" and key:
            out[key] = node
        for child in getattr(node, "children", {}).values():
            walk(child, key)

    walk(at._tree)
    return out


def duban_tile(at):
    found = [(k, m) for k, m in tiles(at).items() if "_alert_duban" in k]
    assert len(found) == 1, list(tiles(at))
    return found[0]


def duban_caption(s: dict) -> str:
    return f"超期 {s['overdue']:,} 件 · 办结率 " + (f"{s['closed_rate']:.1f}%" if s["sent"] else "—")


@pytest.mark.parametrize("user,region", [("duty", PROVINCE), ("leader", PROVINCE), ("yancheng", 320900),
                                         ("nanjing", 320100), ("suqian", 321300)])
def test_duban_tile_equals_the_summary(db, user, region):
    """督办在办 now for the screen's region, 超期 and 办结率 beneath it; red (``_late``) exactly while one is overdue;
    never coloured by the monitoring data's freshness."""
    from queries import supervision

    at = app("wallscreen", user, params={"view": "hazards"})
    assert not at.exception, at.exception
    s = supervision.summary(Scope(region=region, binding=None if region == PROVINCE else region), engine=db)
    key, m = duban_tile(at)
    assert m.label == "督办在办" and number(m.value) == s["open"] and m.value.endswith(" 件")
    assert m.delta == duban_caption(s)
    assert ("_alert_duban_late" in key) == (s["overdue"] > 0) and key.startswith("tile_static_")
    if region == PROVINCE:
        assert s["overdue"] > 0 and s["open"] > s["overdue"]
    if user == "nanjing":
        assert s["open"] > 0 and s["overdue"] == 0  # the demo: open, none late — not red
    if user == "suqian":
        assert s["open"] == 0 and s["closed_rate"] == 100.0


def test_duban_tile_is_not_coloured_by_stale_readings(db, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_STALE_AMBER_S", "1")
    monkeypatch.setenv("OVERSIGHT_STALE_RED_S", "2")
    at = app("wallscreen", "duty", params={"view": "hazards"})
    assert "wall-status red" in htmls(at)
    keys = list(tiles(at))
    assert any(k.startswith("tile_red_alert_l1") for k in keys)
    assert duban_tile(at)[0].startswith("tile_static_alert_duban")


@pytest.mark.parametrize("outage", list(BAD_URLS))
def test_duban_tile_keeps_its_last_figures_in_an_outage(db, monkeypatch, outage):
    good = db.url.render_as_string(hide_password=False)
    at = app("wallscreen", "duty", params={"view": "hazards"})
    key, m = duban_tile(at)
    before = (key, m.value, m.delta)
    monkeypatch.setenv("OVERSIGHT_DB_URL", BAD_URLS[outage])
    clear_caches()
    for _ in range(2):
        at.run()
        assert not at.exception, at.exception
        key, m = duban_tile(at)
        assert (key, m.value, m.delta) == before
        assert "数据库连接中断" in htmls(at)
    monkeypatch.setenv("OVERSIGHT_DB_URL", good)
    at.run()
    key, m = duban_tile(at)
    assert (key, m.value, m.delta) == before and "数据库连接中断" not in htmls(at)


def test_duban_tile_alone_failing_keeps_its_figures_and_says_so(db, monkeypatch):
    """Only the 督办 query fails (the rest of the screen is fine): the tile keeps its last figures, the banner says
    the database connection failed, and the next good refresh clears it."""
    from sqlalchemy.exc import OperationalError

    from queries import supervision

    at = app("wallscreen", "duty", params={"view": "hazards"})
    key, m = duban_tile(at)
    before = (key, m.value, m.delta)
    real = supervision.row

    def down(*a, **kw):  # the statement of supervision.summary fails
        raise OperationalError("SELECT …", {}, Exception("connection refused"))

    monkeypatch.setattr(supervision, "row", down)
    clear_caches()
    at.run()
    assert not at.exception, at.exception
    key, m = duban_tile(at)
    assert (key, m.value, m.delta) == before and "数据库连接中断" in htmls(at)
    monkeypatch.setattr(supervision, "row", real)
    clear_caches()
    at.run()
    assert "数据库连接中断" not in htmls(at) and duban_tile(at)[1].value == before[1]


def test_a_fresh_screen_without_any_duban_figure_shows_a_dash(db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from queries import supervision

    def down(*a, **kw):
        raise OperationalError("SELECT …", {}, Exception("connection refused"))

    monkeypatch.setattr(supervision, "row", down)
    at = app("wallscreen", "duty", params={"view": "hazards"})
    assert not at.exception, at.exception
    key, m = duban_tile(at)
    assert m.value == "—" and "暂不可用" in m.delta and "_late" not in key
