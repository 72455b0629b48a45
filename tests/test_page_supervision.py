"""督办 pages through AppTest, on a private copy of the demo database: a leader sends from a topic page's header to
盐城市, yancheng sees it in 待办 with the count in the navigation, replies, the leader closes it; a returned order is
在办 again; suqian sees none of it (list, count, URL); hostile text shows as text; a double submit writes one event;
a stale version is refused with the current state; empty and over-long input gets a Chinese message and writes
nothing; the writer reads without forms; who gets a send button where (header, lagging campaign, enterprise,
warning; the duty room about warnings only); a failing database on an action and on the navigation's count."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pages.supervision_ui import TAB_KEY
from pages.ui import LATE_COLOUR, NO_COLOUR
from queries import db as dbmod
from queries import supervision as SV
from seed import schema as S
from tests.apptest_util import app, clear_caches, click_tab, label_colours, metrics, number, table_text
from tests.dbcache import clone_database, remove_copy
from tests.markup_util import assert_inert, markdown_bodies

pytestmark = pytest.mark.engines("sqlite")

SO, SE, A = S.supervision_orders, S.supervision_events, S.audit_log
NANJING, JIANGNING, YANCHENG, SUQIAN = 320100, 320115, 320900, 321300
LEADER = SV.Actor("leader", "leader", None)
YC_CITY, SQ_CITY = SV.Actor("yancheng", "city", YANCHENG), SV.Actor("suqian", "city", SUQIAN)
YC_OFFICER = SV.Actor("yancheng-officer", "officer", YANCHENG)
FORM_BUTTONS = {"提交反馈", "办结", "退回", "发出督办"}


@pytest.fixture(scope="module")
def wdb(db, session_tmp):
    """A private copy: these tests send, answer and close orders."""
    url = clone_database(db, "page_supervision", session_tmp)
    e = dbmod.get_engine(url)
    dbmod._ready.add(str(e.url))
    yield e
    remove_copy(url)


@pytest.fixture(autouse=True)
def _on_copy(wdb, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", wdb.url.render_as_string(hide_password=False))
    clear_caches()
    yield


# --- helpers ------------------------------------------------------------------------------------------------------

def open_page(user: str, page: str = "supervision.py", params: dict | None = None):
    at = app("leadership", user, page=page)
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


def area(at, prefix: str):
    hits = [t for t in at.text_area if t.label.startswith(prefix)]
    assert hits, f"no text area {prefix}: {[t.label for t in at.text_area]}"
    return hits[0]


def nav(at) -> list[str]:
    """The page titles the navigation shows."""
    return [p.get("page_name") for p in at._registered_pages.values()]


def nav_duban(at) -> str:
    titles = [t for t in nav(at) if t and t.startswith("督办")]
    assert titles, nav(at)
    return titles[0]


def shown(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(parts)


def said(at, kind: str) -> str:
    return "\n".join(e.value for e in getattr(at, kind))


def codes(at) -> set[str]:
    """Every 督办编号 in the page's tables."""
    return {c for d in at.dataframe if "督办编号" in d.value.columns for c in d.value["督办编号"]}


def open_tab(at, label: str):
    """The list's tab ``label`` clicked (only the open tab's list is read and drawn)."""
    at = click_tab(at, label)
    assert not at.exception, at.exception
    assert at.session_state[TAB_KEY] == label
    return at


def codes_of_every_tab(at) -> set[str]:
    """Every 督办编号 in the tables of every tab of the list, each opened in turn."""
    seen: set[str] = set()
    for label in [t.label for t in at.tabs]:
        seen |= codes(open_tab(at, label))
    return seen


def orow(eng, oid: int) -> dict:
    with eng.connect() as c:
        return dict(c.execute(select(SO).where(SO.c.id == oid)).mappings().one())


def kinds(eng, oid: int) -> list[str]:
    with eng.connect() as c:
        return list(c.execute(select(SE.c.kind).where(SE.c.order_id == oid).order_by(SE.c.version)).scalars())


