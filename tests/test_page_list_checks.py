"""The list checks on 风险报告 (the key-control list) and 执法专项行动 (the “不放心” list), through AppTest on a private
copy: an officer verifies an entry 属实, issues the rectification notice and confirms 整改完成 through the forms, and
the page's 核查率 / 整改完成率 move by exactly one entry and equal ``check_rates``; an entry of another area, a
nonexistent and a malformed id get one and the same message; a stale version is refused with the current state and
writes nothing; bad input gets a Chinese message; notes and notice numbers are shown as text; leaders, admins and
writers get no form; a database failure says so and the form can be sent again."""
from __future__ import annotations

import datetime as dt
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from pages.app import pages_for
from pages.auth import User
from pages.common import plain, scope_token
from pages.ui import LATE_COLOUR, NO_COLOUR
from queries import accounts
from queries import db as dbmod
from queries import supervision as SV
from queries.scope import Scope
from seed import schema as S
from tests.apptest_util import ROOT, app, clear_caches, label_colours, metrics, number, table_text
from tests.dbcache import clone_database, remove_copy

pytestmark = pytest.mark.engines("sqlite")

SQ, NJ, YC, JIANGNING = 321300, 320100, 320900, 320115
TODAY = dt.date.today()
# a period that ends today: the rates are taken at the cut-off, so today's checks count
NOW_PARAMS = {"from": "2021-01-01", "to": TODAY.isoformat()}


def today_since_start(d: dt.date) -> bool:
    """A date a form defaulted to "today" while this module ran (a run may cross midnight)."""
    return TODAY <= d <= dt.date.today()
LC, AUDIT = S.list_checks, S.audit_log
PAGES = {"key_control": "risk.py", "watchlist": "enforcement.py"}
RATES = {"key_control": ("重点管控清单核查率", "重点管控清单整改完成率"),
         "watchlist": ("“不放心”名单核查率", "“不放心”名单整改完成率")}
# (list, the officer who works it, its region): Suqian's key-control list, Nanjing's 金陵安全联检 list
FLOWS = [("key_control", "suqian-officer", SQ), ("watchlist", "nanjing-officer", NJ)]
SUBMITS = ("提交核查结论", "下达整改通知", "复查确认整改完成")


@pytest.fixture(scope="module")
def ldb(db, session_tmp):
    """A private copy (these tests write checks) with a Suqian officer account."""
    url = clone_database(db, "page_list_checks", session_tmp)
    e = dbmod.get_engine(url)
    dbmod._ready.add(str(e.url))
    clear_caches()  # cold once: the lists and their rates are read live (uncached) by the pages, the rest is unchanged
    accounts.add_user("suqian-officer", "宿迁市应急管理局监管科", "officer", "Sq-officer-Check-2026!", region=SQ,
                      engine=e)
    yield e
    remove_copy(url)


