"""预警处置 page (the handling desk) through AppTest: an officer acknowledges, verifies and closes a warning through the
forms; a stale version is refused with the current state and writes nothing; hostile notes show as text; another
city's warning by URL is refused; the duty banner; leaders read only; the wall's 超时未处置 tile equals the query;
every leadership page works for a county-bound officer."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pages.app import pages_for
from pages.ui import LATE_COLOUR, NO_COLOUR
from queries import db as dbmod
from queries import handling as H
from queries.labels import LEVEL_HEX, LEVEL_NAMES
from queries.regions import PROVINCE
from queries.scope import Scope
from seed import schema as S
from tests.apptest_util import app, clear_caches, label_colours, metrics, number, table_text
from tests.dbcache import clone_database, remove_copy
from tests.test_handling import JIANGNING, JN_OFFICER, YANCHENG, new_warning, steps_of, wrow

pytestmark = pytest.mark.engines("sqlite")


@pytest.fixture(scope="module")
def wdb(db, session_tmp):
    """A private copy: these tests write steps."""
    url = clone_database(db, "page_handling", session_tmp)
    e = dbmod.get_engine(url)
    dbmod._ready.add(str(e.url))
    yield e
    remove_copy(url)


@pytest.fixture(autouse=True)
def _on_copy(wdb, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", wdb.url.render_as_string(hide_password=False))
    clear_caches()
    yield


def desk(user: str, params: dict | None = None):
    at = app("leadership", user, page="handling.py")
    for k, v in (params or {}).items():
        at.query_params[k] = str(v)
    if params:
        at.run()
    assert not at.exception, at.exception
    return at


def button(at, label: str):
    hits = [b for b in at.button if b.label == label]
    assert hits, f"no button {label}: {[b.label for b in at.button]}"
    return hits[0]


def texts(at) -> list[str]:
    return [t.value for t in at.text]


def shown(at) -> str:
    """Everything drawn as markdown-ish text (markdown, captions, alerts)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    return "\n".join(parts)


def audit_steps(eng, wid: int) -> list[str]:
    with eng.connect() as c:
        rows = c.execute(select(S.audit_log.c.detail).where(S.audit_log.c.event == H.STEP_EVENT)).scalars().all()
    return [d for d in rows if f'"warning": {wid},' in d]


def test_officer_acknowledges_verifies_and_closes_through_the_forms(wdb):
    wid = new_warning(wdb, JIANGNING, level=1, minutes_ago=3)
    at = desk("jiangning-officer", {"warning": wid})
    assert "待签收" in [m.value for m in at.metric][0]
    button(at, "签收").click().run()
    assert not at.exception, at.exception
    assert any("已签收" in s.value for s in at.success)
    v = wrow(wdb, wid)["version"]
    at.radio(key=f"desk_result_{wid}_{v}").set_value("device_fault")
    at.text_area(key=f"desk_note_verify_{wid}_{v}").input("液位计故障，已更换")
    button(at, "提交核查").click().run()
    assert not at.exception, at.exception
    assert any("已核查（设备故障）" in s.value for s in at.success), [s.value for s in at.success]
    v = wrow(wdb, wid)["version"]
    # 设备故障 may close directly: 处置 and 消警 are both offered
    at.text_area(key=f"desk_note_close_{wid}_{v}").input("设备已修复，读数正常")
    button(at, "消警").click().run()
    assert not at.exception, at.exception
    assert any("已消警" in s.value for s in at.success)
    assert [s["step"] for s in steps_of(wdb, wid)] == ["ack", "verify", "close"]
    assert {s["actor"] for s in steps_of(wdb, wid)} == {"jiangning-officer"}
    assert len(audit_steps(wdb, wid)) == 3
    assert wrow(wdb, wid)["closed_at"] is not None
    # the history on the desk shows every step with its note; no form is left
    assert "液位计故障，已更换" in texts(at) and "设备已修复，读数正常" in texts(at)
    assert not [b for b in at.button if b.label in ("签收", "提交核查", "消警")]