def order_count(eng) -> int:
    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(SO)).scalar()


def audit_count(eng, ev: str) -> int:
    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(A).where(A.c.event == ev)).scalar()


def new_order(eng, to=YANCHENG, actor=LEADER, text="请报送整改推进情况", subject=None) -> SV.Result:
    return SV.send(actor, to, subject or SV.text_subject("页面测试督办"), text, dt.date.today() + dt.timedelta(days=5),
                   engine=eng)


def page_links(at) -> list[tuple[str, str, str]]:
    return [(p.proto.label, p.proto.page, p.proto.query_string) for p in at.get("page_link")]


def open_send_form(at, label: str = "发督办单"):
    button(at, label).click().run()
    assert not at.exception, at.exception
    assert [b for b in at.button if b.label == "发出督办"], "the send form did not open"
    return at


def addressee(at):
    return next(s for s in at.selectbox if s.label == "督办对象")


# --- the flow -------------------------------------------------------------------------------------------------------

def test_leader_sends_from_the_header_yancheng_replies_and_the_leader_closes(wdb):
    before = order_count(wdb)
    audited = {ev: audit_count(wdb, ev) for ev in (SV.SEND_EVENT, SV.REPLY_EVENT, SV.CLOSE_EVENT)}
    at = open_page("leader", "enforcement.py", {"region": YANCHENG})
    open_send_form(at)
    assert addressee(at).value == YANCHENG  # the region in view
    title = next(t for t in at.text_input if t.label == "督办事项").value
    assert title.startswith("执法专项行动 · 盐城市") and "2021-01-01 至 2021-06-30" in title
    area(at, "批示").input("盐城市检查进度明显滞后，请说明原因并提出整改措施。")
    button(at, "发出督办").click().run()
    assert not at.exception, at.exception
    assert "已向盐城市发出督办" in said(at, "success")
    assert not [b for b in at.button if b.label == "发出督办"]  # the form closed
    assert order_count(wdb) == before + 1
    with wdb.connect() as c:
        oid = c.execute(select(func.max(SO.c.id))).scalar()
    o = orow(wdb, oid)
    assert (o["issuer"], o["region_adcode"], o["subject_kind"], o["state"]) == ("leader", YANCHENG, "view", "open")
    assert o["deadline"].date() == dt.date.today() + dt.timedelta(days=7)
    view = SV.view_params(SV.order(oid, LEADER, engine=wdb))
    assert view["page"] == "enforcement" and view["region"] == str(YANCHENG) and view["from"] == "2021-01-01"
    assert dt.datetime.fromisoformat(view["as_of"]) <= dt.datetime.now()
    assert ("查看督办单 →", "duban", f"order={oid}") in page_links(at)
    code = o["code"]

    # yancheng: the count in the navigation, the order in 待办
    clear_caches()
    at = open_page("yancheng")
    n = SV.counts(YC_CITY, engine=wdb)["todo"]
    assert n >= 1 and nav_duban(at) == f"督办（{n}）"
    assert number(metrics(at)["待我办理"]) == n
    inbox = table_text(at.dataframe[0])
    assert code in set(inbox["督办编号"]) and list(inbox["督办编号"]) == list(SV.inbox(YC_CITY, engine=wdb)["code"])
    row = inbox[inbox["督办编号"] == code].iloc[0]
    assert row["待办"] == "待反馈" and row["状态"] == "在办" and row["剩余时间"].startswith("剩 ")
    # the order: its 批示, the link to the exact view, the reply form
    at = open_page("yancheng", params={"order": oid})
    assert "盐城市检查进度明显滞后，请说明原因并提出整改措施。" in [t.value for t in at.text]
    link = next(p for p in page_links(at) if p[0] == "打开督办时的视图 →")
    assert link[1] == "enforcement" and f"region={YANCHENG}" in link[2] and "as_of=" in link[2]
    area(at, "反馈内容").input("已约谈滞后县区，月底前完成全部检查。")
    button(at, "提交反馈").click().run()
    assert not at.exception, at.exception
    assert f"已反馈：{code}".replace("-", "\\-") in said(at, "success")
    assert orow(wdb, oid)["state"] == "answered"
    assert nav_duban(at) == (f"督办（{n - 1}）" if n > 1 else "督办")  # one's own action counts afresh
    assert not [b for b in at.button if b.label == "提交反馈"]
    assert "已组织" not in shown(at) and "已约谈滞后县区，月底前完成全部检查。" in [t.value for t in at.text]

    # the leader: waiting to be closed, closes with a note
    at = open_page("leader")
    assert code in set(table_text(at.dataframe[0])["督办编号"])
    at = open_page("leader", params={"order": oid})
    assert [t.label for t in at.tabs][-2:] == ["办结", "退回"]
    area(at, "办结意见").input("同意办结，持续跟踪。")
    button(at, "办结").click().run()
    assert not at.exception, at.exception
    assert orow(wdb, oid)["state"] == "closed"
    assert kinds(wdb, oid) == ["send", "reply", "close"]
    assert {ev: audit_count(wdb, ev) - n for ev, n in audited.items()} == {ev: 1 for ev in audited}
    assert "该督办已办结。" in said(at, "info")
    assert not FORM_BUTTONS & {b.label for b in at.button}
    assert [m.value for m in at.metric][0] == "办结"
    history = [m.value for m in at.markdown if "**" in m.value and "·" in m.value]
    assert [h.split("**")[3] for h in history] == ["督办", "反馈", "办结"]