@pytest.fixture(autouse=True)
def _on_copy(ldb, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", ldb.url.render_as_string(hide_password=False))
    yield


def page(user: str, kind: str, params: dict | None = None) -> AppTest:
    at = app("leadership", user, page=PAGES[kind])
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


def submits(at) -> list[str]:
    return [b.label for b in at.button if b.label in SUBMITS]


def shown(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    parts += [i.value for i in at.info]
    return "\n".join(parts)


def pending(eng, kind: str, region: int, n: int = 1) -> list[int]:
    """Entries of ``region`` (a city) not checked yet, newest first, among those the page lists."""
    df = SV.entries(kind, Scope(region=region, date_from=dt.date(2021, 1, 1), date_to=TODAY), engine=eng)
    ids = [int(i) for i in df.loc[df["state"] == "pending", "entry_id"]]
    assert len(ids) >= n, (kind, region, len(ids))
    return ids[:n]


def check(eng, kind: str, eid: int) -> dict | None:
    with eng.connect() as c:
        r = c.execute(select(LC).where(LC.c.list_kind == kind, LC.c.entry_id == eid)).mappings().first()
    return dict(r) if r else None


def audits(eng, kind: str, eid: int) -> list[str]:
    with eng.connect() as c:
        rows = c.execute(select(AUDIT.c.detail).where(AUDIT.c.event == SV.CHECK_EVENT)).scalars().all()
    return [d for d in rows if f'"list": "{kind}"' in d and f'"entry": {eid},' in d]


def scope_of(region: int, binding: int | None) -> Scope:
    return Scope(region=region, date_from=dt.date(2021, 1, 1), date_to=TODAY, binding=binding)


def assert_rates_on_page(at, kind: str, r: dict) -> None:
    m = metrics(at)
    v, rect = RATES[kind]
    assert number(m[v]) == r["verified_rate"], (m[v], r)
    assert number(m[rect]) == r["rectified_rate"], (m[rect], r)
    assert number(m["截至截止时间未核查"]) == r["entries"] - r["verified"]
    assert number(m["核查属实尚未整改完成"]) == r["substantiated"] - r["rectified"]


# --- the flow ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,user,region", FLOWS)
def test_officer_verifies_notices_and_follows_up_and_the_rates_move_by_one(ldb, kind, user, region):
    eid = pending(ldb, kind, region)[0]
    s = scope_of(region, region)
    before = SV.check_rates(kind, s, engine=ldb)
    at = page(user, kind, {**NOW_PARAMS, "entry": eid})
    assert_rates_on_page(at, kind, before)
    assert "当前状态：**待核查**" in shown(at)
    assert submits(at) == ["提交核查结论"]
    k = {"key_control": "kc", "watchlist": "wl"}[kind]
    # 1. on-site verification: 属实
    at.radio(key=f"{k}_verify_{eid}_0_finding").set_value("substantiated")
    at.text_area(key=f"{k}_verify_{eid}_0_note").input("现场核查：风险辨识不全，瞒报较大风险 2 项")
    button(at, "提交核查结论").click().run()
    assert not at.exception, at.exception
    assert [x.value for x in at.success] == ["已记录核查结论：属实"]
    c = check(ldb, kind, eid)
    assert (c["finding"], c["verified_by"], c["version"]) == ("substantiated", user, 1)
    assert today_since_start(c["verified_on"])  # the form's default: the day the page was drawn
    r1 = SV.check_rates(kind, s, engine=ldb)
    assert (r1["entries"], r1["verified"], r1["substantiated"], r1["rectified"]) == \
        (before["entries"], before["verified"] + 1, before["substantiated"] + 1, before["rectified"])
    assert_rates_on_page(at, kind, r1)
    assert "现场核查：风险辨识不全，瞒报较大风险 2 项" in [t.value for t in at.text]
    assert submits(at) == ["下达整改通知"]
    # 2. the rectification notice
    due = TODAY + dt.timedelta(days=20)
    at.text_input(key=f"{k}_notice_{eid}_1_no").input("宿应急责改〔2026〕7号")
    at.date_input(key=f"{k}_notice_{eid}_1_due").set_value(due)
    button(at, "下达整改通知").click().run()
    assert not at.exception, at.exception
    assert [x.value for x in at.success] == ["已下达整改通知"]
    c = check(ldb, kind, eid)
    assert (c["notice_no"], c["notice_deadline"], c["noticed_by"], c["version"]) == ("宿应急责改〔2026〕7号", due, user, 2)
    assert "已下达整改通知" in shown(at) and "宿应急责改〔2026〕7号" in shown(at)
    r2 = SV.check_rates(kind, s, engine=ldb)
    assert r2["noticed"] == r1["noticed"] + 1 and r2["rectified"] == r1["rectified"]
    assert submits(at) == ["复查确认整改完成"]
    # 3. the follow-up check: 整改完成 today
    button(at, "复查确认整改完成").click().run()
    assert not at.exception, at.exception
    assert [x.value for x in at.success] == ["已复查确认整改完成"]
    c = check(ldb, kind, eid)
    assert (c["followed_by"], c["version"]) == (user, 3) and today_since_start(c["rectified_on"])
    r3 = SV.check_rates(kind, s, engine=ldb)
    assert (r3["entries"], r3["verified"], r3["substantiated"], r3["rectified"]) == \
        (before["entries"], before["verified"] + 1, before["substantiated"] + 1, before["rectified"] + 1)
    assert_rates_on_page(at, kind, r3)
    assert submits(at) == [] and any("已办结" in i.value for i in at.info)
    assert len(audits(ldb, kind, eid)) == 3
    # the list shows the entry's new state (the table is read live, not from the shared cache)
    table = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
    e = SV.entry(kind, eid, s, engine=ldb)
    assert "整改完成" in set(table["办理状态"]) and e["state"] == "rectified"
    if kind == "key_control":
        assert number(metrics(at)["核查发现瞒报漏报"]) == r3["substantiated"]


def test_unfounded_closes_the_check_at_once(ldb):
    eid = pending(ldb, "key_control", SQ)[0]
    at = page("suqian", "key_control", {**NOW_PARAMS, "entry": eid})  # a city account acts too
    at.radio(key=f"kc_verify_{eid}_0_finding").set_value("unfounded")
    button(at, "提交核查结论").click().run()
    assert not at.exception, at.exception
    assert [x.value for x in at.success] == ["已记录核查结论：不属实"]
    assert check(ldb, "key_control", eid)["verified_by"] == "suqian"
    assert submits(at) == [] and "当前状态：**不属实**" in shown(at)


# --- refusals ---------------------------------------------------------------------------------------------------

def _foreign(eng, kind: str, city: int) -> int:
    return int(SV.entries(kind, Scope(region=city, date_from=dt.date(2021, 1, 1), date_to=TODAY), engine=eng)
               .iloc[0]["entry_id"])


@pytest.mark.slow
@pytest.mark.parametrize("kind,user", [("key_control", "suqian-officer"), ("watchlist", "nanjing-officer"),
                                       ("watchlist", "jiangning-officer")])
def test_an_entry_outside_the_area_gets_one_message(ldb, kind, user):
    other = _foreign(ldb, kind, YC)
    if user == "jiangning-officer":  # a county officer: an entry of its own city, another county
        df = SV.entries(kind, scope_of(NJ, None), engine=ldb)
        other = int(df[df["county"] != "江宁区"].iloc[0]["entry_id"])
    name = SV.entry(kind, other, scope_of(320000, None), engine=ldb)["enterprise"]
    before = check(ldb, kind, other)
    for raw in (other, f" {other} ", "".join(chr(ord(d) + 0xFEE0) for d in str(other)), 10**9, 0, -other, "abc",
                "1 OR 1=1", "<script>alert(1)</script>", "9" * 40):
        at = page(user, kind, {"entry": raw})
        errors = [e.value for e in at.error]
        assert errors == [SV.ENTRY_OUT_OF_SCOPE], (raw, errors)
        assert submits(at) == [], raw
        assert name not in shown(at), raw
        assert metrics(at), raw  # the rest of the page stays
    assert check(ldb, kind, other) == before


def test_a_stale_version_is_refused_with_the_current_state(ldb):
    a, b = pending(ldb, "watchlist", NJ, 2)
    nj = SV.Actor("nanjing", "city", NJ)
    # verification: someone else verified first
    at = page("nanjing-officer", "watchlist", {**NOW_PARAMS, "entry": a})
    SV.verify_entry(nj, "watchlist", a, "unfounded", TODAY, "另一人先核查", engine=ldb)
    at.radio(key=f"wl_verify_{a}_0_finding").set_value("substantiated")
    button(at, "提交核查结论").click().run()
    assert not at.exception, at.exception
    said = [w.value for w in at.warning]
    assert len(said) == 1 and "已核查" in said[0] and "未被记录" in said[0] and "当前状态：不属实" in said[0], said
    c = check(ldb, "watchlist", a)
    assert (c["finding"], c["verified_by"], c["version"]) == ("unfounded", "nanjing", 1)
    assert len(audits(ldb, "watchlist", a)) == 1
    assert "当前状态：**不属实**" in shown(at) and submits(at) == []
    # the notice: the page drew version 1, someone issued a notice meanwhile
    SV.verify_entry(nj, "watchlist", b, "substantiated", TODAY, engine=ldb)
    at = page("nanjing-officer", "watchlist", {**NOW_PARAMS, "entry": b})
    SV.issue_notice(nj, "watchlist", b, "宁应急责改〔2026〕1号", TODAY + dt.timedelta(days=10), version=1, engine=ldb)
    at.text_input(key=f"wl_notice_{b}_1_no").input("宁应急责改〔2026〕2号")
    button(at, "下达整改通知").click().run()
    assert not at.exception, at.exception
    said = [w.value for w in at.warning]
    assert len(said) == 1 and "已有新的办理" in said[0] and "当前状态：已下达整改通知" in said[0], said
    c = check(ldb, "watchlist", b)
    assert (c["notice_no"], c["noticed_by"], c["version"]) == ("宁应急责改〔2026〕1号", "nanjing", 2)
    # the page now shows the current state and offers the next step; the message is said once
    assert "宁应急责改〔2026〕1号" in shown(at) and submits(at) == ["复查确认整改完成"]
    at.run()
    assert not at.warning


def test_bad_input_gets_a_chinese_message_and_writes_nothing(ldb):
    eid = pending(ldb, "key_control", SQ)[0]
    at = page("suqian-officer", "key_control", {**NOW_PARAMS, "entry": eid})
    button(at, "提交核查结论").click().run()  # no finding chosen
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["请选择核查结论：属实或不属实"]
    assert check(ldb, "key_control", eid) is None
    assert at.text_area(key=f"kc_verify_{eid}_0_note").max_chars == SV.NOTE_MAX
    at.radio(key=f"kc_verify_{eid}_0_finding").set_value("substantiated")
    button(at, "提交核查结论").click().run()
    assert check(ldb, "key_control", eid)["version"] == 1
    for no, msg in (("   ", "请填写整改通知书编号"), ("\n\t", "请填写整改通知书编号")):
        at.text_input(key=f"kc_notice_{eid}_1_no").input(no)
        button(at, "下达整改通知").click().run()
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [msg]
    assert at.text_input(key=f"kc_notice_{eid}_1_no").max_chars == SV.NOTICE_NO_MAX
    assert check(ldb, "key_control", eid)["notice_no"] is None and check(ldb, "key_control", eid)["version"] == 1


HOSTILE_NOTES = ["<script>alert(1)</script><b>粗体</b>", "[点我](https://evil.example/x) ![i](https://evil.example/i.png)",
                 "**加粗** :red[红] $x^2$ <img src=x onerror=alert(1)>\n# 标题\n- 列表"]
HOSTILE_NO = "<a href=//e.x>号</a>[x](https://e.x)**粗**"


def test_hostile_notes_and_notice_numbers_are_shown_as_text(ldb):
    ids = pending(ldb, "watchlist", NJ, len(HOSTILE_NOTES))
    officer = SV.Actor("nanjing-officer", "officer", NJ)
    for eid, note in zip(ids, HOSTILE_NOTES):
        SV.verify_entry(officer, "watchlist", eid, "substantiated", TODAY, note, engine=ldb)
    SV.issue_notice(officer, "watchlist", ids[0], HOSTILE_NO, TODAY + dt.timedelta(days=5), version=1, engine=ldb)
    for eid, note in zip(ids, HOSTILE_NOTES):
        for user in ("nanjing-officer", "leader"):
            at = page(user, "watchlist", {**NOW_PARAMS, "entry": eid})
            assert note in [t.value for t in at.text], (user, note[:30])
            md = shown(at)
            if eid == ids[0]:  # the notice number is in the record's line, every markup character escaped
                assert plain(HOSTILE_NO) in md and HOSTILE_NO not in md
                md = md.replace(plain(HOSTILE_NO), "")
            for bad in ("<script", "<img", "<a href", "](https://", "<b>", "**粗"):
                assert bad not in md, (user, bad)
    at = page("nanjing-officer", "watchlist", {**NOW_PARAMS, "entry": ids[0]})
    table = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
    assert HOSTILE_NO in set(table["整改通知书"])  # a table cell is text


# --- who reads --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["leader", "admin"])
def test_leaders_and_admins_read_without_forms(ldb, user):
    for kind, region in (("key_control", SQ), ("watchlist", NJ)):
        eid = pending(ldb, kind, region)[0]
        at = page(user, kind, {**NOW_PARAMS, "region": region, "entry": eid})
        assert submits(at) == [] and not at.radio and not at.text_input
        assert any("不能办理" in i.value for i in at.info)
        assert "当前状态：**待核查**" in shown(at)


def test_writers_see_no_forms(ldb):
    # the leadership app does not register the two pages for a writer ...
    assert not {"risk.py", "enforcement.py"} & {p.file for p in pages_for("leadership", "writer")}
    at = app("leadership", "writer")
    assert not at.exception and not submits(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/risk.py")
    # ... and the pages themselves, run for a writer, draw the entries without a form
    for kind, region in (("key_control", SQ), ("watchlist", NJ)):
        eid = pending(ldb, kind, region)[0]
        at = AppTest.from_file(str(ROOT / "pages" / PAGES[kind]), default_timeout=120)
        at.session_state["oversight_user"] = User("writer", "简报编辑", "writer", None)
        for k, v in {**NOW_PARAMS, "region": region, "entry": eid}.items():
            at.query_params[k] = str(v)
        at.run()
        assert not at.exception, at.exception
        assert "当前状态：**待核查**" in shown(at)
        assert submits(at) == [] and any("不能办理" in i.value for i in at.info)


# --- the rates and the list -------------------------------------------------------------------------------------

@pytest.mark.parametrize("user,region,binding", [("leader", 320000, None), ("suqian", SQ, SQ),
                                                 ("jiangning-officer", JIANGNING, JIANGNING),
                                                 ("nanjing-officer", NJ, NJ)])
@pytest.mark.parametrize("kind", ["key_control", "watchlist"])
def test_rates_on_the_page_equal_check_rates(ldb, kind, user, region, binding):
    at = page(user, kind, NOW_PARAMS)
    s = scope_of(region, binding)
    assert_rates_on_page(at, kind, SV.check_rates(kind, s, engine=ldb))
    by = SV.check_rates_by_region(kind, s, engine=ldb)
    table = next(table_text(d) for d in at.dataframe if "verified_rate" in d.value.columns)
    assert list(table["name"]) == list(by["name"])
    assert list(table["verified_rate"]) == list(by["verified_rate"])
    assert list(table["rectified_rate"]) == list(by["rectified_rate"])
    listed = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
    e = SV.entries(kind, s, engine=ldb)
    assert list(listed["企业"]) == list(e["enterprise"])
    late = [x for x in listed["办理状态"] if x.endswith("（超期）")]
    assert len(late) == int(e["overdue"].sum())
    # the state of an overdue entry in red, every other state as plain text; the deadline is not coloured
    el = next(d for d in at.dataframe if "办理状态" in d.value.columns)
    assert label_colours(el, "办理状态") == {x: LATE_COLOUR if x.endswith("（超期）") else NO_COLOUR
                                             for x in listed["办理状态"]}
    assert label_colours(el, "整改期限") == {}


def test_the_bulletin_view_of_suqian(ldb):
    """At the bulletin's as-of time the key-control 核查率 equals the recorded verification of the risk reports."""
    from queries import risk

    params = {"region": SQ, "to": "2021-03-13", "as_of": "2021-03-13 23:59:59"}
    at = page("suqian", "key_control", params)
    s = Scope(region=SQ, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 3, 13),
              as_of=dt.datetime(2021, 3, 13, 23, 59, 59), binding=SQ)
    kc = risk.key_control_summary(s, engine=ldb)
    r = SV.check_rates("key_control", s, engine=ldb)
    assert_rates_on_page(at, "key_control", r)
    assert number(metrics(at)["重点管控清单核查率"]) == kc["verified_rate"]
    assert metrics(at)["风险报告完成上报率"] == "22.4%"


def test_selecting_a_row_opens_the_entry_and_closing_it_returns(ldb):
    at = page("suqian-officer", "key_control", NOW_PARAMS)
    e = SV.entries("key_control", scope_of(SQ, SQ), engine=ldb)
    at.session_state[f"kc_list_{scope_token(scope_of(SQ, SQ))}_all_0"] = {"selection": {"rows": [2], "columns": [],
                                                                                        "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["entry"] == str(int(e.iloc[2]["entry_id"]))
    assert f"##### {e.iloc[2]['enterprise']}" in [m.value for m in at.markdown]
    assert at.query_params["to"] == TODAY.isoformat()  # the scope stays
    button(at, "关闭").click().run()
    assert not at.exception, at.exception
    assert "entry" not in at.query_params
    assert submits(at) == []


def test_the_state_filter(ldb):
    at = page("suqian", "key_control", NOW_PARAMS)
    e = SV.entries("key_control", scope_of(SQ, SQ), engine=ldb)
    at.selectbox(key="kc_state_filter").set_value("overdue").run()
    listed = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
    assert len(listed) == int(e["overdue"].sum()) > 0
    assert all(x.endswith("（超期）") for x in listed["办理状态"])
    at.selectbox(key="kc_state_filter").set_value("pending").run()
    listed = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
    assert len(listed) == int((e["state"] == "pending").sum())


def test_a_database_failure_says_so_and_the_form_can_be_sent_again(ldb, monkeypatch):
    eid = pending(ldb, "watchlist", NJ)[0]
    at = page("nanjing-officer", "watchlist", {**NOW_PARAMS, "entry": eid})
    real = SV.verify_entry

    def failing(*a, **k):
        raise SV.WriteFailed("数据库暂时无法完成本次操作，核查未被记录，请稍后重试")

    monkeypatch.setattr(SV, "verify_entry", failing)
    at.radio(key=f"wl_verify_{eid}_0_finding").set_value("unfounded")
    button(at, "提交核查结论").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["数据库暂时不可用，本次办理未保存。请稍后重试。"]
    assert check(ldb, "watchlist", eid) is None
    monkeypatch.setattr(SV, "verify_entry", real)
    button(at, "提交核查结论").click().run()
    assert not at.exception, at.exception
    assert [x.value for x in at.success] == ["已记录核查结论：不属实"]
    assert check(ldb, "watchlist", eid)["finding"] == "unfounded"



def test_the_filter_counts_every_entry_and_each_state_is_read_from_the_database(ldb):
    """The province's key-control list has more entries than the page lists (500): the filter's counts and the
    caption are of every entry, and a state's list holds that state's newest entries, not those among the 500."""
    scope = scope_of(320000, None)
    counts = SV.entry_counts("key_control", scope, engine=ldb)
    assert counts["all"] > 500
    at = page("leader", "key_control", NOW_PARAMS)
    box = at.selectbox(key="kc_state_filter")
    assert box.options[0] == f"全部（{counts['all']:,}）"
    assert f"整改超期（{counts['overdue']:,}）" in box.options
    listed = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
    assert len(listed) == 500
    assert any(c.value.startswith(f"共 {counts['all']:,} 条，列出最近的 500 条。") for c in at.caption)
    for state in ("pending", "rectified"):
        at.selectbox(key="kc_state_filter").set_value(state).run()
        want = SV.entries("key_control", scope, engine=ldb, state=state)
        listed = next(table_text(d) for d in at.dataframe if "办理状态" in d.value.columns)
        assert list(listed["企业"]) == list(want["enterprise"]) and len(listed) == min(500, counts[state])
        more = "，列出最近的 500 条" if counts[state] > 500 else ""
        assert any(c.value.startswith(f"{SV.CHECK_STATES[state]}共 {counts[state]:,} 条{more}。") for c in at.caption)