def test_a_step_taken_meanwhile_is_refused_with_the_current_state(wdb):
    wid = new_warning(wdb, JIANGNING, level=2, minutes_ago=2)
    at = desk("jiangning-officer", {"warning": wid})
    H.acknowledge(wid, JN_OFFICER, version=0, engine=wdb)  # another session, first
    before = (steps_of(wdb, wid), len(audit_steps(wdb, wid)))
    button(at, "签收").click().run()
    assert not at.exception, at.exception
    said = "\n".join(w.value for w in at.warning)
    assert "已被处理" in said and "已签收" in said and "未被记录" in said
    assert (steps_of(wdb, wid), len(audit_steps(wdb, wid))) == before
    # the page now shows the current state and offers the next step
    assert "已签收" in at.metric[0].value
    assert [b.label for b in at.button if b.label == "提交核查"]


def test_bad_input_changes_nothing_and_keeps_the_form(wdb):
    wid = new_warning(wdb, JIANGNING, level=3, minutes_ago=2)
    H.acknowledge(wid, JN_OFFICER, version=0, engine=wdb)
    at = desk("jiangning-officer", {"warning": wid})
    button(at, "提交核查").click().run()  # no result chosen, no note
    assert any("请选择核查结果" in e.value for e in at.error)
    # said inside the form whose button was pressed (not at the top of the page, far from it on a phone)
    assert [e.value for f in at.main.form for e in f.error] == [e.value for e in at.error]
    at.run()  # said once: the next run (a refresh) does not say it again …
    assert not any("请选择核查结果" in e.value for e in at.error)
    button(at, "提交核查").click().run()
    at.query_params.pop("warning")  # … nor a visit to the desk and back
    at.run()
    at.query_params["warning"] = str(wid)
    at.run()
    assert not any("请选择核查结果" in e.value for e in at.error), [e.value for e in at.error]
    button(at, "提交核查").click().run()
    at.radio(key=f"desk_result_{wid}_1").set_value("confirmed")
    at.text_area(key=f"desk_note_verify_{wid}_1").input("   \n\t ")  # blank
    button(at, "提交核查").click().run()
    assert not at.exception, at.exception
    assert any("请填写核查情况" in e.value for e in at.error), [e.value for e in at.error]
    # the box takes at most NOTE_MAX characters (5,000 typed are not sent); the query layer refuses longer ones too
    assert at.text_area(key=f"desk_note_verify_{wid}_1").max_chars == H.NOTE_MAX
    assert len(steps_of(wdb, wid)) == 1 and wrow(wdb, wid)["version"] == 1


HOSTILE = ["<script>alert(1)</script><b>粗体</b>", "[点我](https://evil.example/x) ![i](https://evil.example/i.png)",
           "**加粗** :red[红] $x^2$ <img src=x onerror=alert(1)>", "# 标题\n- 列表\n<a href='https://evil.example'>a</a>",
           "长" * 1990 + "<i>尾</i>"]


def test_hostile_notes_are_shown_as_text(wdb):
    wid = new_warning(wdb, JIANGNING, level=1, minutes_ago=2)
    r = H.acknowledge(wid, JN_OFFICER, version=0, note=HOSTILE[0], engine=wdb)
    r = H.verify(wid, JN_OFFICER, version=r.version, result="confirmed", note=HOSTILE[1], engine=wdb)
    r = H.handle(wid, JN_OFFICER, version=r.version, measures=HOSTILE[2], engine=wdb)
    H.escalate(wid, H.Actor("duty", "duty", None), version=r.version, note=HOSTILE[3], engine=wdb)
    wid2 = new_warning(wdb, JIANGNING, level=1, minutes_ago=2)
    H.acknowledge(wid2, JN_OFFICER, version=0, note=HOSTILE[4], engine=wdb)
    for w, notes in ((wid, HOSTILE[:4]), (wid2, HOSTILE[4:])):
        for page, key in (("handling.py", "warning"), ("warnings.py", "warning")):
            at = app("leadership", "jiangning-officer", page=page)
            at.query_params[key] = str(w)
            at.run()
            assert not at.exception, at.exception
            for n in notes:
                assert n in texts(at), (page, n[:40])
            md = shown(at)
            for bad in ("<script", "<img", "<a href", "](https://", "<b>", "<i>"):
                assert bad not in md, (page, bad)
    # the enterprise file: the latest steps of its warnings, notes as text
    ent = wrow(wdb, wid)["enterprise_id"]
    at = app("leadership", "jiangning-officer", page="enterprise.py")
    at.query_params["enterprise"] = str(ent)
    at.run()
    assert not at.exception, at.exception
    assert HOSTILE[4] in texts(at)
    assert "<i>尾</i>" not in shown(at)