def test_a_returned_order_is_open_again(wdb):
    r = new_order(wdb)
    SV.reply(YC_OFFICER, r.order_id, "已处理", version=1, engine=wdb)
    at = open_page("leader", params={"order": r.order_id})
    button(at, "退回").click().run()  # no reason
    assert not at.exception, at.exception
    assert "请填写退回理由" in said(at, "error")
    assert orow(wdb, r.order_id)["state"] == "answered"
    area(at, "退回理由").input("反馈不具体，请补充整改措施和完成时限。")
    button(at, "退回").click().run()
    assert not at.exception, at.exception
    o = orow(wdb, r.order_id)
    assert (o["state"], o["returned_count"]) == ("open", 1)
    assert [m.value for m in at.metric][0] == "在办" and "已退回 1 次" in shown(at)
    assert "反馈不具体，请补充整改措施和完成时限。" in [t.value for t in at.text]
    at = open_page("yancheng")
    inbox = table_text(at.dataframe[0])
    assert inbox[inbox["督办编号"] == r.code].iloc[0]["待办"] == "待反馈"
    at = open_page("yancheng-officer", params={"order": r.order_id})
    assert [b for b in at.button if b.label == "提交反馈"]


def test_suqian_sees_none_of_it(wdb):
    r = new_order(wdb, subject=SV.text_subject("盐城市专属督办事项"))
    SV.reply(YC_OFFICER, r.order_id, "盐城反馈", version=1, engine=wdb)
    r2 = new_order(wdb)  # and an open one
    at = open_page("suqian")
    every = codes_of_every_tab(at)
    assert every and not {r.code, r2.code} & every
    assert all(c.startswith("DB-") for c in every)
    visible = SV.listing(SQ_CITY, engine=wdb)
    assert set(visible["city_adcode"]) <= {SUQIAN}
    n = SV.counts(SQ_CITY, engine=wdb)["todo"]
    assert nav_duban(at) == (f"督办（{n}）" if n else "督办")
    # by URL: the order, a nonexistent one and malformed ids get one message and a way back
    with wdb.connect() as c:
        missing = c.execute(select(func.max(SO.c.id))).scalar() + 1000
    for raw in (r.order_id, r2.order_id, f" {r.order_id} ", str(r.order_id).translate(
            str.maketrans("0123456789", "０１２３４５６７８９")), missing, "abc", "-1", "1e3", "9" * 40, "1 OR 1=1"):
        at = open_page("suqian", params={"order": raw})
        assert [e.value for e in at.error] == [SV.OUT_OF_SCOPE], raw
        assert [b for b in at.button if b.label == "← 返回督办列表"], raw
        assert not FORM_BUTTONS & {b.label for b in at.button} and not at.text_area, raw
        assert "盐城" not in shown(at) and "盐城" not in " ".join(t.value for t in at.text), raw
    button(at, "← 返回督办列表").click().run()
    assert "order" not in at.query_params and at.tabs and (at.dataframe or at.info)


