"""Real browser, the leadership cockpit on a 390×844 phone: no tile's number or label is cut off on any page
(pages/static/fit.js; the desktop widths 1280, 1440 and 1920 px: tests/test_browser_leadership.py) and no table's
toolbar covers a tab label or the line above it (pages/static/cockpit.css); the overview puts its figures first,
two tiles a row, its map within the screen, and the navigation and filters one tap away; the 排名 spreadsheet
downloads, opens and holds the page's rows. Screenshots in artifacts/cockpit_*.png."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from pages.app import pages_for
from queries import audit, ranking
from queries.scope import Scope
from seed.schema import hazard_sources as HS
from tests.browser_util import (ARTIFACTS, assert_nothing_cut, browser, english_chart_words, exceptions_on, follow_link,
                                foreign_requests, legends_over_plots, on_path, open_by_navigation, shared_server,
                                sign_in, snapshot, tiles_on, toolbars_over_text, wait_idle, whole_page_shot)

pytestmark = pytest.mark.browser

PHONE = (390, 844)
H1 = Scope(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))  # the app's default period


def _skip_unless_sqlite(db) -> None:
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; it runs against the SQLite test database")


def test_no_tile_is_cut_off_on_a_phone(db):
    _skip_unless_sqlite(db)
    base = shared_server("leadership", db.url.render_as_string(hide_password=False))
    with db.connect() as c:
        eid = int(c.execute(select(HS.c.enterprise_id).order_by(HS.c.enterprise_id).limit(1)).scalar())
    paths = ([p.url_path for p in pages_for("leadership", "leader")]
             + [f"enterprise?enterprise={eid}", f"hazards?enterprise={eid}"])
    tiles = 0
    with browser(PHONE, phone=True) as page:
        sign_in(page, base, "leader", path=paths[0])  # (the sign-in draws the first page)
        for path in paths:
            if "?" in path:
                follow_link(page, base, path)
            elif path != paths[0]:
                open_by_navigation(page, path)
            assert not exceptions_on(page), (path, exceptions_on(page))
            assert_nothing_cut(page, f"{path} on a phone")
            assert toolbars_over_text(page) == [], path  # a tapped table's toolbar covers no tab label or line
            assert legends_over_plots(page) == [], path  # a legend wrapped onto two lines stays above its chart
            tiles += tiles_on(page)
            if path == "warnings":  # a tap on a chart's legend: plotly's hint, in Chinese (pages/charts.py)
                legend = page.locator(".legendtoggle").first  # (dispatched: the walk's sidebar lies over the page)
                legend.dispatch_event("mousedown")
                legend.dispatch_event("mouseup")
                hint = page.locator(".notifier-note").first
                hint.wait_for(timeout=10000)
                assert "双击图例" in hint.inner_text(), hint.inner_text()
                assert english_chart_words(page) == []
            whole_page_shot(page, ARTIFACTS / f"cockpit_{path.replace('?', '_').replace('=', '')}_phone.png")
            # nothing wider than the phone (a wide table scrolls inside itself)
            assert page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth") <= PHONE[0], path
    assert tiles >= 110, tiles  # the walk saw the tiles it is about
    assert foreign_requests(page.requests) == []


def test_the_overview_on_a_phone(db):
    _skip_unless_sqlite(db)
    base = shared_server("leadership", db.url.render_as_string(hide_password=False))
    with browser(PHONE, phone=True) as page:
        sign_in(page, base, "leader", path="overview")  # (the sign-in draws it)
        assert_nothing_cut(page, "overview on a phone")
        snapshot(page, ARTIFACTS / "cockpit_overview_phone_first_screen.png", full_page=False)
        geo = page.evaluate("""() => {
            const m = Array.from(document.querySelectorAll('[data-testid="stMetric"]')).map(e => e.getBoundingClientRect());
            const d = document.querySelector('[data-testid="stDeckGlJsonChart"]').getBoundingClientRect();
            const page = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
            return {tiles: m.map(r => [r.left, r.top, r.right, r.bottom]), map: [d.left, d.top, d.right, d.bottom],
                    width: window.innerWidth, height: window.innerHeight, scroll: page.width};
        }""")
        tiles, width = geo["tiles"], geo["width"]
        # key figures first: the first row of tiles shows on the first screen
        assert tiles[0][1] < 0.5 * geo["height"] and tiles[1][3] < geo["height"], tiles[:2]
        # two tiles a row, side by side, each within the screen
        rows: dict[int, list] = {}
        for t in tiles:
            rows.setdefault(round(t[1]), []).append(t)
        assert max(len(r) for r in rows.values()) == 2 and sum(len(r) == 2 for r in rows.values()) >= 8, rows
        assert all(0 <= t[0] and t[2] <= width for t in tiles)
        for r in rows.values():
            if len(r) == 2:
                a, b = sorted(r)
                assert a[2] <= b[0] and (b[2] - b[0]) > 0.4 * width, r
        # the map fits the screen: its whole width, and room above and below it on one screen
        left, top, right, bottom = geo["map"]
        assert 0 <= left and right <= width and 250 <= bottom - top <= 0.6 * geo["height"] + 1, geo["map"]
        assert geo["scroll"] <= width  # nothing wider than the phone
        # navigation and filters: one tap opens the sidebar with the pages and the scope
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.click()
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("查询条件").wait_for(timeout=10000)
        assert sidebar.get_by_text("地区", exact=True).is_visible()
        link = sidebar.locator('[data-testid="stSidebarNav"] a', has_text="排名")
        link.wait_for(timeout=10000)
        page.wait_for_function("""() => { const s = document.querySelector('[data-testid="stSidebar"]');
            return !!s && Math.abs(s.getBoundingClientRect().left) < 1; }""", timeout=10000)  # slid in
        snapshot(page, ARTIFACTS / "cockpit_overview_phone_sidebar.png", full_page=False)
        link.click()
        page.wait_for_url(on_path("ranking"), timeout=60000)
        wait_idle(page)
        assert "排名总览" in page.inner_text("[data-testid='stMain']")
        assert not exceptions_on(page)


def test_the_ranking_spreadsheet_downloads_with_the_pages_rows(db):
    _skip_unless_sqlite(db)
    from openpyxl import load_workbook

    base = shared_server("leadership", db.url.render_as_string(hide_password=False))
    since = dt.datetime.now() - dt.timedelta(seconds=1)
    with browser((1440, 900)) as page:
        sign_in(page, base, "leader", path="ranking")  # (the sign-in draws it)
        with page.expect_download(timeout=60000) as dl:
            page.get_by_role("button", name="下载排名表（Excel）").click()
        data = open(dl.value.path(), "rb").read()  # the file goes with the browser
        assert dl.value.suggested_filename == "排名_江苏省各设区市_20210101-20210630.xlsx"
    wb = load_workbook(io.BytesIO(data))
    r = ranking.rankings(H1, engine=db, keys=("enforcement.enterprises_inspected", "risk.completion_rate"))
    for key, t in r.tables.items():
        sheet = wb[{"enforcement.enterprises_inspected": "检查企业", "risk.completion_rate": "风险报告完成上报率"}[key]]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert [(x[0], x[1], x[2]) for x in rows] == [(int(a), n, int(c)) for a, n, c in
                                                       zip(t["rank"], t["name"], t["adcode"])]
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["生成人"] == "leader" and notes["本期"] == "2021-01-01 至 2021-06-30"
    exports = audit.recent(event="export", username="leader", since=since, engine=db)
    assert any(isinstance(e["detail"], dict) and e["detail"].get("kind") == "ranking" for e in exports), exports