def test_another_citys_warning_by_url_is_refused(wdb):
    with wdb.connect() as c:
        yc = c.execute(select(S.warnings.c.id).where(S.warnings.c.city_adcode == YANCHENG,
                                                     S.warnings.c.closed_at.is_(None)).limit(1)).scalar_one()
    for user in ("nanjing-officer", "jiangning-officer"):
        for page in ("handling.py", "warnings.py"):
            at = app("leadership", user, page=page)
            at.query_params["warning"] = str(yc)
            at.run()
            assert not at.exception, at.exception
            assert any("不在您的权限范围内" in e.value for e in at.error), (user, page)
            assert not [b for b in at.button if b.label in ("签收", "提交核查", "提交处置", "消警")]
            assert "盐城" not in shown(at)


def test_desk_lists_the_users_open_warnings_late_first(wdb):
    # (the order moves with the clock, 超时 first: the page's is the query's just before or just after it)
    before = H.desk(Scope(region=JIANGNING, binding=JIANGNING), engine=wdb, limit=300)
    s0 = H.desk_summary(Scope(region=JIANGNING, binding=JIANGNING), engine=wdb)
    at = desk("jiangning-officer")
    table = table_text(at.dataframe[0])
    d = H.desk(Scope(region=JIANGNING, binding=JIANGNING), engine=wdb, limit=300)
    assert list(table["预警编号"]) in (list(before["code"]), list(d["code"])) and len(d) > 0
    assert set(table["区县"]) == {"江宁区"}
    m = metrics(at)
    s = H.desk_summary(Scope(region=JIANGNING, binding=JIANGNING), engine=wdb)
    assert number(m["未消警预警"]) == s["open"]
    assert s0["overdue"] <= number(m["超时未处置预警"]) <= s["overdue"]
    late = [t for t in table["剩余时间"] if t.startswith("超时")]
    assert int(before["overdue"].sum()) <= len(late) <= int(d["overdue"].sum())
    assert list(table["剩余时间"][:len(late)]) == late  # the late ones on top
    assert any(c.value.startswith(f"共 {s['open']:,} 条：超时在前") for c in at.caption)
    # levels in their colours, the time left of a late warning in red, other times as plain text
    colours = label_colours(at.dataframe[0], "等级")
    assert colours == {LEVEL_NAMES[lv]: LEVEL_HEX[lv] for lv in (1, 2, 3, 4)}
    assert set(table["等级"]) <= set(colours)
    left = label_colours(at.dataframe[0], "剩余时间")
    assert {t: left[t] for t in table["剩余时间"]} == {t: LATE_COLOUR if t.startswith("超时") else NO_COLOUR
                                                   for t in table["剩余时间"]}


def test_leaders_read_only(wdb):
    wid = new_warning(wdb, JIANGNING, level=1, minutes_ago=2)
    for user in ("leader", "nanjing"):
        at = desk(user, {"warning": wid})
        assert not [b for b in at.button if b.label in ("签收", "提交核查", "提交处置", "消警", "督办")], user
        assert any("不能办理" in i.value for i in at.info)
    # the duty room may acknowledge and escalate
    at = desk("duty", {"warning": wid})
    assert {b.label for b in at.button} >= {"签收", "督办"}
    assert "提交核查" not in {b.label for b in at.button}