HOSTILE = ["<script>alert(1)</script><b>粗体</b>", "[点我](https://evil.example/x) ![i](https://evil.example/i.png)",
           "**加粗** :red[红] $x^2$ <img src=x onerror=alert(1)> :material/warning:",
           "# 标题\n- 列表\n<a href='https://evil.example'>a</a> www.evil.example a@evil.example",
           "控制\x00字符\x1b[31m红\u202e反转\u200b零宽"]


def test_hostile_text_is_shown_as_text(wdb):
    subject = SV.text_subject("<i>事项</i> [链接](https://evil.example) :red[红]")
    orders = []
    for i, text in enumerate(HOSTILE):
        r = new_order(wdb, text=text, subject=subject)
        SV.reply(YC_OFFICER, r.order_id, HOSTILE[-1 - i], version=1, engine=wdb)
        orders.append(r)
    longest = new_order(wdb, text="长" * (SV.INSTRUCTION_MAX - 8) + "<i>尾</i>", subject=subject)
    SV.reply(YC_OFFICER, longest.order_id, "反" * (SV.REPLY_MAX - 8) + "<b>尾</b>", version=1, engine=wdb)
    for r in [*orders, longest]:
        for user in ("leader", "yancheng"):
            at = open_page(user, params={"order": r.order_id})
            texts = [t.value for t in at.text]
            o = SV.order(r.order_id, LEADER, engine=wdb)
            ev = SV.events(r.order_id, LEADER, engine=wdb)
            for stored in [o["instruction"], *ev["text"]]:
                assert any(stored.replace("\u202e", "\\u202e").replace("\u200b", "\\u200b") == t for t in texts), \
                    (user, stored[:40])
            for t in texts:
                assert "\u202e" not in t and "\u200b" not in t
            assert_inert(at, "evil", (user, r.code))
            assert_inert(at, "事项", (user, r.code))
            for kind, body in markdown_bodies(at):
                for bad in ("<script", "<img", "<a href", "](https://", "<b>", "<i>", ":red["):
                    assert bad not in body, (user, kind, bad)
    # and in the lists (tables show cell text; nothing is drawn as markdown)
    at = open_page("leader")
    assert not at.exception
    assert_inert(at, "evil", "list")


def test_a_double_submit_writes_one_event(wdb):
    r = new_order(wdb)
    at = open_page("yancheng", params={"order": r.order_id})
    area(at, "反馈内容").input("只应记录一次")
    submit = button(at, "提交反馈")
    submit.click().run()
    assert not at.exception, at.exception
    assert kinds(wdb, r.order_id) == ["send", "reply"]
    # the same click once more, carrying the same form (the page drawn before the first answer)
    submit.click()
    submit.root.run()
    assert not at.exception, at.exception
    assert kinds(wdb, r.order_id) == ["send", "reply"]
    assert "已有新的办理" not in said(at, "warning")  # the repeat is dropped, not refused as someone else's action
    with wdb.connect() as c:
        mine = A.c.detail.contains(f'"order": {r.order_id},')
        n = c.execute(select(func.count()).select_from(A).where(A.c.event == SV.REPLY_EVENT, mine)).scalar()
    assert n == 1


