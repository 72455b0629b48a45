"""Real browser: the leader selects 盐城市's lagging campaign on 执法专项行动 and sends a 督办 through the dialog;
yancheng sees it in 待办 with the count in the navigation and replies; the leader closes it; suqian sees none of it,
neither in its lists nor by URL. Screenshots at 1440 px and at a 390 px phone width. A copy of the test database is
used (this writes)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from queries import db as dbmod
from queries import enforcement
from queries import supervision as SV
from queries.scope import Scope
from seed import schema as S
from tests.browser_util import (
    ARTIFACTS,
    chromium,
    exceptions_on,
    sign_in,
    snapshot,
    streamlit_server,
    wait_idle,
)
from tests.dbcache import clone_database, remove_copy

pytestmark = pytest.mark.browser
YANCHENG = 320900
ROW_PX = 35  # the data grid's row (and header) height


def _goto(page, url: str, expect: str) -> None:
    page.goto(url)
    page.get_by_text(expect).first.wait_for(timeout=60000)
    wait_idle(page)
    assert "Page not found" not in page.inner_text("body")


def _main(page):
    return page.locator("[data-testid='stMain']")


def _select_row(page, grid, row: int) -> None:
    """Tick the row marker of ``row`` (0-based) in a data grid drawn on a canvas."""
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)


def _shot(page, name: str) -> None:
    snapshot(page, ARTIFACTS / f"{name}.png")


def _submit(page, scope, button: str, done: str, text: str | None = None, field: str | None = None) -> None:
    form = scope.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name=button, exact=True))
    form = form.locator("visible=true").first
    if text is not None:
        box = form.get_by_label(field) if field else form.locator("textarea")
        box.first.fill(text)
    form.get_by_role("button", name=button, exact=True).click()
    page.get_by_text(done).first.wait_for(timeout=60000)
    wait_idle(page)


def test_leader_sends_from_the_campaign_table_yancheng_replies_the_leader_closes(db, session_tmp, request):
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; the flow is tested on both databases")
    url = clone_database(db, "duban_browser", session_tmp)
    request.addfinalizer(lambda: remove_copy(url))
    eng = dbmod.get_engine(url)
    camps = enforcement.campaigns(Scope(region=YANCHENG, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30)),
                                  engine=eng)
    lag = [i for i, b in enumerate(camps["behind"]) if b]
    assert lag, "the demo holds a lagging campaign in 盐城市"
    with eng.connect() as c:
        before = c.execute(select(func.max(S.supervision_orders.c.id))).scalar()
    instruction = "三年行动盐城市进度滞后，请于一周内报送<b>整改</b>计划。"
    with streamlit_server("leadership", url) as base, chromium() as new_page:
        # one Chromium, one signed-in page per user kept for the whole walk (each sign-in is a bcrypt check and a
        # page drawn; the phone views resize the same page)
        leader, yancheng = new_page((1440, 900)), new_page((1440, 900))

        # the leader: the lagging row of the campaign table, the dialog, sent
        page = leader
        sign_in(page, base, "leader", path="duban")
        _goto(page, f"{base}/enforcement?region={YANCHENG}", "专项行动进度")
        _shot(page, "duban_enforcement_header_1440")
        grid = _main(page).locator("[data-testid='stDataFrame']").first
        _select_row(page, grid, lag[0])
        send = _main(page).get_by_role("button", name="督办该专项行动")
        send.wait_for(timeout=60000)
        wait_idle(page)
        send.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("督办对象").wait_for(timeout=60000)
        wait_idle(page)
        assert "盐城市" in dialog.inner_text()
        _shot(page, "duban_send_dialog_1440")
        _submit(page, dialog, "发出督办", "已向盐城市发出督办", instruction)
        assert page.get_by_role("dialog").count() == 0
        _shot(page, "duban_sent_1440")
        assert not exceptions_on(page)
        with eng.connect() as c:
            o = c.execute(select(S.supervision_orders).where(S.supervision_orders.c.id > before)).mappings().one()
        oid, code = o["id"], o["code"]
        assert (o["region_adcode"], o["subject_kind"], o["state"]) == (YANCHENG, "campaign", "open")

        # yancheng: the count in the navigation, the order in 待办, the reply
        page = yancheng
        sign_in(page, base, "yancheng", path="duban")
        n = SV.counts(SV.Actor("yancheng", "city", YANCHENG), engine=eng)["todo"]
        nav = page.locator("[data-testid='stSidebarNav']")
        nav.get_by_text(f"督办（{n}）").wait_for(timeout=60000)
        nav.get_by_text(f"督办（{n}）").click()
        _goto(page, f"{base}/duban", "待我办理")
        _shot(page, "duban_inbox_1440")
        inbox = list(SV.inbox(SV.Actor("yancheng", "city", YANCHENG), engine=eng)["code"])
        assert f"共 {len(inbox)} 件" in _main(page).inner_text()
        _select_row(page, _main(page).locator("[data-testid='stDataFrame']").first, inbox.index(code))
        page.wait_for_url(f"**/duban?order={oid}", timeout=60000)
        _main(page).get_by_text("办理记录").wait_for(timeout=60000)
        wait_idle(page)
        assert instruction in _main(page).inner_text()  # as typed, as text
        _submit(page, _main(page), "提交反馈", "已反馈", "已对照三年行动清单逐项排查，整改计划附后。")
        _shot(page, "duban_replied_1440")
        nav.get_by_text(f"督办（{n - 1}）" if n > 1 else "督办").first.wait_for(timeout=60000)
        assert not exceptions_on(page)

        # the leader closes it
        page = leader
        _goto(page, f"{base}/duban?order={oid}", "办理记录")
        _submit(page, _main(page), "办结", "已办结", "同意办结")
        _shot(page, "duban_closed_1440")
        body = _main(page).inner_text()
        assert "该督办已办结" in body and "已对照三年行动清单逐项排查" in body
        assert [k for k in SV.events(oid, SV.Actor("leader", "leader"), engine=eng)["kind"]] == \
            ["send", "reply", "close"]

        # suqian: nothing of it, by navigation or by URL (a phone)
        page = new_page((390, 844))
        sign_in(page, base, "suqian", path="duban")
        _goto(page, f"{base}/duban", "待我办理")
        _shot(page, "duban_suqian_390")
        _main(page).get_by_role("tab", name="全部督办").click()
        wait_idle(page)
        body = _main(page).inner_text()
        assert "盐城" not in body and "督办（" not in page.inner_text("body")
        assert f"共 {len(SV.listing(SV.Actor('suqian', 'city', 321300), engine=eng))} 件" in body
        _goto(page, f"{base}/duban?order={oid}", SV.OUT_OF_SCOPE)
        body = _main(page).inner_text()
        assert code not in body and "盐城" not in body and "提交反馈" not in body
        _shot(page, "duban_suqian_refused_390")
        assert not exceptions_on(page)
        page.context.close()

        # yancheng on a phone: the list and the closed order
        page = yancheng
        page.set_viewport_size({"width": 390, "height": 844})
        _goto(page, f"{base}/duban", "待我办理")
        _shot(page, "duban_inbox_390")
        _goto(page, f"{base}/duban?order={oid}", "办理记录")
        _shot(page, "duban_order_390")
        # the leader's send form on a phone
        page = leader
        page.set_viewport_size({"width": 390, "height": 844})
        _goto(page, f"{base}/risk?region={YANCHENG}", "完成情况")
        page.get_by_role("button", name="发督办单").click()
        page.get_by_role("dialog").get_by_text("督办对象").wait_for(timeout=60000)
        wait_idle(page)
        snapshot(page, ARTIFACTS / "duban_send_dialog_390.png", full_page=False)