def test_duty_banner_on_every_page(wdb, monkeypatch):
    new_warning(wdb, JIANGNING, level=1, minutes_ago=90)  # past the 签收 deadline of a 重大 warning
    s = H.desk_summary(Scope(region=PROVINCE), engine=wdb)
    assert s["overdue_major"] > 0
    for spec in pages_for("leadership", "duty"):
        clear_caches()
        at = app("leadership", "duty", page=spec.file)
        assert not at.exception, (spec.file, at.exception)
        assert any(f"有 {s['overdue_major']:,} 条重大/较大预警已超时未处置" in e.value for e in at.error), spec.file
    # other roles see no banner
    clear_caches()
    at = app("leadership", "leader", page="warnings.py")
    assert not any("已超时未处置" in e.value for e in at.error)
    # the banner's query failing does not break the page

    def down(*a, **k):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    down.__module__, down.__name__ = H.__name__, "desk_summary"  # the page cache looks the function up by name
    monkeypatch.setattr(H, "desk_summary", down)
    clear_caches()
    at = app("leadership", "duty", page="warnings.py")
    assert not at.exception, at.exception
    assert not any("已超时未处置" in e.value for e in at.error)
    assert at.metric


def test_a_database_failure_during_a_step_says_so_and_recovers(wdb, monkeypatch):
    wid = new_warning(wdb, JIANGNING, level=2, minutes_ago=2)
    at = desk("jiangning-officer", {"warning": wid})
    real = H.take_step

    def failing(*a, **k):
        raise H.StepFailed("数据库暂时无法完成本次操作")

    monkeypatch.setattr(H, "take_step", failing)
    button(at, "签收").click().run()
    assert not at.exception, at.exception
    assert any("数据库暂时不可用，本步未保存" in e.value for e in at.error)
    assert steps_of(wdb, wid) == []
    monkeypatch.setattr(H, "take_step", real)
    button(at, "签收").click().run()  # the same form again, once the database is back
    assert not at.exception, at.exception
    assert [s["step"] for s in steps_of(wdb, wid)] == ["ack"]


def test_wall_tile_equals_the_query(wdb):
    before = H.desk_summary(Scope(region=PROVINCE), engine=wdb)["overdue"]
    at = app("wallscreen", "duty")
    after = H.desk_summary(Scope(region=PROVINCE), engine=wdb)["overdue"]
    assert not at.exception, at.exception
    tile = number(metrics(at)["超时未处置"])
    assert tile in (before, after) and tile > 0


@pytest.mark.slow
@pytest.mark.parametrize("user", ["jiangning-officer", "nanjing-officer"])
def test_every_leadership_page_works_for_an_officer(wdb, user):
    specs = pages_for("leadership", "officer")
    assert {"handling.py", "overview.py", "warnings.py", "enterprise.py"} <= {p.file for p in specs}
    for spec in specs:
        clear_caches()
        at = app("leadership", user, page=spec.file)
        assert not at.exception, (spec.file, at.exception)
        assert not at.error, (spec.file, [e.value for e in at.error])


def test_admin_edits_the_deadlines_with_chinese_messages(wdb):
    at = app("leadership", "admin", page="admin.py")
    assert not at.exception, at.exception
    at.selectbox(key="dl_level").set_value(2).run()
    at.number_input(key="dl_ack_2").set_value(300)
    at.number_input(key="dl_ver_2").set_value(120)
    button(at, "保存处置时限").click().run()
    assert any("签收时限 ≤ 核查时限 ≤ 消警时限" in e.value for e in at.error)
    assert H.deadlines(engine=wdb).set_index("level").loc[2, "ack_minutes"] == 30
    at.number_input(key="dl_ack_2").set_value(20)
    button(at, "保存处置时限").click().run()
    assert not at.exception, at.exception
    assert any("已保存" in s.value for s in at.success)
    row = H.deadlines(engine=wdb).set_index("level").loc[2]
    assert (row["ack_minutes"], row["verify_minutes"], row["updated_by"]) == (20, 120, "admin")
