"""Real browser: sign in as `leader`, visit every page of the leadership cockpit, screenshot each, and prove
that no request left the serving host."""
from __future__ import annotations

import pytest

from pages.app import APPS, pages_for
from tests.browser_util import (ARTIFACTS, browser, exceptions_on, foreign_requests, sign_in, shared_server,
                                wait_idle)

pytestmark = pytest.mark.browser


def test_leader_visits_every_page(db):
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; it runs against the SQLite test database")
    url = db.url.render_as_string(hide_password=False)
    pages = pages_for("leadership", "leader")
    assert len(pages) == len([p for p in APPS["leadership"]["pages"] if "leader" in p.roles]) >= 8
    base = shared_server("leadership", url)
    with browser() as page:
        sign_in(page, base, "leader")
        for i, spec in enumerate(pages):
            page.goto(f"{base}/" if i == 0 else f"{base}/{spec.url_path}")  # the default page lives at /
            wait_idle(page)
            assert not exceptions_on(page), (spec.url_path, exceptions_on(page))
            assert "Page not found" not in page.inner_text("body"), spec.url_path
            assert "Choose an option" not in page.inner_text("body"), spec.url_path
            assert spec.title in page.inner_text("[data-testid='stMain']"), spec.url_path
            page.screenshot(path=str(ARTIFACTS / f"leadership_{spec.url_path}.png"), full_page=True)
        # a deep link with a scope lands on that view
        page.goto(f"{base}/enforcement?region=320900&from=2021-01-01&to=2021-02-28")
        wait_idle(page)
        text = page.inner_text("[data-testid='stMain']")
        assert "盐城市" in text and "11,703" in text
        page.screenshot(path=str(ARTIFACTS / "leadership_enforcement_yancheng.png"), full_page=True)
        # the map's boundaries are drawn (a WebGL canvas exists on the overview)
        page.goto(f"{base}/")
        wait_idle(page)
        assert page.query_selector("[data-testid='stDeckGlJsonChart'] canvas, #deckgl-overlay, canvas") is not None
    assert foreign_requests(page.requests) == []