def test_a_send_whose_run_was_stopped_after_it_wrote_does_not_open_the_form_again(wdb):
    """Streamlit may stop a run at any access to the session state when a newer request comes (a click, a
    component's answer). A send callback stopped right after its order was written used to leave the form open over
    the sent order (a second click was ignored without a word): a form that sent is closed, whatever else the
    callback did not get to."""
    from pages import supervision_ui as UI

    before = order_count(wdb)
    at = open_page("leader", "enforcement.py", {"region": YANCHENG})
    open_send_form(at)
    still_open = at.session_state[UI.OPEN]
    area(at, "批示").input("请核实并反馈。")
    button(at, "发出督办").click().run()
    assert not at.exception and order_count(wdb) == before + 1
    at.session_state[UI.OPEN] = still_open  # what a callback stopped after the write leaves behind
    at.run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "发出督办"], "the form that sent stays closed"
    assert order_count(wdb) == before + 1


def test_a_stale_version_gets_the_conflict_message_and_writes_nothing(wdb):
    r = new_order(wdb)
    at = open_page("yancheng", params={"order": r.order_id})
    SV.reply(YC_OFFICER, r.order_id, "另一位同事先反馈了", version=1, engine=wdb)  # another session, first
    area(at, "反馈内容").input("我的反馈")
    button(at, "提交反馈").click().run()
    assert not at.exception, at.exception
    warning = said(at, "warning")
    assert "已有新的办理" in warning and "已反馈" in warning and "未被记录" in warning
    assert kinds(wdb, r.order_id) == ["send", "reply"]
    assert "另一位同事先反馈了" in [t.value for t in at.text] and "我的反馈" not in [t.value for t in at.text]
    assert [m.value for m in at.metric][0] == "已反馈" and not [b for b in at.button if b.label == "提交反馈"]
    at.run()  # said once
    assert "已有新的办理" not in said(at, "warning")


def test_empty_and_over_long_input_get_a_chinese_message_and_write_nothing(wdb):
    r = new_order(wdb)
    at = open_page("yancheng", params={"order": r.order_id})
    # over-long: the box takes at most REPLY_MAX characters (the browser stops typing there, and Streamlit cuts a
    # crafted longer value to it); the query layer refuses longer text outright (tests/test_supervision.py)
    assert area(at, "反馈内容").max_chars == SV.REPLY_MAX
    assert area(at, "反馈内容").input("长" * (SV.REPLY_MAX + 1)).value == ""
    for text, message in (("", "请填写反馈内容"), (" \n\t ", "请填写反馈内容"), ("\x00\x1b\x07\r\n", "请填写反馈内容")):
        area(at, "反馈内容").input(text)
        button(at, "提交反馈").click().run()
        assert not at.exception, at.exception
        assert message in said(at, "error"), (message, said(at, "error"))
        assert kinds(wdb, r.order_id) == ["send"] and orow(wdb, r.order_id)["version"] == 1
    # the send form: 批示 empty or too long, no addressee, no subject title
    before = order_count(wdb)
    at = open_page("leader", "risk.py")
    open_send_form(at)
    assert addressee(at).value is None  # the province in view: the leader chooses
    assert area(at, "批示").max_chars == SV.INSTRUCTION_MAX
    area(at, "批示").input("请核实")
    button(at, "发出督办").click().run()
    assert "请选择督办对象" in said(at, "error")
    addressee(at).set_value(YANCHENG)
    assert area(at, "批示").input("批" * (SV.INSTRUCTION_MAX + 1)).value == "请核实"  # not taken
    for text, message in (("", "请填写批示"), ("\t\n  ", "请填写批示")):
        area(at, "批示").input(text)
        button(at, "发出督办").click().run()
        assert not at.exception, at.exception
        assert message in said(at, "error"), (message, said(at, "error"))
        assert [b for b in at.button if b.label == "发出督办"], "the form stays open"
    area(at, "批示").input("请核实")
    next(t for t in at.text_input if t.label == "督办事项").input("   ")
    button(at, "发出督办").click().run()
    assert "请填写督办事项名称" in said(at, "error")
    assert order_count(wdb) == before


