"""Real browser: jiangning-officer acknowledges, verifies and closes a warning on the handling desk; the audit log holds
the three steps; nanjing-officer cannot open a 盐城市 warning by URL. Screenshots of the desk at 1440 px and at a
390 px phone width. A copy of the test database is used (this writes)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from queries import db as dbmod
from seed import schema as S
from tests.browser_util import ARTIFACTS, browser, exceptions_on, sign_in, snapshot, streamlit_server, wait_idle
from tests.dbcache import clone_database, remove_copy
from tests.test_handling import JIANGNING, YANCHENG, new_warning

pytestmark = pytest.mark.browser


def _goto(page, url: str, expect: str = "超时未处置预警") -> None:
    """Open ``url`` (a deep link, opened while the session is restored from the cookie) and wait for ``expect``:
    the page itself at that address, without Streamlit's "Page not found" dialog on the way."""
    page.goto(url)
    page.get_by_text(expect).first.wait_for(timeout=60000)
    wait_idle(page)
    assert page.get_by_role("dialog").count() == 0, page.inner_text("body")[:300]
    assert "Page not found" not in page.inner_text("body")
    assert page.url.split("?")[0] == url.split("?")[0], page.url


def _step(page, tab: str | None, button: str, *, result: str | None = None, note: str | None = None,
          done: str) -> None:
    main = page.locator("[data-testid='stMain']")
    if tab:
        main.get_by_role("tab", name=tab).click()
    form = main.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name=button, exact=True))
    form = form.locator("visible=true").first if tab else form.first
    if result:
        form.get_by_text(result, exact=True).click()
    if note:
        form.locator("textarea").fill(note)
    try:
        form.get_by_role("button", name=button, exact=True).click()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"handling_failed_{button}.png"), full_page=True)
        raise
    main.get_by_text(done).first.wait_for(timeout=60000)
    wait_idle(page)


def _form_and_history(page) -> tuple[dict, dict]:
    """Where the step's form and the 处置记录 heading are on the detail page (page coordinates)."""
    return page.evaluate("""() => {
        const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
        const h = Array.from(document.querySelectorAll('[data-testid="stMain"] h4')).find(x => x.innerText.includes('处置记录'));
        return [box(document.querySelector('[data-testid="stMain"] [data-testid="stForm"]')), box(h)]; }""")


def test_officer_closes_a_warning_and_another_city_is_refused(db, session_tmp, request):
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; the steps are tested on both databases")
    url = clone_database(db, "handling_browser", session_tmp)
    request.addfinalizer(lambda: remove_copy(url))
    eng = dbmod.get_engine(url)
    wid = new_warning(eng, JIANGNING, level=1, minutes_ago=4)
    other = new_warning(eng, JIANGNING, level=2, minutes_ago=2)  # one to open on the phone
    with eng.connect() as c:
        yc = c.execute(select(S.warnings.c.id).where(S.warnings.c.city_adcode == YANCHENG).limit(1)).scalar_one()
    with streamlit_server("leadership", url) as base:
        with browser(viewport=(1440, 900)) as page:
            sign_in(page, base, "jiangning-officer", path="handling")
            _goto(page, f"{base}/handling")
            snapshot(page, ARTIFACTS / "handling_desk_1440.png")
            _goto(page, f"{base}/handling?warning={wid}", expect="处置记录")
            form, history = _form_and_history(page)
            assert form["left"] > history["right"] - 1 and abs(form["top"] - history["top"]) < 200  # side by side
            _step(page, None, "签收", done="已签收")
            _step(page, None, "提交核查", result="误报", note="<b>现场核查</b>：误报", done="已核查（误报）")
            snapshot(page, ARTIFACTS / "handling_detail_1440.png")
            _step(page, "消警", "消警", note="确认误报，予以消警", done="已消警")
            body = page.inner_text("[data-testid='stMain']")
            assert "<b>现场核查</b>：误报" in body  # the note as typed, as text
            assert not exceptions_on(page)
        with eng.connect() as c:
            details = c.execute(select(S.audit_log.c.detail, S.audit_log.c.username)
                                .where(S.audit_log.c.event == "warning_step")).all()
        mine = [d for d, u in details if f'"warning": {wid},' in d and u == "jiangning-officer"]
        assert [s for s in ("ack", "verify", "close") if any(f'"step": "{s}"' in d for d in mine)] == \
            ["ack", "verify", "close"] and len(mine) == 3
        with browser(viewport=(390, 844)) as page:
            sign_in(page, base, "nanjing-officer", path="handling")
            _goto(page, f"{base}/handling")
            snapshot(page, ARTIFACTS / "handling_desk_390.png")
            # a phone stacks the columns: the form to act comes first, the history below it
            _goto(page, f"{base}/handling?warning={other}", expect="处置记录")
            form, history = _form_and_history(page)
            assert form["bottom"] <= history["top"], (form, history)
            _goto(page, f"{base}/handling?warning={yc}", expect="不在您的权限范围内")
            body = page.inner_text("[data-testid='stMain']")
            assert "盐城" not in body and "签收" not in [b.strip() for b in
                                                        page.get_by_role("button").all_inner_texts()]
            assert not exceptions_on(page)
