"""Real browser: sign in as `leader`, visit every page of the leadership cockpit through its navigation at 1280,
1440 and 1920 px (no tile's number or label is cut off at any of them), screenshot each, and prove that no request
left the serving host. (A phone's walk: tests/test_browser_cockpit_layout.py.)"""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from pages.app import APPS, pages_for
from seed.schema import hazard_sources as HS
from tests.browser_util import (ARTIFACTS, assert_nothing_cut, browser, english_chart_words, exceptions_on, follow_link,
                                foreign_requests, legends_over_plots, open_by_navigation, shared_server, snapshot,
                                sign_in, tiles_on, whole_page_shot)

pytestmark = pytest.mark.browser
WIDTHS = [(1280, 800), (1440, 900), (1920, 1080)]
# how wide each page's map is drawn at 1280 px at least: what it is zoomed to show whole (region_map's fit_width)
MAP_FIT = {"overview": 820, "enforcement": 360, "risk": 360}


def test_leader_visits_every_page(db):
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; it runs against the SQLite test database")
    url = db.url.render_as_string(hide_password=False)
    pages = pages_for("leadership", "leader")
    assert len(pages) == len([p for p in APPS["leadership"]["pages"] if "leader" in p.roles]) >= 8
    base = shared_server("leadership", url)
    tiles = charts = 0
    with browser(WIDTHS[0][:2]) as page:
        sign_in(page, base, "leader")
        for i, spec in enumerate(pages):
            # the default page lives at / (drawn by the sign-in); the others are reached as a leader reaches them,
            # through the navigation
            if i > 0:
                page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
                open_by_navigation(page, spec.url_path)
            assert not exceptions_on(page), (spec.url_path, exceptions_on(page))
            assert "Page not found" not in page.inner_text("body"), spec.url_path
            assert "Choose an option" not in page.inner_text("body"), spec.url_path
            assert spec.title in page.inner_text("[data-testid='stMain']"), spec.url_path
            assert english_chart_words(page) == [], spec.url_path  # the charts' tool bars speak Chinese
            assert legends_over_plots(page) == [], spec.url_path
            maps = page.eval_on_selector_all("[data-testid='stDeckGlJsonChart']",
                                             "els => els.map(e => e.getBoundingClientRect().width)")
            assert all(w >= MAP_FIT.get(spec.url_path, 480) for w in maps), (spec.url_path, maps)  # (at 1280 px)
            charts += page.locator(".modebar-btn").count() > 0
            tiles += tiles_on(page)
            # loaded at 1280 px, then widened (the tiles fit again after a resize)
            for w, h in WIDTHS:
                page.set_viewport_size({"width": w, "height": h})
                assert_nothing_cut(page, f"{spec.url_path} at {w} px")
                if w == 1440:
                    whole_page_shot(page, ARTIFACTS / f"leadership_{spec.url_path}_1440.png")
        # one enterprise's file and its monitoring points (tiles with the longest labels)
        with db.connect() as c:
            eid = int(c.execute(select(HS.c.enterprise_id).order_by(HS.c.enterprise_id).limit(1)).scalar())
        for path in (f"enterprise?enterprise={eid}", f"hazards?enterprise={eid}"):
            follow_link(page, base, path)
            assert not exceptions_on(page), path
            tiles += tiles_on(page)
            for w, h in WIDTHS:
                page.set_viewport_size({"width": w, "height": h})
                assert_nothing_cut(page, f"{path} at {w} px")
        assert tiles >= 110, tiles  # the walk saw the tiles it is about
        assert charts >= 5, charts  # … and the pages' charts
        # a deep link with a scope lands on that view
        follow_link(page, base, "enforcement?region=320900&from=2021-01-01&to=2021-02-28")
        text = page.inner_text("[data-testid='stMain']")
        assert "盐城市" in text and "11,703" in text
        snapshot(page, ARTIFACTS / "leadership_enforcement_yancheng.png")
    assert foreign_requests(page.requests) == []
    # the overview's map is drawn: in a browser with WebGL (the walk above draws without a GPU), its canvas shows
    # the regions' colours (~2,400 distinct ones), not an empty rectangle (one colour, as without WebGL)
    with browser(WIDTHS[1][:2], webgl=True) as page:
        sign_in(page, base, "leader")
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for(timeout=60000)
        colours = 0
        for _ in range(60):  # until the map has drawn (at most ~30 s on a busy machine)
            colours = len(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB").getcolors(1 << 20))
            if colours >= 100:
                break
            page.wait_for_timeout(500)
        assert colours >= 100, f"the overview's map drew nothing ({colours} colours)"
        assert not exceptions_on(page)
    assert foreign_requests(page.requests) == []