def test_the_writer_reads_without_forms(wdb):
    r = new_order(wdb)
    SV.reply(YC_OFFICER, r.order_id, "已反馈", version=1, engine=wdb)
    at = open_page("writer")
    assert [t.label for t in at.tabs] == ["全部督办"]
    assert r.code in codes(at)
    at = open_page("writer", params={"order": r.order_id})
    assert "已反馈" in [t.value for t in at.text]
    assert not at.text_area and not FORM_BUTTONS & {b.label for b in at.button}
    assert "不能办理" in said(at, "info") or "等待发出督办的领导" in said(at, "info")
    # the officer who answered has nothing left to do on it either
    at = open_page("yancheng-officer", params={"order": r.order_id})
    assert not at.text_area and "等待发出督办的领导" in said(at, "info")


def test_the_state_filter_and_the_outbox(wdb):
    r = new_order(wdb)
    at = open_page("leader")
    assert [t.label for t in at.tabs][1:] == ["已发出", "全部督办"]
    sent = SV.outbox(LEADER, engine=wdb)
    assert not [d for d in at.dataframe if "待办" not in d.value.columns]  # only the open tab (待办) is drawn
    open_tab(at, "已发出")
    outbox = next(table_text(d) for d in at.dataframe if r.code in set(d.value["督办编号"]) and "待办" not in d.value.columns)
    assert list(outbox["督办编号"]) == list(sent["code"])
    late = SV.listing(LEADER, engine=wdb, state="open")
    open_tab(at, "全部督办")
    at.segmented_control(key="sv_state").set_value("open").run()
    assert not at.exception, at.exception
    shown_all = table_text(at.dataframe[-1])
    assert list(shown_all["督办编号"]) == list(late["code"])
    assert {s for s in shown_all["状态"]} <= {"在办", "在办（超期）"}
    assert label_colours(at.dataframe[-1], "状态") == {"在办": NO_COLOUR, "在办（超期）": LATE_COLOUR}  # late in red
    assert sum(s == "在办（超期）" for s in shown_all["状态"]) == int(late["overdue"].sum()) > 0
    assert all(t.startswith("超期 ") for t, s in zip(shown_all["剩余时间"], shown_all["状态"]) if s == "在办（超期）")
    # the region (in the URL, like every page's): orders addressed within it; another city's refused for suqian
    at = open_page("leader", params={"region": YANCHENG})
    assert r.code in set(table_text(at.dataframe[-1])["督办编号"])
    assert set(SV.listing(LEADER, engine=wdb, region=YANCHENG)["city_adcode"]) == {YANCHENG}
    assert list(table_text(at.dataframe[-1])["督办编号"]) == list(SV.listing(LEADER, engine=wdb, region=YANCHENG)["code"])
    at = open_page("suqian", params={"region": YANCHENG})
    assert "无权查看" in said(at, "error") and r.code not in codes_of_every_tab(at)


def _drawn_lists(at) -> list[str]:
    """Which lists are drawn: the inbox (its 待办 column) or another (every list has 督办编号)."""
    return ["待办" if "待办" in d.value.columns else "其他" for d in at.dataframe if "督办编号" in d.value.columns]


def test_the_open_tab_stays_open_while_counts_filters_and_links_change(wdb):
    """The tabs keep the user's choice: another session's reply (the 待办 count moves), the full list filtered by a
    region and back to every region, the 状态 filter across a switch of tabs; a link filtering the list by region
    opens 全部督办 once, and the user may then open 待办."""
    r = new_order(wdb)
    at = open_tab(open_page("leader"), "已发出")
    SV.reply(YC_OFFICER, r.order_id, "已反馈", version=1, engine=wdb)  # the leader now has one more to close
    at.run()
    assert at.session_state[TAB_KEY] == "已发出" and _drawn_lists(at) == ["其他"]
    at = open_tab(at, "全部督办")
    at.segmented_control(key="sv_state").set_value("answered").run()
    at = open_tab(open_tab(at, "已发出"), "全部督办")
    assert at.segmented_control(key="sv_state").value == "answered"
    next(s for s in at.selectbox if s.label == "受办地区").set_value(YANCHENG).run()
    assert str(at.query_params["region"]) == str(YANCHENG) and at.session_state[TAB_KEY] == "全部督办"
    next(s for s in at.selectbox if s.label == "受办地区").select_index(0).run()  # 全部地区
    assert "region" not in at.query_params and at.session_state[TAB_KEY] == "全部督办"
    assert r.code in codes(at)
    # a link filtering by region: 全部督办 at first; 待办 once the user opens it, on later runs too
    at = open_page("leader", params={"region": YANCHENG})
    assert at.session_state[TAB_KEY] == "全部督办" and r.code in codes(at)
    at = open_tab(at, "待办")
    at.run()
    assert at.session_state[TAB_KEY] == "待办" and _drawn_lists(at) == ["待办"]


# --- who may send where ---------------------------------------------------------------------------------------------

def test_send_buttons_by_role_and_place(wdb):
    with wdb.connect() as c:
        wid = c.execute(select(S.warnings.c.id).where(S.warnings.c.city_adcode == YANCHENG,
                                                      S.warnings.c.closed_at.is_(None)).limit(1)).scalar_one()
        eid = c.execute(select(S.enterprises.c.id).where(S.enterprises.c.county_adcode == JIANGNING).limit(1)).scalar()
    labels = lambda at: {b.label for b in at.button}  # noqa: E731
    # the header: leaders and city accounts; not officers, not the duty room
    for user, present in (("leader", True), ("nanjing", True), ("nanjing-officer", False)):
        at = open_page(user, "overview.py")
        assert ("发督办单" in labels(at)) is present, user
    at = open_page("duty", "warnings.py")
    assert "发督办单" not in labels(at)
    # a city account sends to its counties only
    at = open_page("nanjing", "grids.py")
    open_send_form(at)
    opts = addressee(at).options
    assert opts and all(o.startswith("南京市 · ") for o in opts) and addressee(at).value is None
    # the duty room: about a warning, to its city or county
    at = open_page("duty", "handling.py", {"warning": wid})
    assert {"督办", "督办该预警"} <= labels(at) and "发督办单" not in labels(at)
    open_send_form(at, "督办该预警")
    assert addressee(at).value == YANCHENG and all(o.startswith("盐城市") for o in addressee(at).options)
    area(at, "批示").input("请立即组织核查")
    button(at, "发出督办").click().run()
    assert not at.exception, at.exception
    assert "已向盐城市发出督办" in said(at, "success")
    with wdb.connect() as c:
        o = c.execute(select(SO).order_by(SO.c.id.desc()).limit(1)).mappings().one()
    assert (o["issuer"], o["subject_kind"], o["subject_ref"]) == ("duty", "warning", str(wid))
    # the duty room on an enterprise: no 督办
    at = open_page("duty", "enterprise.py", {"enterprise": eid})
    assert "督办该企业" not in labels(at)
    # a leader on the enterprise file: to its city (the province in view), or its county
    at = open_page("leader", "enterprise.py", {"enterprise": eid})
    assert "发督办单" not in labels(at)  # the object on screen, not the header's view
    open_send_form(at, "督办该企业")
    assert addressee(at).value == NANJING and len(addressee(at).options) == 2
    # the campaign table: a lagging row, selected, to the region in view
    at = open_page("leader", "enforcement.py", {"region": YANCHENG})
    table = table_text(at.dataframe[0])
    lag = [i for i, v in enumerate(table["behind"]) if v == "进度滞后"]
    assert lag, "the demo holds a lagging campaign in 盐城市"
    at.session_state[f"enf_camps_{YANCHENG}_None_2021-01-01_2021-06-30_None_None"] = {
        "selection": {"rows": [lag[0]], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    open_send_form(at, "督办该专项行动")
    assert addressee(at).value == YANCHENG
    area(at, "批示").input("专项行动进度滞后，请加快推进")
    button(at, "发出督办").click().run()
    assert "已向盐城市发出督办" in said(at, "success")
    with wdb.connect() as c:
        o = c.execute(select(SO).order_by(SO.c.id.desc()).limit(1)).mappings().one()
    assert (o["subject_kind"], o["region_adcode"]) == ("campaign", YANCHENG)


def test_subject_links(wdb):
    with wdb.connect() as c:
        ids = dict(c.execute(select(SO.c.subject_kind, SO.c.id).where(SO.c.code.like("DB-%-000%"))).all())
    expect = {"campaign": ("打开专项行动 →", "enforcement"), "enterprise": ("打开企业档案 →", "enterprise"),
              "warning": ("打开预警 →", "handling"), "view": ("打开督办时的视图 →", None)}
    for kind, (label, page) in expect.items():
        at = open_page("leader", params={"order": ids[kind]})
        link = next((p for p in page_links(at) if p[0] == label), None)
        assert link, (kind, page_links(at))
        if page:
            assert link[1] == page, (kind, link)
    # the writer may not open the topic pages: said, no link
    at = open_page("writer", params={"order": ids["view"]})
    assert not [p for p in page_links(at) if p[0] == "打开督办时的视图 →"]
    assert "不对您的账号开放" in shown(at)


# --- failures -------------------------------------------------------------------------------------------------------

def test_a_database_failure_during_an_action_says_so_and_recovers(wdb, monkeypatch):
    r = new_order(wdb)
    at = open_page("yancheng", params={"order": r.order_id})
    real = SV.reply

    def failing(*a, **k):
        raise SV.WriteFailed("数据库暂时无法完成本次操作")

    monkeypatch.setattr(SV, "reply", failing)
    area(at, "反馈内容").input("数据库恢复后再交")
    button(at, "提交反馈").click().run()
    assert not at.exception, at.exception
    assert "数据库暂时不可用，本次操作未保存" in said(at, "error")
    assert kinds(wdb, r.order_id) == ["send"]
    monkeypatch.setattr(SV, "reply", real)
    assert area(at, "反馈内容").value == "数据库恢复后再交"  # what was typed is kept
    button(at, "提交反馈").click().run()
    assert not at.exception, at.exception
    assert kinds(wdb, r.order_id) == ["send", "reply"]


def test_the_navigation_survives_a_failing_count(wdb, monkeypatch):
    new_order(wdb)
    at = open_page("yancheng", "overview.py")
    assert nav_duban(at).startswith("督办（")

    def down(*a, **k):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(SV, "counts", down)
    clear_caches()
    at = open_page("yancheng", "overview.py")
    assert nav_duban(at) == "督办" and at.metric
    assert not at.exception


def test_every_role_opens_the_page(wdb):
    from pages.app import pages_for

    for user, role in (("leader", "leader"), ("yancheng", "city"), ("jiangning-officer", "officer"), ("duty", "duty"),
                       ("writer", "writer"), ("admin", "admin")):
        assert "supervision.py" in {p.file for p in pages_for("leadership", role)}, role
        clear_caches()
        at = open_page(user)
        assert not [e for e in at.error if "预警已超时" not in e.value], (user, [e.value for e in at.error])
        assert "待我办理" in metrics(at) and at.tabs


@pytest.mark.parametrize("user, role, binding", [("leader", "leader", None), ("duty", "duty", None),
                                                  ("yancheng", "city", YANCHENG),
                                                  ("yancheng-officer", "officer", YANCHENG)])
def test_only_those_who_reply_see_their_overdue_replies(wdb, user, role, binding):
    """A leader or the duty room replies to nothing: a "超期待反馈 0" beside the region's "超期督办 2" read as a
    contradiction. Those who reply see how many of theirs are late; the todo list's caption counts them all."""
    at = open_page(user)
    m = metrics(at)
    c = SV.counts(SV.Actor(user, role, binding), engine=wdb)
    assert ("超期待我反馈" in m) == (role in SV.REPLY_ROLES)
    if role in SV.REPLY_ROLES:
        assert number(m["超期待我反馈"]) == c["overdue"]
    assert number(m["待我办理"]) == c["todo"]
    if c["todo"]:
        assert any(x.value.startswith(f"共 {c['todo']:,} 件，按办理期限排列") for x in at.caption), \
            [x.value for x in at.caption]
